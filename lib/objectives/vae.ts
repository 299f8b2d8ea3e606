/**
 * Baselines sharing the triangle's generator and inference networks.
 *
 * VAE (Kingma & Welling 2014): min_θ min_φ KL(Q‖P) (divergence-triangle Eq. 14), i.e. maximize the ELBO.
 * Wake-sleep (Hinton et al. 1995; divergence-triangle §3.2.1): θ by min KL(Q‖P) with z̃ ~ q_φ fixed
 * (wake), φ by min KL(P‖Q) on the generator's dreams (sleep): two objectives, no single loss.
 */
import * as tf from '@tensorflow/tfjs';
import type { Generator, InferenceNet } from '../models/types';
import { gaussianReconstruction, gaussianReconstructionConstant } from './gaussian';
import type { ObjectiveScaling } from './scaling';
import { klQP, latentNll } from './triangle';

/**
 * VAE loss = −ELBO without its constant = recon + kl (Eq. 14).
 * @param x [N, ...] data @param eps [N, ...latentShape] reparameterization noise
 * @param mask incomplete data (§4.4): 1 = observed, broadcastable to x; the likelihood counts observed
 *   pixels only (the ELBO of the observed part)
 * @returns loss; elbo = E_q log p_θ(x|z) − KL(q‖p) per example in nats (constant included; a true
 *   ELBO only with klReduction 'sum'); recon, kl, mse as in klQP
 */
export function vaeLoss(
  generator: Generator,
  inference: InferenceNet,
  x: tf.Tensor,
  eps: tf.Tensor,
  scaling: ObjectiveScaling,
  training: boolean,
  mask?: tf.Tensor,
): { loss: tf.Scalar; elbo: tf.Scalar; recon: tf.Scalar; kl: tf.Scalar; mse: tf.Scalar } {
  return tf.tidy(() => {
    const t = klQP(generator, inference, x, eps, scaling, training, mask);
    // Observed pixels per example (mean over the batch): the dimension of the modelled part of x.
    const pixels = mask ? tf.sum(tf.broadcastTo(mask, x.shape)).dataSync()[0] / x.shape[0] : x.size / x.shape[0];
    const elbo = tf.neg(tf.add(t.klQP, gaussianReconstructionConstant(pixels, scaling.sigma))) as tf.Scalar;
    return { loss: t.klQP, elbo, recon: t.recon, kl: t.kl, mse: t.mse };
  });
}

/**
 * Wake phase: the generator fits the completed data (z̃, x), z̃ ~ q_φ(z|x) drawn by the caller.
 *   loss = mean ‖x − g(z̃)‖²/(2σ²)
 * @param x [N, ...] @param zInf [N, ...latentShape]
 */
export function wakeLoss(
  generator: Generator,
  x: tf.Tensor,
  zInf: tf.Tensor,
  scaling: ObjectiveScaling,
  training: boolean,
): { loss: tf.Scalar; recon: tf.Scalar; mse: tf.Scalar } {
  return tf.tidy(() => {
    const xRec = generator.generate(zInf, training);
    const recon = tf.mean(gaussianReconstruction(x, xRec, scaling.sigma)) as tf.Scalar;
    return { loss: tf.clone(recon) as tf.Scalar, recon, mse: tf.mean(tf.squaredDifference(x, xRec)) as tf.Scalar };
  });
}

/**
 * Sleep phase: the inference model learns to invert dreams, min_φ KL(P‖Q) = −E_P log q_φ(z|x̃) + const.
 * @param z [M, ...latentShape] prior samples @param xGen [M, ...] = g_θ(z), fixed
 */
export function sleepLoss(inference: InferenceNet, z: tf.Tensor, xGen: tf.Tensor, training: boolean): { loss: tf.Scalar; nllLatent: tf.Scalar } {
  return tf.tidy(() => {
    const nllLatent = latentNll(inference, z, xGen, training);
    return { loss: tf.clone(nllLatent) as tf.Scalar, nllLatent };
  });
}
