/**
 * Every run, loaded page by page (thousands are fine: the table is virtualised), kept current from
 * pushed run-status events. Each list item carries what the table shows (β included), so sorting
 * and filtering need no further calls.
 */
import { ref, shallowRef } from 'vue';
import { lab } from '../lab';
import { FINAL_RUN_STATUSES, type RunListItem } from '../../../shared/api';
import { toUiError, type UiError } from '../lib/errors';
import { throttle, useLabEvents } from './useLabEvents';

/** The lab returns at most 1000 runs per call. */
const PAGE = 1000;

export function useRunList() {
  const runs = shallowRef<RunListItem[]>([]);
  const total = ref(0);
  const loading = ref(false);
  const error = shallowRef<UiError | null>(null);

  async function reload(): Promise<void> {
    loading.value = true;
    error.value = null;
    try {
      const all: RunListItem[] = [];
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

  useLabEvents((e) => {
    if (e.kind !== 'run-status') return;
    const i = runs.value.findIndex((r) => r.id === e.runId);
    // New runs, and finished ones (their headline metrics are final now), are read again.
    if (i < 0 || FINAL_RUN_STATUSES.includes(e.status)) {
      reloadSoon();
      return;
    }
    const next = runs.value.slice();
    next[i] = { ...next[i], status: e.status };
    runs.value = next;
  });

  return { runs, total, loading, error, reload };
}
