/** Sweep results: the Pareto front of two maximised metrics, seed groups with mean ± sd, axes over config keys. */
import { describe, expect, it } from 'vitest';
import {
  axisValue,
  numericLeaves,
  paretoFront,
  seedGroupsOf,
  type SweepPoint,
} from '../../src/shared/sweep-results.js';

describe('paretoFront', () => {
  it('keeps the points no other point beats in both, sorted by x; missing values are never on it', () => {
    const xy: [number | null, number | null][] = [
      [0.9, 0.1],
      [0.8, 0.3],
      [0.85, 0.2],
      [0.7, 0.25],
      [0.6, 0.4],
      [0.95, null],
      [0.8, 0.3],
    ];
    // (0.7, 0.25) is beaten by (0.8, 0.3); the duplicate (0.8, 0.3) is not strictly better: one of them is kept.
    expect(paretoFront(xy).map((i) => xy[i])).toEqual([
      [0.6, 0.4],
      [0.8, 0.3],
      [0.85, 0.2],
      [0.9, 0.1],
    ]);
    expect(paretoFront([])).toEqual([]);
  });
});

function point(id: string, beta: number, seed: number, acc: number): SweepPoint {
  const config = { name: id, regularizer: { kind: 'f4-min', beta }, seed, dataset: { augment: false } };
  return {
    runId: id,
    name: id,
    status: 'completed',
    item: 0,
    attempt: 1,
    assignment: { 'regularizer.beta': beta, seed },
    params: numericLeaves(config),
    metrics: { 'test accuracy': acc },
    config,
  };
}

describe('seed groups and axes', () => {
  it('groups points that differ only by seed and gives mean ± sd of any axis', () => {
    const pts = [point('a', 0.1, 0, 0.9), point('b', 0.1, 1, 0.8), point('c', 1, 0, 0.5)];
    const groups = seedGroupsOf(pts);
    expect(groups.map((g) => g.runIds)).toEqual([['a', 'b'], ['c']]);
    expect(groups[0].stat('test accuracy')).toEqual({
      mean: expect.closeTo(0.85, 12),
      sd: expect.closeTo(0.05, 12),
      n: 2,
    });
    expect(groups[0].stat('regularizer.beta')).toMatchObject({ mean: 0.1, sd: 0 });
    expect(groups[1].stat('missing')).toBeNull();
  });

  it('reads metrics first, then numeric config leaves (booleans as 0/1)', () => {
    const p = point('a', 0.1, 3, 0.9);
    expect(axisValue(p, 'test accuracy')).toBe(0.9);
    expect(axisValue(p, 'seed')).toBe(3);
    expect(axisValue(p, 'dataset.augment')).toBe(0);
    expect(axisValue(p, 'regularizer.kind')).toBeNull();
  });
});
