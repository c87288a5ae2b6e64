/**
 * Certified accuracy from a Lipschitz bound: the fraction of points that are classified correctly AND
 * whose certified l2 radius is at least eps. Two certificates:
 *  - standard (Tsuzuku et al. 2018): radius = margin / (sqrt(2) L), L the whole network's bound;
 *  - pairwise last layer (GloRo, Leino et al. 2021; Singla, Singla & Feizi 2022):
 *    radius = min_{j != y} (z_y - z_j) / (||w_y - w_j||_2 Lip_rest).
 * Since ||w_y - w_j|| = ||W^T (e_y - e_j)|| <= sqrt(2) ||W||, the pairwise radius is never below the
 * standard one when L = Lip_rest * ||W||_2 (the usual product bound).
 */
import * as tf from '@tensorflow/tfjs';
import {
  CertifyError,
  certifiedAccuracyCurve,
  lipschitzMarginRadius,
  pairwiseMarginRadius,
  validateBound,
  validateEpsilons,
} from '../../../shared/certify-math.js';
import {
  checkLabelRange,
  type HostLogits,
  type LabelsInput,
  type LogitsInput,
  toHostLabels,
  toHostLogits,
} from './inputs.js';

/** The last dense layer, for the pairwise certificate. */
export interface PairwiseLastLayer {
  /** Dense kernel in the tfjs layout [in, numClasses] (row-major), as number[][] kernel[i][c], or a tensor. */
  kernel: Float32Array | Float64Array | number[][] | tf.Tensor2D;
  /** Lipschitz bound of the network up to the last layer's input (the features phi(x)). */
  lipschitzBefore: number;
}

export interface CertificateCurve {
  /** Certified accuracy at each eps, in the order of `epsilons`. */
  accuracy: number[];
  /** Certified radius per example (0 if misclassified), for histograms. */
  radii: Float64Array;
}

export interface CertifiedAccuracyReport {
  n: number;
  numClasses: number;
  epsilons: number[];
  cleanAccuracy: number;
  /** 1 where z_y > max_{j != y} z_j (ties are not correct). */
  correct: Uint8Array;
  standard: CertificateCurve & { lipschitz: number };
  pairwise?: CertificateCurve & { lipschitzBefore: number };
}

/** Host form of a dense kernel [in, numClasses]. */
async function kernelToHost(
  kernel: PairwiseLastLayer['kernel'],
  numClasses: number,
): Promise<{ data: ArrayLike<number>; inDim: number }> {
  let data: ArrayLike<number>;
  let inDim: number;
  if (kernel instanceof tf.Tensor) {
    if (kernel.rank !== 2)
      throw new CertifyError(`pairwise kernel: expected a 2-D tensor [in, classes], got rank ${kernel.rank}.`);
    [inDim] = kernel.shape;
    if (kernel.shape[1] !== numClasses) {
      throw new CertifyError(
        `pairwise kernel has ${kernel.shape[1]} output columns but the logits have ${numClasses} classes; pass the last dense layer's kernel [in, classes].`,
      );
    }
    data = await kernel.data();
  } else if (Array.isArray(kernel)) {
    inDim = kernel.length;
    const flat = new Float64Array(inDim * numClasses);
    kernel.forEach((row, i) => {
      if (row.length !== numClasses) {
        throw new CertifyError(
          `pairwise kernel row ${i} has ${row.length} entries; every row of [in, classes] needs ${numClasses}.`,
        );
      }
      for (let c = 0; c < numClasses; c++) flat[i * numClasses + c] = row[c];
    });
    data = flat;
  } else if (kernel instanceof Float32Array || kernel instanceof Float64Array) {
    if (kernel.length % numClasses !== 0) {
      throw new CertifyError(
        `pairwise kernel has ${kernel.length} weights, not a multiple of ${numClasses} classes; expected the layout [in, classes].`,
      );
    }
    inDim = kernel.length / numClasses;
    data = kernel;
  } else {
    throw new CertifyError(
      'pairwise kernel: expected a Float32Array/Float64Array [in, classes], number[][] or a 2-D tensor.',
    );
  }
  for (let j = 0; j < data.length; j++) {
    if (!Number.isFinite(data[j])) {
      throw new CertifyError(
        `pairwise kernel weight [${Math.floor(j / numClasses)}][${j % numClasses}] is ${data[j]}; weights must be finite.`,
      );
    }
  }
  return { data, inDim };
}

