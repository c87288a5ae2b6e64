/**
 * Writes small ONNX models for the tests with the same generated schema the reader uses (onnx-proto), the way
 * torch.onnx.export lays them out: initializers in raw_data (little-endian float32) or float_data, optionally
 * as external data next to the model.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx, type OnnxTypes } from '../../src/main/engine/models/imported/onnx-proto.js';
import { mulberry32 } from '../../src/main/engine/data/rng.js';

export interface OnnxNodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  ints?: Record<string, number[]>;
  int?: Record<string, number>;
  float?: Record<string, number>;
  string?: Record<string, string>;
}

export interface OnnxModelSpec {
  inputShape: (number | string)[];
  outputName: string;
  nodes: OnnxNodeSpec[];
  weights: Record<string, { dims: number[]; data: Float32Array | number[] }>;
  opset?: number;
  /** Store initializers in float_data instead of raw_data. */
  floatData?: boolean;
  /** Initializers written to this external data file next to the model. */
  externalData?: string;
}

function attributes(n: OnnxNodeSpec): OnnxTypes.IAttributeProto[] {
  const T = onnx.AttributeProto.AttributeType;
  return [
    ...Object.entries(n.ints ?? {}).map(([name, ints]) => ({ name, ints, type: T.INTS })),
    ...Object.entries(n.int ?? {}).map(([name, i]) => ({ name, i, type: T.INT })),
    ...Object.entries(n.float ?? {}).map(([name, f]) => ({ name, f, type: T.FLOAT })),
    ...Object.entries(n.string ?? {}).map(([name, s]) => ({ name, s: new TextEncoder().encode(s), type: T.STRING })),
  ];
}

export function onnxModelBytes(spec: OnnxModelSpec, dir?: string): Uint8Array {
  let external: Buffer[] = [];
  let offset = 0;
  const initializer = Object.entries(spec.weights).map(([name, w]) => {
    const f32 = Float32Array.from(w.data);
    const raw = new Uint8Array(f32.buffer);
    const base = { name, dims: w.dims, dataType: onnx.TensorProto.DataType.FLOAT };
    if (spec.externalData) {
      external.push(Buffer.from(raw));
      const t = {
        ...base,
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: spec.externalData },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(raw.length) },
        ],
      };
      offset += raw.length;
      return t;
    }
    return spec.floatData ? { ...base, floatData: Array.from(f32) } : { ...base, rawData: raw };
  });
  if (spec.externalData && dir) writeFileSync(join(dir, spec.externalData), Buffer.concat(external));
  external = [];
  const dim = (d: number | string) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'spectral-lab-test',
    opsetImport: [{ domain: '', version: spec.opset ?? 17 }],
    graph: {
      name: 'test',
      node: spec.nodes.map((n, j) => ({
        opType: n.op,
        name: n.name ?? `${n.op}_${j}`,
        input: n.inputs,
        output: n.outputs,
        attribute: attributes(n),
      })),
      initializer,
      input: [{ name: 'input', type: { tensorType: { elemType: 1, shape: { dim: spec.inputShape.map(dim) } } } }],
      output: [{ name: spec.outputName, type: { tensorType: { elemType: 1 } } }],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

export function writeOnnxModel(dir: string, file: string, spec: OnnxModelSpec): string {
  const path = join(dir, file);
  writeFileSync(path, onnxModelBytes(spec, dir));
  return path;
}

/** Seeded normal-ish weights (sum of uniforms), scaled. */
export function randomWeights(count: number, seed: number, scale = 0.3): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: count }, () => (rng() + rng() + rng() - 1.5) * scale);
}
