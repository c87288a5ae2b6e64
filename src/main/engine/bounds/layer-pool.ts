/**
 * The layers of a network are independent: computeLayerBounds of each on a pool of worker threads
 * (layer-pool-worker.ts), whole layers per thread, reports back in the layers' order. Why whole layers: the methods
 * are sequential chains of products (Lanczos, squarings), which split over cores only at a synchronisation per
 * product, while 17 layers keep two cores busy with none.
 *
 * Inside a pool thread the methods' own second threads (the WASM backend's pool, F4's and the SIMD kernels' helper
 * threads) are switched off: with one layer per core they would only compete with the other layer for it.
 *
 * The threads run layer-pool-worker.ts (entry-worker.ts: out/main/layer-pool-worker.js in a build, a bundle of the
 * sources otherwise).
 */
import type { Worker } from 'node:worker_threads';
import type { BackendChoice, BackendName } from '../../../shared/backend.js';
import type { KernelHWIO, LayerBoundsReport, LayerGeometry } from '../../../shared/bounds.js';
import { KernelError } from '../../../shared/bounds.js';
import { startEntryWorker } from '../entry-worker.js';
import type { LayerBoundsOptions } from './layer-options.js';

export interface LayerJob {
  name: string;
  kernel: KernelHWIO;
  geometry: LayerGeometry;
}

export interface LayerPoolThreads {
  /** Threads (each computes whole layers); at most one per layer is started. */
  workers: number;
  backend: BackendChoice;
  /**
   * Keep the methods' own second threads (the WASM backend's pool, F4's and the SIMD kernels' helper threads) in each
   * pool thread. Default off: with a layer per core they only compete with the other layers for the cores.
   */
  innerThreads?: boolean;
}

export interface LayerPoolWork {
  bounds: LayerBoundsOptions;
  /** Called as each layer finishes (in completion order): how many are done, and which one this was. */
  onLayer?: (done: number, index: number, report: LayerBoundsReport) => void;
}

export type LayerPoolOptions = LayerPoolThreads & LayerPoolWork;

export interface PoolBackend {
  name: BackendName;
  summary: string;
}

/** Messages between the pool and its threads. */
export type PoolRequest =
  | { kind: 'init'; backend: BackendChoice; innerThreads: boolean }
  | { kind: 'layer'; index: number; job: LayerJob; bounds: LayerBoundsOptions };
export type PoolReply =
  /** The backend the thread selected (what the shell prints: the threads compute, not the shell). */
  | { kind: 'ready'; backend: PoolBackend }
  | { kind: 'report'; index: number; report: LayerBoundsReport }
  /** user: the input is at fault (a KernelError in the thread), otherwise a bug. */
  | { kind: 'error'; user: boolean; message: string };

/** Environment of a pool thread: one core per layer, so no inner threads (settings.ts names these variables). */
const ONE_THREAD_ENV = { SPECTRAL_LAB_WASM_THREADS: '1', SPECTRAL_LAB_F4_THREADS: '1', SPECTRAL_LAB_WASM_HELPER: '0' };

/**
 * Rough relative cost of a layer, to hand out the dearest first (longest-processing-time order keeps the last
 * layer from running alone): the Toeplitz, Gram and F4 work grows as taps * P^3 (P = max channels), the operator
 * estimate and the exact norm as n^2 * taps * c_in * c_out.
 */
export function layerCost(job: LayerJob): number {
  const [h, w, ci, co] = job.kernel.shape;
  const n = job.geometry.n;
  const [nh, nw] = typeof n === 'number' ? [n, n] : n;
  return h * w * Math.max(ci, co) ** 3 + nh * nw * h * w * ci * co;
}

/** A started pool: its threads load their backend while the caller prepares the layers (about a second here). */
export interface LayerPool {
  /** How many threads it started. */
  threads: number;
  /** The backend the first thread selected; rejects as compute() would if it cannot start. */
  backend: Promise<PoolBackend>;
  /** Compute these layers (one call per pool); reports come back in the layers' order. */
  compute(jobs: LayerJob[], work: LayerPoolWork): Promise<LayerBoundsReport[]>;
  /** Stop the threads (always call it, also after a failure). */
  close(): Promise<void>;
}

