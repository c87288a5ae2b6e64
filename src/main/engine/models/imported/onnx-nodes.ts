/**
 * One ONNX node -> one graph.ts node, with the operator's attributes and defaults as the ONNX operator
 * specification gives them (onnx.ai/onnx/operators). Unknown operators are listed by type and node name.
 */
import type { onnx } from 'onnx-proto';
import type { KernelHWIO } from '../../../../shared/bounds.js';
import {
  ModelImportError,
  type ActivationFn,
  type AutoPad,
  type GraphNode,
  type ImportedGraph,
  type Pads4,
  type Pair,
  type UnsupportedOp,
} from './graph.js';
import { decodeTensor, toNumber, type DecodedTensor } from './onnx-tensors.js';
import { foldBatchNorm, foldBias } from './fold.js';
import { ShapeFolder } from './onnx-shape-ops.js';

type Attrs = Map<string, onnx.IAttributeProto>;

const ACTIVATIONS: Record<string, ActivationFn> = {
  Relu: 'relu',
  LeakyRelu: 'leakyRelu',
  Tanh: 'tanh',
  Sigmoid: 'sigmoid',
  Softplus: 'softplus',
  Elu: 'elu',
  Selu: 'selu',
  Clip: 'clip',
  HardSigmoid: 'hardSigmoid',
};

/** OIHW (ONNX/PyTorch) -> HWIO: data[((k*w + l)*ci + i)*co + o] = W[o][i][k][l]. */
export function oihwToHwio(w: Float64Array, [co, ci, h, wd]: number[]): KernelHWIO {
  const data = new Float64Array(w.length);
  for (let o = 0; o < co; o++)
    for (let i = 0; i < ci; i++)
      for (let k = 0; k < h; k++)
        for (let l = 0; l < wd; l++) data[((k * wd + l) * ci + i) * co + o] = w[((o * ci + i) * h + k) * wd + l];
  return { shape: [h, wd, ci, co], data };
}

export class OnnxNodeConverter {
  readonly nodes: GraphNode[] = [];
  readonly unsupported: UnsupportedOp[] = [];
  readonly notes: string[] = [];
  private readonly byOutput = new Map<string, GraphNode>();
  private readonly unknown = new Set<string>();
  private readonly shapes: ShapeFolder;

  constructor(
    private readonly file: string,
    private readonly consts: Map<string, DecodedTensor>,
    private outputName: string,
    private readonly consumers: Map<string, number>,
  ) {
    this.shapes = new ShapeFolder(consts);
  }

  finish(): Pick<ImportedGraph, 'nodes' | 'unsupported' | 'notes' | 'outputName'> {
    return { nodes: this.nodes, unsupported: this.unsupported, notes: this.notes, outputName: this.outputName };
  }

  add(p: onnx.INodeProto, name: string): void {
    const op = p.opType ?? '';
    const a: Attrs = new Map((p.attribute ?? []).map((x) => [x.name ?? '', x]));
    const ins = (p.input ?? []).map((x) => x ?? '');
    const out = p.output?.[0] ?? '';
    const base = { name, op, output: out };
    const dyn = ins.filter((x) => x && !this.consts.has(x));
    if (p.domain && p.domain !== 'ai.onnx')
      return this.skip(
        op,
        name,
        out,
        `operator of domain '${p.domain}' (only the standard ai.onnx domain is supported)`,
      );
    if (dyn.some((x) => this.unknown.has(x)))
      return this.skip(op, name, out, `reads the output of an unsupported node, so its input is unknown`);
    if (this.shapes.fold(op, a, ins, out)) return;
    switch (op) {
      case 'Constant':
        return this.constant(a, name, out);
      case 'Conv':
        return this.conv(a, ins, base, dyn);
      case 'Gemm':
      case 'MatMul':
        return this.dense(op, a, ins, base, dyn);
      case 'BatchNormalization':
        return this.batchNorm(a, ins, base, dyn);
      case 'MaxPool':
      case 'AveragePool':
        if ((p.output ?? []).filter(Boolean).length > 1)
          return this.skip(op, name, out, 'MaxPool with an Indices output');
        return this.push({
          ...base,
          kind: op === 'MaxPool' ? 'maxpool' : 'avgpool',
          inputs: dyn,
          ...this.window(a, ints(a, 'kernel_shape')),
          ceilMode: int(a, 'ceil_mode', 0) === 1,
          countIncludePad: int(a, 'count_include_pad', 0) === 1,
        });
      case 'GlobalAveragePool':
        return this.push({ ...base, kind: 'globalavgpool', inputs: dyn });
      case 'Add':
        if (dyn.length === 2) return this.push({ ...base, kind: 'add', inputs: dyn });
        return this.biasAdd(ins, base, dyn);
      case 'Flatten':
        if (int(a, 'axis', 1) !== 1)
          return this.skip(
            op,
            name,
            out,
            `Flatten with axis ${int(a, 'axis', 1)} (only axis 1, keeping the batch, is supported)`,
          );
        return this.push({ ...base, kind: 'flatten', inputs: dyn });
      case 'Reshape':
        return this.reshape(ins, base, dyn);
      case 'Identity':
      case 'Dropout':
        return this.push({ ...base, kind: 'identity', inputs: dyn.slice(0, 1) });
      case 'Softmax':
      case 'LogSoftmax':
        if (out === this.outputName) {
          this.notes.push(`the final ${op} '${name}' is left out: bounds and certificates use its input, the logits.`);
          this.outputName = dyn[0];
          return;
        }
        return this.skip(op, name, out, `${op} inside the network (only a final one is supported)`);
      default:
        if (op in ACTIVATIONS) return this.activation(op, a, ins, base, dyn);
        return this.skip(op, name, out, 'operator not supported');
    }
  }

