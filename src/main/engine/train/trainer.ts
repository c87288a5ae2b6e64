/**
 * One training run's state: data, model, optimiser, regulariser, and the single training step. The loop
 * around it (events, pause/cancel, evaluation schedule) lives in run.ts; tests drive this class directly.
 */
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../../../shared/config.js';
import { planSteps } from '../../../shared/config.js';
import type { StepPoint } from '../../../shared/events.js';
import { channelStats, loadDataset, mulberry32, splitValidation, streamSeed } from '../data/index.js';
import type { Batch, Dataset, IndexedBatch, Split } from '../data/index.js';
import { iterateBatches } from '../data/batches.js';
import { buildModel, type Network } from '../models/index.js';
import { countCorrect, softmaxCrossEntropy } from './loss.js';
import { createOptimizer, type Optimizer } from './optimizer.js';
import { createRegularizer, type Regularizer } from './regularizer.js';
import { learningRate } from './schedule.js';
import type { EvalData } from './evaluate.js';

export interface TrainerOptions {
  /** Overrides config.dataset.path. */
  dataDir?: string;
  /** A dataset already in memory (tests, benchmarks); skips loading. */
  dataset?: Dataset;
}

export class DivergenceError extends Error {
  constructor(
    readonly step: number,
    what: string,
    value: number,
  ) {
    super(
      `diverged at step ${step}: ${what} is ${Number.isNaN(value) ? 'NaN' : String(value)}; lower the learning rate or β`,
    );
    this.name = 'DivergenceError';
  }
}

function firstN(split: Split, n: number): Split {
  return n >= split.count ? split : split.subset(Uint32Array.from({ length: n }, (_, i) => i));
}

export class Trainer {
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  readonly evalData: EvalData;
  private batches: Generator<IndexedBatch> | null = null;
  private batchEpoch = -1;
  private readonly vars: tf.Variable[];
  /** Images seen by trainStep, for throughput. */
  imagesSeen = 0;
  trainMs = 0;

  private constructor(
    readonly config: RunConfig,
    readonly dataset: Dataset,
    readonly train: Split,
    validation: Split | null,
    readonly model: Network,
    private readonly optimizer: Optimizer,
    private readonly regularizer: Regularizer | null,
  ) {
    ({ stepsPerEpoch: this.stepsPerEpoch, totalSteps: this.totalSteps } = planSteps(config, train.count));
    const ev = config.evaluation;
    this.evalData = {
      trainEval: firstN(train, ev.trainSubset),
      validation,
      test: ev.testSubset ? firstN(dataset.test, ev.testSubset) : dataset.test,
    };
    this.vars = model.trainableVariables();
  }

  static async create(config: RunConfig, opts: TrainerOptions = {}): Promise<Trainer> {
    const d = config.dataset;
    const dataset =
      opts.dataset ??
      (await loadDataset({
        name: d.name,
        path: opts.dataDir ?? d.path,
        limit: { train: d.limitTrain, test: d.limitTest },
      }));
    let train = dataset.train;
    let validation: Split | null = null;
    if (d.validationSize > 0) {
      if (d.validationSize >= train.count) {
        throw new Error(
          `dataset.validationSize is ${d.validationSize} but only ${train.count} training images are loaded; lower validationSize (or 0).`,
        );
      }
      ({ train, validation } = splitValidation(train, d.validationSize, streamSeed(config.seed, 'validationSplit')));
    }
    // Standardisation belongs to the CIFAR ResNets' recipe; the small CNNs see [0,1] pixels so their
    // Lipschitz bound (and hence certified radii) are in pixel space with no extra factor.
    const resnet = config.model.arch === 'resnet20' || config.model.arch === 'resnet32';
    const model = buildModel(config.model.arch, {
      inputShape: dataset.imageShape,
      activation: config.model.activation,
      seed: config.seed,
      numClasses: dataset.numClasses,
      normalization: resnet ? channelStats(train) : undefined,
    });
    let optimizer: Optimizer | null = null;
    try {
      optimizer = createOptimizer(config.optimizer, model.trainableVariables());
      const regularizer = createRegularizer(model, config.regularizer, config.seed);
      return new Trainer(config, dataset, train, validation, model, optimizer, regularizer);
    } catch (e) {
      optimizer?.dispose();
      model.dispose();
      throw e;
    }
  }

  epochOf(step: number): number {
    return step / this.stepsPerEpoch;
  }

