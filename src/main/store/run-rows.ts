/** The runs table row and its mapping to RunRecord (JSON columns parsed, tags attached). */
import type { JsonObject } from '../../shared/api.js';
import {
  EMPTY_HEADLINE,
  type RunEnvironment,
  type RunHeadline,
  type RunRecord,
  type RunStatus,
} from '../../shared/records.js';
import { StoreError } from './errors.js';
import type { SqliteDb } from './sqlite.js';

export const RUN_COLUMNS =
  'rid, id, name, status, backend, config, config_hash, created_at, started_at, ended_at, heartbeat_at, pid, host, ' +
  'error, reason, environment, notes, dataset, model, regulariser, last_step, paused_at';

export interface RunRow {
  rid: number;
  id: string;
  name: string;
  status: RunStatus;
  backend: string | null;
  config: string;
  config_hash: string;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  heartbeat_at: number | null;
  pid: number | null;
  host: string | null;
  error: string | null;
  reason: string | null;
  environment: string | null;
  notes: string;
  dataset: string | null;
  model: string | null;
  regulariser: string | null;
  last_step: number;
  /** Set while the run is paused (status stays 'running'): see statusOfRow. */
  paused_at: number | null;
}

/** The run's state: a paused run is stored as 'running' with paused_at set (migration 7). */
export function statusOfRow(row: Pick<RunRow, 'status' | 'paused_at'>): RunStatus {
  return row.status === 'running' && row.paused_at !== null && row.paused_at !== undefined ? 'paused' : row.status;
}

/** β of the config's regulariser (the store keeps configs opaque): 0 when it is off, null when unknown. */
export function regulariserBeta(config: JsonObject): number | null {
  const reg = config.regularizer ?? config.regulariser;
  if (!reg || typeof reg !== 'object' || Array.isArray(reg)) return null;
  const { kind, beta } = reg as { kind?: unknown; beta?: unknown };
  if (kind === 'none') return 0;
  return typeof beta === 'number' ? beta : null;
}

export function toRecord(row: RunRow, tags: string[], headline: RunHeadline = EMPTY_HEADLINE): RunRecord {
  const config = JSON.parse(row.config) as JsonObject;
  const status = statusOfRow(row);
  return {
    id: row.id,
    name: row.name,
    status,
    backend: row.backend,
    config,
    configHash: row.config_hash,
    createdAt: row.created_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    heartbeatAt: row.heartbeat_at,
    pid: row.pid,
    host: row.host,
    // A failure recorded only as the reason (older stores) still explains the failure.
    error: row.error ?? (status === 'failed' || status === 'crashed' ? row.reason : null),
    reason: row.reason,
    environment: row.environment ? (JSON.parse(row.environment) as RunEnvironment) : null,
    notes: row.notes,
    tags,
    lastStep: row.last_step,
    dataset: row.dataset,
    model: row.model,
    regulariser: row.regulariser,
    beta: regulariserBeta(config),
    headline,
    progress: null,
  };
}

export function runNotFound(runId: string): StoreError {
  return new StoreError(
    'not-found',
    `There is no run with id "${runId}" in the store.`,
    'List the runs (listRuns / `spectral-lab export --list`) to see the ids that exist.',
  );
}

export async function loadRunRow(db: SqliteDb, runId: string): Promise<RunRow> {
  if (typeof runId !== 'string') throw runNotFound(String(runId));
  const row = await db.get<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`, [runId]);
  if (!row) throw runNotFound(runId);
  return row;
}

/** Rows of several runs, in the order asked; unknown ids are an error naming them. */
export async function loadRunRows(db: SqliteDb, runIds: readonly string[]): Promise<RunRow[]> {
  if (!Array.isArray(runIds) || runIds.length === 0) {
    throw new StoreError('invalid-input', 'No run ids were given.', 'Pass at least one run id.');
  }
  const rows = await db.all<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE id IN (SELECT value FROM json_each(?))`, [
    JSON.stringify(runIds),
  ]);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const missing = runIds.filter((id) => !byId.has(id));
  if (missing.length > 0) {
    throw new StoreError(
      'not-found',
      `No run with id ${missing.map((m) => `"${m}"`).join(', ')} in the store.`,
      'List the runs to see the ids that exist (a run may have been deleted).',
    );
  }
  return runIds.map((id) => byId.get(id) as RunRow);
}

export async function tagsOf(db: SqliteDb, rids: readonly number[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>(rids.map((r) => [r, []]));
  if (rids.length === 0) return out;
  const rows = await db.all<{ rid: number; tag: string }>(
    'SELECT rid, tag FROM tags WHERE rid IN (SELECT value FROM json_each(?)) ORDER BY tag',
    [JSON.stringify(rids)],
  );
  for (const r of rows) out.get(r.rid)?.push(r.tag);
  return out;
}

/** Last value and step of the named series of each run (one query for all the runs). */
async function lastPoints(
  db: SqliteDb,
  rids: readonly number[],
  names: readonly string[],
): Promise<Map<number, { name: string; step: number; value: number | null }[]>> {
  const out = new Map<number, { name: string; step: number; value: number | null }[]>();
  const rows = await db.all<{ rid: number; name: string; step: number; value: number | null }>(
    `SELECT s.rid, s.name, p.step, p.value FROM series s
     JOIN points p ON p.series_id = s.id AND p.step = (SELECT max(step) FROM points WHERE series_id = s.id)
     WHERE s.rid IN (SELECT value FROM json_each(?1)) AND s.name IN (SELECT value FROM json_each(?2))`,
    [JSON.stringify(rids), JSON.stringify(names)],
  );
  for (const r of rows) out.set(r.rid, [...(out.get(r.rid) ?? []), r]);
  return out;
}

/** Test accuracy names, preferred first: only evaluation series (a training batch's accuracy is not a result). */
const TEST_ACCURACY = ['eval/test_acc', 'test/accuracy', 'eval/accuracy'];

/** What the runs list shows of each run, from its evaluations only. */
export async function headlinesOf(db: SqliteDb, rids: readonly number[]): Promise<Map<number, RunHeadline>> {
  const out = new Map<number, RunHeadline>();
  if (rids.length === 0) return out;
  const last = await lastPoints(db, rids, [...TEST_ACCURACY, 'eval/lipschitz']);
  const cert = await db.all<{ rid: number; eps: number; accuracy: number }>(
    `SELECT c.rid, c.eps, c.accuracy FROM cert c
     WHERE c.rid IN (SELECT value FROM json_each(?)) AND c.eps > 0 AND c.step = (SELECT max(step) FROM cert WHERE rid = c.rid)
     ORDER BY c.rid, c.eps`,
    [JSON.stringify(rids)],
  );
  for (const rid of rids) {
    const pts = last.get(rid) ?? [];
    const acc = TEST_ACCURACY.map((n) => pts.find((p) => p.name === n)).find((p) => p !== undefined);
    const smallest = cert.find((c) => c.rid === rid);
    out.set(rid, {
      testAccuracy: acc?.value ?? null,
      evalStep: acc?.step ?? null,
      certified: smallest ? { eps: smallest.eps, accuracy: smallest.accuracy } : null,
      lipschitz: pts.find((p) => p.name === 'eval/lipschitz')?.value ?? null,
    });
  }
  return out;
}

export async function recordsOf(db: SqliteDb, rows: RunRow[]): Promise<RunRecord[]> {
  const rids = rows.map((r) => r.rid);
  const [tags, headlines] = await Promise.all([tagsOf(db, rids), headlinesOf(db, rids)]);
  return rows.map((r) => toRecord(r, tags.get(r.rid) ?? [], headlines.get(r.rid)));
}
