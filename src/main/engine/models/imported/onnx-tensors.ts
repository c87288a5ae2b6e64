/**
 * ONNX TensorProto -> numbers: raw_data (always little-endian, onnx.proto "raw_data"), the typed repeated fields
 * (float_data, double_data, int32_data, int64_data) and external data (data_location = EXTERNAL: the bytes live in
 * a file next to the model, at `offset` for `length` bytes).
 */
import { existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative } from 'node:path';
import type { onnx } from 'onnx-proto';
import { ModelImportError } from './graph.js';

/** onnx.TensorProto.DataType values this module decodes. */
const FLOAT = 1;
const INT32 = 6;
const INT64 = 7;
const FLOAT16 = 10;
const DOUBLE = 11;
const EXTERNAL = 1;
const BYTES: Record<number, number> = { [FLOAT]: 4, [INT32]: 4, [INT64]: 8, [FLOAT16]: 2, [DOUBLE]: 8 };
const TYPE_NAMES: Record<number, string> = {
  2: 'UINT8',
  3: 'INT8',
  4: 'UINT16',
  5: 'INT16',
  8: 'STRING',
  9: 'BOOL',
  12: 'UINT32',
  13: 'UINT64',
  16: 'BFLOAT16',
};

export interface DecodedTensor {
  dims: number[];
  data: Float64Array;
}

/** protobufjs gives int64 fields as Long objects (or numbers without the long package). */
export function toNumber(x: unknown): number {
  if (typeof x === 'number') return x;
  if (x && typeof x === 'object' && 'toNumber' in x) return (x as { toNumber(): number }).toNumber();
  return Number(x);
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function fromBytes(bytes: Uint8Array, type: number, count: number, what: string): Float64Array {
  const size = BYTES[type];
  if (bytes.length !== count * size) {
    throw new ModelImportError(
      `${what}: ${bytes.length} bytes of data for ${count} values of ${size} bytes each; the file is damaged or truncated.`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(count);
  for (let j = 0; j < count; j++) {
    const at = j * size;
    if (type === FLOAT) out[j] = view.getFloat32(at, true);
    else if (type === DOUBLE) out[j] = view.getFloat64(at, true);
    else if (type === INT32) out[j] = view.getInt32(at, true);
    else if (type === INT64) out[j] = Number(view.getBigInt64(at, true));
    else out[j] = halfToFloat(view.getUint16(at, true));
  }
  return out;
}

/** The external-data file of a tensor, which must lie inside the model's folder (onnx.checker's rule). */
function readExternal(
  t: onnx.ITensorProto,
  modelFile: string,
  type: number,
  count: number,
  what: string,
): Float64Array {
  const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (!location)
    throw new ModelImportError(
      `${what}: external data without a 'location' entry; re-save the model with onnx.save_model(..., save_as_external_data=True).`,
    );
  const dir = dirname(modelFile);
  const path = normalize(join(dir, location));
  if (isAbsolute(location) || relative(dir, path).startsWith('..')) {
    throw new ModelImportError(
      `${what}: external data location '${location}' points outside the model's folder ${dir}; keep the data file next to the model.`,
    );
  }
  if (!existsSync(path)) {
    throw new ModelImportError(
      `${what}: its external data file '${location}' is missing (looked for ${path}); copy it next to ${modelFile}.`,
    );
  }
  const offset = Number(entries.get('offset') ?? 0);
  const length = entries.has('length') ? Number(entries.get('length')) : count * BYTES[type];
  if (offset + length > statSync(path).size) {
    throw new ModelImportError(
      `${what}: external data file ${path} is shorter than offset ${offset} + length ${length}; it is truncated.`,
    );
  }
  const bytes = new Uint8Array(length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, bytes, 0, length, offset);
  } finally {
    closeSync(fd);
  }
  return fromBytes(bytes, type, count, what);
}

/** Decode an initializer or Constant value to float64 numbers (weights are float32 in the file: exact). */
export function decodeTensor(t: onnx.ITensorProto, modelFile: string): DecodedTensor {
  const dims = (t.dims ?? []).map(toNumber);
  const count = dims.reduce((a, b) => a * b, 1);
  const type = t.dataType ?? 0;
  const what = `${modelFile}: tensor '${t.name ?? '?'}'`;
  if (!(type in BYTES)) {
    throw new ModelImportError(
      `${what} has data type ${TYPE_NAMES[type] ?? type}; weights must be FLOAT, FLOAT16 or DOUBLE (shapes INT64/INT32).`,
    );
  }
  let data: Float64Array;
  if (t.dataLocation === EXTERNAL) data = readExternal(t, modelFile, type, count, what);
  else if (t.rawData && t.rawData.length) data = fromBytes(t.rawData, type, count, what);
  else {
    const field =
      type === FLOAT ? t.floatData : type === DOUBLE ? t.doubleData : type === INT64 ? t.int64Data : t.int32Data;
    const values = (field ?? []) as unknown[];
    if (values.length !== count) {
      throw new ModelImportError(
        `${what}: shape [${dims.join(', ')}] needs ${count} values but the file holds ${values.length}; the file is damaged.`,
      );
    }
    // FLOAT16 in int32_data: the low 16 bits hold the half (onnx.proto).
    data = Float64Array.from(values, (v) => (type === FLOAT16 ? halfToFloat(toNumber(v) & 0xffff) : toNumber(v)));
  }
  return { dims, data };
}
