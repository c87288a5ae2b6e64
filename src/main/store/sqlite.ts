/**
 * A small promise layer over the callback API of the `sqlite3` package. One connection = one
 * SqliteDb. Statements on one connection share its transaction state, so everything that writes goes
 * through `exclusive` / `transaction`, which queue callers one after another.
 */
import sqlite3 from 'sqlite3';

export type SqlParam = number | string | bigint | Buffer | Uint8Array | null;
export type SqlParams = SqlParam[] | Record<string, SqlParam>;

/** 'immutable': read-only media; SQLite creates no -shm/-wal and assumes nobody writes (only a cleanly closed store). */
export type OpenMode = 'readonly' | 'immutable' | 'readwrite' | 'create';

export interface RunInfo {
  changes: number;
  lastID: number;
}

/** The sqlite3 error code ("SQLITE_CORRUPT", "SQLITE_BUSY" ...) of an error, if it has one. */
export function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export class Statement {
  constructor(
    private readonly raw: sqlite3.Statement,
    private readonly owner: SqliteDb,
  ) {}

  run(params: SqlParams = []): Promise<RunInfo> {
    return new Promise((resolve, reject) => {
      this.raw.run(params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ changes: this.changes, lastID: this.lastID });
      });
    });
  }

  all<T>(params: SqlParams = []): Promise<T[]> {
    return new Promise((resolve, reject) => {
      this.raw.all<T>(params, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows)));
    });
  }

  get<T>(params: SqlParams = []): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      this.raw.get<T>(params, (err: Error | null, row?: T) => (err ? reject(err) : resolve(row)));
    });
  }

  finalize(): Promise<void> {
    this.owner.forget(this);
    return new Promise((resolve) => this.raw.finalize(() => resolve()));
  }
}

export class SqliteDb {
  private readonly statements = new Set<Statement>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly raw: sqlite3.Database,
    readonly file: string,
  ) {}

  static open(file: string, mode: OpenMode): Promise<SqliteDb> {
    const flags =
      mode === 'readonly'
        ? sqlite3.OPEN_READONLY
        : mode === 'immutable'
          ? sqlite3.OPEN_READONLY | sqlite3.OPEN_URI
          : mode === 'readwrite'
            ? sqlite3.OPEN_READWRITE
            : sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE;
    const name =
      mode === 'immutable' ? `file:${encodeURI(file).replace(/\?/g, '%3f').replace(/#/g, '%23')}?immutable=1` : file;
    return new Promise((resolve, reject) => {
      const raw = new sqlite3.Database(name, flags, (err: Error | null) => {
        if (err) reject(err);
        else resolve(new SqliteDb(raw, file));
      });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  configureBusyTimeout(ms: number): void {
    this.raw.configure('busyTimeout', ms);
  }

  run(sql: string, params: SqlParams = []): Promise<RunInfo> {
    return new Promise((resolve, reject) => {
      this.raw.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ changes: this.changes, lastID: this.lastID });
      });
    });
  }

  get<T>(sql: string, params: SqlParams = []): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      this.raw.get<T>(sql, params, (err: Error | null, row: T) => (err ? reject(err) : resolve(row)));
    });
  }

  all<T>(sql: string, params: SqlParams = []): Promise<T[]> {
    return new Promise((resolve, reject) => {
      this.raw.all<T>(sql, params, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows)));
    });
  }

  /** Several statements without parameters (schema scripts). */
  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.raw.exec(sql, (err: Error | null) => (err ? reject(err) : resolve()));
    });
  }

  prepare(sql: string): Promise<Statement> {
    return new Promise((resolve, reject) => {
      const raw = this.raw.prepare(sql, (err: Error | null) => {
        if (err) reject(err);
        else {
          const st = new Statement(raw, this);
          this.statements.add(st);
          resolve(st);
        }
      });
    });
  }

  /** @internal called by Statement.finalize */
  forget(st: Statement): void {
    this.statements.delete(st);
  }

  /** Run `fn` when every earlier exclusive section has finished (no interleaving on this connection). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * `fn` inside BEGIN IMMEDIATE ... COMMIT (rolled back if it throws). IMMEDIATE takes the write lock
   * up front so a concurrent writer waits on busy_timeout instead of failing mid-transaction.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      await this.run('BEGIN IMMEDIATE');
      try {
        const out = await fn();
        await this.run('COMMIT');
        return out;
      } catch (err) {
        await this.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** Finalize every prepared statement, then close (waits for queued exclusive sections). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await Promise.all([...this.statements].map((s) => s.finalize()));
    await new Promise<void>((resolve, reject) =>
      this.raw.close((err: Error | null) => (err ? reject(err) : resolve())),
    );
  }
}
