/**
 * IDX reader (the MNIST file format of LeCun et al.): a 4-byte magic 0x00 0x00 <type> <ndims>, then
 * ndims big-endian uint32 sizes, then the data. Labels are 0x00000801 (ubyte, 1 dim), images
 * 0x00000803 (ubyte, 3 dims: count, rows, cols). gzip-compressed files are read transparently.
 */
import path from 'node:path';
import { readMaybeGzip, statOrNull, type Remedy } from './files.js';
import { ImageSplit } from './split.js';
import { DatasetError, fmtInt, type ImageShape } from './types.js';

export const IDX_LABELS_MAGIC = 0x00000801;
export const IDX_IMAGES_MAGIC = 0x00000803;

export interface IdxArray {
  /** Sizes from the header, e.g. [60000, 28, 28]. */
  dims: number[];
  /** The payload (ubyte), a view of the file bytes. */
  data: Uint8Array;
}

export const GENERIC_REMEDY: Remedy = {
  missing:
    'Point --data at a folder with the four IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]).',
  corrupt: 'Re-extract the dataset or point --data at a complete copy.',
};

function magicName(magic: number): string {
  if (magic === IDX_LABELS_MAGIC) return 'an IDX labels file (0x00000801)';
  if (magic === IDX_IMAGES_MAGIC) return 'an IDX images file (0x00000803)';
  return `0x${magic.toString(16).padStart(8, '0')}`;
}

/** Parse and check one IDX buffer. `gzipped` only changes the wording of size errors. */
export function parseIdx(
  buf: Uint8Array,
  file: string,
  expectMagic: number,
  remedy: Remedy = GENERIC_REMEDY,
  gzipped = false,
): IdxArray {
  const what = expectMagic === IDX_LABELS_MAGIC ? 'labels' : 'images';
  if (buf.length < 4) {
    throw new DatasetError(
      'truncated',
      file,
      `only ${buf.length} bytes, too short for an IDX header. ${remedy.corrupt}`,
    );
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expectMagic) {
    const swapped =
      magic === IDX_LABELS_MAGIC || magic === IDX_IMAGES_MAGIC ? ' Are the images and labels file names swapped?' : '';
    throw new DatasetError(
      'bad-magic',
      file,
      `wrong magic number: expected ${magicName(expectMagic)} for ${what}, found ${magicName(magic)}.${swapped} ${remedy.corrupt}`,
    );
  }
  const ndims = magic & 0xff;
  const headerBytes = 4 + 4 * ndims;
  if (buf.length < headerBytes) {
    throw new DatasetError(
      'truncated',
      file,
      `truncated IDX header: ${ndims} dimensions need ${headerBytes} bytes, the file has ${buf.length}. ${remedy.corrupt}`,
    );
  }
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const payload = dims.reduce((a, b) => a * b, 1);
  const expected = headerBytes + payload;
  const sizeWord = gzipped ? 'decompressed size is' : 'file has';
  if (buf.length !== expected) {
    const promise =
      what === 'images' ? `${fmtInt(dims[0])} images of ${dims[1]}×${dims[2]}` : `${fmtInt(dims[0])} labels`;
    const kind = buf.length < expected ? 'truncated' : 'oversized';
    throw new DatasetError(
      kind,
      file,
      `${kind}: header says ${promise} (${fmtInt(expected)} bytes) but the ${sizeWord} ${fmtInt(buf.length)} bytes. ${remedy.corrupt}`,
    );
  }
  return { dims, data: buf.subarray(headerBytes) };
}

export async function readIdxFile(
  file: string,
  expectMagic: number,
  remedy: Remedy = GENERIC_REMEDY,
): Promise<IdxArray> {
  const { data, gzipped } = await readMaybeGzip(file, remedy);
  return parseIdx(data, file, expectMagic, remedy, gzipped);
}

export interface IdxPairOptions {
  imagesFile: string;
  labelsFile: string;
  /** [rows, cols, 1] the dataset must have. */
  imageShape: ImageShape;
  numClasses?: number;
  /** Keep only the first N images (the whole file is still validated). */
  limit?: number;
  remedy?: Remedy;
}

