import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { fid, frechetDistanceFromStatistics, gaussianStatistics, inceptionScore } from '../../lib/metrics/frechet';
import { isUserError } from '../../lib/errors';

const close = (a: number, b: number, tol: number) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b} (tol ${tol})`);

test('identical feature sets have FID 0', () => {
  const x = tf.randomNormal([200, 16], 0, 1, 'float32', 3);
  const before = tf.memory().numTensors;
  close(fid(x, x), 0, 1e-6);
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
});

test('FID of two Gaussians: the closed form for known statistics, and scipy on general covariances', () => {
  // Diagonal covariances commute: d² = ‖μ₁−μ₂‖² + Σ (√a_i − √b_i)².
  const a = { mean: Float64Array.from([0, 1]), cov: Matrix.diag([4, 1]), count: 0 };
  const b = { mean: Float64Array.from([1, 1]), cov: Matrix.diag([1, 9]), count: 0 };
  close(frechetDistanceFromStatistics(a, b), 1 + (2 - 1) ** 2 + (1 - 3) ** 2, 1e-9);
  // Non-commuting covariances; reference: scipy 1.10.1 (Debian) ‖μ₁−μ₂‖² + tr A + tr B − 2 tr sqrtm(A B).
  const A = new Matrix([[2.0, 0.5, 0.1], [0.5, 1.0, 0.3], [0.1, 0.3, 0.5]]);
  const B = new Matrix([[1.0, -0.4, 0.0], [-0.4, 2.0, 0.6], [0.0, 0.6, 1.5]]);
  const sa = { mean: Float64Array.from([0, 1, -1]), cov: A, count: 0 };
  const sb = { mean: Float64Array.from([0.5, 0.5, 0]), cov: B, count: 0 };
  close(frechetDistanceFromStatistics(sa, sb), 2.4089050963049328, 1e-9);
  close(frechetDistanceFromStatistics(sb, sa), 2.4089050963049328, 1e-9); // symmetric
});

test('large dimensions (float32 tf products) agree with an all-float64 sqrtm(S Σ₂ S) to 1e-5', () => {
  const d = 260;
  let seed = 7;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5;
  const spd = () => {
    const x = new Matrix(d, d + 20).apply(function (this: Matrix, i: number, j: number) { this.set(i, j, rand()); });
    return x.mmul(x.transpose()).div(d);
  };
  const A = spd();
  const B = spd();
  const mean = (k: number) => Float64Array.from({ length: d }, (_, j) => Math.sin(j + k));
  // reference: S = A^{1/2} by eigendecomposition, tr (S B S)^{1/2}, all in float64
  const e = new EigenvalueDecomposition(A, { assumeSymmetric: true });
  const S = e.eigenvectorMatrix.mmul(Matrix.diag(e.realEigenvalues.map((l) => Math.sqrt(Math.max(l, 0))))).mmul(e.eigenvectorMatrix.transpose());
  const M = S.mmul(B).mmul(S);
  const tr = new EigenvalueDecomposition(M.add(M.transpose()).div(2), { assumeSymmetric: true }).realEigenvalues.reduce((t, l) => t + Math.sqrt(Math.max(l, 0)), 0);
  let meanTerm = 0;
  for (let j = 0; j < d; j++) meanTerm += (mean(0)[j] - mean(1)[j]) ** 2;
  const want = meanTerm + A.trace() + B.trace() - 2 * tr;
  const got = frechetDistanceFromStatistics({ mean: mean(0), cov: A, count: 0 }, { mean: mean(1), cov: B, count: 0 });
  close(got, want, 1e-5 * want);
});

test('FID from samples matches the pytorch-fid recipe (np.mean, np.cov, scipy sqrtm)', () => {
  // Reference 0.4964877738635387: numpy/scipy on these rows (np.cov with N−1).
  const X = [[1, 2, 0], [0, 1, 1], [2, 2, 2], [1, 0, 1], [3, 1, 0]];
  const Y = [[0, 0, 1], [1, 1, 1], [2, 0, 1], [0, 2, 0], [1, 1, 3], [2, 2, 0]];
  close(fid(X, Y), 0.4964877738635387, 1e-5);
  const st = gaussianStatistics(X);
  close(st.cov.get(0, 0), 1.3, 1e-6); // var of [1,0,2,1,3] with N−1
  assert.throws(() => fid([[1, 2]], [[1, 2], [3, 4]]), (e) => isUserError(e) && /at least 2/.test(e.message));
  assert.throws(() => fid(X, [[1, 2], [3, 4]]), (e) => isUserError(e) && /dimensions differ/.test(e.message));
});

test('Inception Score: one-hot uniform classes give the class count, constant predictions give 1', () => {
  const k = 7;
  const onehot = Array.from({ length: 70 }, (_, i) => Array.from({ length: k }, (_, j) => (j === i % k ? 1 : 0)));
  const is = inceptionScore(onehot, 2);
  close(is.mean, k, 1e-9);
  close(is.std, 0, 1e-9);
  const constant = Array.from({ length: 20 }, () => [0.2, 0.3, 0.5]);
  close(inceptionScore(constant, 4).mean, 1, 1e-9);
  // two classes, each sample 3:1 sure of its class, classes balanced: exp(KL([.75,.25] ‖ [.5,.5]))
  const soft = Array.from({ length: 10 }, (_, i) => (i % 2 ? [0.75, 0.25] : [0.25, 0.75]));
  close(inceptionScore(tf.tensor2d(soft), 1).mean, Math.exp(0.75 * Math.log(1.5) + 0.25 * Math.log(0.5)), 1e-6);
  assert.throws(() => inceptionScore(onehot, 0), (e) => isUserError(e) && /splits/.test(e.message));
});
