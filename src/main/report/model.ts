/**
 * The numbers a paper reports, derived from one run's stored records: the headline row of the
 * summary table and the per-layer rows (Theorem 1's four reshapes, their minimum, the exact circular
 * norm of Sedghi et al. (circular, stride 1), the operator estimate at the real padding/stride, F4 over the best
 * lower value of the operator it is judged against — bound-methods.ts tightnessReference). Pure.
 */
import type { F4Matrix } from '../../shared/bounds.js';
import { tightnessReference, UNKNOWN_GEOMETRY, type MethodGeometry } from '../../shared/bound-methods.js';
import type { JsonObject, LayerRecord } from '../../shared/records.js';
import type { LayerBoundsAt } from '../store/index.js';
import type { ReportRun } from './data.js';
import { epsKey } from './format.js';

export interface LayerRow {
  layer: string;
  /** The layer as the model has it (kernel HWIO, stride, padding, input size), when the store knows it. */
  model: LayerRecord | null;
  /** sqrt(hw) * ||.||_2 of each reshape of the kernel (Theorem 1: each one is an upper bound). */
  R: number | null;
  S: number | null;
  T: number | null;
  U: number | null;
  /** The F4 bound: the minimum of the four. */
  f4: number | null;
  /** Which reshape gave the minimum. */
  argmin: F4Matrix | null;
  /** Exact spectral norm of the circular, stride-1 operator (Sedghi et al. 2019): the layer's own only for a circular stride-1 layer. */
  exact: number | null;
  /** Power-iteration estimate of the layer as it runs (zero padding, stride): a lower estimate. */
  operator: number | null;
  /** Tightest certified upper bound at the layer's real padding and stride. */
  certified: number | null;
  gram: number | null;
  /** F4 on the polyphase kernel (strided layers) and the Toeplitz bound (Delattre et al. 2024), when stored. */
  polyphase: number | null;
  toeplitz: number | null;
  /** F4 / the best lower value of the operator it is judged against (>= 1 up to round-off: how loose the bound is). */
  ratio: number | null;
  /** Which value the ratio divides by: a registry method id ('operator-power' for a zero-padded layer). */
  ratioAgainst: string | null;
}

/** How the stored layer runs, for the registry's operator rules. */
function geometryOf(model: LayerRecord | null): MethodGeometry {
  if (!model) return UNKNOWN_GEOMETRY;
  const n = model.inputSize ? model.inputSize[0] : undefined;
  return { kind: model.kind, padding: model.padding, stride: model.stride, ...(n !== undefined ? { n } : {}) };
}

const CLASSIFIER_HEAD = /^(fc|dense|linear|classifier|head|logits|out)/i;

/**
 * Network order as well as names allow (the store lists layers by name): numbers compared as
 * numbers (conv2 before conv10, layer1.2 before layer1.10), classifier heads after the convolutions.
 */
export function compareLayerNames(a: string, b: string): number {
  const ha = CLASSIFIER_HEAD.test(a) ? 1 : 0;
  const hb = CLASSIFIER_HEAD.test(b) ? 1 : 0;
  return ha - hb || a.localeCompare(b, 'en', { numeric: true });
}

/** Network order: the model's layer index when known (those first), else compareLayerNames. */
export function layerOrder(
  modelLayers: readonly { name: string; index: number }[] = [],
): (a: string, b: string) => number {
  const index = new Map(modelLayers.map((l) => [l.name, l.index]));
  return (a, b) => {
    const ia = index.get(a) ?? Infinity;
    const ib = index.get(b) ?? Infinity;
    return ia !== ib ? (ia < ib ? -1 : 1) : compareLayerNames(a, b);
  };
}

const finite = (v: number | undefined): number | null => (v === undefined || !Number.isFinite(v) ? null : v);

