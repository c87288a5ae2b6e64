/**
 * The persistent run queue and sweeps (schema v8, migration-8.ts). Queued runs wait in `run_queue` in
 * position order until a process claims one; claiming deletes the row in one transaction, so two
 * processes never take the same run. A run that crashes is never restarted in place: a retry is a new
 * run (same config, tags and sweep point, attempt + 1) queued at the end.
 */
import type { JsonObject, JsonValue } from '../../shared/api.js';
import type { RunStatus } from '../../shared/records.js';
import type { QueueEntry, QueueTarget, SweepInfo, SweepRunInfo } from '../../shared/sweep.js';
import { StoreError } from './errors.js';
import { loadRunRow } from './run-rows.js';
import type { SqliteDb } from './sqlite.js';

const ACTIVE: readonly string[] = ['queued', 'running', 'paused'];
const RETRYABLE: readonly RunStatus[] = ['crashed', 'failed', 'cancelled'];

export interface SweepRunInput {
  runId: string;
  item: number;
  assignment: Record<string, JsonValue>;
}

function checkTarget(target: unknown): QueueTarget {
  if (target !== 'local' && target !== 'redis')
    throw new StoreError(
      'invalid-input',
      `Queue target ${JSON.stringify(target)} is unknown.`,
      "Use 'local' or 'redis'.",
    );
  return target;
}

/** Record a sweep and queue its runs (already created 'queued') in expansion order, in one transaction. */
export async function recordSweep(
  wdb: SqliteDb,
  sweep: { id: string; name: string; spec: JsonObject; keys: string[] },
  runs: SweepRunInput[],
  target: QueueTarget,
): Promise<void> {
  checkTarget(target);
  await wdb.transaction(async () => {
    await wdb.run('INSERT INTO sweeps (id, name, spec, keys, created_at) VALUES (?, ?, ?, ?, ?)', [
      sweep.id,
      sweep.name,
      JSON.stringify(sweep.spec),
      JSON.stringify(sweep.keys),
      Date.now(),
    ]);
    for (const r of runs) {
      const { rid } = await loadRunRow(wdb, r.runId);
      await wdb.run('INSERT INTO sweep_runs (rid, sweep_id, item, attempt, assignment) VALUES (?, ?, ?, 1, ?)', [
        rid,
        sweep.id,
        r.item,
        JSON.stringify(r.assignment),
      ]);
      await appendRow(wdb, rid, target);
    }
  });
}

async function appendRow(wdb: SqliteDb, rid: number, target: QueueTarget): Promise<void> {
  // Rows of runs that started or ended by another way (the app's own queue, a cancel) are tidied here.
  await wdb.run(
    "DELETE FROM run_queue WHERE rid IN (SELECT q.rid FROM run_queue q JOIN runs r ON r.rid = q.rid WHERE r.status != 'queued')",
  );
  const last = await wdb.get<{ p: number | null }>('SELECT max(position) AS p FROM run_queue WHERE target = ?', [
    target,
  ]);
  await wdb.run('INSERT INTO run_queue (rid, position, target, enqueued_at) VALUES (?, ?, ?, ?)', [
    rid,
    (last?.p ?? 0) + 1,
    target,
    Date.now(),
  ]);
}

/** Put a queued run at the end of the queue of `target` (a run already waiting is moved to that target's end). */
export async function enqueue(wdb: SqliteDb, runId: string, target: QueueTarget): Promise<void> {
  checkTarget(target);
  await wdb.transaction(async () => {
    const row = await loadRunRow(wdb, runId);
    if (row.status !== 'queued')
      throw new StoreError(
        'conflict',
        `Run ${runId} is '${row.status}'; only a queued run can wait in the queue.`,
        'Retry it instead (spectral-lab queue retry <run>): that queues a new attempt.',
      );
    await wdb.run('DELETE FROM run_queue WHERE rid = ?', [row.rid]);
    await appendRow(wdb, row.rid, target);
  });
}

/**
 * Take the first waiting run of `target` out of the queue (or the given run, if it is waiting). Returns
 * its id, or null when nothing waits. Rows of runs that stopped being 'queued' meanwhile are dropped.
 */
