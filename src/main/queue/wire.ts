/**
 * What the sweep owner and the remote workers exchange through Redis, besides BullMQ's own job state:
 * a job per run (its id is the run id) and a Redis stream of engine events per owner. Each streamed
 * event carries its run id and a sequence number counted by the worker from 0, so the owner can drop
 * an event it has already written (a command resent after a reconnect) and notice one that is missing.
 */
import type { JsonObject } from '../../shared/api.js';
import { isEngineEvent, type EngineEvent } from '../../shared/events.js';

export const DEFAULT_QUEUE = 'spectral-lab-runs';

export interface RunJobData {
  runId: string;
  config: JsonObject;
  sweepId: string | null;
  /** The Redis stream the owner reads this run's events from (eventStreamKey). */
  events: string;
}

/** One stream per owner and sweep; the braces keep it in the queue's hash slot on a Redis Cluster. */
export const eventStreamKey = (queue: string, sweepId: string | null): string =>
  `spectral-lab:{${queue}}:events:${sweepId ?? 'runs'}`;

/**
 * Pause, resume or cancel asked for a run a remote worker trains: the workbench leaves a request file for the
 * run's writer (store/run-control.ts), which is the owner; the owner relays it to this key, and the worker
 * training the run polls it (GETDEL) and acts on its engine. Expiring keys leave nothing behind for a run that ended.
 */
export const controlKey = (queue: string, runId: string): string => `spectral-lab:{${queue}}:control:${runId}`;
export const CONTROL_POLL_MS = 300;

export interface StreamedEvent {
  runId: string;
  seq: number;
  /** Which worker sent it (host:pid), for the log. */
  worker: string;
  /** One worker's turn at the job: if BullMQ hands the same job to another worker, that turn has another session. */
  session: string;
  event: EngineEvent;
}

export function encodeEvent(e: StreamedEvent): Record<string, string> {
  return { run: e.runId, seq: String(e.seq), worker: e.worker, session: e.session, event: JSON.stringify(e.event) };
}

/** An XREAD entry's flat field list back to an event; null when it is not one of ours. */
export function decodeEvent(fields: string[]): StreamedEvent | null {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]] = fields[i + 1];
  const seq = Number(f.seq);
  if (!f.run || !f.session || !Number.isInteger(seq) || seq < 0 || !f.event) return null;
  let event: unknown;
  try {
    event = JSON.parse(f.event);
  } catch {
    return null;
  }
  return isEngineEvent(event) ? { runId: f.run, seq, worker: f.worker ?? '?', session: f.session, event } : null;
}

/**
 * Exactly-once delivery of each session's events on top of an at-least-once stream: an event whose
 * sequence number was already taken is a duplicate; one past the next expected means events were lost.
 */
export class SequenceTracker {
  private readonly next = new Map<string, number>();

  /** 'new' (write it), 'duplicate' (drop it) or 'gap' (write it; `missing` events before it never came). */
  accept(runId: string, seq: number): { verdict: 'new' | 'duplicate' | 'gap'; missing: number } {
    const expected = this.next.get(runId) ?? 0;
    if (seq < expected) return { verdict: 'duplicate', missing: 0 };
    this.next.set(runId, seq + 1);
    return seq === expected ? { verdict: 'new', missing: 0 } : { verdict: 'gap', missing: seq - expected };
  }

  forget(runId: string): void {
    this.next.delete(runId);
  }
}
