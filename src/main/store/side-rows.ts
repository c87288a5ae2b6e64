/**
 * Rows the batch writer carries next to series points: certified accuracy, spectra and the details of
 * layer bounds (iterations, time). They wait in memory with the points and are written in the same
 * transaction, so an evaluation lands whole or not at all.
 */
import { splitDouble, sqlDouble } from './exact-double.js';
import type { SqliteDb, Statement } from './sqlite.js';

export interface CertRow {
  rid: number;
  step: number;
  eps: number;
  accuracy: number;
  pairwise: number | null;
}

export interface SpectrumRow {
  rid: number;
  layer: string;
  method: string;
  step: number;
  count: number;
  dtype: 'f32' | 'f64';
  data: Buffer;
}

/** How a layer bound at a step was computed (the value itself is a point of its bound series). */
export interface BoundDetailRow {
  rid: number;
  layer: string;
  method: string;
  step: number;
  iterations: number | null;
  timeMs: number | null;
}

export interface SideRows {
  cert: CertRow[];
  spectra: SpectrumRow[];
  details: BoundDetailRow[];
}

export const INSERT_CERT_SQL = `INSERT OR REPLACE INTO cert (rid, step, eps, accuracy, pairwise)
  SELECT value->>0, value->>1, ${sqlDouble(2)}, ${sqlDouble(4)}, ${sqlDouble(6)} FROM jsonb_each(?1)`;
export const INSERT_DETAILS_SQL = `INSERT OR REPLACE INTO bound_details (rid, layer, method, step, iterations, time_ms)
  SELECT value->>0, value->>1, value->>2, value->>3, value->>4, ${sqlDouble(5)} FROM jsonb_each(?1)`;

export function emptySideRows(): SideRows {
  return { cert: [], spectra: [], details: [] };
}

export function sideRowCount(s: SideRows): number {
  return s.cert.length + s.spectra.length + s.details.length;
}

/** Put rows taken by a failed flush back in front of those appended meanwhile. */
export function restoreSideRows(into: SideRows, taken: SideRows): void {
  into.cert = taken.cert.concat(into.cert);
  into.spectra = taken.spectra.concat(into.spectra);
  into.details = taken.details.concat(into.details);
}

/** Forget the rows of a deleted run; returns how many were dropped. */
export function dropSideRows(s: SideRows, rid: number): number {
  const before = sideRowCount(s);
  s.cert = s.cert.filter((r) => r.rid !== rid);
  s.spectra = s.spectra.filter((r) => r.rid !== rid);
  s.details = s.details.filter((r) => r.rid !== rid);
  return before - sideRowCount(s);
}

/** Write the rows (inside the caller's transaction), skipping runs deleted meanwhile. */
export async function writeSideRows(
  db: SqliteDb,
  st: { cert: Statement; details: Statement },
  s: SideRows,
  deleted: ReadonlySet<number>,
): Promise<void> {
  const cert = s.cert.filter((r) => !deleted.has(r.rid));
  if (cert.length > 0) {
    const rows = cert.map((r) => [
      r.rid,
      r.step,
      ...splitDouble(r.eps),
      ...splitDouble(r.accuracy),
      ...splitDouble(r.pairwise ?? NaN),
    ]);
    await st.cert.run([JSON.stringify(rows)]);
  }
  const details = s.details.filter((r) => !deleted.has(r.rid));
  if (details.length > 0) {
    const rows = details.map((r) => [r.rid, r.layer, r.method, r.step, r.iterations, ...splitDouble(r.timeMs ?? NaN)]);
    await st.details.run([JSON.stringify(rows)]);
  }
  for (const sp of s.spectra) {
    if (deleted.has(sp.rid)) continue;
    await db.run(
      'INSERT OR REPLACE INTO spectra (rid, layer, method, step, count, dtype, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [sp.rid, sp.layer, sp.method, sp.step, sp.count, sp.dtype, sp.data],
    );
  }
}