  private push(n: GraphNode): void {
    this.nodes.push(n);
    this.byOutput.set(n.output, n);
  }

  private skip(op: string, name: string, out: string, reason: string): void {
    this.unsupported.push({ op, name, reason });
    this.unknown.add(out);
  }

  private need(name: string, node: string, what: string): DecodedTensor {
    const t = this.consts.get(name);
    if (!t)
      throw new ModelImportError(
        `${this.file}: node '${node}' needs its ${what} '${name}' as an initializer (a constant); it is computed at run time or missing.`,
      );
    return t;
  }

  private constant(a: Attrs, name: string, out: string): void {
    const v = a.get('value');
    if (v?.t) this.consts.set(out, decodeTensor(v.t, this.file));
    else if (a.get('value_ints'))
      this.consts.set(out, { dims: [ints(a, 'value_ints').length], data: Float64Array.from(ints(a, 'value_ints')) });
    else if (a.get('value_float'))
      this.consts.set(out, { dims: [], data: Float64Array.of(a.get('value_float')?.f ?? 0) });
    else this.skip('Constant', name, out, 'Constant without a tensor, value_ints or value_float');
  }

  private window(
    a: Attrs,
    kernel: number[],
  ): { kernelShape: Pair; strides: Pair; dilations: Pair; autoPad: AutoPad; pads: Pads4 } {
    const two = (v: number[], d: number): Pair => [v[0] ?? d, v[1] ?? d];
    const pads = ints(a, 'pads');
    return {
      kernelShape: two(kernel, 1),
      strides: two(ints(a, 'strides'), 1),
      dilations: two(ints(a, 'dilations'), 1),
      autoPad: (str(a, 'auto_pad') || 'NOTSET') as AutoPad,
      pads: pads.length === 4 ? [pads[0], pads[1], pads[2], pads[3]] : [0, 0, 0, 0],
    };
  }

  private conv(a: Attrs, ins: string[], base: { name: string; op: string; output: string }, dyn: string[]): void {
    const w = this.need(ins[1], base.name, 'weight W');
    if (w.dims.length !== 4)
      return this.skip('Conv', base.name, base.output, `a ${w.dims.length - 2}-D convolution (only 2-D is supported)`);
    const b = ins[2] ? this.need(ins[2], base.name, 'bias B') : undefined;
    const { kernelShape, ...win } = this.window(a, w.dims.slice(2));
    void kernelShape;
    this.push({
      ...base,
      kind: 'conv',
      inputs: dyn,
      kernel: oihwToHwio(w.data, w.dims),
      weightShape: w.dims,
      bias: b && Float32Array.from(b.data),
      group: int(a, 'group', 1),
      ...win,
    });
  }

  private dense(
    op: string,
    a: Attrs,
    ins: string[],
    base: { name: string; op: string; output: string },
    dyn: string[],
  ): void {
    const B = this.need(ins[1], base.name, 'weight B');
    if (B.dims.length !== 2) return this.skip(op, base.name, base.output, `${op} with a ${B.dims.length}-D weight`);
    if (op === 'Gemm' && int(a, 'transA', 0) !== 0)
      return this.skip(op, base.name, base.output, 'Gemm with transA = 1 (the data would be transposed)');
    const transB = op === 'Gemm' && int(a, 'transB', 0) === 1;
    const alpha = op === 'Gemm' ? flt(a, 'alpha', 1) : 1;
    const [outDim, inDim] = transB ? B.dims : [B.dims[1], B.dims[0]];
    const weight = new Float64Array(outDim * inDim);
    for (let o = 0; o < outDim; o++)
      for (let i = 0; i < inDim; i++)
        weight[o * inDim + i] = alpha * (transB ? B.data[o * inDim + i] : B.data[i * outDim + o]);
    let bias: Float32Array | undefined;
    if (op === 'Gemm' && ins[2]) {
      const C = this.need(ins[2], base.name, 'bias C');
      const beta = flt(a, 'beta', 1);
      bias = Float32Array.from({ length: outDim }, (_, o) => beta * C.data[C.data.length === 1 ? 0 : o]);
    }
    // weight_shape as the issue asks: [out, in] for Gemm (after transB), as stored for MatMul ([in, out]).
    this.push({
      ...base,
      kind: 'dense',
      inputs: dyn,
      weight,
      outDim,
      inDim,
      weightShape: op === 'Gemm' ? [outDim, inDim] : B.dims,
      bias,
    });
  }

