/**
 * Composing per-layer l2 Lipschitz bounds into a bound for the whole network, and the closed-form
 * bounds of the parameter-free layers. Convolution and dense bounds come from engine/bounds
 * (f4Bound, sedghiExactNorm, dense-exact ...); here they are only numbers in a LipschitzNode tree.
 */
import { CertifyError, validateBound } from '../../../shared/certify-math.js';

export type LipschitzNode =
  | { kind: 'layer'; name: string; bound: number }
  | { kind: 'seq'; nodes: LipschitzNode[] }
  | { kind: 'residual'; branch: LipschitzNode; shortcut?: LipschitzNode };

/**
 * Lip(f o g) <= Lip(f) Lip(g) for a sequence; Lip(x -> s(x) + b(x)) <= Lip(s) + Lip(b) for a residual
 * block (triangle inequality), the shortcut defaulting to the identity (Lip = 1).
 */
export function networkLipschitz(node: LipschitzNode, path = 'network'): number {
  if (node === null || typeof node !== 'object') {
    throw new CertifyError(
      `${path}: expected a LipschitzNode ({kind:'layer'|'seq'|'residual', ...}), got ${String(node)}.`,
    );
  }
  switch (node.kind) {
    case 'layer': {
      validateBound(node.bound, `${path} > layer "${node.name}"`);
      return node.bound;
    }
    case 'seq': {
      if (!Array.isArray(node.nodes)) throw new CertifyError(`${path}: a 'seq' node needs an array 'nodes'.`);
      let p = 1;
      node.nodes.forEach((child, i) => {
        p *= networkLipschitz(child, `${path}.seq[${i}]`);
      });
      return p;
    }
    case 'residual': {
      if (!node.branch) throw new CertifyError(`${path}: a 'residual' node needs a 'branch'.`);
      const shortcut = node.shortcut ? networkLipschitz(node.shortcut, `${path}.shortcut`) : 1;
      return shortcut + networkLipschitz(node.branch, `${path}.branch`);
    }
    default:
      throw new CertifyError(
        `${path}: unknown node kind "${(node as { kind?: unknown }).kind}"; use 'layer', 'seq' or 'residual'.`,
      );
  }
}

/**
 * BatchNorm in eval mode is y_c = gamma_c (x_c - mu_c) / sqrt(var_c + eps) + beta_c: a diagonal map, so its
 * l2 norm is the largest |diagonal entry|. (In training mode the batch statistics depend on the input and
 * this is not a bound.)
 */
export function batchNormLipschitz(
  gamma: ArrayLike<number>,
  movingVariance: ArrayLike<number>,
  epsilon: number,
): number {
  if (gamma.length !== movingVariance.length) {
    throw new CertifyError(
      `batchNormLipschitz: gamma has ${gamma.length} channels but movingVariance has ${movingVariance.length}; pass the same layer's tensors.`,
    );
  }
  if (!Number.isFinite(epsilon) || epsilon < 0) {
    throw new CertifyError(`batchNormLipschitz: epsilon must be a finite number >= 0, got ${epsilon}.`);
  }
  let best = 0;
  for (let c = 0; c < gamma.length; c++) {
    const g = gamma[c];
    const v = movingVariance[c];
    if (!Number.isFinite(g) || !Number.isFinite(v) || v < 0) {
      throw new CertifyError(
        `batchNormLipschitz: channel ${c} has gamma=${g}, movingVariance=${v}; both must be finite and the variance >= 0.`,
      );
    }
    const denom = Math.sqrt(v + epsilon);
    if (denom === 0) {
      if (g !== 0) {
        throw new CertifyError(
          `batchNormLipschitz: channel ${c} has zero variance and epsilon = 0, so it divides by zero; use the layer's epsilon (e.g. 1e-3).`,
        );
      }
      continue;
    }
    best = Math.max(best, Math.abs(g) / denom);
  }
  return best;
}

export type ActivationName = 'relu' | 'tanh' | 'softplus' | 'sigmoid' | 'linear' | 'elu' | 'leakyRelu';

/** sup |sigma'|: 1 for relu/tanh/softplus/elu(alpha<=1), 1/4 for sigmoid, max(1, |alpha|) for leaky ReLU. */
export function activationLipschitz(name: ActivationName, alpha = 0.2): number {
  switch (name) {
    case 'relu':
    case 'tanh':
    case 'softplus':
    case 'linear':
      return 1;
    case 'sigmoid':
      return 0.25;
    case 'elu':
      return Math.max(1, alpha);
    case 'leakyRelu':
      return Math.max(1, Math.abs(alpha));
    default:
      throw new CertifyError(`activationLipschitz: unknown activation "${String(name)}".`);
  }
}

/** Flatten/reshape only reorders coordinates: an isometry. */
export const FLATTEN_LIPSCHITZ = 1;

/**
 * Max-pooling in l2: |max_W a - max_W b| <= max_W |a - b| <= ||(a - b)_W||, and summing over windows counts
 * each input as often as the windows that contain it, at most c = ceil(kh/sh) ceil(kw/sw). So
 * Lip <= sqrt(c), attained by a single large input shared by c windows: 1 for non-overlapping windows
 * (stride >= pool size), but e.g. 3 for a 3x3 stride-1 pool — not 1.
 */
export function maxPoolLipschitz(poolSize: [number, number], strides: [number, number]): number {
  const [kh, kw] = poolSize;
  const [sh, sw] = strides;
  for (const [v, what] of [
    [kh, 'pool height'],
    [kw, 'pool width'],
    [sh, 'stride height'],
    [sw, 'stride width'],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new CertifyError(`maxPoolLipschitz: ${what} must be a positive integer, got ${v}.`);
  }
  return Math.sqrt(Math.ceil(kh / sh) * Math.ceil(kw / sw));
}
