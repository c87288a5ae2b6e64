/**
 * What the store keeps in its own layout and the contract names otherwise: certified accuracy (its own
 * table) as series "certified/<eps>", and per-layer bounds as LayerBounds rows. Runs, summaries and
 * config diffs need no mapping: the store returns the contract's records (src/shared/records.ts).
 */
import type { LayerBounds, LayerBoundsRow } from '../../shared/api.js';
import type { BoundKind, F4Matrix } from '../../shared/bounds.js';
import {
  CERTIFIED_TOKEN,
  isBoundMethod,
  validityOf,
  type BoundMethod,
  type MethodGeometry,
} from '../../shared/bound-methods.js';
import type * as rec from '../../shared/records.js';

/** Series name of certified accuracy at radius eps, as the live events and getSeries call it. */
export const certifiedSeriesName = (eps: number, pairwise = false): string =>
  `${pairwise ? 'certified_pairwise' : 'certified'}/${eps}`;

export function parseCertifiedSeries(name: string): { eps: number; pairwise: boolean } | null {
  const m = /^(certified|certified_pairwise)\/(.+)$/.exec(name);
  if (!m) return null;
  const eps = Number(m[2]);
  return Number.isFinite(eps) ? { eps, pairwise: m[1] === 'certified_pairwise' } : null;
}

const KIND: Record<rec.LayerBoundKind, BoundKind> = {
  upper: 'upper bound',
  exact: 'exact',
  estimate: 'estimate (lower)',
};
const RESHAPE = /^f4-([RSTU])$/;

/** How the stored layer runs, for the registry's validity (bound-methods.ts); stride 1 'same' when unknown. */
function geometryOf(meta: rec.LayerRecord | undefined): MethodGeometry {
  const n = meta?.inputSize
    ? meta.inputSize[0] === meta.inputSize[1]
      ? meta.inputSize[0]
      : ([meta.inputSize[0], meta.inputSize[1]] as [number, number])
    : undefined;
  return {
    kind: meta?.kind ?? 'conv',
    padding: meta?.padding ?? 'same',
    stride: meta?.stride ?? 1,
    ...(n !== undefined ? { n } : {}),
  };
}

/**
 * One row per layer, in model order. The store keeps value and kind per (layer, method) and the layers'
 * kernel shapes; the F4 reshapes (stored as sqrt(hw)*||M||) become f4Matrices (||M|| alone) when the
 * shape is known. 'certified' (the bound the Lipschitz bound used) becomes the row's `certified`.
 * Iterations and time not recorded (runs from older workers) read as 0.
 */
export function layerBoundsOf(
  at: { runId: string; step: number | null; availableSteps: number[]; bounds: rec.LayerBoundRecord[] },
  known: rec.LayerRecord[],
  methods?: BoundMethod[],
): LayerBounds {
  const metaOf = new Map(known.map((m) => [m.name, m]));
  const rows = new Map<string, LayerBoundsRow>();
  for (const b of at.bounds) {
    const meta = metaOf.get(b.layer);
    let row = rows.get(b.layer);
    if (!row) {
      row = {
        layer: b.layer,
        index: meta?.index ?? -1,
        kernelShape: meta ? [...meta.kernelShape] : [],
        bounds: [],
        ...(meta ? { geometry: geometryOf(meta) } : {}),
      };
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
    row.bounds.push({
      method,
      value: b.value,
      kind: KIND[b.kind],
      validFor: validityOf(method, row.geometry ?? geometryOf(meta)),
      iterations: b.iterations ?? 0,
      timeMs: b.timeMs ?? 0,
    });
  }
  const rank = (r: LayerBoundsRow) => (r.index < 0 ? Number.MAX_SAFE_INTEGER : r.index);
  const layers = [...rows.values()].sort(
    (a, b) => rank(a) - rank(b) || a.layer.localeCompare(b.layer, undefined, { numeric: true }),
  );
  layers.forEach((l, i) => {
    if (l.index < 0) l.index = i;
  });
  return { runId: at.runId, step: at.step, availableSteps: at.availableSteps, layers };
}
