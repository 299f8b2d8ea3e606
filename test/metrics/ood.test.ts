import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {
  detectionMetrics,
  detectionScores,
  latentEbmDataScores,
  likelihoodScorer,
  likelihoodScores,
  oodEvaluation,
  vaeElboScores,
} from '../../lib/metrics/ood';
import { isUserError } from '../../lib/errors';
import type { LatentEbm, NamedVariable } from '../../lib/models/types';
import { LinearGenerator, LinearInference } from '../objectives/tiny-nets';

/** f(x, z) = −½ ‖x‖² + z·u: a latent EBM whose score at z = μ(x) has a closed form. */
class LinearLatentEbm implements LatentEbm {
  readonly name = 'lebm';
  readonly energyForm = 'identity' as const;
  readonly u: NamedVariable;
  constructor(u: number[], readonly inputShape: number[]) {
    this.u = { name: 'u', variable: tf.variable(tf.tensor1d(u)) };
  }
  get latentShape(): number[] {
    return [this.u.variable.shape[0] as number];
  }
  score(x: tf.Tensor, z: tf.Tensor): tf.Tensor1D {
    return tf.tidy(() => tf.add(tf.mul(-0.5, tf.sum(tf.square(x), 1)), tf.sum(tf.mul(z, this.u.variable), 1)) as tf.Tensor1D);
  }
  trainable(): NamedVariable[] {
    return [this.u];
  }
  buffers(): NamedVariable[] {
    return [];
  }
  dispose(): void {
    this.u.variable.dispose();
  }
}

// D = 3 data dims, d = 2 latent dims.
const A = [[0.2, -0.1], [0.5, 0.3], [-0.4, 0.2]];
const c = [0.05, -0.05];
const s = [-0.5, 0.2];
const W = [[0.5, -0.2, 0.1], [0.3, 0.4, -0.6]];
const b = [0.1, 0, -0.1];
const X = [[0.3, -0.8, 0.5], [-1, 0.2, 0.9], [0.7, 0.7, -0.3], [0, 0.1, -0.9], [0.5, -0.5, 0.5], [-0.2, 0.6, 0.1], [0.9, -0.9, 0]];

const mu = (x: number[]) => [0, 1].map((j) => x.reduce((acc, xi, i) => acc + xi * A[i][j], c[j]));
const close = (a: number, e: number, tol: number, what = '') => assert.ok(Math.abs(a - e) <= tol, `${what} ${a} vs ${e} (tol ${tol})`);

/** ELBO of the linear-Gaussian model in closed form (nats). */
function elboExact(x: number[], sigma: number): number {
  const m = mu(x);
  const g = [0, 1, 2].map((k) => b[k] + m[0] * W[0][k] + m[1] * W[1][k]);
  // E_q ‖x − g(z)‖² = ‖x − g(μ)‖² + Σ_j e^{s_j} ‖W_j‖²
  const sq = x.reduce((acc, xi, k) => acc + (xi - g[k]) ** 2, 0) + s.reduce((acc, sj, j) => acc + Math.exp(sj) * W[j].reduce((a2, w) => a2 + w * w, 0), 0);
  const kl = 0.5 * m.reduce((acc, mj, j) => acc + mj * mj + Math.exp(s[j]) - 1 - s[j], 0);
  return -sq / (2 * sigma * sigma) - 1.5 * Math.log(2 * Math.PI * sigma * sigma) - kl;
}

function nets() {
  return { generator: new LinearGenerator(W, b), inference: new LinearInference(A, c, s), latentEbm: new LinearLatentEbm([0.7, -1.2], [3]) };
}

test('latentEbmDataScores is f(x, μ(x)) per image, in batches that do not divide N', () => {
  const { generator, inference, latentEbm } = nets();
  const x = tf.tensor2d(X);
  try {
    const got = latentEbmDataScores(latentEbm, inference, x, { batchSize: 3 });
    assert.equal(got.length, X.length);
    X.forEach((xi, i) => {
      const m = mu(xi);
      close(got[i], -0.5 * xi.reduce((a, v) => a + v * v, 0) + 0.7 * m[0] - 1.2 * m[1], 1e-5, `image ${i}`);
    });
  } finally {
    tf.dispose([x]);
    generator.dispose();
    inference.dispose();
    latentEbm.dispose();
  }
});

test('vaeElboScores converges to the closed-form ELBO of a linear-Gaussian VAE and is reproducible', () => {
  const { generator, inference, latentEbm } = nets();
  const x = tf.tensor2d(X);
  try {
    const sigma = 2;
    const mc = vaeElboScores(generator, inference, x, { sigma, samples: 2000, seed: 5, batchSize: 4 });
    // The per-draw reconstruction term has sd ≤ 0.33 here (numpy, 200,000 draws), so 2,000 draws leave a
    // standard error ≤ 0.0074 and 0.04 is over 5 of them.
    X.forEach((xi, i) => close(mc[i], elboExact(xi, sigma), 0.04, `image ${i}`));
    const a = vaeElboScores(generator, inference, x, { sigma, seed: 2, batchSize: 4 });
    const again = vaeElboScores(generator, inference, x, { sigma, seed: 2, batchSize: 4 });
    const other = vaeElboScores(generator, inference, x, { sigma, seed: 3, batchSize: 4 });
    assert.deepEqual(Array.from(a), Array.from(again));
    assert.notDeepEqual(Array.from(a), Array.from(other));
  } finally {
    x.dispose();
    generator.dispose();
    inference.dispose();
    latentEbm.dispose();
  }
});

