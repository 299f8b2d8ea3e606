import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildLatentEbm } from '../../lib/models/latent-ebm';
import { buildGenerator, buildInference } from '../../lib/models/triangle';
import { latentCodeDiagnostics } from '../../lib/metrics/ood';
import { reconstructWithBatchStatistics, withBuffersRestored } from '../../lib/metrics/generative-eval';

tf.setBackend('cpu');

const MNIST_TINY = { seed: 4, width: 1 / 32 };

test('latentCodeDiagnostics: ‖μ‖, posterior std and the score at μ, 0 and a prior draw, computed independently', () => {
  const q = buildInference('mnist', MNIST_TINY);
  const f = buildLatentEbm('mnist', MNIST_TINY);
  const x = tf.randomUniform([6, 28, 28, 1], -1, 1, 'float32', 1);
  const before = tf.memory().numTensors;
  const d = latentCodeDiagnostics(f, q, { a: x }, { batchSize: 4, seed: 2 });
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
  const want = tf.tidy(() => {
    const { mu, logvar } = q.encode(x, false);
    return {
      muNorm: tf.norm(mu, 'euclidean', 1).mean().dataSync()[0],
      std: tf.exp(logvar.mul(0.5)).mean().dataSync()[0],
      atMu: f.score(x, mu, false).mean().dataSync()[0],
      atZero: f.score(x, tf.zerosLike(mu), false).mean().dataSync()[0],
    };
  });
  assert.ok(Math.abs(d.a.muNorm - want.muNorm) < 1e-4, `${d.a.muNorm} vs ${want.muNorm}`);
  assert.ok(Math.abs(d.a.posteriorStd - want.std) < 1e-5);
  assert.ok(Math.abs(d.a.scoreAtMu - want.atMu) < 1e-5);
  assert.ok(Math.abs(d.a.scoreAtZero - want.atZero) < 1e-5);
  assert.ok(Number.isFinite(d.a.scoreAtPrior));
  assert.notEqual(d.a.scoreAtPrior, d.a.scoreAtMu, 'a prior draw is a different code');
  // seeded: the same call gives the same prior-draw score
  assert.equal(latentCodeDiagnostics(f, q, { a: x }, { batchSize: 4, seed: 2 }).a.scoreAtPrior, d.a.scoreAtPrior);
  tf.dispose(x);
  q.dispose();
  f.dispose();
});

test('reconstructWithBatchStatistics uses batch statistics and leaves every buffer as it was', () => {
  const g = buildGenerator('mnist', MNIST_TINY);
  const q = buildInference('mnist', MNIST_TINY);
  const x = tf.randomUniform([8, 28, 28, 1], -1, 1, 'float32', 3);
  const buffers = () => [g, q].flatMap((m) => m.buffers()).map((b) => Array.from(b.variable.dataSync()));
  assert.ok(buffers().length > 0, 'the Table 6 generator has batch norm');
  const saved = buffers();
  const r = reconstructWithBatchStatistics(g, q, x);
  assert.deepEqual(buffers(), saved, 'running statistics restored');
  const evalMode = tf.tidy(() => g.generate(q.encode(x, false).mu, false));
  const gap = tf.tidy(() => tf.abs(tf.sub(r, evalMode)).max().dataSync()[0]);
  assert.ok(gap > 1e-4, `batch statistics differ from the (initial) running averages (max gap ${gap})`);
  // without the wrapper a training-mode pass would have moved them (the check above is not vacuous)
  tf.tidy(() => g.generate(q.encode(x, true).mu, true));
  assert.notDeepEqual(buffers(), saved);
  // and withBuffersRestored puts them back after a throw too
  const moved = buffers();
  assert.throws(() => withBuffersRestored([g, q], () => {
    tf.tidy(() => g.generate(q.encode(x, true).mu, true));
    throw new Error('boom');
  }), /boom/);
  assert.deepEqual(buffers(), moved);
  tf.dispose([x, r, evalMode]);
  g.dispose();
  q.dispose();
});