/**
 * Start `workers` threads (capped at `maxLayers`) now, so that their start-up (module loading, backend selection)
 * overlaps whatever the caller does before handing them layers.
 */
export function startLayerPool(threads: LayerPoolThreads, maxLayers = Infinity): LayerPool {
  const count = Math.max(1, Math.min(threads.workers, maxLayers));
  const innerThreads = threads.innerThreads ?? false;
  const workers: Worker[] = [];
  const ready: Promise<PoolBackend>[] = [];
  for (let t = 0; t < count; t++) {
    const worker = spawnPoolWorker(innerThreads);
    workers.push(worker);
    ready.push(firstReply(worker));
    worker.postMessage({ kind: 'init', backend: threads.backend, innerThreads } satisfies PoolRequest);
  }
  // A thread that fails to start is reported by compute(); until then its rejection must not go unhandled.
  for (const r of ready) r.catch(() => undefined);
  return {
    threads: count,
    backend: ready[0],
    compute: (jobs, work) => computeOnThreads(workers, ready, jobs, work),
    close: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

export async function computeLayersInPool(jobs: LayerJob[], opts: LayerPoolOptions): Promise<LayerBoundsReport[]> {
  const pool = startLayerPool(opts, jobs.length);
  try {
    return await pool.compute(jobs, opts);
  } finally {
    await pool.close();
  }
}

/** The thread's answer to 'init': ready, or why it cannot compute. */
function firstReply(worker: Worker): Promise<PoolBackend> {
  return new Promise<PoolBackend>((resolve, reject) => {
    const onMessage = (r: PoolReply) => {
      off();
      if (r.kind === 'ready') resolve(r.backend);
      else if (r.kind === 'error') reject(r.user ? new KernelError(r.message) : new Error(r.message));
    };
    const onError = (err: Error) => {
      off();
      reject(new Error(`a bounds thread crashed: ${err.message}`));
    };
    const onExit = (code: number) => {
      off();
      reject(new Error(`a bounds thread exited (code ${code}) while starting.`));
    };
    const off = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

/** Hand the layers out dearest first, one at a time per thread, as each thread becomes free. */
async function computeOnThreads(
  workers: Worker[],
  ready: Promise<PoolBackend>[],
  jobs: LayerJob[],
  work: LayerPoolWork,
): Promise<LayerBoundsReport[]> {
  const reports: LayerBoundsReport[] = new Array(jobs.length);
  if (jobs.length === 0) return reports;
  const order = jobs.map((_, i) => i).sort((a, b) => layerCost(jobs[b]) - layerCost(jobs[a]) || a - b);
  let next = 0;
  let done = 0;
  await new Promise<void>((resolve, reject) => {
    const handOut = (worker: Worker) => {
      if (next >= order.length) return;
      const index = order[next++];
      worker.postMessage({ kind: 'layer', index, job: jobs[index], bounds: work.bounds } satisfies PoolRequest);
    };
    workers.forEach((worker, t) => {
      worker.on('message', (r: PoolReply) => {
        if (r.kind === 'ready') return;
        if (r.kind === 'error') return reject(r.user ? new KernelError(r.message) : new Error(r.message));
        reports[r.index] = r.report;
        done++;
        work.onLayer?.(done, r.index, r.report);
        if (done === jobs.length) resolve();
        else handOut(worker);
      });
      worker.on('error', (err) => reject(new Error(`a bounds thread crashed: ${err.message}`)));
      worker.on('exit', (code) => {
        if (done < jobs.length) reject(new Error(`a bounds thread exited (code ${code}) before its layers were done.`));
      });
      ready[t].then(() => handOut(worker), reject);
    });
  });
  return reports;
}

function spawnPoolWorker(innerThreads: boolean): Worker {
  const env = innerThreads ? process.env : { ...process.env, ...ONE_THREAD_ENV };
  return startEntryWorker(import.meta.url, 'layer-pool-worker', { env });
}
