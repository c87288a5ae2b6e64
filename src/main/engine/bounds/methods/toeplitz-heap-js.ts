/**
 * The Toeplitz bound's correlation heap (toeplitz-heap.ts) in float64 JavaScript, where WebAssembly SIMD does not
 * run: the same DFT stages and Grams with the same chains of multiply-adds as kernels/toeplitz*.wat, so
 * toeplitz-enclosure.ts's error bounds hold for either.
 */
import type { CorrelationHeap, PairStageArgs, RealPartStageArgs, RealStageArgs } from './toeplitz-heap.js';

/** The same operations in JavaScript on an ArrayBuffer (offsets in bytes, all multiples of 8). */
export function makeJsHeap(): CorrelationHeap {
  const heap: CorrelationHeap = {
    path: 'js',
    f64: new Float64Array(0),
    threads: 1,
    ensure(bytes) {
      if (heap.f64.length * 8 >= bytes) return;
      const next = new Float64Array(Math.ceil(bytes / 8));
      next.set(heap.f64);
      heap.f64 = next;
    },
    rmix: (...args) => jsRmix(heap.f64, ...args),
    cmixPair: (...args) => jsCmixPair(heap.f64, ...args),
    cmixPairInv: (...args) => jsCmixPairInv(heap.f64, ...args),
    cmixr: (...args) => jsCmixr(heap.f64, ...args),
    grams(pairs, P, C) {
      for (let i = 0; i < pairs.length; i += 2) jsGauss(heap.f64, pairs[i] / 8, P, C, pairs[i + 1] / 8);
    },
    sumsq(p, n) {
      const h = heap.f64;
      let s = 0;
      for (let j = p / 8; j < p / 8 + n; j++) s += h[j] * h[j];
      return s;
    },
    scale(p, n, s) {
      const h = heap.f64;
      for (let j = p / 8; j < p / 8 + n; j++) h[j] *= s;
    },
    release() {
      heap.f64 = new Float64Array(0);
    },
    transpose(from, to, P) {
      const h = heap.f64;
      const [f, t] = [from / 8, to / 8];
      for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) h[t + a * P + b] = h[f + b * P + a];
    },
    abssum(p, P, rows, cols) {
      const h = heap.f64;
      const [r, c] = [rows / 8, cols / 8];
      for (let a = 0; a < P; a++) {
        let s = 0;
        const row = p / 8 + a * P;
        for (let b = 0; b < P; b++) {
          const z = Math.abs(h[row + b]);
          s += z;
          h[c + b] += z;
        }
        h[r + a] += s;
      }
    },
  };
  return heap;
}

/**
 * Z = A A^H at z (P x P real part, then the imaginary part) of the complex P x C matrix A at a (real part, then the
 * imaginary part), by toeplitz-gram.wat gauss's sums: Re Z_ab = T1 + T2 and Im Z_ab = T3 - (T1 - T2) with T1 = X_a . X_b,
 * T2 = Y_a . Y_b and T3 = (X + Y)_a . (X - Y)_b, for b <= a, mirrored (offsets in doubles).
 */
function jsGauss(h: Float64Array, a: number, P: number, C: number, z: number): void {
  const im = a + P * C;
  const [zi, n] = [z + P * P, P * C];
  const [sum, diff] = [new Float64Array(n), new Float64Array(n)];
  for (let j = 0; j < n; j++) [sum[j], diff[j]] = [h[a + j] + h[im + j], h[a + j] - h[im + j]];
  for (let r = 0; r < P; r++) {
    for (let b = 0; b <= r; b++) {
      // even and odd columns apart, as the kernel's two lanes (the enclosure counts chains of C / 2)
      const t = [0, 0, 0, 0, 0, 0];
      for (let c = 0; c < C; c++) {
        const [x, y, lane] = [r * C + c, b * C + c, c % 2];
        t[lane] += h[a + x] * h[a + y];
        t[2 + lane] += h[im + x] * h[im + y];
        t[4 + lane] += sum[x] * diff[y];
      }
      const [t1, t2, t3] = [t[0] + t[1], t[2] + t[3], t[4] + t[5]];
      const [re, imz] = [t1 + t2, t3 - (t1 - t2)];
      [h[z + r * P + b], h[zi + r * P + b]] = [re, imz];
      [h[z + b * P + r], h[zi + b * P + r]] = [re, -imz];
    }
  }
}

