import { describe, expect, it } from 'vitest';
import {
  ImageSplit,
  channelStats,
  epochOrder,
  iterateBatches,
  mulberry32,
  numBatches,
  splitValidation,
  u8ToFloat,
} from '../../src/main/engine/data/index.js';
import { bytes } from './fixtures/writers.js';

function makeSplit(n: number, shape: [number, number, number] = [4, 4, 3], seed = 5): ImageSplit {
  return new ImageSplit(bytes(n * shape[0] * shape[1] * shape[2], seed), bytes(n, seed + 1, 10), shape);
}

/** Identify each image by its pixel bytes, to check partitions by content rather than by index. */
function keys(s: { imagesU8: Uint8Array; count: number }): string[] {
  const per = s.imagesU8.length / s.count;
  return Array.from({ length: s.count }, (_, i) =>
    Buffer.from(s.imagesU8.subarray(i * per, (i + 1) * per)).toString('hex'),
  );
}

describe('splitValidation', () => {
  it('holds out exactly `count` images, disjoint from train, covering the split', () => {
    const s = makeSplit(200);
    const { train, validation } = splitValidation(s, 50, 1);
    expect(validation.count).toBe(50);
    expect(train.count).toBe(150);
    const all = new Set(keys(s));
    const v = keys(validation);
    const t = keys(train);
    expect(new Set([...v, ...t])).toEqual(all);
    expect(v.filter((k) => t.includes(k))).toEqual([]);
    // Labels travel with their images.
    const labelOf = new Map(keys(s).map((k, i) => [k, s.labels[i]]));
    v.forEach((k, i) => expect(validation.labels[i]).toBe(labelOf.get(k)));
  });

  it('is deterministic in the seed and differs across seeds', () => {
    const s = makeSplit(300);
    const a = splitValidation(s, 40, 7);
    const b = splitValidation(s, 40, 7);
    const c = splitValidation(s, 40, 8);
    expect(keys(a.validation)).toEqual(keys(b.validation));
    expect(Array.from(a.train.labels)).toEqual(Array.from(b.train.labels));
    expect(keys(a.validation)).not.toEqual(keys(c.validation));
  });

  it('refuses impossible hold-out sizes with a clear message', () => {
    const s = makeSplit(10);
    expect(() => splitValidation(s, 10, 1)).toThrow(/cannot hold out 10 of 10/);
    expect(() => splitValidation(s, -1, 1)).toThrow(/choose 0 <= count < 10/);
  });
});

describe('seeded batch iterator', () => {
  it('visits every image once per epoch, reproducibly, with a new order each epoch', () => {
    const s = makeSplit(23);
    const run = (epoch: number) => [...iterateBatches(s, { batchSize: 5, seed: 3, epoch })];
    const e0 = run(0);
    expect(e0.map((b) => b.y.length)).toEqual([5, 5, 5, 5, 3]);
    expect(numBatches(23, 5)).toBe(5);
    const seen = e0.flatMap((b) => Array.from(b.indices)).sort((x, y) => x - y);
    expect(seen).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(run(0).map((b) => Array.from(b.indices))).toEqual(e0.map((b) => Array.from(b.indices)));
    expect(Array.from(epochOrder(23, 3, 1))).not.toEqual(Array.from(epochOrder(23, 3, 0)));
    // x and y correspond to the indices.
    const b = e0[1];
    expect(b.shape).toEqual([5, 4, 4, 3]);
    expect(b.x[48 * 2 + 7]).toBeCloseTo(s.imagesU8[b.indices[2] * 48 + 7] / 255, 7);
    expect(b.y[3]).toBe(s.labels[b.indices[3]]);
  });

  it('supports stored order and dropLast', () => {
    const s = makeSplit(11);
    const bs = [...iterateBatches(s, { batchSize: 4, seed: 0, shuffle: false, dropLast: true })];
    expect(bs.map((b) => Array.from(b.indices))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    expect(() => iterateBatches(s, { batchSize: 0, seed: 0 }).next()).toThrow(/batchSize/);
  });
});

describe('normalisation', () => {
  it('channelStats gives per-channel mean/std in [0,1] scale, and normalised batches are standardised', () => {
    // Channel 0 constant 51 (0.2), channel 1 alternates 0/255 (mean 0.5, std 0.5), channel 2 random.
    const n = 64;
    const px = new Uint8Array(n * 2 * 2 * 3);
    const rnd = bytes(n * 4, 9);
    for (let p = 0; p < n * 4; p++) {
      px[p * 3] = 51;
      px[p * 3 + 1] = p % 2 ? 255 : 0;
      px[p * 3 + 2] = rnd[p];
    }
    const s = new ImageSplit(px, new Uint8Array(n), [2, 2, 3]);
    const st = channelStats(s);
    expect(st.mean[0]).toBeCloseTo(0.2, 12);
    expect(st.std[0]).toBeCloseTo(0, 6);
    expect(st.mean[1]).toBeCloseTo(0.5, 12);
    expect(st.std[1]).toBeCloseTo(0.5, 12);
    let m = 0;
    for (let p = 0; p < n * 4; p++) m += rnd[p] / 255;
    expect(st.mean[2]).toBeCloseTo(m / (n * 4), 12);

    const norm = { mean: [0.2, st.mean[1], st.mean[2]], std: [1, st.std[1], st.std[2]] };
    const x = s.batch(
      Array.from({ length: n }, (_, i) => i),
      { normalize: norm },
    ).x;
    let s1 = 0;
    let s2 = 0;
    for (let p = 0; p < n * 4; p++) {
      s1 += x[p * 3 + 2];
      s2 += x[p * 3 + 2] ** 2;
      expect(x[p * 3]).toBeCloseTo(0, 6);
    }
    expect(s1 / (n * 4)).toBeCloseTo(0, 5);
    expect(s2 / (n * 4)).toBeCloseTo(1, 5);
    expect(() => u8ToFloat(px, 3, { mean: [0], std: [1] })).toThrow(/3 channels/);
    expect(() => u8ToFloat(px, 3, { mean: [0, 0, 0], std: [1, 0, 1] })).toThrow(/std must be > 0/);
  });

  it('the float view scales to [0,1] and is cached', () => {
    const s = makeSplit(3);
    expect(s.images).toBe(s.images);
    expect(s.images[10]).toBeCloseTo(s.imagesU8[10] / 255, 7);
    expect(() => s.batch([3])).toThrow(/outside this split/);
    expect(() => new ImageSplit(new Uint8Array(5), new Uint8Array(1), [2, 2, 1])).toThrow(/do not make 1 images/);
  });

  it('mulberry32 is deterministic and roughly uniform', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 2000 }, () => a());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    const mean = xs.reduce((p, q) => p + q, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });
});
