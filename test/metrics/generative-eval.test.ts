import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { isUserError } from '../../lib/errors';
import { classifierFeatures, FeatureClassifier } from '../../lib/metrics/classifier';
import { fid, inceptionScore } from '../../lib/metrics/frechet';
import { classifierSampleQuality, drawSamples, reconstructionErrors, toClassifierInput } from '../../lib/metrics/generative-eval';
import { mse, summedSquaredErrorPerImage } from '../../lib/metrics/reconstruction';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
const userError = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => isUserError(e) && re.test((e as Error).message));

/** A stand-in generator: seeded noise images [k, 4, 4, 1]. */
const noiseSampler = (k: number, s: number) => tf.randomUniform([k, 4, 4, 1], -1, 1, 'float32', s);

test('drawSamples draws n samples in batches, each batch from its own derived seed, without leaking', () => {
  const before = tf.memory().numTensors;
  const seen: [number, number][] = [];
  const all = drawSamples((k, s) => (seen.push([k, s]), noiseSampler(k, s)), 7, 11, 3);
  assert.deepEqual(all.shape, [7, 4, 4, 1]);
  assert.deepEqual(seen.map(([k]) => k), [3, 3, 1]);
  assert.equal(new Set(seen.map(([, s]) => s)).size, 3);
  // the first batches do not depend on how many samples are drawn in total
  const six = drawSamples(noiseSampler, 6, 11, 3);
  assert.deepEqual(Array.from(six.dataSync()), Array.from(all.dataSync()).slice(0, 6 * 16));
  // one batch: a copy the caller owns (the sampler's tensor is freed)
  const one = drawSamples(noiseSampler, 2, 11, 3);
  assert.deepEqual(Array.from(one.dataSync()), Array.from(all.dataSync()).slice(0, 2 * 16));
  tf.dispose([all, six, one]);
  assert.equal(tf.memory().numTensors, before);
  userError(() => drawSamples(noiseSampler, 0, 1), /n must be a positive integer/);
  userError(() => drawSamples(noiseSampler, 3, 1, 0), /batchSize must be a positive integer/);
});

test('toClassifierInput resizes with half-pixel centres (exact on a linear ramp) and averages colour to gray', () => {
  // ramp v(x) = x/31 over 32 columns; half-pixel bilinear resize to 28 samples it at x = (j + ½)·32/28 − ½
  const ramp = tf.tidy(() => tf.tile(tf.reshape(tf.linspace(0, 1, 32), [1, 1, 32, 1]), [2, 32, 1, 1]));
  const out = toClassifierInput(ramp, [28, 28, 1]);
  assert.deepEqual(out.shape, [2, 28, 28, 1]);
  const v = out.dataSync();
  for (let j = 1; j < 27; j++) {
    const x = ((j + 0.5) * 32) / 28 - 0.5;
    close(v[5 * 28 + j], x / 31, 1e-5, `column ${j}`);
  }
  const rgb = tf.tensor4d([0.3, -0.6, 0.9], [1, 1, 1, 3]);
  const gray = toClassifierInput(rgb, [1, 1, 1]);
  close(gray.dataSync()[0], 0.2, 1e-6, 'gray');
  const same = toClassifierInput(gray, [1, 1, 1]);
  assert.notEqual(same, gray); // always a new tensor the caller owns
  tf.dispose([ramp, out, rgb, gray, same]);
  userError(() => toClassifierInput(tf.zeros([2, 2]), [28, 28, 1]), /must be \[N, H, W, C\]/);
});

