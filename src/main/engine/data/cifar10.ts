/**
 * CIFAR-10, binary version (Krizhevsky 2009): data_batch_1..5.bin and test_batch.bin, each 10,000
 * records of 1 label byte + 3,072 pixel bytes (1,024 R, then G, then B, row-major 32x32). Read from
 * the extracted cifar-10-batches-bin/ folder or straight from cifar-10-binary.tar.gz.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { statOrNull } from './files.js';
import { ImageSplit } from './split.js';
import { readTarArchive } from './tar.js';
import { DatasetError, fmtInt, type Dataset, type SplitLimit } from './types.js';
import { settings } from '../../settings.js';

export const CIFAR10_CLASS_NAMES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];
export const CIFAR10_TRAIN_FILES = [
  'data_batch_1.bin',
  'data_batch_2.bin',
  'data_batch_3.bin',
  'data_batch_4.bin',
  'data_batch_5.bin',
];
export const CIFAR10_TEST_FILE = 'test_batch.bin';
export const CIFAR10_FOLDER = 'cifar-10-batches-bin';
export const CIFAR10_ARCHIVE = 'cifar-10-binary.tar.gz';
export const CIFAR10_RECORDS_PER_BATCH = 10_000;
const PIXELS = 32 * 32;
export const CIFAR10_RECORD_BYTES = 1 + 3 * PIXELS;

const OBTAIN = `Download ${CIFAR10_ARCHIVE} (the binary version) from https://www.cs.toronto.edu/~kriz/cifar.html and pass it with 'spectral-lab train --data PATH' or dataset.path in the run config (the archive or its extracted ${CIFAR10_FOLDER}/ folder).`;
const CORRUPT = `Re-extract ${CIFAR10_ARCHIVE} or re-download it (md5 c32a1d4ab5d03f1284b67883e8d87530), then pass it with 'spectral-lab train --data PATH' or dataset.path in the run config.`;

/** Root for downloaded datasets: $SPECTRAL_LAB_DATA, else ~/.spectral-lab/datasets. */
export function defaultDataRoot(): string {
  return settings().dataDir;
}

/** Where `downloadCifar10` puts the archive by default and where `loadCifar10` looks without a path. */
export function defaultCifar10Dir(): string {
  return path.join(defaultDataRoot(), 'cifar10');
}

export type Cifar10Source = { kind: 'folder'; dir: string } | { kind: 'archive'; file: string };

/** A folder holding the .bin files, a parent of cifar-10-batches-bin/, a folder with the archive, or the archive. */
export async function resolveCifar10Source(p: string = defaultCifar10Dir()): Promise<Cifar10Source> {
  const st = await statOrNull(p);
  if (!st) throw new DatasetError('missing', p, `not found. ${OBTAIN}`);
  if (st.isFile()) return { kind: 'archive', file: p };
  if ((await statOrNull(path.join(p, CIFAR10_TRAIN_FILES[0])))?.isFile()) return { kind: 'folder', dir: p };
  if ((await statOrNull(path.join(p, CIFAR10_FOLDER)))?.isDirectory())
    return { kind: 'folder', dir: path.join(p, CIFAR10_FOLDER) };
  if ((await statOrNull(path.join(p, CIFAR10_ARCHIVE)))?.isFile())
    return { kind: 'archive', file: path.join(p, CIFAR10_ARCHIVE) };
  const py =
    (await statOrNull(path.join(p, 'data_batch_1'))) || (await statOrNull(path.join(p, 'cifar-10-batches-py')));
  const hint = py ? ' This looks like the Python (pickle) version; the binary version is needed.' : '';
  throw new DatasetError(
    'missing',
    p,
    `no CIFAR-10 here: expected ${CIFAR10_TRAIN_FILES[0]}, a ${CIFAR10_FOLDER}/ folder or ${CIFAR10_ARCHIVE}.${hint} ${OBTAIN}`,
  );
}

/** The batch format has no header: its size alone says whether it is complete. */
export function checkCifarBatchSize(bytes: number, file: string, expectedRecords: number): void {
  const expectedBytes = expectedRecords * CIFAR10_RECORD_BYTES;
  if (bytes !== expectedBytes) {
    const kind = bytes < expectedBytes ? 'truncated' : 'oversized';
    throw new DatasetError(
      kind,
      file,
      `${kind}: a CIFAR-10 batch holds ${fmtInt(expectedRecords)} records of ${fmtInt(CIFAR10_RECORD_BYTES)} bytes (${fmtInt(expectedBytes)} bytes) but the file has ${fmtInt(bytes)} bytes. ${CORRUPT}`,
    );
  }
}

/** Check a batch file's size and labels; returns its record count. */
export function checkCifarBatch(buf: Uint8Array, file: string, expectedRecords: number): number {
  checkCifarBatchSize(buf.length, file, expectedRecords);
  for (let r = 0; r < expectedRecords; r++) {
    const label = buf[r * CIFAR10_RECORD_BYTES];
    if (label > 9) {
      throw new DatasetError(
        'bad-label',
        file,
        `record ${fmtInt(r)} has label ${label}, outside 0..9 (is this CIFAR-100 or a corrupt file?). ${CORRUPT}`,
      );
    }
  }
  return expectedRecords;
}