/** CorrelationHeap.rmix on h (offsets in bytes). */
function jsRmix(
  h: Float64Array,
  ...[inp, inStride, K, tw, out, outIm, outStride, n]: [...RealStageArgs, scratch: number]
): void {
  for (let f = 0; f < tw.F; f++) {
    const [o, oi] = [(out + f * outStride) / 8, (outIm + f * outStride) / 8];
    for (let j = 0; j < n; j++) [h[o + j], h[oi + j]] = [0, 0];
    for (let k = 0; k < K; k++) {
      const [c, s] = [h[tw.re / 8 + f * K + k], h[tw.im / 8 + f * K + k]];
      const p = (inp + k * inStride) / 8;
      for (let j = 0; j < n; j++) {
        h[o + j] += c * h[p + j];
        h[oi + j] += s * h[p + j];
      }
    }
  }
}

/** CorrelationHeap.cmixPair on h: rows u and (nh - u) mod nh at once. */
function jsCmixPair(
  h: Float64Array,
  ...[inp, inIm, inStride, K, tw, nh, out, outIm, outStride, n]: [...PairStageArgs, scratch: number]
): void {
  for (let u = 0; u < tw.F; u++) {
    const [o, oi] = [(out + u * outStride) / 8, (outIm + u * outStride) / 8];
    const g = ((nh - u) % nh) * outStride;
    const [p, q] = [(out + g) / 8, (outIm + g) / 8];
    for (let j = 0; j < n; j++) {
      let [ar, ai, br, bi] = [0, 0, 0, 0];
      for (let k = 0; k < K; k++) {
        const [c, s] = [h[tw.re / 8 + u * K + k], h[tw.im / 8 + u * K + k]];
        const [xr, xi] = [h[(inp + k * inStride) / 8 + j], h[(inIm + k * inStride) / 8 + j]];
        [ar, ai, br, bi] = [ar + c * xr, ai + c * xi, br + s * xr, bi + s * xi];
      }
      [h[o + j], h[oi + j], h[p + j], h[q + j]] = [ar + bi, ai - br, ar - bi, ai + br];
    }
  }
}

/** CorrelationHeap.cmixPairInv on h: the inverse DFT along u from the pairs (u, -u). */
function jsCmixPairInv(
  h: Float64Array,
  ...[inp, inIm, inStride, K, tw, nh, out, outIm, outStride, n]: [...PairStageArgs, scratch: number]
): void {
  // (the kernel's scratch for the pairs' sums is not needed here: the sums are formed inline, the same values)
  for (let x = 0; x < tw.F; x++) {
    const [o, oi] = [(out + x * outStride) / 8, (outIm + x * outStride) / 8];
    h.fill(0, o, o + n);
    h.fill(0, oi, oi + n);
    for (let u = 0; u < K; u++) {
      const [c, s] = [h[tw.re / 8 + x * K + u], h[tw.im / 8 + x * K + u]];
      const [p, q] = [(inp + u * inStride) / 8, (inp + ((nh - u) % nh) * inStride) / 8];
      const d = (inIm - inp) / 8;
      for (let j = 0; j < n; j++) {
        const [sr, si] = [h[p + j] + h[q + j], h[p + d + j] + h[q + d + j]];
        const [dr, di] = [h[p + j] - h[q + j], h[p + d + j] - h[q + d + j]];
        h[o + j] += c * sr - s * di;
        h[oi + j] += c * si + s * dr;
      }
    }
  }
}

/** CorrelationHeap.cmixr on h: the real part of the output only. */
function jsCmixr(
  h: Float64Array,
  ...[inp, inIm, inStride, K, tw, out, outStride, n]: [...RealPartStageArgs, scratch: number]
): void {
  for (let f = 0; f < tw.F; f++) {
    const o = (out + f * outStride) / 8;
    h.fill(0, o, o + n);
    for (let k = 0; k < K; k++) {
      const [c, s] = [h[tw.re / 8 + f * K + k], h[tw.im / 8 + f * K + k]];
      const [p, q] = [(inp + k * inStride) / 8, (inIm + k * inStride) / 8];
      for (let j = 0; j < n; j++) h[o + j] += c * h[p + j] - s * h[q + j];
    }
  }
}
