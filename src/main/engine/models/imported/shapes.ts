/**
 * Shape inference over an imported graph: every tensor's shape (no batch) and every conv's and pool's resolved
 * pads, at the input shape from the file or the user's --input-shape. The bounds need each layer's real input
 * size, and the auto_pad / 'same' pads depend on it.
 */
import { ModelImportError, type AutoPad, type GraphNode, type ImportedGraph, type Pads4, type Pair } from './graph.js';

export interface ShapedGraph {
  graph: ImportedGraph;
  inputShape: number[];
  /** Shape of every tensor (no batch): [C, H, W] or [D]. */
  shapes: Map<string, number[]>;
  /** Resolved [top, left, bottom, right] pads of every conv and pool node, by node name. */
  pads: Map<string, Pads4>;
}

const prod = (s: number[]): number => s.reduce((a, b) => a * b, 1);

/**
 * Pads and output size of one spatial axis. ONNX semantics: SAME_UPPER puts the odd pad at the end (TensorFlow's
 * 'same'), SAME_LOWER at the beginning; ceil_mode counts a last partial window only if it starts inside the input
 * or its begin pad (PyTorch's rule, which onnxruntime follows).
 */
export function resolveAxis(
  n: number,
  k: number,
  s: number,
  d: number,
  auto: AutoPad,
  begin: number,
  end: number,
  ceil = false,
): { pads: Pair; out: number } {
  const span = d * (k - 1) + 1;
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    const out = Math.ceil(n / s);
    const total = Math.max((out - 1) * s + span - n, 0);
    const small = Math.floor(total / 2);
    return { pads: auto === 'SAME_UPPER' ? [small, total - small] : [total - small, small], out };
  }
  const [b, e] = auto === 'VALID' ? [0, 0] : [begin, end];
  const room = n + b + e - span;
  if (room < 0) return { pads: [b, e], out: 0 };
  let out = (ceil ? Math.ceil(room / s) : Math.floor(room / s)) + 1;
  if (ceil && (out - 1) * s >= n + b) out--;
  return { pads: [b, e], out };
}

function spatial(shape: number[], node: GraphNode, file: string): [number, number, number] {
  if (shape.length !== 3) {
    throw new ModelImportError(
      `${file}: ${node.op} '${node.name}' needs an image input [C, H, W] but gets shape [${shape.join(', ')}]. ` +
        'Give the image input shape with --input-shape C,H,W.',
    );
  }
  return shape as [number, number, number];
}

/** Output shape of one node given its input shapes; records resolved pads. */
function nodeShape(node: GraphNode, ins: number[][], pads: Map<string, Pads4>, g: ImportedGraph): number[] {
  const file = g.file;
  const x = ins[0];
  switch (node.kind) {
    case 'conv':
    case 'maxpool':
    case 'avgpool': {
      const [c, h, w] = spatial(x, node, file);
      const [kh, kw] = node.kind === 'conv' ? [node.kernel.shape[0], node.kernel.shape[1]] : node.kernelShape;
      const ceil = node.kind !== 'conv' && node.ceilMode;
      const a = resolveAxis(h, kh, node.strides[0], node.dilations[0], node.autoPad, node.pads[0], node.pads[2], ceil);
      const b = resolveAxis(w, kw, node.strides[1], node.dilations[1], node.autoPad, node.pads[1], node.pads[3], ceil);
      if (a.out < 1 || b.out < 1) {
        throw new ModelImportError(
          `${file}: ${node.op} '${node.name}' gets a ${h}x${w} input, smaller than its ${kh}x${kw} window (with dilation and pads); ` +
            'give a larger --input-shape C,H,W.',
        );
      }
      pads.set(node.name, [a.pads[0], b.pads[0], a.pads[1], b.pads[1]]);
      if (node.kind !== 'conv') return [c, a.out, b.out];
      const cin = node.kernel.shape[2] * node.group;
      if (cin !== c) {
        throw new ModelImportError(
          `${file}: Conv '${node.name}' expects ${cin} input channels (weight ${node.weightShape.join('x')}, group ${node.group}) but gets ${c}; ` +
            'check --input-shape C,H,W (channels first).',
        );
      }
      return [node.kernel.shape[3], a.out, b.out];
    }
    case 'dense': {
      const d = prod(x);
      if (x.length !== 1 || d !== node.inDim) {
        throw new ModelImportError(
          `${file}: ${node.op} '${node.name}' multiplies a ${node.inDim}-vector but gets shape [${x.join(', ')}]` +
            (x.length !== 1 ? ' (flatten it first: a Flatten or Reshape node)' : '') +
            '; check --input-shape.',
        );
      }
      return [node.outDim];
    }
    case 'batchnorm': {
      if (x[0] !== node.scale.length) {
        throw new ModelImportError(
          `${file}: BatchNormalization '${node.name}' has ${node.scale.length} channels but gets shape [${x.join(', ')}].`,
        );
      }
      return x;
    }
    case 'globalavgpool':
      return [spatial(x, node, file)[0], 1, 1];
    case 'add': {
      if (ins[1].join() !== x.join()) {
        throw new ModelImportError(
          `${file}: Add '${node.name}' adds shapes [${x.join(', ')}] and [${ins[1].join(', ')}]; only same-shape residual additions are supported.`,
        );
      }
      return x;
    }
    case 'flatten':
      return [prod(x)];
    case 'reshape':
      return reshapeTarget(node.target, x, g, node.name);
    default:
      return x;
  }
}

function reshapeTarget(target: number[], x: number[], g: ImportedGraph, name: string): number[] {
  const total = prod(x);
  // ONNX: a 0 copies the input's dimension at that position (allowzero = 0, the default).
  target = target.map((d, j) => (d === 0 && g.format === 'onnx' ? x[j] : d));
  const known = target.filter((d) => d !== -1);
  const t = target.map((d) => (d === -1 ? total / Math.max(1, prod(known)) : d));
  if (!t.every((d) => Number.isInteger(d) && d > 0) || prod(t) !== total || (t.length !== 1 && t.length !== 3)) {
    throw new ModelImportError(
      `${g.file}: Reshape '${name}' to [${target.join(', ')}] does not fit its input [${x.join(', ')}] ` +
        '(only reshapes to a vector or to an image are supported).',
    );
  }
  // Image targets are stored in the source's order; shapes here are always [C, H, W].
  return t.length === 3 && g.layout === 'hwc' ? [t[2], t[0], t[1]] : t;
}

/** Infer every shape, at `inputShape` (overriding the file's) or the file's own. */
export function inferShapes(graph: ImportedGraph, inputShape?: number[]): ShapedGraph {
  const input = inputShape ?? graph.inputShape;
  if (!input) {
    throw new ModelImportError(
      `${graph.file}: the input '${graph.inputName}' has a symbolic (unknown) size; give it with --input-shape C,H,W (or D for a vector input).`,
    );
  }
  if (!input.every((d) => Number.isInteger(d) && d > 0) || (input.length !== 1 && input.length !== 3)) {
    throw new ModelImportError(`input shape [${input.join(', ')}] must be C,H,W or D with positive integers.`);
  }
  const shapes = new Map<string, number[]>([[graph.inputName, input]]);
  const pads = new Map<string, Pads4>();
  for (const node of graph.nodes) {
    const ins = node.inputs.map((i) => shapes.get(i));
    if (ins.some((s) => !s)) continue; // reads the output of an unsupported node: listed in graph.unsupported
    shapes.set(node.output, nodeShape(node, ins as number[][], pads, graph));
  }
  return { graph, inputShape: input, shapes, pads };
}
