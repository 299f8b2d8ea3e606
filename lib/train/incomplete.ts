/**
 * Learning from incomplete images (divergence-triangle paper §4.4, Table 3; after ABP [5]).
 *
 * Every training image has a known mask of missing pixels (lib/data occlusionMask: 1 = observed). As the
 * paper does, the missing pixels start at zero and are re-filled from the model's reconstructions as
 * training goes: each visit of an example trains the wrapped trainer on its current completion
 *   x_fill = m ⊙ x + (1 − m) ⊙ fill,
 * then sets fill ← the model's reconstruction of x_fill. Trainers whose `masksReconstruction` is true
 * (triangle, VAE, latent EBM, ABP) also get the mask, so their reconstruction terms count observed pixels
 * only; any other trainer fits the completion, the refill-from-reconstruction procedure the paper describes
 * for VAEs. The recovered images are the completions; their error on the missing pixels is Table 3's metric.
 *
 * A wrapper, not a loop: it implements Trainer around any other trainer, so the runner, checkpoints
 * (the fills are a checkpointed buffer) and callbacks work unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { occlusionMask, type OcclusionKind } from '../data/masks';
import { recoveryError } from '../metrics/reconstruction';
import type { Module } from '../models/types';
import { PerExampleStore } from './abp';
import type { NetworkOptimizer } from './optimizer';
import { deriveNoiseSeed } from '../random';
import type { StepContext, Trainer } from './trainer';

/** Noise stream of the occlusion masks (rng.ts reserves ≥ 16 for trainers). */
const MASK_STREAM = 32;

export interface IncompleteDataOptions {
  /** Observed images [N, ...] in [-1, 1]; missing pixels are zeroed here, their values are never used. */
  observed: tf.Tensor;
  /** 1 = observed, 0 = missing: [N, ...] or with a single channel [N, H, W, 1]. */
  mask: tf.Tensor;
  /** The complete images, for the recovery-error metric only (training never reads them). */
  truth?: tf.Tensor;
  /** Refill passes of recover() for trainers that do not mask their reconstruction (default 5). */
  recoverIterations?: number;
  /** Pixel range the refills are clipped to (the data's, default [-1, 1]); null for none. Keeps a
   * generator without a bounded output (the 2-D MLPs) from feeding back ever larger fills. */
  range?: readonly [number, number] | null;
}

export class IncompleteDataTrainer implements Trainer {
  /** Current completion of every training image: observed pixels kept, missing pixels the latest refill. */
  readonly fills: PerExampleStore;
  private readonly mask: tf.Tensor;
  private readonly observed: tf.Tensor;
  private readonly truth: tf.Tensor | null;
  readonly recoverIterations: number;
  private readonly range: readonly [number, number] | null;

  /**
   * @param inner the trainer to run on the completions; owned by the wrapper from now on (disposed with it)
   * @param opts tensors are copied, not disposed
   */
  constructor(
    readonly inner: Trainer,
    opts: IncompleteDataOptions,
  ) {
    if (inner.method === 'acd') {
      throw new UserError('ACD learns no inference model, so it cannot complete occluded images (§4.4); use a triangle, vae, latent-ebm or abp preset with --set occlusion=…');
    }
    const ms = opts.mask.shape;
    const xs = opts.observed.shape;
    const broadcastable = ms.length === xs.length && ms.every((d, i) => d === xs[i] || (d === 1 && i === ms.length - 1));
    if (!broadcastable) throw new UserError(`incomplete data: mask shape [${ms.join(', ')}] does not fit images [${xs.join(', ')}]; build it with occlusionMask(kind, [N, H, W, C], seed)`);
    if (opts.truth && opts.truth.shape.join() !== xs.join()) throw new UserError(`incomplete data: truth shape [${opts.truth.shape.join(', ')}] differs from the images [${xs.join(', ')}]`);
    this.mask = tf.clone(opts.mask);
    this.observed = tf.tidy(() => tf.mul(opts.observed, opts.mask));
    this.truth = opts.truth ? tf.clone(opts.truth) : null;
    // Zero fill to begin with (§4.4).
    this.fills = new PerExampleStore('incomplete.fills', this.observed);
    this.recoverIterations = opts.recoverIterations ?? 5;
    this.range = opts.range === undefined ? [-1, 1] : opts.range;
  }

  get method() {
    return this.inner.method;
  }
  get seed(): number {
    return this.inner.seed;
  }
  get iteration(): number {
    return this.inner.iteration;
  }
  get epoch(): number {
    return this.inner.epoch;
  }
  get masksReconstruction(): boolean {
    return this.inner.masksReconstruction === true;
  }

