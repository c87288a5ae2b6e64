/**
 * Pause, resume and cancel for a run that another process writes (a `train --store` command, a
 * script, another app): the workbench leaves a request file next to the run's lock
 * (`locks/<run id>.control`), and the process holding the lock polls for it, acts on its engine and
 * records the new status, which the workbench then sees in the store like any other change.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StoreError } from './errors.js';
import { readLock, runLockPath, type LockInfo } from './lock.js';
import { ownerState } from './process-identity.js';

export type ControlAction = 'pause' | 'resume' | 'cancel';

export interface ControlRequest {
  action: ControlAction;
  /** Who asked, for the run's log ("cancelled from the workbench, pid 123"). */
  by: string;
  at: number;
}

export function controlPath(locksDir: string, runId: string): string {
  return path.join(locksDir, `${runId}.control`);
}

/** The live process of this host writing the run, or null (none, gone, on another host, or this process). */
export function otherWriter(locksDir: string, runId: string): LockInfo | null {
  const owner = readLock(runLockPath(locksDir, runId));
  if (!owner || owner.host !== os.hostname() || owner.pid === process.pid) return null;
  return ownerState(owner.pid, owner.identity) === 'alive' ? owner : null;
}

/** Ask the run's writer to pause, resume or cancel it (written atomically: the writer never reads half a request). */
export function requestControl(locksDir: string, runId: string, action: ControlAction, by: string): void {
  if (!otherWriter(locksDir, runId)) {
    throw new StoreError(
      'conflict',
      `Run ${runId} is not being written by another live process on this machine.`,
      'Refresh the run: it may have ended, or it runs on another machine (stop it there).',
    );
  }
  const file = controlPath(locksDir, runId);
  const tmp = `${file}.${process.pid}.tmp`;
  const request: ControlRequest = { action, by, at: Date.now() };
  fs.writeFileSync(tmp, JSON.stringify(request));
  fs.renameSync(tmp, file);
}

/** The pending request for a run this process writes, removed as it is read (null: none). */
export function takeControlRequest(locksDir: string, runId: string): ControlRequest | null {
  const file = controlPath(locksDir, runId);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  fs.rmSync(file, { force: true });
  try {
    const r = JSON.parse(text) as Partial<ControlRequest>;
    if (r.action === 'pause' || r.action === 'resume' || r.action === 'cancel')
      return { action: r.action, by: String(r.by ?? 'another process'), at: Number(r.at) || 0 };
  } catch {
    // not a request: ignored
  }
  return null;
}
