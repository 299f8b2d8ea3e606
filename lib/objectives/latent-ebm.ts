/**
 * Objectives of "Joint Training of Variational Auto-Encoder and Latent Energy-Based Model"
 * (Han et al., CVPR 2020; /work/shared/papers/vae-latent-ebm.txt), §4, Eqs. 9–21.
 *
 * Three joint densities of (x, z): the generator P = p(z) p_θ(x|z), the data Q = q_data(x) q_φ(z|x) and the
 * latent EBM Π = π_α(x, z) ∝ exp f_α(x, z). The triangle L = KL(Q‖P) + KL(P‖Π) − KL(Q‖Π) (Eq. 10) is
 * minimised over θ, φ and maximised over α. Every function here is a pure function of tensors and models:
 * it returns scalar losses and named terms (all [] tensors the caller owns), and never touches an optimizer.
 *
 * Sign convention (lib/models/types.ts): `ebm.score(x, z)` is f_α(x, z); high f = probable. As in
 * lib/objectives/triangle.ts, the terms named energy* are mean *energies* E = −f_α, so the EBM loss reads
 * energyData − energyGen and every method's metrics plot on the same axis.
 */
import * as tf from '@tensorflow/tfjs';
import type { Generator, InferenceNet, LatentEbm } from '../models/types';
import { UserError } from '../errors';
import { langevin, langevinJoint, type LangevinOptions, type LangevinResult } from '../samplers/langevin';
import { gaussianKlToPrior, gaussianReconstruction, reducePerExample, reparameterize, type DimReduction } from './gaussian';
import type { ObjectiveScaling } from './scaling';

/** How the inference model is learned (paper §4.5, and §5 "Ours" / "Ours(+)"). */
export type LatentEbmInferenceRule =
  /**
   * Eq. 15: L_I = KL(Q‖P) − KL(Q‖Π), the triangle's own φ-step ("Ours"). The authors' code writes it
   * `errI = lamb·(recon + KL) − (E_T + (−NLL_q))` = recon + KL + H − E_T (λ = 1, E_T their mean energy of
   * (x, z̃)), which is this loss term for term, with the KL and entropy estimated from the sample z̃ (same
   * expected gradient as the closed forms used here).
   */
  | 'eq15'
  /** Eq. 17: L_I = KL(Q‖P) + KL(Q‖Π), q_φ close to both p_θ(z|x) and π_α(z|x) ("Ours(+)"). */
  | 'eq17';

/**
 * Scale of the terms (lib/objectives/scaling.ts): σ of p_θ(x|z) and the reduction over latent dims of the
 * KL, entropy and prior terms ('sum' in the paper, 'mean' in the authors' code), plus the weight of every
 * f_α term in L_G and L_I (1 in the paper). Defaults: σ = √½ (recon = summed squared error), 'sum', 1.
 */
export type LatentEbmScaling = Partial<Pick<ObjectiveScaling, 'sigma' | 'klReduction'>> & { energyWeight?: number };

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
  return { mu, logvar, zInf: reparameterize(mu, logvar, eps) };
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
  reduction: DimReduction = 'sum',
): { entropy: tf.Tensor1D; priorNll: tf.Tensor1D; kl: tf.Tensor1D } {
  return tf.tidy(() => {
    const log2pi = Math.log(2 * Math.PI);
    const entropy = reducePerExample(logvar.add(1 + log2pi).mul(0.5), reduction);
    const priorNll = reducePerExample(mu.square().add(logvar.exp()).add(log2pi).mul(0.5), reduction);
    return { entropy, priorNll, kl: gaussianKlToPrior(mu, logvar, reduction) };
  });
}

/**
 * −log p_θ(x|z) over the observed pixels only (learning from incomplete data, divergence-triangle §4.4):
 * ‖m ⊙ (x − x̂)‖²/(2σ²) per example, [N]; without a mask, every pixel.
 * @param mask 1 = observed, 0 = missing, broadcastable to x (e.g. [N, H, W, 1])
 */
