/**
 * The forward pass of an imported network with tfjs ops, built from the same graph nodes the bounds are computed
 * from: NHWC tensors, zero pads made explicit with tf.pad (differentiable, so PGD attacks the real network),
 * groups as per-group convolutions, dilation as the zero-inserted kernel. A 'chw' graph (ONNX) flattens in
 * channel-major order, as PyTorch does, so its dense weights see the features where they were trained.
 */
import * as tf from '@tensorflow/tfjs';
import { dilateKernel, splitGroups } from '../../bounds/methods/reshapes.js';
import type { ActivationNode, ConvNode, GraphNode, Pads4, PoolNode } from './graph.js';
import type { ShapedGraph } from './shapes.js';

export interface ImportedForward {
  /** Pixels NHWC (in [0, 1] when a normalisation is given) -> logits [N, classes]. */
  forward: (x: tf.Tensor4D) => tf.Tensor2D;
  dispose: () => void;
}

type T4 = tf.Tensor4D;

function padNHWC(x: T4, p: Pads4, value = 0, extra: [number, number] = [0, 0]): T4 {
  if (p.every((v) => v === 0) && extra[0] === 0 && extra[1] === 0) return x;
  return tf.pad(
    x,
    [
      [0, 0],
      [p[0], p[2] + extra[0]],
      [p[1], p[3] + extra[1]],
      [0, 0],
    ],
    value,
  );
}

function activation(n: ActivationNode, x: tf.Tensor): tf.Tensor {
  const a = n.alpha ?? 1;
  const elu = () => tf.where(tf.greater(x, 0), x, tf.mul(a, tf.sub(tf.exp(x), 1)));
  switch (n.fn) {
    case 'relu':
      return tf.relu(x);
    case 'leakyRelu':
      return tf.leakyRelu(x, a);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'softplus':
      return tf.softplus(x);
    case 'elu':
      return elu();
    case 'selu':
      return tf.mul(n.beta ?? 1.0507, elu());
    case 'clip':
      return tf.clipByValue(x, n.min ?? -Infinity, n.max ?? Infinity);
    case 'hardSigmoid':
      return tf.clipByValue(tf.add(tf.mul(a, x), n.beta ?? 0.5), 0, 1);
    default:
      return x;
  }
}

/** Extra end padding a ceil_mode pool needs so its last (partial) window fits. */
function ceilExtra(inHW: number[], outHW: number[], node: PoolNode, p: Pads4): [number, number] {
  return [0, 1].map((a) => {
    const span = node.dilations[a] * (node.kernelShape[a] - 1) + 1;
    return Math.max(0, (outHW[a] - 1) * node.strides[a] + span - (inHW[a] + p[a] + p[a + 2]));
  }) as [number, number];
}

function pool(node: PoolNode, x: T4, sg: ShapedGraph): T4 {
  const p = sg.pads.get(node.name) as Pads4;
  const inS = sg.shapes.get(node.inputs[0]) as number[];
  const outS = sg.shapes.get(node.output) as number[];
  const extra = ceilExtra([inS[1], inS[2]], [outS[1], outS[2]], node, p);
  const run = (t: T4) =>
    tf.pool(t, node.kernelShape, node.kind === 'maxpool' ? 'max' : 'avg', 'valid', node.dilations, node.strides) as T4;
  if (node.kind === 'maxpool') return run(padNHWC(x, p, -3e38, extra));
  if (node.countIncludePad) return run(padNHWC(x, p, 0, extra));
  // Padded zeros not counted: average = window sum / number of real inputs in the window.
  const ones = tf.ones([1, inS[1], inS[2], 1]) as T4;
  return tf.div(run(padNHWC(x, p, 0, extra)), run(padNHWC(ones, p, 0, extra))) as T4;
}

/** NHWC image -> vector in the source's flatten order. */
function flatten(x: tf.Tensor, chw: boolean): tf.Tensor2D {
  if (x.rank !== 4) return tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
  return tf.reshape(chw ? tf.transpose(x, [0, 3, 1, 2]) : x, [x.shape[0], -1]) as tf.Tensor2D;
}

/** Convolution on the explicitly padded input, one tf.conv2d per group (tfjs has no grouped convolution). */
function conv(n: ConvNode, w: ConvWeights, x: T4, sg: ShapedGraph): tf.Tensor {
  const xp = padNHWC(x, sg.pads.get(n.name) as Pads4);
  const cig = n.kernel.shape[2];
  // Unequal dilations stay in tfjs's conv2d; equal ones are already in the zero-inserted kernel (convWeights).
  const dil: [number, number] = n.dilations[0] === n.dilations[1] ? [1, 1] : n.dilations;
  const outs = w.kernels.map((k, j) =>
    tf.conv2d(
      w.kernels.length > 1 ? tf.slice(xp, [0, 0, 0, j * cig], [-1, -1, -1, cig]) : xp,
      k,
      n.strides,
      'valid',
      'NHWC',
      dil,
    ),
  );
  const y = outs.length > 1 ? tf.concat(outs, 3) : outs[0];
  return w.bias ? tf.add(y, w.bias) : y;
}

