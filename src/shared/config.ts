/**
 * The run configuration: one zod schema with defaults and help texts, from which the CLI validates
 * JSON files and the UI generates its form (walk `RunConfigObjectSchema`, or `z.toJSONSchema(
 * RunConfigObjectSchema, { io: 'input' })`). Pure TS: zod only.
 *
 * Paper presets (Singla & Feizi 2021, Section 5 / Appendix): ResNet-20/32 on CIFAR-10, SGD lr 0.1,
 * momentum 0.9, weight decay 1e-4, batch 128, 200 epochs, lr x0.1 at epochs 100 and 150.
 */
import { z } from 'zod';
import { BACKEND_CHOICES, type BackendChoice } from './backend.js';

export const DATASETS = ['mnist', 'fashion-mnist', 'cifar10'] as const;
export const ARCHITECTURES = ['mnist-cnn', 'lip-cnn', 'resnet20', 'resnet32'] as const;
export const ACTIVATIONS = ['relu', 'softplus', 'tanh'] as const;
export const REGULARIZERS = ['none', 'f4-min', 'f4-R', 'f4-S', 'f4-T', 'f4-U', 'miyato-t', 'gram-iteration'] as const;

export type DatasetChoice = (typeof DATASETS)[number];
export type Architecture = (typeof ARCHITECTURES)[number];
export type Activation = (typeof ACTIVATIONS)[number];
export type RegularizerKind = (typeof REGULARIZERS)[number];

/**
 * Certification radii in the l2 norm of the input. CIFAR-10: 36/255, 72/255, 108/255 (the radii of
 * the Lipschitz-certification literature, e.g. Singla & Feizi's SOC / Li et al. BCOP tables);
 * MNIST / Fashion-MNIST: 1.58 (the standard l2 radius for MNIST).
 */
export const DEFAULT_EPSILONS: Record<DatasetChoice, number[]> = {
  cifar10: [36 / 255, 72 / 255, 108 / 255],
  mnist: [1.58],
  'fashion-mnist': [1.58],
};

const int = (min: number) => z.number().int().min(min);

const DatasetSchema = z
  .strictObject({
    name: z.enum(DATASETS).default('mnist').describe("Dataset: 'mnist', 'fashion-mnist' or 'cifar10'."),
    path: z
      .string()
      .min(1)
      .optional()
      .describe('Folder with the dataset files (or the CIFAR-10 binary .tar.gz). Empty = the default location.'),
    validationSize: int(0)
      .default(5000)
      .describe('Training images held out for validation (paper: 5000). 0 = no validation split.'),
    augment: z
      .boolean()
      .optional()
      .describe('Random crop (4 px zero padding) + horizontal flip. Default: on for CIFAR-10, off otherwise.'),
    limitTrain: int(1).optional().describe('Use only the first N training images (quick runs). Empty = all.'),
    limitTest: int(1).optional().describe('Use only the first N test images (quick runs). Empty = all.'),
  })
  .describe('What to train on.');

const ModelSchema = z
  .strictObject({
    arch: z
      .enum(ARCHITECTURES)
      .default('mnist-cnn')
      .describe(
        "'mnist-cnn' small CNN with max-pooling; 'lip-cnn' Lipschitz-friendly CNN (strided convs, no BatchNorm) " +
          "for certification; 'resnet20' / 'resnet32' CIFAR ResNets (option-A shortcuts, BatchNorm).",
      ),
    activation: z
      .enum(ACTIVATIONS)
      .default('relu')
      .describe("Non-linearity: 'relu', or a smooth one ('softplus', 'tanh') for the curvature bound."),
  })
  .describe('The network.');

const ScheduleSchema = z
  .strictObject({
    kind: z
      .enum(['constant', 'step', 'cosine'])
      .default('constant')
      .describe(
        "Learning-rate schedule: 'constant', 'step' (x gamma at each milestone) or 'cosine' (to 0 at the end).",
      ),
    milestones: z
      .array(int(1))
      .default([])
      .describe("Epochs at which a 'step' schedule multiplies the rate by gamma (paper: [100, 150])."),
    gamma: z.number().gt(0).max(1).default(0.1).describe("Factor of a 'step' schedule (paper: 0.1)."),
  })
  .describe('How the learning rate changes over training.');

