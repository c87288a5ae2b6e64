/**
 * File helpers shared by the loaders: existence checks with useful errors, transparent gzip, and
 * turning zlib's terse errors into messages that say which file is bad and what to do.
 */
import { promises as fs } from 'node:fs';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { DatasetError } from './types.js';

const gunzipAsync = promisify(gunzip);

/** What to tell the user next, per kind of failure (each loader knows where its data comes from). */
export interface Remedy {
  /** e.g. "Install the Debian package dataset-fashion-mnist or point --data at a folder with the four IDX files." */
  missing: string;
  /** e.g. "Re-extract the dataset or point --data at a complete copy." */
  corrupt: string;
}

export async function statOrNull(file: string): Promise<import('node:fs').Stats | null> {
  try {
    return await fs.stat(file);
  } catch {
    return null;
  }
}

export function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/** zlib error -> DatasetError naming the file and the next step. */
export function gzipError(file: string, err: unknown, remedy: string): DatasetError {
  const msg = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string } | null)?.code;
  if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(msg)) {
    return new DatasetError(
      'truncated',
      file,
      `gzip stream ends early (zlib: ${msg}): the file is truncated. ${remedy}`,
    );
  }
  if (/incorrect header check|invalid|unknown compression/i.test(msg)) {
    return new DatasetError('bad-magic', file, `not a valid gzip stream (zlib: ${msg}). ${remedy}`);
  }
  return new DatasetError('bad-magic', file, `gzip data is corrupt (zlib: ${msg}). ${remedy}`);
}

/**
 * The file's bytes, gunzipped when it starts with the gzip magic (1f 8b) whatever its extension,
 * so `train-images-idx3-ubyte.gz` and a plain copy load the same way.
 */
export async function readMaybeGzip(file: string, remedy: Remedy): Promise<{ data: Buffer; gzipped: boolean }> {
  let raw: Buffer;
  try {
    raw = await fs.readFile(file);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') throw new DatasetError('missing', file, `file not found. ${remedy.missing}`);
    throw new DatasetError(
      'missing',
      file,
      `cannot read (${code ?? String(err)}). Check its permissions. ${remedy.missing}`,
    );
  }
  if (!isGzip(raw)) return { data: raw, gzipped: false };
  try {
    return { data: await gunzipAsync(raw), gzipped: true };
  } catch (err) {
    throw gzipError(file, err, remedy.corrupt);
  }
}
