/**
 * Reading one series to a point budget. Short ranges come back raw. Long ones are cut into
 * buckets aligned to rollup blocks: SQL reduces the blocks inside the range to each bucket's min and
 * max (bare-column min()/max() return the step of that extreme), the partial blocks at both ends
 * come from the points themselves, and MinMaxBuckets (src/shared/downsample.ts) merges the lot.
 */
import { bucketWidth, MinMaxBuckets } from '../../shared/downsample.js';
import { blockSize, ROLLUP_LEVELS } from './rollup.js';
import type { SqliteDb } from './sqlite.js';

export interface SeriesPoints {
  steps: number[];
  values: number[];
  totalPoints: number;
  downsampled: boolean;
}

interface Extent {
  total: number;
  first: number | null;
  last: number | null;
}

const EMPTY: SeriesPoints = { steps: [], values: [], totalPoints: 0, downsampled: false };

export async function seriesExtent(db: SqliteDb, seriesId: number): Promise<Extent> {
  const row = await db.get<{ total: number | null; first: number | null; last: number | null }>(
    'SELECT sum(n) AS total, min(s0) AS first, max(s1) AS last FROM series_rollup WHERE series_id = ? AND level = ?',
    [seriesId, ROLLUP_LEVELS],
  );
  return { total: row?.total ?? 0, first: row?.first ?? null, last: row?.last ?? null };
}

const num = (v: number | null): number => (v === null ? Number.NaN : v);

async function rawPoints(
  db: SqliteDb,
  seriesId: number,
  lo: number,
  hi: number,
): Promise<{ step: number; value: number | null }[]> {
  return db.all('SELECT step, value FROM points WHERE series_id = ? AND step BETWEEN ? AND ? ORDER BY step', [
    seriesId,
    lo,
    hi,
  ]);
}

/**
 * Min and max rows per bucket of `width` steps, from the points (level 0) or from level-`level`
 * blocks [b0, b1]. A bucket holding only NaN gives v = null and s = the step (or block start) seen.
 */
async function bucketExtremes(
  db: SqliteDb,
  seriesId: number,
  level: number,
  from: number,
  to: number,
  width: number,
  agg: 'min' | 'max',
): Promise<{ v: number | null; s: number | null; at: number }[]> {
  if (level === 0) {
    return db.all(
      `SELECT ${agg}(value) AS v, step AS s, step AS at FROM points WHERE series_id = ? AND step BETWEEN ? AND ? GROUP BY step / ?`,
      [seriesId, from, to, width],
    );
  }
  const col = agg === 'min' ? 'vmin' : 'vmax';
  const stepCol = agg === 'min' ? 'smin' : 'smax';
  return db.all(
    `SELECT ${agg}(${col}) AS v, ${stepCol} AS s, s0 AS at FROM series_rollup
     WHERE series_id = ? AND level = ? AND block BETWEEN ? AND ? GROUP BY block / ?`,
    [seriesId, level, from, to, width / blockSize(level)],
  );
}

/**
 * Bucket width for [lo, hi] at a budget, rounded up to whole blocks of the coarsest rollup level that
 * fits twice in the natural width: at least 2/3 of the budget is used and a bucket reads <= 32 blocks.
 */
export function planBuckets(lo: number, hi: number, budget: number): { level: number; width: number } {
  const natural = bucketWidth(lo, hi, budget);
  let level = 0;
  while (level < ROLLUP_LEVELS && 2 * blockSize(level + 1) <= natural) level++;
  return { level, width: bucketWidth(lo, hi, budget, blockSize(level)) };
}

export async function readSeriesPoints(
  db: SqliteDb,
  seriesId: number,
  options: { budget: number; fromStep?: number; toStep?: number },
): Promise<SeriesPoints> {
  const extent = await seriesExtent(db, seriesId);
  if (extent.total === 0 || extent.first === null || extent.last === null) return EMPTY;
  const lo = Math.max(options.fromStep ?? extent.first, extent.first);
  const hi = Math.min(options.toStep ?? extent.last, extent.last);
  if (lo > hi) return { ...EMPTY, totalPoints: extent.total };

  const budget = options.budget;
  const probe = await db.get<{ n: number }>(
    'SELECT count(*) AS n FROM (SELECT 1 FROM points WHERE series_id = ? AND step BETWEEN ? AND ? LIMIT ?)',
    [seriesId, lo, hi, budget + 1],
  );
  if ((probe?.n ?? 0) <= budget) {
    const rows = await rawPoints(db, seriesId, lo, hi);
    return {
      steps: rows.map((r) => r.step),
      values: rows.map((r) => num(r.value)),
      totalPoints: extent.total,
      downsampled: false,
    };
  }

  const { level, width } = planBuckets(lo, hi, budget);
  const size = blockSize(level);
  const buckets = new MinMaxBuckets(width);
  const addRows = (rows: { v: number | null; s: number | null; at: number }[]): void => {
    for (const r of rows) {
      if (r.v === null || r.s === null) buckets.addExtremes(r.at, null, r.at, null);
      else buckets.add(r.s, r.v);
    }
  };
  const addRaw = (rows: { step: number; value: number | null }[]): void => {
    for (const r of rows) buckets.add(r.step, num(r.value));
  };

  if (level === 0) {
    addRows(await bucketExtremes(db, seriesId, 0, lo, hi, width, 'min'));
    addRows(await bucketExtremes(db, seriesId, 0, lo, hi, width, 'max'));
  } else {
    const b0 = Math.ceil(lo / size);
    const b1 = Math.floor((hi + 1) / size) - 1;
    if (b0 > b1) {
      addRaw(await rawPoints(db, seriesId, lo, hi));
    } else {
      addRows(await bucketExtremes(db, seriesId, level, b0, b1, width, 'min'));
      addRows(await bucketExtremes(db, seriesId, level, b0, b1, width, 'max'));
      if (lo < b0 * size) addRaw(await rawPoints(db, seriesId, lo, b0 * size - 1));
      if ((b1 + 1) * size <= hi) addRaw(await rawPoints(db, seriesId, (b1 + 1) * size, hi));
    }
  }
  return { ...buckets.result(), totalPoints: extent.total, downsampled: true };
}
