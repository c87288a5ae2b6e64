/** Series of several runs at once, on a step, epoch or time axis; and what series a run has. */
import type { LayerBoundKind, SeriesData, SeriesInfo, SeriesQuery, SeriesResult, XAxis } from '../../shared/records.js';
import { StoreError } from './errors.js';
import { loadRunRows, type RunRow } from './run-rows.js';
import { readSeriesPoints, type SeriesPoints } from './series-read.js';
import { ROLLUP_LEVELS } from './rollup.js';
import type { SqliteDb } from './sqlite.js';
import { EPOCH_SERIES } from './writer.js';

export const DEFAULT_BUDGET = 2000;
const XAXES: readonly XAxis[] = ['step', 'epoch', 'time'];

function checkStepRange(q: SeriesQuery): void {
  for (const key of ['fromStep', 'toStep'] as const) {
    const v = q[key];
    if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v))) {
      throw new StoreError(
        'invalid-input',
        `${key} ${String(v)} is not a number.`,
        'Give steps as numbers (e.g. { fromStep: 100, toStep: 500 }), or leave the end open.',
      );
    }
  }
  if (q.fromStep !== undefined && q.toStep !== undefined && q.fromStep > q.toStep) {
    throw new StoreError(
      'invalid-input',
      `fromStep ${q.fromStep} is after toStep ${q.toStep}.`,
      'Give the range low end first (fromStep <= toStep).',
    );
  }
}

function checkQuery(q: SeriesQuery): { budget: number; xAxis: XAxis } {
  if (!q || !Array.isArray(q.runIds) || !Array.isArray(q.names) || q.names.some((n) => typeof n !== 'string')) {
    throw new StoreError(
      'invalid-input',
      'A series query needs runIds: string[] and names: string[].',
      'Example: { runIds: ["20250101-120000-abc123"], names: ["train/loss"] }.',
    );
  }
  const budget = q.budget ?? DEFAULT_BUDGET;
  if (!Number.isInteger(budget) || budget < 4 || budget > 1_000_000) {
    throw new StoreError(
      'invalid-input',
      `Point budget ${String(q.budget)} is not an integer between 4 and 1,000,000.`,
      'Ask for about as many points as the chart is wide in pixels (e.g. 2000).',
    );
  }
  checkStepRange(q);
  const xAxis = q.xAxis ?? 'step';
  if (!XAXES.includes(xAxis))
    throw new StoreError('invalid-input', `x axis "${String(xAxis)}" is unknown.`, `Use one of ${XAXES.join(', ')}.`);
  return { budget, xAxis };
}

async function seriesIds(db: SqliteDb, rids: number[], names: string[]): Promise<Map<string, number>> {
  const rows = await db.all<{ rid: number; name: string; id: number }>(
    `SELECT rid, name, id FROM series WHERE rid IN (SELECT value FROM json_each(?1)) AND name IN (SELECT value FROM json_each(?2))`,
    [JSON.stringify(rids), JSON.stringify([...names, EPOCH_SERIES])],
  );
  return new Map(rows.map((r) => [`${r.rid}\u0000${r.name}`, r.id]));
}

/** Epoch at each step: the run's "epoch" series at the last step <= it (NaN when none). */
async function epochsAt(db: SqliteDb, epochSeries: number | undefined, steps: number[]): Promise<number[]> {
  if (epochSeries === undefined || steps.length === 0) return steps.map(() => Number.NaN);
  const rows = await db.all<{ e: number | null }>(
    `SELECT (SELECT value FROM points WHERE series_id = ?1 AND step <= j.value ORDER BY step DESC LIMIT 1) AS e
     FROM json_each(?2) j ORDER BY j.key`,
    [epochSeries, JSON.stringify(steps)],
  );
  return rows.map((r) => (r.e === null ? Number.NaN : r.e));
}

/** Seconds since the run started (or was created, if it never started) at each returned point. */
async function secondsAt(db: SqliteDb, seriesId: number, run: RunRow, steps: number[]): Promise<number[]> {
  if (steps.length === 0) return [];
  const rows = await db.all<{ t: number | null }>(
    `SELECT (SELECT t FROM points WHERE series_id = ?1 AND step = j.value) AS t FROM json_each(?2) j ORDER BY j.key`,
    [seriesId, JSON.stringify(steps)],
  );
  const origin = (run.started_at ?? run.created_at) - run.created_at;
  return rows.map((r) => (r.t === null ? Number.NaN : (r.t - origin) / 1000));
}

export async function getSeries(db: SqliteDb, q: SeriesQuery): Promise<SeriesResult> {
  const { budget, xAxis } = checkQuery(q);
  const runs = await loadRunRows(db, q.runIds);
  const ids = await seriesIds(
    db,
    runs.map((r) => r.rid),
    q.names,
  );
  const series: SeriesData[] = [];
  for (const run of runs) {
    for (const name of q.names) {
      const sid = ids.get(`${run.rid}\u0000${name}`);
      const pts: SeriesPoints =
        sid === undefined
          ? { steps: [], values: [], totalPoints: 0, downsampled: false }
          : await readSeriesPoints(db, sid, { budget, fromStep: q.fromStep, toStep: q.toStep });
      let x = pts.steps;
      if (xAxis === 'epoch') x = await epochsAt(db, ids.get(`${run.rid}\u0000${EPOCH_SERIES}`), pts.steps);
      else if (xAxis === 'time' && sid !== undefined) x = await secondsAt(db, sid, run, pts.steps);
      series.push({
        runId: run.id,
        name,
        xAxis,
        steps: pts.steps,
        x,
        y: pts.values,
        totalPoints: pts.totalPoints,
        downsampled: pts.downsampled,
      });
    }
  }
  return { series };
}

export async function listSeries(db: SqliteDb, runId: string): Promise<SeriesInfo[]> {
  const [run] = await loadRunRows(db, [runId]);
  const rows = await db.all<{
    name: string;
    layer: string | null;
    method: string | null;
    bound_kind: LayerBoundKind | null;
    n: number | null;
    first: number | null;
    last: number | null;
  }>(
    `SELECT s.name, s.layer, s.method, s.bound_kind, sum(r.n) AS n, min(r.s0) AS first, max(r.s1) AS last
     FROM series s LEFT JOIN series_rollup r ON r.series_id = s.id AND r.level = ?
     WHERE s.rid = ? GROUP BY s.id ORDER BY s.name`,
    [ROLLUP_LEVELS, run.rid],
  );
  return rows.map((r) => ({
    name: r.name,
    kind: r.layer === null ? 'scalar' : 'bound',
    layer: r.layer,
    method: r.method,
    boundKind: r.bound_kind,
    points: r.n ?? 0,
    firstStep: r.first,
    lastStep: r.last,
  }));
}
