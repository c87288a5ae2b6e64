/**
 * Evaluation at a checkpoint: accuracies, every conv/dense layer's bounds at its real geometry, the network's
 * Lipschitz bound, and the robustness certificates. Everything heavy runs in eval mode (BatchNorm running
 * statistics) and on the host in float64 where the bounds module certifies it.
 */
import * as tf from '@tensorflow/tfjs';
import type { BoundResult, LayerBoundsReport } from '../../../shared/bounds.js';
import { reportResults } from '../../../shared/bounds.js';
import { certifiedChoice } from '../../../shared/bound-methods.js';
import { sortRadii } from '../../../shared/certify-math.js';
import type { RunConfig } from '../../../shared/config.js';
import type { CertifiedPoint, EvalEvent, LayerEval } from '../../../shared/events.js';
import { ENGINE_PROTOCOL_VERSION } from '../../../shared/events.js';
import { spectrumHistogram } from '../../../shared/spectrum.js';
import { computeLayerBounds } from '../bounds/layer-report.js';
import type { LayerBoundMethod } from '../bounds/layer-options.js';
import { certifiedAccuracy, networkLipschitz } from '../certify/index.js';
import type { Split } from '../data/types.js';
import type { LayerBoundMap, LinearLayer, LipschitzNode, Network } from '../models/index.js';
import { hostKernel } from './layer-kernel.js';
import { robustnessExtras } from './robustness.js';

export interface EvalData {
  /** Images used for the train accuracy (a subset of the training split). */
  trainEval: Split;
  validation: Split | null;
  test: Split;
}

export interface Predictions {
  logits: Float32Array;
  labels: Uint8Array;
  accuracy: number;
  meanLoss: number;
}

const EVAL_BATCH = 500;

/** Logits of the whole split in eval mode, plus accuracy and mean cross-entropy (computed on the host). */
export async function predict(model: Network, split: Split, batchSize = EVAL_BATCH): Promise<Predictions> {
  const n = split.count;
  // The class count is the model's output width (the dataset's numClasses), read from the first batch's logits.
  let C = 0;
  let logits = new Float32Array(0);
  for (let start = 0; start < n; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
    const b = split.batch(idx);
    const z = tf.tidy(() => model.forward(tf.tensor4d(b.x, b.shape), 'eval'));
    if (start === 0) [C, logits] = [z.shape[1], new Float32Array(n * z.shape[1])];
    logits.set(await z.data(), start * C);
    z.dispose();
  }
  let correct = 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * C, (i + 1) * C);
    let best = 0;
    let max = -Infinity;
    for (let c = 0; c < C; c++) if (row[c] > max) [max, best] = [row[c], c];
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(row[c] - max);
    loss += Math.log(s) + max - row[split.labels[i]];
    if (best === split.labels[i]) correct++;
  }
  return { logits, labels: split.labels, accuracy: n ? correct / n : NaN, meanLoss: n ? loss / n : NaN };
}

/**
 * The smallest upper bound the registry (bound-methods.ts) proves for the layer as it runs: F4 (Theorem 1) and
 * its polyphase form always, the Toeplitz bound at every padding and stride, Gram iteration only for circular
 * layers. Exact circular norms are reported but never used for a zero-padded layer.
 */
export function certifiedUpperBound(
  r: LayerBoundsReport,
  layer: Pick<LinearLayer, 'kind' | 'padding' | 'stride'>,
): { value: number; method: string } {
  const g = {
    kind: layer.kind,
    padding: layer.padding,
    stride: layer.stride,
    ...(r.geometry.n !== undefined ? { n: r.geometry.n } : {}),
  };
  return certifiedChoice(reportResults(r), g) ?? { value: r.f4.value, method: r.f4.method };
}

export function layerBounds(
  layer: LinearLayer,
  ev: RunConfig['evaluation'],
): { report: LayerBoundsReport; eval: LayerEval } {
  const kernel = hostKernel(layer);
  const methods: LayerBoundMethod[] = ['operator'];
  if (layer.kind === 'conv') {
    methods.push('toeplitz');
    if (ev.exactNorm) methods.push('exact');
    if (ev.gramIterations > 0) methods.push('gram');
  }
  const n = layer.inputSize[0] === layer.inputSize[1] ? layer.inputSize[0] : layer.inputSize;
  const report = computeLayerBounds(
    layer.name,
    kernel,
    { n, stride: layer.stride, padding: layer.padding },
    {
      methods,
      gramIterations: ev.gramIterations,
      operatorIterations: ev.operatorIterations,
      spectrum: methods.includes('exact'),
    },
  );
  return { report, eval: layerEvalOf(report, layer) };
}

