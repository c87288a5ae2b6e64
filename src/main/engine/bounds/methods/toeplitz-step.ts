/**
 * One self-correlation of the Toeplitz bound (toeplitz.ts) on a CorrelationHeap: Z = Y * Y^T, the full 2-D
 * correlation of the real kernel Y (s_h x s_w taps of P x C channels, layout [x][y][a][c]) over its channel side c,
 * which has (2 s_h - 1) x (2 s_w - 1) taps of P x P. On that grid the DFT holds the linear correlation exactly
 * (no aliasing), and per frequency the correlation is one Gram: Z^(w) = M(w) M(w)^H with M the DFT of Y.
 *
 *   forward DFT   along y for v in [0, n_w/2] (real input), then along x for every u, by pairs (u, -u)
 *   Grams         M M^H for every (u, v) with v > 0, and u <= n_h/2 at v = 0 (the rest of that column is conjugate)
 *   inverse DFT   along u (by pairs) for the rows x <= h_c only, then the real part along v, with the weight 2 of
 *                 each v > 0 (its partner -v is the conjugate). Z(-d) = Z(d)^T: the rows x > h_c are mirrored
 *                 transposes.
 *
 * The columns v go one at a time (two where two threads share the Grams) from the first forward stage to the inverse
 * stage along u, so that only one column's frequency matrices and Grams are held (and their memory touched: a
 * 512-channel step touched ~470 MB, ~0.2 s of first-touch page faults in each thread that runs one, ~270 MB now).
 *
 * Offsets are bytes; regions (heapLayout): tw the twiddles, sums absSums' rows, W the Grams' scratch, inv the DFT
 * stages' scratch, A the kernel in and the correlation out, T the forward DFT's first stage T[v] and, in the same
 * slot once T[v] is used, the inverse DFT's first stage S[v] (s_h rows each: h_c + 1 = s_h), M one column's frequency
 * matrices, G their Grams.
 */
import { columns4, stageScratchBytes, type CorrelationHeap, type Twiddles } from './toeplitz-heap.js';

/** The kernel going into a step: s_h x s_w taps of P x C channels (P and C even). */
export interface Taps {
  sh: number;
  sw: number;
  P: number;
  C: number;
}

export interface Grid {
  nh: number;
  nw: number;
  /** Columns v in [0, nv) of the half spectrum. */
  nv: number;
  /** The centre tap (offset 0) of the correlation. */
  hc: number;
  wc: number;
  /** Doubles per tap in (P C) and out (P P). */
  m: number;
  mm: number;
}

export function gridOf(s: Taps): Grid {
  const [nh, nw] = [2 * s.sh - 1, 2 * s.sw - 1];
  return { nh, nw, nv: s.sw, hc: s.sh - 1, wc: s.sw - 1, m: s.P * s.C, mm: s.P * s.P };
}

export interface HeapLayout {
  tw: number;
  /** Four rows of P doubles for absSums. */
  sums: number;
  /** The Grams' scratch: 2 P C doubles per thread (grams), or 4 P C4 floats (grams32), two threads. */
  W: number;
  /** The DFT stages' scratch: stageScratchBytes of their K (h_c + 1 = s_h or n_v = s_w) per thread, two threads. */
  inv: number;
  A: number;
  /** Slot v (s_h rows of P P complex lanes): T[v], then S[v]. */
  T: number;
  /** `columns` columns v: n_h frequency matrices each, and their Grams. */
  M: number;
  G: number;
  columns: number;
  bytes: number;
}

const align = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/**
 * Regions large enough for every step (the last is the largest: each doubles the support), with `columns` columns v
 * per pass: 2 where two threads share the Grams (toeplitz-heap.ts; a column of n_h Grams is odd, a pair is even).
 */
