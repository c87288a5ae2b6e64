/**
 * Exponential moving average with bias correction (as TensorBoard's smoothing slider): the first
 * points are not dragged towards 0. NaN points stay NaN (a gap) and do not reset the average.
 */
export function emaSmooth(y: readonly number[], weight: number): number[] {
  if (!(weight > 0)) return y.slice();
  const w = Math.min(weight, 0.999);
  const out = new Array<number>(y.length);
  let acc = 0;
  let n = 0;
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (!Number.isFinite(v)) {
      out[i] = Number.NaN;
      continue;
    }
    acc = acc * w + (1 - w) * v;
    n++;
    out[i] = acc / (1 - Math.pow(w, n));
  }
  return out;
}
