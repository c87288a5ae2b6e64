/**
 * Store errors: each says what file or run is concerned, what is wrong, and what to do next
 * (`message` has all three; `problem` and `hint` hold the parts for a UI).
 */
export type StoreErrorCode =
  | 'not-a-database' // the file is not SQLite at all
  | 'corrupt' // SQLite, but damaged
  | 'foreign-database' // a valid SQLite file of another application
  | 'newer-version' // written by a newer Spectral Lab
  | 'locked' // another Spectral Lab instance uses the data folder
  | 'invalid-config'
  | 'invalid-input'
  | 'not-found'
  | 'conflict' // e.g. a status change the run's state does not allow
  | 'migration-failed'
  | 'read-only' // the store was opened read-only
  | 'closed';

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  readonly problem: string;
  readonly hint: string;
  /** Extra data, e.g. the config validation message. */
  readonly details?: unknown;

  constructor(
    code: StoreErrorCode,
    problem: string,
    hint: string,
    options: { cause?: unknown; details?: unknown } = {},
  ) {
    super(`${problem} ${hint}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StoreError';
    this.code = code;
    this.problem = problem;
    this.hint = hint;
    this.details = options.details;
  }
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}

/**
 * The store's disk is full or failing (SQLite's SQLITE_FULL / SQLITE_IOERR, or ENOSPC from a file
 * write): retrying does not help, so a recording process must stop its run instead of spinning.
 */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_FULL' || code === 'SQLITE_IOERR' || code === 'ENOSPC' || code === 'EDQUOT';
}