export function heapLayout(steps: Taps[], columns = 1): HeapLayout {
  let [tw, A, T, M, G, sums, W, inv] = [0, 0, 0, 0, 0, 0, 0, 0];
  for (const s of steps) {
    sums = Math.max(sums, 32 * s.P);
    W = Math.max(W, 32 * s.P * columns4(s.C));
    const g = gridOf(s);
    inv = Math.max(inv, 2 * stageScratchBytes(Math.max(g.hc + 1, g.nv)));
    tw = Math.max(tw, 16 * (g.nv * s.sw + g.nh * s.sh + (g.hc + 1) * g.nh + g.nw * g.nv) + 64);
    A = Math.max(A, 8 * s.sh * s.sw * g.m, 8 * g.nh * g.nw * g.mm);
    T = Math.max(T, 16 * s.sh * g.nv * g.mm); // T[v] (s_h rows of m lanes), then S[v] (of mm >= m)
    M = Math.max(M, 16 * columns * g.nh * g.m);
    G = Math.max(G, 16 * columns * g.nh * g.mm);
  }
  const at = [0, align(tw)];
  for (const size of [sums, W, inv, A, T, M]) at.push(at[at.length - 1] + align(size));
  const [sumsAt, WAt, invAt, AAt, TAt, MAt, GAt] = at.slice(1);
  return { tw: 0, sums: sumsAt, W: WAt, inv: invAt, A: AAt, T: TAt, M: MAt, G: GAt, columns, bytes: GAt + align(G) };
}

/**
 * What the enclosure needs of one step: the computed ||M(w)||_F^2 (the trace of its computed Gram) and each
 * frequency's multiplicity in the grid; and the Grams computed (the others were pruned as exactly zero).
 */
export interface StepNorms {
  grid: Grid;
  /** The Grams' arithmetic: float64 (grams), or M rounded to float32 and float32 products (grams32). */
  gram: GramPrecision;
  m2: number[];
  weight: number[];
  grams: number;
  /** The last step's absSums (its correlation is summed row by row as computed, not kept). */
  sums?: { row: number; col: number };
}

/**
 * Writes an F x K twiddle table w_f e^{sign 2 pi i f' k' / n} at `at` (f' = f + f0, k' = k + k0 as given by the
 * maps) and returns it. Angles are reduced mod n before the float64 cos and sin (each within an ulp or two).
 */
function twiddles(
  heap: CorrelationHeap,
  at: number,
  F: number,
  K: number,
  angle: (f: number, k: number) => [number, number],
): Twiddles {
  const h = heap.f64;
  const [re, im] = [at / 8, at / 8 + F * K];
  for (let f = 0; f < F; f++) {
    for (let k = 0; k < K; k++) {
      const [phi, w] = angle(f, k);
      h[re + f * K + k] = w * Math.cos(phi);
      h[im + f * K + k] = w * Math.sin(phi);
    }
  }
  return { re: at, im: at + 8 * F * K, F };
}

/** The phase 2 pi (a b mod n) / n with a sign, and weight w. */
const phase = (a: number, b: number, n: number, sign: number, w = 1): [number, number] => [
  (sign * 2 * Math.PI * ((((a * b) % n) + n) % n)) / n,
  w,
];

export type GramPrecision = 'float64' | 'float32';

/**
 * One self-correlation: Y at L.A (s's layout) -> Z (rows x <= h_c, P x P per tap) at L.A. With `prune`, a frequency
 * whose computed M(w) is exactly zero gets the zero Gram without the product (the product would be exactly zero too:
 * the value is the same). `gram` 'float32' needs heap.grams32.
 */
