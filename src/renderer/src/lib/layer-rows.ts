/** The per-layer table of a getLayerBounds answer: the four F4 norms, the minimum, exact, estimate, ratio. Pure TS. */
import type { LayerBoundsRow } from '../../../shared/api';
import type { F4Matrix } from '../../../shared/bounds';
import { canonicalMethod } from './series-names';

export interface LayerTableRow {
  layer: string;
  shape: string;
  /** √hw·‖M‖ for each reshape (Theorem 1's four bounds), when recorded. */
  four: Partial<Record<F4Matrix, number>>;
  argmin: F4Matrix | null;
  f4: number | null;
  exact: number | null;
  estimate: number | null;
  gram: number | null;
  /** f4 / exact (1 = tight). */
  ratio: number | null;
}

const valueOf = (row: LayerBoundsRow, method: string) => row.bounds.find((b) => canonicalMethod(b.method) === method)?.value ?? null;

export function layerTableRows(rows: readonly LayerBoundsRow[]): LayerTableRow[] {
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
    const f4 = valueOf(r, 'f4') ?? (argmin ? (four[argmin] as number) : null);
    const exact = valueOf(r, 'sedghi-exact') ?? valueOf(r, 'dense-exact');
    return {
      layer: r.layer,
      shape: r.kernelShape.join('×'),
      four,
      argmin,
      f4,
      exact,
      estimate: valueOf(r, 'operator-power'),
      gram: valueOf(r, 'gram-iteration'),
      ratio: f4 !== null && exact !== null && exact > 0 ? f4 / exact : null,
    };
  });
}
