/**
 * The part every chart of stored run series shares (RunSeriesChart, CompareChart): one series store per
 * chart with its own x-axis choice, live points, and a zoom that reads the visible range again at full
 * resolution. Each chart only says how its lines are built from points, so the overview and the zoom are
 * drawn by the same code and cannot drift apart.
 */
import { computed, getCurrentInstance, onMounted, ref } from 'vue';
import type { XAxis } from '../../../shared/api';
import type { PlotSeries } from '../lib/plot';
import { useSeriesStore, type SeriesStoreOptions } from './useSeriesStore';

export interface Points {
  x: number[];
  y: number[];
}

/** The points of one run's series: what is loaded, or during a zoom the full-resolution read. */
export type PointsOf = (runId: string, name: string) => Points | undefined;

/** Props a stored-series chart passes straight to LabChart. */
export interface StoreChartDisplay {
  title: string;
  testid: string;
  yLabel: string;
  yRange: [number, number] | null;
  logY: boolean;
  xAxisChoices?: XAxis[];
  /** Runs named in exported figures (default: those the page provides) and the metric for their file names. */
  runNames?: string[];
  metric?: string;
  /** Title of the right-hand axis of series with axis 'y2'. */
  y2Label?: string;
}

export interface StoreChartOptions extends Pick<
  SeriesStoreOptions,
  'runIds' | 'names' | 'accept' | 'startedAt' | 'budget'
> {
  build: (of: PointsOf) => PlotSeries[];
  /** The series a zoom reads again, per run. */
  zoomed: () => { runId: string; names: string[] }[];
  /** What the chart says when it has no points (a load error is said instead). */
  emptyText: () => string;
}

const ALL_AXES: XAxis[] = ['step', 'epoch', 'time'];
/** Zoom reads in flight at once (one per run). */
const ZOOM_READERS = 4;
const key = (runId: string, name: string) => `${runId}\u0000${name}`;

export function useStoreChart(display: StoreChartDisplay, opts: StoreChartOptions) {
  const xAxis = ref<XAxis>('step');
  const store = useSeriesStore({
    runIds: opts.runIds,
    names: opts.names,
    accept: opts.accept,
    startedAt: opts.startedAt,
    budget: opts.budget,
    xAxis,
    live: true,
  });
  // Outside a component (a plain effect scope, as in tests) the caller loads with store.reload().
  if (getCurrentInstance()) onMounted(store.reload);

  const series = computed<PlotSeries[]>(() => {
    void store.version.value;
    return opts.build(store.get);
  });

  /**
   * Series the store holds complete are left as loaded (fullResolution answers null for them); the chart
   * cuts the result to the range. null = nothing was downsampled, keep what is drawn. `pixels`: points per
   * series worth reading (the drawn width, lib/plot.ts pointBudget), so a zoom never reads more than it shows.
   */
  async function loadRange(range: [number, number], pixels?: number): Promise<PlotSeries[] | null> {
    const full = new Map<string, Points>();
    // Each run has its own step range; a sweep's hundreds of runs are read a few at a time, not one by one.
    const todo = [...opts.zoomed()];
    const next = async (): Promise<void> => {
      for (let job = todo.shift(); job; job = todo.shift()) {
        const { runId, names } = job;
        const got = await store.fullResolution(runId, names, range, pixels);
        for (const s of got ?? [])
          full.set(key(runId, s.name), { x: s.x, y: s.y.map((v) => (v === null ? Number.NaN : v)) });
      }
    };
    await Promise.all(Array.from({ length: ZOOM_READERS }, next));
    if (full.size === 0) return null;
    return opts.build((runId, name) => full.get(key(runId, name)) ?? store.get(runId, name));
  }

  const chartProps = computed(() => ({
    title: display.title,
    testid: display.testid,
    yLabel: display.yLabel,
    yRange: display.yRange,
    logY: display.logY,
    xAxisChoices: display.xAxisChoices ?? ALL_AXES,
    runNames: display.runNames ?? [],
    metric: display.metric ?? '',
    y2Label: display.y2Label,
    series: series.value,
    xLabel: xAxis.value === 'time' ? 'time (s)' : xAxis.value,
    loadRange,
    emptyText: store.error.value ? `${store.error.value.message} ${store.error.value.hint}` : opts.emptyText(),
  }));

  return { xAxis, store, chartProps };
}