/** What an evaluation reports of one layer: its bounds, the certified bound the Lipschitz bound uses, the spectrum histogram. */
export function layerEvalOf(
  report: LayerBoundsReport,
  layer: Pick<LinearLayer, 'name' | 'kind' | 'stride' | 'padding' | 'inputSize'>,
): LayerEval {
  const m = report.f4.matrixNorms;
  const s = report.f4.sqrtHW;
  const upper = certifiedUpperBound(report, layer);
  return {
    name: layer.name,
    kind: layer.kind,
    shape: [...report.shapeHWIO],
    stride: layer.stride,
    padding: layer.padding,
    inputSize: [...layer.inputSize],
    f4: { R: s * m.R, S: s * m.S, T: s * m.T, U: s * m.U, min: report.f4.minBound, argmin: report.f4.argmin },
    certifiedUpper: upper.value,
    certifiedBy: upper.method,
    ...(report.exactCircular ? { exactCircular: report.exactCircular.value } : {}),
    ...(report.operator ? { operatorEstimate: report.operator.value } : {}),
    ...(report.gram ? { gram: report.gram.value } : {}),
    // Always the fixed histogram, never the raw values: a wide layer has millions of singular values.
    ...(report.spectrum ? { spectrum: spectrumHistogram(report.spectrum) } : {}),
    bounds: reportResults(report).map(plainBound),
  };
}

/** Only the BoundResult fields travel to the store (the F4 report's matrix norms are already in `f4`). */
function plainBound(b: BoundResult): BoundResult {
  return {
    method: b.method,
    value: b.value,
    kind: b.kind,
    validFor: b.validFor,
    iterations: b.iterations,
    timeMs: b.timeMs,
  };
}

/** The tree without its last dense layer: Lip_rest of the pairwise last-layer certificate. */
export function treeBeforeLast(tree: LipschitzNode, lastName: string): LipschitzNode | null {
  if (tree.kind !== 'seq' || tree.nodes.length === 0) return null;
  const last = tree.nodes[tree.nodes.length - 1];
  if (last.kind !== 'layer' || last.name !== lastName) return null;
  return { kind: 'seq', nodes: tree.nodes.slice(0, -1) };
}

export interface EvaluateArgs {
  model: Network;
  data: EvalData;
  config: RunConfig;
  step: number;
  epoch: number;
  log: (level: 'info' | 'warn', message: string) => void;
}

export async function evaluate(a: EvaluateArgs): Promise<EvalEvent> {
  const t0 = performance.now();
  const { model, data, config } = a;
  const train = await predict(model, data.trainEval);
  const val = data.validation ? await predict(model, data.validation) : null;
  const test = await predict(model, data.test);

  const layers: LayerEval[] = model.linear.map((l) => layerBounds(l, config.evaluation).eval);
  const bounds: LayerBoundMap = Object.fromEntries(layers.map((l) => [l.name, l.certifiedUpper]));
  const tree = model.lipschitzTree(bounds);
  const lipschitz = networkLipschitz(tree);
  const epsilons = config.certification.epsilons;
  const last = model.linear[model.linear.length - 1];
  const before = treeBeforeLast(tree, last.name);
  const cert = await certifiedAccuracy(
    test.logits,
    test.labels,
    lipschitz,
    epsilons,
    before && last.kind === 'dense'
      ? { kernel: last.kernel as tf.Tensor2D, lipschitzBefore: networkLipschitz(before) }
      : undefined,
  );
  const certified: CertifiedPoint[] = epsilons.map((eps, i) => ({
    eps,
    acc: cert.standard.accuracy[i],
    accPairwise: cert.pairwise ? cert.pairwise.accuracy[i] : cert.standard.accuracy[i],
  }));
  const radii: EvalEvent['radii'] = { lipschitz: Array.from(sortRadii(cert.standard.radii)) };
  if (cert.pairwise) radii.pairwise = Array.from(sortRadii(cert.pairwise.radii));
  const { pgdRadii, ...extras } = await robustnessExtras({ model, test: data.test, config, layers, radii, log: a.log });
  if (pgdRadii) radii.pgd = pgdRadii;
  return {
    type: 'eval',
    v: ENGINE_PROTOCOL_VERSION,
    step: a.step,
    epoch: a.epoch,
    trainAcc: train.accuracy,
    valAcc: val ? val.accuracy : null,
    testAcc: test.accuracy,
    testLoss: test.meanLoss,
    layers,
    lipschitz,
    certified,
    radii,
    ...extras,
    evalMs: performance.now() - t0,
  };
}
