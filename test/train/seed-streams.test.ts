import { describe, expect, it } from 'vitest';
import { deriveSeed, SEED_STREAMS, streamSeed, type SeedStream } from '../../src/main/engine/data/rng.js';

describe('seed streams (one table, data/rng.ts)', () => {
  it('no two streams share a stream id', () => {
    const ranges = Object.entries(SEED_STREAMS)
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

  it('refuses an index outside the stream, naming the range', () => {
    expect(() => streamSeed(1, 'batchOrder', 1)).toThrow(/'batchOrder' has indices 0..0, got 1/);
    expect(() => streamSeed(1, 'initialWeights', 4000)).toThrow(/widen its range in SEED_STREAMS/);
    expect(() => streamSeed(1, 'augmentation', -1)).toThrow(RangeError);
  });
});
