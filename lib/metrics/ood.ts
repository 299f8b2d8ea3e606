/**
 * Likelihood proxies as out-of-distribution and anomaly scores (VAE + latent-EBM paper §5.3, Table 3,
 * Figure 3; §5.4, Table 4), computed over a whole image set in batches:
 *   latent EBM  f_α(x, μ_φ(x))  the learned score of an image with its inferred code: "the training image,
 *               together with its inferred latent factor, should form the local energy minima" (§5.3);
 *   VAE         ELBO(x) = E_q log N(x; g_θ(z), σ²I) − KL(q_φ(z|x) ‖ N(0, I)), the usual VAE baseline.
 * Both are "log-likelihoods up to a constant": high means in-distribution. Detection metrics put the
 * OOD/anomalous images in the positive class and score them by the negative proxy (the energy
 * E = −f_α for the latent EBM), so AUPRC is Table 4's (anomaly = positive); AUROC is the same either way.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import type { Generator, InferenceNet, LatentEbm, Module } from '../models/types';
import { gaussianKlToPrior, gaussianReconstruction, gaussianReconstructionConstant, reparameterize } from '../objectives/gaussian';
import { deriveNoiseSeed } from '../random';
import { auprc, auroc } from './ranking';

/** Default examples per forward pass. */
export const OOD_SCORE_BATCH = 256;

/** A log-likelihood proxy of a trained model (high = in-distribution). */
export type LikelihoodScorer =
  /** f_α(x, μ_φ(x)) of the VAE + latent-EBM model. */
  | { kind: 'latent-ebm'; latentEbm: LatentEbm; inference: InferenceNet }
  /** The VAE's ELBO in nats with p_θ(x|z) = N(g_θ(z), σ²I), averaged over `samples` draws z ~ q_φ(z|x) (default 1) seeded by `seed` (default 0). */
  | { kind: 'vae-elbo'; generator: Generator; inference: InferenceNet; sigma: number; samples?: number; seed?: number };

export type LikelihoodScorerKind = LikelihoodScorer['kind'];

/** Runs `fn` on consecutive slices of `images` and concatenates its [n] outputs; tensor count unchanged on return. */
function perExampleInBatches(images: tf.Tensor, batchSize: number, fn: (x: tf.Tensor, start: number) => tf.Tensor1D): Float32Array {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UserError(`batchSize must be a positive whole number (got ${batchSize})`);
  const n = images.shape[0];
  const out = new Float32Array(n);
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const scores = tf.tidy(() => fn(tf.slice(images, start, size), start));
    try {
      out.set(scores.dataSync(), start);
    } finally {
      scores.dispose();
    }
  }
  return out;
}

/**
 * f_α(x, μ_φ(x)) per image, eval mode (the latent EBM's OOD score of §5.3; its energy is −f).
 * @param images [N, ...inputShape] in [-1, 1] (not disposed)
 * @returns [N]
 */
export function latentEbmDataScores(latentEbm: LatentEbm, inference: InferenceNet, images: tf.Tensor, opts: { batchSize?: number } = {}): Float32Array {
  return perExampleInBatches(images, opts.batchSize ?? OOD_SCORE_BATCH, (x) => latentEbm.score(x, inference.encode(x, false).mu, false));
}

/**
 * ELBO per image in nats, eval mode: mean over k = `samples` draws z̃ = μ + σ_φ ⊙ ε of
 * log N(x; g_θ(z̃), σ²I), minus KL(q_φ(z|x) ‖ N(0, I)) in closed form (summed over latent dims: a true
 * lower bound on log p_θ(x)). The draws are seeded by (seed, batch start, sample): the same set, seed and
 * batchSize give the same scores.
 * @param images [N, ...] in [-1, 1] (not disposed) @returns [N]
 */
export function vaeElboScores(
  generator: Generator,
  inference: InferenceNet,
  images: tf.Tensor,
  opts: { sigma: number; samples?: number; seed?: number; batchSize?: number },
): Float32Array {
  const k = opts.samples ?? 1;
  if (!Number.isInteger(k) || k < 1) throw new UserError(`vaeElboScores: samples must be a positive whole number (got ${k})`);
  if (!(opts.sigma > 0)) throw new UserError(`vaeElboScores: sigma must be > 0 (got ${opts.sigma}); pass the σ the VAE was trained with (presetScaling(preset).sigma)`);
  const seed = opts.seed ?? 0;
  const pixels = images.shape.slice(1).reduce((a, b) => a * b, 1);
  const constant = gaussianReconstructionConstant(pixels, opts.sigma);
  return perExampleInBatches(images, opts.batchSize ?? OOD_SCORE_BATCH, (x, start) => {
    const { mu, logvar } = inference.encode(x, false);
    let nll = tf.zeros([x.shape[0]]) as tf.Tensor1D;
    for (let s = 0; s < k; s++) {
      const eps = tf.randomNormal(mu.shape, 0, 1, 'float32', deriveNoiseSeed(seed, start, s));
      const recon = gaussianReconstruction(x, generator.generate(reparameterize(mu, logvar, eps), false), opts.sigma);
      nll = tf.add(nll, recon);
    }
    return tf.neg(tf.add(tf.add(tf.div(nll, k), constant), gaussianKlToPrior(mu, logvar, 'sum'))) as tf.Tensor1D;
  });
}

