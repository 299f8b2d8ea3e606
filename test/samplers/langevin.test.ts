import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { langevin, langevinJoint } from '../../lib/samplers/langevin';
import { isUserError } from '../../lib/errors';

tf.setBackend('cpu');

// f(x) = −‖x − μ‖² / (2σ²): π = N(μ, σ²I). μ, σ chosen away from (0, 1) so the chain has to move.
const MU = [1.5, -2];
const SIGMA = 0.5;
const gaussianScore = (x: tf.Tensor): tf.Tensor1D =>
  tf.tidy(() => x.sub(tf.tensor1d(MU)).square().sum(1).div(-2 * SIGMA * SIGMA) as tf.Tensor1D);

function moments(x: tf.Tensor): { mean: number[]; variance: number[] } {
  return tf.tidy(() => {
    const m = tf.moments(x, 0);
    return { mean: Array.from(m.mean.dataSync()), variance: Array.from(m.variance.dataSync()) };
  });
}

test('unadjusted Langevin on a Gaussian recovers its mean and variance', () => {
  // s = 0.05σ²: ULA's stationary variance is σ²/(1 − s/(2σ²)) = 1.026σ² (closed form for a Gaussian);
  // 2000 chains × 2 dims put the sampling error of the variance near 3%, so 10% is a safe tolerance.
  const x0 = tf.zeros([2000, 2]);
  const { sample } = langevin(gaussianScore, x0, { steps: 300, stepSize: 0.05 * SIGMA * SIGMA, seed: 1 });
  const { mean, variance } = moments(sample);
  for (let d = 0; d < 2; d++) {
    assert.ok(Math.abs(mean[d] - MU[d]) < 0.05, `mean[${d}] = ${mean[d]}, want ${MU[d]}`);
    assert.ok(Math.abs(variance[d] / (SIGMA * SIGMA) - 1) < 0.1, `var[${d}] = ${variance[d]}, want ${SIGMA * SIGMA}`);
  }
  tf.dispose([x0, sample]);
});

test('MALA on a Gaussian: exact variance at a large step, acceptance in (0, 1]', () => {
  // At s = 0.5σ² ULA's variance would be σ²/0.75 = 1.33σ²; the Metropolis correction removes that bias.
  const x0 = tf.zeros([2000, 2]);
  const r = langevin(gaussianScore, x0, { steps: 200, stepSize: 0.5 * SIGMA * SIGMA, seed: 2, metropolis: true });
  const { mean, variance } = moments(r.sample);
  for (let d = 0; d < 2; d++) {
    assert.ok(Math.abs(mean[d] - MU[d]) < 0.05, `mean[${d}] = ${mean[d]}`);
    assert.ok(Math.abs(variance[d] / (SIGMA * SIGMA) - 1) < 0.1, `var[${d}] = ${variance[d]}`);
  }
  assert.ok(r.acceptanceRate !== undefined && r.acceptanceRate > 0 && r.acceptanceRate <= 1, `rate ${r.acceptanceRate}`);
  // Small step sizes accept (almost) everything.
  const tiny = langevin(gaussianScore, x0, { steps: 5, stepSize: 1e-4, seed: 3, metropolis: true });
  assert.ok(tiny.acceptanceRate! > 0.99, `tiny-step acceptance ${tiny.acceptanceRate}`);
  tf.dispose([x0, r.sample, tiny.sample]);
});

test('deterministic given the seed; noise 0 is gradient ascent; clamp holds', () => {
  const x0 = tf.zeros([8, 2]);
  const a = langevin(gaussianScore, x0, { steps: 10, stepSize: 0.01, seed: 7 });
  const b = langevin(gaussianScore, x0, { steps: 10, stepSize: 0.01, seed: 7 });
  const c = langevin(gaussianScore, x0, { steps: 10, stepSize: 0.01, seed: 8 });
  assert.deepEqual(Array.from(a.sample.dataSync()), Array.from(b.sample.dataSync()));
  assert.notDeepEqual(Array.from(a.sample.dataSync()), Array.from(c.sample.dataSync()));
  // Noise-free: x_t − μ = (1 − s/σ²)^t (x_0 − μ), closed form.
  const s = 0.02;
  const g = langevin(gaussianScore, x0, { steps: 10, stepSize: s, noise: 0, seed: 0 });
  const factor = Math.pow(1 - s / (SIGMA * SIGMA), 10);
  const got = g.sample.dataSync();
  for (let i = 0; i < 8; i++) {
    for (let d = 0; d < 2; d++) assert.ok(Math.abs(got[2 * i + d] - (MU[d] + factor * (0 - MU[d]))) < 1e-5);
  }
  const cl = langevin(gaussianScore, x0, { steps: 20, stepSize: 0.05, seed: 1, clamp: [-1, 1] });
  const v = cl.sample.dataSync();
  assert.ok(v.every((t) => t >= -1 && t <= 1));
  assert.ok(Math.abs(v[0] - 1) < 1e-6 || v[0] < 1, 'clamped toward μ₀ = 1.5 stays at most 1');
  tf.dispose([x0, a.sample, b.sample, c.sample, g.sample, cl.sample]);
});

test('joint chain (x, z) with per-variable step sizes, scores recorded, tensor count flat', () => {
  // f(x, z) = −(x − z)²/2 − z²/2: joint Gaussian with Var z = 1, Var x = 2 (x | z ~ N(z, 1)).
  const score = (xs: tf.Tensor[]): tf.Tensor1D =>
    tf.tidy(() => xs[0].sub(xs[1]).square().add(xs[1].square()).sum(1).mul(-0.5) as tf.Tensor1D);
  const x0 = [tf.zeros([1500, 1]), tf.zeros([1500, 1])];
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  const r = langevinJoint(score, x0, {
    steps: 300,
    stepSize: [0.05, 0.05],
    seed: 4,
    recordScores: true,
    clamp: [null, null],
    onStep: () => counts.push(tf.memory().numTensors),
  });
  assert.equal(r.scores!.length, 301);
  assert.ok(counts.slice(1).every((c) => c === counts[1]), 'tensor count flat along the chain');
  const vx = moments(r.sample[0]).variance[0];
  const vz = moments(r.sample[1]).variance[0];
  assert.ok(Math.abs(vx / 2 - 1) < 0.15, `Var x = ${vx}, want 2`);
  assert.ok(Math.abs(vz - 1) < 0.15, `Var z = ${vz}, want 1`);
  tf.dispose(r.sample);
  assert.equal(tf.memory().numTensors, before, 'only the returned sample outlives the chain');
  tf.dispose(x0);
});

test('bad options are UserErrors naming the fix', () => {
  const x0 = tf.zeros([2, 2]);
  const bad = (o: object, re: RegExp) =>
    assert.throws(() => langevin(gaussianScore, x0, { steps: 1, stepSize: 0.1, seed: 0, ...o }), (e: unknown) => isUserError(e) && re.test((e as Error).message));
  bad({ stepSize: 0 }, /stepSize must be a positive number/);
  bad({ steps: -1 }, /steps must be a non-negative integer/);
  bad({ noise: 0, metropolis: true }, /metropolis needs noise > 0/);
  bad({ stepSize: [0.1, 0.2] }, /stepSize has 2 entries but the state has 1/);
  x0.dispose();
});
