/**
 * Everything an export needs, read from the run store through its public read API only (the export
 * never writes): records, summaries, the per-layer bounds of the last evaluation, certified-accuracy
 * rows and the latest evaluation's certified radii (the curves), and the selected series with their epoch and wall time per point;
 * and any stored analyses of imported networks asked for.
 */
import type { CertCurve, LayerBoundsAt, Store } from '../store/index.js';
import type { LayerBoundKind, LayerRecord, RunRecord, RunSummary, SeriesInfo } from '../../shared/records.js';
import type { CertifiedRadii } from '../../shared/api-types.js';
import { layerOrder } from './model.js';
import { resolveAnalyses, type ReportAnalysis } from './analyses.js';

export interface ExportSeries {
  name: string;
  steps: number[];
  values: number[];
  /** Fractional epoch per point (NaN where the run recorded none); only when times were asked for. */
  epochs?: number[];
  /** Wall time per point, epoch ms; only when times were asked for. */
  wall?: number[];
  totalPoints: number;
  downsampled: boolean;
}

export interface BoundHistory extends ExportSeries {
  layer: string;
  method: string;
  kind: LayerBoundKind;
}

export interface ReportRun {
  record: RunRecord;
  summary: RunSummary;
  /** Every layer bound at the run's last step with bounds. */
  layers: LayerBoundsAt;
  /** The model's conv and dense layers in network order (kernel shape, stride, padding, input size). */
  modelLayers: LayerRecord[];
  /** Every certified-accuracy row of the run, by step then eps. */
  cert: CertCurve['points'];
  /** Every test point's radius per certificate (and PGD's breaking radii) at the latest evaluation that stored them. */
  radii?: CertifiedRadii;
  series: ExportSeries[];
  /** Every bound series over training (only when asked for: CSV folders and JSON). */
  boundHistory: BoundHistory[];
}

export interface ReportData {
  dataDir: string;
  exportedAt: number;
  runs: ReportRun[];
  /** Stored analyses of imported networks (the Models view, bounds --model --store), in the order asked for. */
  analyses?: ReportAnalysis[];
  /** Things the reader should know (a --series pattern that matched nothing, downsampled series ...). */
  warnings: string[];
}

export interface CollectOptions {
  /**
   * Series to read: exact names or globs with "*" ("eval/*", "bound/f4/*"); [] = none. Default: every
   * scalar series (the "epoch" series is the epoch column, not a series of its own).
   */
  series?: readonly string[] | null;
  /** When true, names in `series` that a run lacks are skipped silently (the HTML report's defaults). */
  optionalSeries?: boolean;
  /** Max points per series (min/max downsampling beyond it). */
  budget: number;
  /** Warn about series cut to the budget (data exports; charts are meant to be downsampled). */
  warnDownsampled?: boolean;
  /** Read the epoch and wall time of every point (two more queries per series). */
  times: boolean;
  boundHistory: boolean;
  /** Stored model analyses to report beside the runs, by id or unique name (an unknown one: ExportError). */
  analyses?: readonly string[];
  onProgress?: (done: number, total: number, detail: string) => void;
}

export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

