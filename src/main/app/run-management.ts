/**
 * Managing stored runs: delete, tags, notes, the run log, and running a cancelled or crashed run
 * again from its last intact checkpoint.
 */
import {
  ACTIVE_RUN_STATUSES,
  FINAL_RUN_STATUSES,
  RESUMABLE_RUN_STATUSES,
  LabError,
  type DeleteRunResult,
  type RunLog,
  type StartRunResult,
} from '../../shared/api.js';
import { safeParseRunConfig } from '../../shared/config.js';
import type { LiveRuns } from './live-runs.js';

export async function deleteRun(runs: LiveRuns, runId: string): Promise<DeleteRunResult> {
  const run = runs.get(runId);
  const status = run?.status ?? (await runs.requireRun(runId)).status;
  if (run && !FINAL_RUN_STATUSES.includes(status)) {
    throw new LabError(
      'conflict',
      `Run ${runId} is ${status}; a ${status} run cannot be deleted.`,
      'Cancel it first (Cancel on its page, or cancelRun), then delete it.',
    );
  }
  await run?.writes;
  runs.forget(runId);
  const result = await runs.opts.store.deleteRun(runId);
  runs.emit({ kind: 'run-deleted', runId, at: Date.now() });
  return result;
}

export async function setTags(runs: LiveRuns, runId: string, tags: string[]) {
  await runs.requireRun(runId);
  const unique = [...new Set(tags.map((t) => t.trim()).filter(Boolean))];
  return { runId, tags: await runs.opts.store.setTags(runId, unique) };
}

export async function setNotes(runs: LiveRuns, runId: string, notes: string) {
  await runs.requireRun(runId);
  return { runId, notes: await runs.opts.store.setNotes(runId, notes) };
}

export async function getRunLog(runs: LiveRuns, runId: string): Promise<RunLog> {
  await runs.requireRun(runId);
  return { runId, entries: await runs.opts.store.runLog(runId) };
}

/**
 * Run a cancelled or crashed run again from its last intact checkpoint: what it recorded after that
 * step is removed, the weights are loaded, and training continues at the next step under the same id.
 * The optimiser's state (momentum, Adam moments) is not in a checkpoint: it restarts from zero.
 */
export async function resumeFromCheckpoint(runs: LiveRuns, runId: string): Promise<StartRunResult> {
  runs.assertOpen();
  const stored = await runs.requireRun(runId);
  const live = runs.get(runId);
  if (
    (live && !FINAL_RUN_STATUSES.includes(live.status)) ||
    !RESUMABLE_RUN_STATUSES.includes(live?.status ?? stored.status)
  ) {
    const status = live?.status ?? stored.status;
    const hint = ACTIVE_RUN_STATUSES.includes(status)
      ? 'It is still active: pause or cancel it instead.'
      : status === 'queued'
        ? 'It has not started yet.'
        : 'Only cancelled or crashed runs can be resumed; start a new experiment from this run instead.';
    throw new LabError(
      'conflict',
      `Run ${runId} is ${live?.status ?? stored.status}; it cannot be resumed from a checkpoint.`,
      hint,
    );
  }
  const r = safeParseRunConfig(stored.config);
  if (!r.success)
    throw new LabError(
      'invalid-config',
      `The stored config of run ${runId} is no longer valid: ${r.error.message}`,
      'Start a new experiment from this run and fix the fields listed.',
      r.error.issues,
    );
  await live?.writes; // a run that has just ended: its last checkpoint and status are being saved
  const from = await runs.opts.store.lastCheckpoint(runId);
  if (!from) {
    throw new LabError(
      'conflict',
      `Run ${runId} has no intact checkpoint to resume from.`,
      'Start a new experiment from this run (checkpoints.enabled must be on for a run to be resumable).',
    );
  }
  runs.queue.assertCanStartNow();
  await runs.opts.store.rewindRun(runId, from.step);
  await runs.opts.store.appendLog(runId, [
    {
      level: 'info',
      step: from.step,
      message: `resuming from the checkpoint at step ${from.step} (optimiser state restarts)`,
    },
  ]);
  runs.add(runId, r.data, stored.status, from);
  const placed = runs.queue.submit(runId, false);
  await runs.get(runId)?.writes; // 'running' is stored (ended_at, error cleared) before the answer
  return { runId, ...placed };
}
