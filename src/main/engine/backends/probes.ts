/**
 * One probe per backend: is it usable here, and how to make it the active tfjs backend.
 * Native TensorFlow (tfjs-node / tfjs-node-gpu) is preferred: multi-threaded MKL/CUDA kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../../../shared/backend.js';
import { installedVersion, loadOptionalPackage } from './optional-package.js';
import { startWasmBackend } from './wasm-setup.js';

export interface Activation {
  versions: Record<string, string>;
  threads?: number;
  note?: string;
}

export interface BackendProbe {
  name: BackendName;
  /** null when usable, else why not (human text, includes what to do). */
  unavailableReason(): Promise<string | null>;
  /** Makes it the active backend; throws if that fails. */
  activate(): Promise<Activation>;
}

/**
 * The @tensorflow/tfjs release installed, read from its package: the engine's bounds path imports only tfjs-core
 * (the layers, converter and data packages cost ~0.2 s per thread to load and the bounds never use them).
 */
const tfjsVersion = (): string => installedVersion('@tensorflow/tfjs') ?? tf.version_core;

function tfVersions(): Record<string, string> {
  return { '@tensorflow/tfjs': tfjsVersion(), '@tensorflow/tfjs-core': tf.version_core };
}

/** tfjs-node only works with the @tensorflow/tfjs release it was built against. */
function versionMismatch(pkg: string, version: string): string | null {
  const tfjs = tfjsVersion();
  return version === tfjs ? null : `${pkg} ${version} does not match @tensorflow/tfjs ${tfjs} — install ${pkg}@${tfjs}`;
}

function nativeProbe(name: BackendName, pkg: string, howTo: string): BackendProbe {
  return {
    name,
    async unavailableReason() {
      const version = installedVersion(pkg);
      if (version !== null) {
        const mismatch = versionMismatch(pkg, version);
        if (mismatch) return mismatch;
      }
      const load = await loadOptionalPackage(pkg);
      if (load.ok) return null;
      return `${load.reason} — ${howTo}`;
    },
    async activate() {
      if (!(await tf.setBackend('tensorflow')) || tf.getBackend() !== 'tensorflow') {
        throw new Error(`${pkg} loaded but tf.setBackend('tensorflow') failed; see the tfjs log above.`);
      }
      return { versions: { ...tfVersions(), [pkg]: installedVersion(pkg) ?? 'unknown' } };
    },
  };
}

export const tensorflowGpuProbe = nativeProbe(
  'tensorflow-gpu',
  '@tensorflow/tfjs-node-gpu',
  'npm install @tensorflow/tfjs-node-gpu on a machine with CUDA and internet',
);

export const tensorflowProbe = nativeProbe(
  'tensorflow',
  '@tensorflow/tfjs-node',
  'npm install @tensorflow/tfjs-node (it downloads libtensorflow: needs internet)',
);

export const wasmProbe: BackendProbe = {
  name: 'wasm',
  async unavailableReason() {
    return installedVersion('@tensorflow/tfjs-backend-wasm') === null
      ? 'package not installed — npm install @tensorflow/tfjs-backend-wasm@' + tfjsVersion()
      : null;
  },
  async activate() {
    const start = await startWasmBackend();
    return {
      versions: { ...tfVersions(), '@tensorflow/tfjs-backend-wasm': start.version },
      threads: start.threads,
      note: [
        start.simd ? 'SIMD' : 'no SIMD',
        start.threads === 1 ? 'single thread' : `${start.threads} threads`,
        ...(start.threadNote ? [start.threadNote] : []),
      ].join(', '),
    };
  },
};

export const cpuProbe: BackendProbe = {
  name: 'cpu',
  async unavailableReason() {
    return null;
  },
  async activate() {
    // Registers the 'cpu' backend (the full @tensorflow/tfjs package would on import; tfjs-core alone does not).
    await import('@tensorflow/tfjs-backend-cpu');
    if (!(await tf.setBackend('cpu')))
      throw new Error("tf.setBackend('cpu') failed; @tensorflow/tfjs is broken, reinstall it (npm ci).");
    return {
      versions: {
        ...tfVersions(),
        '@tensorflow/tfjs-backend-cpu': installedVersion('@tensorflow/tfjs-backend-cpu') ?? tf.version_core,
      },
      threads: 1,
    };
  },
};

export const DEFAULT_PROBES: readonly BackendProbe[] = [tensorflowGpuProbe, tensorflowProbe, wasmProbe, cpuProbe];