const OptimizerSchema = z
  .strictObject({
    kind: z.enum(['sgd', 'adam']).default('sgd').describe("'sgd' (with momentum) or 'adam'."),
    lr: z.number().gt(0).max(10).default(0.1).describe('Initial learning rate (paper: 0.1 with SGD; ~1e-3 with Adam).'),
    momentum: z.number().min(0).lt(1).default(0.9).describe('SGD momentum (paper: 0.9). Ignored by Adam.'),
    weightDecay: z
      .number()
      .min(0)
      .max(1)
      .default(1e-4)
      .describe('L2 weight decay added to the gradient (paper: 1e-4).'),
    schedule: ScheduleSchema.prefault({}),
  })
  .describe('The optimiser.');

const RegularizerSchema = z
  .strictObject({
    kind: z
      .enum(REGULARIZERS)
      .default('none')
      .describe(
        "Penalty on the layers' spectral norms: 'none'; 'f4-min' = sqrt(hw)*min(||R||,||S||,||T||,||U||) " +
          "(Fantastic Four); 'f4-R'..'f4-U' one reshape; 'miyato-t' = sqrt(hw)*||T||; 'gram-iteration'.",
      ),
    beta: z.number().min(0).default(0).describe('Weight beta of the penalty in loss = CE + beta * penalty (>= 0).'),
    reduce: z
      .enum(['sum', 'sum-log'])
      .default('sum')
      .describe("Combine layers by 'sum' of bounds or 'sum-log' (log of the product = log of the Lipschitz bound)."),
    includeDense: z
      .boolean()
      .default(false)
      .describe('Also penalise dense layers (kernel [in,out] seen as a 1x1 convolution).'),
    powerIterInit: int(0).default(50).describe('Power iterations run once at the start for every layer (default 50).'),
    powerIterPerStep: int(0)
      .default(1)
      .describe('Power iterations per training step, warm-started from the last step (default 1).'),
  })
  .describe('Spectral-norm regulariser.');

const CertificationSchema = z
  .strictObject({
    epsilons: z
      .array(z.number().gt(0, 'must be > 0').max(10, 'must be <= 10'))
      .min(1)
      .optional()
      .describe('l2 radii to certify. Default: 36/255, 72/255, 108/255 for CIFAR-10; 1.58 for MNIST.'),
    pgd: z
      .strictObject({
        enabled: z.boolean().default(false).describe('Also measure empirical robust accuracy under an l2 PGD attack.'),
        steps: int(1).default(10).describe('PGD steps per attack.'),
        subset: int(1).default(500).describe('Test images attacked (PGD is expensive).'),
      })
      .prefault({})
      .describe('Projected gradient descent attack.'),
    curvature: z
      .strictObject({
        enabled: z
          .boolean()
          .default(false)
          .describe("Compute the curvature bound and its certificate (needs 'lip-cnn' with 'softplus' or 'tanh')."),
        subset: int(1).default(500).describe('Test images certified with the curvature certificate.'),
      })
      .prefault({})
      .describe('Curvature (second-order) bound.'),
  })
  .describe('Robustness certification at evaluation time.');

const EvaluationSchema = z
  .strictObject({
    everyEpochs: z.number().gt(0).default(1).describe('Evaluate every this many epochs (fractions allowed).'),
    everySteps: int(1).optional().describe('Evaluate every this many steps instead of by epochs.'),
    trainSubset: int(1).default(5000).describe('Training images used for the train accuracy.'),
    testSubset: int(1).optional().describe('Test images used for accuracy and certification. Empty = all.'),
    exactNorm: z
      .boolean()
      .default(true)
      .describe('Also compute the exact circular norm (Sedghi et al.) of each conv layer.'),
    operatorIterations: int(1)
      .default(30)
      .describe('Power iterations of the operator-norm estimate at the real padding/stride.'),
    gramIterations: int(0).default(6).describe('Gram iterations for the Gram-iteration bound (0 = skip).'),
  })
  .describe('When and how thoroughly to evaluate.');

const CheckpointSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('Save the weights at every evaluation point (bounds can be recomputed).'),
    dir: z
      .string()
      .min(1)
      .optional()
      .describe('Folder for checkpoints. Empty = runs/<run id>/ under the working folder.'),
  })
  .describe('Weight checkpoints.');

export const RunConfigObjectSchema = z
  .strictObject({
    name: z.string().min(1).max(200).default('run').describe('A name for the run (shown in lists and reports).'),
    dataset: DatasetSchema.prefault({}),
    model: ModelSchema.prefault({}),
    optimizer: OptimizerSchema.prefault({}),
    batchSize: int(1).max(4096).default(128).describe('Images per step (paper: 128).'),
    epochs: z
      .number()
      .gt(0)
      .max(10_000)
      .default(10)
      .describe('Passes over the training set (paper: 200; fractions allowed).'),
    maxSteps: int(1).optional().describe('Stop after this many steps even if epochs are left. Empty = no cap.'),
    regularizer: RegularizerSchema.prefault({}),
    certification: CertificationSchema.prefault({}),
    evaluation: EvaluationSchema.prefault({}),
    seed: int(0)
      .max(2 ** 32 - 1)
      .default(0)
      .describe('Seed of the initialisation, shuffling and augmentation.'),
    backend: z
      .enum(BACKEND_CHOICES as unknown as [BackendChoice, ...BackendChoice[]])
      .default('auto')
      .describe("TensorFlow.js backend: 'auto' (fastest available), 'tensorflow-gpu', 'tensorflow', 'wasm' or 'cpu'."),
    checkpoints: CheckpointSchema.prefault({}),
  })
  .superRefine((c, ctx) => {
    const trainCount = c.dataset.limitTrain;
    if (trainCount !== undefined && c.dataset.validationSize >= trainCount) {
      ctx.addIssue({
        code: 'custom',
        path: ['dataset', 'validationSize'],
        message: `is ${c.dataset.validationSize} but only ${trainCount} training images are used (limitTrain); set it below ${trainCount} (or 0)`,
      });
    }
    const ms = c.optimizer.schedule.milestones;
    for (let i = 1; i < ms.length; i++) {
      if (ms[i] <= ms[i - 1]) {
        ctx.addIssue({
          code: 'custom',
          path: ['optimizer', 'schedule', 'milestones', i],
          message: 'milestones must be strictly increasing epochs, e.g. [100, 150]',
        });
      }
    }
    if (c.certification.curvature.enabled && (c.model.arch !== 'lip-cnn' || c.model.activation === 'relu')) {
      ctx.addIssue({
        code: 'custom',
        path: ['certification', 'curvature', 'enabled'],
        message:
          "the curvature bound needs a plain conv/dense network with a smooth activation: set model.arch 'lip-cnn' and " +
          "model.activation 'softplus' or 'tanh', or turn curvature off",
      });
    }
    if (c.regularizer.kind !== 'none' && c.regularizer.beta === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['regularizer', 'beta'],
        message: `is 0 with regularizer '${c.regularizer.kind}'; set beta > 0 (e.g. 0.01) or kind 'none'`,
      });
    }
  });

/** Dataset-dependent defaults (epsilons, augmentation) need the dataset, hence a transform. */
export const RunConfigSchema = RunConfigObjectSchema.transform((c) => ({
  ...c,
  dataset: { ...c.dataset, augment: c.dataset.augment ?? c.dataset.name === 'cifar10' },
  certification: { ...c.certification, epsilons: c.certification.epsilons ?? [...DEFAULT_EPSILONS[c.dataset.name]] },
}));

export type RunConfig = z.output<typeof RunConfigSchema>;
/** What a user may write: every field optional. */
export type RunConfigInput = z.input<typeof RunConfigSchema>;