export function selfCorrelate(
  heap: CorrelationHeap,
  L: HeapLayout,
  s: Taps,
  prune = true,
  last = false,
  gram: GramPrecision = 'float64',
): StepNorms {
  const g = gridOf(s);
  const { nh, nw, nv, hc, wc, m, mm } = g;
  const N = nh * nw;
  let at = L.tw;
  const next = (t: Twiddles, K: number) => ((at = align(t.im + 8 * t.F * K)), t);
  const fwd1 = next(
    twiddles(heap, at, nv, s.sw, (v, y) => phase(v, y, nw, -1)),
    s.sw,
  );
  // The DFTs along u go by pairs (u, -u): cos and sin of +2 pi u x / nh, u <= h_c (the weight 1/2 at u = 0 of the
  // inverse counts its pair, itself, once).
  const fwd2 = next(
    twiddles(heap, at, hc + 1, s.sh, (u, x) => phase(u, x, nh, 1)),
    s.sh,
  );
  const inv1 = next(
    twiddles(heap, at, hc + 1, hc + 1, (x, u) => phase(u, x - hc, nh, 1, u === 0 ? 0.5 : 1)),
    hc + 1,
  );
  const inv2 = twiddles(heap, at, nw, nv, (y, v) => phase(v, y - wc, nw, 1, (v === 0 ? 1 : 2) / N));

  // Forward along y: T[v][x] (complex, slot v of T) from Y's rows.
  const slot = s.sh * 16 * mm;
  for (let x = 0; x < s.sh; x++) {
    const out = L.T + x * 16 * m;
    heap.rmix(L.A + x * s.sw * 8 * m, 8 * m, s.sw, fwd1, out, out + 8 * m, slot, m, L.inv);
  }
  const [weight, m2] = [[] as number[], [] as number[]];
  let grams = 0;
  for (let v = 0; v < nv; v += L.columns) {
    grams += columns(heap, L, s, g, [v, Math.min(nv, v + L.columns)], { fwd2, inv1 }, { prune, gram }, weight, m2);
  }
  // Inverse along v: Z[x][y] = Re sum_v S[v][x] (weighted twiddles) at A. The last step's rows go to A's first row one
  // at a time, each summed (absSums, same order) before the next: only a row of taps is touched, not h_c + 1 of them.
  const zRow = (x: number): number => {
    const [inp, out] = [L.T + x * 16 * mm, last ? L.A : L.A + x * nw * 8 * mm];
    heap.cmixr(inp, inp + 8 * mm, slot, nv, inv2, out, 8 * mm, mm, L.inv);
    return out;
  };
  if (last) return { grid: g, gram, m2, weight, grams, sums: absSums(heap, L, g, s.P, zRow) };
  for (let x = 0; x <= hc; x++) zRow(x);
  return { grid: g, gram, m2, weight, grams };
}

/**
 * Columns v in [v0, v1), each from T[v] to S[v] (which takes T[v]'s slot): their frequency matrices M[u] along u (at
 * M), their Grams (at G; dst -1 where pruned), and the inverse DFT along u. Appends each Gram's weight and
 * ||M||_F^2 (below) in the order (v, u); returns the Grams computed.
 *
 * Each computed ||fl(M(w))||_F^2 is read off its Gram, whose real diagonal sums the squares of the parts of fl(M)'s rows
 * (the Gram's chains), so the trace is a float64 sum of those 2 m squares in some order, as a direct pass over M would
 * give (sumUpper applies alike), without that pass; of float32 Grams, the float32 chains' allowance applies instead
 * (toeplitz-enclosure.ts). A pruned M is exactly zero.
 */
function columns(
  heap: CorrelationHeap,
  L: HeapLayout,
  s: Taps,
  g: Grid,
  [v0, v1]: [number, number],
  tw: { fwd2: Twiddles; inv1: Twiddles },
  { prune, gram }: { prune: boolean; gram: GramPrecision },
  weight: number[],
  m2: number[],
): number {
  const { nh, hc, m, mm } = g;
  const h = heap.f64;
  const slot = (v: number) => L.T + v * s.sh * 16 * mm;
  const [Mv, Gv] = [(v: number) => L.M + (v - v0) * nh * 16 * m, (v: number) => L.G + (v - v0) * nh * 16 * mm];
  const pairs: number[] = [];
  const dsts: number[] = [];
  for (let v = v0; v < v1; v++) {
    heap.cmixPair(slot(v), slot(v) + 8 * m, 16 * m, s.sh, tw.fwd2, nh, Mv(v), Mv(v) + 8 * m, 16 * m, m, L.inv);
    // at v = 0, only u <= h_c: the rest of that column is conjugate (copied below)
    for (let u = 0; u < (v === 0 ? hc + 1 : nh); u++) {
      const [src, dst] = [Mv(v) + u * 16 * m, Gv(v) + u * 16 * mm];
      weight.push(v === 0 && u === 0 ? 1 : 2);
      const zero = prune && allZero(h, src / 8, 2 * m);
      if (zero) h.fill(0, dst / 8, dst / 8 + 2 * mm);
      else pairs.push(src, dst);
      dsts.push(zero ? -1 : dst / 8);
    }
  }
  const grams = gram === 'float32' ? heap.grams32 : heap.grams;
  if (!grams) throw new Error('selfCorrelate: float32 Grams need the SIMD heap.');
  grams(pairs, s.P, s.C, L.W);
  for (const at of dsts) m2.push(at < 0 ? 0 : trace(h, at, s.P));
  for (let u = hc + 1; v0 === 0 && u < nh; u++) {
    const [from, to] = [(Gv(0) + (nh - u) * 16 * mm) / 8, (Gv(0) + u * 16 * mm) / 8];
    h.copyWithin(to, from, from + mm);
    for (let j = 0; j < mm; j++) h[to + mm + j] = -h[from + mm + j];
  }
  for (let v = v0; v < v1; v++) {
    const out = slot(v);
    heap.cmixPairInv(Gv(v), Gv(v) + 8 * mm, 16 * mm, hc + 1, tw.inv1, nh, out, out + 8 * mm, 16 * mm, mm, L.inv);
  }
  return pairs.length / 2;
}