/**
 * The scorer's log-likelihood proxy per image (high = in-distribution).
 * @param images [N, ...] in [-1, 1] (not disposed) @returns [N]
 */
export function likelihoodScores(scorer: LikelihoodScorer, images: tf.Tensor, opts: { batchSize?: number } = {}): Float32Array {
  switch (scorer.kind) {
    case 'latent-ebm':
      return latentEbmDataScores(scorer.latentEbm, scorer.inference, images, opts);
    case 'vae-elbo':
      return vaeElboScores(scorer.generator, scorer.inference, images, { sigma: scorer.sigma, samples: scorer.samples, seed: scorer.seed, batchSize: opts.batchSize });
    default: {
      const never: never = scorer;
      throw new Error(`unknown scorer ${JSON.stringify(never)}`);
    }
  }
}

/**
 * The scorer of a trained run from its training method and networks (`run.trainer.modules()` or a
 * checkpoint's models): 'latent-ebm' → f_α(x, μ_φ(x)); 'vae' → the ELBO with the σ it was trained with.
 * @param opts.sigma required for 'vae' (presetScaling(preset).sigma)
 * @throws UserError for other methods or missing networks
 */
export function likelihoodScorer(
  method: string,
  modules: Readonly<Record<string, Module | undefined>>,
  opts: { sigma?: number; samples?: number; seed?: number } = {},
): LikelihoodScorer {
  const need = <T>(name: string): T => {
    const m = modules[name];
    if (!m) throw new UserError(`likelihoodScorer(${method}): the run has no ${name} network; pass the modules of a ${method} run (trainer.modules())`);
    return m as unknown as T;
  };
  if (method === 'latent-ebm') return { kind: 'latent-ebm', latentEbm: need<LatentEbm>('latentEbm'), inference: need<InferenceNet>('inference') };
  if (method === 'vae') {
    if (opts.sigma === undefined) throw new UserError('likelihoodScorer(vae): pass sigma, the σ of p_θ(x|z) the VAE was trained with (presetScaling(preset).sigma)');
    return { kind: 'vae-elbo', generator: need<Generator>('generator'), inference: need<InferenceNet>('inference'), sigma: opts.sigma, samples: opts.samples, seed: opts.seed };
  }
  throw new UserError(`likelihoodScorer: no likelihood score for method "${method}"; use a latent-ebm or vae run`);
}

/** Threshold-free detection of OOD/anomalous images against in-distribution ones. */
export interface DetectionResult {
  /** P(score_out > score_in): 1 = every OOD image scored less likely than every normal one, 0.5 = chance. */
  auroc: number;
  /** Average precision with OOD/anomalous as the positive class (Table 4's AUPRC). */
  auprc: number;
  /** Fraction of positives: the AUPRC of a random score. */
  baseRate: number;
  normal: number;
  anomalous: number;
}

/**
 * Scores and labels for lib/metrics' ranking functions and lib/viz's rocFigure/prFigure: label 1 for
 * the anomalous set, score = −(log-likelihood proxy), i.e. the energy for the latent EBM.
 * @param normal log-likelihood proxies of in-distribution images @param anomalous of OOD/anomalous ones
 */
export function detectionScores(normal: ArrayLike<number>, anomalous: ArrayLike<number>): { scores: Float64Array; labels: Uint8Array } {
  const n = normal.length;
  const m = anomalous.length;
  if (n === 0 || m === 0) throw new UserError(`detection needs images in both sets (got ${n} normal, ${m} anomalous)`);
  const scores = new Float64Array(n + m);
  const labels = new Uint8Array(n + m);
  for (let i = 0; i < n; i++) scores[i] = -normal[i];
  for (let j = 0; j < m; j++) {
    scores[n + j] = -anomalous[j];
    labels[n + j] = 1;
  }
  return { scores, labels };
}

