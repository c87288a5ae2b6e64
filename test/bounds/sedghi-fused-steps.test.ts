/**
 * The screening's fused steps and the survivors' direct DFT pinned bit for bit against the sequences they replace:
 * step (frequency.wat) against its seven-pass definition, emulated lane by lane in float32 on the unfused variant;
 * steps(n) and the screening race (frequency-screen.ts) against one step per call, exhausted Krylov spaces
 * included; subsetFrequencyMatrices against the tap-by-tap sums. And the exact norm against the reference vectors.
 */
import { describe, expect, it } from 'vitest';
import { growMemoryTo, instantiateKernel, type WasmMemory } from '../../src/main/engine/kernels/index.js';
import { gramHeap, gramSimd } from '../../src/main/engine/bounds/methods/frequency-simd.js';
import { screenRace, type ScreenProblem } from '../../src/main/engine/bounds/methods/frequency-screen.js';
import { subsetFrequencyMatrices } from '../../src/main/engine/bounds/methods/frequency-subset.js';
import { sedghiExactNorm } from '../../src/main/engine/bounds/methods/sedghi.js';
import { halfSpectrumFrequencies } from '../../src/main/engine/bounds/numerics/frequency-set.js';
import { caseKernel, loadSpectralCases, randomKernel, relErr } from './spectral-vectors.js';

const f = Math.fround;
/** Sum of the four lanes in frequency.wat's order. */
const hsum = (s: Float64Array) => f(f(f(s[0] + s[1]) + s[2]) + s[3]);

/**
 * The step's O(R) part as frequency.wat had it, pass by pass (unfused: relaxed_madd(a, b, c) = c + a b and
 * relaxed_nmadd = c - a b, each rounded to float32): alpha, w -= (qp^H w) qp unless first, w -= (qc^H w) qc,
 * |w|^2, qp = w / |w|. w holds G qc on entry. Returns [alpha, |w|^2]; w and qp are updated.
 */
function sevenPassStep(qc: Float32Array, qp: Float32Array, w: Float32Array, R: number, first: boolean) {
  const lanes = () => new Float64Array(4);
  const a = lanes();
  for (let j = 0; j < R; j++) {
    a[j % 4] = f(a[j % 4] + f(qc[j] * w[j]));
    a[j % 4] = f(a[j % 4] + f(qc[R + j] * w[R + j]));
  }
  for (const q of first ? [qc] : [qp, qc]) {
    const [s1, s2] = [lanes(), lanes()];
    for (let j = 0; j < R; j++) {
      const [x, xi, u, v] = [q[j], q[R + j], w[j], w[R + j]];
      s1[j % 4] = f(f(s1[j % 4] + f(x * u)) + f(xi * v));
      s2[j % 4] = f(f(s2[j % 4] + f(x * v)) - f(xi * u));
    }
    const [hr, hi] = [hsum(s1), hsum(s2)];
    for (let j = 0; j < R; j++) {
      const [x, xi, u, v] = [q[j], q[R + j], w[j], w[R + j]];
      w[j] = f(f(u - f(hr * x)) + f(hi * xi));
      w[R + j] = f(f(v - f(hr * xi)) - f(hi * x));
    }
  }
  const n = lanes();
  for (let j = 0; j < R; j++) n[j % 4] = f(f(n[j % 4] + f(w[j] * w[j])) + f(w[R + j] * w[R + j]));
  const inv = f(1 / f(Math.sqrt(hsum(n))));
  for (let j = 0; j < 2 * R; j++) qp[j] = f(w[j] * inv);
  return [hsum(a), hsum(n)];
}

const simd = gramSimd();

