/**
 * The per-layer table of a getLayerBounds answer: Theorem 1's four norms with their minimum, then one column per
 * method of the registry that the answer has (F4 polyphase, the certified bound used for the Lipschitz bound, Gram,
 * Toeplitz, the exact circular norm labelled "circular, stride 1", the operator estimate), and F4 over the best
 * lower value of the operator it is judged against. Pure TS.
 */
import type { LayerBoundsRow } from '../../../shared/api';
import type { F4Matrix } from '../../../shared/bounds';
import {
  BOUND_METHODS,
  operatorLabel,
  RESHAPE_TOKENS,
  seriesSpecs,
  tightnessReference,
  type BoundMethodSpec,
} from '../../../shared/bound-methods';
import { methodLabel } from './series-names';
import { rowValues, UNKNOWN_GEOMETRY } from './tightness';

export interface LayerTableRow {
  layer: string;
  shape: string;
  /** "stride 2, zero padding" where the store knows the geometry. */
  runs: string;
  /** √hw·‖M‖ for each reshape (Theorem 1's four bounds), when recorded. */
  four: Partial<Record<F4Matrix, number>>;
  argmin: F4Matrix | null;
  f4: number | null;
  /** Value per column id (layerTableColumns), null where not recorded. */
  values: Record<string, number | null>;
  /** F4 / reference (1 = tight), and what the reference is. */
  ratio: number | null;
  reference: string | null;
}

export interface LayerTableColumn {
  id: string;
  /** Short header (the registry's column name); `label` is the full name for the table's key. */
  header: string;
  label: string;
  kind: string;
  title: string;
  color: string;
}

/** The method columns, in registry order: every method (and the certified bound) some row has a value of. */
export function layerTableColumns(
  rows: readonly LayerBoundsRow[],
  registry: readonly BoundMethodSpec[] = BOUND_METHODS,
): LayerTableColumn[] {
  const present = new Set(rows.flatMap((r) => rowValues(r).map((v) => v.method)));
  return seriesSpecs(registry)
    .filter((m) => m.id !== 'f4' && !(RESHAPE_TOKENS as readonly string[]).includes(m.id) && present.has(m.id))
    .map((m) => ({
      id: m.id,
      header: m.column,
      label: m.label,
      kind: m.kind,
      title: `${m.label}, ${m.kind}: ${m.paper}`,
      color: m.color,
    }));
}

export function layerTableRows(
  rows: readonly LayerBoundsRow[],
  registry: readonly BoundMethodSpec[] = BOUND_METHODS,
): LayerTableRow[] {
  const columns = layerTableColumns(rows, registry);
  return rows.map((r) => {
    const [h, w] = r.kernelShape;
    const sqrtHW = Math.sqrt((h ?? 1) * (w ?? 1));
    const four: Partial<Record<F4Matrix, number>> = {};
    let argmin: F4Matrix | null = null;
    if (r.f4Matrices) {
      for (const m of ['R', 'S', 'T', 'U'] as const) {
        four[m] = sqrtHW * r.f4Matrices[m];
        if (argmin === null || (four[m] as number) < (four[argmin] as number)) argmin = m;
      }
    }
    const values = rowValues(r);
    const f4 = values.find((v) => v.method === 'f4')?.value ?? (argmin ? (four[argmin] as number) : null);
    const g = r.geometry ?? UNKNOWN_GEOMETRY;
    const ref =
      f4 !== null
        ? tightnessReference(
            'f4',
            [...values.filter((v) => v.method !== 'f4'), { method: 'f4', value: f4 }],
            g,
            registry,
          )
        : null;
    return {
      layer: r.layer,
      shape: r.kernelShape.join('×'),
      runs: r.geometry
        ? `stride ${r.geometry.stride}, ${r.geometry.padding === 'circular' ? 'circular' : `zero (${r.geometry.padding})`}`
        : '',
      four,
      argmin,
      f4,
      values: Object.fromEntries(columns.map((c) => [c.id, values.find((v) => v.method === c.id)?.value ?? null])),
      ratio: f4 !== null && ref ? f4 / ref.value : null,
      reference: ref ? `${methodLabel(ref.method)} (${operatorLabel(ref.operator, g)})` : null,
    };
  });
}
