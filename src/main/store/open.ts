/**
 * Opening a store folder: look at the database file without touching it (header, application id,
 * PRAGMA quick_check), open two connections (one writer, one reader: in WAL mode readers never block
 * the writer), upgrade the schema, and recover runs of processes that are gone. No folder lock: any
 * number of processes share the store (WAL + busy timeout); each run is locked by its writer (lock.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BatchWriter, type FlushStats } from './batch.js';
import { defaultDataDir, storePaths, type StorePaths } from './data-dir.js';
import { StoreError } from './errors.js';
import { defaultFacets, type FacetExtractor } from './facets.js';
import { inspectDatabaseFile } from './inspect.js';
import { readLock } from './lock.js';
import { migrate, type MigrationReport } from './migrate.js';
import { ownerState } from './process-identity.js';
import { recoverCrashedRuns, type RecoveredRun } from './recovery.js';
import type { ConfigValidator } from './runs.js';
import { LATEST_VERSION } from './schema.js';
import { SqliteDb } from './sqlite.js';

export interface OpenStoreOptions {
  /** Store folder (Electron userData, or --store). Default: defaultDataDir(). */
  dataDir?: string;
  /** Read only: no migration, no recovery, nothing written (another process may be writing; read-only media work). */
  readonly?: boolean;
  /** Refuses a config that does not validate before anything is written (e.g. the RunConfig schema). */
  validateConfig?: ConfigValidator;
  facets?: FacetExtractor;
  /** Batch interval of the writer (default 250 ms). */
  flushIntervalMs?: number;
  /** Flush early when this many rows wait (default 50,000). */
  maxBatchRows?: number;
  /** Heartbeat refresh of live runs (default 1000 ms). */
  heartbeatIntervalMs?: number;
  /** A running run whose heartbeat is older is considered crashed (default 60 s). */
  staleAfterMs?: number;
  busyTimeoutMs?: number;
  onFlush?: (stats: FlushStats) => void;
  /** Errors of background flushes (rows are kept and retried). */
  onError?: (err: Error) => void;
}

export interface OpenedStore {
  paths: StorePaths;
  readonly: boolean;
  wdb: SqliteDb | null;
  rdb: SqliteDb;
  batch: BatchWriter | null;
  migration: MigrationReport | null;
  recovered: RecoveredRun[];
  validateConfig: ConfigValidator | null;
  facets: FacetExtractor;
  staleAfterMs: number;
}