/** D[y][j] = ||w_y - w_j||_2 over the columns of the [in, C] kernel. */
export function classDifferenceNorms(kernel: ArrayLike<number>, inDim: number, numClasses: number): Float64Array {
  const C = numClasses;
  const d = new Float64Array(C * C);
  for (let a = 0; a < C; a++) {
    for (let b = a + 1; b < C; b++) {
      let s = 0;
      for (let i = 0; i < inDim; i++) {
        const t = kernel[i * C + a] - kernel[i * C + b];
        s += t * t;
      }
      d[a * C + b] = d[b * C + a] = Math.sqrt(s);
    }
  }
  return d;
}

/** z_y - max_{j != y} z_j for one row (negative or zero when misclassified or tied). */
export function marginOf(logits: HostLogits, i: number, y: number): number {
  const C = logits.numClasses;
  const row = i * C;
  let runnerUp = -Infinity;
  for (let c = 0; c < C; c++) if (c !== y && logits.data[row + c] > runnerUp) runnerUp = logits.data[row + c];
  return logits.data[row + y] - runnerUp;
}

/**
 * Certified accuracy at each eps for the standard certificate and (if `pairwise` is given) the
 * last-layer pairwise one, plus per-example radii.
 */
export async function certifiedAccuracy(
  logits: LogitsInput,
  labels: LabelsInput,
  lipschitz: number,
  epsilons: number[],
  pairwise?: PairwiseLastLayer,
): Promise<CertifiedAccuracyReport> {
  validateEpsilons(epsilons);
  validateBound(lipschitz, 'certifiedAccuracy: lipschitz');
  const y = await toHostLabels(labels);
  if (y.length === 0) throw new CertifyError('certifiedAccuracy: no examples (labels is empty).');
  const z = await toHostLogits(logits, y.length);
  checkLabelRange(y, z.numClasses);
  const { n, numClasses: C } = z;

  const correct = new Uint8Array(n);
  const stdRadii = new Float64Array(n);
  let nCorrect = 0;
  for (let i = 0; i < n; i++) {
    const m = marginOf(z, i, y[i]);
    if (m > 0) {
      correct[i] = 1;
      nCorrect++;
    }
    stdRadii[i] = lipschitzMarginRadius(m, lipschitz);
  }
  const report: CertifiedAccuracyReport = {
    n,
    numClasses: C,
    epsilons: [...epsilons],
    cleanAccuracy: nCorrect / n,
    correct,
    standard: { lipschitz, accuracy: certifiedAccuracyCurve(stdRadii, epsilons), radii: stdRadii },
  };

  if (pairwise) {
    validateBound(pairwise.lipschitzBefore, 'certifiedAccuracy: pairwise.lipschitzBefore');
    const k = await kernelToHost(pairwise.kernel, C);
    const D = classDifferenceNorms(k.data, k.inDim, C);
    const radii = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (!correct[i]) continue;
      const yi = y[i];
      let r = Infinity;
      for (let j = 0; j < C; j++) {
        if (j === yi) continue;
        const diff = z.data[i * C + yi] - z.data[i * C + j];
        r = Math.min(r, pairwiseMarginRadius(diff, D[yi * C + j], pairwise.lipschitzBefore));
      }
      radii[i] = r;
    }
    report.pairwise = {
      lipschitzBefore: pairwise.lipschitzBefore,
      accuracy: certifiedAccuracyCurve(radii, epsilons),
      radii,
    };
  }
  return report;
}
