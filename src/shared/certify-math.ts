/**
 * Certified-radius formulas and certified-accuracy curves, shared by the engine (which computes them)
 * and the renderer (which plots them). Pure TS: no Node, no tfjs, no DOM.
 *
 * Every radius here is an l2 radius in input space: no perturbation of l2 norm below it can change the
 * predicted class. A misclassified point has radius 0 and is never counted as certified.
 */

export class CertifyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertifyError';
  }
}

/** Radii are only meaningful for eps > 0: eps = 0 is clean accuracy, which every report lists separately. */
export function validateEpsilons(epsilons: readonly number[], label = 'epsilons'): void {
  if (!Array.isArray(epsilons) || epsilons.length === 0) {
    throw new CertifyError(`${label}: expected a non-empty list of l2 radii, e.g. [36/255, 72/255, 108/255].`);
  }
  epsilons.forEach((e, i) => {
    if (typeof e !== 'number' || !Number.isFinite(e) || e <= 0) {
      throw new CertifyError(
        `${label}[${i}] is ${String(e)}; every radius must be a finite number > 0 ` +
          '(clean accuracy, i.e. eps = 0, is reported separately as cleanAccuracy).',
      );
    }
  });
}

/** A Lipschitz constant (or any operator-norm bound) must be a finite number >= 0. */
export function validateBound(value: number, label: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new CertifyError(
      `${label} is ${String(value)}; a Lipschitz bound must be a finite number >= 0. ` +
        'A NaN/Infinity usually comes from a diverged run or an unnormalised layer: recompute the bound from finite weights.',
    );
  }
}

/**
 * Tsuzuku, Sato & Sugiyama 2018 (Lipschitz-margin training, Prop. 1): if the logit map is L-Lipschitz in l2,
 * then z_y - z_j changes by at most sqrt(2) * L * ||delta|| (the difference e_y - e_j has norm sqrt(2)),
 * so the prediction is stable for ||delta|| < margin / (sqrt(2) L), margin = z_y - max_{j != y} z_j.
 */
export function lipschitzMarginRadius(margin: number, lipschitz: number): number {
  if (!(margin > 0)) return 0;
  if (lipschitz === 0) return Infinity;
  return margin / (Math.SQRT2 * lipschitz);
}

/**
 * The last-layer (pairwise) form (Leino, Wang & Fredrikson, GloRo nets, ICML 2021; Singla, Singla &
 * Feizi, ICLR 2022, last-layer certificate): with logits z = W^T phi(x) + b and phi Lip_rest-Lipschitz, z_y - z_j is
 * (||w_y - w_j||_2 * Lip_rest)-Lipschitz, so the radius against class j is
 * (z_y - z_j) / (||w_y - w_j|| Lip_rest). The bias cancels in the difference.
 */
export function pairwiseMarginRadius(logitDiff: number, weightDiffNorm: number, lipschitzBefore: number): number {
  if (!(logitDiff > 0)) return 0;
  const slope = weightDiffNorm * lipschitzBefore;
  if (slope === 0) return Infinity;
  return logitDiff / slope;
}

/**
 * Second-order certificate (Singla & Feizi, ICML 2020, Sec. 4; the closed form of the authors' fast
 * certificate): if lambda_min(Hessian of f = z_y - z_t) >= -K everywhere, Taylor's theorem gives
 *   f(x + delta) >= f(x) - g ||delta|| - (K/2) ||delta||^2,   g = ||grad_x f(x)||,
 * so f stays positive while m - g r - K r^2 / 2 > 0, i.e. for r below the positive root
 *   r = (-g + sqrt(g^2 + 2 K m)) / K     (K > 0),   r = m / g  (K = 0, the linear certificate).
 * The root is computed as 2m / (g + sqrt(g^2 + 2Km)) to avoid cancellation when K m << g^2.
 */
export function curvatureCertifiedRadius(margin: number, gradNorm: number, curvature: number): number {
  if (!(margin > 0)) return 0;
  if (!(gradNorm >= 0) || !(curvature >= 0)) {
    throw new CertifyError(
      `curvatureCertifiedRadius: gradient norm (${gradNorm}) and curvature bound (${curvature}) must be >= 0 and finite.`,
    );
  }
  const denom = gradNorm + Math.sqrt(gradNorm * gradNorm + 2 * curvature * margin);
  if (denom === 0) return Infinity; // f is constant (no gradient, no curvature): never crosses zero
  return (2 * margin) / denom;
}

/** Fraction of points whose radius is >= eps, for each eps (radius 0 = misclassified, never counted). */
export function certifiedAccuracyCurve(radii: ArrayLike<number>, epsilons: readonly number[]): number[] {
  validateEpsilons(epsilons);
  const n = radii.length;
  if (n === 0) return epsilons.map(() => 0);
  return epsilons.map((eps) => {
    let c = 0;
    for (let i = 0; i < n; i++) if (radii[i] >= eps) c++;
    return c / n;
  });
}

export interface RadiusHistogram {
  /** bins + 1 edges from 0 to max; the last bin also holds radii > max (and Infinity). */
  edges: number[];
  counts: number[];
  /** Points with radius 0 (misclassified or zero margin), kept out of the bins. */
  uncertified: number;
}