  /** Training batch for 1-based `step`; each epoch has its own seeded order (and augmentation stream). */
  private nextBatch(step: number): IndexedBatch {
    const epoch = Math.floor((step - 1) / this.stepsPerEpoch);
    if (epoch !== this.batchEpoch || !this.batches) {
      this.batchEpoch = epoch;
      const augment = this.config.dataset.augment
        ? { rng: mulberry32(streamSeed(this.config.seed, 'augmentation', epoch)), pad: 4, flip: true }
        : undefined;
      this.batches = iterateBatches(this.train, {
        batchSize: this.config.batchSize,
        seed: streamSeed(this.config.seed, 'batchOrder'),
        epoch,
        augment,
      });
    }
    const r = this.batches.next();
    if (r.done) {
      // Only reachable when steps are not aligned with epochs; start the next pass.
      this.batches = null;
      this.batchEpoch = -1;
      return this.nextBatch(step);
    }
    return r.value;
  }

  /**
   * Position the batch stream after `step` (resuming from a checkpoint), so trainStep(step + 1) gets the
   * batch it would have had: the epoch's seeded order is replayed up to that step.
   */
  skipTo(step: number): void {
    const first = Math.floor(step / this.stepsPerEpoch) * this.stepsPerEpoch + 1;
    for (let s = first; s <= step; s++) this.nextBatch(s);
  }

  /** One optimisation step (1-based) on the run's next batch. Throws DivergenceError on a non-finite loss. */
  async trainStep(step: number): Promise<StepPoint> {
    const t0 = performance.now();
    return this.trainOnBatch(this.nextBatch(step), step, t0);
  }

  /** The step itself on a given batch (benchmarks feed a fixed one). */
  async trainOnBatch(batch: Batch, step: number, t0 = performance.now()): Promise<StepPoint> {
    const n = batch.shape[0];
    const lr = learningRate(this.config.optimizer, (step - 1) / this.stepsPerEpoch, this.config.epochs);
    const beta = this.config.regularizer.beta;
    this.regularizer?.beforeStep();
    let kept: tf.Tensor[] = [];
    try {
      tf.tidy(() => {
        const x = tf.tensor4d(batch.x, batch.shape);
        const y = tf.tensor1d(batch.y, 'int32');
        const { value, grads } = tf.variableGrads(() => {
          const logits = this.model.forward(x, 'train');
          const ce = softmaxCrossEntropy(logits, y);
          const pen = this.regularizer ? this.regularizer.penalty() : tf.scalar(0);
          // Kept past variableGrads' own tidy; released after they are read below.
          kept = [tf.keep(ce), tf.keep(pen), tf.keep(countCorrect(logits, y))];
          return this.regularizer ? (tf.add(ce, tf.mul(pen, beta)) as tf.Scalar) : ce;
        }, this.vars);
        kept.push(tf.keep(value));
        this.optimizer.apply(
          this.vars.map((v) => grads[v.name]),
          lr,
        );
        this.model.commitBatchStats(n);
        // A NaN weight does not always reach the loss (WASM's ReLU maps NaN to 0), so the weights are checked
        // too: one sum of squares over all of them per step.
        kept.push(tf.keep(tf.addN(this.vars.map((v) => tf.sum(tf.square(v))))));
      });
      const [ce, reg, correct, loss, weightSq] = await Promise.all(kept.map((t) => t.data()));
      const point: StepPoint = {
        step,
        epoch: this.epochOf(step),
        loss: loss[0],
        ce: ce[0],
        reg: reg[0],
        acc: correct[0] / n,
        lr,
        stepMs: performance.now() - t0,
      };
      this.imagesSeen += n;
      this.trainMs += point.stepMs;
      if (!Number.isFinite(point.loss)) throw new DivergenceError(step, 'loss', point.loss);
      if (!Number.isFinite(weightSq[0])) throw this.weightDivergence(step);
      return point;
    } finally {
      tf.dispose(kept);
      this.model.clearBatchStats();
    }
  }

  /** Names the first variable holding a non-finite value (only called once the run has diverged). */
  private weightDivergence(step: number): DivergenceError {
    for (const v of this.model.variables()) {
      const bad = (v.variable.dataSync() as Float32Array).find((x) => !Number.isFinite(x));
      if (bad !== undefined) return new DivergenceError(step, v.name, bad);
    }
    return new DivergenceError(step, 'the sum of squared weights', Infinity);
  }

  dispose(): void {
    this.regularizer?.dispose();
    this.optimizer.dispose();
    this.model.dispose();
  }
}
