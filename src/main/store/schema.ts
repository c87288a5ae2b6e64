/**
 * The schema, as the list of migrations that build it. PRAGMA user_version = number of the last
 * migration applied; PRAGMA application_id marks the file as Spectral Lab's. A migration is never
 * edited once released: a change is a new migration at the end.
 *
 * Series are compact: a `series` row per (run, name) and points keyed (series_id, step) in a
 * WITHOUT ROWID table, so a point costs ~15 bytes instead of repeating the run and the name.
 * A point's epoch is the value of the run's "epoch" series at its step; `t` is milliseconds since
 * the run was created. Values are REAL; NULL means NaN.
 */
import { MIGRATION_5 } from './cert-radii.js';
import { MIGRATION_10 } from './cert-radii-pgd.js';
import { importLegacyLayerFiles, removeLegacyLayerFiles } from './legacy-layer-files.js';
import { MIGRATION_6 } from './migration-6.js';
import { MIGRATION_8 } from './migration-8.js';
import { MIGRATION_9 } from './model-analyses.js';
import { rebuildRollup } from './rollup.js';
import { RUN_LOG_MIGRATION } from './run-log.js';
import type { SqliteDb } from './sqlite.js';

/** 'SpLb' — the application_id of a Spectral Lab run store. */
export const APPLICATION_ID = 0x53704c62;

export interface Migration {
  version: number;
  name: string;
  /** Runs inside the migration's transaction; `file` is the store file being upgraded. */
  up(db: SqliteDb, file: string): Promise<void>;
  /** Tidying outside the database once the migration has committed (its failure changes nothing). */
  afterCommit?(file: string): void;
}

const V1_CORE = `
CREATE TABLE runs (
  rid INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: writers cache rids
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'crashed')),
  backend TEXT,
  config TEXT NOT NULL,
  config_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  heartbeat_at INTEGER,
  pid INTEGER,
  host TEXT,
  error TEXT,
  reason TEXT,
  environment TEXT,
  notes TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_status ON runs (status);
CREATE INDEX runs_created ON runs (created_at);

CREATE TABLE series (
  id INTEGER PRIMARY KEY,
  rid INTEGER NOT NULL REFERENCES runs (rid) ON DELETE CASCADE,
  name TEXT NOT NULL,
  layer TEXT,
  method TEXT,
  bound_kind TEXT CHECK (bound_kind IN ('upper', 'exact', 'estimate')),
  UNIQUE (rid, name)
);

CREATE TABLE points (
  series_id INTEGER NOT NULL,
  step INTEGER NOT NULL,
  value REAL,
  t INTEGER,
  PRIMARY KEY (series_id, step)
) WITHOUT ROWID;

CREATE TABLE cert (
  rid INTEGER NOT NULL REFERENCES runs (rid) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  eps REAL NOT NULL,
  accuracy REAL NOT NULL,
  pairwise REAL,
  PRIMARY KEY (rid, step, eps)
) WITHOUT ROWID;

CREATE TABLE spectra (
  id INTEGER PRIMARY KEY,
  rid INTEGER NOT NULL REFERENCES runs (rid) ON DELETE CASCADE,
  layer TEXT NOT NULL,
  method TEXT NOT NULL,
  step INTEGER NOT NULL,
  count INTEGER NOT NULL,
  dtype TEXT NOT NULL CHECK (dtype IN ('f32', 'f64')),
  data BLOB NOT NULL,
  UNIQUE (rid, layer, method, step)
);

CREATE TABLE checkpoints (
  id INTEGER PRIMARY KEY,
  rid INTEGER NOT NULL REFERENCES runs (rid) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  path TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX checkpoints_run ON checkpoints (rid, step);

CREATE TABLE tags (
  rid INTEGER NOT NULL REFERENCES runs (rid) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY (rid, tag)
) WITHOUT ROWID;
CREATE INDEX tags_tag ON tags (tag, rid);
`;

const V2_ROLLUP = `
CREATE TABLE series_rollup (
  series_id INTEGER NOT NULL,
  level INTEGER NOT NULL,
  block INTEGER NOT NULL,
  n INTEGER NOT NULL,
  s0 INTEGER NOT NULL,
  s1 INTEGER NOT NULL,
  vmin REAL,
  smin INTEGER,
  vmax REAL,
  smax INTEGER,
  PRIMARY KEY (series_id, level, block)
) WITHOUT ROWID;
`;

