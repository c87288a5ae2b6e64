import { describe, expect, it } from 'vitest';
import { ImageSplit, mulberry32, randomCropFlip } from '../../src/main/engine/data/index.js';
import type { ImageShape } from '../../src/main/engine/data/index.js';
import { bytes } from './fixtures/writers.js';

const SHAPE: ImageShape = [6, 5, 3];
const at = (a: ArrayLike<number>, img: number, y: number, x: number, c: number) =>
  a[((img * SHAPE[0] + y) * SHAPE[1] + x) * SHAPE[2] + c];

/** An rng replaying fixed draws, to force a crop offset and the flip coin. */
function scripted(values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

describe('CIFAR augmentation (random crop with zero padding + horizontal flip)', () => {
  const n = 4;
  const src = bytes(n * 6 * 5 * 3, 21, 255).map((v) => v + 1); // 1..255: a padded zero is recognisable

  it('flip alone reverses the columns of every image and keeps the shape', () => {
    const out = randomCropFlip(src, n, SHAPE, { rng: () => 0, pad: 0, flip: true });
    expect(out).toBeInstanceOf(Uint8Array);
    expect(out.length).toBe(src.length);
    for (let i = 0; i < n; i++)
      for (let y = 0; y < 6; y++)
        for (let x = 0; x < 5; x++)
          for (let c = 0; c < 3; c++) expect(at(out, i, y, x, c)).toBe(at(src, i, y, 4 - x, c));
    const none = randomCropFlip(src, n, SHAPE, { rng: () => 0.99, pad: 0, flip: true });
    expect(Array.from(none)).toEqual(Array.from(src));
  });

  it('a crop offset shifts the image and fills the padding with zeros', () => {
    // pad 2: draws map to offsets randInt(5) - 2; 0.99 -> +2 rows, 0.0 -> -2 cols; then no flip.
    const out = randomCropFlip(src.subarray(0, 90), 1, SHAPE, { rng: scripted([0.99, 0.0, 0.9]), pad: 2, flip: true });
    for (let y = 0; y < 6; y++) {
      for (let x = 0; x < 5; x++) {
        const sy = y + 2;
        const sx = x - 2;
        const inside = sy < 6 && sx >= 0;
        for (let c = 0; c < 3; c++) expect(at(out, 0, y, x, c)).toBe(inside ? at(src, 0, sy, sx, c) : 0);
      }
    }
  });

  it('crop then flip composes as out[y][x] = img[y+oy][w-1-x+ox]', () => {
    const out = randomCropFlip(src.subarray(0, 90), 1, SHAPE, { rng: scripted([0.0, 0.99, 0.1]), pad: 1, flip: true });
    // offsets: randInt(3)-1 -> -1 rows, +1 cols; flipped.
    for (let y = 0; y < 6; y++) {
      for (let x = 0; x < 5; x++) {
        const sy = y - 1;
        const sx = 5 - 1 - x + 1;
        const inside = sy >= 0 && sx < 5;
        expect(at(out, 0, y, x, 1)).toBe(inside ? at(src, 0, sy, sx, 1) : 0);
      }
    }
  });

  it('is deterministic in the seed, varies across seeds, and only ever outputs source pixels or padded zeros', () => {
    const a = randomCropFlip(src, n, SHAPE, { rng: mulberry32(1) });
    const b = randomCropFlip(src, n, SHAPE, { rng: mulberry32(1) });
    const c = randomCropFlip(src, n, SHAPE, { rng: mulberry32(2) });
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    // Every output value is either a source value of the same image and channel or a padded zero.
    for (let i = 0; i < n; i++) {
      const pool = new Set<number>();
      for (let y = 0; y < 6; y++) for (let x = 0; x < 5; x++) pool.add(at(src, i, y, x, 0));
      for (let y = 0; y < 6; y++)
        for (let x = 0; x < 5; x++) {
          const v = at(a, i, y, x, 0);
          expect(v === 0 || pool.has(v)).toBe(true);
        }
    }
  });

  it('works on float batches and through Split.batch (augment before scaling)', () => {
    const f = Float32Array.from(src, (v) => v / 255);
    const out = randomCropFlip(f, n, SHAPE, { rng: () => 0, pad: 0 });
    expect(out).toBeInstanceOf(Float32Array);
    expect(out[0]).toBeCloseTo(at(src, 0, 0, 4, 0) / 255, 7);
    const split = new ImageSplit(src, new Uint8Array(n), SHAPE);
    const b1 = split.batch([2, 0], { augment: { rng: mulberry32(5) } });
    const b2 = split.batch([2, 0], { augment: { rng: mulberry32(5) } });
    expect(b1.shape).toEqual([2, 6, 5, 3]);
    expect(Array.from(b1.x)).toEqual(Array.from(b2.x));
    expect(() => randomCropFlip(src, n + 1, SHAPE, { rng: () => 0 })).toThrow(/expected 5 x 6x5x3/);
    expect(() => randomCropFlip(src, n, SHAPE, { rng: () => 0, pad: 5 })).toThrow(/pad must be/);
  });

  it('is fast enough for CIFAR-sized batches', () => {
    const big = bytes(256 * 32 * 32 * 3, 3);
    const t = performance.now();
    for (let k = 0; k < 10; k++) randomCropFlip(big, 256, [32, 32, 3], { rng: mulberry32(k) });
    expect((performance.now() - t) / 10).toBeLessThan(200); // ms per 256-image batch (~25 ms measured; generous for a loaded 2-core box)
  });
});