/** Load an images file and its labels file into a split, checking they describe the same images. */
export async function loadIdxPair(opts: IdxPairOptions): Promise<ImageSplit> {
  const remedy = opts.remedy ?? GENERIC_REMEDY;
  const numClasses = opts.numClasses ?? 10;
  const [images, labels] = await Promise.all([
    readIdxFile(opts.imagesFile, IDX_IMAGES_MAGIC, remedy),
    readIdxFile(opts.labelsFile, IDX_LABELS_MAGIC, remedy),
  ]);
  const [h, w] = opts.imageShape;
  if (images.dims[1] !== h || images.dims[2] !== w) {
    throw new DatasetError(
      'bad-dims',
      opts.imagesFile,
      `images are ${images.dims[1]}×${images.dims[2]}, expected ${h}×${w} for this dataset. Check that --data points at the right dataset.`,
    );
  }
  if (images.dims[0] !== labels.dims[0]) {
    throw new DatasetError(
      'count-mismatch',
      opts.imagesFile,
      `has ${fmtInt(images.dims[0])} images but ${opts.labelsFile} has ${fmtInt(labels.dims[0])} labels; the two files come from different copies. ${remedy.corrupt}`,
    );
  }
  for (let i = 0; i < labels.data.length; i++) {
    if (labels.data[i] >= numClasses) {
      throw new DatasetError(
        'bad-label',
        opts.labelsFile,
        `label ${labels.data[i]} at index ${fmtInt(i)} is outside 0..${numClasses - 1}. ${remedy.corrupt}`,
      );
    }
  }
  const count =
    opts.limit === undefined ? images.dims[0] : Math.min(images.dims[0], Math.max(0, Math.floor(opts.limit)));
  const per = h * w;
  // Copy only when limited, so the full file buffer can be freed; otherwise keep the view.
  const limited = count < images.dims[0];
  const pix = limited ? images.data.slice(0, count * per) : images.data;
  const lab = limited ? labels.data.slice(0, count) : labels.data;
  return new ImageSplit(pix, lab, [h, w, 1]);
}

/** The standard file names of MNIST and Fashion-MNIST, with or without .gz. */
export const IDX_FILE_NAMES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** `dir/base` or `dir/base.gz`, whichever exists (the plain file wins). */
export async function findIdxFile(dir: string, base: string, remedy: Remedy): Promise<string> {
  const candidates = [
    base,
    `${base}.gz`,
    base.replace(/-idx(\d)-ubyte$/, '.idx$1-ubyte'),
    base.replace(/-idx(\d)-ubyte$/, '.idx$1-ubyte') + '.gz',
  ];
  for (const name of candidates) {
    const st = await statOrNull(path.join(dir, name));
    if (st?.isFile()) return path.join(dir, name);
  }
  throw new DatasetError(
    'missing',
    path.join(dir, base),
    `not found (also tried ${candidates.slice(1).join(', ')}). ${remedy.missing}`,
  );
}

export interface IdxFolder {
  train: ImageSplit;
  test: ImageSplit;
  files: string[];
}

/** Load the four standard IDX files from one folder. */
export async function loadIdxFolder(
  dir: string,
  opts: { imageShape: ImageShape; limit?: { train?: number; test?: number }; remedy: Remedy },
): Promise<IdxFolder> {
  const st = await statOrNull(dir);
  if (!st?.isDirectory()) {
    throw new DatasetError('missing', dir, `${st ? 'is not a folder' : 'folder not found'}. ${opts.remedy.missing}`);
  }
  const n = IDX_FILE_NAMES;
  const [ti, tl, si, sl] = await Promise.all(
    [n.trainImages, n.trainLabels, n.testImages, n.testLabels].map((b) => findIdxFile(dir, b, opts.remedy)),
  );
  const common = { imageShape: opts.imageShape, remedy: opts.remedy };
  const train = await loadIdxPair({ ...common, imagesFile: ti, labelsFile: tl, limit: opts.limit?.train });
  const test = await loadIdxPair({ ...common, imagesFile: si, labelsFile: sl, limit: opts.limit?.test });
  return { train, test, files: [ti, tl, si, sl] };
}
