/**
 * A second thread for Spectral Lab's own SIMD kernels on the WASM backend's heap (filter-grad-simd.ts).
 *
 * Why: the threaded WASM build's pool runs only XNNPACK's operators; our kernels ran on the calling thread, so
 * half the machine idled during them (the filter gradient was the largest of them). With the threaded build the
 * heap is a shared WebAssembly.Memory, so a worker can instantiate the same module on the same memory and run
 * part of a call in place: no copies, only a command word. The caller splits the work (e.g. half the images into a
 * separate partial result), starts the helper, runs its own part, then waits (Atomics), as f4-parallel.ts does.
 * Unavailable (null) with the single-threaded build, whose memory is not shared, or with
 * SPECTRAL_LAB_WASM_HELPER=0.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { WasmMemoryLike } from './heap-simd.js';

const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { memory, ctrlBuf, port } = workerData;
const ctrl = new Int32Array(ctrlBuf);
const instances = new Map();
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, 0, seen);
  seen = Atomics.load(ctrl, 0);
  let failed = 0;
  try {
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
      const { key, module, fn, args } = m.message;
      if (module) instances.set(key, new WebAssembly.Instance(module, { env: { memory } }).exports);
      if (fn) instances.get(key)[fn](...args);
    }
  } catch (e) {
    failed = 1;
  }
  Atomics.store(ctrl, 2, failed);
  Atomics.store(ctrl, 1, seen);
  Atomics.notify(ctrl, 1);
}
`;

/** ctrl: [0] command sequence, [1] sequence done, [2] last command failed. */
interface Thread {
  worker: Worker;
  port: MessagePort;
  ctrl: Int32Array;
  seq: number;
  modules: WeakMap<object, number>;
  running: boolean;
}

const threads = new WeakMap<object, Thread | null>();
const stats = { completed: 0, failed: 0 };

/** Parts run to completion on a helper thread, and helper failures, in this process (diagnostics and tests). */
export function heapHelperStats(): { completed: number; failed: number } {
  return { ...stats };
}

export interface HeapHelper {
  /** Start fn(...args) of `module` (compiled for this memory) on the helper thread. */
  start(module: object, fn: string, args: number[]): void;
  /** Wait for it; throws if it failed or stalled (the helper is then retired and the caller must redo the part). */
  finish(timeoutMs?: number): void;
}

function startThread(memory: WasmMemoryLike): Thread | null {
  try {
    const ctrlBuf = new SharedArrayBuffer(12);
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { memory, ctrlBuf, port: port2 }, transferList: [port2] });
    worker.unref();
    worker.on('error', () => undefined); // surfaces as a failed or stalled command
    return { worker, port: port1, ctrl: new Int32Array(ctrlBuf), seq: 0, modules: new WeakMap(), running: false };
  } catch {
    return null;
  }
}

/** The helper for `memory` (started on first use), or null where the memory is not shared or threads are off. */
export function heapHelper(memory: WasmMemoryLike): HeapHelper | null {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  if (env?.SPECTRAL_LAB_WASM_HELPER === '0' || memory.buffer instanceof ArrayBuffer) return null;
  if (!threads.has(memory)) threads.set(memory, startThread(memory));
  const t = threads.get(memory);
  if (!t) return null;
  const retire = (why: string): never => {
    stats.failed++;
    void t.worker.terminate();
    threads.set(memory, null);
    throw new Error(`WASM heap helper thread ${why}; continuing on one thread.`);
  };
  return {
    start(module, fn, args) {
      if (t.running) retire('was started twice');
      let key = t.modules.get(module);
      const fresh = key === undefined;
      if (fresh) {
        key = t.seq + 1;
        t.modules.set(module, key);
      }
      t.port.postMessage({ key, module: fresh ? module : undefined, fn, args });
      t.running = true;
      Atomics.store(t.ctrl, 0, ++t.seq);
      Atomics.notify(t.ctrl, 0);
    },
    finish(timeoutMs = 30_000) {
      t.running = false;
      const until = Date.now() + timeoutMs;
      for (;;) {
        const done = Atomics.load(t.ctrl, 1);
        if (done === t.seq) break;
        const left = until - Date.now();
        if (left <= 0 || Atomics.wait(t.ctrl, 1, done, left) === 'timed-out') retire('stalled');
      }
      if (Atomics.load(t.ctrl, 2) !== 0) retire('failed');
      stats.completed++;
    },
  };
}
