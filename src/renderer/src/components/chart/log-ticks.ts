/**
 * Tick labels of a logarithmic axis that never overlap: Chart.js puts a tick at every 1..9 × 10^k and
 * labels 1, 2 and 5 of each decade, which collide once an axis spans more decades than it has room for
 * (a Lipschitz bound growing from 10 to 10^7 over training). Here labels are chosen by priority (the
 * decades, then 5, then 2, then the rest) and kept only at a minimum distance from those already kept;
 * the others stay as unlabelled grid lines. Pure TS (no Chart.js), so the choice is unit-tested.
 */

const SUPERSCRIPT: Record<string, string> = {
  '-': '⁻',
  '0': '⁰',
  '1': '¹',
  '2': '²',
  '3': '³',
  '4': '⁴',
  '5': '⁵',
  '6': '⁶',
  '7': '⁷',
  '8': '⁸',
  '9': '⁹',
};

/** A log tick's label: plain from 0.001 to 9999 ("0.05", "200"), else "10⁶" or "5×10⁶". */
export function fmtLogTick(v: number): string {
  if (!(v > 0) || !Number.isFinite(v)) return '';
  const k = Math.floor(Math.log10(v) + 1e-9);
  const m = Number((v / 10 ** k).toPrecision(3));
  if (k >= -3 && k <= 3) return String(Number(v.toPrecision(3)));
  const power = `10${[...String(k)].map((c) => SUPERSCRIPT[c] ?? c).join('')}`;
  return m === 1 ? power : `${m}×${power}`;
}

/** 0 for 1 × 10^k, 1 for 5, 2 for 2, 3 for any other mantissa: the order labels are kept in. */
function priority(v: number): number {
  const m = Number((v / 10 ** Math.floor(Math.log10(v) + 1e-9)).toPrecision(3));
  return m === 1 ? 0 : m === 5 ? 1 : m === 2 ? 2 : 3;
}

export const isDecade = (v: number): boolean => v > 0 && priority(v) === 0;

/**
 * Which of an axis's tick values get a label: by priority, each at least `minGap` pixels from every label
 * already kept, on an axis `pixels` long from `min` to `max` (log scale).
 */
export function logTickLabels(
  values: readonly number[],
  min: number,
  max: number,
  pixels: number,
  minGap: number,
): Set<number> {
  const lo = Math.log10(min);
  const span = Math.log10(max) - lo;
  const at = (v: number) => (span > 0 ? ((Math.log10(v) - lo) / span) * pixels : 0);
  const order = values
    .map((v, i) => ({ v, i }))
    .filter(({ v }) => v > 0 && Number.isFinite(v))
    .sort((a, b) => priority(a.v) - priority(b.v) || a.v - b.v);
  const kept: number[] = [];
  const out = new Set<number>();
  for (const { v, i } of order) {
    const p = at(v);
    if (kept.every((q) => Math.abs(q - p) >= minGap)) {
      kept.push(p);
      out.add(i);
    }
  }
  return out;
}
