/**
 * One compact form for a layer's singular-value spectrum, whatever its size: a fixed equal-width histogram
 * between the smallest and largest singular value. A circular conv on n x n inputs has n^2 min(c_in, c_out)
 * singular values (Sedghi et al. 2019) — millions for wide layers — so the evaluation event, the store and the
 * UI all carry these ~70 numbers instead. max is the exact circular spectral norm. Pure TS.
 */

/** Bins of every recorded spectrum histogram (fixed so histograms of different steps compare bin by bin). */
export const SPECTRUM_HISTOGRAM_BINS = 64;

/** How a histogram is named in the store's spectra table (whose rows otherwise hold raw singular values). */
export const SPECTRUM_HISTOGRAM_METHOD = 'sedghi-exact/histogram';

export interface SpectrumHistogram {
  /** Number of finite values counted. */
  count: number;
  /** Smallest and largest finite value (0 and 0 when there is none); max is the exact circular norm. */
  min: number;
  max: number;
  /** bins + 1 equal-width edges from min to max. */
  edges: number[];
  /** Values per bin; a value equal to an inner edge goes to the bin above it, max to the last bin. */
  counts: number[];
  /** Non-finite values left out (a sign of a numerical fault upstream; 0 normally). */
  nonFinite: number;
}

/** Edges computed the same way when building and when unpacking, so a round trip is exact. */
function equalEdges(min: number, max: number, bins: number): number[] {
  return Array.from({ length: bins + 1 }, (_, i) => (i === bins ? max : min + ((max - min) * i) / bins));
}

function checkBins(bins: number): void {
  if (!Number.isInteger(bins) || bins < 1 || bins > 4096) {
    throw new RangeError(
      `spectrumHistogram: bins must be an integer in [1, 4096], got ${bins}. Use SPECTRUM_HISTOGRAM_BINS.`,
    );
  }
}

export function spectrumHistogram(values: ArrayLike<number>, bins = SPECTRUM_HISTOGRAM_BINS): SpectrumHistogram {
  checkBins(bins);
  let min = Infinity;
  let max = -Infinity;
  let nonFinite = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) nonFinite++;
    else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const count = values.length - nonFinite;
  if (count === 0)
    return {
      count: 0,
      min: 0,
      max: 0,
      edges: equalEdges(0, 0, bins),
      counts: new Array<number>(bins).fill(0),
      nonFinite,
    };
  const counts = new Array<number>(bins).fill(0);
  const width = (max - min) / bins;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    // A single-valued spectrum (width 0) lands in bin 0.
    const b = width > 0 ? Math.min(bins - 1, Math.floor((v - min) / width)) : 0;
    counts[b]++;
  }
  return { count, min, max, edges: equalEdges(min, max, bins), counts, nonFinite };
}

/** The store's spectra rows hold a number array: [bins, count, min, max, nonFinite, ...counts]. */
export function packSpectrumHistogram(h: SpectrumHistogram): Float64Array {
  const out = new Float64Array(5 + h.counts.length);
  out.set([h.counts.length, h.count, h.min, h.max, h.nonFinite]);
  out.set(h.counts, 5);
  return out;
}

export function unpackSpectrumHistogram(packed: ArrayLike<number>): SpectrumHistogram {
  const bins = packed[0];
  if (packed.length < 5 || !Number.isInteger(bins) || bins < 1 || packed.length !== 5 + bins) {
    throw new RangeError(
      `unpackSpectrumHistogram: expected [bins, count, min, max, nonFinite, ...counts] with ${5 + (Number.isInteger(bins) ? bins : 0)} numbers, got ${packed.length}. ` +
        `Only rows whose method is ${SPECTRUM_HISTOGRAM_METHOD} hold a packed histogram.`,
    );
  }
  const min = packed[2];
  const max = packed[3];
  return {
    count: packed[1],
    min,
    max,
    edges: equalEdges(min, max, bins),
    counts: Array.from({ length: bins }, (_, i) => packed[5 + i]),
    nonFinite: packed[4],
  };
}
