/**
 * Compare at the scale of a sweep (issue 15): colours that never repeat within a chart, zoom reads sized
 * to the pixels drawn, runs grouped by the swept keys or by seed.
 */
import { describe, expect, it } from 'vitest';
import { distinctColors, oklchToHex, withDistinctColors } from '../../src/renderer/src/lib/series-colors.js';
import {
  OVERVIEW_BUDGET,
  overviewBudget,
  pointBudget,
  POINT_BUDGET_RANGE,
  type PlotSeries,
} from '../../src/renderer/src/lib/plot.js';
import { compareGroups, defaultGrouping, groupByKeys, varyingKeys } from '../../src/renderer/src/lib/compare-groups.js';

/** #rrggbb to OKLab, to measure how far apart two colours look. */
function oklab(hex: string): [number, number, number] {
  const lin = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const [r, g, b] = lin;
  const l = Math.cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b);
  const m = Math.cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b);
  const s = Math.cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b);
  return [
    0.2104542553 * l + 0.793617785 * m - 0.0040720468 * s,
    1.9779984951 * l - 2.428592205 * m + 0.4505937099 * s,
    0.0259040371 * l + 0.7827717662 * m - 0.808675766 * s,
  ];
}
const distance = (a: string, b: string) => Math.hypot(...oklab(a).map((v, i) => v - oklab(b)[i]));

describe('distinct colours', () => {
  it('converts OKLCH to sRGB (white, black, the sRGB red)', () => {
    expect(oklchToHex(1, 0, 0)).toBe('#ffffff');
    expect(oklchToHex(0, 0, 0)).toBe('#000000');
    expect(oklchToHex(0.62796, 0.25768, 29.234)).toBe('#ff0000');
  });

  it('never repeats a colour, up to a thousand series', () => {
    for (const n of [1, 2, 9, 25, 150, 303, 1000]) {
      const c = distinctColors(n);
      expect(c).toHaveLength(n);
      expect(c.every((x) => /^#[0-9a-f]{6}$/.test(x))).toBe(true);
      expect(new Set(c).size).toBe(n);
    }
  });

  it('keeps a chart of a sweep readable: neighbours differ clearly, and every pair of 24 is told apart', () => {
    const c = distinctColors(150);
    for (let i = 1; i < c.length; i++) expect(distance(c[i - 1], c[i])).toBeGreaterThan(0.07);
    const few = distinctColors(24);
    let min = Infinity;
    for (let i = 0; i < few.length; i++)
      for (let j = i + 1; j < few.length; j++) min = Math.min(min, distance(few[i], few[j]));
    expect(min).toBeGreaterThan(0.03);
  });

  it('keeps the palette while it suffices, then gives every slot its own colour; fixed (method) colours stay', () => {
    const s = (i: number, extra: Partial<PlotSeries> = {}): PlotSeries => ({
      id: `s${i}`,
      label: `s${i}`,
      x: [0],
      y: [i],
      colorIndex: i,
      ...extra,
    });
    const few = [s(0), s(1), s(2)];
    expect(withDistinctColors(few, 8)).toBe(few);
    const many = [
      ...Array.from({ length: 20 }, (_, i) => s(i)),
      s(3, { id: 'pgd-3', dashed: true }),
      s(99, { id: 'method', color: '#009e73' }),
    ];
    const out = withDistinctColors(many, 8);
    const lines = out.slice(0, 20).map((x) => x.color);
    expect(new Set(lines).size).toBe(20);
    expect(out[20].color).toBe(out[3].color); // a run's PGD curve shares its line's colour
    expect(out[21].color).toBe('#009e73');
    expect(lines).not.toContain('#009e73');
  });
});

describe('point budget', () => {
  it('is the drawn width in device pixels, the ratio capped at 2, within its range', () => {
    expect(pointBudget(640, 1)).toBe(640);
    expect(pointBudget(640, 1.5)).toBe(960);
    expect(pointBudget(640, 3)).toBe(1280);
    expect(pointBudget(10, 1)).toBe(POINT_BUDGET_RANGE[0]);
    expect(pointBudget(20_000, 2)).toBe(POINT_BUDGET_RANGE[1]);
    expect(pointBudget(Number.NaN, Number.NaN)).toBe(POINT_BUDGET_RANGE[0]);
    expect(pointBudget(500, 0)).toBe(500);
  });
});

describe('overview budget', () => {
  it('loads 2,000 points per run for a few runs and shares 200,000 out among many, never under 500', () => {
    expect(overviewBudget(1)).toBe(OVERVIEW_BUDGET);
    expect(overviewBudget(100)).toBe(2000);
    expect(overviewBudget(150)).toBe(1333);
    expect(overviewBudget(300)).toBe(666);
    expect(overviewBudget(2000)).toBe(500);
    expect(overviewBudget(0)).toBe(2000);
  });
});

describe('grouping', () => {
  const sweep = (betas: number[], lrs: number[], seeds: number[]) =>
    betas.flatMap((beta) =>
      lrs.flatMap((lr) =>
        seeds.map((seed) => ({
          id: `b${beta}-l${lr}-s${seed}`,
          name: `sweep-${beta}-${lr}-${seed}`,
          config: {
            name: `sweep-${beta}-${lr}-${seed}`,
            seed,
            regularizer: { kind: 'f4-min', beta },
            optimizer: { lr },
          },
        })),
      ),
    );

  it('finds the swept keys and groups by any of them', () => {
    const runs = sweep([0.01, 0.1, 1], [0.05, 0.1], [0, 1, 2]);
    expect(varyingKeys(runs)).toEqual(['optimizer.lr', 'regularizer.beta']);
    const byBeta = groupByKeys(runs, ['regularizer.beta']);
    expect(byBeta.map((g) => g.label)).toEqual(['β=0.01 (6 runs)', 'β=0.1 (6 runs)', 'β=1 (6 runs)']);
    expect(byBeta[1].runIds).toEqual(runs.filter((r) => r.config.regularizer.beta === 0.1).map((r) => r.id));
    expect(byBeta[1].seeds).toEqual([0, 1, 2, 0, 1, 2]);
    const both = groupByKeys(runs, ['regularizer.beta', 'optimizer.lr']);
    expect(both).toHaveLength(6);
    expect(both[0].label).toBe('β=0.01 · lr=0.05 (3 runs)');
  });

  it('draws seed groups, groups by key, or every run', () => {
    const runs = sweep([0.01, 0.1], [0.05], [0, 1]);
    expect(compareGroups(runs, 'seeds')?.map((g) => g.runIds.length)).toEqual([2, 2]);
    expect(compareGroups(runs, 'runs')).toBeNull();
    expect(compareGroups(runs, ['regularizer.beta'])).toHaveLength(2);
    // No repeats: seed grouping draws every run.
    expect(compareGroups(sweep([0.01, 0.1], [0.05], [0]), 'seeds')).toBeNull();
  });

  it('opens a sweep of many runs grouped, a few runs each on its own line', () => {
    expect(defaultGrouping(sweep([0.01, 0.1], [0.05], [0]))).toBe('runs');
    expect(defaultGrouping(sweep([0.01, 0.1], [0.05], [0, 1]))).toBe('seeds');
    expect(defaultGrouping(sweep([0.01, 0.1, 1], [0.05, 0.1], [0, 1, 2, 3, 4]))).toBe('seeds');
    // Many runs, one seed each: grouped by the first swept key.
    expect(defaultGrouping(sweep([0.01, 0.1, 1, 10], [0.01, 0.02, 0.05, 0.1, 0.2], [0]))).toEqual(['optimizer.lr']);
  });
});
