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

/** Twiddle factors e^{-2 pi i x k / n} of each x for taps k < taps, as cos and sin tables (one row per x). */
export function twiddles(xs: ArrayLike<number>, n: number, taps: number): { cos: Float64Array; sin: Float64Array } {
  const cos = new Float64Array(xs.length * taps);
  const sin = new Float64Array(xs.length * taps);
  for (let i = 0; i < xs.length; i++) {
    for (let k = 0; k < taps; k++) {
      const phi = (2 * Math.PI * ((xs[i] * k) % n)) / n;
      cos[i * taps + k] = Math.cos(phi);
      sin[i * taps + k] = -Math.sin(phi);
    }
  }
  return { cos, sin };
}

/** partner[f]: the index of (-u, v) when it is in the set and is another frequency, else -1. */
export function uPartners(set: FrequencySet, nh: number, nw: number): Int32Array {
  const count = set.u.length;
  const index = new Map<number, number>();
  for (let f = 0; f < count; f++) index.set(set.u[f] * nw + set.v[f], f);
  const partner = new Int32Array(count).fill(-1);
  for (let f = 0; f < count; f++) {
    const g = index.get(((nh - set.u[f]) % nh) * nw + set.v[f]);
    if (g !== undefined && g !== f) partner[f] = g;
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
