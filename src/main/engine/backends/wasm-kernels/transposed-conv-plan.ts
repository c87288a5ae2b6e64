/**
 * The input gradient of a strided convolution as ONE stride-1 convolution (sub-pixel form).
 *
 * Along one axis, forward y[p] = sum_a x[p*s + a*d - pt] W[a]. The gradient
 *   dx[h] = sum_{p,a : p*s + a*d - pt = h} dy[p] W[a]
 * splits by output phase rho = h mod s: for h = s*u + rho only taps a = s*j + r (r = (rho+pt) mod s)
 * contribute, and dx[s*u + rho] = sum_j dy[u + q - j] W[s*j + r] with q = floor((rho+pt)/s).
 * Every phase is then a stride-1 correlation of dy with a few taps of W, and the phases are
 * interleaved back into space afterwards: dx without the zero-insertion of the textbook
 * transposed convolution, which wastes (s^2-1)/s^2 of the multiply-adds. The phases can be
 * stacked as output channels of one convolution over a common tap window (transposedConvAxis:
 * one call, some zero taps; used by the depthwise gradient) or run one by one with their exact
 * taps (phaseAxis; used by Conv2DBackpropInput, where it measured faster). Stride 1 is the
 * classic "flip the filter" case and keeps the dilation.
 */

export interface AxisPlan {
  /** Output phases stacked as channels (the stride; 1 for stride 1). */
  phases: number;
  /** Taps of the stride-1 gradient convolution along this axis. */
  taps: number;
  /** Dilation of the gradient convolution (the forward dilation when stride is 1). */
  dilation: number;
  /** Zero padding before/after dy, and dy elements to drop at each end (never negative). */
  padBefore: number;
  padAfter: number;
  cropBefore: number;
  cropAfter: number;
  /** Gradient-convolution outputs per phase; phases x this >= inSize, the excess is cropped. */
  perPhase: number;
  /** tapOf[phase][m] = the forward filter tap feeding gradient tap m, or -1 for none. */
  tapOf: number[][];
}

function signedPads(before: number, after: number) {
  return {
    padBefore: Math.max(before, 0),
    padAfter: Math.max(after, 0),
    cropBefore: Math.max(-before, 0),
    cropAfter: Math.max(-after, 0),
  };
}

/**
 * @param inSize forward input length (dx length), outSize forward output length (dy length)
 * @param k filter taps, s stride, d dilation, pt padding before in the forward pass
 */
export function transposedConvAxis(
  inSize: number,
  outSize: number,
  k: number,
  s: number,
  d: number,
  pt: number,
): AxisPlan {
  if (s === 1) {
    // dx[h] = sum_a dy[h + pt - d*a] W[a]: correlation with the flipped, still dilated filter.
    const before = d * (k - 1) - pt;
    const after = inSize - outSize - before + d * (k - 1);
    const tapOf = [[...Array(k).keys()].map((m) => k - 1 - m)];
    return { phases: 1, taps: k, dilation: d, perPhase: inSize, tapOf, ...signedPads(before, after) };
  }
  if (d !== 1) {
    throw new Error(
      `A convolution gradient with stride ${s} and dilation ${d} is not defined (tfjs needs one of them to be 1).`,
    );
  }
  const phase = [...Array(s).keys()].map((rho) => {
    const q = Math.floor((rho + pt) / s);
    const r = (rho + pt) % s;
    const count = r < k ? Math.ceil((k - r) / s) : 0;
    return { q, r, count };
  });
  const used = phase.filter((p) => p.count > 0);
  const before = Math.max(...used.map((p) => p.count - 1 - p.q));
  const taps = Math.max(...used.map((p) => p.q + before)) + 1;
  const tapOf = phase.map(({ q, r, count }) =>
    [...Array(taps).keys()].map((m) => {
      const j = q + before - m;
      return j >= 0 && j < count ? s * j + r : -1;
    }),
  );
  const perPhase = Math.ceil(inSize / s);
  const after = perPhase - outSize - before + taps - 1;
  return { phases: s, taps, dilation: 1, perPhase, tapOf, ...signedPads(before, after) };
}

/**
 * The plan of one output phase rho alone (stride s > 1, dilation 1): the stride-1 correlation
 * producing dx[s*u + rho] for u < perPhase, using only that phase's taps (no zero taps, unlike
 * the stacked plan whose common window covers every phase).
 */
export function phaseAxis(inSize: number, outSize: number, k: number, s: number, pt: number, rho: number): AxisPlan {
  const q = Math.floor((rho + pt) / s);
  const r = (rho + pt) % s;
  const count = r < k ? Math.ceil((k - r) / s) : 0;
  const perPhase = Math.ceil(inSize / s);
  const taps = Math.max(count, 1);
  // Tap m = count-1-j reads dy[u + q - j]: correlation offset q - (count-1).
  const before = count - 1 - q;
  const after = perPhase - outSize - before + taps - 1;
  const tapOf = [[...Array(taps).keys()].map((m) => (count === 0 ? -1 : s * (count - 1 - m) + r))];
  return { phases: 1, taps, dilation: 1, perPhase, tapOf, ...signedPads(before, after) };
}
