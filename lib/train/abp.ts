/**
 * Alternating back-propagation (ABP; Han, Lu, Zhu & Wu, AAAI 2017 — ref. [5] of the divergence-triangle
 * paper, its baseline for learning from incomplete data, §4.4). Maximum likelihood for the generator
 * p(z) p_θ(x|z) by the EM-like gradient of divergence-triangle Eq. 6, with the posterior expectation
 * approximated by Langevin dynamics instead of an inference model:
 *
 *   inferential back-propagation:  z ← z + (δ²/2) ∇_z log p_θ(z | x) + δ ε,
 *       log p_θ(z | x) = −‖z‖²/2 − ‖x − g_θ(z)‖²/(2σ²) + const                       (l steps)
 *   learning back-propagation:     θ descends ‖x − g_θ(z)‖²/(2σ²) at the inferred z.
 *
 * `persistent` keeps each training example's z between epochs and starts its next chain there (the warm
 * start of the ABP paper), so a few Langevin steps per visit add up to a long chain. With a mask
 * (incomplete data), both steps use the observed pixels only.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import type { Generator, Module, NamedVariable } from '../models/types';
import { maskedMse, maskedReconstruction } from '../objectives/latent-ebm';
import { langevin } from '../samplers/langevin';
import type { OptimizerConfig } from './optimizer';
import { deriveNoiseSeed, NOISE_STREAM } from '../random';
import type { StepContext } from './trainer';
import { descend, TrainerBase } from './trainer-base';

/** Noise streams of ABP (rng.ts reserves ≥ 16 for trainers). */
const ABP_STREAM = { langevin: NOISE_STREAM.extra, reconstruct: NOISE_STREAM.extra + 1 } as const;

/**
 * One tensor row per training example, kept across iterations and saved in checkpoints as a buffer
 * (ABP's persistent z, incomplete data's current fills).
 */
export class PerExampleStore implements Module {
  readonly values: tf.Variable;
  private readonly named: NamedVariable;

  /** @param init [n, ...rowShape]; copied, not disposed */
  constructor(
    readonly name: string,
    init: tf.Tensor,
  ) {
    this.values = tf.variable(init, false);
    this.named = { name: `${name}.values`, variable: this.values };
  }

  get size(): number {
    return this.values.shape[0];
  }

  /** Rows `indices`, [B, ...rowShape]; caller disposes. */
  gather(indices: Int32Array): tf.Tensor {
    this.check(indices);
    return tf.tidy(() => tf.gather(this.values, tf.tensor1d(indices, 'int32')));
  }

  /** Overwrites rows `indices` with `rows` [B, ...rowShape] (not disposed). */
  update(indices: Int32Array, rows: tf.Tensor): void {
    this.check(indices);
    // Not tf.tensorScatterUpdate: the cpu backend's kernel (4.22) writes into its input's buffer, which
    // tensors built from the same data share. scatterND starts from a fresh zero buffer.
    tf.tidy(() => {
      const n = this.size;
      const idx = tf.tensor2d(indices, [indices.length, 1], 'int32');
      const rowShape = [n, ...new Array<number>(this.values.rank - 1).fill(1)];
      const hit = tf.reshape(tf.scatterND(idx, tf.ones([indices.length]), [n]), rowShape);
      const placed = tf.scatterND(idx, rows, this.values.shape);
      this.values.assign(tf.add(tf.mul(this.values, tf.sub(1, hit)), placed));
    });
  }

  trainable(): NamedVariable[] {
    return [];
  }

  buffers(): NamedVariable[] {
    return [this.named];
  }

  dispose(): void {
    this.values.dispose();
  }

  private check(indices: Int32Array): void {
    for (const i of indices) {
      if (i < 0 || i >= this.size) throw new UserError(`${this.name}: example index ${i} is outside 0..${this.size - 1}; build the store for the whole dataset`);
    }
  }
}

export interface AbpTrainerOptions {
  seed: number;
  /** σ of p_θ(x|z) = N(g_θ(z), σ²I) (ABP paper: 0.3 for images in [-1, 1]). */
  sigma: number;
  optimizer: OptimizerConfig;
  /** Inferential back-propagation: l steps of size δ (the drift is δ²/2 · ∇, the noise δ). */
  langevin: { steps: number; delta: number };
  /** Keep a z per training example (warm-started chains); needs StepContext.indices at every step. */
  persistent?: { examples: number };
  /** Langevin steps of reconstruct() (default 2 × langevin.steps). */
  reconstructSteps?: number;
}

export class AbpTrainer extends TrainerBase<'generator'> {
  readonly method = 'abp' as const;
  readonly masksReconstruction = true;
  /** The persistent z of every training example, when `persistent` is set. */
  readonly latents: PerExampleStore | null;

  constructor(
    generator: Generator,
    readonly options: AbpTrainerOptions,
  ) {
    if (!(options.sigma > 0)) throw new UserError(`ABP: sigma must be > 0 (got ${options.sigma})`);
    if (!(options.langevin.delta > 0)) throw new UserError(`ABP: the Langevin step delta must be > 0 (got ${options.langevin.delta})`);
    super(generator, options.seed, { generator: [generator, options.optimizer] });
    this.latents = null;
    if (options.persistent) {
      const init = tf.randomNormal([options.persistent.examples, ...generator.latentShape], 0, 1, 'float32', deriveNoiseSeed(options.seed, NOISE_STREAM.prior));
      this.latents = new PerExampleStore('abp.latents', init);
      init.dispose();
    }
  }

