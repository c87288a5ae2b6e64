/**
 * The seed-group table: runs that repeat one experiment with different seeds (src/shared/seed-groups.ts)
 * reported as mean ± sd of the summary table's numbers, one row per group, named by what its runs share.
 */
import { groupBySeed, meanSd } from '../../shared/seed-groups.js';
import type { ReportRun } from './data.js';
import { epsKey, FMT, formatEps, formatNumber, type NumFmt } from './format.js';
import { certEpsilons, runRow, type RunRow } from './model.js';
import { num, rich, type Cell, type Column, type Table } from './table.js';

/** "91.3 ± 0.4" in each format's typography; a lone value without "± 0"; — when nothing was recorded. */
export function meanSdCell(values: readonly (number | null)[], fmt: NumFmt): Cell {
  const s = meanSd(values);
  if (!s) return num(null, fmt);
  if (s.n === 1) return num(s.mean, fmt);
  const f = (v: number, t: 'text' | 'latex' | 'html') => formatNumber(v, fmt, t);
  return rich(
    `${f(s.mean, 'text')} ± ${f(s.sd, 'text')}`,
    `${f(s.mean, 'latex')} $\\pm$ ${f(s.sd, 'latex')}`,
    `${f(s.mean, 'html')}&nbsp;&plusmn;&nbsp;${f(s.sd, 'html')}`,
  );
}

const right = (header: Column['header']): Column => ({ header, align: 'right' });

/** Mean ± sd over every seed group of two or more runs; null when no runs repeat an experiment. */
export function seedGroupTable(runs: readonly ReportRun[]): Table | null {
  const groups = groupBySeed(runs.map((r) => ({ id: r.record.id, name: r.record.name, config: r.record.config })));
  const repeated = groups.filter((g) => g.runIds.length > 1);
  if (repeated.length === 0) return null;
  const rows = new Map(runs.map((r) => [r.record.id, runRow(r)]));
  const members = (ids: readonly string[]): RunRow[] =>
    ids.map((id) => rows.get(id)).filter((r): r is RunRow => r !== undefined);
  const epsilons = certEpsilons(repeated.flatMap((g) => members(g.runIds)));
  const columns: Column[] = [
    { header: 'Experiment (seeds)', align: 'left' },
    right('Runs'),
    right(rich('Clean acc. (%)', 'Clean acc.\\ (\\%)')),
    ...epsilons.map((e) =>
      right(
        rich(
          `Cert. acc. ε=${formatEps(e)} (%)`,
          `Cert.\\ $\\varepsilon{=}${formatEps(e)}$ (\\%)`,
          `Cert. acc. &epsilon;=${formatEps(e)} (%)`,
        ),
      ),
    ),
    right('Lipschitz bound'),
    right(rich('F4/ref mean', 'F4/ref (mean)')),
  ];
  const body: Cell[][] = repeated.map((g) => {
    const m = members(g.runIds);
    return [
      g.label,
      num(m.length, FMT.int),
      meanSdCell(
        m.map((r) => r.cleanAcc),
        FMT.accuracy,
      ),
      ...epsilons.map((e) =>
        meanSdCell(
          m.map((r) => r.certified.get(epsKey(e))?.accuracy ?? null),
          FMT.accuracy,
        ),
      ),
      meanSdCell(
        m.map((r) => r.lipschitz),
        FMT.bound,
      ),
      meanSdCell(
        m.map((r) => r.ratioMean),
        FMT.ratio,
      ),
    ];
  });
  return {
    caption: 'Seed groups: mean ± sd over repeated runs',
    label: 'tab:seed-groups',
    columns,
    rows: body,
    notes: [
      rich(
        "Runs whose configs differ only in the seed (and name) form a group, named by what they share. Each cell: mean ± standard deviation (population, over the runs that recorded the value) of the summary table's value.",
        "Runs whose configs differ only in the seed (and name) form a group, named by what they share. Each cell: mean $\\pm$ standard deviation (population, over the runs that recorded the value) of the summary table's value.",
      ),
    ],
  };
}
