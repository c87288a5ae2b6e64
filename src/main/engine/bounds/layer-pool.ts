/**
 * The layers of a network are independent: computeLayerBounds of each on a pool of worker threads
 * (layer-pool-worker.ts), whole layers per thread, reports back in the layers' order. Why whole layers: the methods
 * are sequential chains of products (Lanczos, squarings), which split over cores only at a synchronisation per
 * product, while 17 layers keep two cores busy with none.
 *
 * Inside a pool thread the methods' own second threads (the WASM backend's pool, F4's and the SIMD kernels' helper
 * threads) are switched off: with one layer per core they would only compete with the other layer for it.
 *
 * Under tsx (sources, tests) a worker starts from a bootstrap that registers tsx in that thread first (loader hooks
 * are not inherited by worker threads on Node 20); in a build it is out/main/layer-pool-worker.js.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BackendChoice } from '../../../shared/backend.js';
import type { KernelHWIO, LayerBoundsReport, LayerGeometry } from '../../../shared/bounds.js';
import { KernelError } from '../../../shared/bounds.js';
import type { LayerBoundsOptions } from './layer-report.js';

export interface LayerJob {
  name: string;
  kernel: KernelHWIO;
  geometry: LayerGeometry;
}

export interface LayerPoolOptions {
  /** Threads (each computes whole layers); at most one per layer is started. */
  workers: number;
  backend: BackendChoice;
  bounds: LayerBoundsOptions;
  /**
   * Keep the methods' own second threads (the WASM backend's pool, F4's and the SIMD kernels' helper threads) in each
   * pool thread. Default off: with a layer per core they only compete with the other layers for the cores.
   */
  innerThreads?: boolean;
  /** Called as each layer finishes (in completion order): how many are done, and which one this was. */
  onLayer?: (done: number, index: number, report: LayerBoundsReport) => void;
}

/** Messages between the pool and its threads. */
export type PoolRequest =
  | { kind: 'init'; backend: BackendChoice; innerThreads: boolean }
  | { kind: 'layer'; index: number; job: LayerJob; bounds: LayerBoundsOptions };
export type PoolReply =
  | { kind: 'ready' }
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

export async function computeLayersInPool(jobs: LayerJob[], opts: LayerPoolOptions): Promise<LayerBoundsReport[]> {
  const reports: LayerBoundsReport[] = new Array(jobs.length);
  const order = jobs.map((_, i) => i).sort((a, b) => layerCost(jobs[b]) - layerCost(jobs[a]) || a - b);
  const count = Math.max(1, Math.min(opts.workers, jobs.length));
  const workers: Worker[] = [];
  let next = 0;
  let done = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      if (jobs.length === 0) return resolve();
      const handOut = (worker: Worker) => {
        if (next >= order.length) return;
        const index = order[next++];
        worker.postMessage({ kind: 'layer', index, job: jobs[index], bounds: opts.bounds } satisfies PoolRequest);
      };
      for (let t = 0; t < count; t++) {
        const worker = spawnPoolWorker(opts.innerThreads ?? false);
        workers.push(worker);
        worker.on('message', (r: PoolReply) => {
          if (r.kind === 'ready') return handOut(worker);
          if (r.kind === 'error') return reject(r.user ? new KernelError(r.message) : new Error(r.message));
          reports[r.index] = r.report;
          done++;
          opts.onLayer?.(done, r.index, r.report);
          if (done === jobs.length) resolve();
          else handOut(worker);
        });
        worker.on('error', (err) => reject(new Error(`a bounds thread crashed: ${err.message}`)));
        worker.on('exit', (code) => {
          if (done < jobs.length)
            reject(new Error(`a bounds thread exited (code ${code}) before its layers were done.`));
        });
        worker.postMessage({
          kind: 'init',
          backend: opts.backend,
          innerThreads: opts.innerThreads ?? false,
        } satisfies PoolRequest);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return reports;
}

function spawnPoolWorker(innerThreads: boolean): Worker {
  const env = innerThreads ? process.env : { ...process.env, ...ONE_THREAD_ENV };
  if (!import.meta.url.endsWith('.ts')) {
    // The bundler may put this code in a chunk one folder below the entry (out/main/chunks/).
    const candidates = [
      new URL('./layer-pool-worker.js', import.meta.url),
      new URL('../layer-pool-worker.js', import.meta.url),
    ];
    return new Worker(candidates.find((u) => existsSync(fileURLToPath(u))) ?? candidates[0], { env });
  }
  const target = new URL('./layer-pool-worker.ts', import.meta.url).href;
  // Resolved here, not in the thread: an eval'd worker resolves bare names from the working folder.
  const tsxDir = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsxApi = pathToFileURL(path.join(tsxDir, 'dist', 'esm', 'api', 'index.mjs')).href;
  return new Worker(
    `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); })`,
    { eval: true, env },
  );
}
