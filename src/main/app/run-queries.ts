/** Reading runs: what the store holds, with the live status of the runs this lab is running overlaid. */
import {
  FINAL_RUN_STATUSES,
  LabError,
  type CertifiedRadiiQuery,
  type LayerBoundsQuery,
  type ReportFile,
  type ReportOptions,
  type RunDetail,
  type RunFilter,
  type RunList,
  type SeriesQuery,
  type SpectrumQuery,
} from '../../shared/api.js';
import type { LiveRuns } from './live-runs.js';

export async function listRuns(runs: LiveRuns, filter: RunFilter): Promise<RunList> {
  const list = await runs.opts.store.listRuns(filter);
  return { ...list, runs: list.runs.map((r) => runs.overlay(r)) };
}

export async function getRun(runs: LiveRuns, runId: string): Promise<RunDetail> {
  // A run that has just ended is read once its last writes (checkpoint, status) are in.
  const ending = runs.get(runId);
  if (ending && FINAL_RUN_STATUSES.includes(ending.status)) await ending.writes;
  const stored = await runs.requireRun(runId);
  const run = runs.get(runId);
  if (!run) return stored;
  const ended = FINAL_RUN_STATUSES.includes(run.status);
  return {
    ...runs.overlay(stored),
    queuePosition: runs.queue.position(runId),
    backend: run.backend ?? stored.backend,
    resumableFrom: ended ? stored.resumableFrom : null,
  };
}

export function getSeries(runs: LiveRuns, query: SeriesQuery) {
  return runs.opts.store.getSeries(query);
}

export async function getLayerBounds(runs: LiveRuns, runId: string, query: LayerBoundsQuery) {
  await runs.requireRun(runId);
  return runs.opts.store.getLayerBounds(runId, query);
}

export async function getCertifiedRadii(runs: LiveRuns, runId: string, query: CertifiedRadiiQuery) {
  await runs.requireRun(runId);
  return runs.opts.store.getCertifiedRadii(runId, query);
}

export async function getSpectrum(runs: LiveRuns, runId: string, query: SpectrumQuery) {
  await runs.requireRun(runId);
  return runs.opts.store.getSpectrum(runId, query);
}

export async function diffConfigs(runs: LiveRuns, runIds: string[], all: boolean) {
  for (const id of runIds) await runs.requireRun(id);
  return runs.opts.store.diffConfigs(runIds, all);
}

export async function runSummaries(runs: LiveRuns, runIds: string[]) {
  for (const id of runIds) await runs.requireRun(id);
  const sums = await runs.opts.store.runSummaries(runIds);
  return sums.map((s) => ({ ...s, run: runs.overlay(s.run) }));
}

/** The report of runs (a live run: what it has recorded so far) and stored model analyses, as HTML or PDF. */
export async function getReport(runs: LiveRuns, runIds: string[], options: ReportOptions): Promise<ReportFile> {
  for (const id of runIds) await runs.requireRun(id);
  if (!runs.opts.report) {
    throw new LabError(
      'unavailable',
      'This lab was started without a report writer.',
      'Run `spectral-lab export --format html` (or pdf) on its data folder instead.',
    );
  }
  return runs.opts.report(runIds, options.format, options.analyses);
}