/** Histogram of certified radii for the renderer (radius-0 points are counted apart, not in bin 0). */
export function radiusHistogram(radii: ArrayLike<number>, bins = 20, max?: number): RadiusHistogram {
  if (!Number.isInteger(bins) || bins < 1)
    throw new CertifyError(`radiusHistogram: bins must be a positive integer, got ${bins}.`);
  let top = max ?? 0;
  if (max === undefined) {
    for (let i = 0; i < radii.length; i++) if (Number.isFinite(radii[i]) && radii[i] > top) top = radii[i];
  }
  if (!(top > 0)) top = 1;
  const edges = Array.from({ length: bins + 1 }, (_, b) => (top * b) / bins);
  const counts = new Array<number>(bins).fill(0);
  let uncertified = 0;
  for (let i = 0; i < radii.length; i++) {
    const r = radii[i];
    if (!(r > 0)) {
      uncertified++;
      continue;
    }
    counts[Math.min(bins - 1, Math.floor((r / top) * bins))]++;
  }
  return { edges, counts, uncertified };
}

/** The certificates whose per-point radii an evaluation keeps (sorted), so accuracy can be drawn at every eps. */
export const CERTIFICATES = ['lipschitz', 'pairwise'] as const;
export type CertificateName = (typeof CERTIFICATES)[number];

export const CERTIFICATE_LABELS: Record<CertificateName, string> = {
  lipschitz: 'certified (global Lipschitz)',
  pairwise: 'certified (pairwise last layer)',
};

/**
 * What an evaluation keeps per test point, ascending, per kind: the two certificates' radii, and 'pgd', which is NOT a
 * certificate. For 'pgd' each attacked point (the PGD subset) holds the smallest ε of the evaluation's attack grid at
 * which l2 PGD found an adversarial example (0: misclassified clean), or the grid's largest ε when no attack broke it.
 * certifiedAccuracyAt(pgd, ε) is then the fraction of attacked points that PGD broke at no grid ε below ε: an empirical
 * UPPER estimate of robust accuracy for every ε up to the grid's top (robustness at ε implies robustness at every
 * smaller grid ε), so it lies above any sound certificate on the same points; it says nothing beyond the grid's top
 * (pgdCurvePoints ends there).
 */
export const RADIUS_KINDS = [...CERTIFICATES, 'pgd'] as const;
export type RadiusKind = (typeof RADIUS_KINDS)[number];

export const RADIUS_LABELS: Record<RadiusKind, string> = {
  ...CERTIFICATE_LABELS,
  pgd: 'empirical (PGD attack, upper estimate)',
};

/** Radii ascending (a copy): what the store keeps, so accuracy at any eps is one binary search. */
export function sortRadii(radii: ArrayLike<number>): Float64Array {
  return Float64Array.from(radii).sort();
}

/**
 * Certified accuracy at eps from ascending radii: the fraction with radius >= eps; at eps = 0 the fraction with a
 * positive radius (a misclassified point has radius 0 and is never certified). Equals certifiedAccuracyCurve for eps > 0.
 */
export function certifiedAccuracyAt(sorted: ArrayLike<number>, eps: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  // First index whose radius is >= eps (> 0 at eps = 0).
  const below = (r: number) => (eps > 0 ? r < eps : r <= 0);
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (below(sorted[mid])) lo = mid + 1;
    else hi = mid;
  }
  return (n - lo) / n;
}

/**
 * The certified-accuracy curve from 0 to the largest finite radius, as a step function sampled at every distinct
 * radius where it drops (each drop drawn as a vertical pair), thinned to at most ~maxPoints by keeping every k-th
 * drop plus both ends. Points with an infinite radius stay certified at every eps.
 */
export function certifiedCurvePoints(sorted: ArrayLike<number>, maxPoints = 600): { x: number[]; y: number[] } {
  const n = sorted.length;
  if (n === 0) return { x: [], y: [] };
  let top = 0;
  for (let i = n - 1; i >= 0; i--) {
    if (Number.isFinite(sorted[i])) {
      top = sorted[i];
      break;
    }
  }
  const drops: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = sorted[i];
    if (r > 0 && Number.isFinite(r) && (drops.length === 0 || drops[drops.length - 1] !== r)) drops.push(r);
  }
  const every = Math.max(1, Math.ceil((2 * drops.length) / maxPoints));
  const x: number[] = [0];
  const y: number[] = [certifiedAccuracyAt(sorted, 0)];
  drops.forEach((r, k) => {
    if (k % every !== 0 && k !== drops.length - 1) return;
    // Just at r the point of radius r is still certified; just past it, it is not.
    x.push(r, r);
    y.push(certifiedAccuracyAt(sorted, r), (n - upperIndex(sorted, r)) / n);
  });
  if (x[x.length - 1] < top) {
    x.push(top);
    y.push(certifiedAccuracyAt(sorted, top));
  }
  return { x, y };
}

/**
 * The PGD step curve (see RADIUS_KINDS) from 0 to the top of its attack grid: certifiedCurvePoints without the drop at
 * the top, where points no attack broke sit together with those broken only there and nothing beyond is known.
 */
export function pgdCurvePoints(sorted: ArrayLike<number>, maxPoints = 600): { x: number[]; y: number[] } {
  const c = certifiedCurvePoints(sorted, maxPoints);
  const k = c.x.length;
  if (k >= 2 && c.x[k - 1] === c.x[k - 2]) {
    c.x.pop();
    c.y.pop();
  }
  return c;
}

/** First index whose radius is > r. */
function upperIndex(sorted: ArrayLike<number>, r: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= r) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
