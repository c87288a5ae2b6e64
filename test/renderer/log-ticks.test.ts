/** Log-axis tick labels (components/chart/log-ticks.ts): never closer than the gap asked for, decades first, readable. */
import { describe, expect, it } from 'vitest';
import { fmtLogTick, logTickLabels } from '../../src/renderer/src/components/chart/log-ticks.js';

/** Chart.js's log ticks: every 1..9 × 10^k from min to max. */
function chartJsTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let k = lo; k < hi; k++) for (let m = 1; m <= 9; m++) out.push(Number((m * 10 ** k).toPrecision(3)));
  out.push(10 ** hi);
  return out;
}

const px = (v: number, min: number, max: number, pixels: number) =>
  ((Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))) * pixels;

describe('log-axis tick labels', () => {
  it('keeps labels at least the gap apart over seven decades in 200 px, one per decade', () => {
    const ticks = chartJsTicks(1, 7);
    const keep = logTickLabels(ticks, 10, 1e7, 200, 18);
    const kept = [...keep].map((i) => ticks[i]).sort((a, b) => a - b);
    expect(kept).toEqual([10, 100, 1e3, 1e4, 1e5, 1e6, 1e7]);
    const at = kept.map((v) => px(v, 10, 1e7, 200));
    for (let i = 1; i < at.length; i++) expect(at[i] - at[i - 1]).toBeGreaterThanOrEqual(18);
  });

  it('skips decades evenly when even those do not fit, and adds 5 and 2 when there is room', () => {
    const many = chartJsTicks(-3, 9);
    const sparse = [...logTickLabels(many, 1e-3, 1e9, 120, 18)].map((i) => many[i]).sort((a, b) => a - b);
    expect(sparse).toEqual([1e-3, 0.1, 10, 1e3, 1e5, 1e7, 1e9]);
    const two = chartJsTicks(0, 2);
    const roomy = [...logTickLabels(two, 1, 100, 300, 18)].map((i) => two[i]).sort((a, b) => a - b);
    expect(roomy).toEqual(expect.arrayContaining([1, 2, 5, 10, 20, 50, 100]));
  });

  it('labels the ticks of a range narrower than a decade', () => {
    const ticks = [3, 4, 5, 6, 7, 8];
    expect(logTickLabels(ticks, 3, 8, 200, 18).size).toBeGreaterThanOrEqual(4);
  });

  it('writes small and large values as powers of ten, the rest plainly', () => {
    expect(fmtLogTick(1e6)).toBe('10⁶');
    expect(fmtLogTick(5e6)).toBe('5×10⁶');
    expect(fmtLogTick(1e-5)).toBe('10⁻⁵');
    expect(fmtLogTick(500)).toBe('500');
    expect(fmtLogTick(0.02)).toBe('0.02');
    expect(fmtLogTick(2000)).toBe('2000');
  });
});