  /**
   * One step of the wrapped trainer on the completions of the batch's examples, then their refill.
   * @param x ignored (the runner's batch of complete images): the wrapper reads its own observed pixels
   * @param ctx.indices required: the dataset rows of the batch
   * @returns the inner trainer's metrics plus `recoveryError` (Table 3's per-pixel absolute error on the
   *   missing pixels relative to the range, of this batch's new completions; only when truth was given)
   *   and `refillChange` (mean |Δ| of the missing pixels this refill)
   */
  step(x: tf.Tensor, ctx?: StepContext): Record<string, number> {
    void x;
    const indices = ctx?.indices;
    if (!indices) throw new UserError('learning from incomplete data needs the batch indices: train through runTraining or pass step(x, { indices })');
    const idx = tf.tensor1d(indices, 'int32');
    const xFill = this.fills.gather(indices);
    const m = tf.gather(this.mask, idx);
    let rec: tf.Tensor | undefined;
    let next: tf.Tensor | undefined;
    try {
      const metrics = this.inner.step(xFill, { indices, mask: m });
      rec = this.inner.reconstruct(xFill, { indices, mask: m });
      const recon = rec;
      next = tf.tidy(() => tf.add(tf.gather(this.observed, idx), tf.mul(tf.sub(1, m), this.clip(recon))));
      this.fills.update(indices, next);
      const out: Record<string, number> = { ...metrics };
      out.refillChange = tf.tidy(() => {
        const missing = tf.broadcastTo(tf.sub(1, m), xFill.shape);
        return tf.div(tf.sum(tf.mul(tf.abs(tf.sub(next!, xFill)), missing)), tf.maximum(tf.sum(missing), 1)).dataSync()[0];
      });
      if (this.truth) {
        const t = tf.gather(this.truth, idx);
        out.recoveryError = recoveryError(t, next, m);
        t.dispose();
      }
      return out;
    } finally {
      tf.dispose([idx, xFill, m]);
      rec?.dispose();
      next?.dispose();
    }
  }

  /**
   * Completes images with the current model: observed pixels kept, missing ones from its reconstruction.
   * Trainers that mask their reconstruction infer from the observed pixels in one pass; the others start
   * from a zero fill and refill `recoverIterations` times (each pass feeds the last completion back).
   * @param x [B, ...] (missing pixels ignored) @param mask [B, ...] or [B, H, W, 1], 1 = observed
   * @returns the completed images [B, ...]; caller disposes
   */
  recover(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
    let fill = tf.mul(x, mask);
    const observed = tf.clone(fill);
    const passes = this.masksReconstruction ? 1 : this.recoverIterations;
    for (let k = 0; k < passes; k++) {
      const rec = this.inner.reconstruct(fill, { mask });
      const next = tf.tidy(() => tf.add(observed, tf.mul(tf.sub(1, mask), this.clip(rec))));
      tf.dispose([rec, fill]);
      fill = next;
    }
    observed.dispose();
    return fill;
  }

  private clip(x: tf.Tensor): tf.Tensor {
    return this.range ? tf.clipByValue(x, this.range[0], this.range[1]) : x;
  }

  /** The current completions of all training images, [N, ...]; caller disposes. */
  recoveredTrainingImages(): tf.Tensor {
    return tf.clone(this.fills.values);
  }

  /** Table 3's recovery error of the current completions of the whole training set (needs truth). */
  trainingRecoveryError(): number {
    if (!this.truth) throw new UserError('no ground truth was given to IncompleteDataTrainer (pass truth to measure recovery)');
    return recoveryError(this.truth, this.fills.values, this.mask);
  }

  /** The training masks [N, ...] (1 = observed); caller disposes. */
  masks(): tf.Tensor {
    return tf.clone(this.mask);
  }

  setEpoch(epoch: number): void {
    this.inner.setEpoch(epoch);
  }

  sample(n: number, seed: number): tf.Tensor {
    return this.inner.sample(n, seed);
  }

  reconstruct(x: tf.Tensor, ctx?: StepContext): tf.Tensor {
    return this.inner.reconstruct(x, ctx);
  }

  modules(): Record<string, Module> {
    return { ...this.inner.modules(), incompleteFills: this.fills };
  }

  optimizers(): Record<string, NetworkOptimizer> {
    return this.inner.optimizers();
  }

  restoreProgress(iteration: number, epoch: number): void {
    this.inner.restoreProgress(iteration, epoch);
  }

  /** Frees the wrapped trainer, the fills and the copies of masks and images (not the networks). */
  dispose(): void {
    this.inner.dispose();
    this.fills.dispose();
    tf.dispose([this.mask, this.observed]);
    this.truth?.dispose();
  }
}

/**
 * Wraps `inner` for learning from `images` under occlusion `kind` (masks drawn from `seed`). The complete
 * images are kept only for the recovery-error metric.
 * @param images [N, H, W, C] in [-1, 1]; not disposed
 */
export function withOcclusion(inner: Trainer, images: tf.Tensor, kind: OcclusionKind, seed: number): IncompleteDataTrainer {
  if (images.rank !== 4) throw new UserError(`occlusion masks need images [N, H, W, C]; got shape [${images.shape.join(', ')}] (2-D toy data cannot be occluded)`);
  const [n, h, w] = images.shape;
  const mask = occlusionMask(kind, [n, h, w, 1], deriveNoiseSeed(seed, MASK_STREAM));
  try {
    return new IncompleteDataTrainer(inner, { observed: images, mask, truth: images });
  } finally {
    mask.dispose();
  }
}
