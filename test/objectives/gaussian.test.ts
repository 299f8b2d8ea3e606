import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {
  gaussianKlToPrior,
  gaussianLogDensity,
  gaussianReconstruction,
  gaussianReconstructionConstant,
  reparameterize,
} from '../../lib/objectives/gaussian';
import { objectiveScaling } from '../../lib/objectives/scaling';

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

test('gaussianKlToPrior matches ½Σ(μ² + σ² − 1 − log σ²), summed and averaged over latent dims', () => {
  const mu = [[0.3, -1.2, 0.5], [0, 0, 0]];
  const lv = [[-0.4, 0.7, 0.1], [0, 0, 0]];
  const expected = mu.map((m, i) => m.reduce((a, _, d) => a + 0.5 * (m[d] ** 2 + Math.exp(lv[i][d]) - 1 - lv[i][d]), 0));
  const sum = tf.tidy(() => gaussianKlToPrior(tf.tensor(mu), tf.tensor(lv), 'sum').arraySync());
  const mean = tf.tidy(() => gaussianKlToPrior(tf.tensor(mu), tf.tensor(lv), 'mean').arraySync());
  sum.forEach((v, i) => close(v, expected[i]));
  mean.forEach((v, i) => close(v, expected[i] / 3));
  assert.equal(sum[1], 0); // q = prior
});

test('gaussianKlToPrior agrees with a Monte-Carlo estimate of E_q[log q − log p]', () => {
  // Independent check: sample z ~ q with a seeded RNG and average log q(z) − log N(z; 0, I).
  const mu = tf.tensor([[0.8, -0.3]]);
  const lv = tf.tensor([[-0.6, 0.4]]);
  const n = 200000;
  const z = tf.tidy(() => reparameterize(tf.tile(mu, [n, 1]), tf.tile(lv, [n, 1]), tf.randomNormal([n, 2], 0, 1, 'float32', 3)));
  const mc = tf.tidy(() =>
    tf.mean(tf.sub(gaussianLogDensity(z, tf.tile(mu, [n, 1]), tf.tile(lv, [n, 1])), gaussianLogDensity(z, tf.zerosLike(z), tf.zerosLike(z)))).dataSync()[0],
  );
  const exact = tf.tidy(() => gaussianKlToPrior(mu, lv).dataSync()[0]);
  assert.ok(Math.abs(mc - exact) < 0.01, `MC ${mc} vs exact ${exact}`);
  tf.dispose([mu, lv, z]);
});

test('gaussianLogDensity matches the normal density formula', () => {
  const z = [[0.1, 2.0], [-1, 0.5]];
  const mu = [[0, 1.5], [-0.5, 0.5]];
  const lv = [[0.3, -1.0], [0, 2]];
  const expected = z.map((row, i) =>
    row.reduce((a, zd, d) => a - 0.5 * ((zd - mu[i][d]) ** 2 / Math.exp(lv[i][d]) + lv[i][d] + Math.log(2 * Math.PI)), 0),
  );
  const got = tf.tidy(() => gaussianLogDensity(tf.tensor(z), tf.tensor(mu), tf.tensor(lv)).arraySync());
  got.forEach((v, i) => close(v, expected[i]));
});

test('gaussianReconstruction is ‖x − x̂‖²/(2σ²) per example; σ² = ½ is the summed squared error', () => {
  const x = tf.tensor([[[1], [0]], [[-1], [0.5]]]); // [2, 2, 1]
  const xh = tf.tensor([[[0.5], [0]], [[-1], [-0.5]]]);
  const r = tf.tidy(() => gaussianReconstruction(x, xh, Math.SQRT1_2).arraySync());
  close(r[0], 0.25);
  close(r[1], 1);
  const r2 = tf.tidy(() => gaussianReconstruction(x, xh, 0.5).arraySync());
  close(r2[0], 0.25 / 0.5);
  close(gaussianReconstructionConstant(4, 1), 2 * Math.log(2 * Math.PI));
  tf.dispose([x, xh]);
});

test('objectiveScaling: paper and authors differ where the brief says, overrides replace fields', () => {
  assert.deepEqual(objectiveScaling('paper'), { sigma: Math.SQRT1_2, klReduction: 'sum', latentNllWeight: 1 });
  assert.deepEqual(objectiveScaling('authors'), { sigma: Math.SQRT1_2, klReduction: 'mean', latentNllWeight: 0.1 });
  assert.equal(objectiveScaling('authors', { sigma: 0.1, latentNllWeight: undefined }).sigma, 0.1);
  assert.equal(objectiveScaling('authors', { sigma: 0.1, latentNllWeight: undefined }).latentNllWeight, 0.1);
});
