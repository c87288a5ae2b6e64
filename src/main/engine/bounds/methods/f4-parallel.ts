/**
 * A second core for the SIMD power iteration of large kernels (f4-host.ts). Why: one core streams a 3x3x512x512
 * kernel (9.4 MB) through both passes in ~0.8 ms per iteration, while BLAS (PyTorch) uses every core. The kernel
 * is split into two c_out halves; every u is indexed by (.., o), so each half gives its own part of u = X v and a
 * partial sum of z = X^T u (f4-host.ts). A helper thread runs its half in its own instance of the same module on
 * the same (shared) memory: it reads v and the kernel where this thread put them, writes its part of u in place and
 * its partial sums of z to a region of its own, which this thread adds in after the pass (so z is summed as with
 * the kernels in one memory each: this thread's blocks, then the helper's). This thread waits for it (spinning,
 * then Atomics.wait), so f4PowerIterate stays synchronous. It is an eval'd script without imports, so no extra
 * bundle entry is needed.
 */
import { sendCommand, startCommandThread, type CommandThread } from '../../command-thread.js';
import type { F4SimdPasses } from './f4-simd.js';
import { settings } from '../../../settings.js';

/** [float offset in the module's memory, length]. */
export type Range = [at: number, n: number];

export interface HelperJob {
  /** The helper's passes: calls[s] the four-way passes on v of parity s, calls[2 + s] (if given) R's and S's alone. */
  calls: Array<Array<[name: string, args: number[]]>>;
  /** Where its passes sum z (zeroed by the helper before each pass). */
  zero: Range[];
  /** Per parity s: [from, to, n], z at `to` += the helper's sums at `from` (this thread, after each pass). */
  sums: [Array<[from: number, to: number, n: number]>, Array<[from: number, to: number, n: number]>];
}

export interface F4Helper {
  /** Whether the helper can run R's and S's passes alone (the job gave them). */
  rs: boolean;
  /** Start the helper's passes on v of parity s (R's and S's alone with rs): v, u and z zeroed before. */
  start(s: 0 | 1, rs?: boolean): void;
  /** Wait for them and add its sums of z in `heap` (a view of the module's memory). Throws if it failed or stalled. */
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
 * thread lives: each pass (word GO bumped) first takes the job JOB from the port if it does not have it yet
 * (dropping older jobs never started), then zeroes its sums and runs calls[c] (c in word CALLS), then bumps DONE.
 * Why a loop of its own rather than one command per pass: a command waits with Atomics.wait, and waking a sleeping
 * thread on this VM took ~75 us per pass (3.7 ms of a 512-channel layer's ~20 ms); here both sides spin for up to
 * SPIN_MS first (a pass is 0.05-0.5 ms) and only then sleep, so a pass costs a few microseconds of hand-over.
 */
const SETUP = `
const memory = workerData.memory;
const ex = new WebAssembly.Instance(workerData.module, { env: { memory } }).exports;
const sync = new Int32Array(workerData.sync);
let job = null;
function pass(id, c) {
  while (!job || job.id !== id) job = receiveMessageOnPort(port).message;
  const heap = new Float32Array(memory.buffer);
  for (const [at, n] of job.zero) heap.fill(0, at, at + n);
  for (const [name, args] of job.calls[c]) ex[name](...args);
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
    pass(Atomics.load(sync, ${JOB}), Atomics.load(sync, ${CALLS}));
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
/** The helper of each compiled module and memory of the passes (one in a process but for tests). */
const helpers = new WeakMap<F4SimdPasses, Helper | null>();

/**
 * Off with SPECTRAL_LAB_F4_THREADS=1, where the passes' memory is not shared, or where threads are unavailable.
 * Started once per passes p (f4SimdPasses makes one per process): it works in p's memory.
 */
function helperThread(p: F4SimdPasses): Helper | null {
  const known = helpers.get(p);
  if (known !== undefined) return known;
  let h: Helper | null = null;
  if (settings().f4Threads !== 1 && p.shared) {
    const sync = new Int32Array(new SharedArrayBuffer(4 * 8));
    const t = startCommandThread(SETUP, BODY, { module: p.module, memory: p.memory, sync: sync.buffer });
    if (t) sendCommand(t, 0);
    h = t && { t, sync, passes: 0, jobs: 0 };
  }
  helpers.set(p, h);
  return h;
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

/**
 * A helper for `job` on the memory of p, or null if no thread is available (the caller then runs every block
 * itself).
 */
export function f4Helper(p: F4SimdPasses, job: HelperJob): F4Helper | null {
  const h = helperThread(p);
  if (!h) return null;
  const id = ++h.jobs;
  h.t.port.postMessage({ ...job, id });
  let first = true;
  return {
    rs: job.calls.length === 4,
    start(s, rs = false) {
      Atomics.store(h.sync, JOB, id);
      Atomics.store(h.sync, CALLS, s + (rs ? 2 : 0));
      Atomics.store(h.sync, GO, ++h.passes);
      Atomics.notify(h.sync, GO);
    },
    finish(s, heap) {
      if (h.jobs !== id || helpers.get(p) !== h)
        throw new Error('F4 helper thread serves another job; one thread here.');
      // The first pass may also wait for the thread to start (tens of ms; far more on a loaded machine).
      const outcome = waitPass(h, h.passes, first ? 30_000 : 10_000);
      first = false;
      if (outcome !== 'done') {
        // never reuse a thread that may still run a stale pass, or that no longer serves
        if (outcome === 'stalled') void h.t.worker.terminate();
        helpers.set(p, null);
        throw new Error(`F4 helper thread ${outcome}; continuing on one thread.`);
      }
      if (Atomics.load(h.sync, FAILED) !== 0) throw new Error('F4 helper thread failed; continuing on one thread.');
      for (const [from, to, n] of job.sums[s]) for (let j = 0; j < n; j++) heap[to + j] += heap[from + j];
    },
  };
}
