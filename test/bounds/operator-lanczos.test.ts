/**
 * The Lanczos passes of the operator estimate in WebAssembly (kernels/operator-lanczos.wat), fused and plain, against
 * the same passes written out in float64 JavaScript: the three-term part with its norm, a classical Gram-Schmidt pass
 * with its norm, the scaled store and the combination y = Q z.
 */
import { describe, expect, it } from 'vitest';
import { instantiateKernel, relaxedSimdAvailable, type WasmMemory } from '../../src/main/engine/kernels/index.js';
import { mulberry32 } from '../../src/main/engine/data/rng.js';

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
  return { exports: made.exports, q, w, h, view };
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