export function maskedReconstruction(x: tf.Tensor, xHat: tf.Tensor, sigma: number, mask?: tf.Tensor): tf.Tensor1D {
  if (!mask) return gaussianReconstruction(x, xHat, sigma);
  // m ∈ {0, 1}: ‖m⊙x − m⊙x̂‖² = ‖m⊙(x − x̂)‖².
  return tf.tidy(() => gaussianReconstruction(tf.mul(x, mask), tf.mul(xHat, mask), sigma));
}

/** Per-pixel mean squared error over the observed pixels (all pixels without a mask). */
export function maskedMse(x: tf.Tensor, xHat: tf.Tensor, mask?: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    if (!mask) return tf.mean(tf.squaredDifference(x, xHat)) as tf.Scalar;
    const m = tf.broadcastTo(mask, x.shape);
    return tf.div(tf.sum(tf.mul(tf.squaredDifference(x, xHat), m)), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
  });
}

function resolveScaling(s: LatentEbmScaling | undefined): Required<LatentEbmScaling> {
  const sigma = s?.sigma ?? Math.SQRT1_2;
  if (!(sigma > 0)) throw new UserError(`latent EBM objective: sigma must be > 0 (got ${sigma})`);
  return { sigma, klReduction: s?.klReduction ?? 'sum', energyWeight: s?.energyWeight ?? 1 };
}

/** Mean energy E = −f_α(x, z) over a batch. @param x [N, ...inputShape] @param z [N, ...latentShape] */
export function meanLatentEnergy(ebm: LatentEbm, x: tf.Tensor, z: tf.Tensor, training: boolean): tf.Scalar {
  return tf.tidy(() => ebm.score(x, z, training).mean().neg() as tf.Scalar);
}

/** Named terms of the latent-EBM triangle on one batch (all scalars, means over the batch). */
export interface LatentEbmTerms {
  /** mean E = −f_α(x_i, z̃_i): positive phase, on inference samples (Eq. 19, first sum). */
  energyData: tf.Scalar;
  /** mean E = −f_α(x̃_i, z_i): negative phase, on synthesis samples (Eq. 19, second sum). */
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
  /** KL(Q‖Π) up to the data entropy and log Z(α): E_q[log q_φ − f_α] = −entropy + energyData. */
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
    const energyData = meanLatentEnergy(ebm, xData, inf.zInf, opts.training);
    const energyGen = meanLatentEnergy(ebm, syn.xGen, syn.z, opts.training);
    const recon = gaussianReconstruction(xData, xRec, sc.sigma).mean() as tf.Scalar;
    const g = latentGaussianTerms(inf.mu, inf.logvar, sc.klReduction);
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
      klQPi: energyData.sub(entropy) as tf.Scalar,
    };
  });
}

/**
 * L_E(α) = KL(Q‖Π) − KL(P‖Π) (Eq. 11), whose gradient is Eq. 12, estimated by Eq. 19:
 *   L_E ≈ −(1/M) Σ f_α(x_i, z̃_i) + (1/M̃) Σ f_α(x̃_i, z_i) = energyData − energyGen  (E = −f).
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
    const energyData = meanLatentEnergy(ebm, pos.x, pos.z, training);
    const energyGen = meanLatentEnergy(ebm, neg.x, neg.z, training);
    return { loss: energyData.sub(energyGen) as tf.Scalar, energyData, energyGen };
  });
}

/**
 * L_G(θ) = KL(Q‖P) + KL(P‖Π) (Eq. 13); gradient Eq. 14, estimated by Eq. 21:
 *   L_G ≈ (1/M) Σ −log p_θ(x_i | z̃_i) − (1/M̃) Σ f_α(g_θ(z_i), z_i) = recon + energyGen.
 * Also returns mse, the per-pixel squared error of g_θ(z̃) (in the data's units).
 * The entropy of p_θ(x|z) is fixed by σ, so it does not enter the θ-gradient.
 * @param xData [M, ...], zInf [M, ...latent] (constants), z [M̃, ...latent] prior draws
 * @param opts.mask observed pixels (1) for incomplete data: the reconstruction counts only those
 */
