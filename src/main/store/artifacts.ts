/**
 * Files and blobs of a run: checkpoints (weights on disk, referenced by path and sha-256 so a moved
 * or altered file is noticed) and spectra (singular values, zlib-compressed in the database).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { CheckpointRecord, SpectrumRecord } from '../../shared/records.js';
import { StoreError } from './errors.js';
import { loadRunRow } from './run-rows.js';
import type { SqliteDb } from './sqlite.js';

export async function sha256File(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  for await (const chunk of fs.createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Paths inside the data folder are stored relative to it, so the folder can be moved as a whole. */
export function storedPath(dataDir: string, file: string): string {
  const abs = path.resolve(file);
  const rel = path.relative(dataDir, abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

export function absolutePath(dataDir: string, stored: string): string {
  return path.isAbsolute(stored) ? stored : path.join(dataDir, stored);
}

export interface AddCheckpointInput {
  step: number;
  path: string;
  label?: string;
  /** When given (e.g. by the engine), the file's hash must match it. */
  sha256?: string;
}

interface CheckpointRow {
  id: number;
  run_id: string;
  step: number;
  path: string;
  sha256: string;
  bytes: number;
  created_at: number;
  label: string | null;
}

function toCheckpoint(dataDir: string, r: CheckpointRow): CheckpointRecord {
  return {
    id: r.id,
    runId: r.run_id,
    step: r.step,
    path: absolutePath(dataDir, r.path),
    sha256: r.sha256,
    bytes: r.bytes,
    createdAt: r.created_at,
    label: r.label,
  };
}

export async function addCheckpoint(
  wdb: SqliteDb,
  dataDir: string,
  runId: string,
  input: AddCheckpointInput,
): Promise<CheckpointRecord> {
  if (!Number.isSafeInteger(input.step) || input.step < 0) {
    throw new StoreError(
      'invalid-input',
      `Checkpoint step ${input.step} is not a non-negative integer.`,
      'Pass the training step the weights were saved at.',
    );
  }
  const file = path.resolve(String(input.path));
  const st = fs.statSync(file, { throwIfNoEntry: false });
  if (!st?.isFile()) {
    throw new StoreError(
      'invalid-input',
      `Checkpoint file ${file} does not exist or is not a file.`,
      'Save the weights first, then record the checkpoint with its path.',
    );
  }
  const { sha256, bytes } = await sha256File(file);
  if (input.sha256 !== undefined && input.sha256.toLowerCase() !== sha256) {
    throw new StoreError(
      'invalid-input',
      `Checkpoint file ${file} has sha-256 ${sha256}, not the expected ${input.sha256}.`,
      'The file changed after it was written; save the checkpoint again.',
    );
  }
  const createdAt = Date.now();
  const stored = storedPath(dataDir, file);
  const id = await wdb.transaction(async () => {
    const run = await loadRunRow(wdb, runId);
    const r = await wdb.run(
      'INSERT INTO checkpoints (rid, step, path, sha256, bytes, created_at, label) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [run.rid, input.step, stored, sha256, bytes, createdAt, input.label ?? null],
    );
    return r.lastID;
  });
  return { id, runId, step: input.step, path: file, sha256, bytes, createdAt, label: input.label ?? null };
}

export async function listCheckpoints(db: SqliteDb, dataDir: string, runId: string): Promise<CheckpointRecord[]> {
  const run = await loadRunRow(db, runId);
  const rows = await db.all<CheckpointRow>(
    `SELECT c.id, r.id AS run_id, c.step, c.path, c.sha256, c.bytes, c.created_at, c.label
     FROM checkpoints c JOIN runs r ON r.rid = c.rid WHERE c.rid = ? ORDER BY c.step, c.id`,
    [run.rid],
  );
  return rows.map((r) => toCheckpoint(dataDir, r));
}

/** Is the file still there and unchanged? */
export async function verifyCheckpoint(cp: CheckpointRecord): Promise<{ ok: boolean; problem: string | null }> {
  if (!fs.existsSync(cp.path)) return { ok: false, problem: `${cp.path} is missing` };
  const { sha256 } = await sha256File(cp.path);
  return sha256 === cp.sha256
    ? { ok: true, problem: null }
    : { ok: false, problem: `${cp.path} changed (sha-256 ${sha256}, recorded ${cp.sha256})` };
}

export function decodeSpectrum(dtype: string, count: number, data: Buffer): number[] {
  const raw = zlib.inflateSync(data);
  const bytes = new Uint8Array(raw.length);
  bytes.set(raw);
  const arr = dtype === 'f32' ? new Float32Array(bytes.buffer, 0, count) : new Float64Array(bytes.buffer, 0, count);
  return Array.from(arr);
}

/** One layer's spectrum at a step (default: the last step that has one). */
export async function getSpectrum(
  db: SqliteDb,
  runId: string,
  query: { layer: string; step?: number; method?: string },
): Promise<SpectrumRecord | null> {
  const run = await loadRunRow(db, runId);
  const row = await db.get<{ layer: string; method: string; step: number; count: number; dtype: string; data: Buffer }>(
    `SELECT layer, method, step, count, dtype, data FROM spectra
     WHERE rid = ?1 AND layer = ?2 AND (?3 IS NULL OR step = ?3) AND (?4 IS NULL OR method = ?4)
     ORDER BY step DESC LIMIT 1`,
    [run.rid, query.layer, query.step ?? null, query.method ?? null],
  );
  if (!row) return null;
  return {
    runId,
    layer: row.layer,
    method: row.method,
    step: row.step,
    values: decodeSpectrum(row.dtype, row.count, row.data),
  };
}

/** Which (layer, method, step) spectra a run has. */
export async function listSpectra(
  db: SqliteDb,
  runId: string,
): Promise<{ layer: string; method: string; step: number; count: number }[]> {
  const run = await loadRunRow(db, runId);
  return db.all('SELECT layer, method, step, count FROM spectra WHERE rid = ? ORDER BY layer, method, step', [run.rid]);
}