describe('fused screening steps', () => {
  const plain = instantiateKernel('frequency', { fused: false, shared: false });
  it.runIf(plain !== null)('step equals the seven-pass sequence bit for bit (unfused variant)', () => {
    const k = plain!.exports as Record<string, (...a: number[]) => void> & { mem: WasmMemory };
    growMemoryTo(k.mem, 1 << 22);
    const heap = new Float32Array(k.mem.buffer);
    for (const [R, C] of [
      [4, 4],
      [12, 64],
      [64, 64],
      [32, 96],
    ]) {
      const [m, qc, qp, y, w, out] = [
        1 << 16,
        256,
        256 + 8 * R,
        256 + 16 * R,
        256 + 16 * R + 8 * C,
        256 + 24 * R + 8 * C,
      ];
      for (let i = 0; i < 2 * R * C; i++) heap[m / 4 + i] = Math.sin(1 + i * 0.37);
      for (let i = 0; i < 2 * R; i++) heap[qc / 4 + i] = Math.cos(i * 0.71) / Math.sqrt(R);
      for (let i = 0; i < 2 * R; i++) heap[qp / 4 + i] = Math.sin(i * 1.3) / Math.sqrt(R);
      for (const first of [true, false]) {
        const vq = heap.slice(qc / 4, qc / 4 + 2 * R);
        const vp = heap.slice(qp / 4, qp / 4 + 2 * R);
        k.gram(m, R, C, qc, y, w);
        const vw = heap.slice(w / 4, w / 4 + 2 * R);
        const [alpha, w2] = sevenPassStep(vq, vp, vw, R, first);
        k.step(m, R, C, qc, qp, y, w, first ? 1 : 0, out);
        expect([heap[out / 4], heap[out / 4 + 1]], `R=${R} C=${C} first=${first}`).toEqual([alpha, w2]);
        expect(Array.from(heap.subarray(w / 4, w / 4 + 2 * R))).toEqual(Array.from(vw));
        expect(Array.from(heap.subarray(qp / 4, qp / 4 + 2 * R))).toEqual(Array.from(vp));
      }
    }
  });

  it.runIf(simd !== null)('steps(n) and the screening race equal one step per call, exhausted spaces included', () => {
    const k = simd!;
    const [R, C, count] = [8, 16, 6];
    const block = 8 * R * C;
    const [w, out, vectors, m] = [0, 8 * R, 1024, 4096];
    const heap = gramHeap(k, m + count * block + 4096);
    // Frequencies 0-3 generic (run to k + 1 = R: exhausted), 4 of rank one, 5 zero (exhausted at its first step,
    // in the middle of a fused call).
    for (let g = 0; g < count; g++) {
      for (let i = 0; i < 2 * R * C; i++) {
        const [r, c] = [Math.floor((i % (R * C)) / C), i % C];
        const x =
          g < 4
            ? Math.sin(1 + g + i * 0.37)
            : g === 4
              ? Math.cos(r + 0.3) * Math.sin(c * 0.7 + (i < R * C ? 0 : 1))
              : 0;
        heap[(m + g * block) / 4 + i] = x;
      }
    }
    const y = m + count * block;
    const problem = (fusedSteps: ScreenProblem['fusedSteps']): ScreenProblem => ({
      rows: R,
      count,
      heap,
      vectors,
      w,
      out,
      product: () => {
        throw new Error('unused');
      },
      fusedSteps,
    });
    const fused = problem((g, q0, q1, first, n) => k.steps(m + g * block, R, C, q0, q1, y, w, first ? 1 : 0, out, n));
    const single = problem((g, q0, q1, first, n) => {
      for (let s = 0; s < n; s++) {
        k.step(m + g * block, R, C, s % 2 ? q1 : q0, s % 2 ? q0 : q1, y, w, first && s === 0 ? 1 : 0, out + 8 * s);
      }
    });
    for (const opts of [
      { seed: 3, margin: 1e-4, tol: 1e-6 },
      { seed: 9, margin: 1e-2, tol: 1e-3, minSteps: 3 },
    ]) {
      const a = screenRace(fused, opts);
      const b = screenRace(single, opts);
      expect(a).toEqual(b);
      expect(a.products).toBeGreaterThan(0);
      // The generic frequencies reach k + 1 = R (exhausted) under the tight tolerance.
      if (!opts.minSteps) expect(a.maxSteps).toBe(R);
    }
  });
});

describe('subsetFrequencyMatrices bit for bit', () => {
  it('equals the tap-by-tap sums (0, then + c x and + s x per tap in order), both orientations', () => {
    for (const shape of [
      [3, 3, 8, 12],
      [3, 2, 12, 8],
      [2, 2, 5, 3],
    ] as [number, number, number, number][]) {
      const k = randomKernel(shape, 17);
      const [h, w, ci, co] = shape;
      const [nh, nw] = [7, 6];
      const all = halfSpectrumFrequencies(nh, nw);
      const pick = [0, 5, 9];
      const set = {
        u: Int32Array.from(pick, (g) => all.u[g]),
        v: Int32Array.from(pick, (g) => all.v[g]),
        multiplicity: Uint8Array.from(pick, (g) => all.multiplicity[g]),
      };
      const got = subsetFrequencyMatrices(k, nh, nw, set);
      const m = ci * co;
      const ref = new Float64Array(pick.length * 2 * m);
      pick.forEach((_, g) => {
        for (let a = 0; a < h; a++) {
          for (let b = 0; b < w; b++) {
            const phi = 2 * Math.PI * (((set.u[g] * a) % nh) / nh + ((set.v[g] * b) % nw) / nw);
            const [c, s] = [Math.cos(phi), -Math.sin(phi)];
            for (let i = 0; i < ci; i++) {
              for (let o = 0; o < co; o++) {
                const x = k.data[((a * w + b) * ci + i) * co + o];
                const at = g * 2 * m + (ci > co ? o * ci + i : i * co + o);
                ref[at] += c * x;
                ref[at + m] += s * x;
              }
            }
          }
        }
      });
      expect(got.transposed).toBe(ci > co);
      expect(Array.from(got.data)).toEqual(Array.from(ref));
    }
  });
});

describe('exact norm on the fused path against the reference vectors', () => {
  it('racing on every case whose channel sides are multiples of 4 (the fused screening), at every n', () => {
    const cases = loadSpectralCases().filter((c) => c.shape_hwio[2] % 4 === 0 && c.shape_hwio[3] % 4 === 0);
    expect(cases.length).toBeGreaterThan(0);
    for (const c of cases) {
      for (const e of c.evaluations) {
        const r = sedghiExactNorm(caseKernel(c), e.n, { algorithm: 'racing' });
        expect(relErr(r.value, e.circular_s1_exact_fft), `${c.id} n=${e.n}`).toBeLessThan(2e-6);
        expect(r.value).toBeLessThanOrEqual(e.circular_s1_exact_fft * (1 + 1e-12));
      }
    }
  });
});
