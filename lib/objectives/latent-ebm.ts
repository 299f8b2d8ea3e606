/**
 * Objectives of "Joint Training of Variational Auto-Encoder and Latent Energy-Based Model"
 * (Han et al., CVPR 2020; /work/shared/papers/vae-latent-ebm.txt), §4, Eqs. 9–21.
 *
 * Three joint densities of (x, z): the generator P = p(z) p_θ(x|z), the data Q = q_data(x) q_φ(z|x) and the
 * latent EBM Π = π_α(x, z) ∝ exp f_α(x, z). The triangle L = KL(Q‖P) + KL(P‖Π) − KL(Q‖Π) (Eq. 10) is
 * minimised over θ, φ and maximised over α. Every function here is a pure function of tensors and models:
 * it returns scalar losses and named terms (all [] tensors the caller owns), and never touches an optimizer.
 *
 * Sign convention (lib/models/types.ts): `ebm.score(x, z)` is f_α(x, z); high f = probable.
 */
import * as tf from '@tensorflow/tfjs';
import type { Generator, InferenceNet, LatentEbm } from '../models/types';
import { UserError } from '../errors';
import { langevin, langevinJoint, type LangevinOptions, type LangevinResult } from '../train/langevin';

/** How the inference model is learned (paper §4.5, and §5 "Ours" / "Ours(+)"). */
export type LatentEbmInferenceRule =
  /** Eq. 15: L_I = KL(Q‖P) − KL(Q‖Π), the triangle's own φ-step ("Ours"). */
  | 'eq15'
  /** Eq. 17: L_I = KL(Q‖P) + KL(Q‖Π), q_φ close to both p_θ(z|x) and π_α(z|x) ("Ours(+)"). */
  | 'eq17';

/**
 * Scale of the terms. Paper: −log p_θ(x|z) = ‖x − g(z)‖² / (2σ²) summed over pixels, KL summed over latent
 * dims, everything a mean over the batch. The authors' code (ENVIRONMENT.md): squared error summed over pixels
 * / batch (σ² = ½) and KL averaged over batch *and* latent dims ('mean').
 */
export interface LatentEbmScaling {
  /** σ of p_θ(x|z) = N(g_θ(z), σ²I). Default √½ (recon = summed squared error, the authors' convention). */
  sigma?: number;
  /** KL(q_φ(z|x) ‖ p(z)) and the entropy/prior terms: 'sum' over latent dims (paper) or 'mean' (authors). Default 'sum'. */
  latentReduction?: 'sum' | 'mean';
  /** Multiplier of every f_α term in L_G and L_I (1 in the paper). */
  energyWeight?: number;
}

/** Synthesis sample (z_i, x̃_i) of Eq. 18, x̃ = g_θ(z) (the σe₁ noise dropped, as the paper does). */
export interface SynthesisSample {
  /** [M̃, ...latentShape] ~ N(0, I) */
  z: tf.Tensor;
  /** [M̃, ...outputShape] */
  xGen: tf.Tensor;
}

/** Inference sample (x_i, z̃_i) of Eq. 18, z̃ = μ_φ(x) + V_φ(x)^½ e₂ (reparametrised, so φ gets gradients). */
export interface InferenceSample {
  mu: tf.Tensor;
  logvar: tf.Tensor;
  /** [M, ...latentShape] */
  zInf: tf.Tensor;
}

/**
 * Eq. 18, synthesis sampling: x̃ = g_θ(z).
 * @param z [M̃, ...latentShape], standard normal, drawn by the caller (explicit randomness)
 */
export function synthesisSample(generator: Generator, z: tf.Tensor, training: boolean): SynthesisSample {
  return { z, xGen: generator.generate(z, training) };
}

/**
 * Eq. 18, inference sampling: z̃ = μ_φ(x) + exp(½ logvar_φ(x)) ⊙ e₂.
 * @param x [M, ...inputShape] in [-1, 1]
 * @param eps [M, ...latentShape] standard normal e₂, drawn by the caller
 */
