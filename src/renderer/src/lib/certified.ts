/** Certified accuracy against the radius ε, from the last value of each "certified/<eps>" series. Pure TS. */
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
export function curvesAtLatest(names: readonly string[], lastValue: (name: string) => number | null): Map<CurveKind, { x: number[]; y: number[] }> {
  const out = new Map<CurveKind, { x: number[]; y: number[] }>();
  const parsed = names.map((n) => ({ n, c: curveOf(n) })).filter((p) => p.c !== null).sort((a, b) => (a.c?.eps ?? 0) - (b.c?.eps ?? 0));
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
