/**
 * One writer per run, not one process per folder: any number of processes (the app, `serve`,
 * `train` commands, scripts) share a store (SQLite WAL serialises their transactions), and each run
 * is written by the one process holding `<store>/locks/<run id>.lock`. The lock records the owner's
 * pid, host and process identity (boot id + start time), so a lock whose pid now belongs to another
 * program is recognised as stale instead of blocking the run for good.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StoreError } from './errors.js';
import { ownerState, processIdentity } from './process-identity.js';

export { isProcessAlive } from './process-identity.js';

export interface LockInfo {
  app: 'spectral-lab';
  pid: number;
  host: string;
  /** processIdentity() of the owner; null on platforms that cannot tell (or locks of older versions). */
  identity: string | null;
  startedAt: number;
}

export interface HeldLock {
  path: string;
  info: LockInfo;
  /** The owner whose stale lock was taken over (it stopped without releasing it). */
  tookOverFrom: LockInfo | null;
  release(): void;
}

export function readLock(file: string): LockInfo | null {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockInfo>;
    if (typeof v.pid === 'number' && typeof v.host === 'string') {
      return {
        app: 'spectral-lab',
        pid: v.pid,
        host: v.host,
        identity: typeof v.identity === 'string' ? v.identity : null,
        startedAt: Number(v.startedAt) || 0,
      };
    }
  } catch {
    // unreadable or half-written: handled by the caller
  }
  return null;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** What program runs as `pid` now (Linux), for messages. */
function programOf(pid: number): string | null {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

export function runLockPath(locksDir: string, runId: string): string {
  return path.join(locksDir, `${runId}.lock`);
}

/** Take the lock of one run (the folder is created if missing); refused while a live process holds it. */
export function acquireRunLock(locksDir: string, runId: string): HeldLock {
  fs.mkdirSync(locksDir, { recursive: true });
  const file = runLockPath(locksDir, runId);
  const info: LockInfo = {
    app: 'spectral-lab',
    pid: process.pid,
    host: os.hostname(),
    identity: processIdentity(),
    startedAt: Date.now(),
  };
  let tookOverFrom: LockInfo | null = null;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(info), { flag: 'wx' });
      return holdLock(file, info, tookOverFrom);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readLock(file);
    if (!owner) {
      // Another process may be between creating and writing its lock; a lock that stays unreadable is junk.
      const st = fs.statSync(file, { throwIfNoEntry: false });
      if (st && Date.now() - st.mtimeMs < 2000) {
        sleepSync(50);
        continue;
      }
      if (st) fs.rmSync(file, { force: true });
      continue;
    }
    if (owner.host === info.host && owner.pid === process.pid && owner.identity === info.identity) {
      throw new StoreError(
        'locked',
        `Run ${runId} already has a writer in this process (lock file ${file}).`,
        'Use the writer that is already open (or close it first).',
      );
    }
    const state = owner.host === info.host ? ownerState(owner.pid, owner.identity) : 'alive';
    if (state !== 'alive') {
      tookOverFrom = owner;
      fs.rmSync(file, { force: true });
      continue;
    }
    throw lockedError(runId, file, owner, info.host);
  }
  throw new StoreError(
    'locked',
    `Could not take the lock file ${file} of run ${runId} (it keeps changing).`,
    'Another process is taking the same run right now; wait for it to finish, then try again.',
  );
}

function lockedError(runId: string, file: string, owner: LockInfo, host: string): StoreError {
  const since = new Date(owner.startedAt).toISOString();
  if (owner.host !== host) {
    return new StoreError(
      'locked',
      `Run ${runId} is being written by process ${owner.pid} on host ${owner.host} (lock file ${file}, since ${since}).`,
      `If no Spectral Lab runs on ${owner.host} any more, delete ${file} and try again.`,
    );
  }
  const program = programOf(owner.pid);
  // A lock without an identity (another platform or an older version) cannot tell a reused pid apart.
  const unsure = owner.identity === null && program !== null && !/^(node|spectral|electron|MainThread)/i.test(program);
  return new StoreError(
    'locked',
    `Run ${runId} is being written by process ${owner.pid}${program ? ` (${program})` : ''} (lock file ${file}, since ${since}).`,
    unsure
      ? `Process ${owner.pid} is "${program}", probably not Spectral Lab (its pid was reused after a crash): delete ${file} and try again.`
      : `Wait for that run to end or cancel it where it runs (Ctrl-C in its terminal, or Cancel in the workbench); if process ${owner.pid} is not Spectral Lab, delete ${file}.`,
  );
}

function holdLock(file: string, info: LockInfo, tookOverFrom: LockInfo | null): HeldLock {
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.removeListener('exit', release);
    const now = readLock(file);
    if (now && now.pid === info.pid && now.host === info.host) {
      fs.rmSync(file, { force: true });
      // A pause/cancel request (run-control.ts) that came too late to be read goes with the lock.
      fs.rmSync(file.replace(/\.lock$/, '.control'), { force: true });
    }
  };
  // A normal exit without close() still frees the run; a kill -9 leaves a stale lock for takeover.
  process.on('exit', release);
  return { path: file, info, tookOverFrom, release };
}
