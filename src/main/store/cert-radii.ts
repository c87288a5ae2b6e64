/**
 * Schema version 5 and its table: every evaluation's certified radii, one row per (run, step, certificate), the
 * test points' l2 radii ascending as zlib-packed float64 (0 = misclassified). Certified accuracy at any eps is then
 * one binary search (certifiedAccuracyAt, shared/certify-math.ts): the chart draws a curve, and the configured eps
 * list (the `cert` table) only picks summary-table values.
 */
import zlib from 'node:zlib';
import { RADIUS_KINDS, type RadiusKind } from '../../shared/certify-math.js';
import type { Migration } from './schema.js';
import type { SqliteDb } from './sqlite.js';
import { StoreError } from './errors.js';
import { loadRunRow } from './run-rows.js';

export const MIGRATION_5: Migration = {
  version: 5,
  name: 'certified radii per evaluation and certificate (certified accuracy at every eps)',
  up: async (db) => {
    await db.exec(`
CREATE TABLE cert_radii (
  rid INTEGER NOT NULL REFERENCES runs (rid) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  certificate TEXT NOT NULL CHECK (certificate IN ('lipschitz', 'pairwise')),
  count INTEGER NOT NULL CHECK (count >= 0),
  data BLOB NOT NULL,
  PRIMARY KEY (rid, step, certificate)
) WITHOUT ROWID;`);
  },
};

export type RadiiByCertificate = Partial<Record<RadiusKind, ArrayLike<number>>>;

/** Radii must be numbers >= 0 (Infinity allowed: a point no perturbation can move), ascending. */
export function checkRadii(step: number, radii: RadiiByCertificate): void {
  const bad = (what: string, hint: string) =>
    new StoreError('invalid-input', `certified radii at step ${step}: ${what}`, hint);
  if (!Number.isSafeInteger(step) || step < 0)
    throw bad(`step ${step} is not a non-negative integer.`, 'Pass the global training step of the evaluation.');
  for (const [name, r] of Object.entries(radii)) {
    if (!(RADIUS_KINDS as readonly string[]).includes(name))
      throw bad(`unknown certificate "${name}".`, `Use one of: ${RADIUS_KINDS.join(', ')}.`);
    if (r === undefined) continue;
    for (let i = 0; i < r.length; i++) {
      if (!(r[i] >= 0) || (i > 0 && r[i] < r[i - 1])) {
        throw bad(
          `${name} radius [${i}] is ${r[i]}; radii must be numbers >= 0 in ascending order.`,
          'Sort the radii (sortRadii in shared/certify-math.ts) and pass 0 for misclassified points.',
        );
      }
    }
  }
}

export async function putCertRadii(wdb: SqliteDb, rid: number, step: number, radii: RadiiByCertificate): Promise<void> {
  checkRadii(step, radii);
  const rows = Object.entries(radii).filter((e): e is [RadiusKind, ArrayLike<number>] => e[1] !== undefined);
  if (rows.length === 0) return;
  await wdb.transaction(async () => {
    for (const [name, r] of rows) {
      const arr = Float64Array.from(r);
      const data = zlib.deflateSync(Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength));
      await wdb.run('INSERT OR REPLACE INTO cert_radii (rid, step, certificate, count, data) VALUES (?, ?, ?, ?, ?)', [
        rid,
        step,
        name,
        arr.length,
        data,
      ]);
    }
  });
}

export interface CertRadiiRecord {
  runId: string;
  /** The evaluation step (the latest when none was asked for); null when the run has none. */
  step: number | null;
  /** Steps that have radii. */
  availableSteps: number[];
  radii: Partial<Record<RadiusKind, number[]>>;
}

/** The radii of one evaluation (default: the latest that has any). */
export async function getCertRadii(db: SqliteDb, runId: string, step?: number): Promise<CertRadiiRecord> {
  const run = await loadRunRow(db, runId);
  const steps = (
    await db.all<{ step: number }>('SELECT DISTINCT step FROM cert_radii WHERE rid = ? ORDER BY step', [run.rid])
  ).map((r) => r.step);
  const at = step ?? steps[steps.length - 1];
  const out: CertRadiiRecord = { runId, step: null, availableSteps: steps, radii: {} };
  if (at === undefined || !steps.includes(at)) return out;
  const rows = await db.all<{ certificate: RadiusKind; count: number; data: Buffer }>(
    'SELECT certificate, count, data FROM cert_radii WHERE rid = ? AND step = ?',
    [run.rid, at],
  );
  out.step = at;
  for (const r of rows) {
    const raw = zlib.inflateSync(r.data);
    const bytes = new Uint8Array(raw.length);
    bytes.set(raw);
    out.radii[r.certificate] = Array.from(new Float64Array(bytes.buffer, 0, r.count));
  }
  return out;
}
