/**
 * Rewinding a run to a checkpoint before resuming it: everything recorded after the checkpoint's step
 * (points, certified accuracy, spectra, bound details, later checkpoints) is removed in one transaction,
 * so the resumed steps are recorded afresh instead of mixing with those of the interrupted attempt.
 */
import type { BatchWriter } from './batch.js';
import { rebuildRollup } from './rollup.js';
import { loadRunRow } from './run-rows.js';
import type { SqliteDb } from './sqlite.js';

export async function rewindRun(db: SqliteDb, batch: BatchWriter, runId: string, step: number): Promise<void> {
  await db.transaction(async () => {
    const row = await loadRunRow(db, runId);
    const series = await db.all<{ id: number; last: number }>(
      'SELECT s.id, max(p.step) AS last FROM series s JOIN points p ON p.series_id = s.id WHERE s.rid = ? GROUP BY s.id HAVING max(p.step) > ?',
      [row.rid, step],
    );
    for (const s of series) {
      await db.run('DELETE FROM points WHERE series_id = ? AND step > ?', [s.id, step]);
      // The blocks that held the removed steps are recomputed from the points that remain.
      await rebuildRollup(db, s.id, step + 1, s.last);
    }
    for (const table of ['cert', 'spectra', 'bound_details', 'checkpoints']) {
      await db.run(`DELETE FROM ${table} WHERE rid = ? AND step > ?`, [row.rid, step]);
    }
    await db.run('UPDATE runs SET last_step = ? WHERE rid = ?', [step, row.rid]);
    batch.forgetSeries(row.rid);
  });
}
