/**
 * The contract between networks (lib/models), objectives (lib/objectives) and trainers (lib/train).
 *
 * Sign convention, stated once for the whole library: an EBM returns the *score* f_α(x), and the
 * model density is π_α(x) ∝ exp(f_α(x)) (divergence-triangle paper, Eq. 5). High f means probable.
 * The *energy* plotted in landscapes and histograms is E(x) = −f_α(x): low energy means probable,
 * local minima of E are local maxima of f.
 */
import type * as tf from '@tensorflow/tfjs';

/** A named piece of network state. Trainable variables get gradients; buffers (batch-norm running
 * statistics, spectral-norm power-iteration vectors) are only checkpointed. */
export interface NamedVariable {
  readonly name: string;
  readonly variable: tf.Variable;
}

/** Anything holding tensors that checkpoints save and restore. */
export interface Module {
  readonly name: string;
  /** Trainable parameters, in a stable order (checkpoints and optimizers rely on it). */
  trainable(): NamedVariable[];
  /** Non-trainable state (BN running mean/var, spectral-norm u). */
  buffers(): NamedVariable[];
  /** Frees every variable. */
  dispose(): void;
}

/** g_θ(z): p(z) = N(0, I), p_θ(x | z) = N(g_θ(z), σ²I). */
export interface Generator extends Module {
  /** Shape of one latent code, e.g. [100] or [7, 7, 5] for the texture model. */
  readonly latentShape: number[];
  /** Shape of one image, e.g. [28, 28, 1]; [T, H, W, C] for the dynamic-texture model. */
  readonly outputShape: number[];
  /** @param z [N, ...latentShape] @returns [N, ...outputShape] in [-1, 1] (tanh output). */
  generate(z: tf.Tensor, training: boolean): tf.Tensor;
}

/** q_φ(z | x) = N(μ_φ(x), diag exp(logvar_φ(x))). */
export interface InferenceNet extends Module {
  readonly latentShape: number[];
  readonly inputShape: number[];
  /** @param x [N, ...inputShape] @returns mu, logvar: [N, ...latentShape] */
  encode(x: tf.Tensor, training: boolean): { mu: tf.Tensor; logvar: tf.Tensor };
}

/** Energy forms of the authors' code, applied to the network's raw scalar output. */
export type EnergyForm = 'identity' | 'softplus' | 'tanh' | 'sigmoid';

/** f_α(x): π_α(x) ∝ exp f_α(x). */
export interface Ebm extends Module {
  readonly inputShape: number[];
  readonly energyForm: EnergyForm;
  /** @param x [N, ...inputShape] @returns f_α(x), [N] */
  score(x: tf.Tensor, training: boolean): tf.Tensor1D;
}

/** f_α(x, z) of the VAE + latent-EBM paper: π_α(x, z) ∝ exp f_α(x, z). */
export interface LatentEbm extends Module {
  readonly inputShape: number[];
  readonly latentShape: number[];
  readonly energyForm: EnergyForm;
  /** @param x [N, ...inputShape] @param z [N, ...latentShape] @returns f_α(x, z), [N] */
  score(x: tf.Tensor, z: tf.Tensor, training: boolean): tf.Tensor1D;
}
