/**
 * The statistics every experiment reports: runs grouped by arm (the seeds of one setting), mean ± sd
 * cells (the export's seed-table typography), and certified accuracy on an eps grid from the stored
 * per-point radii (certify-math.ts), so a curve is the whole curve, not the configured radii only.
 */
import { certifiedAccuracyAt, sortRadii, type CertificateName } from '../../shared/certify-math.js';
import { meanSd } from '../../shared/seed-groups.js';
import { FMT, num, rich, type Cell, type ChartSeries, type Column, type NumFmt } from '../report/index.js';
import { meanSdCell } from '../report/seed-table.js';
import type { RunOutcome } from './experiment.js';

export interface Arm {
  arm: string;
  runs: RunOutcome[];
}

/** Runs grouped by arm, in the order the plan first names each arm. */
export function byArm(outcomes: readonly RunOutcome[]): Arm[] {
  const arms = new Map<string, RunOutcome[]>();
  for (const o of outcomes) arms.set(o.arm, [...(arms.get(o.arm) ?? []), o]);
  return [...arms].map(([arm, runs]) => ({ arm, runs }));
}

export const right = (header: Column['header']): Column => ({ header, align: 'right' });

/** mean ± sd of a value of each run ("—" when no run recorded it). */
export function cell(
  runs: readonly RunOutcome[],
  value: (o: RunOutcome) => number | null | undefined,
  fmt: NumFmt = FMT.accuracy,
): Cell {
  return meanSdCell(
    runs.map((o) => value(o) ?? null),
    fmt,
  );
}

export const seedsCell = (runs: readonly RunOutcome[]): Cell => rich(runs.map((o) => o.seed).join(', '));

/** Certified accuracy of one run at eps from its last evaluation's radii (null if it stored none). */
export function certifiedAt(o: RunOutcome, certificate: CertificateName, eps: number): number | null {
  const radii = o.lastEval?.radii?.[certificate];
  if (!radii) return null;
  return certifiedAccuracyAt(sortRadii(radii), eps);
}

/** PGD robust accuracy at eps, when the run attacked at exactly that radius. */
export function pgdAt(o: RunOutcome, eps: number): number | null {
  return o.lastEval?.pgd?.find((p) => Math.abs(p.eps - eps) < 1e-12)?.acc ?? null;
}

/** Evenly spaced radii 0 .. max (inclusive), `count` points: the x axis of every certified-accuracy figure. */
export function epsGrid(max: number, count = 41): number[] {
  return Array.from({ length: count }, (_, i) => Number(((max * i) / (count - 1)).toPrecision(12)));
}

/** One arm's mean curve (and mean ± sd as two thin companions) of certified accuracy over the grid. */
export function meanCurve(
  arm: Arm,
  certificate: CertificateName,
  grid: readonly number[],
  label: string,
): ChartSeries[] {
  const stats = grid.map((e) => meanSd(arm.runs.map((o) => certifiedAt(o, certificate, e))));
  if (stats.every((s) => s === null)) return [];
  const y = stats.map((s) => s?.mean ?? Number.NaN);
  const series: ChartSeries[] = [{ name: label, x: [...grid], y, markers: false }];
  if (arm.runs.length > 1) {
    series.push({
      name: `${label} + sd`,
      x: [...grid],
      y: stats.map((s) => (s ? Math.min(1, s.mean + s.sd) : Number.NaN)),
      dash: '1 3',
      markers: false,
    });
    series.push({
      name: `${label} − sd`,
      x: [...grid],
      y: stats.map((s) => (s ? Math.max(0, s.mean - s.sd) : Number.NaN)),
      dash: '1 3',
      markers: false,
    });
  }
  return series;
}

/** Colour the mean and band series of arm k alike (the chart otherwise colours by position). */
export function colourByArm(series: ChartSeries[][], palette: readonly string[]): ChartSeries[] {
  return series.flatMap((group, k) => group.map((s) => ({ ...s, color: palette[k % palette.length] })));
}

/** The difference of two arms' means at a value, for findings: "+12.3 points". */
export function meanOf(
  runs: readonly RunOutcome[],
  value: (o: RunOutcome) => number | null | undefined,
): number | null {
  return meanSd(runs.map((o) => value(o) ?? null))?.mean ?? null;
}

export function points(x: number | null): string {
  return x === null ? 'not measured' : `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)} points`;
}

export function pctText(x: number | null): string {
  return x === null ? '—' : `${(x * 100).toFixed(1)}%`;
}

export { num, FMT };