/** AUROC, AUPRC (anomalous = positive) and the base rate from two sets of log-likelihood proxies. */
export function detectionMetrics(normal: ArrayLike<number>, anomalous: ArrayLike<number>): DetectionResult {
  const { scores, labels } = detectionScores(normal, anomalous);
  return {
    auroc: auroc(scores, labels),
    auprc: auprc(scores, labels),
    baseRate: anomalous.length / (normal.length + anomalous.length),
    normal: normal.length,
    anomalous: anomalous.length,
  };
}

/** One comparison set of an OOD evaluation. */
export interface OodSetResult extends DetectionResult {
  /** The set's log-likelihood proxies (for Figure 3's histograms). */
  scores: Float32Array;
}

/**
 * §5.3's evaluation: score the in-distribution test images and every comparison set, then AUROC/AUPRC
 * of each set against the in-distribution images.
 * @param inDistribution [N, ...] held-out images of the training distribution (not disposed)
 * @param sets name → [M, ...] images of the same shape (not disposed)
 */
export function oodEvaluation(
  scorer: LikelihoodScorer,
  inDistribution: tf.Tensor,
  sets: Readonly<Record<string, tf.Tensor>>,
  opts: { batchSize?: number } = {},
): { inDistribution: Float32Array; sets: Record<string, OodSetResult> } {
  const shape = inDistribution.shape.slice(1);
  const inScores = likelihoodScores(scorer, inDistribution, opts);
  const out: Record<string, OodSetResult> = {};
  for (const [name, images] of Object.entries(sets)) {
    const s = images.shape.slice(1);
    if (s.length !== shape.length || s.some((d, i) => d !== shape[i])) {
      throw new UserError(`oodEvaluation: set "${name}" has images [${s}] but the in-distribution set [${shape}]; load it with the same imageSize and channels`);
    }
    const scores = likelihoodScores(scorer, images, opts);
    out[name] = { ...detectionMetrics(inScores, scores), scores };
  }
  return { inDistribution: inScores, sets: out };
}

/** What the latent EBM's score of one image set rests on (a diagnostic for §5.3's score). */
export interface LatentCodeDiagnostics {
  /** mean ‖μ_φ(x)‖ over the set */
  muNorm: number;
  /** mean posterior standard deviation exp(½ logvar) over images and latent dims */
  posteriorStd: number;
  /** mean f_α(x, μ_φ(x)): the OOD score */
  scoreAtMu: number;
  /** mean f_α(x, 0): the same images with the code replaced by the prior's mode */
  scoreAtZero: number;
  /** mean f_α(x, z), z ~ N(0, I): the code replaced by a prior draw */
  scoreAtPrior: number;
}

/**
 * Per set, how far the inferred codes sit from the prior's typical set (‖z‖ ≈ √d for z ~ N(0, I_d)) and how
 * much f_α(x, ·) depends on the code at all: if scoreAtMu ≈ scoreAtZero ≈ scoreAtPrior while the sets'
 * scores differ by more, the OOD score is a function of x alone (eval mode).
 * @param sets name → [N, ...inputShape] images (not disposed) @param seed of the prior draws
 */
export function latentCodeDiagnostics(
  latentEbm: LatentEbm,
  inference: InferenceNet,
  sets: Readonly<Record<string, tf.Tensor>>,
  opts: { seed?: number; batchSize?: number } = {},
): Record<string, LatentCodeDiagnostics> {
  const seed = opts.seed ?? 0;
  const batch = opts.batchSize ?? OOD_SCORE_BATCH;
  const out: Record<string, LatentCodeDiagnostics> = {};
  const meanOf = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / Math.max(a.length, 1);
  for (const [name, images] of Object.entries(sets)) {
    const per = (f: (x: tf.Tensor, mu: tf.Tensor, logvar: tf.Tensor, start: number) => tf.Tensor1D) =>
      meanOf(perExampleInBatches(images, batch, (x, start) => {
        const { mu, logvar } = inference.encode(x, false);
        return f(x, mu, logvar, start);
      }));
    out[name] = {
      muNorm: per((_, mu) => tf.norm(tf.reshape(mu, [mu.shape[0], -1]), 'euclidean', 1) as tf.Tensor1D),
      posteriorStd: per((_, __, logvar) => tf.mean(tf.reshape(tf.exp(tf.mul(logvar, 0.5)), [logvar.shape[0], -1]), 1) as tf.Tensor1D),
      scoreAtMu: per((x, mu) => latentEbm.score(x, mu, false)),
      scoreAtZero: per((x, mu) => latentEbm.score(x, tf.zerosLike(mu), false)),
      scoreAtPrior: per((x, mu, _, start) => latentEbm.score(x, tf.randomNormal(mu.shape, 0, 1, 'float32', deriveNoiseSeed(seed, start)), false)),
    };
  }
  return out;
}
