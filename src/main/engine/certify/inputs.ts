/**
 * Bringing logits and labels to the host in one checked form, whatever they came as (tensors, typed arrays,
 * nested arrays), and running a model over a large input in batches without leaking tensors.
 */
import * as tf from '@tensorflow/tfjs';
import { CertifyError } from '../../../shared/certify-math.js';

export type LogitsInput = tf.Tensor2D | number[][] | Float32Array | Float64Array;
/** Integer class ids (tensor, typed array or array), or one-hot rows as a 2-D tensor. */
export type LabelsInput =
  tf.Tensor1D | tf.Tensor2D | Int32Array | Uint8Array | Uint16Array | Uint32Array | Float32Array | number[];

export interface HostLogits {
  /** Row-major [n, numClasses]. */
  data: Float32Array | Float64Array;
  n: number;
  numClasses: number;
}

export type Forward = (x: tf.Tensor4D) => tf.Tensor2D;

function isTensor(v: unknown): v is tf.Tensor {
  return v instanceof tf.Tensor;
}

/** Labels to Int32Array; a 2-D tensor is read as one-hot (argmax per row). */
export async function toHostLabels(labels: LabelsInput, label = 'labels'): Promise<Int32Array> {
  let raw: ArrayLike<number>;
  if (isTensor(labels)) {
    if (labels.rank === 2) {
      const idx = tf.argMax(labels, 1);
      raw = await idx.data();
      idx.dispose();
    } else if (labels.rank === 1) {
      raw = await labels.data();
    } else {
      throw new CertifyError(
        `${label}: expected a 1-D tensor of class ids or a 2-D one-hot tensor, got rank ${labels.rank}.`,
      );
    }
  } else if (Array.isArray(labels) || ArrayBuffer.isView(labels)) {
    raw = labels as ArrayLike<number>;
  } else {
    throw new CertifyError(`${label}: expected class ids (array, typed array or tensor), got ${typeof labels}.`);
  }
  const out = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    if (!Number.isInteger(v) || v < 0) {
      throw new CertifyError(
        `${label}[${i}] is ${v}; class ids must be integers >= 0 (pass one-hot labels as a 2-D tensor).`,
      );
    }
    out[i] = v;
  }
  return out;
}

/**
 * Logits to a row-major host array. A flat typed array is split into rows of length
 * data.length / nExamples (the label count), so it must divide evenly.
 */
export async function toHostLogits(logits: LogitsInput, nExamples: number, label = 'logits'): Promise<HostLogits> {
  let data: Float32Array | Float64Array;
  let n: number;
  let numClasses: number;
  if (isTensor(logits)) {
    if (logits.rank !== 2) {
      throw new CertifyError(
        `${label}: expected a 2-D tensor [examples, classes], got shape [${logits.shape.join(', ')}].`,
      );
    }
    [n, numClasses] = logits.shape as [number, number];
    data = new Float32Array(await logits.data());
  } else if (Array.isArray(logits)) {
    n = logits.length;
    numClasses = n > 0 ? logits[0].length : 0;
    data = new Float64Array(n * numClasses);
    logits.forEach((row, i) => {
      if (!Array.isArray(row) && !ArrayBuffer.isView(row)) {
        throw new CertifyError(`${label}[${i}] is not an array; pass one row of class scores per example.`);
      }
      if (row.length !== numClasses) {
        throw new CertifyError(
          `${label}[${i}] has ${row.length} scores but row 0 has ${numClasses}; every row needs one score per class.`,
        );
      }
      for (let c = 0; c < numClasses; c++) data[i * numClasses + c] = row[c];
    });
  } else if (logits instanceof Float32Array || logits instanceof Float64Array) {
    if (nExamples < 1 || logits.length % nExamples !== 0) {
      throw new CertifyError(
        `${label}: a flat array of ${logits.length} scores cannot be split into ${nExamples} rows (one per label); ` +
          'pass a 2-D tensor or number[][] instead, or check that logits and labels cover the same examples.',
      );
    }
    n = nExamples;
    numClasses = logits.length / nExamples;
    data = logits;
  } else {
    throw new CertifyError(`${label}: expected a 2-D tensor, number[][] or Float32Array/Float64Array.`);
  }
  if (n !== nExamples) {
    throw new CertifyError(
      `${label} has ${n} rows but there are ${nExamples} labels; they must describe the same examples.`,
    );
  }
  if (numClasses < 2) {
    throw new CertifyError(`${label}: certification needs at least 2 classes, got ${numClasses}.`);
  }
  for (let j = 0; j < data.length; j++) {
    if (!Number.isFinite(data[j])) {
      throw new CertifyError(
        `${label}: example ${Math.floor(j / numClasses)}, class ${j % numClasses} is ${data[j]}; logits must be finite. ` +
          'A NaN/Infinity means the model diverged or the input was not normalised: fix the model before certifying.',
      );
    }
  }
  return { data, n, numClasses };
}

/** Check that every label is a valid class of the logits. */
export function checkLabelRange(labels: Int32Array, numClasses: number, label = 'labels'): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= numClasses) {
      throw new CertifyError(
        `${label}[${i}] is ${labels[i]} but the model has ${numClasses} classes (ids 0..${numClasses - 1}).`,
      );
    }
  }
}

export function validateBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new CertifyError(`batchSize must be a positive integer, got ${batchSize}.`);
  }
}

/** Run forward over x in batches; every intermediate tensor is released. */
export async function collectLogits(forward: Forward, x: tf.Tensor4D, batchSize = 256): Promise<HostLogits> {
  validateBatchSize(batchSize);
  const n = x.shape[0];
  const parts: Float32Array[] = [];
  let numClasses = 0;
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const z = tf.tidy(() => forward(tf.slice(x, [start, 0, 0, 0], [size, -1, -1, -1])));
    if (z.rank !== 2 || z.shape[0] !== size) {
      const shape = z.shape.join(', ');
      z.dispose();
      throw new CertifyError(
        `forward returned shape [${shape}] for a batch of ${size}; it must return logits [batch, classes].`,
      );
    }
    numClasses = z.shape[1];
    parts.push(new Float32Array(await z.data()));
    z.dispose();
  }
  const data = new Float32Array(n * numClasses);
  let off = 0;
  for (const p of parts) {
    data.set(p, off);
    off += p.length;
  }
  return { data, n, numClasses };
}
