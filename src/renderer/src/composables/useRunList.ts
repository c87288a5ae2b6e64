/**
 * Every run, loaded page by page (thousands are fine: the table is virtualised), kept current from
 * pushed events: status, live step and progress, deletions. Each run record carries what the table
 * shows (β and the evaluation headline included), so sorting and filtering need no further calls.
 */
import { ref, shallowRef } from 'vue';
import { lab } from '../lab';
import { FINAL_RUN_STATUSES, type LabEvent, type RunRecord } from '../../../shared/api';
import { toUiError, type UiError } from '../lib/errors';
import { throttle, useLabEvents } from './useLabEvents';

/** The lab returns at most 1000 runs per call. */
const PAGE = 1000;

export function useRunList() {
  const runs = shallowRef<RunRecord[]>([]);
  const total = ref(0);
  const loading = ref(false);
  const error = shallowRef<UiError | null>(null);

  async function reload(): Promise<void> {
    loading.value = true;
    error.value = null;
    try {
      const all: RunRecord[] = [];
      let expected = Infinity;
      while (all.length < expected) {
        const page = await lab.listRuns({ limit: PAGE, offset: all.length });
        expected = page.total;
        all.push(...page.runs);
        // Show each page as it arrives: the first rows are usable while the rest load.
        runs.value = all.slice();
        total.value = expected;
        if (page.runs.length === 0) break;
      }
      total.value = all.length;
    } catch (err) {
      error.value = toUiError(err, 'Check that the lab is running, then try again.');
    } finally {
      loading.value = false;
    }
  }

  const reloadSoon = throttle(() => void reload(), 2000);

  function patch(runId: string, change: (r: RunRecord) => RunRecord): boolean {
    const i = runs.value.findIndex((r) => r.id === runId);
    if (i < 0) return false;
    const next = runs.value.slice();
    next[i] = change(next[i]);
    runs.value = next;
    return true;
  }

  function onEvent(e: LabEvent): void {
    switch (e.kind) {
      case 'run-status':
        // New runs, and finished ones (their headline metrics are final now), are read again.
        if (FINAL_RUN_STATUSES.includes(e.status) || !patch(e.runId, (r) => ({ ...r, status: e.status }))) reloadSoon();
        break;
      case 'progress':
        patch(e.runId, (r) => ({ ...r, progress: e.progress, lastStep: Math.max(r.lastStep, e.progress.step) }));
        break;
      case 'metrics':
        // An evaluation's test accuracy is the list's headline (never a training batch's accuracy).
        if (e.phase === 'eval' && typeof e.values['eval/test_acc'] === 'number') {
          const acc = e.values['eval/test_acc'];
          patch(e.runId, (r) => ({ ...r, headline: { ...r.headline, testAccuracy: acc, evalStep: e.step } }));
        }
        break;
      case 'run-deleted':
        if (runs.value.some((r) => r.id === e.runId)) {
          runs.value = runs.value.filter((r) => r.id !== e.runId);
          total.value = Math.max(0, total.value - 1);
        }
        break;
      default:
        break;
    }
  }
  useLabEvents(onEvent);

  return { runs, total, loading, error, reload };
}
