/**
 * Certified accuracy against the radius ε: curves from every test point's stored radius (getCertifiedRadii), and
 * the per-eps series ("certified/<eps>", PGD, curvature) at their latest value. Pure TS.
 */
import { certifiedAccuracyAt } from '../../../shared/certify-math';

export type CurveKind = 'certified' | 'certified_pairwise' | 'curvature' | 'pgd';

export const CURVE_LABELS: Record<CurveKind, string> = {
  certified: 'certified (global Lipschitz)',
  certified_pairwise: 'certified (pairwise last layer)',
  curvature: 'certified (curvature bound)',
  pgd: 'empirical (PGD attack)',
};

/**
 * Series names of the store (src/main/store/engine-events.ts): "certified/<eps>",
 * "certified_pairwise/<eps>", "eval/curvature_acc@<eps>", "eval/pgd_acc@<eps>".
 */
const PATTERNS: [RegExp, CurveKind][] = [
  [/^certified\/([0-9.eE+-]+)$/, 'certified'],
  [/^certified_pairwise\/([0-9.eE+-]+)$/, 'certified_pairwise'],
  [/^eval\/curvature_acc@([0-9.eE+-]+)$/, 'curvature'],
  [/^eval\/pgd_acc@([0-9.eE+-]+)$/, 'pgd'],
];

export function curveOf(name: string): { kind: CurveKind; eps: number } | null {
  for (const [re, kind] of PATTERNS) {
    const m = re.exec(name);
    if (!m) continue;
    const eps = Number(m[1]);
    return Number.isFinite(eps) ? { kind, eps } : null;
  }
  return null;
}

/** Points (eps, last finite value) per curve kind, eps ascending. */
export function curvesAtLatest(
  names: readonly string[],
  lastValue: (name: string) => number | null,
): Map<CurveKind, { x: number[]; y: number[] }> {
  const out = new Map<CurveKind, { x: number[]; y: number[] }>();
  const parsed = names
    .map((n) => ({ n, c: curveOf(n) }))
    .filter((p) => p.c !== null)
    .sort((a, b) => (a.c?.eps ?? 0) - (b.c?.eps ?? 0));
  for (const { n, c } of parsed) {
    const v = lastValue(n);
    if (!c || v === null) continue;
    const curve = out.get(c.kind) ?? { x: [], y: [] };
    curve.x.push(c.eps);
    curve.y.push(v);
    out.set(c.kind, curve);
  }
  return out;
}

export function lastFinite(y: readonly number[]): number | null {
  for (let i = y.length - 1; i >= 0; i--) if (Number.isFinite(y[i])) return y[i];
  return null;
}

/** An eps grid from 0 to the largest finite radius of any member (what the comparison curves share). */
export function epsGrid(members: readonly (readonly number[])[], points = 200): number[] {
  let top = 0;
  for (const m of members)
    for (let i = m.length - 1; i >= 0; i--)
      if (Number.isFinite(m[i])) {
        top = Math.max(top, m[i]);
        break;
      }
  if (!(top > 0)) return [0];
  return Array.from({ length: points + 1 }, (_, i) => (top * i) / points);
}

/**
 * Certified accuracy of each member (ascending radii) on one grid, with mean ± sd across members: the seed
 * group's curve and band. Every value is exact at its eps (certifiedAccuracyAt), no interpolation.
 */
export function curveBand(
  members: readonly (readonly number[])[],
  grid: readonly number[],
): { x: number[]; mean: number[]; lo: number[]; hi: number[] } {
  const mean: number[] = [];
  const lo: number[] = [];
  const hi: number[] = [];
  for (const eps of grid) {
    const v = members.map((m) => certifiedAccuracyAt(m, eps));
    const mu = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mu) ** 2, 0) / v.length);
    mean.push(mu);
    // An accuracy band stays within [0, 1] (mean ± sd of a few seeds can leave it).
    lo.push(Math.max(0, mu - sd));
    hi.push(Math.min(1, mu + sd));
  }
  return { x: [...grid], mean, lo, hi };
}
