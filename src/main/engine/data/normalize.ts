/**
 * uint8 -> float conversion and per-channel standardisation. Statistics are computed from the
 * training split (never the test split), in the [0,1] scale: x_norm = (x/255 - mean[c]) / std[c].
 */
import type { Normalization, Split } from './types.js';

/** Float copy of NHWC uint8 pixels, scaled to [0,1] and optionally standardised per channel. */
export function u8ToFloat(src: Uint8Array, channels: number, norm?: Normalization): Float32Array {
  const out = new Float32Array(src.length);
  if (!norm) {
    for (let i = 0; i < src.length; i++) out[i] = src[i] / 255;
    return out;
  }
  checkNormalization(norm, channels);
  // One lookup table per channel: 256 entries, so the hot loop is a gather.
  const lut = new Float32Array(256 * channels);
  for (let ch = 0; ch < channels; ch++) {
    for (let v = 0; v < 256; v++) lut[ch * 256 + v] = (v / 255 - norm.mean[ch]) / norm.std[ch];
  }
  for (let i = 0, ch = 0; i < src.length; i++) {
    out[i] = lut[ch * 256 + src[i]];
    if (++ch === channels) ch = 0;
  }
  return out;
}

export function checkNormalization(norm: Normalization, channels: number): void {
  if (norm.mean.length !== channels || norm.std.length !== channels) {
    throw new RangeError(
      `normalisation has ${norm.mean.length} means and ${norm.std.length} stds but the images have ${channels} channels; compute it with channelStats(train split).`,
    );
  }
  if (norm.std.some((s) => !(s > 0))) {
    throw new RangeError(
      `normalisation std must be > 0 for every channel, got [${norm.std.join(', ')}]; a constant channel cannot be standardised.`,
    );
  }
}

/** Per-channel mean and (population) standard deviation of a split's pixels in the [0,1] scale. */
export function channelStats(split: Split): Normalization {
  const c = split.imageShape[2];
  const src = split.imagesU8;
  // Histogram per channel: exact sums with no float accumulation error over 150M pixels.
  const hist = new Float64Array(256 * c);
  for (let i = 0, ch = 0; i < src.length; i++) {
    hist[ch * 256 + src[i]]++;
    if (++ch === c) ch = 0;
  }
  const mean: number[] = [];
  const std: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    let n = 0;
    let s = 0;
    let s2 = 0;
    for (let v = 0; v < 256; v++) {
      const k = hist[ch * 256 + v];
      const x = v / 255;
      n += k;
      s += k * x;
      s2 += k * x * x;
    }
    const m = n > 0 ? s / n : 0;
    mean.push(m);
    std.push(Math.sqrt(Math.max(0, n > 0 ? s2 / n - m * m : 0)));
  }
  return { mean, std };
}