/** Whether the n doubles at h[at] are all zero (stops at the first that is not: a frequency is rarely zero). */
function allZero(h: Float64Array, at: number, n: number): boolean {
  for (let j = at; j < at + n; j++) if (h[j] !== 0) return false;
  return true;
}

/** The float64 sum of the diagonal of the P x P block at h[at]. */
function trace(h: Float64Array, at: number, P: number): number {
  let t = 0;
  for (let a = 0; a < P; a++) t += h[at + a * (P + 1)];
  return t;
}

/**
 * Row and column sums of |Z| over all taps of the correlation at L.A whose rows x <= h_c were computed (the rows
 * x > h_c are the mirrored transposes Z[n_h-1-x][n_w-1-y] = Z[x][y]^T): the largest of each, each a float64 sum of
 * non-negative terms (sumUpper applies with n = n_h n_w P).
 */
export function absSums(
  heap: CorrelationHeap,
  L: HeapLayout,
  g: Grid,
  P: number,
  rowAt = (x: number): number => L.A + x * g.nw * 8 * g.mm,
): { row: number; col: number } {
  const { nw, hc, mm } = g;
  // [rows, columns] of the rows x < h_c (counted twice: as is and mirrored) and of the centre row x = h_c
  const at = [0, 1, 2, 3].map((i) => L.sums + 8 * P * i);
  heap.f64.fill(0, L.sums / 8, L.sums / 8 + 4 * P);
  for (let x = 0; x <= hc; x++) {
    const [r, c] = x < hc ? [at[0], at[1]] : [at[2], at[3]];
    const at0 = rowAt(x);
    for (let y = 0; y < nw; y++) heap.abssum(at0 + y * 8 * mm, P, r, c);
  }
  const h = heap.f64;
  const sums = at.map((p) => h.subarray(p / 8, p / 8 + P));
  let [row, col] = [0, 0];
  for (let a = 0; a < P; a++) {
    // the mirrored rows x > h_c turn columns into rows
    row = Math.max(row, sums[0][a] + sums[2][a] + sums[1][a]);
    col = Math.max(col, sums[1][a] + sums[3][a] + sums[0][a]);
  }
  return { row, col };
}

/**
 * Completes the correlation at A (the rows x > h_c as mirrored transposes) and returns its squared Frobenius norm
 * (a float64 sum of n_h n_w P^2 squares).
 */
export function mirror(heap: CorrelationHeap, A: number, g: Grid, P: number): number {
  const { nh, nw, hc, mm } = g;
  let [half, centre] = [0, 0];
  for (let x = 0; x <= hc; x++) {
    for (let y = 0; y < nw; y++) {
      const from = A / 8 + (x * nw + y) * mm;
      const s = heap.sumsq(8 * from, mm);
      if (x === hc) {
        centre += s;
        continue;
      }
      half += s;
      heap.transpose(8 * from, A + 8 * ((nh - 1 - x) * nw + (nw - 1 - y)) * mm, P);
    }
  }
  return 2 * half + centre;
}

/** Multiplies the first `count` doubles at A (count even) by a power of two (exact but for underflow). */
export function rescale(heap: CorrelationHeap, A: number, count: number, scale: number): void {
  heap.scale(A, count, scale);
}
