/**
 * Seeded randomness for everything that must be reproducible from a run record: the validation
 * hold-out, the epoch order and the augmentation. Mulberry32: 32-bit state, fast, good enough for
 * shuffling; not cryptographic.
 */
import type { Rng } from './types.js';

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed for a sub-stream (e.g. epoch e of a run seeded s), so streams do not overlap trivially. */
export function deriveSeed(seed: number, stream: number): number {
  let h = (seed ^ Math.imul(stream + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Every random stream of a run, derived from its one seed (config.seed) and named here, in one place, so two
 * uses never share a stream by accident. An indexed stream uses ids base .. base + count - 1; the ranges do not
 * overlap (test/train/seed-streams.test.ts). The numbers are part of every stored run: changing one changes
 * what a recorded config reproduces.
 */
export const SEED_STREAMS = {
  /** The validation hold-out taken from the training split. */
  validationSplit: { base: 1, count: 1 },
  /** The order of the training images; each epoch derives its own permutation from it (data/batches.ts). */
  batchOrder: { base: 2, count: 1 },
  /** Random starts of the PGD attack at evaluation; each batch and restart derives its own (certify/pgd.ts). */
  pgdStarts: { base: 3, count: 1 },
  /** He-normal initial weights, one stream per parameter tensor (the layer's `stream` index). */
  initialWeights: { base: 1000, count: 4000 },
  /** Start vectors of the F4 regulariser's power iterations, one stream per penalised layer. */
  regularizerVectors: { base: 5000, count: 95_000 },
  /** Random crops and flips, one stream per epoch. */
  augmentation: { base: 100_000, count: Number.MAX_SAFE_INTEGER },

  // Linear streams (`stride` set): seed * stride + base + index, fed straight to a generator (tf.randomNormal,
  // randomUnitVector, heNormalKernel) rather than through deriveSeed. Their own id space, so the overlap rule
  // above does not apply; kept linear because recorded bound tables and reference tests used these values.
  /** F4 'tensor' engine (methods/f4.ts): one power-iteration state per reshape R, S, T, U (index j). */
  f4TensorVectors: { stride: 4, base: 0, count: 4 },
  /** F4 'host' engine (methods/f4-host.ts): reshape j's u at index 2j, its v at 2j + 1. */
  f4HostVectors: { stride: 8, base: 1, count: 8 },
  /** Start of u in a power-iteration state (numerics/power-iteration.ts): the state's seed itself. */
  powerStartU: { stride: 1, base: 0, count: 1 },
  /** Start of v in a power-iteration state: offset by a prime so it is not u's draw again. */
  powerStartV: { stride: 1, base: 7919, count: 1 },
  /** He-normal kernels of the `bounds` ResNet-18 stack (cli/bounds.ts), one per layer (index j). */
  resnetStackKernels: { stride: 1000, base: 0, count: 1000 },
} as const satisfies Record<string, { base: number; count: number; stride?: number }>;

export type SeedStream = keyof typeof SEED_STREAMS;

/** The seed of stream `name` (index `index` of it) of a run (or bound computation) seeded `seed`. */
export function streamSeed(seed: number, name: SeedStream, index = 0): number {
  const s = SEED_STREAMS[name];
  if (!Number.isInteger(index) || index < 0 || index >= s.count) {
    throw new RangeError(
      `seed stream '${name}' has indices 0..${s.count - 1}, got ${index}; widen its range in SEED_STREAMS.`,
    );
  }
  return 'stride' in s ? seed * s.stride + s.base + index : deriveSeed(seed, s.base + index);
}

/** Uniform integer in [0, n). */
export function randInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

/** Fisher–Yates in place. */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(a: T, rng: Rng): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = randInt(rng, i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

/** A permutation of 0..n-1 determined by the seed. */
export function permutation(n: number, seed: number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return shuffleInPlace(p, mulberry32(seed));
}
