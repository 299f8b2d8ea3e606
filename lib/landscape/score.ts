/**
 * The landscape tools work against a bare score function, so they map any energy: an image-space EBM,
 * an EBM seen through a generator (latent space), or a hand-built test energy.
 *
 * Sign convention of lib/models/types.ts: π(x) ∝ exp f(x), energy E(x) = −f(x). Minima, barriers and
 * disconnectivity graphs are all stated in E.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import type { Ebm } from '../models/types';

/** f(x) for a batch: [N, ...shape] → [N]. Called inside tf.tidy / tf.grad; must not dispose its input. */
export type LandscapeScoreFn = (x: tf.Tensor) => tf.Tensor1D;

/** x = g(z) for a batch: [N, ...latentShape] → [N, ...imageShape]. */
export type LandscapeGeneratorFn = (z: tf.Tensor) => tf.Tensor;

/** The score of an image-space EBM in evaluation mode (batch-norm running statistics, no dropout). */
export function ebmLandscapeScore(ebm: Ebm): LandscapeScoreFn {
  return (x) => ebm.score(x, false);
}

/** z ↦ f(g(z)): maps the landscape of an image-space energy over a generator's latent space. */
export function latentLandscapeScore(score: LandscapeScoreFn, generator: LandscapeGeneratorFn): LandscapeScoreFn {
  return (z) => tf.tidy(() => score(generator(z)));
}

/**
 * z ↦ f(g(z)) − ½‖z‖²: up to a constant, the log-density of p(z)·exp f(g(z)), the prior N(0, I) tilted by
 * the energy seen through the generator (the density discriminator-driven latent sampling draws from, Che
 * et al. 2020). The prior term makes the energy grow with ‖z‖, so a descent in latent space stays near the
 * prior's typical set: on the generator's manifold, where the EBM met its negative samples in training.
 */
export function tiltedPriorScore(score: LandscapeScoreFn, generator: LandscapeGeneratorFn): LandscapeScoreFn {
  return (z) => tf.tidy(() => score(generator(z)).sub(z.reshape([z.shape[0], -1]).square().sum(1).mul(0.5)) as tf.Tensor1D);
}

/**
 * [1, ...shape] 1 where some image is brighter than `floor` (the pixels the data ever uses), 0 elsewhere
 * (MNIST: the border and corners no training digit reaches).
 * @param images [N, ...shape] in [−1, 1]; not disposed
 * @param floor default −0.9: 5% of the range above black
 */
export function dataSupportMask(images: tf.Tensor, floor = -0.9): tf.Tensor {
  if (images.shape[0] === 0) throw new UserError('dataSupportMask: no images to take the support from');
  return tf.tidy(() => tf.max(images, 0, true).greater(floor).cast('float32'));
}

/**
 * x ↦ f(P(x)), P holding every pixel off the data's support at `background` (black): the energy of
 * images confined to the support. Its gradient is 0 off the support, so a descent started on the support
 * stays there; a descent on f alone may brighten pixels no training image (nor any generated one, so
 * nothing the EBM was trained against) ever lit.
 * @param mask [1, ...shape] from dataSupportMask; kept alive by the caller
 */
export function supportScore(score: LandscapeScoreFn, mask: tf.Tensor, background = -1): LandscapeScoreFn {
  return (x) => tf.tidy(() => score(projectOnSupport(x, mask, background)));
}

/** P(x): pixels off the support set to `background`. */
export function projectOnSupport(x: tf.Tensor, mask: tf.Tensor, background = -1): tf.Tensor {
  return tf.tidy(() => x.mul(mask).add(tf.scalar(1).sub(mask).mul(background)));
}

/** E = −f and ∇E for a batch, from one forward and one backward pass. The caller owns both tensors. */
export function energyAndGradient(score: LandscapeScoreFn, x: tf.Tensor): { energy: tf.Tensor1D; grad: tf.Tensor } {
  return tf.tidy(() => {
    // With dy = 1 the gradient of f [N] is that of Σf; examples do not interact in evaluation mode.
    const { value, grad } = tf.valueAndGrad((t: tf.Tensor) => checkedScore(score, t))(x);
    return { energy: value.neg() as tf.Tensor1D, grad: grad.neg() };
  });
}

/** E = −f for a batch, evaluated in chunks of at most `batchSize` examples; returned on the host. */
export async function energiesOf(score: LandscapeScoreFn, x: tf.Tensor, batchSize = 256): Promise<Float32Array> {
  const n = x.shape[0];
  const out = new Float32Array(n);
  for (let b = 0; b < n; b += batchSize) {
    const k = Math.min(batchSize, n - b);
    const e = tf.tidy(() => checkedScore(score, x.slice(b, k)).neg());
    out.set(await e.data(), b);
    e.dispose();
  }
  return out;
}

/** Calls the score and checks it returned one value per example. */
export function checkedScore(score: LandscapeScoreFn, x: tf.Tensor): tf.Tensor1D {
  const f = score(x);
  if (f.rank !== 1 || f.shape[0] !== x.shape[0]) {
    throw new UserError(
      `the score function returned shape [${f.shape.join(', ')}] for a batch of ${x.shape[0]}: it must return f(x) per example, shape [N]`,
    );
  }
  return f;
}

/** Number of elements of one example: [N, ...shape] → Π shape. */
export function exampleSize(x: tf.Tensor): number {
  return x.shape.slice(1).reduce((a, b) => a * b, 1);
}

/** Resolves to a rejected promise if the signal has fired; otherwise yields to the event loop once. */
export async function yieldOrAbort(signal: AbortSignal | undefined, what: string): Promise<void> {
  if (signal?.aborted) throw new UserError(`${what} aborted`);
  await new Promise<void>((resolve) => setImmediate(resolve));
}
