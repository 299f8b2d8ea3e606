/**
 * Gaussian pieces shared by every objective: the generator's p_θ(x|z) = N(g_θ(z), σ²I), the
 * inference model's q_φ(z|x) = N(μ, diag e^logvar) and the prior p(z) = N(0, I).
 * Pure functions; each returns a new tensor the caller owns.
 */
import * as tf from '@tensorflow/tfjs';

const LOG_2PI = Math.log(2 * Math.PI);

/** How a per-example quantity is reduced over its non-batch axes. */
export type DimReduction = 'sum' | 'mean';

/** [N, ...] → [N] by summing or averaging over every axis but the first. */
export function reducePerExample(t: tf.Tensor, how: DimReduction): tf.Tensor1D {
  return tf.tidy(() => {
    const flat = tf.reshape(t, [t.shape[0], -1]);
    return (how === 'sum' ? tf.sum(flat, 1) : tf.mean(flat, 1)) as tf.Tensor1D;
  });
}

/**
 * KL(N(μ, diag e^logvar) ‖ N(0, I)) = ½ Σ_d (μ² + e^logvar − 1 − logvar), per example.
 * (Kingma & Welling 2014, Appendix B.)
 * @param mu [N, ...latentShape] @param logvar [N, ...latentShape]
 * @param reduction 'sum' over latent dims (the true KL) or 'mean' (the authors' code)
 * @returns [N]
 */
export function gaussianKlToPrior(mu: tf.Tensor, logvar: tf.Tensor, reduction: DimReduction = 'sum'): tf.Tensor1D {
  return tf.tidy(() => {
    const perDim = tf.mul(0.5, tf.sub(tf.add(tf.square(mu), tf.exp(logvar)), tf.add(1, logvar)));
    return reducePerExample(perDim, reduction);
  });
}

/**
 * log N(z; μ, diag e^logvar) = −½ Σ_d ((z − μ)² e^−logvar + logvar + log 2π), per example.
 * @param z, mu, logvar [N, ...latentShape] @returns [N]
 */
export function gaussianLogDensity(z: tf.Tensor, mu: tf.Tensor, logvar: tf.Tensor, reduction: DimReduction = 'sum'): tf.Tensor1D {
  return tf.tidy(() => {
    const perDim = tf.mul(-0.5, tf.add(tf.add(tf.mul(tf.squaredDifference(z, mu), tf.exp(tf.neg(logvar))), logvar), LOG_2PI));
    return reducePerExample(perDim, reduction);
  });
}

/**
 * z̃ = μ + e^{½ logvar} ⊙ ε: a reparameterized sample of q_φ(z|x), differentiable in μ and logvar.
 * @param eps [N, ...latentShape] standard normal noise, drawn by the caller (explicit randomness)
 */
export function reparameterize(mu: tf.Tensor, logvar: tf.Tensor, eps: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(mu, tf.mul(tf.exp(tf.mul(0.5, logvar)), eps)));
}

/**
 * −log p_θ(x | z) up to its constant, for p_θ(x|z) = N(g_θ(z), σ²I) (divergence-triangle Eq. 1):
 * ‖x − x̂‖² / (2σ²), summed over pixels, per example. σ² = ½ gives the authors' "summed squared error".
 * @param x, xHat [N, ...] @returns [N]
 */
export function gaussianReconstruction(x: tf.Tensor, xHat: tf.Tensor, sigma: number): tf.Tensor1D {
  return tf.tidy(() => tf.div(reducePerExample(tf.squaredDifference(x, xHat), 'sum'), 2 * sigma * sigma) as tf.Tensor1D);
}

/** The constant dropped by gaussianReconstruction: ½ D log(2πσ²) for D pixels. */
export function gaussianReconstructionConstant(pixels: number, sigma: number): number {
  return 0.5 * pixels * Math.log(2 * Math.PI * sigma * sigma);
}
