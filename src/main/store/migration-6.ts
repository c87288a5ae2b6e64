/**
 * Schema version 6: many processes share one store. Each run records the identity of the process
 * that owns it (boot id + start time, process-identity.ts) next to its pid, so a run whose pid was
 * reused by another program after a crash is still recognised as orphaned; queued runs record
 * their owner too, so runs queued by a killed process can be recovered.
 */
import type { Migration } from './schema.js';

export const MIGRATION_6: Migration = {
  version: 6,
  name: 'run owner identity (many processes per store)',
  up: async (db) => {
    await db.exec('ALTER TABLE runs ADD COLUMN owner TEXT;');
  },
};
