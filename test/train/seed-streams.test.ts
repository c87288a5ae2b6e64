import { describe, expect, it } from 'vitest';
import { deriveSeed, SEED_STREAMS, streamSeed, type SeedStream } from '../../src/main/engine/data/rng.js';

describe('seed streams (one table, data/rng.ts)', () => {
  it('no two streams share a stream id', () => {
    const ranges = Object.entries(SEED_STREAMS)
      .filter(([, s]) => !('stride' in s)) // linear streams seed generators directly: their own id space
      .map(([name, s]) => ({ name, lo: s.base, hi: s.base + s.count - 1 }))
      .sort((a, b) => a.lo - b.lo);
    for (let i = 1; i < ranges.length; i++) {
      expect(ranges[i].lo, `${ranges[i - 1].name} overlaps ${ranges[i].name}`).toBeGreaterThan(ranges[i - 1].hi);
    }
  });

  it('keeps the stream ids stored runs were seeded with', () => {
    // The ids before the table existed (trainer.ts, init.ts, regularizer.ts): a recorded run must replay.
    const before: [SeedStream, number, number][] = [
      ['validationSplit', 0, 1],
      ['batchOrder', 0, 2],
      ['initialWeights', 3, 1003],
      ['regularizerVectors', 2, 5002],
      ['augmentation', 7, 100_007],
    ];
    for (const [name, index, id] of before) expect(streamSeed(42, name, index)).toBe(deriveSeed(42, id));
  });

  it('keeps the linear seeds recorded bound tables used', () => {
    // The offsets before the table existed (f4.ts, f4-host.ts, power-iteration.ts, cli/bounds.ts).
    const seed = 5;
    expect([0, 1, 2, 3].map((j) => streamSeed(seed, 'f4TensorVectors', j))).toEqual([20, 21, 22, 23]);
    expect(
      [0, 1, 2, 3].flatMap((j) => [
        streamSeed(seed, 'f4HostVectors', 2 * j),
        streamSeed(seed, 'f4HostVectors', 2 * j + 1),
      ]),
    ).toEqual([41, 42, 43, 44, 45, 46, 47, 48]);
    expect([streamSeed(seed, 'powerStartU'), streamSeed(seed, 'powerStartV')]).toEqual([5, 5 + 7919]);
    expect(streamSeed(seed, 'resnetStackKernels', 16)).toBe(5016);
    expect(() => streamSeed(seed, 'f4TensorVectors', 4)).toThrow(/'f4TensorVectors' has indices 0..3/);
  });

  it('refuses an index outside the stream, naming the range', () => {
    expect(() => streamSeed(1, 'batchOrder', 1)).toThrow(/'batchOrder' has indices 0..0, got 1/);
    expect(() => streamSeed(1, 'initialWeights', 4000)).toThrow(/widen its range in SEED_STREAMS/);
    expect(() => streamSeed(1, 'augmentation', -1)).toThrow(RangeError);
  });
});
