/**
 * Schema version 10: cert_radii also keeps the empirical PGD curve of an evaluation (certificate 'pgd': per attacked
 * point the smallest ε of the attack grid at which PGD broke it; RADIUS_KINDS in shared/certify-math.ts). SQLite
 * cannot widen a CHECK in place, so the table is rebuilt with the same rows.
 */
import type { Migration } from './schema.js';

export const MIGRATION_10: Migration = {
  version: 10,
  name: "certified radii also hold the PGD attack's breaking radii (empirical curve above the certified ones)",
  up: async (db) => {
    await db.exec(`
CREATE TABLE cert_radii_v10 (
  rid INTEGER NOT NULL REFERENCES runs (rid) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  certificate TEXT NOT NULL CHECK (certificate IN ('lipschitz', 'pairwise', 'pgd')),
  count INTEGER NOT NULL CHECK (count >= 0),
  data BLOB NOT NULL,
  PRIMARY KEY (rid, step, certificate)
) WITHOUT ROWID;
INSERT INTO cert_radii_v10 (rid, step, certificate, count, data) SELECT rid, step, certificate, count, data FROM cert_radii;
DROP TABLE cert_radii;
ALTER TABLE cert_radii_v10 RENAME TO cert_radii;`);
  },
};
