/**
 * l2 projected gradient descent (Madry et al., ICLR 2018, Sec. 2 and App. on l2 attacks): steps along the
 * normalised gradient of the loss, projection onto the l2 ball of radius eps around x, clipping to the
 * valid pixel range. A point counts as robust only if it is correctly classified at x and at every iterate
 * of every restart. This is an empirical UPPER estimate of robust accuracy: any sound certificate on the
 * same points must be <= it (the tests check this per point).
 */
import * as tf from '@tensorflow/tfjs';
import { CertifyError } from '../../../shared/certify-math.js';
import { deriveSeed } from '../data/rng.js';
import { checkLabelRange, type Forward, type LabelsInput, toHostLabels, validateBatchSize } from './inputs.js';

export type PgdLoss = 'margin' | 'cross-entropy';

export interface PgdOptions {
  eps: number;
  steps: number;
  stepSize: number;
  /** Attack runs per point (default 1). Run 0 starts at x; runs >= 1 start at a uniform point of the ball. */
  restarts?: number;
  seed: number;
  /** 'margin' (default): maximise max_{j != y} z_j - z_y (Carlini–Wagner); 'cross-entropy': softmax CE. */
  loss?: PgdLoss;
  /** Valid input range; null disables clipping. Default [0, 1]. */
  clip?: [number, number] | null;
  batchSize?: number;
}

export interface PgdReport {
  eps: number;
  n: number;
  cleanAccuracy: number;
  /** Fraction correct at x and at every PGD iterate. */
  robustAccuracy: number;
  correct: Uint8Array;
  robust: Uint8Array;
}

function validatePgd(o: PgdOptions): Required<Omit<PgdOptions, 'clip'>> & { clip: [number, number] | null } {
  if (!Number.isFinite(o.eps) || o.eps <= 0)
    throw new CertifyError(`pgd: eps must be a finite number > 0, got ${o.eps}.`);
  if (!Number.isInteger(o.steps) || o.steps < 1)
    throw new CertifyError(`pgd: steps must be a positive integer, got ${o.steps}.`);
  if (!Number.isFinite(o.stepSize) || o.stepSize <= 0) {
    throw new CertifyError(
      `pgd: stepSize must be a finite number > 0, got ${o.stepSize} (a common choice is 2.5 * eps / steps).`,
    );
  }
  const restarts = o.restarts ?? 1;
  if (!Number.isInteger(restarts) || restarts < 1)
    throw new CertifyError(`pgd: restarts must be a positive integer, got ${restarts}.`);
  if (!Number.isInteger(o.seed)) throw new CertifyError(`pgd: seed must be an integer, got ${o.seed}.`);
  const clip = o.clip === undefined ? ([0, 1] as [number, number]) : o.clip;
  if (clip && !(clip[0] < clip[1]))
    throw new CertifyError(`pgd: clip must be [lo, hi] with lo < hi, got [${clip.join(', ')}].`);
  const loss = o.loss ?? 'margin';
  if (loss !== 'margin' && loss !== 'cross-entropy')
    throw new CertifyError(`pgd: loss must be 'margin' or 'cross-entropy', got "${String(loss)}".`);
  const batchSize = o.batchSize ?? 128;
  validateBatchSize(batchSize);
  return { eps: o.eps, steps: o.steps, stepSize: o.stepSize, restarts, seed: o.seed, loss, clip, batchSize };
}

/** Per-example loss the attacker maximises. */
function attackLoss(z: tf.Tensor2D, onehot: tf.Tensor2D, loss: PgdLoss): tf.Tensor1D {
  if (loss === 'cross-entropy') {
    return tf.losses.softmaxCrossEntropy(onehot, z, undefined, 0, tf.Reduction.NONE) as tf.Tensor1D;
  }
  const zy = tf.sum(tf.mul(z, onehot), 1);
  const others = tf.where(tf.cast(onehot, 'bool'), tf.fill(z.shape, -1e30), z);
  return tf.sub(tf.max(others, 1), zy);
}

/** Per-example l2 norm of a [b, h, w, c] tensor, shaped [b, 1, 1, 1] for broadcasting. */
function perExampleNorm(t: tf.Tensor4D): tf.Tensor4D {
  return tf.sqrt(tf.sum(tf.square(t), [1, 2, 3], true)) as tf.Tensor4D;
}

/** 1 where z_y > max_{j != y} z_j: the same strict notion of "correct" as the certificates (ties fail). */
async function correctMask(z: tf.Tensor2D, onehot: tf.Tensor2D): Promise<Uint8Array> {
  const ok = tf.tidy(() => tf.cast(tf.less(attackLoss(z, onehot, 'margin'), 0), 'int32'));
  const v = new Uint8Array(await ok.data());
  ok.dispose();
  return v;
}

async function checkRange(x: tf.Tensor4D, clip: [number, number]): Promise<void> {
  const [lo, hi] = tf.tidy(() => [tf.min(x), tf.max(x)]);
  const [a, b] = [(await lo.data())[0], (await hi.data())[0]];
  lo.dispose();
  hi.dispose();
  if (!(a >= clip[0] && b <= clip[1])) {
    throw new CertifyError(
      `pgd: inputs span [${a}, ${b}] but clip is [${clip[0]}, ${clip[1]}]; pass clip matching the data range, or clip: null.`,
    );
  }
}

