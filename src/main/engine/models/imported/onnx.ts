/**
 * ONNX reader: the file is decoded with onnx-proto (protobufjs code generated from the official onnx.proto) and
 * each supported node becomes a graph.ts node with its real attributes (onnx.ai/onnx/operators). Conv weights
 * [out, in/group, kh, kw] are transposed to the bounds core's HWIO; Gemm applies alpha and transB; a
 * BatchNormalization or bias Add right after a Conv/Gemm/MatMul (its only consumer) is folded into that layer.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { onnx, type OnnxTypes } from './onnx-proto.js';
import { ModelImportError, topologicalOrder, type ImportedGraph } from './graph.js';
import { decodeTensor, toNumber, type DecodedTensor } from './onnx-tensors.js';
import { OnnxNodeConverter } from './onnx-nodes.js';

/** Opsets whose semantics of the supported operators this reader implements (attributes vs inputs, defaults). */
export const ONNX_OPSET_RANGE: [number, number] = [9, 21];

/** Formats that are often mistaken for ONNX, by their first bytes. */
const FOREIGN_MAGIC: [number[], string][] = [
  [
    [0x50, 0x4b, 0x03, 0x04],
    'a ZIP archive (a PyTorch .pt/.pth checkpoint?): export it with torch.onnx.export(model, example, "model.onnx")',
  ],
  [
    [0x89, 0x48, 0x44, 0x46],
    'an HDF5 file (a Keras .h5?): convert it with tensorflowjs_converter and open the model.json',
  ],
  [[0x80, 0x02], 'a Python pickle: export the model with torch.onnx.export'],
  [[0x7b], 'JSON: open a tfjs model.json as it is (the weight shards next to it)'],
  [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
];

function decodeModel(bytes: Uint8Array, file: string): OnnxTypes.ModelProto {
  for (const [magic, what] of FOREIGN_MAGIC) {
    if (magic.every((b, j) => bytes[j] === b))
      throw new ModelImportError(`${file} is not an ONNX model: it is ${what}.`);
  }
  let model: OnnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ModelImportError(
      `${file} is not a readable ONNX model (protobuf decoding failed: ${(e as Error).message}); the file is truncated or not ONNX. ` +
        'Copy it again or re-export it with torch.onnx.export.',
    );
  }
  if (!model.graph || !toNumber(model.irVersion) || !model.graph.node?.length) {
    throw new ModelImportError(
      `${file} decodes as protobuf but holds no ONNX graph (ir_version or graph missing); it is not an ONNX model.`,
    );
  }
  return model;
}

function checkOpset(model: OnnxTypes.ModelProto, file: string): number {
  const main = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const version = main ? toNumber(main.version) : NaN;
  const [lo, hi] = ONNX_OPSET_RANGE;
  if (!(version >= lo && version <= hi)) {
    throw new ModelImportError(
      `${file}: opset ${Number.isNaN(version) ? '(none for the ai.onnx domain)' : version} is not supported; this reader implements opsets ${lo}-${hi}. ` +
        `Re-export with torch.onnx.export(..., opset_version=${Math.min(Math.max(17, lo), hi)}) or convert with onnx.version_converter.`,
    );
  }
  return version;
}

/** Shape of the graph input without the batch dimension; null when a dimension is symbolic. */
function inputShape(vi: OnnxTypes.IValueInfoProto): number[] | null {
  const dims = vi.type?.tensorType?.shape?.dim ?? [];
  const values = dims.slice(1).map((d) => (d.dimValue !== undefined && d.dimValue !== null ? toNumber(d.dimValue) : 0));
  return values.length && values.every((v) => v > 0) ? values : null;
}

export function readOnnxModel(file: string): ImportedGraph {
  if (!existsSync(file) || !statSync(file).isFile())
    throw new ModelImportError(`${file}: no such file; give the path of a .onnx model.`);
  const model = decodeModel(new Uint8Array(readFileSync(file)), file);
  const opset = checkOpset(model, file);
  const g = model.graph as OnnxTypes.GraphProto;
  const consts = new Map<string, DecodedTensor>();
  for (const t of g.initializer ?? []) consts.set(t.name ?? '', decodeTensor(t, file));
  const inputs = (g.input ?? []).filter((i) => !consts.has(i.name ?? ''));
  if (inputs.length !== 1) {
    throw new ModelImportError(
      `${file}: the graph has ${inputs.length} data inputs (${inputs.map((i) => i.name).join(', ') || 'none'}); only single-input networks are supported.`,
    );
  }
  const input = inputs[0];
  const outputName = g.output?.[0]?.name ?? '';
  const raw = (g.node ?? []).map((n, j) => ({
    proto: n,
    name: n.name || `${n.opType}_${j}`,
    inputs: (n.input ?? []).filter((x) => x && !consts.has(x)),
    output: n.output?.[0] ?? '',
    outputs: (n.output ?? []).filter(Boolean),
  }));
  const ordered = topologicalOrder(raw, new Set([input.name ?? '']), file);
  const consumers = new Map<string, number>([[outputName, 1]]);
  for (const r of raw) for (const x of r.inputs) consumers.set(x, (consumers.get(x) ?? 0) + 1);
  const conv = new OnnxNodeConverter(file, consts, outputName, consumers);
  for (const r of ordered) conv.add(r.proto, r.name);
  const graph = conv.finish();
  if ((g.output?.length ?? 0) > 1)
    graph.notes.push(`the graph has ${g.output?.length} outputs; only the first, '${outputName}', is analysed.`);
  return {
    ...graph,
    format: 'onnx',
    file,
    layout: 'chw',
    inputName: input.name ?? '',
    inputShape: inputShape(input),
    opset,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' ') || undefined,
  };
}
