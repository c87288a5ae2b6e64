/** The Models view's inputs: files to base64 for the upload, and the option fields to an analysis request. */
import type { ModelAnalysisRequest, ModelUpload } from '../../../shared/model-analysis';

/** Bytes to base64 in chunks (String.fromCharCode on a whole large buffer overflows the call stack). */
export function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  for (let j = 0; j < bytes.length; j += 0x8000) s += String.fromCharCode(...bytes.subarray(j, j + 0x8000));
  return btoa(s);
}

export async function filesToUpload(files: readonly File[]): Promise<ModelUpload> {
  return {
    files: await Promise.all(
      files.map(async (f) => ({ name: f.name, base64: bytesToBase64(new Uint8Array(await f.arrayBuffer())) })),
    ),
  };
}

export interface ModelOptionFields {
  inputShape: string;
  mean: string;
  std: string;
  dataset: string;
  eps: string;
  limit: string;
}

/** "0.1, 0.2" -> [0.1, 0.2]; empty -> undefined; anything else names the field. */
export function numberList(text: string, field: string): number[] | undefined {
  const t = text.trim();
  if (!t) return undefined;
  const v = t
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(Number);
  if (v.some((x) => !Number.isFinite(x)))
    throw new Error(`${field}: "${text}" is not a list of numbers (e.g. 0.5, 0.5, 0.5).`);
  return v;
}

export function toRequest(f: ModelOptionFields): ModelAnalysisRequest {
  const r: ModelAnalysisRequest = {};
  const inputShape = numberList(f.inputShape, 'Input shape');
  if (inputShape) r.inputShape = inputShape;
  const mean = numberList(f.mean, 'Mean');
  if (mean) r.mean = mean;
  const std = numberList(f.std, 'Std');
  if (std) r.std = std;
  if (f.dataset.trim()) {
    r.dataset = f.dataset.trim();
    const eps = numberList(f.eps, 'ε list');
    if (eps) r.epsilons = eps;
    const limit = numberList(f.limit, 'Test images');
    if (limit) r.limit = limit[0];
  }
  return r;
}
