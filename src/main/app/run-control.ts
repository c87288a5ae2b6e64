/**
 * Starting and steering runs: start (now or queued), adopt a run queued in the store, pause, resume,
 * cancel. Runs other processes train into the same store are reached through `opts.external`.
 */
import {
  FINAL_RUN_STATUSES,
  LabError,
  type RunControlResult,
  type StartRunOptions,
  type StartRunResult,
} from '../../shared/api.js';
import { safeParseRunConfig } from '../../shared/config.js';
import type { LiveRun, LiveRuns } from './live-runs.js';

export async function startRun(
  runs: LiveRuns,
  config: Record<string, unknown>,
  options: StartRunOptions,
): Promise<StartRunResult> {
  runs.assertOpen();
  const r = safeParseRunConfig(config);
  if (!r.success) {
    throw new LabError(
      'invalid-config',
      r.error.message,
      'Fix the fields listed (details has one entry per field) and start again.',
      r.error.issues,
    );
  }
  const queue = options.queue === true;
  if (!queue) runs.queue.assertCanStartNow();
  const name = options.name ?? r.data.name;
  const runId = await runs.opts.store.createRun({
    name,
    config: r.data,
    tags: options.tags ?? [],
    notes: options.notes,
    status: 'queued',
  });
  runs.add(runId, r.data, 'queued');
  runs.emit({ kind: 'run-status', runId, at: Date.now(), status: 'queued', previous: null, message: null });
  // A queued run is kept in the store's queue too, so it survives a restart of the app.
  if (queue) await runs.opts.sweeps?.enqueue(runId);
  try {
    const placed = runs.queue.submit(runId, queue);
    return { runId, ...placed };
  } catch (err) {
    // Lost a race for the last slot between the check and the submit: leave no half-started run.
    await runs.finalize(runId, 'cancelled', 'not started: no free slot');
    throw err;
  }
}

/** A run recorded 'queued' in the store (a sweep's, or one waiting since before a restart) joins the run queue. */
export async function adoptQueuedRun(runs: LiveRuns, runId: string): Promise<StartRunResult> {
  const stored = await runs.requireRun(runId);
  const r = safeParseRunConfig(stored.config);
  if (stored.status !== 'queued' || !r.success) {
    throw new LabError(
      'conflict',
      `Run ${runId} is ${stored.status}${r.success ? '' : ' and its config no longer validates'}; only a valid queued run can start.`,
      'Start a new run from its config in New experiment.',
    );
  }
  runs.add(runId, r.data, 'queued');
  runs.emit({ kind: 'run-status', runId, at: Date.now(), status: 'queued', previous: null, message: null });
  return { runId, ...runs.queue.submit(runId, true) };
}

export async function pauseRun(runs: LiveRuns, runId: string): Promise<RunControlResult> {
  const elsewhere = await controlElsewhere(runs, runId, 'pause');
  if (elsewhere) return elsewhere;
  const run = await activeRun(runs, runId, 'pause');
  if (run.status === 'paused') return { runId, status: 'paused' };
  run.handle?.pause();
  return { runId, status: await runs.waitForStatus(runId, ['paused', ...FINAL_RUN_STATUSES]) };
}

export async function resumeRun(runs: LiveRuns, runId: string): Promise<RunControlResult> {
  const elsewhere = await controlElsewhere(runs, runId, 'resume');
  if (elsewhere) return elsewhere;
  const run = await activeRun(runs, runId, 'resume');
  if (run.status === 'running') return { runId, status: 'running' };
  run.handle?.resume();
  return { runId, status: await runs.waitForStatus(runId, ['running', ...FINAL_RUN_STATUSES]) };
}

export async function cancelRun(runs: LiveRuns, runId: string): Promise<RunControlResult> {
  const run = runs.get(runId);
  if (run && runs.queue.withdraw(runId)) {
    await runs.finalize(runId, 'cancelled', 'cancelled while queued');
    return { runId, status: 'cancelled' };
  }
  if (!run) return cancelNotLive(runs, runId);
  run.handle?.cancel('cancelled by the user');
  return { runId, status: await runs.waitForStatus(runId, FINAL_RUN_STATUSES) };
}

/** Cancel a run this lab is not running: another process's, or one waiting in the store's queue. */
async function cancelNotLive(runs: LiveRuns, runId: string): Promise<RunControlResult> {
  const stored = await runs.requireRun(runId);
  if (stored.status === 'cancelled') return { runId, status: 'cancelled' };
  const elsewhere = await controlElsewhere(runs, runId, 'cancel');
  if (elsewhere) return elsewhere;
  // Waiting in the store's queue for Redis workers (sweep --redis): taken out of it.
  if (stored.status === 'queued' && (await runs.opts.sweeps?.cancelQueued(runId)))
    return { runId, status: 'cancelled' };
  if (stored.status === 'queued' || stored.status === 'running' || stored.status === 'paused') {
    // Another process (another app, serve, or a script) owns it, and not through a run lock this one can reach.
    const owner = `process ${stored.pid ?? '?'}${stored.host ? ` on ${stored.host}` : ''}`;
    throw new LabError(
      'conflict',
      `Run ${runId} is ${stored.status} in another ${owner}.`,
      'Cancel it where it runs; if that process is gone, the run is marked cancelled or crashed within a few seconds.',
    );
  }
  throw new LabError(
    'conflict',
    `Run ${runId} is ${stored.status}; only running, paused or queued runs can be cancelled.`,
    'Nothing to do: the run has already ended.',
  );
}

/** A run another process trains into this store (`train --store`, a script): asked through the store. */
async function controlElsewhere(
  runs: LiveRuns,
  runId: string,
  action: 'pause' | 'resume' | 'cancel',
): Promise<RunControlResult | null> {
  if (runs.get(runId) || !runs.opts.external) return null;
  const status = await runs.opts.external.control(runId, action);
  return status === null ? null : { runId, status };
}

async function activeRun(runs: LiveRuns, runId: string, verb: string): Promise<LiveRun> {
  const run = runs.get(runId);
  if (run?.handle && !FINAL_RUN_STATUSES.includes(run.status)) return run;
  const status = run?.status ?? (await runs.requireRun(runId)).status;
  const hint =
    status === 'queued'
      ? 'It has not started yet; cancel it or wait until it runs.'
      : 'Only an active run can be paused or resumed.';
  throw new LabError('conflict', `Cannot ${verb} run ${runId}: it is ${status}.`, hint);
}
