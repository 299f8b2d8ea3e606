/**
 * Evaluating trained generators and inference nets over whole image sets, batch by batch: sample quality
 * with the feature classifiers (divergence-triangle §4.1.1, Table 1: IS and FID, here "classifier IS" and
 * "classifier FID") and held-out reconstruction error (§4.2, Table 2: per-pixel MSE). The notebooks call
 * these instead of writing loops over batches.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { deriveNoiseSeed } from '../random';
import type { Generator, InferenceNet, Module } from '../models/types';
import { classifierFeatures, loadClassifier, type ClassifierName, type FeatureClassifier } from './classifier';
import { fid, inceptionScore } from './frechet';
import { convertMse, RANGE_MINUS_ONE_ONE, RANGE_ZERO_ONE } from './reconstruction';

/** Keeps the batches' noise apart from other uses of the same seed. */
const SAMPLE_STREAM = 0x73616d;

/**
 * `n` samples drawn `batchSize` at a time (batch b uses seed deriveNoiseSeed(seed, b, SAMPLE_STREAM)), so large sets fit in
 * memory and the result does not depend on how many were drawn before. Caller disposes.
 * @param sample e.g. `(k, s) => trainer.sample(k, s)` or lib/train's sampleGenerator bound to a generator
 * @returns [n, ...image shape]
 */