/** Reshape to `out` ([c, h, w] or [n]) in the source's layout; NHWC image out. */
function reshape(x: tf.Tensor, out: number[], chw: boolean): tf.Tensor {
  const flat = flatten(x, chw);
  if (out.length === 1) return flat;
  const [c, h, w] = out;
  return chw ? tf.transpose(tf.reshape(flat, [-1, c, h, w]), [0, 2, 3, 1]) : tf.reshape(flat, [-1, h, w, c]);
}

export function buildForward(sg: ShapedGraph, norm?: { mean?: number[]; std?: number[] }): ImportedForward {
  const g = sg.graph;
  const chw = g.layout === 'chw';
  const kept: tf.Tensor[] = [];
  const keep = <X extends tf.Tensor>(t: X): X => (kept.push(t), t);
  const convs = new Map<string, ConvWeights>();
  const dense = new Map<string, { w: tf.Tensor2D; bias?: tf.Tensor1D }>();
  for (const n of g.nodes) {
    if (n.kind === 'conv') convs.set(n.name, convWeights(n, keep));
    if (n.kind === 'dense')
      dense.set(n.name, {
        w: keep(tf.tensor2d(Float32Array.from(n.weight), [n.outDim, n.inDim])),
        bias: n.bias && keep(tf.tensor1d(n.bias)),
      });
  }
  const C = sg.inputShape.length === 3 ? sg.inputShape[0] : 1;
  const mean = norm?.mean && keep(tf.tensor1d(norm.mean.length === 1 ? Array(C).fill(norm.mean[0]) : norm.mean));
  const std = norm?.std && keep(tf.tensor1d(norm.std.length === 1 ? Array(C).fill(norm.std[0]) : norm.std));

  const step = (n: GraphNode, ins: tf.Tensor[]): tf.Tensor => {
    const x = ins[0];
    switch (n.kind) {
      case 'conv':
        return conv(n, convs.get(n.name) as ConvWeights, x as T4, sg);
      case 'dense': {
        const d = dense.get(n.name) as { w: tf.Tensor2D; bias?: tf.Tensor1D };
        const y = tf.matMul(x as tf.Tensor2D, d.w, false, true);
        return d.bias ? tf.add(y, d.bias) : y;
      }
      case 'batchnorm': {
        const s = Float32Array.from(n.scale, (gm, c) => gm / Math.sqrt(n.variance[c] + n.epsilon));
        const shift = Float32Array.from(s, (sc, c) => n.bias[c] - n.mean[c] * sc);
        return tf.add(tf.mul(x, tf.tensor1d(s)), tf.tensor1d(shift));
      }
      case 'activation':
        return activation(n, x);
      case 'maxpool':
      case 'avgpool':
        return pool(n, x as T4, sg);
      case 'globalavgpool':
        return tf.mean(x, [1, 2], true);
      case 'add':
        return tf.add(x, ins[1]);
      case 'flatten':
        return flatten(x, chw);
      case 'reshape':
        return reshape(x, sg.shapes.get(n.output) as number[], chw);
      default:
        return x;
    }
  };

  const forward = (x: T4): tf.Tensor2D =>
    tf.tidy(() => {
      let input: tf.Tensor = x;
      if (mean) input = tf.sub(input, mean);
      if (std) input = tf.div(input, std);
      if (sg.inputShape.length === 1) input = flatten(input, chw);
      const values = new Map<string, tf.Tensor>([[g.inputName, input]]);
      for (const n of g.nodes) {
        const ins = n.inputs.map((i) => values.get(i));
        if (ins.some((t) => !t)) continue;
        values.set(n.output, step(n, ins as tf.Tensor[]));
      }
      const out = values.get(g.outputName);
      if (!out)
        throw new Error(
          `the forward pass cannot reach the output '${g.outputName}': an unsupported node is on the way (${g.unsupported.map((u) => `${u.op} '${u.name}'`).join(', ')}).`,
        );
      return tf.reshape(out, [x.shape[0], -1]) as tf.Tensor2D;
    });
  return { forward, dispose: () => kept.forEach((t) => t.dispose()) };
}

/** A convolution's tf weights: one kernel per group. */
interface ConvWeights {
  kernels: T4[];
  bias?: tf.Tensor1D;
}

function convWeights(n: ConvNode, keep: <X extends tf.Tensor>(t: X) => X): ConvWeights {
  // Equal dilations: the zero-inserted kernel (tfjs cannot combine dilation with a stride > 1).
  const k = n.dilations[0] === n.dilations[1] && n.dilations[0] > 1 ? dilateKernel(n.kernel, n.dilations[0]) : n.kernel;
  const parts = n.group > 1 ? splitGroups(k, n.group) : [k];
  return {
    kernels: parts.map((p) => keep(tf.tensor4d(Float32Array.from(p.data), p.shape))),
    bias: n.bias && keep(tf.tensor1d(n.bias)),
  };
}
