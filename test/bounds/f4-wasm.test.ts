/**
 * F4's host engine on the WASM backend reads the kernel in place on tfjs's heap (no dataSync copy): the same
 * values as on the CPU backend, also when tfjs's memory grows between calls (a stale view would read nothing).
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { startWasmBackend } from '../../src/main/engine/backends/index.js';
import { createF4State, f4BoundTensor, f4PowerIterate } from '../../src/main/engine/bounds/methods/f4.js';
import { F4_MATRICES } from '../../src/shared/bounds.js';
import { randomArray } from '../backends/helpers.js';

const shape: [number, number, number, number] = [3, 3, 8, 16];
const values = randomArray(3 * 3 * 8 * 16, 7, 0.5);

async function sigmas(backend: 'cpu' | 'wasm'): Promise<number[]> {
  if (backend === 'wasm') await startWasmBackend();
  else await tf.setBackend('cpu');
  const k = tf.tensor4d(values, shape);
  const st = createF4State(shape, { seed: 3, engine: 'host' });
  f4PowerIterate(k, st, 20);
  // Grow tfjs's memory (the WASM heap) between the calls, then iterate and bound again.
  const big = tf.zeros([(64 * 1024 * 1024) / 4]);
  f4PowerIterate(k, st, 5);
  const b = f4BoundTensor(k, st, 'min');
  const out = [...F4_MATRICES.map((X) => (st.engine === 'host' ? st.host.sigma[X] : NaN)), b.dataSync()[0]];
  tf.dispose([k, big, b]);
  return out;
}

describe('F4 on the WASM backend reads the kernel in place', () => {
  it('matches the CPU backend, across a growth of the WASM heap', async () => {
    const cpu = await sigmas('cpu');
    const wasm = await sigmas('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(cpu.every((x) => Number.isFinite(x) && x > 0)).toBe(true);
    wasm.forEach((x, j) => expect(Math.abs(x - cpu[j]) / cpu[j]).toBeLessThan(1e-5));
  });
});