/** Facet columns for filtering; the backfill reads the paths of the RunConfig schema (src/shared/config.ts). */
const V3_FACETS = `
ALTER TABLE runs ADD COLUMN dataset TEXT;
ALTER TABLE runs ADD COLUMN model TEXT;
ALTER TABLE runs ADD COLUMN regulariser TEXT;
ALTER TABLE runs ADD COLUMN last_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE checkpoints ADD COLUMN label TEXT;
UPDATE runs SET
  dataset = coalesce(config ->> '$.dataset.name', CASE json_type(config, '$.dataset') WHEN 'text' THEN config ->> '$.dataset' END),
  model = coalesce(config ->> '$.model.arch', config ->> '$.model.name', CASE json_type(config, '$.model') WHEN 'text' THEN config ->> '$.model' END),
  regulariser = coalesce(config ->> '$.regularizer.kind', config ->> '$.regulariser.kind',
    CASE json_type(config, '$.regularizer') WHEN 'text' THEN config ->> '$.regularizer' END,
    CASE json_type(config, '$.regulariser') WHEN 'text' THEN config ->> '$.regulariser' END),
  last_step = coalesce((SELECT max(p.step) FROM series s JOIN points p ON p.series_id = s.id WHERE s.rid = runs.rid), 0);
CREATE INDEX runs_facets ON runs (dataset, model, regulariser);
CREATE INDEX runs_config_hash ON runs (config_hash);
CREATE INDEX series_layer ON series (rid, layer, method) WHERE layer IS NOT NULL;
`;

/**
 * What each layer bound is valid for and how it was computed. `layers`: the conv and dense layers of a
 * run (kernel HWIO, stride, padding, input size n = input_h x input_w, NULL until an evaluation tells).
 * `bound_details`: iterations and time of a bound value, keyed like the point of its series
 * "bound/<method>/<layer>" at that step (a side table: scalar points stay ~15 bytes).
 */
const V4_LAYERS = `
CREATE TABLE layers (
  rid INTEGER NOT NULL REFERENCES runs (rid) ON DELETE CASCADE,
  name TEXT NOT NULL,
  idx INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('conv', 'dense')),
  kernel_h INTEGER NOT NULL CHECK (kernel_h >= 1),
  kernel_w INTEGER NOT NULL CHECK (kernel_w >= 1),
  c_in INTEGER NOT NULL CHECK (c_in >= 1),
  c_out INTEGER NOT NULL CHECK (c_out >= 1),
  stride INTEGER NOT NULL DEFAULT 1 CHECK (stride >= 1),
  padding TEXT NOT NULL CHECK (padding IN ('same', 'valid', 'circular')),
  input_h INTEGER CHECK (input_h >= 1),
  input_w INTEGER CHECK (input_w >= 1),
  PRIMARY KEY (rid, name)
) WITHOUT ROWID;

CREATE TABLE bound_details (
  rid INTEGER NOT NULL REFERENCES runs (rid) ON DELETE CASCADE,
  layer TEXT NOT NULL,
  method TEXT NOT NULL,
  step INTEGER NOT NULL,
  iterations INTEGER CHECK (iterations >= 0),
  time_ms REAL CHECK (time_ms >= 0),
  PRIMARY KEY (rid, layer, method, step)
) WITHOUT ROWID;
`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, series, points, certified accuracy, spectra, checkpoints, tags',
    up: async (db) => {
      await db.exec(V1_CORE);
      await db.run(`PRAGMA application_id = ${APPLICATION_ID}`);
    },
  },
  {
    version: 2,
    name: 'series rollup (min/max blocks) for fast downsampling',
    up: async (db) => {
      await db.exec(V2_ROLLUP);
      const series = await db.all<{ id: number; lo: number; hi: number }>(
        'SELECT series_id AS id, min(step) AS lo, max(step) AS hi FROM points GROUP BY series_id',
      );
      for (const s of series) await rebuildRollup(db, s.id, s.lo, s.hi);
    },
  },
  {
    version: 3,
    name: 'run facets (dataset, model, regulariser), last step, checkpoint labels',
    up: async (db) => {
      await db.exec(V3_FACETS);
    },
  },
  {
    version: 4,
    name: 'layers (kernel shape, stride, padding, input size) and bound details (iterations, time)',
    up: async (db, file) => {
      await db.exec(V4_LAYERS);
      await importLegacyLayerFiles(db, file);
    },
    afterCommit: removeLegacyLayerFiles,
  },
  MIGRATION_5,
  MIGRATION_6,
  RUN_LOG_MIGRATION,
  MIGRATION_8,
  MIGRATION_9,
  MIGRATION_10,
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
