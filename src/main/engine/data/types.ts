/**
 * The data contract of the engine: what a loaded dataset looks like, whatever its on-disk format.
 * Images stay uint8 in memory (CIFAR-10 train as float32 would be 50,000 x 3,072 x 4 B = 600 MB);
 * floats are made per batch by `Split.batch`.
 */

export type DatasetName = 'mnist' | 'fashion-mnist' | 'cifar10';
export const DATASET_NAMES: readonly DatasetName[] = ['mnist', 'fashion-mnist', 'cifar10'] as const;

/** [height, width, channels] of one image; every image array in this module is NHWC. */
export type ImageShape = [number, number, number];

/** Per-channel statistics in the [0,1] pixel scale: x_norm = (x/255 - mean[c]) / std[c]. */
export interface Normalization {
  mean: number[];
  std: number[];
}

/** A deterministic source of uniform numbers in [0,1). */
export type Rng = () => number;

/** Random crop with zero padding + horizontal flip, the standard CIFAR-10 augmentation. */
export interface AugmentOptions {
  rng: Rng;
  /** Zero padding on each side before the random crop; 4 for CIFAR-10. 0 disables cropping. */
  pad?: number;
  /** Flip each image left-right with probability 1/2. */
  flip?: boolean;
}

export interface BatchOptions {
  normalize?: Normalization;
  augment?: AugmentOptions;
}

export interface Batch {
  /** NHWC float32, [0,1] (or normalised when `normalize` is given). */
  x: Float32Array;
  y: Uint8Array;
  /** [batch, h, w, c] */
  shape: [number, number, number, number];
}

export interface Split {
  readonly imageShape: ImageShape;
  readonly count: number;
  /** NHWC uint8 pixels, count*h*w*c. */
  readonly imagesU8: Uint8Array;
  /** Class ids 0..numClasses-1. */
  readonly labels: Uint8Array;
  /** All images as float32 in [0,1]; built on first access and cached (costly for CIFAR-10, prefer `batch`). */
  readonly images: Float32Array;
  /** The images at `indices` as float32, optionally augmented (on uint8, before scaling) and normalised. */
  batch(indices: ArrayLike<number>, opts?: BatchOptions): Batch;
  /** A new split holding copies of the images at `indices`, in that order. */
  subset(indices: ArrayLike<number>): Split;
}

export interface Dataset {
  name: DatasetName;
  imageShape: ImageShape;
  numClasses: number;
  classNames: string[];
  train: Split;
  test: Split;
  /** Where the data was read from (folder, archive or package path), for run records. */
  source: string;
}

export interface SplitLimit {
  train?: number;
  test?: number;
}

export interface LoadDatasetOptions {
  name: DatasetName;
  /** Folder (any dataset) or, for CIFAR-10, the cifar-10-binary.tar.gz archive. Defaults per dataset. */
  path?: string;
  /** Keep only the first N images of each split (fast experiments and tests). */
  limit?: SplitLimit;
  /** Records expected in each CIFAR-10 batch file; 10,000 for the official data (smaller in tests). */
  cifar10RecordsPerBatch?: number;
}

export type DatasetErrorCode =
  | 'missing' // a file or folder is not there
  | 'bad-magic' // not the format we expect (IDX magic, gzip header, tar header)
  | 'bad-dims' // header dimensions differ from the dataset's
  | 'truncated' // fewer bytes than the header promises
  | 'oversized' // more bytes than the header promises
  | 'bad-label' // a label outside 0..9
  | 'count-mismatch' // images and labels disagree
  | 'bad-archive' // the archive is not the CIFAR-10 binary version
  | 'checksum' // download/archive digest differs from the official one
  | 'network' // download could not reach the server or was cut off
  | 'io'; // local disk problem while writing (e.g. disk full)

/** Every loader error names the file, what is wrong with it, and what to do next. */
export class DatasetError extends Error {
  constructor(
    readonly code: DatasetErrorCode,
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'DatasetError';
  }
}

/** Bytes with thousands separators, as the error messages quote file sizes. */
export function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}