export function drawSamples(sample: (n: number, seed: number) => tf.Tensor, n: number, seed: number, batchSize = 500): tf.Tensor {
  if (!Number.isInteger(n) || n < 1) throw new UserError(`drawSamples: n must be a positive integer (got ${n})`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UserError(`drawSamples: batchSize must be a positive integer (got ${batchSize})`);
  const parts: tf.Tensor[] = [];
  try {
    for (let b = 0; b * batchSize < n; b++) parts.push(sample(Math.min(batchSize, n - b * batchSize), deriveNoiseSeed(seed, b, SAMPLE_STREAM)));
    return parts.length === 1 ? parts[0].clone() : tf.concat(parts, 0);
  } finally {
    tf.dispose(parts);
  }
}

/**
 * Images as the feature classifier takes them: bilinearly resized to its [H, W] (e.g. 32×32 → 28×28 for
 * the large-scale models trained on upsampled Fashion-MNIST) and averaged to gray when it is gray.
 * Returns a new tensor (caller disposes). @param images [N, H, W, C] in [-1, 1]
 */
export function toClassifierInput(images: tf.Tensor, inputShape: readonly number[]): tf.Tensor4D {
  if (images.rank !== 4) throw new UserError(`toClassifierInput: images must be [N, H, W, C] (got [${images.shape}])`);
  const [h, w, c] = inputShape;
  return tf.tidy(() => {
    let x = images as tf.Tensor4D;
    if (x.shape[3] !== c) {
      if (c === 1) x = tf.mean(x, 3, true);
      else if (x.shape[3] === 1) x = tf.tile(x, [1, 1, 1, c]);
      else throw new UserError(`toClassifierInput: cannot turn ${x.shape[3]} channels into ${c}`);
    }
    if (x.shape[1] !== h || x.shape[2] !== w) x = tf.image.resizeBilinear(x, [h, w], false, true); // half-pixel centres: no shift
    return x.clone();
  });
}

/** Classifier FID/IS of a sample set against held-out real images (numbers comparable between our runs only). */
export interface SampleQuality {
  /** Fréchet distance between the classifier's penultimate features of samples and real images (lower is better) */
  fid: number;
  /** classifier Inception Score of the samples, mean and std over splits (higher is better; at most the class count) */
  isMean: number;
  isStd: number;
  /** the same score of the real images: the ceiling the samples are measured against */
  referenceIsMean: number;
  referenceIsStd: number;
  samples: number;
  reference: number;
}

/**
 * Classifier FID and IS of `samples` against `reference` (held-out real images), both resized to the
 * classifier's input when their size differs.
 * @param samples [N, H, W, C] in [-1, 1] @param reference [M, H', W', C'] in [-1, 1]
 */
export async function classifierSampleQuality(
  classifier: ClassifierName | FeatureClassifier,
  samples: tf.Tensor,
  reference: tf.Tensor,
  opts: { splits?: number; batchSize?: number; cacheDir?: string } = {},
): Promise<SampleQuality> {
  const clf = typeof classifier === 'string' ? await loadClassifier(classifier, { cacheDir: opts.cacheDir }) : classifier;
  const splits = opts.splits ?? 10;
  const xs = toClassifierInput(samples, clf.info.inputShape);
  const xr = toClassifierInput(reference, clf.info.inputShape);
  const fs = await classifierFeatures(clf, xs, { batchSize: opts.batchSize });
  const fr = await classifierFeatures(clf, xr, { batchSize: opts.batchSize });
  try {
    const is = inceptionScore(fs.probabilities, splits);
    const ref = inceptionScore(fr.probabilities, splits);
    return {
      fid: fid(fs.features, fr.features),
      isMean: is.mean,
      isStd: is.std,
      referenceIsMean: ref.mean,
      referenceIsStd: ref.std,
      samples: samples.shape[0],
      reference: reference.shape[0],
    };
  } finally {
    tf.dispose([xs, xr, fs.features, fs.probabilities, fr.features, fr.probabilities]);
  }
}

/** Held-out reconstruction error in the conventions that papers and code use (see reconstruction.ts). */
export interface ReconstructionErrors {
  /** mean squared error per pixel (channels included), images in [-1, 1] */
  msePerPixel: number;
  /** the same in [0, 1] units (= msePerPixel / 4) */
  msePerPixel01: number;
  /** squared error summed over an image's pixels in [-1, 1], averaged over images: what the authors' code logs */
  summedPerImage: number;
  images: number;
  /** H·W·C */
  pixelsPerImage: number;
}

/**
 * Reconstruction error of `reconstruct` (e.g. `(x) => trainer.reconstruct(x)`, x → g(μ_φ(x))) over
 * `images`, `batchSize` at a time; the squared errors are summed in float64 on the host.
 * @param images [N, ...] in [-1, 1]
 */
export function reconstructionErrors(reconstruct: (x: tf.Tensor) => tf.Tensor, images: tf.Tensor, batchSize = 500): ReconstructionErrors {
  if (images.rank < 2) throw new UserError(`reconstructionErrors: images must be [N, ...] (got [${images.shape}])`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UserError(`reconstructionErrors: batchSize must be a positive integer (got ${batchSize})`);
  const n = images.shape[0];
  if (n === 0) throw new UserError('reconstructionErrors: no images');
  const pixelsPerImage = images.size / n;
  let sum = 0;
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    sum += tf.tidy(() => {
      const x = tf.slice(images, start, size);
      const r = reconstruct(x);
      if (r.shape.join() !== x.shape.join()) throw new UserError(`reconstructionErrors: reconstruct returned [${r.shape}] for input [${x.shape}]`);
      return tf.squaredDifference(x, r).sum().dataSync()[0];
    });
  }
  const msePerPixel = sum / (n * pixelsPerImage);
  return {
    msePerPixel,
    msePerPixel01: convertMse(msePerPixel, RANGE_MINUS_ONE_ONE, RANGE_ZERO_ONE),
    summedPerImage: sum / n,
    images: n,
    pixelsPerImage,
  };
}

/**
 * Runs `fn` and then puts every buffer of `modules` (batch-norm running statistics, spectral-norm vectors)
 * back as it was: a training-mode forward pass (batch statistics) that leaves the model unchanged.
 * @returns fn's result (tensors in it are the caller's)
 */
export function withBuffersRestored<T>(modules: readonly Module[], fn: () => T): T {
  const saved = modules.flatMap((m) => m.buffers()).map((b) => ({ v: b.variable, value: tf.clone(b.variable) }));
  try {
    return fn();
  } finally {
    for (const s of saved) {
      s.v.assign(s.value);
      s.value.dispose();
    }
  }
}

/**
 * g_θ(μ_φ(x)) with batch-norm layers normalising by the batch's own statistics (training mode) instead of
 * the running averages, the model left unchanged (withBuffersRestored). The running averages of a generator
 * trained on prior draws and posterior codes of different scale describe neither; this measures the gap.
 * @param x [N, ...] @returns [N, ...], caller disposes
 */
export function reconstructWithBatchStatistics(generator: Generator, inference: InferenceNet, x: tf.Tensor): tf.Tensor {
  return withBuffersRestored([generator, inference], () => tf.tidy(() => generator.generate(inference.encode(x, true).mu, true)));
}
