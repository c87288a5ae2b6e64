/**
 * Before schema 4 the app kept per-layer facts (kernel shape, stride, padding, input size) outside the
 * store, as <dataDir>/run-layers/<runId>.json. Migration 4 moves them into the `layers` table; the files
 * are removed once that migration has committed. The SQL here is frozen with migration 4 (a released
 * migration never changes), so it does not share the live upsert of layers.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SqliteDb } from './sqlite.js';

export const LEGACY_LAYER_DIR = 'run-layers';

interface LegacyLayer {
  name?: unknown;
  kind?: unknown;
  shape?: unknown;
  stride?: unknown;
  padding?: unknown;
  inputSize?: unknown;
}

const posInt = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 1;

/** The side files next to a store file, with the run id each one names. */
export function legacyLayerFiles(storeFile: string): { file: string; runId: string }[] {
  const dir = path.join(path.dirname(storeFile), LEGACY_LAYER_DIR);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return []; // none written: a store that never ran under the app shell
  }
  return names
    .filter((n) => n.endsWith('.json'))
    .map((n) => ({ file: path.join(dir, n), runId: n.slice(0, -'.json'.length) }));
}

function usable(l: LegacyLayer): l is {
  name: string;
  kind: 'conv' | 'dense';
  shape: number[];
  stride?: unknown;
  padding?: unknown;
  inputSize?: unknown;
} {
  return (
    typeof l?.name === 'string' &&
    l.name.length > 0 &&
    (l.kind === 'conv' || l.kind === 'dense') &&
    Array.isArray(l.shape) &&
    l.shape.length === 4 &&
    l.shape.every(posInt)
  );
}

/**
 * Copy the layers of every side file whose run exists into `layers` (inside the migration's
 * transaction). An unreadable file or entry is skipped: it only ever held display details.
 */
export async function importLegacyLayerFiles(db: SqliteDb, storeFile: string): Promise<number> {
  let imported = 0;
  for (const { file, runId } of legacyLayerFiles(storeFile)) {
    let parsed: { runId?: unknown; layers?: unknown };
    try {
      parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof parsed;
    } catch {
      continue;
    }
    const id = typeof parsed.runId === 'string' ? parsed.runId : runId;
    const run = await db.get<{ rid: number }>('SELECT rid FROM runs WHERE id = ?', [id]);
    if (!run || !Array.isArray(parsed.layers)) continue;
    const layers = (parsed.layers as LegacyLayer[]).filter(usable);
    for (const [idx, l] of layers.entries()) {
      const size =
        Array.isArray(l.inputSize) && l.inputSize.length === 2 && l.inputSize.every(posInt)
          ? (l.inputSize as number[])
          : [null, null];
      await db.run(
        `INSERT OR IGNORE INTO layers (rid, name, idx, kind, kernel_h, kernel_w, c_in, c_out, stride, padding, input_h, input_w)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          run.rid,
          l.name,
          idx,
          l.kind,
          ...l.shape,
          posInt(l.stride) ? l.stride : 1,
          l.padding === 'valid' ? 'valid' : 'same',
          size[0],
          size[1],
        ],
      );
      imported++;
    }
  }
  return imported;
}

/** After migration 4 committed: the side files are in the store now. Failures leave stray files only. */
export function removeLegacyLayerFiles(storeFile: string): void {
  for (const { file } of legacyLayerFiles(storeFile)) fs.rmSync(file, { force: true });
  try {
    fs.rmdirSync(path.join(path.dirname(storeFile), LEGACY_LAYER_DIR));
  } catch {
    // not empty (a file we did not write) or already gone
  }
}
