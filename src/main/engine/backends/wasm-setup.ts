/**
 * Starting TensorFlow.js's WASM backend under Node with Spectral Lab's kernels.
 *
 * Under Node the .wasm binaries are read from the package's dist folder on disk (the default
 * location logic assumes a browser bundle). tfjs starts only the single-threaded SIMD build under
 * Node; wasm-threads.ts bridges what the threaded build lacks there (threads: see
 * wantedWasmThreads), and we fall back to the single-threaded build if it still does not start.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  getThreadsCount,
  setThreadsCount,
  setWasmPaths,
  version_wasm,
  type BackendWasm,
} from '@tensorflow/tfjs-backend-wasm';
import { enableComplexStorage, registerWasmKernels } from './wasm-kernels/index.js';
import { bridgeThreadedWasm, unrefWorkers } from './wasm-threads.js';
import { settings } from '../../settings.js';

/** The folder holding tfjs-backend-wasm's .wasm binaries, with a trailing separator. */
export function wasmBinaryFolder(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep;
}

export interface WasmStart {
  threads: number;
  simd: boolean;
  version: string;
  /** Why the threaded build is not used, when more than one thread was wanted. */
  threadNote?: string;
}

/**
 * Threads wanted: SPECTRAL_LAB_WASM_THREADS (1-8) if set, else one per core up to 4, as PyTorch does.
 * Why this default: on the idle 2-core machine the mnist-cnn engine step takes 65-68 ms with 2 threads
 * vs 88 ms with 1 (bench:train), which is 0.76-0.79x PyTorch at its default 2 threads; the pool only
 * loses where other jobs hold the cores (a pool waits for its slowest thread: under a load of ~2.3,
 * 2 threads took 83-166 ms vs 101-133 ms for 1), so on a shared box, or with several runs training at
 * once, set SPECTRAL_LAB_WASM_THREADS=1. Beyond 4, XNNPACK's small-batch kernels gain little.
 */
export function wantedWasmThreads(): number {
  const wanted = settings().wasmThreads;
  if (wanted !== null) return wanted;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(4, cores));
}

let started: Promise<WasmStart> | null = null;

async function initialise(): Promise<WasmStart> {
  registerWasmKernels();
  const folder = wasmBinaryFolder();
  setWasmPaths(folder);
  const threads = wantedWasmThreads();
  let threadNote: string | undefined;
  if (threads > 1) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    setThreadsCount(threads);
    const bridge = bridgeThreadedWasm(folder, threads);
    let ok = false;
    try {
      ok = await tf.setBackend('wasm');
    } finally {
      bridge.restore();
    }
    if (ok) unrefWorkers((tf.backend() as BackendWasm).wasm);
    else {
      threadNote = 'the threaded WASM build did not start; using the single-threaded one';
      // A fresh registration so the next setBackend builds the module anew (single-threaded).
      if (wasmFactory) {
        tf.removeBackend('wasm');
        tf.registerBackend('wasm', wasmFactory, 2);
      }
    }
  }
  if (tf.getBackend() !== 'wasm') {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    setThreadsCount(1);
    const ok = await tf.setBackend('wasm');
    if (!ok || tf.getBackend() !== 'wasm') {
      throw new Error(
        `The WASM backend did not start (binaries looked up in ${folder}). ` +
          'Check that @tensorflow/tfjs-backend-wasm 4.22.0 is installed with its dist/*.wasm files (npm ci).',
      );
    }
  }
  enableComplexStorage(tf.backend() as BackendWasm);
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  return { threads: getThreadsCount(), simd, version: version_wasm, ...(threadNote ? { threadNote } : {}) };
}

/** tfjs-backend-wasm's registered factory, kept so a failed threaded start can be retried. */
const wasmFactory = tf.findBackendFactory('wasm') as Parameters<typeof tf.registerBackend>[1] | null;

/**
 * Makes 'wasm' the active tfjs backend (threaded if asked for). Throws with what to do if it
 * cannot start. Safe to call again: the module is initialised once, later calls re-activate it.
 */
export async function startWasmBackend(): Promise<WasmStart> {
  if (!started) {
    started = initialise();
    started.catch(() => (started = null));
  }
  const start = await started;
  if (tf.getBackend() !== 'wasm') await tf.setBackend('wasm');
  return start;
}
