/**
 * Learning from incomplete images (divergence-triangle paper §4.4, Table 3; after ABP [5]).
 *
 * Every training image has a known mask of missing pixels (lib/data occlusionMask: 1 = observed). As the
 * paper does ("we zero-fill the occluded parts in the beginning, then iteratively update missing values
 * using reconstructed images"), each image keeps a current fill
 *   x_fill = m ⊙ x + (1 − m) ⊙ (last reconstruction),      zeros before the first,
 * and every visit of an example (one refill per epoch)
 *   1. trains the wrapped trainer on x_fill with the mask: the encoder (triangle, VAE, latent EBM) sees the
 *      filled image, the reconstruction terms count observed pixels only (ABP's posterior reads the
 *      observed pixels alone, its persistent z is its state);
 *   2. refills: x_fill ← m ⊙ x + (1 − m) ⊙ clip(reconstruction of x_fill).
 * Recovery (held-out images, or the training images at the end) runs the same refill K = `refills` times
 * for every method: from the zero fill (held out) or the training's fills, each pass feeding the last
 * completion back; ABP carries its Langevin chain's z from one refill to the next (ChainedRefill), so its
 * K refills are one long chain. The recovered images are the completions; their error on the missing
 * pixels is Table 3's metric.
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

/** Refills of recovery when none is given: the paper gives no count; 10 passes settle the fills of the
 * small models here (recoveryErrorsByRefill shows the curve). */
export const DEFAULT_REFILLS = 10;

/** Images per batch when the whole training set is refilled at evaluation (bounds memory, not results). */
const EVAL_BATCH = 256;

/**
 * A trainer whose reconstruction carries state from one refill to the next: ABP's Langevin chain, whose z
 * would otherwise restart at every refill (its posterior reads the observed pixels only, so the fill alone
 * carries nothing from one pass to the next).
 */
export interface ChainedRefill {
  /**
   * One refill's reconstruction of `x` (eval mode).
   * @param state the previous refill's state, or null at the first (start as reconstruct() does)
   * @param refill 0, 1, … (seeds each pass's noise)
   * @returns the reconstruction [B, ...] and the state for the next refill; caller disposes both
   */
  refillReconstruct(x: tf.Tensor, state: tf.Tensor | null, refill: number, ctx?: StepContext): { recon: tf.Tensor; state: tf.Tensor };
}

/** True when `t` carries refill state (ChainedRefill). */
export function hasChainedRefill(t: Trainer): t is Trainer & ChainedRefill {
  return typeof (t as Partial<ChainedRefill>).refillReconstruct === 'function';
}

export interface IncompleteDataOptions {
  /** Observed images [N, ...] in [-1, 1]; missing pixels are zeroed here, their values are never used. */
  observed: tf.Tensor;
  /** 1 = observed, 0 = missing: [N, ...] or with a single channel [N, H, W, 1]. */
  mask: tf.Tensor;
  /** The complete images, for the recovery-error metric only (training never reads them). */
  truth?: tf.Tensor;
  /** Refills K of recovery, the same for every method (default DEFAULT_REFILLS = 10). */
  refills?: number;
  /** Pixel range the refills are clipped to (the data's, default [-1, 1]); null for none. Keeps a
   * generator without a bounded output (the 2-D MLPs) from feeding back ever larger fills. */
  range?: readonly [number, number] | null;
}

/** Options of a recovery: how many refills (default the trainer's `refills`). */
export interface RecoverOptions {
  refills?: number;
}

