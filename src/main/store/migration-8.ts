/**
 * Schema version 8: sweeps and the persistent run queue.
 * `sweeps`: one row per sweep file expanded (its text, the swept keys Compare groups by).
 * `sweep_runs`: which run is which point of a sweep (`item`), and which attempt (a crashed run stays
 * as it is; its retry is a new run, attempt + 1, of the same item).
 * `run_queue`: the queued runs waiting for a slot, in `position` order; `target` says who takes them:
 * 'local' = a process on this machine (app, serve, `queue run`), 'redis' = BullMQ workers through the
 * `sweep --redis` owner. A row lives from queueing until the run is claimed, so a queue survives a
 * restart of the process that owns it.
 */
import type { Migration } from './schema.js';

const V8_QUEUE = `
CREATE TABLE sweeps (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  spec TEXT NOT NULL,
  keys TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE sweep_runs (
  rid INTEGER PRIMARY KEY REFERENCES runs (rid) ON DELETE CASCADE,
  sweep_id TEXT NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
  item INTEGER NOT NULL CHECK (item >= 0),
  attempt INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1),
  assignment TEXT NOT NULL
);
CREATE INDEX sweep_runs_item ON sweep_runs (sweep_id, item, attempt);

CREATE TABLE run_queue (
  rid INTEGER PRIMARY KEY REFERENCES runs (rid) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  target TEXT NOT NULL DEFAULT 'local' CHECK (target IN ('local', 'redis')),
  enqueued_at INTEGER NOT NULL
);
CREATE INDEX run_queue_order ON run_queue (target, position);
`;

export const MIGRATION_8: Migration = {
  version: 8,
  name: 'sweeps and the persistent run queue',
  up: async (db) => {
    await db.exec(V8_QUEUE);
  },
};
