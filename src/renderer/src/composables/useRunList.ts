/**
 * Every run, loaded page by page (thousands are fine: the table is virtualised), kept current from
 * pushed run-status events; β of each run read lazily from its config for the rows on screen.
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
  const betas = shallowRef(new Map<string, number | null>());
  const asked = new Set<string>();

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

  /** β of a run: from the list item when the lab sends it, else from the run's config (fetched once). */
  function betaOf(run: RunListItem): number | null | undefined {
    const direct = (run as RunListItem & { beta?: number | null }).beta;
    if (direct !== undefined) return direct;
    return betas.value.get(run.id);
  }

  let inFlight = 0;
  const queue: string[] = [];
  function pump(): void {
    while (inFlight < 4 && queue.length) {
      const id = queue.shift() as string;
      if (asked.has(id)) continue;
      asked.add(id);
      inFlight++;
      lab
        .getRun(id)
        .then((d) => {
          const reg = (d.config as { regularizer?: { beta?: unknown; kind?: unknown } }).regularizer;
          const beta = reg && reg.kind !== 'none' && typeof reg.beta === 'number' ? reg.beta : reg?.kind === 'none' ? 0 : null;
          betas.value = new Map(betas.value).set(id, beta);
        })
        .catch(() => {
          betas.value = new Map(betas.value).set(id, null);
        })
        .finally(() => {
          inFlight--;
          pump();
        });
    }
  }

  /** Rows scrolled past are dropped from the queue: only what is on screen is fetched. */
  function wantBetas(visible: readonly RunListItem[]): void {
    queue.length = 0;
    for (const r of visible) if (!asked.has(r.id) && betaOf(r) === undefined) queue.push(r.id);
    pump();
  }

  return { runs, total, loading, error, reload, betaOf, wantBetas, betas };
}
