/**
 * TensorFlow.js LayersModel reader: model.json (modelTopology = the Keras config, Sequential or functional, and
 * weightsManifest) plus the binary weight shards next to it. Keras layers are channels-last, so Flatten/Reshape
 * keep the 'hwc' order; kernels are already HWIO. A layer's own `activation` becomes an activation node after it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { depthwiseToGrouped } from '../../bounds/methods/reshapes.js';
import {
  ModelImportError,
  type ActivationFn,
  type GraphNode,
  type ImportedGraph,
  type Pair,
  type UnsupportedOp,
} from './graph.js';
import { foldBatchNorm } from './fold.js';

interface KerasLayer {
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes?: unknown[];
  name?: string;
}
interface WeightSpec {
  name: string;
  shape: number[];
  dtype?: string;
  quantization?: unknown;
}

const KERAS_ACTIVATIONS: Record<
  string,
  { fn: ActivationFn; alpha?: number; beta?: number; min?: number; max?: number }
> = {
  relu: { fn: 'relu' },
  linear: { fn: 'linear' },
  tanh: { fn: 'tanh' },
  sigmoid: { fn: 'sigmoid' },
  softplus: { fn: 'softplus' },
  elu: { fn: 'elu', alpha: 1 },
  selu: { fn: 'selu', alpha: 1.67326319217681884765625, beta: 1.05070102214813232421875 },
  relu6: { fn: 'clip', min: 0, max: 6 },
  hard_sigmoid: { fn: 'hardSigmoid', alpha: 0.2, beta: 0.5 },
  hardSigmoid: { fn: 'hardSigmoid', alpha: 0.2, beta: 0.5 },
};

function readJson(file: string): Record<string, unknown> {
  if (!existsSync(file))
    throw new ModelImportError(`${file}: no such file; give the path of a tfjs model.json (weight shards next to it).`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new ModelImportError(
      `${file} is not valid JSON (${(e as Error).message}); a tfjs LayersModel is a model.json written by model.save or tensorflowjs_converter.`,
    );
  }
}

/** Every weight by name, from the shards of the manifest (little-endian float32, concatenated in path order). */
function readWeights(file: string, manifest: unknown): Map<string, { shape: number[]; data: Float32Array }> {
  if (!Array.isArray(manifest))
    throw new ModelImportError(
      `${file}: no weightsManifest; it is a model topology without weights. Save the model with model.save('file://...').`,
    );
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const group of manifest as { paths: string[]; weights: WeightSpec[] }[]) {
    const parts = group.paths.map((p) => {
      const path = join(dirname(file), p);
      if (!existsSync(path))
        throw new ModelImportError(
          `${file}: weight shard '${p}' is missing (looked for ${path}); copy it next to model.json.`,
        );
      return readFileSync(path);
    });
    const bytes = Buffer.concat(parts);
    let at = 0;
    for (const w of group.weights) {
      if (w.quantization)
        throw new ModelImportError(
          `${file}: weight '${w.name}' is quantized; convert the model without --quantize_* so bounds see the real weights.`,
        );
      if (w.dtype && w.dtype !== 'float32')
        throw new ModelImportError(
          `${file}: weight '${w.name}' has dtype ${w.dtype}; only float32 weights are supported.`,
        );
      const count = w.shape.reduce((a, b) => a * b, 1);
      if (at + 4 * count > bytes.length) {
        throw new ModelImportError(
          `${file}: the weight shards (${group.paths.join(', ')}) hold ${bytes.length} bytes, too few for '${w.name}'; a shard is truncated.`,
        );
      }
      const data = new Float32Array(count);
      for (let j = 0; j < count; j++) data[j] = bytes.readFloatLE(at + 4 * j);
      out.set(w.name.replace(/:0$/, ''), { shape: w.shape, data });
      at += 4 * count;
    }
  }
  return out;
}

/** The fields every graph node of one Keras layer shares (output is the pre-activation when the layer has one). */
type NodeBase = { name: string; op: string; inputs: string[]; output: string };

