/**
 * The Lanczos passes of the operator estimate in WebAssembly (kernels/operator-lanczos.wat), fused and plain, against
 * the same passes written out in float64 JavaScript: the three-term part with its norm, a classical Gram-Schmidt pass
 * with its norm, the scaled store and the combination y = Q z.
 */
import { describe, expect, it } from 'vitest';
import { instantiateKernel, relaxedSimdAvailable, type WasmMemory } from '../../src/main/engine/kernels/index.js';
import { mulberry32 } from '../../src/main/engine/data/rng.js';
import { ritzNorms } from '../../src/main/engine/bounds/methods/operator-gemm-lanczos.js';

type Residual = (q: number, k: number, n: number, w: number, beta: number, out: number) => void;
type Pass = (q: number, count: number, n: number, w: number, h: number) => number;
type Scale = (dst: number, w: number, n: number, b: number) => void;

const variants = relaxedSimdAvailable() ? [true, false] : [false];

function setup(fused: boolean, n: number, vectors: number) {
  const Memory = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => WasmMemory } })
    .WebAssembly.Memory;
  const bytes = 8 * (n * (vectors + 2) + vectors + 8);
  const memory = new Memory({ initial: Math.ceil(bytes / 65536) + 1 });
  const made = instantiateKernel('operator-lanczos', { fused }, { env: { memory } })!;
  expect(made).not.toBeNull();
  const rng = mulberry32(7);
  const q = 0;
  const w = 8 * n * vectors;
  const h = w + 8 * n;
  const f64 = new Float64Array(memory.buffer);
  // Arbitrary (not orthonormal) basis vectors and residual: the passes are plain linear algebra on any values.
  for (let i = 0; i < n * (vectors + 1); i++) f64[i] = rng() - 0.5;
  const view = (at: number, len: number) => new Float64Array(memory.buffer, at, len);
  return { exports: made.exports, q, w, h, view, memory };
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i], 0);
const close = (a: number, b: number, tol = 1e-13) =>
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));

describe.each(variants)('operator-lanczos.wat (fused %s)', (fused) => {
  // n = 22: n / 2 odd, so the two-accumulator dot product takes its one-lane-pair tail.
  it.each([22, 64])('residual, cgs, update and scale match float64 JavaScript at n = %i', (n) => {
    const vectors = 7;
    const { exports, q, w, h, view } = setup(fused, n, vectors);
    const basis = (j: number) => view(q + 8 * j * n, n);
    for (const k of [0, 3]) {
      const w0 = Float64Array.from(view(w, n));
      const beta = k > 0 ? 0.37 : 0;
      (exports.residual as Residual)(q, k, n, w, beta, h);
      const alpha = dot(basis(k), w0);
      const want = w0.map((x, r) => x - (alpha * basis(k)[r] + beta * (k > 0 ? basis(k - 1)[r] : 0)));
      const [a, norm2] = view(h, 2);
      close(a, alpha);
      view(w, n).forEach((x, r) => close(x, want[r]));
      close(norm2, dot(want, want));
    }
    // One classical pass against 5 vectors (count not a multiple of 4: the repeated last pointer has weight 0).
    const w1 = Float64Array.from(view(w, n));
    const hs = [0, 1, 2, 3, 4].map((j) => dot(basis(j), w1));
    const norm2 = (exports.cgs as Pass)(q, 5, n, w, h);
    const want = w1.map((x, r) => hs.reduce((s, c, j) => s - c * basis(j)[r], x));
    hs.forEach((c, j) => close(view(h, 5)[j], c));
    view(w, n).forEach((x, r) => close(x, want[r]));
    close(norm2, dot(want, want));
    // y = Q z as update of a zeroed w by -z.
    const z = [0.5, -1.25, 2, 0.125, -0.75, 1.5];
    view(w, n).fill(0);
    view(h, z.length).set(z.map((c) => -c));
    (exports.update as Pass)(q, z.length, n, w, h);
    view(w, n).forEach((x, r) =>
      close(
        x,
        z.reduce((s, c, j) => s + c * basis(j)[r], 0),
      ),
    );
    // q_6 = w / b, a division as in the JavaScript step: bit-identical.
    const w2 = Float64Array.from(view(w, n));
    (exports.scale as Scale)(q + 8 * 6 * n, w, n, 3.7);
    expect(Array.from(basis(6))).toEqual(Array.from(w2, (x) => x / 3.7));
  });
});

describe.each(variants)('ritzNorms (fused %s): ||A y|| / ||y|| from the kept forward outputs', (fused) => {
  it('combines the kept A q_j by z, and takes the product only where one is missing', () => {
    const [n, k, outputs] = [24, 5, 10];
    const { exports, q, w, h, view, memory } = setup(fused, n, k + 1);
    const y = h + 8 * (k + 8);
    const ys = y + 4 * outputs;
    const f32 = (at: number, len: number) => new Float32Array(view(0, 1).buffer, at, len);
    const rng = mulberry32(3);
    const Aq = Array.from({ length: k }, () => Float32Array.from({ length: outputs }, () => rng() - 0.5));
    let products = 0;
    const norms = ritzNorms(exports, memory, {
      ...{ q, w, h, n, y, ys, outputs },
      live: () => {},
      forward: () => {
        products++;
        return -1;
      },
    });
    Aq.forEach((a, j) => {
      f32(y, outputs).set(a);
      norms.keepForward(j);
    });
    const z = Float64Array.from([0.9, -0.3, 0.2, 0.05, -0.01]);
    const yv = new Float64Array(n);
    for (let j = 0; j < k; j++) view(q + 8 * j * n, n).forEach((x, r) => (yv[r] += z[j] * x));
    const ay = new Float64Array(outputs);
    for (let j = 0; j < k; j++) Aq[j].forEach((x, r) => (ay[r] += z[j] * x));
    const want = Math.sqrt(dot(ay, ay) / dot(yv, yv));
    close(norms.attainedNormOf(z), want, 1e-13);
    expect(products).toBe(0);
    // That call ended the run: without kept outputs the product is taken (and y formed for it).
    expect(norms.attainedNormOf(z)).toBe(-1);
    expect(products).toBe(1);
    view(w, n).forEach((x, r) => close(x, yv[r]));
  });
});
