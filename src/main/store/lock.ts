/**
 * One Spectral Lab instance per data folder: a lock file holding the owner's pid and host. A lock
 * left by a dead process (the app crashed or was killed) is taken over; a live one is refused.
 */
import fs from 'node:fs';
import os from 'node:os';
import { StoreError } from './errors.js';

export interface LockInfo {
  app: 'spectral-lab';
  pid: number;
  host: string;
  startedAt: number;
}

export interface HeldLock {
  path: string;
  info: LockInfo;
  /** The dead owner whose stale lock was taken over (the last session did not close cleanly). */
  tookOverFrom: LockInfo | null;
  release(): void;
}

/** process.kill(pid, 0) sends nothing; it only asks whether the process exists. */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(file: string): LockInfo | null {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockInfo>;
    if (typeof v.pid === 'number' && typeof v.host === 'string') {
      return { app: 'spectral-lab', pid: v.pid, host: v.host, startedAt: Number(v.startedAt) || 0 };
    }
  } catch {
    // unreadable or half-written: handled by the caller
  }
  return null;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function acquireLock(file: string): HeldLock {
  const info: LockInfo = { app: 'spectral-lab', pid: process.pid, host: os.hostname(), startedAt: Date.now() };
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
    if (owner.host === info.host && owner.pid === process.pid) {
      throw new StoreError(
        'locked',
        `The data folder of lock file ${file} is already open in this process.`,
        'Use the store that is already open (or close it first) instead of opening the folder twice.',
      );
    }
    if (owner.host === info.host && !isProcessAlive(owner.pid)) {
      tookOverFrom = owner;
      fs.rmSync(file, { force: true });
      continue;
    }
    const where = owner.host === info.host ? `process ${owner.pid}` : `process ${owner.pid} on host ${owner.host}`;
    throw new StoreError(
      'locked',
      `The data folder is in use by another Spectral Lab (${where}, lock file ${file}, since ${new Date(owner.startedAt).toISOString()}).`,
      owner.host === info.host
        ? 'Close the other window or command first, or pass --data <another folder>.'
        : `If no Spectral Lab is running on ${owner.host}, delete ${file} and try again.`,
    );
  }
  throw new StoreError('locked', `Could not take the lock file ${file} (it keeps changing).`, 'Another Spectral Lab is starting in the same folder; wait for it or use --data <another folder>.');
}

function holdLock(file: string, info: LockInfo, tookOverFrom: LockInfo | null): HeldLock {
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.removeListener('exit', release);
    const now = readLock(file);
    if (now && now.pid === info.pid && now.host === info.host) fs.rmSync(file, { force: true });
  };
  // A normal exit without close() still frees the folder; a kill -9 leaves a stale lock for takeover.
  process.on('exit', release);
  return { path: file, info, tookOverFrom, release };
}