class TfjsConverter {
  readonly nodes: GraphNode[] = [];
  readonly unsupported: UnsupportedOp[] = [];
  readonly notes: string[] = [];
  private readonly unknown = new Set<string>();

  constructor(
    private readonly file: string,
    private readonly weights: Map<string, { shape: number[]; data: Float32Array }>,
    private readonly finalLayer: string,
  ) {}

  weight(layer: string, param: string, required = true): Float32Array | undefined {
    for (const [name, w] of this.weights) {
      const parts = name.split('/');
      if (parts[parts.length - 1] === param && parts[parts.length - 2] === layer) return w.data;
    }
    if (required)
      throw new ModelImportError(
        `${this.file}: layer '${layer}' has no weight '${param}' in the weightsManifest; the shards do not match model.json.`,
      );
    return undefined;
  }

  add(l: KerasLayer, inputs: string[]): void {
    const c = l.config;
    const name = String(c.name ?? l.name);
    const op = l.class_name;
    if (inputs.some((i) => this.unknown.has(i)))
      return this.skip(op, name, 'reads the output of an unsupported layer, so its input is unknown');
    if (c.data_format === 'channels_first')
      return this.skip(op, name, "data_format 'channels_first' (tfjs models are channels-last)");
    const act = typeof c.activation === 'string' ? c.activation : 'linear';
    const pre = act === 'linear' ? name : `${name}/pre-activation`;
    const base = { name, op, inputs, output: pre };
    switch (op) {
      case 'Conv2D':
      case 'DepthwiseConv2D':
        this.conv(op, c, base);
        break;
      case 'Dense':
        this.dense(c, base);
        break;
      case 'BatchNormalization':
        return this.batchNorm(name, base, Number(c.epsilon ?? 1e-3));
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const size = pair(c.pool_size, 2);
        this.nodes.push({
          ...base,
          kind: op === 'MaxPooling2D' ? 'maxpool' : 'avgpool',
          kernelShape: size,
          strides: c.strides ? pair(c.strides, 1) : size,
          dilations: [1, 1],
          autoPad: c.padding === 'same' ? 'SAME_UPPER' : 'VALID',
          pads: [0, 0, 0, 0],
          ceilMode: false,
          countIncludePad: false,
        });
        break;
      }
      case 'GlobalAveragePooling2D':
        // Keras drops the 1x1 spatial dimensions (keepdims false): pool, then flatten.
        this.nodes.push({ ...base, kind: 'globalavgpool', output: `${name}/pooled` });
        this.nodes.push({ name: `${name}/flatten`, op, inputs: [`${name}/pooled`], output: pre, kind: 'flatten' });
        break;
      case 'Add':
        if (inputs.length !== 2) return this.skip(op, name, `Add of ${inputs.length} tensors (only two are supported)`);
        this.nodes.push({ ...base, kind: 'add' });
        break;
      case 'Flatten':
        this.nodes.push({ ...base, kind: 'flatten' });
        break;
      case 'Reshape':
        this.nodes.push({ ...base, kind: 'reshape', target: (c.target_shape as number[]).map(Number) });
        break;
      case 'Dropout':
      case 'SpatialDropout2D':
      case 'GaussianNoise':
        this.nodes.push({ ...base, kind: 'identity' });
        break;
      case 'Activation':
      case 'ReLU':
      case 'LeakyReLU':
      case 'ELU':
      case 'Softmax':
        return this.activationLayer(op, c, name, inputs);
      default:
        return this.skip(op, name, 'layer not supported');
    }
    if (pre !== name) this.activation(act, `${name}/${act}`, pre, name);
  }

  /** Conv2D and DepthwiseConv2D (the latter as a grouped convolution, one group per input channel). */
  private conv(op: string, c: Record<string, unknown>, base: NodeBase): void {
    const name = base.name;
    const depthwise = op === 'DepthwiseConv2D';
    const k = this.weight(name, depthwise ? 'depthwise_kernel' : 'kernel') as Float32Array;
    const shape =
      this.weights.get(
        [...this.weights.keys()].find((n) => n.endsWith(`${name}/${depthwise ? 'depthwise_kernel' : 'kernel'}`)) ?? '',
      )?.shape ?? [];
    const hwio = { shape: shape as [number, number, number, number], data: Float64Array.from(k) };
    const g = depthwise ? depthwiseToGrouped(hwio) : { kernel: hwio, groups: Number(c.groups ?? 1) };
    if (depthwise && pair(c.dilation_rate, 1).some((d) => d > 1)) {
      this.notes.push(
        `'${name}': tfjs's DepthwiseConv2D runs without its dilation_rate while Keras applies it; the bounds and the forward pass follow Keras.`,
      );
    }
    this.nodes.push({
      ...base,
      kind: 'conv',
      kernel: g.kernel,
      weightShape: shape,
      bias: c.use_bias === false ? undefined : this.weight(name, 'bias', false),
      strides: pair(c.strides, 1),
      dilations: pair(c.dilation_rate, 1),
      group: g.groups,
      autoPad: c.padding === 'same' ? 'SAME_UPPER' : 'VALID',
      pads: [0, 0, 0, 0],
    });
  }

  /** Dense: Keras stores the kernel [in, out]; the graph wants [out, in]. */
  private dense(c: Record<string, unknown>, base: NodeBase): void {
    const name = base.name;
    const k = this.weight(name, 'kernel') as Float32Array;
    const units = Number(c.units);
    const inDim = k.length / units;
    const weight = new Float64Array(k.length);
    for (let i = 0; i < inDim; i++) for (let o = 0; o < units; o++) weight[o * inDim + i] = k[i * units + o];
    this.nodes.push({
      ...base,
      kind: 'dense',
      weight,
      outDim: units,
      inDim,
      weightShape: [inDim, units],
      bias: c.use_bias === false ? undefined : this.weight(name, 'bias', false),
    });
  }

  private batchNorm(name: string, base: NodeBase, epsilon: number): void {
    const mean = this.weight(name, 'moving_mean') as Float32Array;
    const variance = this.weight(name, 'moving_variance') as Float32Array;
    const scale = this.weight(name, 'gamma', false) ?? new Float32Array(mean.length).fill(1);
    const bias = this.weight(name, 'beta', false) ?? new Float32Array(mean.length);
    const node = { ...base, kind: 'batchnorm' as const, scale, bias, mean, variance, epsilon };
    const prev = this.nodes[this.nodes.length - 1];
    // Fold into the layer right before when this BN is that layer's only reader (Sequential, or functional without a branch).
    if (prev && prev.output === base.inputs[0] && !this.readLater.has(prev.output) && foldBatchNorm(prev, node)) return;
    this.nodes.push(node);
  }

  /** Tensors read by more than one layer (set by the caller from the topology). */
  readLater = new Set<string>();

  private activationLayer(op: string, c: Record<string, unknown>, name: string, inputs: string[]): void {
    const which =
      op === 'Activation'
        ? String(c.activation)
        : op === 'LeakyReLU'
          ? 'leakyRelu'
          : op === 'ELU'
            ? 'elu'
            : op === 'Softmax'
              ? 'softmax'
              : 'relu';
    if (op === 'ReLU' && c.max_value !== undefined && c.max_value !== null) {
      this.nodes.push({
        name,
        op,
        inputs,
        output: name,
        kind: 'activation',
        fn: 'clip',
        min: 0,
        max: Number(c.max_value),
      });
      return;
    }
    this.activation(which, name, inputs[0], name, Number(c.alpha ?? (op === 'LeakyReLU' ? 0.3 : 1)), op);
  }

  private activation(
    which: string,
    name: string,
    input: string,
    output: string,
    alpha?: number,
    op = 'Activation',
  ): void {
    if (which === 'softmax' && output === this.finalLayer) {
      this.notes.push(`the final softmax '${name}' is left out: bounds and certificates use the logits.`);
      this.nodes.push({ name, op: 'Softmax', inputs: [input], output, kind: 'identity' });
      return;
    }
    const spec =
      which === 'leakyRelu'
        ? { fn: 'leakyRelu' as const, alpha }
        : which === 'elu'
          ? { fn: 'elu' as const, alpha }
          : KERAS_ACTIVATIONS[which];
    if (!spec) {
      this.skip(op, name, `activation '${which}' not supported`);
      this.unknown.add(output);
      return;
    }
    this.nodes.push({
      name,
      op: op === 'Activation' ? which : op,
      inputs: [input],
      output,
      kind: 'activation',
      ...spec,
    });
  }

  private skip(op: string, name: string, reason: string): void {
    this.unsupported.push({ op, name, reason });
    this.unknown.add(name);
  }
}