export function inferenceSample(inference: InferenceNet, x: tf.Tensor, eps: tf.Tensor, training: boolean): InferenceSample {
  const { mu, logvar } = inference.encode(x, training);
  return { mu, logvar, zInf: tf.tidy(() => mu.add(logvar.mul(0.5).exp().mul(eps))) };
}

/** Per-example sum (or mean) over all axes but the first: [N, ...] → [N]. */
function reducePerExample(t: tf.Tensor, how: 'sum' | 'mean'): tf.Tensor1D {
  const flat = t.reshape([t.shape[0], -1]);
  return (how === 'sum' ? flat.sum(1) : flat.mean(1)) as tf.Tensor1D;
}

/**
 * Gaussian terms of q_φ(z|x) = N(μ, diag e^logvar) against p(z) = N(0, I), per example, reduced over latent dims:
 *   entropy  H(q)            = ½ Σ (1 + log 2π + logvar)
 *   priorNll E_q[−log p(z)]  = ½ Σ (μ² + e^logvar + log 2π)
 *   kl       KL(q ‖ p)       = priorNll − entropy = ½ Σ (μ² + e^logvar − 1 − logvar)
 */
export function latentGaussianTerms(
  mu: tf.Tensor,
  logvar: tf.Tensor,
  reduction: 'sum' | 'mean' = 'sum',
): { entropy: tf.Tensor1D; priorNll: tf.Tensor1D; kl: tf.Tensor1D } {
  return tf.tidy(() => {
    const log2pi = Math.log(2 * Math.PI);
    const entropy = reducePerExample(logvar.add(1 + log2pi).mul(0.5), reduction);
    const priorNll = reducePerExample(mu.square().add(logvar.exp()).add(log2pi).mul(0.5), reduction);
    const kl = reducePerExample(mu.square().add(logvar.exp()).sub(1).sub(logvar).mul(0.5), reduction);
    return { entropy, priorNll, kl };
  });
}

/**
 * −log p_θ(x | z) up to its constant: ‖x − g_θ(z)‖² / (2σ²) per example, [N].
 * @param x [N, ...] @param xRec g_θ(z), same shape
 */
export function gaussianReconstruction(x: tf.Tensor, xRec: tf.Tensor, sigma: number): tf.Tensor1D {
  return tf.tidy(() => reducePerExample(x.sub(xRec).square(), 'sum').div(2 * sigma * sigma) as tf.Tensor1D);
}

function resolveScaling(s: LatentEbmScaling | undefined): Required<LatentEbmScaling> {
  const sigma = s?.sigma ?? Math.SQRT1_2;
  if (!(sigma > 0)) throw new UserError(`latent EBM objective: sigma must be > 0 (got ${sigma})`);
  return { sigma, latentReduction: s?.latentReduction ?? 'sum', energyWeight: s?.energyWeight ?? 1 };
}

/** Named terms of the latent-EBM triangle on one batch (all scalars, means over the batch). */
export interface LatentEbmTerms {
  /** mean f_α(x_i, z̃_i): positive phase, on inference samples (Eq. 19, first sum). */
  energyData: tf.Scalar;
  /** mean f_α(x̃_i, z_i): negative phase, on synthesis samples (Eq. 19, second sum). */
  energyGen: tf.Scalar;
  /** mean −log p_θ(x_i | z̃_i) (up to a constant), Eq. 21 first sum. */
  recon: tf.Scalar;
  /** mean KL(q_φ(z|x_i) ‖ p(z)). */
  kl: tf.Scalar;
  /** mean H(q_φ(z|x_i)). */
  entropy: tf.Scalar;
  /** mean E_q[−log p(z)]. */
  priorNll: tf.Scalar;
  /** KL(Q‖P) up to the data entropy: recon + kl (Eq. 4–6, the negative ELBO). */
  klQP: tf.Scalar;
  /** KL(Q‖Π) up to the data entropy and log Z(α): −entropy − energyData. */
  klQPi: tf.Scalar;
}

