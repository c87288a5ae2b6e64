/**
 * Weight checkpoints: one self-describing binary file per evaluation point, so the bounds of any layer can be
 * recomputed later without the training code (the header carries each layer's stride, padding, input size).
 *
 * Layout: "SLW1" | uint32 LE header length | header JSON (UTF-8) | float32 LE tensors, in header order.
 * The sha256 of the whole file is reported with the 'checkpoint' event and checked on load when given.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { KernelHWIO } from '../../../shared/bounds.js';
import type { Network } from '../models/index.js';

const MAGIC = 'SLW1';
export const CHECKPOINT_FORMAT = 'spectral-lab-weights';

export interface CheckpointLayer {
  name: string;
  kind: 'conv' | 'dense';
  /** HWIO, or [in, out] for dense. */
  shape: number[];
  stride: number;
  padding: 'same' | 'valid';
  inputSize: [number, number];
}

export interface CheckpointHeader {
  format: typeof CHECKPOINT_FORMAT;
  version: 1;
  runId: string;
  arch: string;
  step: number;
  epoch: number;
  inputShape: [number, number, number];
  createdAt: number;
  layers: CheckpointLayer[];
  tensors: { name: string; shape: number[]; offset: number; length: number; trainable: boolean }[];
}

export interface Checkpoint {
  header: CheckpointHeader;
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
  sha256: string;
}

export class CheckpointError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'CheckpointError';
  }
}

export function encodeCheckpoint(model: Network, meta: { runId: string; step: number; epoch: number }): Buffer {
  const vars = model.variables();
  let offset = 0;
  const tensors = vars.map((v) => {
    const entry = {
      name: v.name,
      shape: [...v.variable.shape],
      offset,
      length: v.variable.size,
      trainable: v.trainable,
    };
    offset += v.variable.size;
    return entry;
  });
  const header: CheckpointHeader = {
    format: CHECKPOINT_FORMAT,
    version: 1,
    runId: meta.runId,
    arch: model.arch,
    step: meta.step,
    epoch: meta.epoch,
    inputShape: [...model.inputShape],
    createdAt: Date.now(),
    layers: model.linear.map((l) => ({
      name: l.name,
      kind: l.kind,
      shape: l.kind === 'conv' ? [...l.shape] : [...l.units],
      stride: l.stride,
      padding: l.padding,
      inputSize: [...l.inputSize],
    })),
    tensors,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const data = new Float32Array(offset);
  vars.forEach((v, i) => data.set(v.variable.dataSync() as Float32Array, tensors[i].offset));
  const lenBuf = Buffer.alloc(4);
  lenBuf.writeUInt32LE(json.length, 0);
  // Float32Array is little-endian on every platform Node runs on that tfjs supports.
  return Buffer.concat([
    Buffer.from(MAGIC, 'ascii'),
    lenBuf,
    json,
    Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  ]);
}

export function sha256(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** Writes atomically (temp file + rename) so a crash never leaves a truncated checkpoint. */
export async function saveCheckpoint(
  dir: string,
  model: Network,
  meta: { runId: string; step: number; epoch: number },
): Promise<{ path: string; sha256: string }> {
  await mkdir(dir, { recursive: true });
  const buf = encodeCheckpoint(model, meta);
  const file = path.join(dir, `step-${String(meta.step).padStart(7, '0')}.slw`);
  await writeFile(`${file}.tmp`, buf);
  await rename(`${file}.tmp`, file);
  return { path: file, sha256: sha256(buf) };
}

export function decodeCheckpoint(buf: Buffer, file = 'checkpoint', expectedSha256?: string): Checkpoint {
  const digest = sha256(buf);
  if (expectedSha256 && digest !== expectedSha256) {
    throw new CheckpointError(
      file,
      `sha256 is ${digest} but ${expectedSha256} was recorded; the file changed or is corrupt — use another checkpoint.`,
    );
  }
  if (buf.length < 8 || buf.toString('ascii', 0, 4) !== MAGIC) {
    throw new CheckpointError(
      file,
      `not a Spectral Lab checkpoint (expected the magic '${MAGIC}'); pass a .slw file written by training.`,
    );
  }
  const hlen = buf.readUInt32LE(4);
  if (8 + hlen > buf.length)
    throw new CheckpointError(
      file,
      `header of ${hlen} bytes runs past the end of the file (${buf.length} bytes): the file is truncated.`,
    );
  let header: CheckpointHeader;
  try {
    header = JSON.parse(buf.toString('utf8', 8, 8 + hlen)) as CheckpointHeader;
  } catch (e) {
    throw new CheckpointError(file, `header is not valid JSON (${(e as Error).message}); the file is corrupt.`);
  }
  if (header.format !== CHECKPOINT_FORMAT || header.version !== 1) {
    throw new CheckpointError(
      file,
      `format ${String(header.format)} v${String(header.version)} is not ${CHECKPOINT_FORMAT} v1; update Spectral Lab to read it.`,
    );
  }
  const dataBytes = buf.length - 8 - hlen;
  const total = header.tensors.reduce((s, t) => s + t.length, 0);
  if (dataBytes !== total * 4) {
    throw new CheckpointError(
      file,
      `holds ${dataBytes} bytes of weights but its header lists ${total * 4}; the file is truncated or corrupt.`,
    );
  }
  // Copy into an aligned buffer: the data starts at an arbitrary byte offset.
  const all = new Float32Array(total);
  new Uint8Array(all.buffer).set(buf.subarray(8 + hlen));
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const t of header.tensors)
    tensors.set(t.name, { shape: t.shape, data: all.subarray(t.offset, t.offset + t.length) });
  return { header, tensors, sha256: digest };
}

export async function loadCheckpoint(file: string, expectedSha256?: string): Promise<Checkpoint> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    throw new CheckpointError(file, `cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)}); check the path.`);
  }
  return decodeCheckpoint(buf, file, expectedSha256);
}

/** Load the weights into a model of the same architecture. */
export function restoreCheckpoint(model: Network, ckpt: Checkpoint): void {
  for (const v of model.variables()) {
    const t = ckpt.tensors.get(v.name);
    if (!t)
      throw new CheckpointError(
        'checkpoint',
        `has no tensor '${v.name}'; it was written by a different architecture than '${model.arch}'.`,
      );
    if (t.shape.join() !== v.variable.shape.join()) {
      throw new CheckpointError(
        'checkpoint',
        `tensor '${v.name}' has shape [${t.shape}] but the model needs [${v.variable.shape}].`,
      );
    }
    tf.tidy(() => v.variable.assign(tf.tensor(t.data, t.shape)));
  }
}

/** Every conv/dense kernel of a checkpoint in HWIO with its geometry, for recomputing bounds. */
export function checkpointKernels(ckpt: Checkpoint): (CheckpointLayer & { kernel: KernelHWIO })[] {
  return ckpt.header.layers.map((l) => {
    const t = ckpt.tensors.get(`${l.name}/kernel`);
    if (!t) throw new CheckpointError('checkpoint', `layer '${l.name}' has no kernel tensor.`);
    const shape = (l.kind === 'conv' ? t.shape : [1, 1, ...t.shape]) as KernelHWIO['shape'];
    return { ...l, kernel: { shape, data: t.data } };
  });
}
