/**
 * The graph of an imported network (ONNX or a tfjs LayersModel), in one form both readers produce and every
 * consumer reads: the per-layer bounds, the Lipschitz composition and the tfjs forward pass are all built from
 * these nodes, so they cannot disagree about what the network is.
 *
 * Shapes leave out the batch: [C, H, W] for images (whatever the source layout), [D] for vectors. `layout` says
 * how the source framework orders an image when it flattens it ('chw' for ONNX/PyTorch, 'hwc' for Keras/tfjs).
 */
import type { KernelHWIO } from '../../../../shared/bounds.js';

/** A file the importers cannot read, or a graph they cannot analyse: the message names the file and the fix. */
export class ModelImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelImportError';
  }
}

export type Layout = 'chw' | 'hwc';
export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';
/** [top, left, bottom, right], ONNX's pads order [x1_begin, x2_begin, x1_end, x2_end]. */
export type Pads4 = [number, number, number, number];
export type Pair = [number, number];

/** Element-wise activations and their Lipschitz constants sup |f'| (lipschitz.ts). */
export type ActivationFn =
  'relu' | 'leakyRelu' | 'tanh' | 'sigmoid' | 'softplus' | 'elu' | 'selu' | 'clip' | 'hardSigmoid' | 'linear';

interface NodeBase {
  /** Node name in the file (generated as `<op>_<index>` when the file has none). */
  name: string;
  /** Operator as the file names it: ONNX op_type ("Conv", "Gemm", ...) or the Keras class name. */
  op: string;
  inputs: string[];
  output: string;
}

export interface ConvNode extends NodeBase {
  kind: 'conv';
  /** Undilated kernel in HWIO [kh, kw, c_in/group, c_out] (the bounds core's layout), bias excluded. */
  kernel: KernelHWIO;
  /** The weight's shape as stored: [out, in/group, kh, kw] (ONNX) or [kh, kw, in, out] (tfjs). */
  weightShape: number[];
  bias?: Float32Array;
  strides: Pair;
  dilations: Pair;
  group: number;
  autoPad: AutoPad;
  /** Explicit pads (autoPad NOTSET); the resolved pads of every conv are in ShapedGraph.pads. */
  pads: Pads4;
  /** Name of a BatchNormalization folded into this layer's weights (its output is the BN's output). */
  foldedBatchNorm?: string;
}

export interface DenseNode extends NodeBase {
  kind: 'dense';
  /** y = W x (+ b), W row-major [out, in]; Gemm's alpha and transB are applied. */
  weight: Float64Array;
  outDim: number;
  inDim: number;
  weightShape: number[];
  bias?: Float32Array;
  foldedBatchNorm?: string;
}

export interface BatchNormNode extends NodeBase {
  kind: 'batchnorm';
  scale: Float32Array;
  bias: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  epsilon: number;
}

export interface ActivationNode extends NodeBase {
  kind: 'activation';
  fn: ActivationFn;
  /** LeakyRelu/Elu/Selu alpha, HardSigmoid alpha. */
  alpha?: number;
  /** HardSigmoid beta, Selu gamma. */
  beta?: number;
  /** Clip bounds. */
  min?: number;
  max?: number;
}

export interface PoolNode extends NodeBase {
  kind: 'maxpool' | 'avgpool';
  kernelShape: Pair;
  strides: Pair;
  dilations: Pair;
  autoPad: AutoPad;
  pads: Pads4;
  ceilMode: boolean;
  /** AveragePool: whether padded zeros count in the average (ONNX count_include_pad; Keras: no). */
  countIncludePad: boolean;
}

export interface SimpleNode extends NodeBase {
  kind: 'globalavgpool' | 'add' | 'flatten' | 'identity';
}

export interface ReshapeNode extends NodeBase {
  kind: 'reshape';
  /** Target shape without the batch, in the source's own order (e.g. [C, H, W] ONNX, [H, W, C] Keras); -1 allowed once. */
  target: number[];
}

export type GraphNode = ConvNode | DenseNode | BatchNormNode | ActivationNode | PoolNode | SimpleNode | ReshapeNode;
export type WeightNode = ConvNode | DenseNode;

/** An operator the analysis does not handle: listed, never skipped silently. */
export interface UnsupportedOp {
  op: string;
  name: string;
  reason: string;
}

export interface ImportedGraph {
  format: 'onnx' | 'tfjs';
  /** The file that was opened (model.onnx or model.json). */
  file: string;
  layout: Layout;
  inputName: string;
  /** Input shape from the file ([C, H, W] or [D]); null where a dimension is symbolic. */
  inputShape: number[] | null;
  outputName: string;
  /** Supported nodes in graph (topological) order. */
  nodes: GraphNode[];
  unsupported: UnsupportedOp[];
  /** Notes on what the reader changed (folded BatchNorms, a trailing Softmax left out, ...). */
  notes: string[];
  opset?: number;
  producer?: string;
}

export const isWeightNode = (n: GraphNode): n is WeightNode => n.kind === 'conv' || n.kind === 'dense';

/** Topological order of nodes given in any order (ONNX requires it, but a damaged file may not keep it). */
export function topologicalOrder<T extends { name: string; inputs: string[]; output: string; outputs?: string[] }>(
  nodes: T[],
  available: Set<string>,
  file: string,
): T[] {
  const done = new Set(available);
  const out: T[] = [];
  let pending = nodes;
  while (pending.length) {
    const ready = pending.filter((n) => n.inputs.every((i) => done.has(i)));
    if (!ready.length) {
      const n = pending[0];
      const missing = n.inputs.filter((i) => !done.has(i));
      throw new ModelImportError(
        `${file}: node '${n.name}' reads ${missing.map((m) => `'${m}'`).join(', ')}, which no node or initializer produces ` +
          '(or the graph has a cycle). Re-export the model (e.g. torch.onnx.export) and check it with onnx.checker.check_model.',
      );
    }
    for (const n of ready) {
      out.push(n);
      for (const o of n.outputs ?? [n.output]) done.add(o);
    }
    const readySet = new Set(ready);
    pending = pending.filter((n) => !readySet.has(n));
  }
  return out;
}