test('classifierSampleQuality equals FID and IS computed by hand from the classifier features', async () => {
  const clf = FeatureClassifier.create('tiny', [8, 8, 1], 4, 5);
  const samples = tf.randomUniform([40, 8, 8, 1], -1, 1, 'float32', 1);
  const reference = tf.tidy(() => tf.randomUniform([50, 8, 8, 1], -1, 1, 'float32', 2).mul(0.5));
  const before = tf.memory().numTensors;
  const q = await classifierSampleQuality(clf, samples, reference, { splits: 5, batchSize: 16 });
  assert.equal(tf.memory().numTensors, before);
  const a = await classifierFeatures(clf, samples);
  const b = await classifierFeatures(clf, reference);
  close(q.fid, fid(a.features, b.features), 1e-6 * Math.max(1, q.fid), 'fid');
  const is = inceptionScore(a.probabilities, 5);
  const ref = inceptionScore(b.probabilities, 5);
  close(q.isMean, is.mean, 1e-9, 'IS mean');
  close(q.isStd, is.std, 1e-9, 'IS std');
  close(q.referenceIsMean, ref.mean, 1e-9, 'reference IS');
  assert.equal(q.samples, 40);
  assert.equal(q.reference, 50);
  assert.ok(q.fid > 0);
  // a set against itself: distance 0, same score
  const self = await classifierSampleQuality(clf, reference, reference, { splits: 5 });
  close(self.fid, 0, 1e-6, 'FID of a set with itself');
  close(self.isMean, self.referenceIsMean, 1e-12, 'IS');
  // images of another size go through the resize: same numbers as resizing first
  const big = tf.tidy(() => tf.image.resizeBilinear(samples as tf.Tensor4D, [12, 12], false, true));
  const small = toClassifierInput(big, [8, 8, 1]);
  const viaResize = await classifierSampleQuality(clf, big, reference, { splits: 5 });
  const direct = await classifierSampleQuality(clf, small, reference, { splits: 5 });
  close(viaResize.fid, direct.fid, 1e-6 * Math.max(1, direct.fid), 'resized FID');
  tf.dispose([samples, reference, a.features, a.probabilities, b.features, b.probabilities, big, small]);
  clf.dispose();
});

test('reconstructionErrors: per-pixel MSE in [-1, 1] and [0, 1] and the summed-per-image error, independent of batching', () => {
  const x = tf.randomUniform([7, 3, 3, 2], -1, 1, 'float32', 9);
  const before = tf.memory().numTensors;
  const perfect = reconstructionErrors((b) => b.clone(), x, 3);
  assert.equal(perfect.msePerPixel, 0);
  // a constant offset of 0.5 in [-1, 1]: MSE 0.25, 0.0625 in [0, 1], 0.25 · 18 summed per image
  const shifted = reconstructionErrors((b) => tf.add(b, 0.5), x, 3);
  close(shifted.msePerPixel, 0.25, 1e-6, 'mse');
  close(shifted.msePerPixel01, 0.0625, 1e-6, 'mse [0,1]');
  close(shifted.summedPerImage, 0.25 * 18, 1e-5, 'summed');
  assert.equal(shifted.images, 7);
  assert.equal(shifted.pixelsPerImage, 18);
  // an arbitrary reconstruction: the batched sums equal reconstruction.ts's one-shot metrics
  const recon = (b: tf.Tensor) => tf.tanh(tf.mul(b, 1.7));
  const batched = reconstructionErrors(recon, x, 2);
  const whole = reconstructionErrors(recon, x, 100);
  close(batched.msePerPixel, whole.msePerPixel, 1e-7, 'batching');
  const r = tf.tidy(() => recon(x));
  close(whole.msePerPixel, mse(x, r), 1e-6, 'mse()');
  close(whole.summedPerImage, summedSquaredErrorPerImage(x, r), 1e-5, 'summedSquaredErrorPerImage()');
  r.dispose();
  assert.equal(tf.memory().numTensors, before);
  userError(() => reconstructionErrors((b) => tf.slice(b, 0, 1), x, 3), /returned \[1,3,3,2\] for input \[3,3,3,2\]/);
  userError(() => reconstructionErrors((b) => b, x, 0), /batchSize must be a positive integer/);
  x.dispose();
});
