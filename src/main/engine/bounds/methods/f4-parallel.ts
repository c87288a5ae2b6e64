/**
 * A second core for the SIMD power iteration of large kernels (f4-host.ts). Why: one core streams a 3x3x512x512
 * kernel (9.4 MB) through both passes in ~2.5 ms per iteration, while BLAS (PyTorch) uses every core. The kernel
 * is split into two c_out halves; every u is indexed by (.., o), so each half gives its own part of u = X v and a
 * partial sum of z = X^T u (f4-host.ts). A helper thread runs its half in its own instance of the same module,
 * exchanging only the vectors per iteration through a SharedArrayBuffer; the main thread waits for it (spinning, then
 * Atomics.wait), so f4PowerIterate stays synchronous.
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

/** Words of the helper's sync array: passes started, passes done, the call set, whether a pass failed. */
const GO = 0,
  DONE = 1,
  CALLS = 2,
  FAILED = 3;
/** How long either side spins on a sync word before it sleeps (Atomics.wait). */
const SPIN_MS = 2;

/**
 * The helper's code (command-thread.ts). Command 0 loads a job, then serves it until told to stop: each pass
 * (`go` bumped, call set c in word CALLS; c < 0 stops) runs the passes calls[c] (parity c % 2) and bumps `done`.
 * Why a loop of its own rather than one command per pass: a command waits with Atomics.wait, and waking a sleeping
 * thread on this VM took ~75 us per pass (3.7 ms of a 512-channel layer's ~20 ms); here both sides spin for up to
 * SPIN_MS first (a pass is 0.05-0.5 ms) and only then sleep, so a pass costs a few microseconds of hand-over.
 */
const SETUP = `
const ex = new WebAssembly.Instance(workerData.module).exports;
let job = null, heap = null, xch = null;
`;
const BODY = `
job = receiveMessageOnPort(port).message;
const have = ex.mem.buffer.byteLength;
if (have < job.heapBytes) ex.mem.grow(Math.ceil((job.heapBytes - have) / 65536));
heap = new Float32Array(ex.mem.buffer);
heap.set(job.kernel, job.kernelAt);
job.kernel = null;
xch = new Float32Array(job.exchange);
const sync = new Int32Array(job.sync);
for (let seen = 0; ; ) {
  for (let spins = 0, until = 0; Atomics.load(sync, ${GO}) === seen; spins++) {
    if ((spins & 255) !== 255) continue;
    if (until === 0) until = performance.now() + ${SPIN_MS};
    else if (performance.now() > until) Atomics.wait(sync, ${GO}, seen, 1000);
  }
  seen = Atomics.load(sync, ${GO});
  const c = Atomics.load(sync, ${CALLS});
  if (c < 0) break;
  try {
    const s = c % 2;
    let at = 0;
    for (const [h, n] of job.inputs[s]) { heap.set(xch.subarray(at, at + n), h); at += n; }
    for (const [h, n] of job.outputs[s]) heap.fill(0, h, h + n);
    for (const [name, args] of job.calls[c]) ex[name](...args);
    for (const [h, n] of job.outputs[s]) { xch.set(heap.subarray(h, h + n), at); at += n; }
  } catch (e) {
    Atomics.store(sync, ${FAILED}, 1);
  }
  Atomics.store(sync, ${DONE}, seen);
  Atomics.notify(sync, ${DONE});
}
`;

let thread: CommandThread | null | undefined;

/** Off with SPECTRAL_LAB_F4_THREADS=1, or where threads or shared memory are unavailable. */
function helperThread(p: F4SimdPasses): CommandThread | null {
  if (thread !== undefined) return thread;
  if (settings().f4Threads === 1) return (thread = null);
  return (thread = startCommandThread(SETUP, BODY, { module: p.module }));
}

/** Wait for the helper's command; a stalled or failed helper is dropped (the caller then runs on one thread). */
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

/** The sync words of the job the helper serves now; it is stopped before the next job is loaded. */
let serving: Int32Array | null = null;

/** Stop serving the current job and wait for its command to end. */
function stopServing(t: CommandThread): void {
  if (!serving) return;
  const sync = serving;
  serving = null;
  Atomics.store(sync, CALLS, -1);
  Atomics.add(sync, GO, 1);
  Atomics.notify(sync, GO);
  awaitDone(t, 30_000);
}

/**
 * Spin, then sleep, until the helper has done pass `n`: 'ended' if its command ended instead (the job failed to
 * load), 'stalled' after timeoutMs.
 */
function waitPass(t: CommandThread, sync: Int32Array, n: number, timeoutMs: number): 'done' | 'ended' | 'stalled' {
  const t0 = performance.now();
  for (let spins = 0; Atomics.load(sync, DONE) !== n; spins++) {
    if ((spins & 255) !== 255) continue;
    if (Atomics.load(t.ctrl, 1) === t.seq) return 'ended';
    const waited = performance.now() - t0;
    if (waited > timeoutMs) return 'stalled';
    if (waited > SPIN_MS) Atomics.wait(sync, DONE, n - 1, Math.min(100, timeoutMs - waited));
  }
  return 'done';
}

/** A helper loaded with `job`, or null if no thread is available (the caller then runs every block itself). */
export function f4Helper(p: F4SimdPasses, job: HelperJob): F4Helper | null {
  const t = helperThread(p);
  if (!t) return null;
  stopServing(t);
  const size = (s: 0 | 1) => [...job.inputs[s], ...job.outputs[s]].reduce((a, r) => a + r[1], 0);
  const xch = new Float32Array(new SharedArrayBuffer(4 * Math.max(size(0), size(1))));
  const sync = new Int32Array(new SharedArrayBuffer(16));
  // The kernel block is moved, not cloned: the caller passes a copy made for the helper. The helper loads it while
  // this thread starts its own blocks: the first finish waits for that (and, the first time, for the thread).
  t.port.postMessage({ ...job, exchange: xch.buffer, sync: sync.buffer }, [job.kernel.buffer as ArrayBuffer]);
  sendCommand(t, 0);
  serving = sync;
  let passes = 0;
  return {
    rs: job.calls.length === 4,
    start(s, heap, rs = false) {
      let at = 0;
      for (const [h, n] of job.inputs[s]) {
        xch.set(heap.subarray(h, h + n), at);
        at += n;
      }
      Atomics.store(sync, CALLS, s + (rs ? 2 : 0));
      Atomics.store(sync, GO, ++passes);
      Atomics.notify(sync, GO);
    },
    finish(s, heap) {
      if (serving !== sync) throw new Error('F4 helper thread serves another job; continuing on one thread.');
      // The first pass also waits for the kernel's load (tens of ms for the thread's start; more on a loaded machine).
      const outcome = waitPass(t, sync, passes, passes === 1 ? 30_000 : 10_000);
      if (outcome === 'stalled') {
        void t.worker.terminate(); // it may still run a stale pass: never reuse it
        thread = null;
        serving = null;
      }
      if (outcome !== 'done') {
        if (outcome === 'ended') serving = null;
        throw new Error(`F4 helper thread ${outcome}; continuing on one thread.`);
      }
      if (Atomics.load(sync, FAILED) !== 0) {
        stopServing(t);
        throw new Error('F4 helper thread failed; continuing on one thread.');
      }
      let at = job.inputs[s].reduce((a, r) => a + r[1], 0);
      for (const [h, n, add] of job.outputs[s]) {
        if (add) for (let j = 0; j < n; j++) heap[h + j] += xch[at + j];
        else heap.set(xch.subarray(at, at + n), h);
        at += n;
      }
    },
  };
}
