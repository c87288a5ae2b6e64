/**
 * Float64 frequency matrices of a few frequencies (the survivors of the float32 screening in sedghi.ts), by the
 * direct DFT K(u,v) = sum_{k,l} W[k,l] e^{-2 pi i (u k / n_h + v l / n_w)}: h w passes over the channel pairs per
 * frequency, against h (w + 1) and a pass per block for the separable route of fft2.ts, which pays off only for
 * many frequencies. Same layout and orientation as frequencyMatrices (fft2.ts).
 */
import type { KernelHWIO } from '../../../../shared/bounds.js';
import { frequencyMatrices, type FrequencyMatrices } from '../numerics/fft2.js';
import type { FrequencySet } from '../numerics/frequency-set.js';

/** Up to this many frequencies the direct DFT is used. */
const DIRECT_MAX = 4;

export function subsetFrequencyMatrices(
  kernel: KernelHWIO,
  nh: number,
  nw: number,
  set: FrequencySet,
  out?: Float64Array,
): FrequencyMatrices {
  const count = set.u.length;
  if (count > DIRECT_MAX) return frequencyMatrices(kernel, nh, nw, set, out);
  const [h, w, ci, co] = kernel.shape;
  const rows = Math.min(ci, co);
  const cols = Math.max(ci, co);
  const m = ci * co;
  const n = count * 2 * m;
  const data = out && out.length >= n ? out.subarray(0, n) : new Float64Array(n);
  data.fill(0);
  const W = kernel.data;
  const transposed = ci > co;
  for (let f = 0; f < count; f++) {
    const re = f * 2 * m;
    const im = re + m;
    for (let k = 0; k < h; k++) {
      for (let l = 0; l < w; l++) {
        // The phase index taken mod n exactly, as in fft2.ts.
        const phi = 2 * Math.PI * (((set.u[f] * k) % nh) / nh + ((set.v[f] * l) % nw) / nw);
        const c = Math.cos(phi);
        const s = -Math.sin(phi);
        const src = (k * w + l) * m;
        if (!transposed) {
          for (let j = 0; j < m; j++) {
            const x = W[src + j];
            data[re + j] += c * x;
            data[im + j] += s * x;
          }
          continue;
        }
        // Rows are output channels: entry (o, i) of M is W[k,l,i,o].
        for (let i = 0; i < ci; i++) {
          for (let o = 0; o < co; o++) {
            const x = W[src + i * co + o];
            data[re + o * ci + i] += c * x;
            data[im + o * ci + i] += s * x;
          }
        }
      }
    }
  }
  return { ...set, nh, nw, rows, cols, transposed, count, data };
}
