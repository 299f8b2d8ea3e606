/**
 * Pixel-error metrics for reconstruction (divergence-triangle §4.3, Table 2) and recovery of occluded
 * pixels (§4.4, Table 3). The library's images live in [-1, 1]; papers and code disagree on the range
 * and on "per pixel" versus "per image", so every function states its convention and the converters
 * below move a number between conventions.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';

/** The value range of pixels, [lo, hi]: the library's images are [-1, 1]; many papers use [0, 1]. */
export type PixelRange = readonly [number, number];
export const RANGE_MINUS_ONE_ONE: PixelRange = [-1, 1];
export const RANGE_ZERO_ONE: PixelRange = [0, 1];

function checkSameShape(a: tf.Tensor, b: tf.Tensor, what: string): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new UserError(`${what}: shapes differ ([${a.shape}] vs [${b.shape}]); pass images of the same shape`);
  }
}

function rangeWidth(range: PixelRange): number {
  const w = range[1] - range[0];
  if (!(w > 0)) throw new UserError(`pixel range [${range}] is empty; pass [lo, hi] with hi > lo, e.g. [-1, 1]`);
  return w;
}

/**
 * Mean squared error per pixel (averaged over every element, channels included), in the range of the
 * inputs: two images in [-1, 1] give an MSE "in [-1, 1] units" (the paper's Table 2 is per pixel, its
 * CIFAR/CelebA numbers in [0, 1]; convert with `convertMse`).
 * @param truth [N, H, W, C] @param recon [N, H, W, C] same range as truth
 */
export function mse(truth: tf.Tensor, recon: tf.Tensor): number {
  checkSameShape(truth, recon, 'mse');
  return tf.tidy(() => tf.squaredDifference(truth, recon).mean().dataSync()[0]);
}

/** sqrt(mse): root-mean-squared error per pixel, in the range of the inputs. */
export function rmse(truth: tf.Tensor, recon: tf.Tensor): number {
  return Math.sqrt(mse(truth, recon));
}

/**
 * Squared error summed over all pixels of an image, averaged over images — the "MSE" that the authors'
 * code logs (images in [-1, 1]). Equals mse × (pixels per image, channels included).
 * @param truth [N, ...] @param recon [N, ...]
 */
export function summedSquaredErrorPerImage(truth: tf.Tensor, recon: tf.Tensor): number {
  checkSameShape(truth, recon, 'summedSquaredErrorPerImage');
  const n = truth.shape[0] ?? 1;
  return tf.tidy(() => tf.squaredDifference(truth, recon).sum().dataSync()[0] / n);
}

/** Rescales a squared-error metric (MSE or summed SE) from one pixel range to another: × (w_to / w_from)². */
export function convertMse(value: number, from: PixelRange, to: PixelRange): number {
  const s = rangeWidth(to) / rangeWidth(from);
  return value * s * s;
}

/** Rescales an absolute-error metric (RMSE, MAE) from one pixel range to another: × w_to / w_from. */
export function convertAbsError(value: number, from: PixelRange, to: PixelRange): number {
  return (value * rangeWidth(to)) / rangeWidth(from);
}

/** Per-pixel MSE from the authors' summed-per-image error (same range). @param pixelsPerImage H·W·C */
export function mseFromSummedPerImage(summed: number, pixelsPerImage: number): number {
  return summed / pixelsPerImage;
}

/** The authors' summed-per-image error from a per-pixel MSE (same range). @param pixelsPerImage H·W·C */
export function summedPerImageFromMse(perPixel: number, pixelsPerImage: number): number {
  return perPixel * pixelsPerImage;
}

/**
 * Recovery error of divergence-triangle §4.4 (Table 3): the mean absolute difference between recovered
 * and true pixels over the occluded pixels only, relative to the pixel range (so it lies in [0, 1]
 * whatever the range).
 * @param truth [N, H, W, C] @param recovered [N, H, W, C]
 * @param mask 1 = observed, 0 = missing; same shape as truth or broadcastable to it (e.g. [N, H, W, 1])
 * @param range pixel range of truth and recovered, default [-1, 1]
 */
export function recoveryError(
  truth: tf.Tensor,
  recovered: tf.Tensor,
  mask: tf.Tensor,
  range: PixelRange = RANGE_MINUS_ONE_ONE,
): number {
  checkSameShape(truth, recovered, 'recoveryError');
  const w = rangeWidth(range);
  const [sum, count] = tf.tidy(() => {
    const missing = tf.sub(1, mask).broadcastTo(truth.shape);
    const err = tf.abs(tf.sub(truth, recovered)).mul(missing).sum();
    return [err.dataSync()[0], missing.sum().dataSync()[0]];
  });
  if (count === 0) throw new UserError('recoveryError: the mask has no missing pixels (0 = missing, 1 = observed)');
  return sum / count / w;
}