/** A uniform point in the l2 ball of radius eps (Gaussian direction, radius eps * U^(1/d)). */
function randomBallStart(shape: [number, number, number, number], eps: number, seed: number): tf.Tensor4D {
  return tf.tidy(() => {
    const d = shape[1] * shape[2] * shape[3];
    const dir = tf.randomNormal(shape, 0, 1, 'float32', seed) as tf.Tensor4D;
    const u = tf.randomUniform([shape[0], 1, 1, 1], 0, 1, 'float32', deriveSeed(seed, 1));
    const radius = tf.mul(eps, tf.pow(u, 1 / d));
    return tf.mul(tf.div(dir, tf.maximum(perExampleNorm(dir), 1e-12)), radius) as tf.Tensor4D;
  });
}

/** Empirical robust accuracy under an l2 PGD attack of radius eps. */
export async function pgdRobustAccuracy(
  forward: Forward,
  x: tf.Tensor4D,
  labels: LabelsInput,
  options: PgdOptions,
): Promise<PgdReport> {
  const o = validatePgd(options);
  if (!(x instanceof tf.Tensor) || x.rank !== 4) {
    throw new CertifyError(
      'pgd: x must be a 4-D tensor [examples, height, width, channels] (reshape flat inputs to [n, 1, 1, d]).',
    );
  }
  const yHost = await toHostLabels(labels);
  const n = x.shape[0];
  if (yHost.length !== n)
    throw new CertifyError(`pgd: ${n} inputs but ${yHost.length} labels; they must describe the same examples.`);
  if (n === 0) throw new CertifyError('pgd: no examples.');
  if (o.clip) await checkRange(x, o.clip);

  const correct = new Uint8Array(n);
  const robust = new Uint8Array(n);
  let numClasses = -1;
  for (let start = 0, batch = 0; start < n; start += o.batchSize, batch++) {
    const size = Math.min(o.batchSize, n - start);
    const xb = tf.slice(x, [start, 0, 0, 0], [size, -1, -1, -1]);
    const yb = tf.tensor1d(yHost.subarray(start, start + size), 'int32');
    const z0 = tf.tidy(() => forward(xb));
    if (numClasses < 0) {
      try {
        if (z0.rank !== 2 || z0.shape[0] !== size) {
          throw new CertifyError(
            `pgd: forward returned shape [${z0.shape.join(', ')}] for a batch of ${size}; it must return logits [batch, classes].`,
          );
        }
        numClasses = z0.shape[1];
        checkLabelRange(yHost, numClasses);
      } catch (err) {
        tf.dispose([xb, yb, z0]);
        throw err;
      }
    }
    const onehot = tf.tidy(() => tf.oneHot(yb, numClasses).toFloat()) as tf.Tensor2D;
    const alive = await correctMask(z0, onehot);
    z0.dispose();
    correct.set(alive, start);

    const lossSum = (xa: tf.Tensor): tf.Scalar => tf.sum(attackLoss(forward(xa as tf.Tensor4D), onehot, o.loss));
    const gradOf = tf.grad(lossSum);
    for (let r = 0; r < o.restarts; r++) {
      // One sub-stream per (batch, restart) of the attack's seed.
      const delta =
        r === 0 ? tf.zerosLike(xb) : randomBallStart(xb.shape, o.eps, deriveSeed(deriveSeed(o.seed, batch), r));
      await attack(forward, xb, onehot, delta, gradOf, o, alive);
    }
    robust.set(alive, start);
    tf.dispose([xb, yb, onehot]);
  }
  let c = 0;
  let rb = 0;
  for (let i = 0; i < n; i++) {
    c += correct[i];
    rb += robust[i];
  }
  return { eps: o.eps, n, cleanAccuracy: c / n, robustAccuracy: rb / n, correct, robust };
}

/**
 * One PGD run from the start perturbation `delta` (taken over and disposed): o.steps normalised gradient steps
 * of size o.stepSize, each projected onto the l2 ball of radius o.eps; alive[i] drops to 0 for every example
 * misclassified at any step.
 */
async function attack(
  forward: Forward,
  xb: tf.Tensor4D,
  onehot: tf.Tensor2D,
  delta: tf.Tensor4D,
  gradOf: (x: tf.Tensor) => tf.Tensor,
  o: ReturnType<typeof validatePgd>,
  alive: Uint8Array,
): Promise<void> {
  for (let step = 0; step <= o.steps; step++) {
    // Clip x + delta into the box; for x inside the box this only shrinks |delta| coordinate-wise,
    // so the l2 projection stays satisfied.
    const xa = tf.tidy(
      () => (o.clip ? tf.clipByValue(tf.add(xb, delta), o.clip[0], o.clip[1]) : tf.add(xb, delta)) as tf.Tensor4D,
    );
    const za = tf.tidy(() => forward(xa));
    const ok = await correctMask(za, onehot);
    za.dispose();
    for (let i = 0; i < alive.length; i++) if (!ok[i]) alive[i] = 0;
    if (step === o.steps) {
      xa.dispose();
      break;
    }
    const next = tf.tidy(() => {
      const g = gradOf(xa) as tf.Tensor4D;
      const stepped = tf.add(tf.sub(xa, xb), tf.mul(o.stepSize, tf.div(g, tf.maximum(perExampleNorm(g), 1e-12))));
      const norm = perExampleNorm(stepped as tf.Tensor4D);
      return tf.mul(stepped, tf.minimum(1, tf.div(o.eps, tf.maximum(norm, 1e-12)))) as tf.Tensor4D;
    });
    xa.dispose();
    delta.dispose();
    delta = next;
  }
  delta.dispose();
}
