/**
 * Seeded mini-batch iteration: the order of epoch e is a permutation fixed by (seed, e), so a run
 * record's seed reproduces every batch, and resuming at epoch e needs no replay of earlier epochs.
 */
import { deriveSeed, permutation } from './rng.js';
import type { Batch, BatchOptions, Split } from './types.js';

export interface BatchIteratorOptions extends BatchOptions {
  batchSize: number;
  seed: number;
  /** Epoch number; each epoch gets its own order. Default 0. */
  epoch?: number;
  /** Default true; false walks the split in stored order (evaluation). */
  shuffle?: boolean;
  /** Drop the last, smaller batch. Default false. */
  dropLast?: boolean;
}

export interface IndexedBatch extends Batch {
  indices: Uint32Array;
}

export function epochOrder(count: number, seed: number, epoch: number): Uint32Array {
  return permutation(count, deriveSeed(seed, epoch));
}

export function numBatches(count: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

export function* iterateBatches(split: Split, opts: BatchIteratorOptions): Generator<IndexedBatch> {
  const { batchSize } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}.`);
  }
  let order: Uint32Array;
  if (opts.shuffle ?? true) {
    order = epochOrder(split.count, opts.seed, opts.epoch ?? 0);
  } else {
    order = new Uint32Array(split.count);
    for (let i = 0; i < split.count; i++) order[i] = i;
  }
  const nb = numBatches(split.count, batchSize, opts.dropLast);
  for (let b = 0; b < nb; b++) {
    const indices = order.subarray(b * batchSize, Math.min(split.count, (b + 1) * batchSize));
    yield { ...split.batch(indices, opts), indices };
  }
}
