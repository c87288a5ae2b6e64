/**
 * Certificates for an imported network on a labelled set: clean accuracy, certified robust accuracy against eps
 * from the network's Lipschitz bound (standard Lipschitz-margin certificate, and the pairwise last-layer one when
 * the network ends in a dense layer), and l2 PGD robust accuracy, all with the forward pass built from the same
 * graph. Radii are in pixel space ([0, 1] pixels) when a normalisation (mean, std) is given.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ModelAnalysis, ModelCertificates } from '../../../../shared/model-analysis.js';
import { sortRadii } from '../../../../shared/certify-math.js';
import { certifiedAccuracy, collectLogits, pgdRobustAccuracy } from '../../certify/index.js';
import {
  DATASET_NAMES,
  IDX_FILE_NAMES,
  IDX_IMAGES_MAGIC,
  loadDataset,
  loadIdxPair,
  readIdxFile,
  type DatasetName,
  type Split,
} from '../../data/index.js';
import { findIdxFile, GENERIC_REMEDY } from '../../data/idx.js';
import { ModelImportError, type DenseNode } from './graph.js';
import { buildForward } from './forward.js';
import type { ShapedGraph } from './shapes.js';

export interface LabelledSet {
  name: string;
  split: Split;
}

/** mnist | fashion-mnist | cifar10 (their test sets), a folder with t10k-images/-labels IDX files, or an IDX images file. */
export async function loadLabelledSet(spec: string, limit: number): Promise<LabelledSet> {
  if ((DATASET_NAMES as readonly string[]).includes(spec)) {
    const d = await loadDataset({ name: spec as DatasetName, limit: { train: 0, test: limit } });
    return { name: `${spec} test`, split: d.test };
  }
  if (!existsSync(spec)) {
    throw new ModelImportError(
      `--dataset '${spec}' is neither ${DATASET_NAMES.join(', ')} nor an existing folder or IDX file.`,
    );
  }
  const dir = statSync(spec).isDirectory();
  const imagesFile = dir ? await findIdxFile(spec, IDX_FILE_NAMES.testImages, GENERIC_REMEDY) : spec;
  const labelsFile = dir
    ? await findIdxFile(spec, IDX_FILE_NAMES.testLabels, GENERIC_REMEDY)
    : join(dirname(spec), basename(spec).replace('images', 'labels').replace('idx3', 'idx1'));
  if (labelsFile === imagesFile || !existsSync(labelsFile)) {
    throw new ModelImportError(
      `--dataset ${spec}: no labels file next to it (looked for ${labelsFile}); name the pair *images*/*labels* as in MNIST.`,
    );
  }
  const head = await readIdxFile(imagesFile, IDX_IMAGES_MAGIC);
  const split = await loadIdxPair({ imagesFile, labelsFile, imageShape: [head.dims[1], head.dims[2], 1], limit });
  return { name: imagesFile, split };
}

export interface CertifyOptions {
  epsilons: number[];
  mean?: number[];
  std?: number[];
  /** PGD steps per eps (0: no attack). */
  pgdSteps: number;
  seed?: number;
  onStage?: (stage: string) => void;
}

export async function certifyImported(
  sg: ShapedGraph,
  analysis: ModelAnalysis,
  set: LabelledSet,
  opts: CertifyOptions,
): Promise<ModelCertificates> {
  const L = analysis.input_normalization
    ? analysis.input_normalization.pixel_lipschitz_upper_bound
    : analysis.lipschitz_upper_bound;
  if (L === null) {
    throw new ModelImportError(
      `certificates need the whole network's Lipschitz bound, but ${analysis.lipschitz_covers.description} (${analysis.unsupported.map((u) => `${u.op} '${u.name}'`).join(', ')}).`,
    );
  }
  const [h, w, c] = set.split.imageShape;
  const want = sg.inputShape;
  if (want.length === 3 ? want.join() !== [c, h, w].join() : want[0] !== h * w * c) {
    throw new ModelImportError(
      `the model takes input [${want.join(', ')}] but ${set.name} has images ${c}x${h}x${w}; choose the dataset the model was trained on.`,
    );
  }
  const indices = Array.from({ length: set.split.count }, (_, j) => j);
  const batch = set.split.batch(indices);
  const x = tf.tensor4d(batch.x, batch.shape);
  const fwd = buildForward(sg, { mean: opts.mean, std: opts.std });
  try {
    opts.onStage?.('forward pass');
    const logits = await collectLogits(fwd.forward, x);
    const last = lastDense(sg);
    const factor = analysis.input_normalization?.factor ?? 1;
    const step = last && analysis.nodes.find((n) => n.name === last.name);
    const pairwise =
      last && step
        ? { kernel: transposeToInClasses(last), lipschitzBefore: Math.exp(step.log_bound_in) * factor }
        : undefined;
    const report = await certifiedAccuracy(logits.data, batch.y, L, opts.epsilons, pairwise);
    const pgd: number[] = [];
    for (const eps of opts.pgdSteps > 0 ? opts.epsilons : []) {
      opts.onStage?.(`PGD eps=${eps}`);
      const r = await pgdRobustAccuracy(fwd.forward, x, batch.y, {
        eps,
        steps: opts.pgdSteps,
        stepSize: (2.5 * eps) / opts.pgdSteps,
        seed: opts.seed ?? 0,
      });
      pgd.push(r.robustAccuracy);
    }
    return {
      dataset: set.name,
      n: report.n,
      clean_accuracy: report.cleanAccuracy,
      epsilons: opts.epsilons,
      standard: report.standard.accuracy,
      pairwise: report.pairwise?.accuracy ?? null,
      pgd: opts.pgdSteps > 0 ? pgd : null,
      lipschitz: L,
      // Sorted, so reports draw certified accuracy at every eps like a run's (certifiedCurvePoints).
      radii: {
        lipschitz: storedRadii(report.standard.radii),
        pairwise: report.pairwise ? storedRadii(report.pairwise.radii) : null,
      },
    };
  } finally {
    fwd.dispose();
    x.dispose();
  }
}

/** Ascending radii as JSON keeps them (Infinity, for L = 0, as null). */
function storedRadii(radii: Float64Array): (number | null)[] {
  return Array.from(sortRadii(radii), (r) => (Number.isFinite(r) ? r : null));
}

/** The dense layer that produces the network output, if any (the pairwise certificate needs its rows). */
function lastDense(sg: ShapedGraph): DenseNode | undefined {
  const producerOf = (t: string) => sg.graph.nodes.find((n) => n.output === t);
  let producer = producerOf(sg.graph.outputName);
  while (producer?.kind === 'identity') producer = producerOf(producer.inputs[0]); // e.g. a left-out final softmax
  return producer?.kind === 'dense' ? producer : undefined;
}

function transposeToInClasses(d: DenseNode): Float64Array {
  const out = new Float64Array(d.weight.length);
  for (let o = 0; o < d.outDim; o++)
    for (let i = 0; i < d.inDim; i++) out[i * d.outDim + o] = d.weight[o * d.inDim + i];
  return out;
}