  /**
   * log p_θ(z | x) + const per example: −‖z‖²/2 − ‖m ⊙ (x − g_θ(z))‖²/(2σ²).
   * @param x [N, ...] @param z [N, ...latentShape] @returns [N]
   */
  logPosterior(x: tf.Tensor, z: tf.Tensor, training: boolean, mask?: tf.Tensor): tf.Tensor1D {
    return tf.tidy(() => {
      const prior = tf.mul(-0.5, tf.sum(tf.reshape(tf.square(z), [z.shape[0], -1]), 1));
      return tf.sub(prior, maskedReconstruction(x, this.generator.generate(z, training), this.options.sigma, mask)) as tf.Tensor1D;
    });
  }

  /**
   * l Langevin steps on p_θ(z | x) from z0 (inferential back-propagation). Returns a new tensor.
   * @param z0 [N, ...latentShape], not disposed
   */
  inferLatents(x: tf.Tensor, z0: tf.Tensor, opts: { steps: number; seed: number; training: boolean; mask?: tf.Tensor }): tf.Tensor {
    const { delta } = this.options.langevin;
    return langevin((z) => this.logPosterior(x, z, opts.training, opts.mask), z0, {
      steps: opts.steps,
      stepSize: (delta * delta) / 2,
      noise: delta,
      seed: opts.seed,
    }).sample;
  }

  /**
   * One ABP iteration on x [N, ...]: Langevin posterior sampling of z, then one generator step.
   * @param ctx.indices dataset rows of the batch (required with `persistent`); ctx.mask observed pixels
   * @returns recon (at the inferred z, before the update), mse, priorNll (½‖z‖²), logPosterior, grad norm, lr
   */
  step(x: tf.Tensor, ctx?: StepContext): Record<string, number> {
    const n = x.shape[0];
    const mask = ctx?.mask;
    let z0: tf.Tensor;
    if (this.latents) {
      if (!ctx?.indices) throw new UserError('persistent ABP needs the batch indices: train through runTraining or pass step(x, { indices })');
      if (ctx.indices.length !== n) throw new UserError(`ABP: ${ctx.indices.length} indices for a batch of ${n}`);
      z0 = this.latents.gather(ctx.indices);
    } else {
      z0 = this.state.normal([n, ...this.generator.latentShape], NOISE_STREAM.prior);
    }
    let z: tf.Tensor | undefined;
    try {
      z = this.inferLatents(x, z0, { steps: this.options.langevin.steps, seed: this.state.noiseSeed(ABP_STREAM.langevin), training: true, mask });
      const zz = z;
      const r = descend(this.opt.generator, () => {
        const xRec = this.generator.generate(zz, true);
        const recon = tf.mean(maskedReconstruction(x, xRec, this.options.sigma, mask)) as tf.Scalar;
        const priorNll = tf.mul(0.5, tf.mean(tf.sum(tf.reshape(tf.square(zz), [n, -1]), 1))) as tf.Scalar;
        return { loss: recon, recon: tf.clone(recon) as tf.Scalar, mse: maskedMse(x, xRec, mask), priorNll };
      });
      if (this.latents && ctx?.indices) this.latents.update(ctx.indices, z);
      this.state.iteration += 1;
      const { recon, mse, priorNll } = r.terms;
      return { recon, mse, priorNll, logPosterior: -(recon + priorNll), lossGen: r.terms.loss, gradNormGen: r.gradNorm, lrGen: this.opt.generator.learningRate };
    } finally {
      z0.dispose();
      z?.dispose();
    }
  }

  /**
   * g_θ(z) at z inferred from x by `reconstructSteps` Langevin steps (eval mode; deterministic given the
   * run's seed). Starts from the stored z of ctx.indices when persistent, else from z = 0.
   * @param ctx.mask infer z from the observed pixels only (incomplete data)
   */
  reconstruct(x: tf.Tensor, ctx?: StepContext): tf.Tensor {
    const r = this.refillReconstruct(x, null, 0, ctx);
    r.state.dispose();
    return r.recon;
  }

  /**
   * One refill of learning from incomplete data (lib/train/incomplete.ts ChainedRefill): `reconstructSteps`
   * Langevin steps continuing the previous refill's chain (ABP's iterative reconstruction [5]), so K refills
   * are one chain of K · reconstructSteps steps; refill 0 starts as reconstruct() does.
   * @param state the z the previous refill ended at (not disposed), or null
   * @returns g_θ(z) and the z reached; caller disposes both
   */
  refillReconstruct(x: tf.Tensor, state: tf.Tensor | null, refill: number, ctx?: StepContext): { recon: tf.Tensor; state: tf.Tensor } {
    const steps = this.options.reconstructSteps ?? 2 * this.options.langevin.steps;
    const z0 = state ? tf.clone(state) : this.latents && ctx?.indices ? this.latents.gather(ctx.indices) : tf.zeros([x.shape[0], ...this.generator.latentShape]);
    // Refill 0 keeps reconstruct()'s historical seed; each later refill draws noise of its own.
    const base = deriveNoiseSeed(this.state.seed, ABP_STREAM.reconstruct);
    const seed = refill === 0 ? base : deriveNoiseSeed(base, refill);
    const z = this.inferLatents(x, z0, { steps, seed, training: false, mask: ctx?.mask });
    z0.dispose();
    return { recon: tf.tidy(() => this.generator.generate(z, false)), state: z };
  }

  modules(): Record<string, Module> {
    return this.latents ? { generator: this.generator, abpLatents: this.latents } : { generator: this.generator };
  }

  /** Frees the optimizer and the persistent latents (not the generator). */
  override dispose(): void {
    super.dispose();
    this.latents?.dispose();
  }
}
