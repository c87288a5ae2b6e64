/**
 * The rollup: for every series, blocks of 16^L aligned steps (levels 1..5) with their point count,
 * first/last step and min/max (value and step). Reading 1,000,000 points to draw 2,000 would scan every
 * row (~0.3 s); with the rollup a downsampled read touches at most 16 blocks per bucket instead.
 *
 * Appends (steps beyond the series' last step, the normal case) are merged into the blocks in the
 * same transaction as the points; rewrites of old steps rebuild the touched blocks from the points.
 */
import { splitDouble, sqlDouble } from './exact-double.js';
import type { SqliteDb } from './sqlite.js';

export const ROLLUP_FANOUT = 16;
export const ROLLUP_LEVELS = 5;

export function blockSize(level: number): number {
  return ROLLUP_FANOUT ** level;
}

/** A block's aggregate; vmin/vmax (and smin/smax) are NaN when the block holds only NaN values. */
export interface RollupBlock {
  level: number;
  block: number;
  n: number;
  s0: number;
  s1: number;
  vmin: number;
  smin: number;
  vmax: number;
  smax: number;
}

function newBlock(level: number, block: number, s0: number): RollupBlock {
  // NaN (not null) for "none yet" keeps every field a double: no boxing in the hot loop.
  return { level, block, n: 0, s0, s1: s0, vmin: NaN, smin: NaN, vmax: NaN, smax: NaN };
}

/** Fold (v at step s) into cur; a later step wins no tie, like ORDER BY step LIMIT 1 in SQL. */
function fold(cur: RollupBlock, vmin: number, smin: number, vmax: number, smax: number): void {
  if (vmin === vmin && !(vmin >= cur.vmin)) {
    cur.vmin = vmin;
    cur.smin = smin;
  }
  if (vmax === vmax && !(vmax <= cur.vmax)) {
    cur.vmax = vmax;
    cur.smax = smax;
  }
}

/**
 * Aggregates of sorted, distinct-step points for every level: level 1 from the points, each higher
 * level from the one below. Non-finite values count as points but not as extremes.
 */
export function aggregateBlocks(steps: ArrayLike<number>, values: ArrayLike<number>): RollupBlock[] {
  let level: RollupBlock[] = [];
  let cur: RollupBlock | null = null;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    let v = values[i];
    const block = Math.floor(s / ROLLUP_FANOUT);
    if (cur === null || cur.block !== block) {
      cur = newBlock(1, block, s);
      level.push(cur);
    }
    cur.n += 1;
    cur.s1 = s;
    if (v === Infinity || v === -Infinity) v = NaN;
    fold(cur, v, s, v, s);
  }
  const out = level.slice();
  for (let l = 2; l <= ROLLUP_LEVELS; l++) {
    const next: RollupBlock[] = [];
    cur = null;
    for (const b of level) {
      const block = Math.floor(b.block / ROLLUP_FANOUT);
      if (cur === null || cur.block !== block) {
        cur = newBlock(l, block, b.s0);
        next.push(cur);
      }
      cur.n += b.n;
      cur.s1 = b.s1;
      fold(cur, b.vmin, b.smin, b.vmax, b.smax);
    }
    for (const b of next) out.push(b);
    level = next;
  }
  return out;
}

/** JSON rows for MERGE_ROLLUP_SQL: [level, block, n, s0, s1, vmin m, vmin e, smin, vmax m, vmax e, smax]. */
export function rollupJson(blocks: RollupBlock[]): string {
  const rows = new Array(blocks.length);
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i];
    const [m0, e0] = splitDouble(b.vmin);
    const [m1, e1] = splitDouble(b.vmax);
    const none = b.vmin !== b.vmin;
    rows[i] = [b.level, b.block, b.n, b.s0, b.s1, m0, e0, none ? null : b.smin, m1, e1, none ? null : b.smax];
  }
  return JSON.stringify(rows);
}

/**
 * Merge appended blocks into stored ones (?1 = series id, ?2 = rollupJson). Only for steps after the
 * stored ones: then a tie keeps the stored (earlier) step and counts simply add up.
 */
