/**
 * A worker thread that runs one command at a time while the caller stays synchronous: the helper threads of the
 * engine's own WebAssembly kernels (F4's power iteration, Gram iteration's squares, the Toeplitz bound's stages, the
 * certified F4's factorisation, the training heap's kernels) are built on it. Why synchronous: their callers (F4's power iteration, a tfjs kernel function) must return a result, not a
 * promise, so the caller posts the command's data on a MessagePort (read by the worker with
 * receiveMessageOnPort), bumps a sequence number in shared memory, and waits for it with Atomics.wait.
 *
 * Control words (Int32Array on a SharedArrayBuffer): [0] command sequence, [1] sequence done, [2] the last command
 * failed, [3] a small integer argument of the command. The worker's code is an eval'd script without imports (no
 * extra bundle entry): `setup` runs once with `workerData` and `port` in scope, `body` for every command with
 * `arg` (control word 3) in scope.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { settings } from '../settings.js';

export interface CommandThread {
  worker: Worker;
  port: MessagePort;
  ctrl: Int32Array;
  seq: number;
}

/** The worker's script: `setup` once, then `body` per command, reporting done / failed through the control words. */
function workerSource(setup: string, body: string): string {
  return `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const port = workerData.port;
const ctrl = new Int32Array(workerData.ctrlBuf);
${setup}
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, 0, seen);
  seen = Atomics.load(ctrl, 0);
  const arg = Atomics.load(ctrl, 3);
  let failed = 0;
  try {
${body}
  } catch (e) {
    failed = 1;
  }
  Atomics.store(ctrl, 2, failed);
  Atomics.store(ctrl, 1, seen);
  Atomics.notify(ctrl, 1);
}
`;
}

let commandThreadsAllowed = true;

/**
 * Whether this thread may start command threads (default yes). A thread of the bounds layer pool turns them off: it
 * already has a core to itself, and every caller computes the helper's half itself when it gets null.
 */
export function allowCommandThreads(allowed: boolean): void {
  commandThreadsAllowed = allowed;
}

/**
 * Start a command thread (unref'd: it never keeps a finished process alive), or null where threads or shared
 * memory are unavailable. `data` is passed as workerData (structured clone: WebAssembly modules and shared
 * memories are shared, not copied).
 */
export function startCommandThread(setup: string, body: string, data: Record<string, unknown>): CommandThread | null {
  if (!commandThreadsAllowed || typeof SharedArrayBuffer === 'undefined') return null;
  try {
    const ctrlBuf = new SharedArrayBuffer(16);
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(workerSource(setup, body), {
      eval: true,
      workerData: { ...data, ctrlBuf, port: port2 },
      transferList: [port2],
    });
    worker.unref();
    worker.on('error', () => undefined); // a failure surfaces as a stalled or failed command
    return { worker, port: port1, ctrl: new Int32Array(ctrlBuf), seq: 0 };
  } catch {
    return null;
  }
}

/**
 * The helper thread of one of the engine's SIMD kernels (Gram iteration, the Toeplitz bound, the certified F4's
 * factorisation, the training heap): a command thread unless SPECTRAL_LAB_WASM_HELPER=0 (settings.ts: on a shared
 * box, one thread per computation) or this thread may start none. F4's power iteration has its own setting
 * (SPECTRAL_LAB_F4_THREADS).
 */
export function startKernelHelper(setup: string, body: string, data: Record<string, unknown>): CommandThread | null {
  return settings().wasmHelper ? startCommandThread(setup, body, data) : null;
}

/** Start the next command with argument `arg` (its data posted on t.port beforehand). */
export function sendCommand(t: CommandThread, arg = 0): void {
  Atomics.store(t.ctrl, 3, arg);
  Atomics.store(t.ctrl, 0, ++t.seq);
  Atomics.notify(t.ctrl, 0);
}

/**
 * Wait for the last command: 'done', 'failed' (it threw), or 'stalled' (no answer within timeoutMs). After a stall
 * the thread is terminated, since it may still be running a stale command; the caller must not reuse it.
 */
export function awaitCommand(t: CommandThread, timeoutMs: number): 'done' | 'failed' | 'stalled' {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const done = Atomics.load(t.ctrl, 1);
    if (done === t.seq) break;
    const left = until - Date.now();
    if (left <= 0 || Atomics.wait(t.ctrl, 1, done, left) === 'timed-out') {
      void t.worker.terminate();
      return 'stalled';
    }
  }
  return Atomics.load(t.ctrl, 2) !== 0 ? 'failed' : 'done';
}