/**
 * Every term of the triangle on one batch, given the two kinds of samples of Eq. 18.
 * @param xData [M, ...] observed images; inf its inference sample
 * @param syn synthesis sample (z, x̃)
 * @param xRec g_θ(z̃), [M, ...] (the caller runs the generator so it controls which network is in the tape)
 */
export function latentEbmTerms(
  ebm: LatentEbm,
  xData: tf.Tensor,
  inf: InferenceSample,
  syn: SynthesisSample,
  xRec: tf.Tensor,
  opts: { scaling?: LatentEbmScaling; training: boolean },
): LatentEbmTerms {
  const sc = resolveScaling(opts.scaling);
  return tf.tidy(() => {
    const energyData = ebm.score(xData, inf.zInf, opts.training).mean() as tf.Scalar;
    const energyGen = ebm.score(syn.xGen, syn.z, opts.training).mean() as tf.Scalar;
    const recon = gaussianReconstruction(xData, xRec, sc.sigma).mean() as tf.Scalar;
    const g = latentGaussianTerms(inf.mu, inf.logvar, sc.latentReduction);
    const kl = g.kl.mean() as tf.Scalar;
    const entropy = g.entropy.mean() as tf.Scalar;
    const priorNll = g.priorNll.mean() as tf.Scalar;
    return {
      energyData,
      energyGen,
      recon,
      kl,
      entropy,
      priorNll,
      klQP: recon.add(kl) as tf.Scalar,
      klQPi: entropy.neg().sub(energyData) as tf.Scalar,
    };
  });
}

/**
 * L_E(α) = KL(Q‖Π) − KL(P‖Π) (Eq. 11), whose gradient is Eq. 12, estimated by Eq. 19:
 *   L_E ≈ −(1/M) Σ f_α(x_i, z̃_i) + (1/M̃) Σ f_α(x̃_i, z_i).
 * Samples are constants here (the caller takes gradients w.r.t. α only).
 * @returns the loss and its two terms
 */
export function latentEbmLossE(
  ebm: LatentEbm,
  pos: { x: tf.Tensor; z: tf.Tensor },
  neg: { x: tf.Tensor; z: tf.Tensor },
  training: boolean,
): { loss: tf.Scalar; energyData: tf.Scalar; energyGen: tf.Scalar } {
  return tf.tidy(() => {
    const energyData = ebm.score(pos.x, pos.z, training).mean() as tf.Scalar;
    const energyGen = ebm.score(neg.x, neg.z, training).mean() as tf.Scalar;
    return { loss: energyGen.sub(energyData) as tf.Scalar, energyData, energyGen };
  });
}

/**
 * L_G(θ) = KL(Q‖P) + KL(P‖Π) (Eq. 13); gradient Eq. 14, estimated by Eq. 21:
 *   L_G ≈ (1/M) Σ −log p_θ(x_i | z̃_i) − (1/M̃) Σ f_α(g_θ(z_i), z_i).
 * The entropy of p_θ(x|z) is fixed by σ, so it does not enter the θ-gradient.
 * @param xData [M, ...], zInf [M, ...latent] (constants), z [M̃, ...latent] prior draws
 */
export function latentEbmLossG(
  generator: Generator,
  ebm: LatentEbm,
  xData: tf.Tensor,
  zInf: tf.Tensor,
  z: tf.Tensor,
  opts: { scaling?: LatentEbmScaling; training: boolean },
): { loss: tf.Scalar; recon: tf.Scalar; energyGen: tf.Scalar } {
  const sc = resolveScaling(opts.scaling);
  return tf.tidy(() => {
    const recon = gaussianReconstruction(xData, generator.generate(zInf, opts.training), sc.sigma).mean() as tf.Scalar;
    const energyGen = ebm.score(generator.generate(z, opts.training), z, opts.training).mean() as tf.Scalar;
    return { loss: recon.sub(energyGen.mul(sc.energyWeight)) as tf.Scalar, recon, energyGen };
  });
}