export const MERGE_ROLLUP_SQL = `
INSERT INTO series_rollup (series_id, level, block, n, s0, s1, vmin, smin, vmax, smax)
SELECT ?1, value->>0, value->>1, value->>2, value->>3, value->>4, ${sqlDouble(5)}, value->>7, ${sqlDouble(8)}, value->>10
FROM jsonb_each(?2) WHERE true
ON CONFLICT (series_id, level, block) DO UPDATE SET
  n = n + excluded.n,
  s0 = min(s0, excluded.s0),
  s1 = max(s1, excluded.s1),
  smin = CASE WHEN vmin IS NULL OR excluded.vmin < vmin THEN excluded.smin ELSE smin END,
  vmin = CASE WHEN vmin IS NULL OR excluded.vmin < vmin THEN excluded.vmin ELSE vmin END,
  smax = CASE WHEN vmax IS NULL OR excluded.vmax > vmax THEN excluded.smax ELSE smax END,
  vmax = CASE WHEN vmax IS NULL OR excluded.vmax > vmax THEN excluded.vmax ELSE vmax END`;

/**
 * Recompute the blocks covering steps [fromStep, toStep] of one series from its points (level 1)
 * and from the level below (levels 2..5). Used after out-of-order writes and to build the rollup of
 * existing data in a migration.
 */
export async function rebuildRollup(db: SqliteDb, seriesId: number, fromStep: number, toStep: number): Promise<void> {
  const F = ROLLUP_FANOUT;
  for (let level = 1; level <= ROLLUP_LEVELS; level++) {
    const size = blockSize(level);
    const b0 = Math.floor(fromStep / size);
    const b1 = Math.floor(toStep / size);
    const p = [seriesId, level, b0, b1];
    await db.run('DELETE FROM series_rollup WHERE series_id = ?1 AND level = ?2 AND block BETWEEN ?3 AND ?4', p);
    if (level === 1) {
      await db.run(
        `INSERT INTO series_rollup (series_id, level, block, n, s0, s1, vmin, vmax)
         SELECT ?1, ?2, step / ${F}, count(*), min(step), max(step), min(value), max(value)
         FROM points WHERE series_id = ?1 AND step BETWEEN ?3 * ${F} AND ?4 * ${F} + ${F - 1} GROUP BY step / ${F}`,
        p,
      );
      await db.run(
        `UPDATE series_rollup SET
           smin = (SELECT step FROM points p WHERE p.series_id = ?1 AND p.step BETWEEN series_rollup.s0 AND series_rollup.s1
                   AND p.value = series_rollup.vmin ORDER BY p.step LIMIT 1),
           smax = (SELECT step FROM points p WHERE p.series_id = ?1 AND p.step BETWEEN series_rollup.s0 AND series_rollup.s1
                   AND p.value = series_rollup.vmax ORDER BY p.step LIMIT 1)
         WHERE series_id = ?1 AND level = ?2 AND block BETWEEN ?3 AND ?4`,
        p,
      );
    } else {
      await db.run(
        `INSERT INTO series_rollup (series_id, level, block, n, s0, s1, vmin, vmax)
         SELECT ?1, ?2, block / ${F}, sum(n), min(s0), max(s1), min(vmin), max(vmax)
         FROM series_rollup WHERE series_id = ?1 AND level = ?2 - 1 AND block BETWEEN ?3 * ${F} AND ?4 * ${F} + ${F - 1}
         GROUP BY block / ${F}`,
        p,
      );
      await db.run(
        `UPDATE series_rollup SET
           smin = (SELECT r.smin FROM series_rollup r WHERE r.series_id = ?1 AND r.level = ?2 - 1
                   AND r.block BETWEEN series_rollup.block * ${F} AND series_rollup.block * ${F} + ${F - 1}
                   AND r.vmin = series_rollup.vmin ORDER BY r.smin LIMIT 1),
           smax = (SELECT r.smax FROM series_rollup r WHERE r.series_id = ?1 AND r.level = ?2 - 1
                   AND r.block BETWEEN series_rollup.block * ${F} AND series_rollup.block * ${F} + ${F - 1}
                   AND r.vmax = series_rollup.vmax ORDER BY r.smax LIMIT 1)
         WHERE series_id = ?1 AND level = ?2 AND block BETWEEN ?3 AND ?4`,
        p,
      );
    }
  }
}
