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
import { awaitCommand, sendCommand, startKernelHelper, type CommandThread } from '../../command-thread.js';
import type { WasmMemoryLike } from './heap-simd.js';

/** The helper's code (command-thread.ts): instantiate modules on the shared memory as they come, run a call. */
const SETUP = `
const memory = workerData.memory;
const instances = new Map();
`;
const BODY = `
for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
  const { key, module, fn, args } = m.message;
  if (module) instances.set(key, new WebAssembly.Instance(module, { env: { memory } }).exports);
  if (fn) instances.get(key)[fn](...args);
}
`;

interface Thread extends CommandThread {
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
  const t = startKernelHelper(SETUP, BODY, { memory });
  return t && { ...t, modules: new WeakMap(), running: false };
}

/** The helper for `memory` (started on first use), or null where the memory is not shared or threads are off. */
export function heapHelper(memory: WasmMemoryLike): HeapHelper | null {
  if (memory.buffer instanceof ArrayBuffer) return null;
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
      sendCommand(t);
    },
    finish(timeoutMs = 30_000) {
      t.running = false;
      const outcome = awaitCommand(t, timeoutMs);
      if (outcome !== 'done') retire(outcome);
      stats.completed++;
    },
  };
}