function pickSeries(infos: SeriesInfo[], patterns: readonly string[] | null | undefined): string[] {
  if (patterns?.length === 0) return [];
  if (!patterns) return infos.filter((i) => i.kind === 'scalar' && i.name !== 'epoch').map((i) => i.name);
  // In the order of the patterns (the HTML report draws its charts in that order), then by name.
  const res = patterns.map(globToRegExp);
  const rank = (name: string): number => res.findIndex((r) => r.test(name));
  return infos
    .filter((i) => i.name !== 'epoch' && rank(i.name) >= 0)
    .map((i) => i.name)
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

async function readSeries(store: Store, run: RunRecord, name: string, o: CollectOptions): Promise<ExportSeries> {
  const q = { runIds: [run.id], names: [name], budget: o.budget, toStep: run.lastStep };
  const base = (await store.getSeries({ ...q, xAxis: 'step' })).series[0];
  const out: ExportSeries = {
    name,
    steps: base.steps,
    values: base.y,
    totalPoints: base.totalPoints,
    downsampled: base.downsampled,
  };
  if (o.times) {
    // Keyed by step: min/max downsampling returns each step at most once, and a live run may have
    // grown between the reads.
    const byStep = (xs: { steps: number[]; x: number[] }): Map<number, number> =>
      new Map(xs.steps.map((s, i) => [s, xs.x[i]]));
    const epochs = byStep((await store.getSeries({ ...q, xAxis: 'epoch' })).series[0]);
    const secs = byStep((await store.getSeries({ ...q, xAxis: 'time' })).series[0]);
    const origin = run.startedAt ?? run.createdAt;
    out.epochs = base.steps.map((s) => epochs.get(s) ?? Number.NaN);
    out.wall = base.steps.map((s) => {
      const t = secs.get(s);
      return t === undefined || Number.isNaN(t) ? Number.NaN : Math.round(origin + t * 1000);
    });
  }
  return out;
}

/** Reads the runs (in the order given) for an export. */
export async function collectReportData(
  store: Store,
  runIds: readonly string[],
  o: CollectOptions,
): Promise<ReportData> {
  const warnings: string[] = [];
  // Unknown analysis ids fail before any run is read.
  const analyses = o.analyses?.length ? await resolveAnalyses(store, o.analyses) : undefined;
  const records = await Promise.all(runIds.map((id) => store.getRun(id)));
  const plans: { record: RunRecord; names: string[]; bounds: SeriesInfo[]; modelLayers: LayerRecord[] }[] = [];
  const matched = new Set<string>();
  for (const record of records) {
    const infos = await store.listSeries(record.id);
    const names = pickSeries(infos, o.series);
    for (const n of names) matched.add(n);
    const bounds = o.boundHistory
      ? infos.filter((i) => i.kind === 'bound' && i.layer !== null && i.method !== null)
      : [];
    const modelLayers = await store.layers(record.id);
    const order = layerOrder(modelLayers);
    bounds.sort(
      (a, b) => order(a.layer as string, b.layer as string) || (a.method as string).localeCompare(b.method as string),
    );
    plans.push({ record, names, bounds, modelLayers });
  }
  if (o.series?.length && !o.optionalSeries) {
    for (const p of o.series) {
      const re = globToRegExp(p);
      if (![...matched].some((n) => re.test(n)))
        warnings.push(`--series "${p}" matched no series of the selected runs.`);
    }
  }

  const total = plans.reduce((acc, p) => acc + 1 + p.names.length + p.bounds.length, 0);
  let done = 0;
  const tick = (detail: string): void => {
    done++;
    o.onProgress?.(done, total, detail);
  };
  const runs: ReportRun[] = [];
  for (const { record, names, bounds, modelLayers } of plans) {
    const [summary] = await store.runSummaries([record.id]);
    const layers = await store.layerBounds(record.id, 'latest');
    const [curve] = await store.certifiedCurves([record.id]);
    const radii = await store.certRadii(record.id);
    tick(`${record.name}: summary`);
    const series: ExportSeries[] = [];
    for (const name of names) {
      const s = await readSeries(store, record, name, o);
      if (s.downsampled && o.warnDownsampled)
        warnings.push(
          `${record.id} ${name}: ${s.totalPoints} points downsampled to ${s.steps.length} (raise --budget for every point).`,
        );
      series.push(s);
      tick(`${record.name}: ${name}`);
    }
    const boundHistory: BoundHistory[] = [];
    for (const b of bounds) {
      const s = await readSeries(store, record, b.name, o);
      boundHistory.push({ ...s, layer: b.layer as string, method: b.method as string, kind: b.boundKind ?? 'upper' });
      tick(`${record.name}: ${b.name}`);
    }
    runs.push({ record, summary, layers, modelLayers, cert: curve?.points ?? [], radii, series, boundHistory });
  }
  return { dataDir: store.paths.dataDir, exportedAt: Date.now(), runs, ...(analyses ? { analyses } : {}), warnings };
}
