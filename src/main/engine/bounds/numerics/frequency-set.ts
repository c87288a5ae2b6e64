/**
 * Which frequencies the host DFT (fft2.ts) computes and its tables: one frequency of each conjugate pair
 * (Sedghi, Gupta & Long 2019: a real kernel has K(-u,-v) = conj(K(u,v)), same singular values), the columns v
 * they use, the (-u, v) pairing that stage 2 shares products over, and the twiddle factors.
 */

export interface FrequencySet {
  u: Int32Array;
  v: Int32Array;
  /** 2 if (-u,-v) is a different frequency with the same singular values, 1 if (u,v) is its own conjugate. */
  multiplicity: Uint8Array;
}

/**
 * One frequency of each conjugate pair {(u,v), (-u mod n_h, -v mod n_w)}: about n_h n_w / 2 of them. Chosen by
 * column: every u for 0 < v < n_w / 2, and half of the self-conjugate columns v = 0 (and v = n_w / 2), so the
 * separable DFT's first stage (along w) runs for only floor(n_w / 2) + 1 values of v.
 */
export function halfSpectrumFrequencies(nh: number, nw: number): FrequencySet {
  const u: number[] = [];
  const v: number[] = [];
  const m: number[] = [];
  for (let a = 0; a < nh; a++) {
    for (let b = 0; 2 * b <= nw; b++) {
      const ca = (nh - a) % nh;
      const cb = (nw - b) % nw;
      if (cb === b && ca < a) continue;
      u.push(a);
      v.push(b);
      m.push(ca === a && cb === b ? 1 : 2);
    }
  }
  return { u: Int32Array.from(u), v: Int32Array.from(v), multiplicity: Uint8Array.from(m) };
}

/**
 * Twiddle factors e^{-2 pi i x k / n} of each x for taps k < taps, as cos and sin tables (one row per x). The phase
 * index (x k) mod n takes only n values: their cos and sin are computed once (the same phi, so the same numbers),
 * where one Math.cos and Math.sin per entry took ~7 ms for the 7 x 7 stem's 25 202 frequencies at 224 (now ~2).
 */
export function twiddles(xs: ArrayLike<number>, n: number, taps: number): { cos: Float64Array; sin: Float64Array } {
  const unitCos = new Float64Array(n);
  const unitSin = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const phi = (2 * Math.PI * j) / n;
    unitCos[j] = Math.cos(phi);
    unitSin[j] = -Math.sin(phi);
  }
  const cos = new Float64Array(xs.length * taps);
  const sin = new Float64Array(xs.length * taps);
  for (let i = 0; i < xs.length; i++) {
    for (let k = 0; k < taps; k++) {
      const j = (xs[i] * k) % n;
      cos[i * taps + k] = unitCos[j];
      sin[i * taps + k] = unitSin[j];
    }
  }
  return { cos, sin };
}

/** partner[f]: the index of (-u, v) when it is in the set and is another frequency, else -1. */
export function uPartners(set: FrequencySet, nh: number, nw: number): Int32Array {
  const count = set.u.length;
  const index = new Int32Array(nh * nw).fill(-1);
  for (let f = 0; f < count; f++) index[set.u[f] * nw + set.v[f]] = f;
  const partner = new Int32Array(count).fill(-1);
  for (let f = 0; f < count; f++) {
    const g = index[((nh - set.u[f]) % nh) * nw + set.v[f]];
    if (g >= 0 && g !== f) partner[f] = g;
  }
  return partner;
}

/** The distinct columns v of a frequency set, in first-seen order, and each column's place in that list. */
export function distinctColumns(set: FrequencySet, nw: number): { vIndex: Int32Array; vList: number[] } {
  const vIndex = new Int32Array(nw).fill(-1);
  const vList: number[] = [];
  for (let f = 0; f < set.v.length; f++) {
    if (vIndex[set.v[f]] < 0) {
      vIndex[set.v[f]] = vList.length;
      vList.push(set.v[f]);
    }
  }
  return { vIndex, vList };
}
