/**
 * Dataset loading for training and evaluation: one entry point over the three formats, plus the
 * split, batching, normalisation and augmentation helpers the trainer uses.
 */
import { loadCifar10 } from './cifar10.js';
import { loadFashionMnist } from './fashion-mnist.js';
import { loadMnist } from './mnist.js';
import { DATASET_NAMES, type Dataset, type LoadDatasetOptions } from './types.js';

export async function loadDataset(opts: LoadDatasetOptions): Promise<Dataset> {
  for (const [k, v] of Object.entries(opts.limit ?? {})) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) {
      throw new RangeError(`limit.${k} must be a non-negative integer number of images, got ${v}.`);
    }
  }
  switch (opts.name) {
    case 'mnist':
      return loadMnist({ path: opts.path, limit: opts.limit });
    case 'fashion-mnist':
      return loadFashionMnist({ path: opts.path, limit: opts.limit });
    case 'cifar10':
      return loadCifar10({ path: opts.path, limit: opts.limit, recordsPerBatch: opts.cifar10RecordsPerBatch });
    default:
      throw new RangeError(`unknown dataset '${String(opts.name)}'; choose one of ${DATASET_NAMES.join(', ')}.`);
  }
}

export * from './types.js';
export {
  mulberry32,
  deriveSeed,
  permutation,
  shuffleInPlace,
  randInt,
  streamSeed,
  SEED_STREAMS,
  type SeedStream,
} from './rng.js';
export { ImageSplit, splitValidation } from './split.js';
export { iterateBatches, epochOrder, numBatches, type BatchIteratorOptions, type IndexedBatch } from './batches.js';
export { u8ToFloat, channelStats, checkNormalization } from './normalize.js';
export { randomCropFlip } from './augment.js';
export {
  IDX_FILE_NAMES,
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  parseIdx,
  readIdxFile,
  loadIdxPair,
  loadIdxFolder,
  type IdxArray,
} from './idx.js';
export { loadMnist, mnistDataDir, MNIST_CLASS_NAMES } from './mnist.js';
export { loadFashionMnist, FASHION_MNIST_DEBIAN_DIR, FASHION_MNIST_CLASS_NAMES } from './fashion-mnist.js';
export {
  loadCifar10,
  resolveCifar10Source,
  defaultCifar10Dir,
  defaultDataRoot,
  CIFAR10_CLASS_NAMES,
  CIFAR10_ARCHIVE,
  CIFAR10_FOLDER,
  CIFAR10_TRAIN_FILES,
  CIFAR10_TEST_FILE,
  type LoadCifar10Options,
} from './cifar10.js';
export {
  downloadCifar10,
  verifyCifar10Archive,
  hashFile,
  CIFAR10_URL,
  CIFAR10_OFFICIAL_DIGEST,
  type ArchiveDigest,
  type DownloadCifar10Options,
  type DownloadProgress,
  type DownloadResult,
} from './cifar10-download.js';
