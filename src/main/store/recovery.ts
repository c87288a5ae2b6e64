/**
 * Runs left 'running' by a process that is gone become 'crashed' when the store opens. Gone = on
 * this host its pid no longer exists, or (any host) its heartbeat is older than the threshold, which
 * also catches a pid reused by an unrelated process. Everything the run recorded stays.
 */
import os from 'node:os';
import { isProcessAlive } from './lock.js';
import type { SqliteDb } from './sqlite.js';

export interface RecoveredRun {
  id: string;
  pid: number | null;
  host: string | null;
  lastHeartbeat: number | null;
}

export function isOwnerGone(
  row: { pid: number | null; host: string | null; heartbeat_at: number | null; started_at: number | null; created_at: number },
  staleAfterMs: number,
  now = Date.now(),
): boolean {
  const lastSign = row.heartbeat_at ?? row.started_at ?? row.created_at;
  if (now - lastSign > staleAfterMs) return true;
  return row.host === os.hostname() && row.pid !== null && !isProcessAlive(row.pid);
}

export async function recoverCrashedRuns(wdb: SqliteDb, staleAfterMs: number): Promise<RecoveredRun[]> {
  return wdb.transaction(async () => {
    const rows = await wdb.all<{
      rid: number;
      id: string;
      pid: number | null;
      host: string | null;
      heartbeat_at: number | null;
      started_at: number | null;
      created_at: number;
    }>("SELECT rid, id, pid, host, heartbeat_at, started_at, created_at FROM runs WHERE status = 'running'");
    const out: RecoveredRun[] = [];
    for (const r of rows) {
      if (!isOwnerGone(r, staleAfterMs)) continue;
      const last = r.heartbeat_at ?? r.started_at ?? r.created_at;
      const reason =
        `The process that ran it (pid ${r.pid ?? '?'} on ${r.host ?? 'an unknown host'}) stopped without finishing the run; ` +
        `last sign of life ${new Date(last).toISOString()}. Everything recorded until then is kept.`;
      await wdb.run("UPDATE runs SET status = 'crashed', ended_at = ?, reason = ? WHERE rid = ?", [last, reason, r.rid]);
      out.push({ id: r.id, pid: r.pid, host: r.host, lastHeartbeat: r.heartbeat_at });
    }
    return out;
  });
}
