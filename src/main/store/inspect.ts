/**
 * Look at a file before using it as the run store, without changing a byte of it: the SQLite header
 * (first 16 bytes), then, through a read-only connection, PRAGMA application_id and user_version.
 * Anything that is not an empty file, an empty SQLite database or a Spectral Lab store is refused.
 */
import fs from 'node:fs';
import { StoreError } from './errors.js';
import { APPLICATION_ID, LATEST_VERSION } from './schema.js';
import { SqliteDb, sqliteCode } from './sqlite.js';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export type FileState = { kind: 'missing' | 'empty' } | { kind: 'store'; version: number };

const LEFT_ALONE = 'The file was not changed.';

function preview(bytes: Buffer): string {
  const text = bytes
    .subarray(0, 16)
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '.');
  return `"${text}" (hex ${bytes.subarray(0, 8).toString('hex')})`;
}

export function notADatabase(file: string, why: string): StoreError {
  return new StoreError(
    'not-a-database',
    `${file} is not a Spectral Lab run store: ${why}. ${LEFT_ALONE}`,
    'Move or rename it (Spectral Lab then creates a new store there), or use another store folder with --store <folder>.',
  );
}

export function corruptDatabase(file: string, cause: unknown): StoreError {
  const what = cause instanceof Error ? cause.message : String(cause);
  return new StoreError(
    'corrupt',
    `${file} is a damaged SQLite database (${what}). ${LEFT_ALONE}`,
    `Restore it from a backup (${file}.bak-v* files next to it are copies made before upgrades), or move it away to start a new store; ` +
      'the sqlite3 command-line tool\'s ".recover" can often rescue its data.',
    { cause },
  );
}

export interface InspectOptions {
  /** Run PRAGMA quick_check too (before anything writes to the file): a damaged store is refused untouched. */
  quickCheck?: boolean;
  /** Open as immutable (read-only media: no -shm/-wal can be created; only a cleanly closed store). */
  immutable?: boolean;
}

async function quickCheck(db: SqliteDb, file: string): Promise<void> {
  const rows = await db.all<{ quick_check: string }>('PRAGMA quick_check');
  if (rows.length !== 1 || rows[0].quick_check !== 'ok') {
    throw corruptDatabase(
      file,
      new Error(
        `PRAGMA quick_check: ${rows
          .slice(0, 3)
          .map((r) => r.quick_check)
          .join('; ')}`,
      ),
    );
  }
}

export async function inspectDatabaseFile(file: string, options: InspectOptions = {}): Promise<FileState> {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  if (!st) return { kind: 'missing' };
  if (!st.isFile()) throw notADatabase(file, 'it is a directory or a special file, not a regular file');
  if (st.size === 0) return { kind: 'empty' };
  const head = Buffer.alloc(100);
  const fd = fs.openSync(file, 'r');
  let read: number;
  try {
    read = fs.readSync(fd, head, 0, 100, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (read < 100 || !head.subarray(0, 16).equals(SQLITE_MAGIC)) {
    return Promise.reject(
      notADatabase(file, `it does not start with the SQLite header but with ${preview(head.subarray(0, read))}`),
    );
  }

  let db: SqliteDb | undefined;
  try {
    db = await SqliteDb.open(file, options.immutable ? 'immutable' : 'readonly');
    // One read transaction, so the three answers come from one snapshot: read one by one, they could straddle
    // another process's first migration (application id still 0, its tables already there: "another application").
    await db.run('BEGIN');
    const appId = (await db.get<{ application_id: number }>('PRAGMA application_id'))?.application_id ?? 0;
    const version = (await db.get<{ user_version: number }>('PRAGMA user_version'))?.user_version ?? 0;
    const objects = (await db.get<{ n: number }>('SELECT count(*) AS n FROM sqlite_schema'))?.n ?? 0;
    await db.run('COMMIT');
    if (appId === APPLICATION_ID) {
      if (version > LATEST_VERSION) {
        throw new StoreError(
          'newer-version',
          `${file} was written by a newer Spectral Lab (schema version ${version}; this one knows up to ${LATEST_VERSION}). ${LEFT_ALONE}`,
          'Update Spectral Lab, or use another store folder with --store <folder>.',
        );
      }
      if (options.quickCheck) await quickCheck(db, file);
      return { kind: 'store', version };
    }
    if (appId === 0 && objects === 0) return { kind: 'empty' };
    const owner =
      appId === 0
        ? 'an application that does not set an application id'
        : `application id 0x${(appId >>> 0).toString(16)}`;
    throw new StoreError(
      'foreign-database',
      `${file} is an SQLite database of another application (${owner}, ${objects} tables/indexes), not a Spectral Lab run store. ${LEFT_ALONE}`,
      'Point Spectral Lab at its own store folder with --store <folder>, or move that file away.',
    );
  } catch (err) {
    if (err instanceof StoreError) throw err;
    const code = sqliteCode(err);
    if (code === 'SQLITE_NOTADB') throw notADatabase(file, 'SQLite does not recognise it as a database');
    if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
      throw new StoreError(
        'invalid-input',
        `${file} cannot be opened (${(err as Error).message}). ${LEFT_ALONE}`,
        'Check that you may read and write it and its folder, or use another store folder with --store <folder>.',
        { cause: err },
      );
    }
    throw corruptDatabase(file, err);
  } finally {
    await db?.close().catch(() => undefined);
  }
}
