import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  FeatureClassifier,
  classifierAccuracy,
  classifierFeatures,
  classifierFid,
  classifierInceptionScore,
  fitFeatureClassifier,
  loadClassifier,
  readCachedClassifier,
  saveClassifier,
} from '../../lib/metrics/classifier';
import { isUserError } from '../../lib/errors';

/** 8×8 images of 2 classes: a bright top half (0) or a bright bottom half (1), plus noise. */
function toyData(n: number, seed: number): { images: tf.Tensor4D; labels: Int32Array } {
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  const images = tf.tidy(() => {
    const rows = tf.range(0, 8).reshape([1, 8, 1, 1]);
    const top = rows.less(4).cast('float32');
    const lab = tf.tensor1d(labels, 'float32').reshape([n, 1, 1, 1]);
    const bright = tf.add(top.mul(tf.sub(1, lab)), tf.sub(1, top).mul(lab)).mul(2).sub(1).tile([1, 1, 8, 1]);
    return bright.mul(0.7).add(tf.randomNormal([n, 8, 8, 1], 0, 0.3, 'float32', seed)).clipByValue(-1, 1) as tf.Tensor4D;
  });
  return { images, labels };
}

test('fitFeatureClassifier learns a toy task without leaking tensors, and save/load round-trips', async () => {
  const train = toyData(64, 1);
  const testSet = toyData(40, 2);
  const before = tf.memory().numTensors;
  const losses: number[] = [];
  const clf = await fitFeatureClassifier(train, { seed: 3, epochs: 3, batchSize: 16, name: 'toy', onEpoch: (e) => losses.push(e.loss) });
  assert.equal(tf.memory().numTensors, before + clf.trainable().length, 'only the 8 weight variables remain');
  assert.ok(losses[2] < losses[0], `loss decreases: ${losses}`);
  assert.ok(classifierAccuracy(clf, testSet) >= 0.9);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-clf-'));
  await saveClassifier(clf, dir);
  assert.ok(fs.existsSync(path.join(dir, 'toy.json')) && fs.existsSync(path.join(dir, 'toy.bin')));
  const again = readCachedClassifier('toy', dir)!;
  assert.equal(again.info.epochs, 3);
  const a = await classifierFeatures(clf, testSet.images, { batchSize: 16 });
  const b = await classifierFeatures(again, testSet.images, { batchSize: 7 });
  assert.deepEqual(a.features.shape, [40, 128]);
  assert.deepEqual(a.probabilities.shape, [40, 2]);
  assert.ok(tf.tidy(() => tf.sub(a.features, b.features).abs().max().dataSync()[0]) < 1e-5, 'same weights, same features');
  const rowSums = tf.tidy(() => a.probabilities.sum(1).dataSync());
  rowSums.forEach((s) => assert.ok(Math.abs(s - 1) < 1e-5));
  tf.dispose([a.features, a.probabilities, b.features, b.probabilities]);

  // classifier FID of a set with itself is 0; IS of a balanced, confident set is near the class count
  assert.ok(Math.abs(await classifierFid(clf, testSet.images, testSet.images)) < 1e-3);
  const is = await classifierInceptionScore(clf, testSet.images, { splits: 2 });
  assert.ok(is.mean > 1.5 && is.mean <= 2 + 1e-9, `IS ${is.mean}`);

  // a stale architecture version is ignored (retrained on next use), not misread
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'toy.json'), 'utf8'));
  manifest.info.architectureVersion = -1;
  fs.writeFileSync(path.join(dir, 'toy.json'), JSON.stringify(manifest));
  assert.equal(readCachedClassifier('toy', dir), null);

  clf.dispose();
  again.dispose();
  tf.dispose([train.images, testSet.images]);
  assert.equal(tf.memory().numTensors, before - 2);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('loadClassifier uses cached weights without training; wrong input shapes are UserErrors', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-clf-'));
  const fake = FeatureClassifier.create('mnist', [28, 28, 1], 10, 0);
  await saveClassifier(fake, dir);
  const lines: string[] = [];
  const loaded = await loadClassifier('mnist', { cacheDir: dir, log: (l) => lines.push(l) });
  assert.deepEqual(lines, [], 'no training on a cache hit');
  assert.equal(await loadClassifier('mnist', { cacheDir: dir }), loaded, 'kept in memory');
  const wrong = tf.zeros([2, 8, 8, 1]);
  await assert.rejects(classifierFeatures(loaded, wrong), (e) => isUserError(e) && /\[N, 28, 28, 1\]/.test(e.message));
  assert.throws(() => FeatureClassifier.create('x', [30, 30, 1], 10, 0), (e) => isUserError(e) && /divisible by 4/.test(e.message));
  wrong.dispose();
  fake.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});
