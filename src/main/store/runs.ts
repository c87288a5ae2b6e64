/**
 * Creating runs and changing them: status transitions, tags, notes, deletion. Every change is one
 * transaction on the write connection; a refused change writes nothing.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import type { JsonObject } from '../../shared/api.js';
import { canonicalJson, isJsonObject, jsonProblem } from '../../shared/canonical-json.js';
import {
  canTransition,
  RESUMABLE_RUN_STATUSES,
  RUN_TRANSITIONS,
  type CreateRunInput,
  type StatusChange,
} from '../../shared/records.js';
import type { BatchWriter } from './batch.js';
import { collectEnvironment } from './environment.js';
import { StoreError } from './errors.js';
import type { FacetExtractor } from './facets.js';
import { processIdentity } from './process-identity.js';
import { loadRunRow, statusOfRow, type RunRow } from './run-rows.js';
import type { SqliteDb } from './sqlite.js';

export type ConfigValidator = (config: unknown) => { ok: true; value: unknown } | { ok: false; error: string };

export interface WriteContext {
  wdb: SqliteDb;
  batch: BatchWriter;
  validateConfig: ConfigValidator | null;
  facets: FacetExtractor;
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Time-sortable and readable: 20250131-142501-3fa9c2. */
export function newRunId(at = new Date()): string {
  const t = at.toISOString();
  return `${t.slice(0, 10).replace(/-/g, '')}-${t.slice(11, 19).replace(/:/g, '')}-${crypto.randomBytes(3).toString('hex')}`;
}

export function configHash(config: JsonObject): string {
  return crypto.createHash('sha256').update(canonicalJson(config)).digest('hex');
}

function invalid(problem: string, hint: string): StoreError {
  return new StoreError('invalid-input', problem, hint);
}

export function checkTag(tag: unknown): string {
  const t = typeof tag === 'string' ? tag.trim() : '';
  if (t.length === 0 || t.length > 64) {
    throw invalid(
      `Tag ${JSON.stringify(tag)} must be a non-empty string of at most 64 characters.`,
      'Use short labels like "baseline" or "paper-fig2".',
    );
  }
  return t;
}

/** Validate the config (injected validator first, then plain-JSON check) before anything is written. */
export function acceptConfig(ctx: Pick<WriteContext, 'validateConfig'>, config: unknown): JsonObject {
  let value = config;
  if (ctx.validateConfig) {
    const r = ctx.validateConfig(config);
    if (!r.ok) {
      throw new StoreError(
        'invalid-config',
        `The run config was refused: ${r.error}`,
        'Fix the fields listed above and start the run again; nothing was written to the store.',
        { details: r.error },
      );
    }
    value = r.value;
  }
  if (!isJsonObject(value)) {
    throw new StoreError(
      'invalid-config',
      `The run config must be a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}.`,
      'Pass the config as an object ({"dataset": ..., "model": ...}); nothing was written.',
    );
  }
  const problem = jsonProblem(value);
  if (problem) {
    throw new StoreError(
      'invalid-config',
      `The run config is not plain JSON: ${problem}.`,
      'Store only JSON values (finite numbers, strings, booleans, null, arrays, objects); nothing was written.',
    );
  }
  return value;
}

