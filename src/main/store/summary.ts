/**
 * Summary rows for comparison tables and reports: best/last of every metric (from the rollup's top
 * level, so a 1,000,000-point series costs a few rows), the final bound of every layer and method,
 * and the certified-accuracy curve at the last certified step. Also the config diff of runs.
 */
import { diffConfigValues } from '../../shared/config-diff.js';
import type {
  ConfigDiff,
  FinalLayerBound,
  LayerBoundKind,
  LayerBoundRecord,
  MetricSummary,
  RunSummary,
} from '../../shared/records.js';
import { loadRunRows, recordsOf } from './run-rows.js';
import { ROLLUP_LEVELS } from './rollup.js';
import type { SqliteDb } from './sqlite.js';

/** Accuracies are better high; losses, bounds, learning rates ... low. */
export function metricGoal(name: string): 'max' | 'min' {
  return /acc/i.test(name) ? 'max' : 'min';
}

const HEADLINE_ACCURACY = ['eval/test_acc', 'eval/val_acc', 'test/accuracy', 'val/accuracy', 'eval/accuracy'];

interface SeriesStat {
  id: number;
  name: string;
  layer: string | null;
  method: string | null;
  bound_kind: LayerBoundKind | null;
  n: number | null;
  last_step: number | null;
}

async function seriesStats(db: SqliteDb, rid: number): Promise<SeriesStat[]> {
  return db.all<SeriesStat>(
    `SELECT s.id, s.name, s.layer, s.method, s.bound_kind, sum(r.n) AS n, max(r.s1) AS last_step
     FROM series s LEFT JOIN series_rollup r ON r.series_id = s.id AND r.level = ?
     WHERE s.rid = ? GROUP BY s.id ORDER BY s.name`,
    [ROLLUP_LEVELS, rid],
  );
}

/** min or max of every series of a run with the step where it happens (bare column of min()/max()). */
async function extremes(
  db: SqliteDb,
  rid: number,
  agg: 'min' | 'max',
): Promise<Map<number, { v: number | null; s: number | null }>> {
  const col = agg === 'min' ? 'vmin' : 'vmax';
  const step = agg === 'min' ? 'smin' : 'smax';
  const rows = await db.all<{ id: number; v: number | null; s: number | null }>(
    `SELECT series_id AS id, ${agg}(${col}) AS v, ${step} AS s FROM series_rollup
     WHERE level = ? AND series_id IN (SELECT id FROM series WHERE rid = ?) GROUP BY series_id`,
    [ROLLUP_LEVELS, rid],
  );
  return new Map(rows.map((r) => [r.id, { v: r.v, s: r.v === null ? null : r.s }]));
}

async function lastValues(db: SqliteDb, rid: number): Promise<Map<number, number | null>> {
  const rows = await db.all<{ id: number; value: number | null }>(
    `SELECT s.id, p.value FROM series s
     JOIN points p ON p.series_id = s.id AND p.step = (SELECT max(step) FROM points WHERE series_id = s.id)
     WHERE s.rid = ?`,
    [rid],
  );
  return new Map(rows.map((r) => [r.id, r.value]));
}

function headline(metrics: MetricSummary[]): RunSummary['accuracy'] {
  const byName = new Map(metrics.map((m) => [m.name, m]));
  // Evaluation series only: a training batch's accuracy (train/acc) is not a result (issue 11).
  const m =
    HEADLINE_ACCURACY.map((n) => byName.get(n)).find((x) => x && x.points > 0) ??
    metrics.find((x) => /^(eval|test|val)/.test(x.name) && /acc/i.test(x.name) && x.points > 0);
  return m ? { name: m.name, best: m.best, bestStep: m.bestStep, last: m.last, lastStep: m.lastStep } : null;
}