  private batchNorm(a: Attrs, ins: string[], base: { name: string; op: string; output: string }, dyn: string[]): void {
    const [scale, bias, mean, variance] = ['scale', 'B', 'input_mean', 'input_var'].map((w, j) =>
      Float32Array.from(this.need(ins[j + 1], base.name, w).data),
    );
    const node = {
      ...base,
      kind: 'batchnorm' as const,
      inputs: dyn.slice(0, 1),
      scale,
      bias,
      mean,
      variance,
      epsilon: flt(a, 'epsilon', 1e-5),
    };
    const prev = this.byOutput.get(dyn[0]);
    if (prev && this.consumers.get(dyn[0]) === 1 && foldBatchNorm(prev, node)) {
      this.byOutput.set(prev.output, prev);
      return;
    }
    this.push(node);
  }

  private biasAdd(ins: string[], base: { name: string; op: string; output: string }, dyn: string[]): void {
    const c = this.consts.get(ins.find((x) => x !== dyn[0]) ?? '');
    const prev = this.byOutput.get(dyn[0]);
    if (c && prev && this.consumers.get(dyn[0]) === 1 && foldBias(prev, c.data, base.output)) {
      this.byOutput.set(prev.output, prev);
      return;
    }
    this.skip(
      'Add',
      base.name,
      base.output,
      'Add of a constant that is not the bias of the Conv/Gemm/MatMul before it',
    );
  }

  private reshape(ins: string[], base: { name: string; op: string; output: string }, dyn: string[]): void {
    const shape = this.consts.get(ins[1]);
    if (!shape)
      return this.skip(
        'Reshape',
        base.name,
        base.output,
        'Reshape to a shape computed at run time (export with do_constant_folding=True, or use torch.flatten)',
      );
    const dims = Array.from(shape.data);
    if (!(dims[0] === -1 || dims[0] === 0 || dims[0] === 1))
      return this.skip(
        'Reshape',
        base.name,
        base.output,
        `Reshape to [${dims.join(', ')}], which changes the batch dimension`,
      );
    // A 0 copies the input's dimension at that position; shapes.ts resolves it against [C, H, W].
    this.push({ ...base, kind: 'reshape', inputs: dyn.slice(0, 1), target: dims.slice(1) });
  }

  private activation(
    op: string,
    a: Attrs,
    ins: string[],
    base: { name: string; op: string; output: string },
    dyn: string[],
  ): void {
    const fn = ACTIVATIONS[op];
    const defaults: Record<string, [number, number]> = {
      LeakyRelu: [0.01, 0],
      Elu: [1, 0],
      Selu: [1.67326319217681884765625, 1.05070102214813232421875],
      HardSigmoid: [0.2, 0.5],
    };
    const [da, db] = defaults[op] ?? [0, 0];
    const node = {
      ...base,
      kind: 'activation' as const,
      inputs: dyn.slice(0, 1),
      fn,
      alpha: flt(a, 'alpha', da),
      beta: flt(a, op === 'Selu' ? 'gamma' : 'beta', db),
    };
    if (op === 'Clip') {
      // opset >= 11: min and max are optional inputs; before, attributes.
      const lo = ins[1] ? this.consts.get(ins[1])?.data[0] : (a.get('min')?.f ?? undefined);
      const hi = ins[2] ? this.consts.get(ins[2])?.data[0] : (a.get('max')?.f ?? undefined);
      return this.push({ ...node, min: lo ?? -Infinity, max: hi ?? Infinity });
    }
    this.push(node);
  }
}

function ints(a: Attrs, name: string): number[] {
  return (a.get(name)?.ints ?? []).map(toNumber);
}
function int(a: Attrs, name: string, d: number): number {
  const x = a.get(name);
  // Decoded messages carry defaults for every field: the attribute's type says which one is set (INT = 2).
  return x && (x.type === 2 || !x.type) ? toNumber(x.i) : d;
}
function flt(a: Attrs, name: string, d: number): number {
  const x = a.get(name);
  return x && (x.type === 1 || !x.type) && typeof x.f === 'number' ? x.f : d;
}
function str(a: Attrs, name: string): string {
  const s = a.get(name)?.s;
  return s ? new TextDecoder().decode(s) : '';
}
