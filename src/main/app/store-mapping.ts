/**
 * From the store's records (src/shared/records.ts) to the UI contract (src/shared/api.ts). Both name
 * run states alike (queued -> running -> completed | failed | cancelled | crashed); the UI adds 'paused',
 * a live state the store keeps as 'running'.
 */
import type {
  ConfigDiff,
  LayerBounds,
  LayerBoundsRow,
  RunListItem,
  RunStatus,
  RunSummary,
} from '../../shared/api.js';
import type { BoundKind, F4Matrix } from '../../shared/bounds.js';
import { CERTIFIED_TOKEN, isBoundMethod, validityOf, type BoundMethod, type MethodGeometry } from '../../shared/bound-methods.js';
import type * as rec from '../../shared/records.js';

export function statusFromStore(s: rec.RunStatus): RunStatus {
  return s;
}

/** null: the status has no store counterpart (paused runs stay 'running' in the store). */
export function statusToStore(s: RunStatus): rec.RunStatus | null {
  return s === 'paused' ? null : s;
}

export function statusesToStore(list: RunStatus[] | undefined): rec.RunStatus[] | undefined {
  if (!list) return undefined;
  const out = new Set<rec.RunStatus>();
  for (const s of list) out.add(statusToStore(s) ?? 'running');
  return [...out];
}

/** Series name of certified accuracy at radius eps, as the live events and getSeries call it. */
export const certifiedSeriesName = (eps: number, pairwise = false): string => `${pairwise ? 'certified_pairwise' : 'certified'}/${eps}`;

export function parseCertifiedSeries(name: string): { eps: number; pairwise: boolean } | null {
  const m = /^(certified|certified_pairwise)\/(.+)$/.exec(name);
  if (!m) return null;
  const eps = Number(m[2]);
  return Number.isFinite(eps) ? { eps, pairwise: m[1] === 'certified_pairwise' } : null;
}

export function headlineOf(s: rec.RunSummary | undefined): Record<string, number | null> {
  if (!s) return {};
  const h: Record<string, number | null> = {};
  if (s.accuracy) h[s.accuracy.name] = s.accuracy.last;
  const lip = s.metrics.find((m) => m.name === 'eval/lipschitz');
  if (lip) h['eval/lipschitz'] = lip.last;
  for (const c of s.certified) h[certifiedSeriesName(c.eps)] = c.accuracy;
  return h;
}

/** β of the config's regulariser (the store keeps configs opaque): 0 when it is off, null when unknown. */
export function regulariserBeta(config: rec.RunRecord['config']): number | null {
  const reg = config.regularizer ?? config.regulariser;
  if (!reg || typeof reg !== 'object' || Array.isArray(reg)) return null;
  const { kind, beta } = reg as { kind?: unknown; beta?: unknown };
  if (kind === 'none') return 0;
  return typeof beta === 'number' ? beta : null;
}

export function listItemOf(r: rec.RunRecord, summary?: rec.RunSummary): RunListItem {
  return {
    id: r.id,
    name: r.name,
    status: statusFromStore(r.status),
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.endedAt,
    dataset: r.dataset ?? '',
    model: r.model ?? '',
    regulariser: r.regulariser ?? 'none',
    beta: regulariserBeta(r.config),
    tags: r.tags,
    notes: r.notes,
    step: r.lastStep,
    headline: headlineOf(summary),
  };
}

export function summaryOf(s: rec.RunSummary, now = Date.now()): RunSummary {
  const r = s.run;
  return {
    runId: r.id,
    name: r.name,
    status: statusFromStore(r.status),
    dataset: r.dataset ?? '',
    model: r.model ?? '',
    regulariser: r.regulariser ?? 'none',
    steps: r.lastStep,
    durationMs: r.startedAt === null ? null : (r.endedAt ?? now) - r.startedAt,
    metrics: s.metrics.map((m) => ({ name: m.name, final: m.last, best: m.best, bestStep: m.bestStep, goal: m.goal })),
  };
}

export function configDiffOf(d: rec.ConfigDiff): ConfigDiff {
  return { runIds: d.runIds, rows: d.rows.map((row) => ({ path: row.path, differs: row.differs, values: row.cells.map((c) => (c.present ? c.value : null)) })) };
}

const KIND: Record<rec.LayerBoundKind, BoundKind> = { upper: 'upper bound', exact: 'exact', estimate: 'estimate (lower)' };
const RESHAPE = /^f4-([RSTU])$/;

/** How the stored layer runs, for the registry's validity (bound-methods.ts); stride 1 'same' when unknown. */
function geometryOf(meta: rec.LayerRecord | undefined): MethodGeometry {
  const n = meta?.inputSize ? (meta.inputSize[0] === meta.inputSize[1] ? meta.inputSize[0] : ([meta.inputSize[0], meta.inputSize[1]] as [number, number])) : undefined;
  return { kind: meta?.kind ?? 'conv', padding: meta?.padding ?? 'same', stride: meta?.stride ?? 1, ...(n !== undefined ? { n } : {}) };
}

/**
 * One row per layer, in model order. The store keeps value and kind per (layer, method) and the layers'
 * kernel shapes; the F4 reshapes (stored as sqrt(hw)*||M||) become f4Matrices (||M|| alone) when the
 * shape is known. 'certified' (the bound the Lipschitz bound used) becomes the row's `certified`.
 * Iterations and time not recorded (runs from older workers) read as 0.
 */
export function layerBoundsOf(at: { runId: string; step: number | null; availableSteps: number[]; bounds: rec.LayerBoundRecord[] }, known: rec.LayerRecord[], methods?: BoundMethod[]): LayerBounds {
  const metaOf = new Map(known.map((m) => [m.name, m]));
  const rows = new Map<string, LayerBoundsRow>();
  for (const b of at.bounds) {
    const meta = metaOf.get(b.layer);
    let row = rows.get(b.layer);
    if (!row) {
      row = { layer: b.layer, index: meta?.index ?? -1, kernelShape: meta ? [...meta.kernelShape] : [], bounds: [], ...(meta ? { geometry: geometryOf(meta) } : {}) };
      rows.set(b.layer, row);
    }
    const reshape = RESHAPE.exec(b.method);
    if (reshape) {
      if (meta) {
        row.f4Matrices ??= { R: Number.NaN, S: Number.NaN, T: Number.NaN, U: Number.NaN };
        row.f4Matrices[reshape[1] as F4Matrix] = b.value / Math.sqrt(meta.kernelShape[0] * meta.kernelShape[1]);
      }
      continue;
    }
    if (b.method === CERTIFIED_TOKEN) {
      row.certified = b.value;
      continue;
    }
    const method = b.method;
    if (!isBoundMethod(method) || (methods && !methods.includes(method))) continue;
    row.bounds.push({ method, value: b.value, kind: KIND[b.kind], validFor: validityOf(method, row.geometry ?? geometryOf(meta)), iterations: b.iterations ?? 0, timeMs: b.timeMs ?? 0 });
  }
  const rank = (r: LayerBoundsRow) => (r.index < 0 ? Number.MAX_SAFE_INTEGER : r.index);
  const layers = [...rows.values()].sort((a, b) => rank(a) - rank(b) || a.layer.localeCompare(b.layer, undefined, { numeric: true }));
  layers.forEach((l, i) => {
    if (l.index < 0) l.index = i;
  });
  return { runId: at.runId, step: at.step, availableSteps: at.availableSteps, layers };
}