export class RunConfigError extends Error {
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(message);
    this.name = 'RunConfigError';
  }
}

/** The help text of the field at `path`, to tell the user what a valid value looks like. */
function describeAt(path: PropertyKey[]): string | undefined {
  let s: z.ZodType | undefined = RunConfigObjectSchema;
  let found: string | undefined;
  for (const key of path) {
    const inner: z.ZodType = unwrapSchema(s);
    if (inner instanceof z.ZodObject && typeof key === 'string') s = (inner.shape as Record<string, z.ZodType>)[key];
    else if (inner instanceof z.ZodArray && typeof key === 'number') s = inner.element as z.ZodType;
    else break;
    if (!s) break;
    found = s.description ?? unwrapSchema(s).description ?? found;
  }
  return found;
}

/** The schema inside default/optional/prefault/transform wrappers (to walk object shapes). */
export function unwrapSchema(s: z.ZodType): z.ZodType {
  let cur: z.ZodType = s;
  for (let i = 0; i < 8; i++) {
    const def = (cur as unknown as { def: { innerType?: z.ZodType; in?: z.ZodType } }).def;
    const next = def.innerType ?? def.in;
    if (!next) break;
    cur = next;
  }
  return cur;
}

function formatPath(path: PropertyKey[]): string {
  if (path.length === 0) return '(config)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

function issuesOf(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((iss) => {
    let message = iss.message;
    if (iss.code === 'unrecognized_keys') {
      const obj = unwrapSchema(RunConfigObjectSchema as z.ZodType);
      let s: z.ZodType | undefined = obj;
      for (const k of iss.path)
        s = s && unwrapSchema(s) instanceof z.ZodObject ? (unwrapSchema(s) as z.ZodObject).shape[String(k)] : undefined;
      const known =
        s && unwrapSchema(s) instanceof z.ZodObject ? Object.keys((unwrapSchema(s) as z.ZodObject).shape) : [];
      message =
        `unknown field(s) ${iss.keys.map((k) => `'${k}'`).join(', ')}: remove or fix the spelling` +
        (known.length ? ` (known fields: ${known.join(', ')})` : '');
    } else {
      const help = describeAt(iss.path);
      if (help) message += ` — ${help}`;
    }
    return { path: formatPath(iss.path), message };
  });
}

/** Validate a run config; on failure the error lists every bad field and what a valid value is. */
export function parseRunConfig(input: unknown): RunConfig {
  const r = safeParseRunConfig(input);
  if (r.success) return r.data;
  throw r.error;
}

export function safeParseRunConfig(
  input: unknown,
): { success: true; data: RunConfig } | { success: false; error: RunConfigError } {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    const what = Array.isArray(input) ? 'an array' : input === null ? 'null' : typeof input;
    const issues = [
      {
        path: '(config)',
        message: `expected a JSON object, got ${what}; start from resources/experiments/mnist-baseline.json`,
      },
    ];
    return {
      success: false,
      error: new RunConfigError(`Invalid run config:\n  - (config): ${issues[0].message}`, issues),
    };
  }
  const r = RunConfigSchema.safeParse(input);
  if (r.success) return { success: true, data: r.data };
  const issues = issuesOf(r.error);
  const lines = issues.map((i) => `  - ${i.path}: ${i.message}`);
  return {
    success: false,
    error: new RunConfigError(
      `Invalid run config (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
      issues,
    ),
  };
}

/** Steps per epoch and total steps of a run, as the loop and the progress bar count them. */
export function planSteps(config: RunConfig, trainCount: number): { stepsPerEpoch: number; totalSteps: number } {
  const stepsPerEpoch = Math.max(1, Math.ceil(trainCount / config.batchSize));
  const byEpochs = Math.max(1, Math.round(config.epochs * stepsPerEpoch));
  return { stepsPerEpoch, totalSteps: config.maxSteps !== undefined ? Math.min(byEpochs, config.maxSteps) : byEpochs };
}
