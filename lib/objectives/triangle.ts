/**
 * The divergence triangle (Han et al., "Divergence Triangle for Joint Training of Generator Model,
 * Energy-based Model, and Inferential Model", §3, Eqs. 13–18, Algorithm 1):
 *
 *   D(α, θ, φ) = KL(Q‖P) + KL(P‖Π) − KL(Q‖Π),   max_α min_θ min_φ D          (Eq. 13)
 *   Q = q_data(x) q_φ(z|x),  P = p(z) p_θ(x|z),  Π = π_α(x) q_φ(z|x),  π_α ∝ exp f_α.
 *
 * Sample estimates with x ~ q_data, z̃ = μ_φ(x) + σ_φ(x)ε, z ~ N(0, I), x̃ = g_θ(z) + σe (Algorithm 1
 * line 4, x̃ ~ p_θ(x|z); the authors' image code drops the noise, e = 0, and so do callers that pass none):
 *   KL(Q‖P)  ≈ mean[‖x − g(z̃)‖²/(2σ²)] + mean KL(q_φ(z|x)‖p(z))             (Eq. 14)
 *   KL(P‖Π)  ≈ −mean f_α(x̃) − mean log q_φ(z|x̃) + log Z(α)                 (Eq. 18)
 *   KL(Q‖Π)  = KL(q_data‖π_α) ≈ −mean f_α(x) + log Z(α)                     (Eq. 17)
 * up to constants that do not depend on (α, θ, φ); log Z(α) cancels in D. Energies reported here are
 * E = −f (lib/models/types.ts), so KL(Q‖Π) ≈ energyData and the f-part of KL(P‖Π) is energyGen.
 *
 * Every function is pure: it runs the networks it is given and returns scalar tensors the caller
 * owns. Which network a loss trains is decided by the caller's tf.variableGrads variable list, so
 * "stop-gradient" is implicit: the φ-step below never moves θ even though g_θ is in its graph.
 */
import * as tf from '@tensorflow/tfjs';
import type { Ebm, Generator, InferenceNet } from '../models/types';
import { gaussianKlToPrior, gaussianLogDensity, reparameterize } from './gaussian';
import { maskedMse, maskedReconstruction } from './latent-ebm';
import type { ObjectiveScaling } from './scaling';

export interface TriangleNets {
  generator: Generator;
  inference: InferenceNet;
  ebm: Ebm;
}

/** Mean energy E = −f_α over a batch. @param x [N, ...inputShape] */
export function meanEnergy(ebm: Ebm, x: tf.Tensor, training: boolean): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(ebm.score(x, training))) as tf.Scalar);
}

/**
 * KL(Q‖P) of Eq. 14 (VAE's negative ELBO up to constants): reconstruction through the reparameterized
 * z̃ plus KL of q_φ(z|x) to the prior.
 * @param x [N, ...] data in [-1, 1] @param eps [N, ...latentShape] standard normal
 * @param mask incomplete data (§4.4): 1 = observed, broadcastable to x; recon and mse count observed
 *   pixels only (the encoder still sees all of x: callers zero the missing pixels when they must not matter)
 * @returns klQP = recon + kl; recon (mean over batch of ‖x − g(z̃)‖²/(2σ²)); kl (mean over batch,
 *   reduced over latent dims by scaling.klReduction); mse (per-pixel squared error of g(z̃), [-1, 1] units);
 *   zInf, the z̃ drawn ([N, ...latentShape])
 */
export function klQP(
  generator: Generator,
  inference: InferenceNet,
  x: tf.Tensor,
  eps: tf.Tensor,
  scaling: ObjectiveScaling,
  training: boolean,
  mask?: tf.Tensor,
): { klQP: tf.Scalar; recon: tf.Scalar; kl: tf.Scalar; mse: tf.Scalar; zInf: tf.Tensor } {
  return tf.tidy(() => {
    const { mu, logvar } = inference.encode(x, training);
    const zInf = reparameterize(mu, logvar, eps);
    const xRec = generator.generate(zInf, training);
    const recon = tf.mean(maskedReconstruction(x, xRec, scaling.sigma, mask)) as tf.Scalar;
    const kl = tf.mean(gaussianKlToPrior(mu, logvar, scaling.klReduction)) as tf.Scalar;
    const mse = maskedMse(x, xRec, mask);
    return { klQP: tf.add(recon, kl) as tf.Scalar, recon, kl, mse, zInf };
  });
}

