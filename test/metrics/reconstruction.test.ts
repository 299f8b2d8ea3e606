import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {
  RANGE_MINUS_ONE_ONE,
  RANGE_ZERO_ONE,
  convertAbsError,
  convertMse,
  mse,
  mseFromSummedPerImage,
  recoveryError,
  rmse,
  summedPerImageFromMse,
  summedSquaredErrorPerImage,
} from '../../lib/metrics/reconstruction';
import { isUserError } from '../../lib/errors';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('mse, rmse and the summed-per-image error on hand-computed values', () => {
  // two 2×2×1 images; differences: image 0 = [1, 0, 0, 1], image 1 = [0.5, 0.5, 0.5, 0.5]
  const truth = tf.tensor4d([0, 0, 0, 0, 0, 0, 0, 0], [2, 2, 2, 1]);
  const recon = tf.tensor4d([1, 0, 0, -1, 0.5, -0.5, 0.5, -0.5], [2, 2, 2, 1]);
  const before = tf.memory().numTensors;
  close(mse(truth, recon), (1 + 1 + 4 * 0.25) / 8);
  close(rmse(truth, recon), Math.sqrt(3 / 8));
  close(summedSquaredErrorPerImage(truth, recon), (2 + 1) / 2);
  assert.equal(tf.memory().numTensors, before, 'metrics leak no tensors');
  close(mseFromSummedPerImage(summedSquaredErrorPerImage(truth, recon), 4), mse(truth, recon));
  close(summedPerImageFromMse(0.375, 4), 1.5);
  tf.dispose([truth, recon]);
});

test('range conversion: the same images in [-1,1] and [0,1] give MSE ratio 4, RMSE ratio 2', () => {
  const a = tf.randomUniform([3, 4, 4, 1], -1, 1, 'float32', 1);
  const b = tf.randomUniform([3, 4, 4, 1], -1, 1, 'float32', 2);
  const a01 = a.add(1).div(2);
  const b01 = b.add(1).div(2);
  close(convertMse(mse(a, b), RANGE_MINUS_ONE_ONE, RANGE_ZERO_ONE), mse(a01, b01));
  close(convertAbsError(rmse(a, b), RANGE_MINUS_ONE_ONE, RANGE_ZERO_ONE), rmse(a01, b01));
  close(convertMse(convertMse(0.3, RANGE_ZERO_ONE, [0, 255]), [0, 255], RANGE_ZERO_ONE), 0.3);
  tf.dispose([a, b, a01, b01]);
});

test('recoveryError averages |error| over missing pixels only, relative to the range', () => {
  const truth = tf.tensor4d([1, 1, -1, -1], [1, 2, 2, 1]);
  // observed pixels (mask 1) are wildly wrong and must not count; missing ones are off by 0.5 and 1.0
  const recovered = tf.tensor4d([-1, 0.5, 0, -1], [1, 2, 2, 1]);
  const mask = tf.tensor4d([1, 0, 0, 1], [1, 2, 2, 1]);
  close(recoveryError(truth, recovered, mask), (0.5 + 1.0) / 2 / 2);
  // [0,1] images: same pixels, half the error, same relative error
  const t01 = truth.add(1).div(2);
  const r01 = recovered.add(1).div(2);
  close(recoveryError(t01, r01, mask, RANGE_ZERO_ONE), (0.5 + 1.0) / 2 / 2);
  // a [N,H,W,1] mask broadcasts over 3 channels
  const rgbT = tf.tile(truth, [1, 1, 1, 3]);
  const rgbR = tf.tile(recovered, [1, 1, 1, 3]);
  close(recoveryError(rgbT, rgbR, mask), 0.375);
  const allObserved = tf.onesLike(mask);
  assert.throws(() => recoveryError(truth, recovered, allObserved), (e) => isUserError(e) && /no missing pixels/.test(e.message));
  assert.throws(() => mse(truth, rgbT), (e) => isUserError(e) && /shapes differ/.test(e.message));
  tf.dispose([allObserved, truth, recovered, mask, t01, r01, rgbT, rgbR]);
});
