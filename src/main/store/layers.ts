/**
 * The layers of a run's model that bounds are computed for (conv and dense, kernel shape HWIO, stride,
 * padding, input size n): what a stored bound is valid for. Written when the engine announces the model
 * and again when an evaluation tells the input size each layer sees; one transaction per change.
 */
import type { LayerInput, LayerPadding, LayerRecord } from '../../shared/records.js';
import { StoreError } from './errors.js';
import { loadRunRows } from './run-rows.js';
import type { SqliteDb } from './sqlite.js';

const PADDINGS: readonly LayerPadding[] = ['same', 'valid', 'circular'];

const positiveInt = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 1;

/** Refuse what would make a bound's validity wrong, saying which layer and field. */
export function checkLayerInput(l: LayerInput): void {
  const bad = (what: string, hint: string): never => {
    throw new StoreError('invalid-input', `layer ${JSON.stringify(l?.name)}: ${what}`, hint);
  };
  if (!l || typeof l !== 'object')
    bad('is not an object.', 'Pass { name, kind, kernelShape, stride, padding, inputSize }.');
  if (typeof l.name !== 'string' || l.name.length === 0 || l.name.length > 200)
    bad(
      'the name must be a non-empty string of at most 200 characters.',
      'Use the layer name of the model, e.g. "conv1".',
    );
  if (l.kind !== 'conv' && l.kind !== 'dense')
    bad(
      `kind ${JSON.stringify(l.kind)} is not "conv" or "dense".`,
      'Only conv and dense layers have spectral-norm bounds; leave out batch norm and pooling.',
    );
  if (!Array.isArray(l.kernelShape) || l.kernelShape.length !== 4 || !l.kernelShape.every(positiveInt)) {
    bad(
      `kernel shape ${JSON.stringify(l.kernelShape)} is not four positive integers [h, w, c_in, c_out].`,
      'Give the HWIO shape; a dense layer [in, out] is [1, 1, in, out].',
    );
  }
  if (!positiveInt(l.stride))
    bad(`stride ${String(l.stride)} is not a positive integer.`, 'Pass the layer stride (1 when it has none).');
  if (!PADDINGS.includes(l.padding))
    bad(
      `padding ${JSON.stringify(l.padding)} is not one of ${PADDINGS.join(', ')}.`,
      'Pass the padding the layer runs with.',
    );
  if (
    l.inputSize !== null &&
    !(Array.isArray(l.inputSize) && l.inputSize.length === 2 && l.inputSize.every(positiveInt))
  ) {
    bad(
      `input size ${JSON.stringify(l.inputSize)} is not [h, w] of positive integers.`,
      'Pass the spatial size of the layer input ([1, 1] for dense), or null when not known yet.',
    );
  }
  if (l.index !== undefined && !(Number.isSafeInteger(l.index) && l.index >= 0))
    bad(
      `index ${String(l.index)} is not a non-negative integer.`,
      'Pass the position among the conv and dense layers, or leave it out.',
    );
}

const UPSERT_SQL = `INSERT INTO layers (rid, name, idx, kind, kernel_h, kernel_w, c_in, c_out, stride, padding, input_h, input_w)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (rid, name) DO UPDATE SET idx = excluded.idx, kind = excluded.kind, kernel_h = excluded.kernel_h,
    kernel_w = excluded.kernel_w, c_in = excluded.c_in, c_out = excluded.c_out, stride = excluded.stride,
    padding = excluded.padding, input_h = coalesce(excluded.input_h, input_h), input_w = coalesce(excluded.input_w, input_w)`;

/** Insert or update layers of a run (checked first: a refused list writes nothing). */
export async function upsertLayers(wdb: SqliteDb, rid: number, layers: readonly LayerInput[]): Promise<void> {
  for (const l of layers) checkLayerInput(l);
  if (layers.length === 0) return;
  await wdb.transaction(async () => {
    const known = new Map(
      (await wdb.all<{ name: string; idx: number }>('SELECT name, idx FROM layers WHERE rid = ?', [rid])).map((r) => [
        r.name,
        r.idx,
      ]),
    );
    let next = known.size === 0 ? 0 : Math.max(...known.values()) + 1;
    for (const l of layers) {
      const idx = l.index ?? known.get(l.name) ?? next;
      next = Math.max(next, idx + 1);
      known.set(l.name, idx);
      const [h, w, ci, co] = l.kernelShape;
      await wdb.run(UPSERT_SQL, [
        rid,
        l.name,
        idx,
        l.kind,
        h,
        w,
        ci,
        co,
        l.stride,
        l.padding,
        l.inputSize?.[0] ?? null,
        l.inputSize?.[1] ?? null,
      ]);
    }
  });
}

interface LayerRow {
  name: string;
  idx: number;
  kind: 'conv' | 'dense';
  kernel_h: number;
  kernel_w: number;
  c_in: number;
  c_out: number;
  stride: number;
  padding: LayerPadding;
  input_h: number | null;
  input_w: number | null;
}

/** The layers of a run in model order ([] when none were recorded, e.g. runs from before schema 4). */
export async function listLayers(db: SqliteDb, runId: string): Promise<LayerRecord[]> {
  const [run] = await loadRunRows(db, [runId]);
  const rows = await db.all<LayerRow>('SELECT * FROM layers WHERE rid = ? ORDER BY idx, name', [run.rid]);
  return rows.map((r) => ({
    runId,
    index: r.idx,
    name: r.name,
    kind: r.kind,
    kernelShape: [r.kernel_h, r.kernel_w, r.c_in, r.c_out],
    stride: r.stride,
    padding: r.padding,
    inputSize: r.input_h === null || r.input_w === null ? null : [r.input_h, r.input_w],
  }));
}
