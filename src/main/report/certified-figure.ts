/**
 * The report's certified-accuracy figure, drawn like the workbench's: per run, certified accuracy against ε from the
 * radii its latest evaluation stored (certifiedCurvePoints, shared/certify-math.ts): global Lipschitz solid, pairwise
 * last layer dotted, PGD dashed above them (empirical, an upper estimate up to the top of its attack grid). A run
 * recorded before radii were stored shows its configured-ε points instead.
 */
import {
  CERTIFICATES,
  RADIUS_KINDS,
  RADIUS_LABELS,
  certifiedCurvePoints,
  pgdCurvePoints,
  type RadiusKind,
} from '../../shared/certify-math.js';
import type { ReportRun } from './data.js';
import type { ReportAnalysis } from './analyses.js';
import { lineChartSvg, PALETTE, type ChartSeries } from './svg-chart.js';

/** One dash per kind (runs are told apart by colour), so certified and empirical curves stay apart in print. */
const KIND_DASH: Record<RadiusKind, string> = { lipschitz: '', pairwise: '2 3', pgd: '7 4' };

function fromRadii(run: ReportRun, name: string, color: string): ChartSeries[] {
  const radii = run.radii?.radii ?? {};
  return RADIUS_KINDS.filter((kind) => (radii[kind]?.length ?? 0) > 0).map((kind) => {
    const c = (kind === 'pgd' ? pgdCurvePoints : certifiedCurvePoints)(radii[kind] ?? []);
    return {
      name: `${name}: ${RADIUS_LABELS[kind]}`,
      x: c.x,
      y: c.y.map((v) => v * 100),
      color,
      dash: KIND_DASH[kind],
      markers: false,
    };
  });
}

/** Runs without stored radii: their certified accuracy at the configured ε, as points. */
function fromConfiguredEps(run: ReportRun, name: string, color: string): ChartSeries[] {
  const last = run.summary.certified;
  if (last.length === 0) return [];
  const x = last.map((c) => c.eps);
  const lines: ChartSeries[] = [
    {
      name: `${name} (configured ε, step ${last[0].step})`,
      x,
      y: last.map((c) => c.accuracy * 100),
      color,
      dash: KIND_DASH.lipschitz,
      markers: true,
    },
  ];
  if (last.some((c) => c.pairwise !== null)) {
    lines.push({
      name: `${name}, pairwise bound (configured ε)`,
      x,
      y: last.map((c) => (c.pairwise === null ? Number.NaN : c.pairwise * 100)),
      color,
      dash: KIND_DASH.pairwise,
      markers: true,
    });
  }
  return lines;
}

/**
 * An imported network's curves, like a run's: from its stored radii (null: an unbounded radius), else its accuracy at
 * the configured ε as points; PGD (accuracy per configured ε, not breaking radii) always as points.
 */
function analysisSeries(a: ReportAnalysis, color: string): ChartSeries[] {
  const c = a.analysis.certificates;
  if (!c) return [];
  const name = a.summary.name;
  const sorted = (r: (number | null)[] | null | undefined): number[] => (r ?? []).map((v) => v ?? Infinity);
  const lines: ChartSeries[] = [];
  const stored = { lipschitz: sorted(c.radii?.lipschitz), pairwise: sorted(c.radii?.pairwise) };
  const configured = { lipschitz: c.standard, pairwise: c.pairwise };
  for (const kind of CERTIFICATES) {
    const at = configured[kind];
    if (stored[kind].length > 0)
      lines.push({
        name: `${name}: ${RADIUS_LABELS[kind]}`,
        ...certifiedCurvePoints(stored[kind]),
        color,
        dash: KIND_DASH[kind],
        markers: false,
      });
    else if (at)
      lines.push({
        name: `${name}: ${RADIUS_LABELS[kind]} (configured ε)`,
        x: c.epsilons,
        y: at,
        color,
        dash: KIND_DASH[kind],
        markers: true,
      });
  }
  if (c.pgd)
    lines.push({
      name: `${name}: PGD attack at the configured ε`,
      x: c.epsilons,
      y: c.pgd,
      color,
      dash: KIND_DASH.pgd,
      markers: true,
    });
  return lines.map((l) => ({ ...l, y: l.y.map((v) => v * 100) }));
}

/** The figure's lines, each run in its colour; and the step each run's curves come from. */
export function certifiedSeries(
  runs: readonly ReportRun[],
  names: Map<string, string>,
): { lines: ChartSeries[]; steps: string[] } {
  const lines: ChartSeries[] = [];
  const steps: string[] = [];
  runs.forEach((r, k) => {
    const name = names.get(r.record.id) ?? r.record.name;
    const color = PALETTE[k % PALETTE.length];
    const curves = fromRadii(r, name, color);
    if (curves.length > 0 && r.radii?.step != null) steps.push(`${name}: step ${r.radii.step}`);
    lines.push(...(curves.length > 0 ? curves : fromConfiguredEps(r, name, color)));
  });
  return { lines, steps };
}

export function certifiedFigure(
  runs: readonly ReportRun[],
  names: Map<string, string>,
  analyses: readonly ReportAnalysis[] = [],
): { svg: string; caption: string } | null {
  const { lines, steps } = certifiedSeries(runs, names);
  // Imported networks after the runs, in the next colours: overlaid on the same axes.
  analyses.forEach((a, k) => lines.push(...analysisSeries(a, PALETTE[(runs.length + k) % PALETTE.length])));
  if (lines.length === 0) return null;
  const svg = lineChartSvg({
    title: 'Certified accuracy against the radius',
    xLabel: 'ℓ2 radius ε',
    yLabel: 'accuracy (%)',
    series: lines,
    yRange: [0, 100],
    width: 640,
    height: 280,
  });
  const caption =
    "Certified accuracy at every ℓ2 radius ε, from each test point's certified radius at the latest evaluation" +
    (steps.length ? ` (${steps.join('; ')})` : '') +
    ': global Lipschitz certificate solid, pairwise last-layer certificate dotted; PGD dashed, an empirical upper estimate of robust ' +
    'accuracy on the attacked subset (the fraction PGD broke at no radius of its grid below ε), drawn up to the top of its grid.' +
    (analyses.length
      ? ' Imported networks: from the radii of the labelled set they were certified on, ε in pixel space; their PGD at the configured ε as points.'
      : '');
  return { svg, caption };
}