test('scoring leaves the tensor count flat across repeated calls', () => {
  const { generator, inference, latentEbm } = nets();
  const x = tf.tensor2d(X);
  try {
    const ebm = likelihoodScorer('latent-ebm', { generator, inference, latentEbm });
    const vae = likelihoodScorer('vae', { generator, inference }, { sigma: 1, samples: 3 });
    likelihoodScores(ebm, x, { batchSize: 2 });
    likelihoodScores(vae, x, { batchSize: 2 });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      likelihoodScores(ebm, x, { batchSize: 2 });
      likelihoodScores(vae, x, { batchSize: 2 });
      oodEvaluation(ebm, x, { same: x });
    }
    assert.equal(tf.memory().numTensors, before);
  } finally {
    x.dispose();
    generator.dispose();
    inference.dispose();
    latentEbm.dispose();
  }
});

test('likelihoodScorer picks the score by method and names what is missing', () => {
  const { generator, inference, latentEbm } = nets();
  try {
    assert.equal(likelihoodScorer('latent-ebm', { generator, inference, latentEbm }).kind, 'latent-ebm');
    assert.equal(likelihoodScorer('vae', { generator, inference }, { sigma: 0.7 }).kind, 'vae-elbo');
    const expectUserError = (fn: () => unknown, pattern: RegExp) =>
      assert.throws(fn, (e: unknown) => isUserError(e) && pattern.test((e as Error).message));
    expectUserError(() => likelihoodScorer('triangle', { generator, inference }), /no likelihood score for method "triangle"; use a latent-ebm or vae run/);
    expectUserError(() => likelihoodScorer('vae', { generator, inference }), /pass sigma/);
    expectUserError(() => likelihoodScorer('latent-ebm', { generator, inference }), /no latentEbm network/);
    const x = tf.tensor2d(X);
    try {
      expectUserError(() => vaeElboScores(generator, inference, x, { sigma: 0 }), /sigma must be > 0/);
      expectUserError(() => latentEbmDataScores(latentEbm, inference, x, { batchSize: 0 }), /batchSize must be a positive whole number/);
    } finally {
      x.dispose();
    }
  } finally {
    generator.dispose();
    inference.dispose();
    latentEbm.dispose();
  }
});

test('detection puts the anomalous set in the positive class, scored by the negative log-likelihood', () => {
  const { scores, labels } = detectionScores([5, 4], [1]);
  assert.deepEqual(Array.from(scores), [-5, -4, -1]);
  assert.deepEqual(Array.from(labels), [0, 0, 1]);
  // Separated: every anomaly less likely than every normal image.
  const sep = detectionMetrics([5, 4, 3], [1, 2]);
  assert.deepEqual(sep, { auroc: 1, auprc: 1, baseRate: 0.4, normal: 3, anomalous: 2 });
  // Reversed: AUROC 0, and AP is that of the worst ranking: positives at ranks 4 and 5 → (1/4 + 2/5) / 2.
  const rev = detectionMetrics([1, 2, 3], [5, 4]);
  assert.equal(rev.auroc, 0);
  close(rev.auprc, (1 / 4 + 2 / 5) / 2, 1e-12);
  // A tie counts half: anomalies 10 and 3 against normals 5, 4, 3 → (0 + 2 + ½) / 6.
  close(detectionMetrics([5, 4, 3], [10, 3]).auroc, 2.5 / 6, 1e-12);
  assert.throws(() => detectionMetrics([], [1]), (e: unknown) => isUserError(e) && /both sets/.test((e as Error).message));
});

test('oodEvaluation scores each set against the in-distribution images and checks shapes', () => {
  const { generator, inference, latentEbm } = nets();
  const inDist = tf.tensor2d(X.slice(0, 4));
  // Far from 0: −½‖x‖² makes them much less likely.
  const far = tf.mul(tf.tensor2d(X.slice(4)), 4);
  const wrong = tf.zeros([2, 4]);
  try {
    const scorer = likelihoodScorer('latent-ebm', { latentEbm, inference });
    const r = oodEvaluation(scorer, inDist, { far });
    assert.deepEqual(Array.from(r.inDistribution), Array.from(latentEbmDataScores(latentEbm, inference, inDist)));
    assert.equal(r.sets.far.auroc, 1);
    assert.equal(r.sets.far.scores.length, 3);
    assert.throws(() => oodEvaluation(scorer, inDist, { wrong }), (e: unknown) => isUserError(e) && /set "wrong" has images \[4\] but the in-distribution set \[3\]/.test((e as Error).message));
  } finally {
    tf.dispose([inDist, far, wrong]);
    generator.dispose();
    inference.dispose();
    latentEbm.dispose();
  }
});