export function layerRows(at: LayerBoundsAt, modelLayers: readonly LayerRecord[] = []): LayerRow[] {
  const models = new Map(modelLayers.map((l) => [l.name, l]));
  const byLayer = new Map<string, Map<string, number>>();
  for (const b of at.bounds) {
    let m = byLayer.get(b.layer);
    if (!m) byLayer.set(b.layer, (m = new Map()));
    m.set(b.method, b.value);
  }
  return [...byLayer.keys()].sort(layerOrder(modelLayers)).map((layer) => {
    const m = byLayer.get(layer) as Map<string, number>;
    const four = (['R', 'S', 'T', 'U'] as const).map((k) => [k, finite(m.get(`f4-${k}`))] as const);
    const present = four.filter((e): e is readonly [F4Matrix, number] => e[1] !== null);
    let argmin: F4Matrix | null = null;
    let smallest = Infinity;
    for (const [k, v] of present) {
      if (v < smallest) [smallest, argmin] = [v, k];
    }
    const f4 = finite(m.get('f4')) ?? (present.length === 4 ? smallest : null);
    const exact = finite(m.get('sedghi-exact'));
    const model = models.get(layer) ?? null;
    const values = [...m.entries()].filter(([method]) => method !== 'f4').map(([method, value]) => ({ method, value }));
    const ref =
      f4 === null ? null : tightnessReference('f4', [...values, { method: 'f4', value: f4 }], geometryOf(model));
    return {
      layer,
      model,
      R: four[0][1],
      S: four[1][1],
      T: four[2][1],
      U: four[3][1],
      f4,
      argmin,
      exact,
      operator: finite(m.get('operator-power')),
      certified: finite(m.get('certified')),
      gram: finite(m.get('gram-iteration')),
      polyphase: finite(m.get('f4-polyphase')),
      toeplitz: finite(m.get('toeplitz-norm2toep')),
      ratio: f4 !== null && ref ? f4 / ref.value : null,
      ratioAgainst: ref?.method ?? null,
    };
  });
}

export interface CertAt {
  eps: number;
  accuracy: number;
  pairwise: number | null;
}

export interface RunRow {
  id: string;
  name: string;
  status: string;
  dataset: string | null;
  model: string | null;
  regulariser: string | null;
  /** Weight of the penalty; null without a regulariser. */
  beta: number | null;
  cleanAcc: number | null;
  cleanAccName: string | null;
  /** Certified accuracy at the last certified step, keyed by epsKey(eps). */
  certified: Map<string, CertAt>;
  certStep: number | null;
  lipschitz: number | null;
  /** F4 / the best lower value of the same operator (LayerRow.ratio), over the layers at the last evaluation. */
  ratioMean: number | null;
  ratioMax: number | null;
  layerStep: number | null;
  backend: string | null;
}

function numberAt(obj: JsonObject, path: string[]): number | null {
  let cur: unknown = obj;
  for (const k of path)
    cur =
      cur !== null && typeof cur === 'object' && !Array.isArray(cur) ? (cur as Record<string, unknown>)[k] : undefined;
  return typeof cur === 'number' && Number.isFinite(cur) ? cur : null;
}

function lastOf(run: ReportRun, name: string): number | null {
  const m = run.summary.metrics.find((x) => x.name === name);
  return m && m.last !== null && Number.isFinite(m.last) ? m.last : null;
}

export function runRow(run: ReportRun): RunRow {
  const r = run.record;
  const ratios = layerRows(run.layers, run.modelLayers).flatMap((l) => (l.ratio === null ? [] : [l.ratio]));
  const regulariser = r.regulariser;
  const beta =
    regulariser === null || regulariser === 'none'
      ? null
      : (numberAt(r.config, ['regularizer', 'beta']) ?? numberAt(r.config, ['regulariser', 'beta']));
  // The clean accuracy of the final model (a paper reports the last evaluation, not the best one).
  const testAcc = lastOf(run, 'eval/test_acc');
  const headline = run.summary.accuracy;
  const certified = new Map<string, CertAt>();
  for (const c of run.summary.certified)
    certified.set(epsKey(c.eps), { eps: c.eps, accuracy: c.accuracy, pairwise: c.pairwise });
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    dataset: r.dataset,
    model: r.model,
    regulariser,
    beta,
    cleanAcc: testAcc ?? headline?.last ?? null,
    cleanAccName: testAcc !== null ? 'eval/test_acc' : (headline?.name ?? null),
    certified,
    certStep: run.summary.certified[0]?.step ?? null,
    lipschitz: lastOf(run, 'eval/lipschitz'),
    ratioMean: ratios.length ? ratios.reduce((a, b) => a + b, 0) / ratios.length : null,
    ratioMax: ratios.length ? Math.max(...ratios) : null,
    layerStep: run.layers.step,
    backend: r.backend ?? r.environment?.tfjsBackend ?? null,
  };
}

/** Every certification radius of the rows, ascending (one summary-table column each). */
export function certEpsilons(rows: readonly RunRow[]): number[] {
  const byKey = new Map<string, number>();
  for (const row of rows) for (const [k, c] of row.certified) if (!byKey.has(k)) byKey.set(k, c.eps);
  return [...byKey.values()].sort((a, b) => a - b);
}