export function latentEbmLossG(
  generator: Generator,
  ebm: LatentEbm,
  xData: tf.Tensor,
  zInf: tf.Tensor,
  z: tf.Tensor,
  opts: { scaling?: LatentEbmScaling; training: boolean; mask?: tf.Tensor },
): { loss: tf.Scalar; recon: tf.Scalar; energyGen: tf.Scalar; mse: tf.Scalar } {
  const sc = resolveScaling(opts.scaling);
  return tf.tidy(() => {
    const xRec = generator.generate(zInf, opts.training);
    const recon = maskedReconstruction(xData, xRec, sc.sigma, opts.mask).mean() as tf.Scalar;
    const mse = maskedMse(xData, xRec, opts.mask);
    const energyGen = meanLatentEnergy(ebm, generator.generate(z, opts.training), z, opts.training);
    return { loss: recon.add(energyGen.mul(sc.energyWeight)) as tf.Scalar, recon, energyGen, mse };
  });
}

/**
 * L_I(φ), estimated by Eq. 20 with the reparametrised z̃ of Eq. 18.
 *  - 'eq15' ("Ours"): KL(Q‖P) − KL(Q‖Π) = E_q[−log p_θ(x, z̃) + f_α(x, z̃)] + const
 *      = recon + priorNll − energyData (the entropy of q_φ cancels between the two KLs, Eq. 16);
 *  - 'eq17' ("Ours(+)"): KL(Q‖P) + KL(Q‖Π) = recon + kl − entropy + energyData + const.
 * (energyData = mean E = −f_α(x, z̃).)
 * The constants (data entropy, log Z(α)) do not depend on φ.
 * @param x [M, ...], eps [M, ...latent] the e₂ of Eq. 18
 * @param opts.mask observed pixels (1) for incomplete data: the reconstruction counts only those
 * @returns the loss, its terms, and zInf, the z̃ drawn (reused by the θ-step as in Algorithm 1)
 */
export function latentEbmLossI(
  inference: InferenceNet,
  generator: Generator,
  ebm: LatentEbm,
  x: tf.Tensor,
  eps: tf.Tensor,
  opts: { rule: LatentEbmInferenceRule; scaling?: LatentEbmScaling; training: boolean; mask?: tf.Tensor },
): { loss: tf.Scalar; recon: tf.Scalar; kl: tf.Scalar; entropy: tf.Scalar; priorNll: tf.Scalar; energyData: tf.Scalar; zInf: tf.Tensor } {
  const sc = resolveScaling(opts.scaling);
  return tf.tidy(() => {
    const inf = inferenceSample(inference, x, eps, opts.training);
    const recon = maskedReconstruction(x, generator.generate(inf.zInf, opts.training), sc.sigma, opts.mask).mean() as tf.Scalar;
    const g = latentGaussianTerms(inf.mu, inf.logvar, sc.klReduction);
    const kl = g.kl.mean() as tf.Scalar;
    const entropy = g.entropy.mean() as tf.Scalar;
    const priorNll = g.priorNll.mean() as tf.Scalar;
    const energyData = meanLatentEnergy(ebm, x, inf.zInf, opts.training);
    const wE = energyData.mul(sc.energyWeight);
    let loss: tf.Scalar;
    switch (opts.rule) {
      case 'eq15':
        loss = recon.add(priorNll).sub(wE) as tf.Scalar;
        break;
      case 'eq17':
        loss = recon.add(kl).sub(entropy).add(wE) as tf.Scalar;
        break;
      default: {
        const never: never = opts.rule;
        throw new UserError(`unknown inference rule "${String(never)}": use 'eq15' or 'eq17'`);
      }
    }
    return { loss, recon, kl, entropy, priorNll, energyData, zInf: inf.zInf };
  });
}

/** Options of the Langevin refinements below; clamp/noise as in lib/samplers/langevin. */
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