/**
 * L_I(φ), estimated by Eq. 20 with the reparametrised z̃ of Eq. 18.
 *  - 'eq15' ("Ours"): KL(Q‖P) − KL(Q‖Π) = E_q[−log p_θ(x, z̃) + f_α(x, z̃)] + const
 *      = recon + priorNll + energyData (the entropy of q_φ cancels between the two KLs, Eq. 16);
 *  - 'eq17' ("Ours(+)"): KL(Q‖P) + KL(Q‖Π) = recon + kl − entropy − energyData + const.
 * The constants (data entropy, log Z(α)) do not depend on φ.
 * @param x [M, ...], eps [M, ...latent] the e₂ of Eq. 18
 */
export function latentEbmLossI(
  inference: InferenceNet,
  generator: Generator,
  ebm: LatentEbm,
  x: tf.Tensor,
  eps: tf.Tensor,
  opts: { rule: LatentEbmInferenceRule; scaling?: LatentEbmScaling; training: boolean },
): { loss: tf.Scalar; recon: tf.Scalar; kl: tf.Scalar; entropy: tf.Scalar; priorNll: tf.Scalar; energyData: tf.Scalar } {
  const sc = resolveScaling(opts.scaling);
  return tf.tidy(() => {
    const inf = inferenceSample(inference, x, eps, opts.training);
    const recon = gaussianReconstruction(x, generator.generate(inf.zInf, opts.training), sc.sigma).mean() as tf.Scalar;
    const g = latentGaussianTerms(inf.mu, inf.logvar, sc.latentReduction);
    const kl = g.kl.mean() as tf.Scalar;
    const entropy = g.entropy.mean() as tf.Scalar;
    const priorNll = g.priorNll.mean() as tf.Scalar;
    const energyData = ebm.score(x, inf.zInf, opts.training).mean() as tf.Scalar;
    const wE = energyData.mul(sc.energyWeight);
    let loss: tf.Scalar;
    switch (opts.rule) {
      case 'eq15':
        loss = recon.add(priorNll).add(wE) as tf.Scalar;
        break;
      case 'eq17':
        loss = recon.add(kl).sub(entropy).sub(wE) as tf.Scalar;
        break;
      default: {
        const never: never = opts.rule;
        throw new UserError(`unknown inference rule "${String(never)}": use 'eq15' or 'eq17'`);
      }
    }
    return { loss, recon, kl, entropy, priorNll, energyData };
  });
}

/** Options of the Langevin refinements below; clamp/noise as in lib/train/langevin. */
export type LatentEbmLangevinOptions = Omit<LangevinOptions, 'clamp'> & {
  /** Clip x to this range after each step (images live in [-1, 1]). Default [-1, 1]; null for none. */
  clampX?: readonly [number, number] | null;
};

/**
 * Synthesis sampling from π_α(x, z) itself (negative phase of the exact gradient, Eq. 8): Langevin on the
 * joint (x, z) started from a synthesis sample of Eq. 18. The paper avoids it (the generator amortises it);
 * it is here to compare the amortised samplers with MCMC.
 * @returns [x, z], new tensors the caller owns
 */
export function latentEbmSynthesisLangevin(
  ebm: LatentEbm,
  x0: tf.Tensor,
  z0: tf.Tensor,
  opts: LatentEbmLangevinOptions,
): LangevinResult<tf.Tensor[]> {
  const { clampX = [-1, 1], ...rest } = opts;
  return langevinJoint((s) => ebm.score(s[0], s[1], false), [x0, z0], { ...rest, clamp: [clampX, null] });
}

/**
 * Inference sampling from π_α(z | x) ∝ exp f_α(x, z) (positive phase of Eq. 8): Langevin on z with x clamped,
 * started from q_φ's sample.
 * @returns z, a new tensor the caller owns
 */
export function latentEbmInferenceLangevin(
  ebm: LatentEbm,
  x: tf.Tensor,
  z0: tf.Tensor,
  opts: Omit<LangevinOptions, 'clamp'>,
): LangevinResult<tf.Tensor> {
  return langevin((z) => ebm.score(x, z, false), z0, opts);
}