export async function claim(wdb: SqliteDb, target: QueueTarget, runId?: string): Promise<string | null> {
  checkTarget(target);
  return wdb.transaction(async () => {
    for (;;) {
      const row = await wdb.get<{ rid: number; id: string; status: string }>(
        `SELECT q.rid, r.id, r.status FROM run_queue q JOIN runs r ON r.rid = q.rid
         WHERE q.target = ? ${runId === undefined ? '' : 'AND r.id = ?'} ORDER BY q.position LIMIT 1`,
        runId === undefined ? [target] : [target, runId],
      );
      if (!row) return null;
      await wdb.run('DELETE FROM run_queue WHERE rid = ?', [row.rid]);
      if (row.status === 'queued') return row.id;
    }
  });
}

/** Take a run out of the queue without starting it (cancel). False when it was not waiting. */
export async function withdraw(wdb: SqliteDb, runId: string): Promise<boolean> {
  return wdb.transaction(async () => {
    const row = await loadRunRow(wdb, runId);
    return (await wdb.run('DELETE FROM run_queue WHERE rid = ?', [row.rid])).changes > 0;
  });
}

/** Move a waiting run to 1-based `position` among the runs of its target (clamped to the queue's length). */
export async function moveTo(wdb: SqliteDb, runId: string, position: number): Promise<number> {
  if (!Number.isInteger(position) || position < 1)
    throw new StoreError(
      'invalid-input',
      `Queue position ${position} is not a positive integer.`,
      'Pass 1 for the front of the queue.',
    );
  return wdb.transaction(async () => {
    const row = await loadRunRow(wdb, runId);
    const me = await wdb.get<{ target: string }>('SELECT target FROM run_queue WHERE rid = ?', [row.rid]);
    if (!me || row.status !== 'queued')
      throw new StoreError(
        'conflict',
        `Run ${runId} is not waiting in the queue (it is '${row.status}').`,
        'List the waiting runs with: spectral-lab queue list',
      );
    const order = (
      await wdb.all<{ rid: number }>(
        "SELECT q.rid FROM run_queue q JOIN runs r ON r.rid = q.rid WHERE q.target = ? AND r.status = 'queued' ORDER BY q.position",
        [me.target],
      )
    )
      .map((r) => r.rid)
      .filter((r) => r !== row.rid);
    const at = Math.min(position, order.length + 1);
    order.splice(at - 1, 0, row.rid);
    for (let i = 0; i < order.length; i++)
      await wdb.run('UPDATE run_queue SET position = ? WHERE rid = ?', [i + 1, order[i]]);
    return at;
  });
}

/** The sweep point of a run, if it belongs to a sweep. */
export async function sweepPointOf(
  db: SqliteDb,
  runId: string,
): Promise<{ sweepId: string; item: number; attempt: number; assignment: string } | null> {
  const row = await loadRunRow(db, runId);
  const p = await db.get<{ sweep_id: string; item: number; attempt: number; assignment: string }>(
    'SELECT sweep_id, item, attempt, assignment FROM sweep_runs WHERE rid = ?',
    [row.rid],
  );
  return p ? { sweepId: p.sweep_id, item: p.item, attempt: p.attempt, assignment: p.assignment } : null;
}

/** Check that a run may be retried: it ended without completing, and (in a sweep) it is its point's latest attempt. */
export async function checkRetryable(db: SqliteDb, runId: string): Promise<void> {
  const row = await loadRunRow(db, runId);
  if (!RETRYABLE.includes(row.status)) {
    throw new StoreError(
      'conflict',
      `Run ${runId} is '${row.status}'; only crashed, failed or cancelled runs can be retried.`,
      row.status === 'queued'
        ? 'It is still waiting: move it with spectral-lab queue move.'
        : 'Start a new run from its config instead.',
    );
  }
  const point = await sweepPointOf(db, runId);
  if (!point) return;
  const later = await db.get<{ id: string }>(
    'SELECT r.id FROM sweep_runs s JOIN runs r ON r.rid = s.rid WHERE s.sweep_id = ? AND s.item = ? AND s.attempt > ? ORDER BY s.attempt DESC LIMIT 1',
    [point.sweepId, point.item, point.attempt],
  );
  if (later)
    throw new StoreError(
      'conflict',
      `Run ${runId} was already retried as run ${later.id}.`,
      `Retry ${later.id} instead if it ended too.`,
    );
}