export async function createRun(ctx: WriteContext, input: CreateRunInput): Promise<string> {
  if (!input || typeof input !== 'object')
    throw invalid('createRun needs an object { config, name?, ... }.', 'Pass at least { config }.');
  const config = acceptConfig(ctx, input.config);
  const id = input.id ?? newRunId();
  if (typeof id !== 'string' || !RUN_ID.test(id)) {
    throw invalid(
      `Run id ${JSON.stringify(id)} is not allowed.`,
      'Use 1-64 characters of letters, digits, ".", "_" or "-", starting with a letter or digit (or leave it out).',
    );
  }
  const name = (input.name ?? (typeof config.name === 'string' ? config.name : 'run')).trim() || 'run';
  if (name.length > 200) throw invalid(`Run name is ${name.length} characters long.`, 'Use at most 200 characters.');
  const tags = [...new Set((input.tags ?? []).map(checkTag))];
  const status = input.status ?? 'queued';
  if (status !== 'queued' && status !== 'running') {
    throw invalid(
      `A new run cannot start as '${String(status)}'.`,
      "Create it 'queued' or 'running', then change its status.",
    );
  }
  const notes = typeof input.notes === 'string' ? input.notes : '';
  const backend = input.backend ?? null;
  const environment = collectEnvironment({
    ...input.environment,
    tfjsBackend: input.environment?.tfjsBackend ?? backend,
  });
  const facets = ctx.facets(config);
  const now = Date.now();
  const running = status === 'running';

  await ctx.wdb.transaction(async () => {
    const clash = await ctx.wdb.get<{ rid: number }>('SELECT rid FROM runs WHERE id = ?', [id]);
    if (clash)
      throw new StoreError(
        'conflict',
        `A run with id "${id}" already exists.`,
        'Choose another id or leave it out to get a generated one.',
      );
    const { lastID } = await ctx.wdb.run(
      `INSERT INTO runs (id, name, status, backend, config, config_hash, created_at, started_at, heartbeat_at, pid, host, owner,
                         environment, notes, dataset, model, regulariser)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        // The owner is recorded for queued runs too: recovery cancels those of a process that is gone.
        id,
        name,
        status,
        backend,
        JSON.stringify(config),
        configHash(config),
        now,
        running ? now : null,
        running ? now : null,
        process.pid,
        os.hostname(),
        processIdentity(),
        JSON.stringify(environment),
        notes,
        facets.dataset,
        facets.model,
        facets.regulariser,
      ],
    );
    for (const tag of tags) await ctx.wdb.run('INSERT INTO tags (rid, tag) VALUES (?, ?)', [lastID, tag]);
  });
  return id;
}

export async function setStatus(ctx: WriteContext, runId: string, change: StatusChange): Promise<void> {
  await ctx.wdb.transaction(async () => {
    const row = await loadRunRow(ctx.wdb, runId);
    const to = change.status;
    const from = statusOfRow(row);
    if (!RUN_TRANSITIONS[to] || !canTransition(from, to)) {
      throw new StoreError(
        'conflict',
        `Run ${runId} is '${from}'; it cannot become '${String(to)}'.`,
        RUN_TRANSITIONS[from].length > 0
          ? `Allowed next states: ${RUN_TRANSITIONS[from].join(', ')}.`
          : 'A finished run keeps its state; start a new run instead.',
      );
    }
    const now = Date.now();
    // 'paused' is stored as status 'running' with paused_at set (the status column predates it; run-rows.ts reads both).
    const sets: string[] = ['status = ?', 'paused_at = ?'];
    const params: (string | number | null)[] = [
      to === 'paused' ? 'running' : to,
      to === 'paused' ? (row.paused_at ?? now) : null,
    ];
    if (to === 'running' && RESUMABLE_RUN_STATUSES.includes(from)) {
      // Resumed from a checkpoint: it is no longer ended.
      sets.push('ended_at = NULL', 'error = NULL', 'reason = NULL');
    }
    if (to === 'running') {
      sets.push('started_at = coalesce(started_at, ?)', 'heartbeat_at = ?', 'pid = ?', 'host = ?', 'owner = ?');
      params.push(now, now, process.pid, os.hostname(), processIdentity());
      ctx.batch.setLive(row.rid, true);
    } else if (to !== 'queued' && to !== 'paused' && to !== from) {
      sets.push('ended_at = ?');
      params.push(now);
      ctx.batch.setLive(row.rid, false);
    }
    if (change.backend !== undefined && change.backend !== null) {
      sets.push('backend = ?');
      params.push(change.backend);
    }
    if (change.error !== undefined) {
      sets.push('error = ?');
      params.push(change.error);
    }
    if (change.reason !== undefined) {
      sets.push('reason = ?');
      params.push(change.reason);
    }
    params.push(row.rid);
    await ctx.wdb.run(`UPDATE runs SET ${sets.join(', ')} WHERE rid = ?`, params);
  });
}

export async function updateTags(
  ctx: WriteContext,
  runId: string,
  op: { add?: string[]; remove?: string[]; set?: string[] },
): Promise<void> {
  const add = (op.set ?? op.add ?? []).map(checkTag);
  const remove = (op.remove ?? []).map((t) => String(t).trim());
  await ctx.wdb.transaction(async () => {
    const row = await loadRunRow(ctx.wdb, runId);
    if (op.set) await ctx.wdb.run('DELETE FROM tags WHERE rid = ?', [row.rid]);
    for (const t of remove) await ctx.wdb.run('DELETE FROM tags WHERE rid = ? AND tag = ?', [row.rid, t]);
    for (const t of add) await ctx.wdb.run('INSERT OR IGNORE INTO tags (rid, tag) VALUES (?, ?)', [row.rid, t]);
  });
}

export async function updateRunText(
  ctx: WriteContext,
  runId: string,
  field: 'notes' | 'name',
  text: string,
): Promise<void> {
  if (typeof text !== 'string')
    throw invalid(`The ${field} must be a string, got ${typeof text}.`, `Pass the new ${field} as text.`);
  if (field === 'name' && (text.trim().length === 0 || text.length > 200)) {
    throw invalid('A run name must have 1-200 characters.', 'Pass a short descriptive name.');
  }
  if (text.length > 1_000_000)
    throw invalid(
      `The ${field} are ${text.length} characters long.`,
      'Keep notes under 1,000,000 characters (attach long texts as files).',
    );
  await ctx.wdb.transaction(async () => {
    const row = await loadRunRow(ctx.wdb, runId);
    await ctx.wdb.run(`UPDATE runs SET ${field} = ? WHERE rid = ?`, [field === 'name' ? text.trim() : text, row.rid]);
  });
}

/** Delete a run and everything recorded for it; returns its checkpoint rows (files are the caller's). */
export async function deleteRunRows(
  ctx: WriteContext,
  runId: string,
  staleAfterMs: number,
): Promise<{ row: RunRow; checkpointPaths: string[] }> {
  return ctx.wdb.transaction(async () => {
    const row = await loadRunRow(ctx.wdb, runId);
    if (row.status === 'running' && row.heartbeat_at !== null && Date.now() - row.heartbeat_at < staleAfterMs) {
      throw new StoreError(
        'conflict',
        `Run ${runId} is running (last heartbeat ${Math.round((Date.now() - row.heartbeat_at) / 1000)} s ago).`,
        'Cancel it first, then delete it.',
      );
    }
    ctx.batch.dropRun(row.rid);
    const cps = await ctx.wdb.all<{ path: string }>('SELECT path FROM checkpoints WHERE rid = ?', [row.rid]);
    const series = 'SELECT id FROM series WHERE rid = ?';
    await ctx.wdb.run(`DELETE FROM points WHERE series_id IN (${series})`, [row.rid]);
    await ctx.wdb.run(`DELETE FROM series_rollup WHERE series_id IN (${series})`, [row.rid]);
    // series, cert, spectra, checkpoints and tags go with the run (ON DELETE CASCADE).
    await ctx.wdb.run('DELETE FROM runs WHERE rid = ?', [row.rid]);
    return { row, checkpointPaths: cps.map((c) => c.path) };
  });
}