/**
 * −log q_φ(z | x̃) averaged over the batch: the sleep-phase term of KL(P‖Π) (Eq. 18), the inference
 * model learning to invert the generator's dreams.
 * @param z [M, ...latentShape] the codes that produced x̃ @param xGen [M, ...] = g_θ(z)
 */
export function latentNll(inference: InferenceNet, z: tf.Tensor, xGen: tf.Tensor, training: boolean): tf.Scalar {
  return tf.tidy(() => {
    const { mu, logvar } = inference.encode(xGen, training);
    return tf.neg(tf.mean(gaussianLogDensity(z, mu, logvar, 'sum'))) as tf.Scalar;
  });
}

/**
 * KL(P‖Π) of Eq. 18 without log Z(α) and the θ-independent entropy of p_θ(x|z):
 *   energyGen + w · nllLatent,  energyGen = −mean f_α(x̃),  nllLatent = −mean log q_φ(z|x̃).
 * @param z [M, ...latentShape] @param xGen [M, ...] = g_θ(z); computed by the caller, inside the
 *   gradient function when θ must get gradients
 */
export function klPPi(
  inference: InferenceNet,
  ebm: Ebm,
  z: tf.Tensor,
  xGen: tf.Tensor,
  scaling: ObjectiveScaling,
  training: boolean,
): { klPPi: tf.Scalar; energyGen: tf.Scalar; nllLatent: tf.Scalar } {
  return tf.tidy(() => {
    const energyGen = meanEnergy(ebm, xGen, training);
    const nllLatent = latentNll(inference, z, xGen, training);
    return { klPPi: tf.add(energyGen, tf.mul(scaling.latentNllWeight, nllLatent)) as tf.Scalar, energyGen, nllLatent };
  });
}

/**
 * KL(Q‖Π) = KL(q_data‖π_α) (Eq. 17, q_φ cancels) without log Z(α) and the data entropy: −mean f_α(x).
 * @param x [N, ...] data
 */
export function klQPi(ebm: Ebm, x: tf.Tensor, training: boolean): { klQPi: tf.Scalar; energyData: tf.Scalar } {
  return tf.tidy(() => {
    const energyData = meanEnergy(ebm, x, training);
    return { klQPi: tf.clone(energyData) as tf.Scalar, energyData };
  });
}

/** Every term of D, named after the paper. */
export interface TriangleTerms {
  /** Eq. 13: klQP + klPPi − klQPi (constants and log Z dropped; log Z cancels). */
  D: tf.Scalar;
  klQP: tf.Scalar;
  klPPi: tf.Scalar;
  klQPi: tf.Scalar;
  recon: tf.Scalar;
  kl: tf.Scalar;
  nllLatent: tf.Scalar;
  energyData: tf.Scalar;
  energyGen: tf.Scalar;
  mse: tf.Scalar;
}

/**
 * The divergence triangle D (Eq. 13) and all its terms for one batch.
 * @param x [N, ...] data @param z [M, ...latentShape] prior samples @param eps [N, ...latentShape] noise for z̃
 * @param xNoise optional σe added to g_θ(z) (x̃ ~ p_θ(x|z)); none = the authors' x̃ = g_θ(z)
 */
export function divergenceTriangle(
  nets: TriangleNets,
  x: tf.Tensor,
  z: tf.Tensor,
  eps: tf.Tensor,
  scaling: ObjectiveScaling,
  training: boolean,
  xNoise?: tf.Tensor,
): TriangleTerms {
  return tf.tidy(() => {
    const qp = klQP(nets.generator, nets.inference, x, eps, scaling, training);
    const mean = nets.generator.generate(z, training);
    const xGen = xNoise ? tf.add(mean, xNoise) : mean;
    const ppi = klPPi(nets.inference, nets.ebm, z, xGen, scaling, training);
    const qpi = klQPi(nets.ebm, x, training);
    const D = tf.sub(tf.add(qp.klQP, ppi.klPPi), qpi.klQPi) as tf.Scalar;
    return { D, ...qp, ...ppi, ...qpi };
  });
}

