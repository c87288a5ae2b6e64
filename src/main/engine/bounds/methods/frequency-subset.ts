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
  const c = new Float64Array(h * w);
  const s = new Float64Array(h * w);
  for (let f = 0; f < count; f++) {
    for (let k = 0; k < h; k++) {
      for (let l = 0; l < w; l++) {
        // The phase index taken mod n exactly, as in fft2.ts.
        const phi = 2 * Math.PI * (((set.u[f] * k) % nh) / nh + ((set.v[f] * l) % nw) / nw);
        c[k * w + l] = Math.cos(phi);
        s[k * w + l] = -Math.sin(phi);
      }
    }
    directDft(kernel.data, kernel.shape, c, s, data, f * 2 * m);
  }
  return { ...set, nh, nw, rows, cols, transposed: ci > co, count, data };
}

/**
 * One frequency: re[j] = sum_t c_t W[t][j], im[j] = sum_t s_t W[t][j] over the taps t = k w + l in order, at
 * `re` (imaginary parts ci co further). Each entry's sum stays in registers (one pass over the kernel instead of
 * a read-modify-write of the output per tap), added in the same order from 0: the same float64 values as tap by
 * tap. Transposed (ci > co): rows are output channels, entry (o, i) of M is W[k,l,i,o].
 */
function directDft(
  W: KernelHWIO['data'],
  shape: readonly number[],
  c: Float64Array,
  s: Float64Array,
  data: Float64Array,
  re: number,
): void {
  const [, , ci, co] = shape;
  const m = ci * co;
  const taps = c.length;
  const im = re + m;
  const transposed = ci > co;
  for (let i = 0; i < ci; i++) {
    for (let o = 0; o < co; o++) {
      let a = 0;
      let b = 0;
      for (let t = 0, src = i * co + o; t < taps; t++, src += m) {
        const x = W[src];
        a += c[t] * x;
        b += s[t] * x;
      }
      const at = transposed ? o * ci + i : i * co + o;
      data[re + at] = a;
      data[im + at] = b;
    }
  }
}
