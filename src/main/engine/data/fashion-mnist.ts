/**
 * Fashion-MNIST (Xiao et al. 2017): MNIST's format and sizes, clothing classes. The Debian package
 * dataset-fashion-mnist installs the four .gz IDX files in /usr/share/datasets/fashion-mnist.
 */
import { loadIdxFolder } from './idx.js';
import type { Remedy } from './files.js';
import type { Dataset, SplitLimit } from './types.js';

export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

export const FASHION_MNIST_CLASS_NAMES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

const FASHION_REMEDY: Remedy = {
  missing:
    'Install it with `sudo apt-get install dataset-fashion-mnist` (files go to /usr/share/datasets/fashion-mnist) or point --data at a folder with the four files from github.com/zalandoresearch/fashion-mnist (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz).',
  corrupt:
    'Reinstall the package (`sudo apt-get install --reinstall dataset-fashion-mnist`) or point --data at a complete copy.',
};

export async function loadFashionMnist(opts: { path?: string; limit?: SplitLimit } = {}): Promise<Dataset> {
  const dir = opts.path ?? FASHION_MNIST_DEBIAN_DIR;
  const { train, test } = await loadIdxFolder(dir, {
    imageShape: [28, 28, 1],
    limit: opts.limit,
    remedy: FASHION_REMEDY,
  });
  return {
    name: 'fashion-mnist',
    imageShape: [28, 28, 1],
    numClasses: FASHION_MNIST_CLASS_NAMES.length,
    classNames: [...FASHION_MNIST_CLASS_NAMES],
    train,
    test,
    source: dir,
  };
}