/**
 * α-step of Algorithm 1: α ascends D, whose α-part is mean f(x) − mean f(x̃) (Eq. 17), so the loss to
 * minimize is  energyData − energyGen = mean E(x) − mean E(x̃),  E = −f. This is the authors'
 * `mean E(x) − mean E(g(z))` with their raw network output E playing −f_α.
 * @param x [N, ...] data @param xGen [M, ...] generator samples (fixed: only α is trained here)
 */
export function triangleEbmLoss(
  ebm: Ebm,
  x: tf.Tensor,
  xGen: tf.Tensor,
  training: boolean,
): { loss: tf.Scalar; energyData: tf.Scalar; energyGen: tf.Scalar } {
  return tf.tidy(() => {
    const energyData = meanEnergy(ebm, x, training);
    const energyGen = meanEnergy(ebm, xGen, training);
    return { loss: tf.sub(energyData, energyGen) as tf.Scalar, energyData, energyGen };
  });
}

/**
 * φ-step of Algorithm 1: the φ-dependent part of D, KL(Q‖P) + w·(−log q_φ(z|x̃)):
 *   loss = recon + kl + w · nllLatent   (authors: w = 0.1, KL averaged over latent dims).
 * Also returns zInf, the z̃ = μ_φ(x) + σ_φ(x)ε of Algorithm 1 line 6 (the φ-step's draw; the trainer's θ-step
 * draws its z̃ again through the updated φ, as the authors' code).
 * @param x [N, ...] @param eps [N, ...latentShape] noise of z̃ @param z [M, ...latentShape]
 * @param xGen [M, ...] = g_θ(z), fixed @param mask observed pixels (§4.4), see klQP
 */
export function triangleInferenceLoss(
  generator: Generator,
  inference: InferenceNet,
  x: tf.Tensor,
  eps: tf.Tensor,
  z: tf.Tensor,
  xGen: tf.Tensor,
  scaling: ObjectiveScaling,
  training: boolean,
  mask?: tf.Tensor,
): { loss: tf.Scalar; recon: tf.Scalar; kl: tf.Scalar; nllLatent: tf.Scalar; mse: tf.Scalar; zInf: tf.Tensor } {
  return tf.tidy(() => {
    const { recon, kl, mse, zInf } = klQP(generator, inference, x, eps, scaling, training, mask);
    const nllLatent = latentNll(inference, z, xGen, training);
    const loss = tf.addN([recon, kl, tf.mul(scaling.latentNllWeight, nllLatent)]) as tf.Scalar;
    return { loss, recon, kl, nllLatent, mse, zInf };
  });
}

/**
 * θ-step of Algorithm 1: the θ-dependent part of D, reconstruction of x from the given z̃ plus
 * KL(P‖Π) through x̃ = g_θ(z) (+ xNoise):
 *   loss = recon + energyGen + w · nllLatent   (the authors' `recon + mean E(g(z)) + 0.1·NLL`).
 * @param x [N, ...] @param zInf [N, ...latentShape] z̃ ~ q_φ(z|x), fixed @param z [M, ...latentShape]
 * @param xNoise optional σe, [M, ...outputShape], added to g_θ(z) so x̃ ~ p_θ(x|z) (reparameterized)
 * @param mask observed pixels (§4.4): the reconstruction counts only those
 */
export function triangleGeneratorLoss(
  generator: Generator,
  inference: InferenceNet,
  ebm: Ebm,
  x: tf.Tensor,
  zInf: tf.Tensor,
  z: tf.Tensor,
  scaling: ObjectiveScaling,
  training: boolean,
  xNoise?: tf.Tensor,
  mask?: tf.Tensor,
): { loss: tf.Scalar; recon: tf.Scalar; energyGen: tf.Scalar; nllLatent: tf.Scalar; mse: tf.Scalar } {
  return tf.tidy(() => {
    const xRec = generator.generate(zInf, training);
    const recon = tf.mean(maskedReconstruction(x, xRec, scaling.sigma, mask)) as tf.Scalar;
    const mse = maskedMse(x, xRec, mask);
    const mean = generator.generate(z, training);
    const xGen = xNoise ? tf.add(mean, xNoise) : mean;
    const { klPPi: kp, energyGen, nllLatent } = klPPi(inference, ebm, z, xGen, scaling, training);
    return { loss: tf.add(recon, kp) as tf.Scalar, recon, energyGen, nllLatent, mse };
  });
}
