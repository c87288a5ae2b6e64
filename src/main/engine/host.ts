/**
 * Host side of the training engine: spawns the worker thread for one run, forwards commands, and hands out
 * its typed events (listener or async iterator). A crashed or silently exiting worker still ends the run with
 * one 'finished' (failed) event, so callers never wait forever.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { startEntryWorker } from './entry-worker.js';
import { parseRunConfig, type RunConfig } from '../../shared/config.js';
import {
  emptySummary,
  ENGINE_PROTOCOL_VERSION as v,
  isEngineEvent,
  type EngineCommand,
  type EngineEvent,
  type EngineEventOf,
  type StartCommand,
  type EngineEventType,
} from '../../shared/events.js';

export interface StartRunOptions {
  runId?: string;
  /** Dataset folder/archive (overrides config.dataset.path). */
  dataDir?: string;
  /** Where checkpoints go (default: config.checkpoints.dir/<runId> or ./runs/<runId>/checkpoints). */
  checkpointDir?: string;
  /** Continue from this checkpoint (StartCommand.resumeFrom). */
  resumeFrom?: StartCommand['resumeFrom'];
  /** Worker entry to spawn; default: worker.ts beside this file under tsx, worker.js in a build. */
  workerUrl?: URL | string;
  /**
   * WASM threads for this run (SPECTRAL_LAB_WASM_THREADS inside its worker), e.g. the cores divided among runs
   * that train at once; default: the worker inherits the process's setting.
   */
  wasmThreads?: number;
}

export type FinishedEvent = EngineEventOf<'finished'>;

export interface EngineHandle {
  readonly runId: string;
  readonly config: RunConfig;
  /** Every event, in order. */
  on(listener: (event: EngineEvent) => void): () => void;
  /** Events of one type. */
  onType<T extends EngineEventType>(type: T, listener: (event: EngineEventOf<T>) => void): () => void;
  /** Async iteration over the events from now until (and including) 'finished'. */
  events(): AsyncIterableIterator<EngineEvent>;
  pause(): void;
  resume(): void;
  cancel(reason?: string): void;
  /** Resolves with the 'finished' event (never rejects). */
  readonly done: Promise<FinishedEvent>;
  /** Stops the worker at once (a 'finished' cancelled event is emitted if the run had not finished). */
  terminate(): Promise<void>;
}

/** worker.ts beside this file (entry-worker.ts: worker.js in a build, a bundle of the sources otherwise). */
function spawnWorker(workerUrl?: URL | string, wasmThreads?: number): Worker {
  const options = wasmThreads ? { env: { ...process.env, SPECTRAL_LAB_WASM_THREADS: String(wasmThreads) } } : {};
  if (workerUrl) return new Worker(workerUrl, options);
  return startEntryWorker(import.meta.url, 'worker', options);
}

export function startRun(configInput: unknown, opts: StartRunOptions = {}): EngineHandle {
  // Validate on the host: a bad config fails here with every problem listed, before any thread starts.
  const config = parseRunConfig(configInput);
  const runId = opts.runId ?? randomUUID();
  const worker = spawnWorker(opts.workerUrl, opts.wasmThreads);
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  let finished: FinishedEvent | null = null;
  let resolveDone!: (e: FinishedEvent) => void;
  const done = new Promise<FinishedEvent>((r) => (resolveDone = r));

  const deliver = (event: EngineEvent): void => {
    if (finished) return;
    if (event.type === 'finished') finished = event;
    emitter.emit('event', event);
    if (event.type === 'finished') {
      resolveDone(event);
      // The worker closes its port after 'finished'; make sure the thread is gone either way.
      setImmediate(() => void worker.terminate());
    }
  };
  const fail = (reason: string): void =>
    deliver({ type: 'finished', v, status: 'failed', reason, summary: emptySummary() });

  worker.on('message', (msg: unknown) => {
    if (isEngineEvent(msg)) deliver(msg);
    else
      fail(
        `the training worker sent a message of another protocol version (expected v${v}); rebuild the app so host and worker match.`,
      );
  });
  worker.on('error', (err) => fail(`the training worker crashed: ${err instanceof Error ? err.message : String(err)}`));
  worker.on('exit', (code) => {
    if (!finished) fail(`the training worker exited (code ${code}) before finishing; see the log above for the cause.`);
  });

  const send = (cmd: EngineCommand): void => {
    if (!finished) worker.postMessage(cmd);
  };
  send({
    type: 'start',
    v,
    runId,
    config,
    dataDir: opts.dataDir,
    checkpointDir: opts.checkpointDir,
    ...(opts.resumeFrom ? { resumeFrom: opts.resumeFrom } : {}),
  });

  return {
    runId,
    config,
    done,
    on(listener) {
      emitter.on('event', listener);
      return () => emitter.off('event', listener);
    },
    onType(type, listener) {
      const l = (e: EngineEvent): void => {
        if (e.type === type) listener(e as EngineEventOf<typeof type>);
      };
      emitter.on('event', l);
      return () => emitter.off('event', l);
    },
    events() {
      return eventIterator((l) => this.on(l), finished);
    },
    pause: () => send({ type: 'pause', v }),
    resume: () => send({ type: 'resume', v }),
    cancel: (reason?: string) => send({ type: 'cancel', v, ...(reason ? { reason } : {}) }),
    async terminate() {
      if (!finished)
        deliver({ type: 'finished', v, status: 'cancelled', reason: 'worker terminated', summary: emptySummary() });
      await worker.terminate();
    },
  };
}

/** A run's events as an async iterator that ends after 'finished' (yielded even when it came before the call). */
function eventIterator(
  on: (listener: (e: EngineEvent) => void) => () => void,
  finished: FinishedEvent | null,
): AsyncIterableIterator<EngineEvent> {
  const queue: EngineEvent[] = [];
  let wake: (() => void) | null = null;
  let ended = false;
  if (finished) queue.push(finished);
  const off = on((e) => {
    queue.push(e);
    wake?.();
  });
  const it: AsyncIterableIterator<EngineEvent> = {
    async next() {
      while (queue.length === 0 && !ended) await new Promise<void>((r) => (wake = r));
      wake = null;
      const e = queue.shift();
      if (!e) return { done: true, value: undefined };
      if (e.type === 'finished') {
        ended = true;
        off();
      }
      return { done: false, value: e };
    },
    async return() {
      ended = true;
      off();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}
