import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend';
import { loadDataset } from '../../lib/data/datasets';
import { loadClassifier } from '../../lib/metrics/classifier';
import { classifierSampleQuality } from '../../lib/metrics/generative-eval';
import { classifierQuality } from '../../lib/experiments/quality';

test('classifierQuality scores each set and then the real training images against the same held-out test images, freeing only what it drew', { timeout: 600_000 }, async () => {
  await initBackend(); // the native engine where it is built: the cached MNIST classifier is trained on first use
  const train = await loadDataset('mnist', { split: 'train', limit: 80, seed: 4 });
  const kept = tf.randomUniform([40, 28, 28, 1], -1, 1, 'float32', 1);
  let drawn: tf.Tensor | null = null;
  await loadClassifier('mnist'); // its weights stay cached for the process: loaded before counting
  const before = tf.memory().numTensors;
  const out = await classifierQuality({
    dataset: 'mnist',
    seed: 4,
    reference: 60,
    sets: [
      ['kept', kept],
      ['drawn', () => (drawn = tf.randomUniform([30, 28, 28, 1], -1, 1, 'float32', 2))],
    ],
    training: train.images,
    realCount: 50,
  });
  assert.equal(tf.memory().numTensors, before, 'the drawn set and the test images are freed');
  assert.ok(!kept.isDisposed, "the caller's tensor is kept");
  assert.ok(drawn !== null && (drawn as tf.Tensor).isDisposed, 'the drawn set is freed');
  assert.deepEqual([...out.keys()], ['kept', 'drawn', 'real']);
  assert.equal(out.get('kept')!.samples, 40);
  assert.equal(out.get('drawn')!.samples, 30);
  assert.equal(out.get('real')!.samples, 50, 'realCount training images');
  for (const q of out.values()) assert.equal(q.reference, 60);
  // the same numbers as scoring by hand against the test split the seed picks (never training images)
  const test = await loadDataset('mnist', { split: 'test', limit: 60, seed: 4 });
  const byHand = await classifierSampleQuality('mnist', kept, test.images);
  assert.equal(out.get('kept')!.fid, byHand.fid);
  const real = tf.slice(train.images, 0, 50);
  assert.equal(out.get('real')!.fid, (await classifierSampleQuality('mnist', real, test.images)).fid);
  assert.ok(out.get('real')!.fid < out.get('kept')!.fid, 'real digits are nearer the test digits than uniform noise');
  tf.dispose([kept, real]);
  test.dispose();
  train.dispose();
});