export async function runSummaries(db: SqliteDb, runIds: readonly string[]): Promise<RunSummary[]> {
  const rows = await loadRunRows(db, runIds);
  const records = await recordsOf(db, rows);
  const out: RunSummary[] = [];
  for (let i = 0; i < rows.length; i++) {
    const rid = rows[i].rid;
    const [stats, mins, maxs, lasts] = await Promise.all([
      seriesStats(db, rid),
      extremes(db, rid, 'min'),
      extremes(db, rid, 'max'),
      lastValues(db, rid),
    ]);
    const metrics: MetricSummary[] = [];
    const finalBounds: FinalLayerBound[] = [];
    for (const s of stats) {
      const last = lasts.get(s.id);
      if (s.layer !== null && s.method !== null) {
        if (s.last_step !== null && last !== undefined && last !== null) {
          finalBounds.push({
            layer: s.layer,
            method: s.method,
            kind: s.bound_kind ?? 'upper',
            step: s.last_step,
            value: last,
          });
        }
        continue;
      }
      const mn = mins.get(s.id);
      const mx = maxs.get(s.id);
      const goal = metricGoal(s.name);
      const best = goal === 'max' ? mx : mn;
      metrics.push({
        name: s.name,
        last: last ?? null,
        lastStep: s.last_step,
        min: mn?.v ?? null,
        minStep: mn?.s ?? null,
        max: mx?.v ?? null,
        maxStep: mx?.s ?? null,
        goal,
        best: best?.v ?? null,
        bestStep: best?.s ?? null,
        points: s.n ?? 0,
      });
    }
    const certified = await db.all<{ step: number; eps: number; accuracy: number; pairwise: number | null }>(
      'SELECT step, eps, accuracy, pairwise FROM cert WHERE rid = ?1 AND step = (SELECT max(step) FROM cert WHERE rid = ?1) ORDER BY eps',
      [rid],
    );
    out.push({ run: records[i], metrics, accuracy: headline(metrics), finalBounds, certified });
  }
  return out;
}

export interface CertCurve {
  runId: string;
  /** Every certified-accuracy row, by step then eps. */
  points: { step: number; eps: number; accuracy: number; pairwise: number | null }[];
}

export async function certifiedCurves(db: SqliteDb, runIds: readonly string[]): Promise<CertCurve[]> {
  const rows = await loadRunRows(db, runIds);
  const out: CertCurve[] = [];
  for (const r of rows) {
    const points = await db.all<{ step: number; eps: number; accuracy: number; pairwise: number | null }>(
      'SELECT step, eps, accuracy, pairwise FROM cert WHERE rid = ? ORDER BY step, eps',
      [r.rid],
    );
    out.push({ runId: r.id, points });
  }
  return out;
}

export interface LayerBoundsAt {
  runId: string;
  /** The step asked for, or the last step with bounds; null when the run has none. */
  step: number | null;
  availableSteps: number[];
  /** With iterations and timeMs where the engine reported them. */
  bounds: LayerBoundRecord[];
}

/** Every layer bound at one step ('latest' = the last step that has any bound). */
export async function layerBoundsAt(
  db: SqliteDb,
  runId: string,
  step: number | 'latest' = 'latest',
): Promise<LayerBoundsAt> {
  const [run] = await loadRunRows(db, [runId]);
  const steps = (
    await db.all<{ step: number }>(
      `SELECT DISTINCT p.step FROM points p JOIN series s ON s.id = p.series_id WHERE s.rid = ? AND s.layer IS NOT NULL ORDER BY p.step`,
      [run.rid],
    )
  ).map((r) => r.step);
  const at = step === 'latest' ? (steps.length > 0 ? steps[steps.length - 1] : null) : step;
  if (at === null) return { runId, step: null, availableSteps: steps, bounds: [] };
  const rows = await db.all<{
    layer: string;
    method: string;
    kind: LayerBoundKind;
    value: number | null;
    iterations: number | null;
    time_ms: number | null;
  }>(
    `SELECT s.layer, s.method, s.bound_kind AS kind, p.value, d.iterations, d.time_ms FROM series s
     JOIN points p ON p.series_id = s.id AND p.step = ?1
     LEFT JOIN bound_details d ON d.rid = s.rid AND d.layer = s.layer AND d.method = s.method AND d.step = ?1
     WHERE s.rid = ?2 AND s.layer IS NOT NULL ORDER BY s.layer, s.method`,
    [at, run.rid],
  );
  return {
    runId,
    step: at,
    availableSteps: steps,
    bounds: rows.map((r) => ({
      layer: r.layer,
      method: r.method,
      kind: r.kind,
      step: at,
      value: r.value ?? Number.NaN,
      ...(r.iterations !== null ? { iterations: r.iterations } : {}),
      ...(r.time_ms !== null ? { timeMs: r.time_ms } : {}),
    })),
  };
}

export async function diffConfigs(
  db: SqliteDb,
  runIds: readonly string[],
  options: { all?: boolean } = {},
): Promise<ConfigDiff> {
  const records = await recordsOf(db, await loadRunRows(db, runIds));
  return {
    runIds: [...runIds],
    rows: diffConfigValues(
      records.map((r) => r.config),
      options,
    ),
  };
}