async function configure(db: SqliteDb, busyTimeoutMs: number, writer: boolean): Promise<void> {
  db.configureBusyTimeout(busyTimeoutMs);
  await db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16000;`);
  if (writer) {
    await db.get('PRAGMA journal_mode = WAL');
    // NORMAL in WAL mode: a committed transaction survives a process crash; only a power cut may lose the last ones.
    await db.exec('PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;');
  } else {
    await db.exec('PRAGMA query_only = ON;');
  }
}

/** Points are sent as m * 2^e and rebuilt with pow(); a build without the math functions cannot store them exactly. */
async function requireMathFunctions(db: SqliteDb): Promise<void> {
  try {
    await db.get('SELECT pow(2.0, -1) AS x');
  } catch (err) {
    throw new StoreError(
      'invalid-input',
      `The SQLite library of the sqlite3 package lacks the math functions (${(err as Error).message}).`,
      'Reinstall the sqlite3 package (npm rebuild sqlite3); its build enables SQLITE_ENABLE_MATH_FUNCTIONS.',
    );
  }
}

/** True when SQLite could create its -shm/-wal files next to the database (access(2) says EROFS on read-only media, even to root). */
function folderWritable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function unusableFolder(dir: string, err: unknown): StoreError {
  return new StoreError(
    'invalid-input',
    `The store folder ${dir} cannot be used: ${(err as Error).message}.`,
    'Pass --store <a folder you can write to> (it is created if missing).',
    { cause: err },
  );
}

/** Versions before many-process stores locked the whole folder: a lock one of them left behind is tidied away. */
function removeLegacyFolderLock(dir: string): void {
  const file = path.join(dir, 'spectral-lab.lock');
  const owner = readLock(file);
  if (owner && owner.host === os.hostname() && ownerState(owner.pid, null) === 'dead') fs.rmSync(file, { force: true });
}

/** Where the stat of the database file is kept when it last passed quick_check. */
const CHECKED_MARKER = 'quick-check.json';

/** Device, inode, size and modification time: any write through the file system changes it. */
function fileStamp(file: string): string | null {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  return st ? `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}` : null;
}

/** quick_check reads every page (~1 s per 100 MB): a file unchanged since it last passed is not scanned again. */
function passedBefore(paths: StorePaths, stamp: string | null): boolean {
  if (stamp === null) return false;
  try {
    return (
      (JSON.parse(fs.readFileSync(path.join(paths.dataDir, CHECKED_MARKER), 'utf8')) as { stamp?: unknown }).stamp ===
      stamp
    );
  } catch {
    return false;
  }
}

function rememberPassed(paths: StorePaths, stamp: string): void {
  const file = path.join(paths.dataDir, CHECKED_MARKER);
  try {
    fs.writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify({ stamp, at: new Date().toISOString() }));
    fs.renameSync(`${file}.${process.pid}.tmp`, file);
  } catch {
    // only a shortcut for the next open
  }
}

export async function openDataFolder(options: OpenStoreOptions = {}): Promise<OpenedStore> {
  const paths = storePaths(options.dataDir ?? defaultDataDir());
  const readonly = options.readonly === true;
  // Several processes write one store: a writer may wait for the others' transactions (each is short).
  const busy = options.busyTimeoutMs ?? 15_000;
  const staleAfterMs = options.staleAfterMs ?? 60_000;
  if (readonly && !fs.existsSync(paths.database)) {
    throw new StoreError(
      'not-found',
      `There is no run store in ${paths.dataDir} (no ${paths.database}).`,
      'Check the --store folder, or run something first to create the store.',
    );
  }
  if (!readonly) {
    try {
      fs.mkdirSync(paths.dataDir, { recursive: true });
    } catch (err) {
      throw unusableFolder(paths.dataDir, err);
    }
    if (!folderWritable(paths.dataDir)) throw unusableFolder(paths.dataDir, new Error('it is not writable'));
    removeLegacyFolderLock(paths.dataDir);
  }
  // Read-only media: no -shm/-wal can be created; a cleanly closed store (no -wal left) is read as immutable.
  const immutable = readonly && !folderWritable(paths.dataDir) && !fs.existsSync(`${paths.database}-wal`);
  let wdb: SqliteDb | null = null;
  let rdb: SqliteDb | null = null;
  try {
    // quick_check before any write: a damaged file is refused byte for byte untouched. The stamp is taken
    // first, so a write during the check makes the next open check again.
    const stamp = fileStamp(paths.database);
    const checked = passedBefore(paths, stamp);
    const state = await inspectDatabaseFile(paths.database, { quickCheck: !checked, immutable });
    if (!readonly && !checked && stamp !== null && state.kind === 'store') rememberPassed(paths, stamp);
    if (readonly && (state.kind !== 'store' || state.version < LATEST_VERSION)) {
      throw new StoreError(
        'read-only',
        `${paths.database} ${state.kind === 'store' ? `has schema version ${state.version} and needs an upgrade to ${LATEST_VERSION}` : 'is empty'}, which a read-only open cannot do.`,
        'Open the folder once without read-only (start the app or a CLI command on it), then try again.',
      );
    }
    let migration: MigrationReport | null = null;
    let recovered: RecoveredRun[] = [];
    if (!readonly) {
      wdb = await SqliteDb.open(paths.database, 'create');
      await configure(wdb, busy, true);
      await requireMathFunctions(wdb);
      migration = await migrate(wdb, paths.database);
      recovered = await recoverCrashedRuns(wdb, staleAfterMs);
    }
    rdb = await SqliteDb.open(paths.database, readonly ? (immutable ? 'immutable' : 'readonly') : 'readwrite');
    await configure(rdb, busy, false);
    const batch = wdb
      ? new BatchWriter(wdb, {
          flushIntervalMs: options.flushIntervalMs ?? 250,
          maxBatchRows: options.maxBatchRows ?? 50_000,
          heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1000,
          onFlush: options.onFlush,
          onError: options.onError,
        })
      : null;
    return {
      paths,
      readonly,
      wdb,
      rdb,
      batch,
      migration,
      recovered,
      validateConfig: options.validateConfig ?? null,
      facets: options.facets ?? defaultFacets,
      staleAfterMs,
    };
  } catch (err) {
    await rdb?.close().catch(() => undefined);
    await wdb?.close().catch(() => undefined);
    throw err;
  }
}
