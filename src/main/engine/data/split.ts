/**
 * A split kept as uint8 NHWC pixels plus labels; floats are produced per batch. The paper's
 * protocol holds out 5,000 training images for validation (Sec. 5), done here by `splitValidation`.
 */
import { randomCropFlip } from './augment.js';
import { u8ToFloat } from './normalize.js';
import { permutation } from './rng.js';
import type { Batch, BatchOptions, ImageShape, Split } from './types.js';

export class ImageSplit implements Split {
  readonly count: number;
  private floatCache: Float32Array | null = null;

  constructor(
    readonly imagesU8: Uint8Array,
    readonly labels: Uint8Array,
    readonly imageShape: ImageShape,
  ) {
    const per = imageShape[0] * imageShape[1] * imageShape[2];
    if (imagesU8.length !== labels.length * per) {
      throw new RangeError(
        `ImageSplit: ${imagesU8.length} pixel values do not make ${labels.length} images of ${imageShape.join('x')}; build the split from matching images and labels.`,
      );
    }
    this.count = labels.length;
  }

  get images(): Float32Array {
    this.floatCache ??= u8ToFloat(this.imagesU8, this.imageShape[2]);
    return this.floatCache;
  }

  batch(indices: ArrayLike<number>, opts: BatchOptions = {}): Batch {
    const [h, w, c] = this.imageShape;
    let u8 = this.gather(indices);
    if (opts.augment) u8 = randomCropFlip(u8, indices.length, this.imageShape, opts.augment);
    const y = new Uint8Array(indices.length);
    for (let i = 0; i < indices.length; i++) y[i] = this.labels[indices[i]];
    return { x: u8ToFloat(u8, c, opts.normalize), y, shape: [indices.length, h, w, c] };
  }

  subset(indices: ArrayLike<number>): ImageSplit {
    const labels = new Uint8Array(indices.length);
    for (let i = 0; i < indices.length; i++) labels[i] = this.labels[indices[i]];
    return new ImageSplit(this.gather(indices), labels, this.imageShape);
  }

  /** The first n images (shares memory with this split). */
  head(n: number): ImageSplit {
    const k = Math.min(n, this.count);
    const per = this.imageShape[0] * this.imageShape[1] * this.imageShape[2];
    return new ImageSplit(this.imagesU8.subarray(0, k * per), this.labels.subarray(0, k), this.imageShape);
  }

  private gather(indices: ArrayLike<number>): Uint8Array {
    const per = this.imageShape[0] * this.imageShape[1] * this.imageShape[2];
    const out = new Uint8Array(indices.length * per);
    for (let i = 0; i < indices.length; i++) {
      const j = indices[i];
      if (!Number.isInteger(j) || j < 0 || j >= this.count) {
        throw new RangeError(
          `image index ${j} is outside this split (0..${this.count - 1}); indices must come from the same split.`,
        );
      }
      out.set(this.imagesU8.subarray(j * per, (j + 1) * per), i * per);
    }
    return out;
  }
}

/**
 * Hold out `count` images chosen by a seeded permutation; both parts keep the original order.
 * The same (split, count, seed) always yields the same partition.
 */
export function splitValidation(split: Split, count: number, seed: number): { train: Split; validation: Split } {
  if (!Number.isInteger(count) || count < 0 || count >= split.count) {
    throw new RangeError(
      `splitValidation: cannot hold out ${count} of ${split.count} training images; choose 0 <= count < ${split.count} (the paper uses 5,000 of 50,000/60,000).`,
    );
  }
  const perm = permutation(split.count, seed);
  const held = new Uint8Array(split.count);
  for (let i = 0; i < count; i++) held[perm[i]] = 1;
  const val = new Uint32Array(count);
  const tr = new Uint32Array(split.count - count);
  for (let i = 0, a = 0, b = 0; i < split.count; i++) {
    if (held[i]) val[a++] = i;
    else tr[b++] = i;
  }
  return { train: split.subset(tr), validation: split.subset(val) };
}