/** Link the new run of a retry to the sweep point of the old one (attempt + 1) and queue it. */
export async function recordRetry(
  wdb: SqliteDb,
  oldRunId: string,
  newRunId: string,
  target: QueueTarget,
): Promise<void> {
  checkTarget(target);
  const point = await sweepPointOf(wdb, oldRunId);
  await wdb.transaction(async () => {
    const { rid } = await loadRunRow(wdb, newRunId);
    if (point) {
      await wdb.run('INSERT INTO sweep_runs (rid, sweep_id, item, attempt, assignment) VALUES (?, ?, ?, ?, ?)', [
        rid,
        point.sweepId,
        point.item,
        point.attempt + 1,
        point.assignment,
      ]);
    }
    await appendRow(wdb, rid, target);
  });
}

export async function listQueue(db: SqliteDb, target?: QueueTarget): Promise<QueueEntry[]> {
  const rows = await db.all<{
    id: string;
    name: string;
    target: QueueTarget;
    sweep_id: string | null;
    attempt: number | null;
    enqueued_at: number;
  }>(
    `SELECT r.id, r.name, q.target, s.sweep_id, s.attempt, q.enqueued_at FROM run_queue q JOIN runs r ON r.rid = q.rid
     LEFT JOIN sweep_runs s ON s.rid = q.rid WHERE r.status = 'queued' ${target ? 'AND q.target = ?' : ''} ORDER BY q.target, q.position`,
    target ? [checkTarget(target)] : [],
  );
  const seen: Record<string, number> = {};
  return rows.map((r) => ({
    runId: r.id,
    name: r.name,
    position: (seen[r.target] = (seen[r.target] ?? 0) + 1),
    target: r.target,
    sweepId: r.sweep_id,
    attempt: r.attempt ?? 1,
    enqueuedAt: r.enqueued_at,
  }));
}

const LATEST_ATTEMPTS = `SELECT s.rid, s.item, s.attempt, s.assignment FROM sweep_runs s
  WHERE s.sweep_id = ? AND s.attempt = (SELECT max(attempt) FROM sweep_runs t WHERE t.sweep_id = s.sweep_id AND t.item = s.item)`;

/** Every run of a sweep (all attempts unless latestOnly), in point order. */
export async function sweepRuns(db: SqliteDb, sweepId: string, latestOnly = false): Promise<SweepRunInfo[]> {
  const sql = latestOnly
    ? LATEST_ATTEMPTS
    : 'SELECT rid, item, attempt, assignment FROM sweep_runs s WHERE s.sweep_id = ?';
  const rows = await db.all<{
    id: string;
    name: string;
    status: string;
    item: number;
    attempt: number;
    assignment: string;
  }>(
    `SELECT r.id, r.name, r.status, p.item, p.attempt, p.assignment FROM (${sql}) p JOIN runs r ON r.rid = p.rid ORDER BY p.item, p.attempt`,
    [sweepId],
  );
  return rows.map((r) => ({
    runId: r.id,
    name: r.name,
    status: r.status,
    item: r.item,
    attempt: r.attempt,
    assignment: JSON.parse(r.assignment) as Record<string, JsonValue>,
  }));
}

/** A sweep by id, or the newest sweep of that name. */
export async function getSweep(db: SqliteDb, idOrName: string): Promise<SweepInfo> {
  const row = await db.get<{ id: string; name: string; keys: string; created_at: number }>(
    'SELECT id, name, keys, created_at FROM sweeps WHERE id = ? OR name = ? ORDER BY (id = ?) DESC, created_at DESC LIMIT 1',
    [idOrName, idOrName, idOrName],
  );
  if (!row)
    throw new StoreError(
      'not-found',
      `No sweep with id or name "${idOrName}".`,
      'List the sweeps with: spectral-lab sweep --list',
    );
  const latest = await sweepRuns(db, row.id, true);
  const counts: Record<string, number> = {};
  for (const r of latest) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return {
    id: row.id,
    name: row.name,
    keys: JSON.parse(row.keys) as string[],
    createdAt: row.created_at,
    items: latest.length,
    counts,
    done: latest.every((r) => !ACTIVE.includes(r.status)),
  };
}

export async function listSweeps(db: SqliteDb): Promise<SweepInfo[]> {
  const ids = await db.all<{ id: string }>('SELECT id FROM sweeps ORDER BY created_at DESC');
  const out: SweepInfo[] = [];
  for (const { id } of ids) out.push(await getSweep(db, id));
  return out;
}
