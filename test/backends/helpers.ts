/** Shared by the backend tests: run the same computation on two tfjs backends and compare. */
import * as tf from '@tensorflow/tfjs';
import { startWasmBackend } from '../../src/main/engine/backends/index.js';

export type Arrays = Float32Array[];

/** Runs `f` with `backend` active and returns its outputs as host arrays (tensors freed). */
export async function onBackend(backend: 'cpu' | 'wasm', f: () => tf.Tensor | tf.Tensor[]): Promise<Arrays> {
  if (backend === 'wasm') await startWasmBackend();
  else await tf.setBackend('cpu');
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const arrays = list.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(list);
  return arrays;
}

/** max |a - b| / max |b| per array (the reference b is the CPU backend). */
export function relativeErrors(got: Arrays, want: Arrays): number[] {
  return want.map((w, k) => {
    const g = got[k];
    if (g.length !== w.length) return Infinity;
    let maxAbs = 0;
    let maxDiff = 0;
    for (let i = 0; i < w.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(w[i]));
      const d = Math.abs(g[i] - w[i]);
      maxDiff = Number.isNaN(d) ? Infinity : Math.max(maxDiff, d);
    }
    return maxAbs === 0 ? maxDiff : maxDiff / maxAbs;
  });
}

/** Deterministic pseudo-random data (so CPU and WASM see the same inputs). */
export function randomArray(size: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 4294967296 - 0.5) * 2 * scale;
  }
  return out;
}

export function randomTensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tensor(
    randomArray(
      shape.reduce((a, b) => a * b, 1),
      seed,
      scale,
    ),
    shape,
  );
}
