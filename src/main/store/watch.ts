/**
 * Reads for watching a store that other processes write to (`train` commands, scripts, another
 * app): which runs are active or changed lately, and the points a run gained since a watermark.
 * The app polls these about once a second and turns them into the events its UI already listens to
 * (app/external-runs.ts). All reads go through the reader connection: they never block a writer.
 */
import type { SqliteDb } from './sqlite.js';

export interface WatchedRun {
  id: string;
  /** The stored status ('paused' is stored as 'running' with paused_at set). */
  status: string;
  paused: boolean;
  lastStep: number;
  pid: number | null;
  host: string | null;
  createdAt: number;
  endedAt: number | null;
}

/** Runs that are queued or running, plus those created or ended at or after `since` (ms). */
export async function watchedRuns(rdb: SqliteDb, since: number): Promise<WatchedRun[]> {
  const cols = await runColumns(rdb);
  const paused = cols.has('paused_at') ? 'paused_at IS NOT NULL' : '0';
  const rows = await rdb.all<{
    id: string;
    status: string;
    paused: number;
    last_step: number;
    pid: number | null;
    host: string | null;
    created_at: number;
    ended_at: number | null;
  }>(
    `SELECT id, status, ${paused} AS paused, last_step, pid, host, created_at, ended_at FROM runs
     WHERE status IN ('queued', 'running') OR created_at >= ?1 OR ended_at >= ?1`,
    [since],
  );
  return rows.map((r) => ({
    id: r.id,
    status: r.status,
    paused: r.paused === 1,
    lastStep: r.last_step,
    pid: r.pid,
    host: r.host,
    createdAt: r.created_at,
    endedAt: r.ended_at,
  }));
}

let columnCache: { db: SqliteDb; cols: Set<string> } | null = null;

async function runColumns(rdb: SqliteDb): Promise<Set<string>> {
  if (columnCache?.db !== rdb) {
    const rows = await rdb.all<{ name: string }>("SELECT name FROM pragma_table_info('runs')");
    columnCache = { db: rdb, cols: new Set(rows.map((r) => r.name)) };
  }
  return columnCache.cols;
}

/** Highest stored step of each scalar series of a run (series id -> step), and of its layer bounds. */
export async function runWatermarks(
  rdb: SqliteDb,
  runId: string,
): Promise<{ series: Map<number, number>; boundStep: number }> {
  const rows = await rdb.all<{ id: number; bound: number; last: number | null }>(
    `SELECT s.id, s.layer IS NOT NULL AS bound, (SELECT max(step) FROM points WHERE series_id = s.id) AS last
     FROM series s WHERE s.rid = (SELECT rid FROM runs WHERE id = ?)`,
    [runId],
  );
  const series = new Map<number, number>();
  let boundStep = -1;
  for (const r of rows) {
    if (r.bound) boundStep = Math.max(boundStep, r.last ?? -1);
    else series.set(r.id, r.last ?? -1);
  }
  return { series, boundStep };
}

export interface NewPoint {
  seriesId: number;
  name: string;
  step: number;
  /** NaN is stored as NULL. */
  value: number;
}

/** Scalar points of a run above each series' watermark (a series not in the map: all its points). */
export async function pointsSince(
  rdb: SqliteDb,
  runId: string,
  watermarks: ReadonlyMap<number, number>,
  limit = 20_000,
): Promise<NewPoint[]> {
  const marks = JSON.stringify(Object.fromEntries(watermarks));
  const rows = await rdb.all<{ sid: number; name: string; step: number; value: number | null }>(
    `SELECT s.id AS sid, s.name, p.step, p.value FROM series s JOIN points p ON p.series_id = s.id
     WHERE s.rid = (SELECT rid FROM runs WHERE id = ?1) AND s.layer IS NULL
       AND p.step > coalesce((SELECT value FROM json_each(?2) WHERE key = CAST(s.id AS TEXT)), -1)
     ORDER BY p.step LIMIT ?3`,
    [runId, marks, limit],
  );
  return rows.map((r) => ({ seriesId: r.sid, name: r.name, step: r.step, value: r.value ?? NaN }));
}
