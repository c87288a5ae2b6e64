/** Filtering and sorting of the run list (client-side: the whole list is loaded once). Pure TS. */
import type { RunRecord, RunStatus } from '../../../shared/api';

export type SortKey =
  'name' | 'status' | 'dataset' | 'model' | 'regulariser' | 'beta' | 'accuracy' | 'certified' | 'createdAt' | 'step';

export interface RunFilterState {
  text: string;
  status: RunStatus | '';
  dataset: string;
}

export function sortValue(run: RunRecord, key: SortKey): string | number | null {
  switch (key) {
    case 'beta':
      return run.beta;
    case 'accuracy':
      return run.headline.testAccuracy;
    case 'certified':
      return run.headline.certified?.accuracy ?? null;
    case 'createdAt':
      return run.createdAt;
    case 'step':
      return run.lastStep;
    default:
      return run[key];
  }
}

export function matchesFilter(run: RunRecord, f: RunFilterState): boolean {
  if (f.status && run.status !== f.status) return false;
  if (f.dataset && run.dataset !== f.dataset) return false;
  const q = f.text.trim().toLowerCase();
  if (!q) return true;
  const hay = [run.name, run.id, run.dataset, run.model, run.regulariser, run.status, run.notes, ...run.tags]
    .join(' ')
    .toLowerCase();
  return q.split(/\s+/).every((word) => hay.includes(word));
}

/** Missing values sort last in both directions. */
export function sortRuns(runs: readonly RunRecord[], key: SortKey, dir: 'asc' | 'desc'): RunRecord[] {
  const sign = dir === 'asc' ? 1 : -1;
  return runs
    .map((r, i) => ({ r, i, v: sortValue(r, key) }))
    .sort((a, b) => {
      if (a.v === null && b.v === null) return a.i - b.i;
      if (a.v === null) return 1;
      if (b.v === null) return -1;
      const c =
        typeof a.v === 'number' && typeof b.v === 'number'
          ? a.v - b.v
          : String(a.v).localeCompare(String(b.v), undefined, { numeric: true });
      return c !== 0 ? sign * c : a.i - b.i;
    })
    .map((x) => x.r);
}

/** Rows to render for a scroll position (with a margin above and below). */
export function visibleWindow(
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  total: number,
  overscan = 8,
): { start: number; end: number } {
  const start = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const end = Math.min(total, Math.ceil((scrollTop + viewport) / rowHeight) + overscan);
  return { start, end };
}
