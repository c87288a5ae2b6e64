/**
 * CIFAR-10 augmentation as in the standard ResNet recipe the paper trains with (He et al. 2016,
 * Sec. 4.2): pad 4 pixels of zeros on every side, take a random 32x32 crop, flip left-right with
 * probability 1/2. Done on the NHWC batch with row copies, no padded intermediate image.
 */
import { randInt } from './rng.js';
import type { AugmentOptions, ImageShape } from './types.js';

type Pixels = Uint8Array | Float32Array;

/**
 * Augmented copy of `n` NHWC images. Per image the rng is drawn in a fixed order — crop row offset,
 * crop column offset (only when pad > 0), then the flip coin (only when flip) — so a seed fixes the batch.
 * `padValue` fills the area the crop takes from the padding (0 = black for uint8 or [0,1] floats).
 */
export function randomCropFlip<T extends Pixels>(
  src: T,
  n: number,
  shape: ImageShape,
  opts: AugmentOptions & { padValue?: number },
): T {
  const [h, w, c] = shape;
  const per = h * w * c;
  if (src.length !== n * per) {
    throw new RangeError(
      `randomCropFlip: batch has ${src.length} values, expected ${n} x ${h}x${w}x${c} = ${n * per}; pass the batch size and image shape the batch was built with.`,
    );
  }
  const pad = opts.pad ?? 4;
  const flip = opts.flip ?? true;
  if (!Number.isInteger(pad) || pad < 0 || pad >= Math.min(h, w)) {
    throw new RangeError(`randomCropFlip: pad must be an integer in [0, ${Math.min(h, w) - 1}], got ${pad}.`);
  }
  const out = new (src.constructor as { new (len: number): T })(src.length);
  const padValue = opts.padValue ?? 0;
  if (padValue !== 0) out.fill(padValue);
  const rowLen = w * c;
  for (let img = 0; img < n; img++) {
    // Offsets of the crop window relative to the unpadded image, in [-pad, pad].
    const oy = pad > 0 ? randInt(opts.rng, 2 * pad + 1) - pad : 0;
    const ox = pad > 0 ? randInt(opts.rng, 2 * pad + 1) - pad : 0;
    const doFlip = flip && opts.rng() < 0.5;
    const base = img * per;
    // Output columns x whose source column x+ox lies inside the image.
    const x0 = Math.max(0, -ox);
    const x1 = Math.min(w, w - ox);
    for (let y = 0; y < h; y++) {
      const sy = y + oy;
      if (sy < 0 || sy >= h || x1 <= x0) continue;
      const srcRow = base + sy * rowLen;
      const dstRow = base + y * rowLen;
      if (!doFlip) {
        out.set(src.subarray(srcRow + (x0 + ox) * c, srcRow + (x1 + ox) * c), dstRow + x0 * c);
        continue;
      }
      // Crop then flip: out[y][x] = cropped[y][w-1-x] = image[y+oy][w-1-x+ox].
      for (let x = 0; x < w; x++) {
        const sx = w - 1 - x + ox;
        if (sx < 0 || sx >= w) continue;
        const s = srcRow + sx * c;
        const d = dstRow + x * c;
        for (let ch = 0; ch < c; ch++) out[d + ch] = src[s + ch];
      }
    }
  }
  return out;
}
