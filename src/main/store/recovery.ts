/**
 * Runs whose owning process is gone: a run left 'running' or 'paused' becomes 'crashed' (everything it
 * recorded stays); a run left 'queued' becomes 'cancelled' (it never started; start it again from
 * the Runs view). Gone = on this host, its pid no longer runs or now belongs to another program
 * (process identity, process-identity.ts); on another host, or without an identity, its heartbeat
 * is older than the threshold. Many processes share a store, so this runs at every open and
 * periodically in the app (external-runs watch), and never touches runs of live processes.
 */
import os from 'node:os';
import { ownerState } from './process-identity.js';
import type { SqliteDb } from './sqlite.js';

export interface RecoveredRun {
  id: string;
  pid: number | null;
  host: string | null;
  lastHeartbeat: number | null;
  /** 'crashed' for a run that had started, 'cancelled' for one still queued. */
  status: 'crashed' | 'cancelled';
}

interface OwnerRow {
  rid: number;
  id: string;
  status: string;
  pid: number | null;
  host: string | null;
  owner: string | null;
  heartbeat_at: number | null;
  started_at: number | null;
  created_at: number;
}

type OwnerSigns = Omit<OwnerRow, 'rid' | 'id' | 'status' | 'owner'> & { status?: string; owner?: string | null };

export function isOwnerGone(row: OwnerSigns, staleAfterMs: number, now = Date.now()): boolean {
  if (row.host === os.hostname() && row.pid !== null) {
    const state = ownerState(row.pid, row.owner ?? null);
    if (state !== 'alive') return true;
    // A recorded identity that still matches is proof of life, whatever the heartbeat says (a paused run has none).
    if (row.owner) return false;
  }
  // Queued runs without an owner come from versions that did not record one: nobody will start them.
  if (row.status === 'queued') return row.pid === null;
  const lastSign = row.heartbeat_at ?? row.started_at ?? row.created_at;
  return now - lastSign > staleAfterMs;
}

// A queued run waiting in the persistent queue (run_queue, migration-8.ts) outlives the process that queued it.
const SELECT_ACTIVE = `SELECT rid, id, status, pid, host, owner, heartbeat_at, started_at, created_at FROM runs
  WHERE status IN ('running', 'paused', 'queued') AND NOT (status = 'queued' AND rid IN (SELECT rid FROM run_queue))`;

export async function recoverCrashedRuns(wdb: SqliteDb, staleAfterMs: number): Promise<RecoveredRun[]> {
  // Look first without the write lock: with many processes on one store, most opens find nothing to do.
  if (!(await wdb.all<OwnerRow>(SELECT_ACTIVE)).some((r) => isOwnerGone(r, staleAfterMs))) return [];
  return wdb.transaction(async () => {
    const out: RecoveredRun[] = [];
    for (const r of await wdb.all<OwnerRow>(SELECT_ACTIVE)) {
      if (!isOwnerGone(r, staleAfterMs)) continue;
      const who = `The process that ${r.status === 'queued' ? 'queued' : 'ran'} it (pid ${r.pid ?? '?'} on ${r.host ?? 'an unknown host'})`;
      if (r.status === 'queued') {
        const reason = `${who} stopped before starting it. Start it again with "New experiment from this run" or the same config.`;
        await wdb.run("UPDATE runs SET status = 'cancelled', ended_at = ?, reason = ? WHERE rid = ?", [
          Date.now(),
          reason,
          r.rid,
        ]);
        out.push({ id: r.id, pid: r.pid, host: r.host, lastHeartbeat: r.heartbeat_at, status: 'cancelled' });
        continue;
      }
      const last = r.heartbeat_at ?? r.started_at ?? r.created_at;
      const reason = `${who} stopped without finishing the run; last sign of life ${new Date(last).toISOString()}. Everything recorded until then is kept.`;
      await wdb.run("UPDATE runs SET status = 'crashed', ended_at = ?, reason = ? WHERE rid = ?", [
        last,
        reason,
        r.rid,
      ]);
      out.push({ id: r.id, pid: r.pid, host: r.host, lastHeartbeat: r.heartbeat_at, status: 'crashed' });
    }
    return out;
  });
}
