/** The runs table row and its mapping to RunRecord (JSON columns parsed, tags attached). */
import type { JsonObject } from '../../shared/api.js';
import type { RunEnvironment, RunRecord, RunStatus } from '../../shared/records.js';
import { StoreError } from './errors.js';
import type { SqliteDb } from './sqlite.js';

export const RUN_COLUMNS =
  'rid, id, name, status, backend, config, config_hash, created_at, started_at, ended_at, heartbeat_at, pid, host, ' +
  'error, reason, environment, notes, dataset, model, regulariser, last_step';

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
}

export function toRecord(row: RunRow, tags: string[]): RunRecord {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    backend: row.backend,
    config: JSON.parse(row.config) as JsonObject,
    configHash: row.config_hash,
    createdAt: row.created_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    heartbeatAt: row.heartbeat_at,
    pid: row.pid,
    host: row.host,
    error: row.error,
    reason: row.reason,
    environment: row.environment ? (JSON.parse(row.environment) as RunEnvironment) : null,
    notes: row.notes,
    tags,
    lastStep: row.last_step,
    dataset: row.dataset,
    model: row.model,
    regulariser: row.regulariser,
  };
}

export function runNotFound(runId: string): StoreError {
  return new StoreError('not-found', `There is no run with id "${runId}" in the store.`, 'List the runs (listRuns / `spectral-lab export --list`) to see the ids that exist.');
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
  const rows = await db.all<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE id IN (SELECT value FROM json_each(?))`, [JSON.stringify(runIds)]);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const missing = runIds.filter((id) => !byId.has(id));
  if (missing.length > 0) {
    throw new StoreError('not-found', `No run with id ${missing.map((m) => `"${m}"`).join(', ')} in the store.`, 'List the runs to see the ids that exist (a run may have been deleted).');
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

export async function recordsOf(db: SqliteDb, rows: RunRow[]): Promise<RunRecord[]> {
  const tags = await tagsOf(db, rows.map((r) => r.rid));
  return rows.map((r) => toRecord(r, tags.get(r.rid) ?? []));
}
