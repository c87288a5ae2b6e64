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
import { sendCommand, startCommandThread, type CommandThread } from '../../command-thread.js';
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
 * Words of the helper's sync array: passes started, passes done, the call set of the last pass started, whether
 * the last pass done failed, the job it is for.
 */
const GO = 0,
  DONE = 1,
  CALLS = 2,
  FAILED = 3,
  JOB = 4;
/** How long either side spins on a sync word before it sleeps (Atomics.wait). */
const SPIN_MS = 2;

/**
 * The helper's code (command-thread.ts). Its one command (0, sent when it starts) serves passes for as long as the
 * thread lives: each pass (word GO bumped) first takes the job JOB from the port if it is not loaded yet (dropping
 * older jobs never started), then runs its passes calls[c] (c in word CALLS, parity c % 2), then bumps DONE.
 * Why a loop of its own rather than one command per pass: a command waits with Atomics.wait, and waking a sleeping
 * thread on this VM took ~75 us per pass (3.7 ms of a 512-channel layer's ~20 ms); here both sides spin for up to
 * SPIN_MS first (a pass is 0.05-0.5 ms) and only then sleep, so a pass costs a few microseconds of hand-over, and a
 * new job none.
 */
const SETUP = `
const ex = new WebAssembly.Instance(workerData.module).exports;
const sync = new Int32Array(workerData.sync);
let job = null, heap = null, xch = null;
function load(id) {
  while (!job || job.id !== id) job = receiveMessageOnPort(port).message;
  const have = ex.mem.buffer.byteLength;
  if (have < job.heapBytes) ex.mem.grow(Math.ceil((job.heapBytes - have) / 65536));
  heap = new Float32Array(ex.mem.buffer);
  heap.set(job.kernel, job.kernelAt);
  job.kernel = null;
  xch = new Float32Array(job.exchange);
}
function pass(c) {
  const s = c % 2;
  let at = 0;
  for (const [h, n] of job.inputs[s]) { heap.set(xch.subarray(at, at + n), h); at += n; }
  for (const [h, n] of job.outputs[s]) heap.fill(0, h, h + n);
  for (const [name, args] of job.calls[c]) ex[name](...args);
  for (const [h, n] of job.outputs[s]) { xch.set(heap.subarray(h, h + n), at); at += n; }
}
`;
const BODY = `
for (let seen = 0; ; ) {
  for (let spins = 0, until = 0; Atomics.load(sync, ${GO}) === seen; spins++) {
    if ((spins & 255) !== 255) continue;
    if (until === 0) until = performance.now() + ${SPIN_MS};
    else if (performance.now() > until) Atomics.wait(sync, ${GO}, seen, 1000);
  }
  seen = Atomics.load(sync, ${GO});
  let failed = 0;
  try {
    const id = Atomics.load(sync, ${JOB});
    if (!job || job.id !== id) load(id);
    pass(Atomics.load(sync, ${CALLS}));
  } catch (e) {
    failed = 1;
  }
  Atomics.store(sync, ${FAILED}, failed);
  Atomics.store(sync, ${DONE}, seen);
  Atomics.notify(sync, ${DONE});
}
`;

interface Helper {
  t: CommandThread;
  sync: Int32Array;
  /** Passes started, and jobs posted (the last one's id). */
  passes: number;
  jobs: number;
}
let helper: Helper | null | undefined;

/** Off with SPECTRAL_LAB_F4_THREADS=1, or where threads or shared memory are unavailable. */
function helperThread(p: F4SimdPasses): Helper | null {
  if (helper !== undefined) return helper;
  if (settings().f4Threads === 1) return (helper = null);
  const sync = new Int32Array(new SharedArrayBuffer(4 * 8));
  const t = startCommandThread(SETUP, BODY, { module: p.module, sync: sync.buffer });
  if (t) sendCommand(t, 0);
  return (helper = t && { t, sync, passes: 0, jobs: 0 });
}

/** Whether a helper thread can run (starting it, once per process, if not yet started). */
export function f4HelperAvailable(p: F4SimdPasses): boolean {
  return helperThread(p) !== null;
}

/**
 * Spin, then sleep, until the helper has done pass `n`: 'ended' if its serving command ended instead, 'stalled'
 * after timeoutMs.
 */
function waitPass(h: Helper, n: number, timeoutMs: number): 'done' | 'ended' | 'stalled' {
  const { t, sync } = h;
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
  const h = helperThread(p);
  if (!h) return null;
  const size = (s: 0 | 1) => [...job.inputs[s], ...job.outputs[s]].reduce((a, r) => a + r[1], 0);
  const xch = new Float32Array(new SharedArrayBuffer(4 * Math.max(size(0), size(1))));
  const id = ++h.jobs;
  // The kernel block is moved, not cloned: the caller passes a copy made for the helper. The helper loads it at the
  // first pass, while this thread computes its own blocks: that pass waits for it (and, the first time, for the
  // thread to start).
  h.t.port.postMessage({ ...job, id, exchange: xch.buffer }, [job.kernel.buffer as ArrayBuffer]);
  let first = true;
  return {
    rs: job.calls.length === 4,
    start(s, heap, rs = false) {
      let at = 0;
      for (const [r, n] of job.inputs[s]) {
        xch.set(heap.subarray(r, r + n), at);
        at += n;
      }
      Atomics.store(h.sync, JOB, id);
      Atomics.store(h.sync, CALLS, s + (rs ? 2 : 0));
      Atomics.store(h.sync, GO, ++h.passes);
      Atomics.notify(h.sync, GO);
    },
    finish(s, heap) {
      if (h.jobs !== id || helper !== h) throw new Error('F4 helper thread serves another job; one thread here.');
      const outcome = waitPass(h, h.passes, first ? 30_000 : 10_000);
      first = false;
      if (outcome !== 'done') {
        // never reuse a thread that may still run a stale pass, or that no longer serves
        if (outcome === 'stalled') void h.t.worker.terminate();
        helper = null;
        throw new Error(`F4 helper thread ${outcome}; continuing on one thread.`);
      }
      if (Atomics.load(h.sync, FAILED) !== 0) throw new Error('F4 helper thread failed; continuing on one thread.');
      let at = job.inputs[s].reduce((a, r) => a + r[1], 0);
      for (const [r, n, add] of job.outputs[s]) {
        if (add) for (let j = 0; j < n; j++) heap[r + j] += xch[at + j];
        else heap.set(xch.subarray(at, at + n), r);
        at += n;
      }
    },
  };
}
