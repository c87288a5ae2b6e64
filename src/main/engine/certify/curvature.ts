/**
 * The curvature bound of Singla & Feizi, "Second-Order Provable Defenses against Adversarial Attacks"
 * (ICML 2020; Curvature-based Robustness Certificate, CRC / Curvature-based Robust Training, CRT),
 * for networks z^(I) = W^(I) a^(I-1) + b^(I), a^(I) = sigma(z^(I)) with a smooth activation, L layers.
 *
 * Lemma 1:  Hess_x z_i^(L) = sum_{I=1}^{L-1} B^(I)^T diag(F_i^(L,I) (.) sigma''(z^(I))) B^(I),
 *   B^(I) = dz^(I)/dx,  F^(L,I) = dz^(L)/da^(I) = W^(L) D_{L-1} W^(L-1) ... D_{I+1} W^(I+1),  D = diag(sigma').
 * Theorem 4 (|sigma'| <= g, |sigma''| <= h):
 *   ||Hess_x z_i^(L)|| <= h sum_{I=1}^{L-1} (r^(I))^2 max_j S_{i,j}^(L,I),
 *   r^(1) = ||W^(1)||, r^(I) = g ||W^(I)|| r^(I-1);   S^(L,L-1) = |W^(L)|, S^(L,I) = g |W^(L)| S^(L-1,I),
 * and for z_y - z_t the row W_i^(L) is replaced by W_y^(L) - W_t^(L). This bounds |eigenvalues|, so it
 * is both M and -m of the paper's Eq. (3).
 *
 * What this implementation adds, still a valid bound: max_j S_{a,j}^(L,I) bounds ||F_a^(L,I)||_inf; the
 * l2 chain ||F_a^(L,I)||_2 <= g^(L-1-I) ||a|| prod_{J>I} ||W^(J)|| bounds it too, and the minimum of the two
 * is used. Convolutions enter only through their operator norm (`lipschitz`, e.g. the Fantastic Four
 * bound), i.e. through the l2 chain; a dense layer after a convolution restarts the entry-wise chain
 * with Cauchy–Schwarz, |(F W)_k| <= ||F||_2 ||W_{:,k}||_2.
 */
import { CertifyError, validateBound } from '../../../shared/certify-math.js';

export type SmoothActivation = 'softplus' | 'tanh' | 'sigmoid';

export interface ActivationDerivativeBounds {
  /** sup |sigma'| */
  g: number;
  /** sup |sigma''| */
  h: number;
}

/**
 * softplus: sigma' = sigmoid <= 1, sigma'' = sigmoid (1 - sigmoid) <= 1/4;
 * tanh: sigma' = 1 - tanh^2 <= 1, |sigma''| = 2|tanh|(1 - tanh^2) <= 4/(3 sqrt 3) at tanh = 1/sqrt 3;
 * sigmoid: sigma' <= 1/4, |sigma''| = s(1-s)|1-2s| <= 1/(6 sqrt 3) at s = (3 -+ sqrt 3)/6.
 */
export const SMOOTH_ACTIVATION_BOUNDS: Readonly<Record<SmoothActivation, ActivationDerivativeBounds>> = Object.freeze({
  softplus: { g: 1, h: 0.25 },
  tanh: { g: 1, h: 4 / (3 * Math.sqrt(3)) },
  sigmoid: { g: 0.25, h: 1 / (6 * Math.sqrt(3)) },
});

export interface CurvatureLayer {
  /** Dense: tfjs kernel [in, out] row-major. Conv: HWIO [h, w, c_in, c_out]. */
  weight: Float32Array | Float64Array;
  shape: number[];
  kind: 'dense' | 'conv';
  /** Upper bound on the layer's l2 operator norm (dense-exact, f4Bound, sedghiExactNorm ...). */
  lipschitz: number;
}

export interface CurvatureBoundReport {
  activation: SmoothActivation | 'custom';
  g: number;
  h: number;
  numClasses: number;
  /** K[y * C + t] bounds |eigenvalues| of Hess_x (z_y - z_t) for every x; 0 on the diagonal. */
  pairwise: Float64Array;
  /** Bound on ||Hess_x z_i|| for every logit i. */
  logit: Float64Array;
  /** Largest pairwise bound. */
  max: number;
}

function validateLayers(layers: CurvatureLayer[]): void {
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new CertifyError('curvatureBound: expected a non-empty list of layers, input to logits.');
  }
  layers.forEach((l, i) => {
    const where = `curvatureBound: layer ${i} (${l?.kind})`;
    if (l.kind !== 'dense' && l.kind !== 'conv') throw new CertifyError(`${where}: kind must be 'dense' or 'conv'.`);
    validateBound(l.lipschitz, `${where}: lipschitz`);
    const want = l.kind === 'dense' ? 2 : 4;
    if (!Array.isArray(l.shape) || l.shape.length !== want || l.shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new CertifyError(
        `${where}: shape [${String(l.shape)}] is not ${l.kind === 'dense' ? '[in, out]' : '[h, w, c_in, c_out] (HWIO)'}.`,
      );
    }
    const size = l.shape.reduce((a, b) => a * b, 1);
    if (l.weight.length !== size) {
      throw new CertifyError(`${where}: shape [${l.shape.join(', ')}] needs ${size} weights, got ${l.weight.length}.`);
    }
    for (let j = 0; j < l.weight.length; j++) {
      if (!Number.isFinite(l.weight[j]))
        throw new CertifyError(`${where}: weight ${j} is ${l.weight[j]}; weights must be finite.`);
    }
    if (l.kind === 'dense') {
      // Any column or row norm is a lower bound on sigma_max; a smaller `lipschitz` cannot be an upper bound.
      const [inDim, out] = l.shape;
      let lower = 0;
      const col = new Float64Array(out);
      for (let a = 0; a < inDim; a++) {
        let row = 0;
        for (let o = 0; o < out; o++) {
          const w = l.weight[a * out + o];
          row += w * w;
          col[o] += w * w;
        }
        lower = Math.max(lower, row);
      }
      for (let o = 0; o < out; o++) lower = Math.max(lower, col[o]);
      lower = Math.sqrt(lower);
      if (l.lipschitz < lower * (1 - 1e-6)) {
        throw new CertifyError(
          `${where}: lipschitz ${l.lipschitz} is below ${lower}, a lower bound on its spectral norm (largest row/column norm); ` +
            'pass an upper bound on ||W||_2 (e.g. the dense-exact value).',
        );
      }
    }
    if (i > 0 && l.kind === 'dense' && layers[i - 1].kind === 'dense' && layers[i - 1].shape[1] !== l.shape[0]) {
      throw new CertifyError(
        `${where}: takes ${l.shape[0]} inputs but layer ${i - 1} has ${layers[i - 1].shape[1]} outputs.`,
      );
    }
  });
  const last = layers[layers.length - 1];
  if (last.kind !== 'dense') throw new CertifyError('curvatureBound: the last layer must be the dense logit layer.');
}

