/**
 * The network's l2 Lipschitz upper bound by composition over the graph: every tensor gets a bound L(t) with
 * respect to the network input, L(f(t)) <= Lip(f) L(t) for a node f, and L(a + b) <= L(a) + L(b) for a residual
 * Add (triangle inequality). Weight layers bring their certified upper bound; the parameter-free nodes their
 * closed form (certify/lipschitz.ts and the pooling windows below).
 */
import { activationLipschitz, batchNormLipschitz } from '../../certify/lipschitz.js';
import type { ActivationNode, GraphNode, Pads4, PoolNode } from './graph.js';
import type { ShapedGraph } from './shapes.js';

export interface NodeLipschitz {
  name: string;
  op: string;
  /** Lip of the node itself (for Add: 1 per summand, the composition adds the inputs' bounds). */
  lipschitz: number;
  /** Bound of the node's (first) input and of its output w.r.t. the network input; log of their ratio = its share. */
  inputBound: number;
  outputBound: number;
}

export interface LipschitzComposition {
  nodes: NodeLipschitz[];
  /** Bound of the network output, or null when an unsupported node lies on the way. */
  network: number | null;
  /** The last tensor (in graph order) with a bound, and that bound: what the composition covers when incomplete. */
  coveredUpTo: { tensor: string; bound: number };
}

/** sup |f'| of an element-wise activation (SELU: gamma * max(1, alpha); HardSigmoid: alpha; Clip: 1). */
export function activationBound(n: ActivationNode): number {
  switch (n.fn) {
    case 'leakyRelu':
      return activationLipschitz('leakyRelu', n.alpha ?? 0.01);
    case 'elu':
      return activationLipschitz('elu', n.alpha ?? 1);
    case 'selu':
      return (n.beta ?? 1.0507) * Math.max(1, n.alpha ?? 1.6733);
    case 'hardSigmoid':
      return Math.abs(n.alpha ?? 0.2);
    case 'clip':
      return 1;
    default:
      return activationLipschitz(n.fn);
  }
}

/** For one axis: how many windows cover each input, and each window's average weight (count_include_pad or not). */
function axisWindows(
  n: number,
  k: number,
  s: number,
  d: number,
  before: number,
  out: number,
  includePad: boolean,
): { cover: Float64Array; colSum: Float64Array; rowSum: number } {
  const cover = new Float64Array(n);
  const colSum = new Float64Array(n);
  let rowSum = 0;
  for (let o = 0; o < out; o++) {
    const idx: number[] = [];
    for (let t = 0; t < k; t++) {
      const x = o * s + t * d - before;
      if (x >= 0 && x < n) idx.push(x);
    }
    const w = includePad ? 1 / k : 1 / Math.max(1, idx.length);
    for (const x of idx) {
      cover[x] += 1;
      colSum[x] += w;
    }
    rowSum = Math.max(rowSum, w * idx.length);
  }
  return { cover, colSum, rowSum };
}

/**
 * MaxPool: sqrt(max windows covering an input) (certify/lipschitz.ts maxPoolLipschitz's argument, counted at the
 * real pads). AveragePool: per axis Schur's test ||P|| <= sqrt(max row sum * max column sum), exact for disjoint
 * windows (1/sqrt(k)); the 2-D pool is the Kronecker product of the two axes.
 */
export function poolBound(node: PoolNode, inHW: [number, number], outHW: [number, number], pads: Pads4): number {
  let b = 1;
  for (const a of [0, 1] as const) {
    const w = axisWindows(
      inHW[a],
      node.kernelShape[a],
      node.strides[a],
      node.dilations[a],
      pads[a],
      outHW[a],
      node.countIncludePad,
    );
    if (node.kind === 'maxpool') b *= Math.sqrt(Math.max(...w.cover));
    else b *= Math.sqrt(w.rowSum * Math.max(...w.colSum));
  }
  return b;
}

function nodeBound(node: GraphNode, sg: ShapedGraph, layerBound: (name: string) => number): number {
  switch (node.kind) {
    case 'conv':
    case 'dense':
      return layerBound(node.name);
    case 'batchnorm':
      return batchNormLipschitz(node.scale, node.variance, node.epsilon);
    case 'activation':
      return activationBound(node);
    case 'maxpool':
    case 'avgpool': {
      const i = sg.shapes.get(node.inputs[0]) as number[];
      const o = sg.shapes.get(node.output) as number[];
      return poolBound(node, [i[1], i[2]], [o[1], o[2]], sg.pads.get(node.name) as Pads4);
    }
    case 'globalavgpool': {
      // Averaging H*W values: the row (1/HW, ..., 1/HW) has norm 1/sqrt(HW).
      const i = sg.shapes.get(node.inputs[0]) as number[];
      return 1 / Math.sqrt(i[1] * i[2]);
    }
    default:
      return 1; // add (per summand), flatten, reshape, identity: isometries or handled by the composition
  }
}

export function composeLipschitz(sg: ShapedGraph, layerBound: (name: string) => number): LipschitzComposition {
  const L = new Map<string, number>([[sg.graph.inputName, 1]]);
  const nodes: NodeLipschitz[] = [];
  let covered = { tensor: sg.graph.inputName, bound: 1 };
  for (const node of sg.graph.nodes) {
    if (!sg.shapes.has(node.output) || node.inputs.some((i) => !L.has(i))) continue;
    const lip = nodeBound(node, sg, layerBound);
    const ins = node.inputs.map((i) => L.get(i) as number);
    const out = node.kind === 'add' ? ins[0] + ins[1] : lip * ins[0];
    L.set(node.output, out);
    nodes.push({ name: node.name, op: node.op, lipschitz: lip, inputBound: ins[0], outputBound: out });
    covered = { tensor: node.output, bound: out };
  }
  return { nodes, network: L.get(sg.graph.outputName) ?? null, coveredUpTo: covered };
}
