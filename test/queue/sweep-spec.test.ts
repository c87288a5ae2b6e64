/** Sweep files: grid and random expansion, and every kind of bad input refused with all problems listed. */
import { describe, expect, it } from 'vitest';
import { expandSweep, SweepError } from '../../src/shared/sweep.js';

const base = {
  dataset: { name: 'mnist', limitTrain: 600, validationSize: 100 },
  model: { arch: 'lip-cnn' },
  maxSteps: 4,
};

function problemsOf(input: unknown): string[] {
  try {
    expandSweep(input);
  } catch (err) {
    expect(err).toBeInstanceOf(SweepError);
    return (err as SweepError).problems;
  }
  throw new Error('expected the sweep to be refused');
}

describe('expandSweep', () => {
  it('expands a grid into the cartesian product, last key fastest, every config validated and named', () => {
    const s = expandSweep({ name: 'wd', base, grid: { 'optimizer.weightDecay': [1e-4, 1e-3], seed: [0, 1, 2] } });
    expect(s.keys).toEqual(['optimizer.weightDecay', 'seed']);
    expect(s.items.map((i) => [i.config.optimizer.weightDecay, i.config.seed])).toEqual([
      [1e-4, 0],
      [1e-4, 1],
      [1e-4, 2],
      [1e-3, 0],
      [1e-3, 1],
      [1e-3, 2],
    ]);
    expect(s.items[4].label).toBe('weightDecay=0.001, seed=1');
    expect(s.items[4].config.name).toBe('wd · weightDecay=0.001, seed=1');
    expect(s.items[0].config.dataset.limitTrain).toBe(600); // the base is kept
  });

  it('draws random values reproducibly inside the range (log-uniform when asked), count per grid point', () => {
    const spec = {
      name: 'r',
      base,
      grid: { seed: [0, 1] },
      random: { count: 5, 'regularizer.beta': { min: 1e-3, max: 1, log: true } },
      randomSeed: 7,
    };
    const a = expandSweep({ ...spec, base: { ...base, regularizer: { kind: 'f4-min' } } });
    const b = expandSweep({ ...spec, base: { ...base, regularizer: { kind: 'f4-min' } } });
    expect(a.items).toHaveLength(10);
    const betas = a.items.map((i) => i.config.regularizer.beta);
    expect(betas).toEqual(b.items.map((i) => i.config.regularizer.beta));
    for (const x of betas) {
      expect(x).toBeGreaterThanOrEqual(1e-3);
      expect(x).toBeLessThanOrEqual(1);
    }
    expect(new Set(betas).size).toBe(10);
  });

  it('refuses an empty grid, empty value lists and unknown keys, naming the known fields', () => {
    expect(problemsOf({ name: 'x', base, grid: {} })[0]).toMatch(/grid is empty/);
    expect(problemsOf({ name: 'x', base, grid: { seed: [] } })[0]).toMatch(/grid "seed" has no values/);
    const p = problemsOf({ name: 'x', base, grid: { 'optimizer.learningRate': [0.1], lr: [1] } });
    expect(p[0]).toMatch(
      /unknown key "optimizer.learningRate": "optimizer" has no field "learningRate" \(known: kind, lr,/,
    );
    expect(p[1]).toMatch(/unknown key "lr": a run config has no field "lr"/);
    expect(problemsOf({ name: 'x', base, grid: { 'epochs.x': [1] } })[0]).toMatch(/"epochs" has no fields below it/);
  });

  it('refuses values the schema refuses, naming the run and the field', () => {
    const p = problemsOf({ name: 'x', base, grid: { 'optimizer.lr': [0.1, -1, 20] } });
    expect(p).toHaveLength(2);
    expect(p[0]).toMatch(/^run 2 \(lr=-1\): optimizer\.lr: /);
    expect(p[1]).toMatch(/^run 3 \(lr=20\): optimizer\.lr: /);
  });

  it('refuses a malformed file and bad random ranges', () => {
    expect(problemsOf({ base, grid: { seed: [1] } })[0]).toMatch(/^name: /);
    expect(problemsOf([1, 2])[0]).toMatch(/a sweep file is \{ "name"/);
    const p = problemsOf({ name: 'x', base, random: { 'optimizer.lr': { min: 0, max: 1, log: true } } });
    expect(p.join('\n')).toMatch(/log range needs min > 0/);
    expect(p.join('\n')).toMatch(/random needs "count"/);
    expect(
      problemsOf({
        name: 'x',
        base,
        grid: {
          seed: Array.from({ length: 100 }, (_, i) => i),
          'optimizer.lr': Array.from({ length: 60 }, (_, i) => (i + 1) / 100),
        },
      })[0],
    ).toMatch(/6000 runs, more than 5000/);
  });
});
