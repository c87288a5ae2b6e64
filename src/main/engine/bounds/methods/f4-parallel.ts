/**
 * A second core for the SIMD power iteration of large kernels (f4-host.ts). Why: one core streams a 3x3x512x512
 * kernel (9.4 MB) through both passes in ~2.5 ms per iteration, while BLAS (PyTorch) uses every core. The kernel
 * is split into two c_out halves; every u is indexed by (.., o), so each half gives its own part of u = X v and a
 * partial sum of z = X^T u (f4-host.ts). A helper thread runs its half in its own instance of the same module,
 * exchanging only the vectors per iteration through a SharedArrayBuffer; the main thread waits with Atomics.wait,
 * so f4PowerIterate stays synchronous.
 *
 * The helper mirrors the main thread's memory layout (same float offsets), so one description of the pass calls
 * serves both. It is an eval'd script without imports, so no extra bundle entry is needed.
 */
import { awaitCommand, sendCommand, startCommandThread, type CommandThread } from '../../command-thread.js';
import type { F4SimdPasses } from './f4-simd.js';
import { settings } from '../../../settings.js';

/** [float offset in the module's memory, length]; outputs carry `add`: summed into (z) or copied over (u). */
export type Range = [at: number, n: number];
export type OutRange = [at: number, n: number, add: boolean];

export interface HelperJob {
  /** Memory the helper needs (bytes). */
  heapBytes: number;
  /** The helper's block of the kernel (its own buffer: it is transferred), placed at float offset kernelAt. */
  kernel: Float32Array;
  kernelAt: number;
  /**
   * Per parity s of the ping-ponged v regions: v ranges sent, pass calls run, ranges returned (zeroed first).
   * calls[s] are the four-way passes, calls[2 + s] (if given) R's and S's alone.
   */
  inputs: [Range[], Range[]];
  calls: Array<Array<[name: string, args: number[]]>>;
  outputs: [OutRange[], OutRange[]];
}

export interface F4Helper {
  /** Whether the helper can run R's and S's passes alone (the job gave them). */
  rs: boolean;
  /** Send the v ranges of parity s and start the helper's passes (R's and S's alone with rs). */
  start(s: 0 | 1, heap: Float32Array, rs?: boolean): void;
  /** Wait for them and merge their outputs into `heap`. Throws if the helper failed or stalled. */
  finish(s: 0 | 1, heap: Float32Array): void;
}

/**
 * The helper's code (command-thread.ts): command 0 loads a job, command 1 + c runs the passes calls[c] (parity
 * c % 2).
 */
const SETUP = `
const ex = new WebAssembly.Instance(workerData.module).exports;
let job = null, heap = null, xch = null;
`;
const BODY = `
if (arg === 0) {
  job = receiveMessageOnPort(port).message;
  const have = ex.mem.buffer.byteLength;
  if (have < job.heapBytes) ex.mem.grow(Math.ceil((job.heapBytes - have) / 65536));
  heap = new Float32Array(ex.mem.buffer);
  heap.set(job.kernel, job.kernelAt);
  job.kernel = null;
  xch = new Float32Array(job.exchange);
} else {
  const s = (arg - 1) % 2;
  let at = 0;
  for (const [h, n] of job.inputs[s]) { heap.set(xch.subarray(at, at + n), h); at += n; }
  for (const [h, n] of job.outputs[s]) heap.fill(0, h, h + n);
  for (const [name, args] of job.calls[arg - 1]) ex[name](...args);
  for (const [h, n] of job.outputs[s]) { xch.set(heap.subarray(h, h + n), at); at += n; }
}
`;

let thread: CommandThread | null | undefined;

/** Off with SPECTRAL_LAB_F4_THREADS=1, or where threads or shared memory are unavailable. */
function helperThread(p: F4SimdPasses): CommandThread | null {
  if (thread !== undefined) return thread;
  if (settings().f4Threads === 1) return (thread = null);
  return (thread = startCommandThread(SETUP, BODY, { module: p.module }));
}

/** Wait for the helper; a stalled or failed helper is dropped (the caller then runs on one thread). */
function awaitDone(t: CommandThread, timeoutMs: number): void {
  const outcome = awaitCommand(t, timeoutMs);
  if (outcome === 'done') return;
  if (outcome === 'stalled') thread = null; // never reuse a thread that may still run a stale command
  throw new Error(`F4 helper thread ${outcome}; continuing on one thread.`);
}

/** Whether a helper thread can run (starting it, once per process, if not yet started). */
export function f4HelperAvailable(p: F4SimdPasses): boolean {
  return helperThread(p) !== null;
}

/** A helper loaded with `job`, or null if no thread is available (the caller then runs every block itself). */
export function f4Helper(p: F4SimdPasses, job: HelperJob): F4Helper | null {
  const t = helperThread(p);
  if (!t) return null;
  const size = (s: 0 | 1) => [...job.inputs[s], ...job.outputs[s]].reduce((a, r) => a + r[1], 0);
  const xch = new Float32Array(new SharedArrayBuffer(4 * Math.max(size(0), size(1))));
  // The kernel block is moved, not cloned: the caller passes a copy made for the helper.
  t.port.postMessage({ ...job, exchange: xch.buffer }, [job.kernel.buffer as ArrayBuffer]);
  sendCommand(t, 0);
  // The first command also waits for the thread to start (tens of ms; far more on a loaded machine).
  awaitDone(t, 30_000);
  return {
    rs: job.calls.length === 4,
    start(s, heap, rs = false) {
      let at = 0;
      for (const [h, n] of job.inputs[s]) {
        xch.set(heap.subarray(h, h + n), at);
        at += n;
      }
      sendCommand(t, 1 + s + (rs ? 2 : 0));
    },
    finish(s, heap) {
      awaitDone(t, 10_000);
      let at = job.inputs[s].reduce((a, r) => a + r[1], 0);
      for (const [h, n, add] of job.outputs[s]) {
        if (add) for (let j = 0; j < n; j++) heap[h + j] += xch[at + j];
        else heap.set(xch.subarray(at, at + n), h);
        at += n;
      }
    },
  };
}