/**
 * Theorem 4 for one row a of the last layer (a = W_i^(L), or W_y^(L) - W_t^(L)):
 * h sum_{I=1}^{L-1} (r^(I))^2 s^(I), s^(I) >= max_j |F_a^(L,I)|_j.
 */
function rowCurvature(layers: CurvatureLayer[], a: Float64Array, g: number, h: number, r: Float64Array): number {
  const L = layers.length;
  let u: Float64Array | null = Float64Array.from(a, Math.abs); // S^(L,L-1) row: |a|
  let e = 0; // l2 bound on F_a^(L,L-1) = a
  for (let j = 0; j < a.length; j++) e += a[j] * a[j];
  e = Math.sqrt(e);
  let total = 0;
  for (let I = L - 1; I >= 1; I--) {
    // layers[I - 1] is W^(I) (0-based array); u, e describe F^(L,I).
    let s = e;
    if (u) {
      let mx = 0;
      for (let j = 0; j < u.length; j++) if (u[j] > mx) mx = u[j];
      s = Math.min(s, mx);
    }
    total += r[I] * r[I] * s;
    if (I === 1) break;
    // F^(L,I-1) = F^(L,I) D_I W^(I): propagate through layer W^(I) = layers[I - 1].
    const layer = layers[I - 1];
    const eNext = g * layer.lipschitz * e;
    if (layer.kind === 'dense') {
      const [inDim, out] = layer.shape;
      const w = layer.weight;
      const next = new Float64Array(inDim);
      for (let k = 0; k < inDim; k++) {
        let acc = 0;
        if (u) for (let o = 0; o < out; o++) acc += Math.abs(w[k * out + o]) * u[o];
        else {
          for (let o = 0; o < out; o++) acc += w[k * out + o] * w[k * out + o];
          acc = e * Math.sqrt(acc); // Cauchy–Schwarz restart after a convolution
        }
        next[k] = g * acc;
      }
      u = next;
      let n2 = 0;
      for (let k = 0; k < inDim; k++) n2 += next[k] * next[k];
      e = Math.min(eNext, Math.sqrt(n2));
    } else {
      u = null;
      e = eNext;
    }
  }
  return h * total;
}

/** Theorem 4 of Singla & Feizi 2020 for every logit and every pair (y, t). */
export function curvatureBound(
  layers: CurvatureLayer[],
  activation: SmoothActivation | ActivationDerivativeBounds,
): CurvatureBoundReport {
  let gh: ActivationDerivativeBounds;
  if (typeof activation === 'string') {
    gh = SMOOTH_ACTIVATION_BOUNDS[activation as SmoothActivation];
    if (!gh) {
      throw new CertifyError(
        `curvatureBound: "${activation}" is not a smooth activation with bounded sigma''; use softplus, tanh or sigmoid ` +
          '(ReLU has no second derivative, so this certificate does not apply), or pass {g, h}.',
      );
    }
  } else {
    gh = activation;
    validateBound(gh?.g, 'curvatureBound: activation.g');
    validateBound(gh?.h, 'curvatureBound: activation.h');
  }
  validateLayers(layers);
  const L = layers.length;
  const last = layers[L - 1];
  const [inDim, C] = last.shape;
  // r[I] bounds ||B^(I)|| (Eq. 6); index 0 unused.
  const r = new Float64Array(L);
  for (let I = 1; I <= L - 1; I++) r[I] = (I === 1 ? 1 : gh.g * r[I - 1]) * layers[I - 1].lipschitz;

  const col = (c: number): Float64Array => {
    const v = new Float64Array(inDim);
    for (let k = 0; k < inDim; k++) v[k] = last.weight[k * C + c];
    return v;
  };
  const logit = new Float64Array(C);
  for (let c = 0; c < C; c++) logit[c] = L === 1 ? 0 : rowCurvature(layers, col(c), gh.g, gh.h, r);
  const pairwise = new Float64Array(C * C);
  let max = 0;
  for (let y = 0; y < C; y++) {
    const wy = col(y);
    for (let t = y + 1; t < C; t++) {
      const wt = col(t);
      const diff = wy.map((v, k) => v - wt[k]);
      const K = L === 1 ? 0 : rowCurvature(layers, diff, gh.g, gh.h, r);
      pairwise[y * C + t] = pairwise[t * C + y] = K;
      max = Math.max(max, K);
    }
  }
  return {
    activation: typeof activation === 'string' ? activation : 'custom',
    g: gh.g,
    h: gh.h,
    numClasses: C,
    pairwise,
    logit,
    max,
  };
}
