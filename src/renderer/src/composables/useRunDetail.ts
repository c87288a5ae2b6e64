/** One run's detail and stored log, kept current from pushed events (status, progress, checkpoints, log lines). */
import { ref, shallowRef } from 'vue';
import { lab } from '../lab';
import { FINAL_RUN_STATUSES, type LogLevel, type RunDetail } from '../../../shared/api';
import { toUiError, type UiError } from '../lib/errors';
import { useLabEvents } from './useLabEvents';

export interface LogLine {
  at: number;
  level: LogLevel;
  message: string;
}

const MAX_LOG = 1000;

export function useRunDetail(runId: string) {
  const detail = shallowRef<RunDetail | null>(null);
  const error = shallowRef<UiError | null>(null);
  const log = shallowRef<LogLine[]>([]);
  const lastEventAt = ref<number | null>(null);
  /** Series names seen in events that the detail did not list yet. */
  const liveNames = shallowRef<Set<string>>(new Set());

  async function reload(): Promise<void> {
    error.value = null;
    try {
      const [run, stored] = await Promise.all([lab.getRun(runId), lab.getRunLog(runId)]);
      detail.value = run;
      log.value = stored.entries.map((e) => ({ at: e.at, level: e.level, message: e.message })).slice(-MAX_LOG);
    } catch (err) {
      error.value = toUiError(err, 'Go back to the runs list and pick the run again.');
    }
  }

  useLabEvents((e) => {
    if (!('runId' in e) || e.runId !== runId) return;
    lastEventAt.value = e.at;
    const d = detail.value;
    switch (e.kind) {
      case 'run-status':
        if (d)
          detail.value = {
            ...d,
            status: e.status,
            error: e.message && (e.status === 'failed' || e.status === 'crashed') ? e.message : d.error,
          };
        // Started: its start time; ended: what only the store knows now (resumable checkpoint, error, stored log).
        if ((e.status === 'running' && d && !d.startedAt) || FINAL_RUN_STATUSES.includes(e.status)) void reload();
        if (e.message)
          log.value = [
            ...log.value,
            { at: e.at, level: (e.status === 'failed' ? 'error' : 'info') as LogLevel, message: e.message },
          ].slice(-MAX_LOG);
        break;
      case 'run-started':
        if (d) detail.value = { ...d, backend: e.backend, startedAt: d.startedAt ?? e.at };
        break;
      case 'progress':
        if (d) detail.value = { ...d, progress: e.progress, lastStep: Math.max(d.lastStep, e.progress.step) };
        break;
      case 'checkpoint':
        if (d) detail.value = { ...d, checkpoints: [...d.checkpoints, e.checkpoint] };
        break;
      case 'log':
        log.value = [...log.value, { at: e.at, level: e.level, message: e.message }].slice(-MAX_LOG);
        break;
      case 'metrics': {
        const known = new Set(d?.seriesNames ?? []);
        const fresh = Object.keys(e.values).filter((n) => !known.has(n) && !liveNames.value.has(n));
        if (fresh.length) liveNames.value = new Set([...liveNames.value, ...fresh]);
        break;
      }
      default:
        break;
    }
  });

  return { detail, error, log, lastEventAt, liveNames, reload };
}
