/** Mini-batches: a deterministic shuffle per (seed, epoch), so a resumed run sees the same batches. */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { SeededRng, deriveNoiseSeed as deriveSeed } from '../random';
import type { ImageDataset } from './types';

/** Stream id that keeps batch shuffles apart from other uses of the same seed. */
const BATCH_STREAM = 0x0ba7c4;

/** A uniform random permutation of 0..n−1 (Fisher–Yates) from `rng`. */
export function seededPermutation(n: number, rng: SeededRng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

export interface BatchOptions {
  /** Drop the last, smaller batch (default true: every batch has exactly batchSize examples). */
  dropLast?: boolean;
  /** Shuffle (default true); false gives 0..n−1 in order, for evaluation passes. */
  shuffle?: boolean;
}

/**
 * The example indices of each batch of one epoch: a permutation of 0..n−1 that depends only on
 * (seed, epoch), cut into batches of `batchSize`.
 */
export function batchIndices(n: number, batchSize: number, seed: number, epoch: number, opts: BatchOptions = {}): Int32Array[] {
  if (!Number.isInteger(n) || n < 0) throw new UserError(`batchIndices: n must be a non-negative integer (got ${n})`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UserError(`batchIndices: batch size must be a positive integer (got ${batchSize})`);
  const dropLast = opts.dropLast ?? true;
  if (dropLast && n > 0 && batchSize > n) throw new UserError(`batch size ${batchSize} is larger than the ${n} examples, so every batch would be dropped: lower the batch size or load more data`);
  let order: Int32Array;
  if (opts.shuffle === false) {
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
  } else order = seededPermutation(n, new SeededRng(deriveSeed(seed, epoch, BATCH_STREAM)));
  const out: Int32Array[] = [];
  for (let i = 0; i + (dropLast ? batchSize : 1) <= n; i += batchSize) out.push(order.slice(i, Math.min(n, i + batchSize)));
  return out;
}

/**
 * The batch of training iteration `it` under an epoch-wise shuffle: iteration it is batch
 * it mod batchesPerEpoch of epoch ⌊it / batchesPerEpoch⌋, so a resumed run sees the same batches as an
 * uninterrupted one. Each epoch's permutation is computed once, when its first iteration asks.
 */
export class EpochBatches {
  readonly batchesPerEpoch: number;
  private batches: Int32Array[] = [];
  private loaded = -1;

  constructor(private readonly n: number, private readonly batchSize: number, private readonly seed: number) {
    this.batchesPerEpoch = batchIndices(n, batchSize, seed, 0).length;
  }

  /** Epoch, position in it, example indices, and whether the epoch is new (the caller's cue for setEpoch). */
  at(it: number): { epoch: number; b: number; indices: Int32Array; newEpoch: boolean } {
    const epoch = Math.floor(it / this.batchesPerEpoch);
    const newEpoch = epoch !== this.loaded;
    if (newEpoch) {
      this.batches = batchIndices(this.n, this.batchSize, this.seed, epoch);
      this.loaded = epoch;
    }
    const b = it % this.batchesPerEpoch;
    return { epoch, b, indices: this.batches[b], newEpoch };
  }
}

/** The examples `idx` of the dataset, [B, ...]: a new tensor the caller disposes. */
export function gatherBatch(ds: ImageDataset, idx: Int32Array | number[]): tf.Tensor {
  return tf.tidy(() => tf.gather(ds.images, tf.tensor1d(Int32Array.from(idx), 'int32'), 0));
}

/** The labels of `idx`, where the dataset has labels. */
export function gatherLabels(ds: ImageDataset, idx: Int32Array | number[]): Int32Array | undefined {
  if (!ds.labels) return undefined;
  const labels = ds.labels;
  return Int32Array.from(idx, (i) => labels[i]);
}