/** Planar RGB records -> NHWC uint8 at image offset `at`. */
export function decodeCifarRecords(
  buf: Uint8Array,
  take: number,
  images: Uint8Array,
  labels: Uint8Array,
  at: number,
): void {
  for (let r = 0; r < take; r++) {
    const rec = r * CIFAR10_RECORD_BYTES;
    labels[at + r] = buf[rec];
    const dst = (at + r) * PIXELS * 3;
    for (let p = 0; p < PIXELS; p++) {
      images[dst + 3 * p] = buf[rec + 1 + p];
      images[dst + 3 * p + 1] = buf[rec + 1 + PIXELS + p];
      images[dst + 3 * p + 2] = buf[rec + 1 + 2 * PIXELS + p];
    }
  }
}

/** Decode the batches in order, keeping the first `limit` images. `read` yields one checked file. */
async function assembleSplit(
  names: string[],
  perBatch: number,
  limit: number | undefined,
  read: (name: string) => Promise<Uint8Array>,
): Promise<ImageSplit> {
  const total = names.length * perBatch;
  const count = limit === undefined ? total : Math.min(total, Math.max(0, Math.floor(limit)));
  const images = new Uint8Array(count * PIXELS * 3);
  const labels = new Uint8Array(count);
  for (let b = 0, at = 0; at < count; b++) {
    const buf = await read(names[b]);
    const take = Math.min(perBatch, count - at);
    decodeCifarRecords(buf, take, images, labels, at);
    at += take;
  }
  return new ImageSplit(images, labels, [32, 32, 3]);
}

async function loadFromFolder(
  dir: string,
  perBatch: number,
  limit?: SplitLimit,
): Promise<{ train: ImageSplit; test: ImageSplit }> {
  const all = [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE];
  // Every file is checked for presence and size up front, even those a limit will not read.
  for (const name of all) {
    const file = path.join(dir, name);
    const st = await statOrNull(file);
    if (!st?.isFile())
      throw new DatasetError('missing', file, `not found: the binary version has ${all.join(', ')}. ${CORRUPT}`);
    checkCifarBatchSize(st.size, file, perBatch);
  }
  const read = async (name: string): Promise<Uint8Array> => {
    const file = path.join(dir, name);
    const buf = await fs.readFile(file);
    checkCifarBatch(buf, file, perBatch);
    return buf;
  };
  const train = await assembleSplit(CIFAR10_TRAIN_FILES, perBatch, limit?.train, read);
  const test = await assembleSplit([CIFAR10_TEST_FILE], perBatch, limit?.test, read);
  return { train, test };
}

function describeWrongArchive(names: string[]): string {
  const joined = names.join('\n');
  if (/cifar-10-batches-py/.test(joined))
    return 'this is the Python version (cifar-10-python.tar.gz), not the binary version.';
  if (/cifar-10-batches-mat/.test(joined))
    return 'this is the MATLAB version (cifar-10-matlab.tar.gz), not the binary version.';
  if (/cifar-100/.test(joined)) return 'this is CIFAR-100, not CIFAR-10.';
  const shown = names.slice(0, 5).join(', ');
  return `it holds ${fmtInt(names.length)} entries (${shown}${names.length > 5 ? ', …' : ''}) but not the CIFAR-10 binary batches.`;
}

async function loadFromArchive(
  file: string,
  perBatch: number,
  limit?: SplitLimit,
): Promise<{ train: ImageSplit; test: ImageSplit }> {
  const all = new Set([...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE]);
  const { files, names } = await readTarArchive(file, (n) => all.has(path.posix.basename(n)), OBTAIN);
  const byBase = new Map<string, { entry: string; buf: Buffer }>();
  for (const [entry, buf] of files) {
    const base = path.posix.basename(entry);
    if (!byBase.has(base)) byBase.set(base, { entry, buf });
  }
  const absent = [...all].filter((n) => !byBase.has(n));
  if (absent.length === all.size)
    throw new DatasetError('bad-archive', file, `wrong archive: ${describeWrongArchive(names)} ${OBTAIN}`);
  if (absent.length > 0)
    throw new DatasetError('bad-archive', file, `incomplete archive: missing ${absent.join(', ')}. ${CORRUPT}`);
  const read = async (name: string): Promise<Uint8Array> => {
    const { entry, buf } = byBase.get(name)!;
    checkCifarBatch(buf, `${file}:${entry}`, perBatch);
    return buf;
  };
  // Check every batch (sizes and labels) before decoding, as for a folder.
  for (const name of all) await read(name);
  const train = await assembleSplit(CIFAR10_TRAIN_FILES, perBatch, limit?.train, read);
  const test = await assembleSplit([CIFAR10_TEST_FILE], perBatch, limit?.test, read);
  return { train, test };
}

export interface LoadCifar10Options {
  /** Folder or archive; default `defaultCifar10Dir()`. */
  path?: string;
  limit?: SplitLimit;
  /** 10,000 for the official files; tests use small batches. */
  recordsPerBatch?: number;
}

export async function loadCifar10(opts: LoadCifar10Options = {}): Promise<Dataset> {
  const perBatch = opts.recordsPerBatch ?? CIFAR10_RECORDS_PER_BATCH;
  if (!Number.isInteger(perBatch) || perBatch < 1)
    throw new RangeError(`recordsPerBatch must be a positive integer, got ${perBatch}.`);
  const src = await resolveCifar10Source(opts.path);
  const { train, test } =
    src.kind === 'folder'
      ? await loadFromFolder(src.dir, perBatch, opts.limit)
      : await loadFromArchive(src.file, perBatch, opts.limit);
  const source = src.kind === 'folder' ? src.dir : src.file;
  return {
    name: 'cifar10',
    imageShape: [32, 32, 3],
    numClasses: CIFAR10_CLASS_NAMES.length,
    classNames: [...CIFAR10_CLASS_NAMES],
    train,
    test,
    source,
  };
}