function pair(v: unknown, d: number): Pair {
  if (Array.isArray(v)) return [Number(v[0] ?? d), Number(v[1] ?? v[0] ?? d)];
  if (typeof v === 'number') return [v, v];
  return [d, d];
}

/** Inbound layer names of a functional layer (tfjs's [[[name, nodeIndex, tensorIndex, kwargs], ...]]). */
function inboundNames(l: KerasLayer): string[] {
  const first = (l.inbound_nodes ?? [])[0];
  return Array.isArray(first) ? first.map((e) => String((e as unknown[])[0])) : [];
}

export function readTfjsModel(file: string): ImportedGraph {
  const json = readJson(file);
  const topology = (json.modelTopology as Record<string, unknown> | undefined) ?? undefined;
  const modelConfig = (topology?.model_config as Record<string, unknown> | undefined) ?? topology;
  if (!modelConfig || typeof modelConfig !== 'object' || !('config' in modelConfig)) {
    throw new ModelImportError(
      `${file}: no modelTopology with a Keras config; it is not a tfjs LayersModel (a GraphModel from tf.saved_model is not supported — export a LayersModel or ONNX).`,
    );
  }
  const cfg = modelConfig.config as Record<string, unknown>;
  const layers = (Array.isArray(cfg) ? cfg : (cfg.layers as KerasLayer[])) ?? [];
  const sequential = modelConfig.class_name === 'Sequential';
  const weights = readWeights(file, json.weightsManifest);
  const named = layers.map((l) => ({ l, name: String(l.config.name ?? l.name) }));
  const inputLayer = named.find((x) => x.l.class_name === 'InputLayer');
  const first = named.find((x) => Array.isArray(x.l.config.batch_input_shape)) ?? inputLayer;
  const bis = (first?.l.config.batch_input_shape as (number | null)[] | undefined) ?? [];
  const hwc = bis.slice(1);
  const inputShape =
    hwc.every((d) => typeof d === 'number' && d > 0) && hwc.length
      ? ((hwc.length === 3 ? [hwc[2], hwc[0], hwc[1]] : hwc) as number[])
      : null;
  const inputName = inputLayer?.name ?? 'input';
  const body = named.filter((x) => x.l.class_name !== 'InputLayer');
  const finalLayer = body[body.length - 1]?.name ?? '';
  const conv = new TfjsConverter(file, weights, finalLayer);
  const reads = new Map<string, number>();
  const inputsOf = body.map((x, j) => (sequential ? [j === 0 ? inputName : body[j - 1].name] : inboundNames(x.l)));
  for (const ins of inputsOf) for (const i of ins) reads.set(i, (reads.get(i) ?? 0) + 1);
  conv.readLater = new Set([...reads].filter(([, n]) => n > 1).map(([t]) => t));
  body.forEach((x, j) => conv.add(x.l, inputsOf[j]));
  return {
    format: 'tfjs',
    file,
    layout: 'hwc',
    inputName,
    inputShape,
    outputName: finalLayer,
    nodes: conv.nodes,
    unsupported: conv.unsupported,
    notes: conv.notes,
    producer: typeof json.generatedBy === 'string' ? json.generatedBy : undefined,
  };
}