export class IncompleteDataTrainer implements Trainer {
  /** Current completion of every training image: observed pixels kept, missing pixels the latest refill. */
  readonly fills: PerExampleStore;
  private readonly mask: tf.Tensor;
  private readonly observed: tf.Tensor;
  private readonly truth: tf.Tensor | null;
  /** Refills K of recover() and of the training set's recovery, the same for every method. */
  readonly refills: number;
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
    this.refills = checkRefills(opts.refills ?? DEFAULT_REFILLS);
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
   * One step of the wrapped trainer on the batch's current fills (what its encoder sees; the mask keeps
   * its reconstruction terms on the observed pixels), then one refill of those examples.
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
   * Completes images with the current model by K refills from the zero fill (§4.4): observed pixels kept,
   * each pass sets the missing ones to the reconstruction of the last completion. Every method runs the
   * same K; ABP continues its chain from one pass to the next.
   * @param x [B, ...] (missing pixels ignored) @param mask [B, ...] or [B, H, W, 1], 1 = observed
   * @returns the completed images [B, ...]; caller disposes
   */
  recover(x: tf.Tensor, mask: tf.Tensor, opts: RecoverOptions = {}): tf.Tensor {
    const observed = tf.mul(x, mask);
    try {
      return this.refill(observed, mask, observed, checkRefills(opts.refills ?? this.refills));
    } finally {
      observed.dispose();
    }
  }

  /**
   * Table 3's recovery error after 0, 1, …, K refills of recover() (0 = the zero fill): the curve that
   * shows what the refill count buys.
   * @param truth [B, ...] complete images; x's observed pixels are truth's
   * @returns K + 1 errors
   */
  recoveryErrorsByRefill(truth: tf.Tensor, mask: tf.Tensor, opts: RecoverOptions = {}): number[] {
    const observed = tf.mul(truth, mask);
    const errors = [recoveryError(truth, observed, mask)];
    try {
      this.refill(observed, mask, observed, checkRefills(opts.refills ?? this.refills), undefined, (fill) => errors.push(recoveryError(truth, fill, mask))).dispose();
      return errors;
    } finally {
      observed.dispose();
    }
  }

  /**
   * K refills of every training image with the current model, from the fills training left (ABP from
   * its stored z); the stored fills are not changed. `{ refills: 0 }` gives the training's fills as they are.
   * @returns [N, ...]; caller disposes
   */
  recoveredTrainingImages(opts: RecoverOptions = {}): tf.Tensor {
    const refills = checkRefills(opts.refills ?? this.refills, 0);
    if (refills === 0) return tf.clone(this.fills.values);
    const n = this.fills.size;
    const parts: tf.Tensor[] = [];
    try {
      for (let from = 0; from < n; from += EVAL_BATCH) {
        const indices = Int32Array.from({ length: Math.min(EVAL_BATCH, n - from) }, (_, i) => from + i);
        const idx = tf.tensor1d(indices, 'int32');
        const [observed, mask, fill] = tf.tidy(() => [tf.gather(this.observed, idx), tf.gather(this.mask, idx), tf.gather(this.fills.values, idx)]);
        idx.dispose();
        try {
          parts.push(this.refill(observed, mask, fill, refills, indices));
        } finally {
          tf.dispose([observed, mask, fill]);
        }
      }
      return tf.concat(parts, 0);
    } finally {
      tf.dispose(parts);
    }
  }

  /** Table 3's recovery error of the training images after recoveredTrainingImages(opts) (needs truth). */
  trainingRecoveryError(opts: RecoverOptions = {}): number {
    if (!this.truth) throw new UserError('no ground truth was given to IncompleteDataTrainer (pass truth to measure recovery)');
    const recovered = this.recoveredTrainingImages(opts);
    try {
      return recoveryError(this.truth, recovered, this.mask);
    } finally {
      recovered.dispose();
    }
  }

  /**
   * `refills` passes fill ← observed + (1 − m) ⊙ clip(reconstruction of fill), from `fill0` (not disposed).
   * @param indices dataset rows, for trainers with per-example state (ABP's stored z)
   * @param onRefill sees each pass's completion (owned by the loop)
   * @returns the last completion (a new tensor; caller disposes)
   */
  private refill(observed: tf.Tensor, mask: tf.Tensor, fill0: tf.Tensor, refills: number, indices?: Int32Array, onRefill?: (fill: tf.Tensor) => void): tf.Tensor {
    const ctx: StepContext = indices ? { indices, mask } : { mask };
    const chained = hasChainedRefill(this.inner) ? this.inner : null;
    let fill = tf.clone(fill0);
    let state: tf.Tensor | null = null;
    try {
      for (let k = 0; k < refills; k++) {
        let rec: tf.Tensor;
        if (chained) {
          const r = chained.refillReconstruct(fill, state, k, ctx);
          state?.dispose();
          state = r.state;
          rec = r.recon;
        } else {
          rec = this.inner.reconstruct(fill, ctx);
        }
        const recon = rec;
        const next = tf.tidy(() => tf.add(observed, tf.mul(tf.sub(1, mask), this.clip(recon))));
        tf.dispose([rec, fill]);
        fill = next;
        onRefill?.(fill);
      }
      return fill;
    } catch (e) {
      fill.dispose();
      throw e;
    } finally {
      state?.dispose();
    }
  }

  private clip(x: tf.Tensor): tf.Tensor {
    return this.range ? tf.clipByValue(x, this.range[0], this.range[1]) : x;
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

function checkRefills(k: number, min = 1): number {
  if (!Number.isInteger(k) || k < min) throw new UserError(`refills must be an integer ≥ ${min} (got ${k}); each refill feeds the last completion back (§4.4)`);
  return k;
}

/**
 * Wraps `inner` for learning from `images` under occlusion `kind` (masks drawn from `seed`). The complete
 * images are kept only for the recovery-error metric.
 * @param images [N, H, W, C] in [-1, 1]; not disposed
 */
export function withOcclusion(inner: Trainer, images: tf.Tensor, kind: OcclusionKind, seed: number, opts: { refills?: number } = {}): IncompleteDataTrainer {
  if (images.rank !== 4) throw new UserError(`occlusion masks need images [N, H, W, C]; got shape [${images.shape.join(', ')}] (2-D toy data cannot be occluded)`);
  const [n, h, w] = images.shape;
  const mask = occlusionMask(kind, [n, h, w, 1], deriveNoiseSeed(seed, MASK_STREAM));
  try {
    return new IncompleteDataTrainer(inner, { observed: images, mask, truth: images, refills: opts.refills });
  } finally {
    mask.dispose();
  }
}
