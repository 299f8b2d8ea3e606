import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { Generator, InferenceNet, LatentEbm, NamedVariable } from '../../lib/models/types';
import {
  inferenceSample,
  latentEbmInferenceLangevin,
  latentEbmLossE,
  latentEbmLossG,
  latentEbmLossI,
  latentEbmSynthesisLangevin,
  latentEbmTerms,
  latentGaussianTerms,
  synthesisSample,
} from '../../lib/objectives/latent-ebm';

tf.setBackend('cpu');

// Linear-Gaussian models, so every expectation has a closed form:
//   g_θ(z) = W z, q_φ(z|x) = N(A x, e^c I), f_α(x, z) = −½‖z − B x‖² + b.
const D = 3; // data dim
const K = 2; // latent dim

function variable(name: string, values: number[], shape: number[]): NamedVariable {
  return { name, variable: tf.variable(tf.tensor(values, shape), true, `${name}_${Math.random()}`) };
}
function module(name: string, vars: NamedVariable[]) {
  return { name, trainable: () => vars, buffers: () => [], dispose: () => vars.forEach((v) => v.variable.dispose()) };
}
function linearGenerator(w: number[]): Generator & { w: tf.Variable } {
  const W = variable('gen.w', w, [K, D]);
  return { ...module('gen', [W]), w: W.variable, latentShape: [K], outputShape: [D], generate: (z) => tf.matMul(z as tf.Tensor2D, W.variable as tf.Tensor2D) };
}
function linearInference(a: number[], c: number): InferenceNet & { a: tf.Variable; c: tf.Variable } {
  const A = variable('inf.a', a, [D, K]);
  const C = variable('inf.c', [c], []);
  return {
    ...module('inf', [A, C]),
    a: A.variable,
    c: C.variable,
    latentShape: [K],
    inputShape: [D],
    encode: (x) => tf.tidy(() => {
      const mu = tf.matMul(x as tf.Tensor2D, A.variable as tf.Tensor2D);
      return { mu, logvar: tf.onesLike(mu).mul(C.variable) };
    }),
  };
}
function quadraticEbm(bm: number[], b0: number): LatentEbm & { b: tf.Variable } {
  const B = variable('ebm.b', bm, [D, K]);
  const b = variable('ebm.b0', [b0], []);
  return {
    ...module('ebm', [B, b]),
    b: B.variable,
    inputShape: [D],
    latentShape: [K],
    energyForm: 'identity',
    score: (x, z) => tf.tidy(() => z.sub(tf.matMul(x as tf.Tensor2D, B.variable as tf.Tensor2D)).square().sum(1).mul(-0.5).add(b.variable) as tf.Tensor1D),
  };
}

const W0 = [0.5, -0.2, 0.1, 0.3, 0.4, -0.6];
const A0 = [0.2, 0.1, -0.3, 0.5, 0.05, -0.1];
const B0 = [0.3, -0.4, 0.2, 0.1, -0.5, 0.6];
const X = [0.2, -0.4, 0.6, -0.1, 0.3, 0.9]; // two examples
const num = (t: tf.Tensor) => t.dataSync()[0];

test('Gaussian latent terms match their closed forms', () => {
  const mu = tf.tensor2d([[0.5, -1], [0, 2]]);
  const logvar = tf.tensor2d([[0, Math.log(0.25)], [Math.log(4), 0]]);
  const t = latentGaussianTerms(mu, logvar);
  // KL(N(μ, s²) ‖ N(0, 1)) = ½(μ² + s² − 1 − log s²) per dim, hand-computed:
  const kl0 = 0.5 * (0.25 + 1 - 1 - 0) + 0.5 * (1 + 0.25 - 1 - Math.log(0.25));
  const kl1 = 0.5 * (0 + 4 - 1 - Math.log(4)) + 0.5 * (4 + 1 - 1 - 0);
  const got = t.kl.dataSync();
  assert.ok(Math.abs(got[0] - kl0) < 1e-5 && Math.abs(got[1] - kl1) < 1e-5);
  // Entropy of N(μ, s²) per dim: ½ log(2πe s²); KL = priorNll − entropy.
  const h0 = 0.5 * Math.log(2 * Math.PI * Math.E * 1) + 0.5 * Math.log(2 * Math.PI * Math.E * 0.25);
  assert.ok(Math.abs(t.entropy.dataSync()[0] - h0) < 1e-5);
  const diff = t.priorNll.sub(t.entropy).sub(t.kl).abs().max();
  assert.ok(num(diff) < 1e-5);
  const m = latentGaussianTerms(mu, logvar, 'mean');
  assert.ok(Math.abs(m.kl.dataSync()[0] - kl0 / 2) < 1e-5, "'mean' averages over latent dims");
  tf.dispose([mu, logvar, t, m, diff]);
});

test('L_E (Eq. 19) is mean f on synthesis samples minus mean f on inference samples', () => {
  const ebm = quadraticEbm(B0, 0.7);
  const x = tf.tensor2d(X, [2, D]);
  const z = tf.tensor2d([1, 0, 0, 1], [2, K]);
  const xg = tf.tensor2d([0, 0, 0, 1, 1, 1], [2, D]);
  const zg = tf.tensor2d([0.5, 0.5, -1, 0], [2, K]);
  const r = latentEbmLossE(ebm, { x, z }, { x: xg, z: zg }, true);
  // Independent evaluation of f on each pair, by hand in plain JS.
  const f = (xv: number[], zv: number[]) => {
    let s = 0;
    for (let k = 0; k < K; k++) {
      let bx = 0;
      for (let d = 0; d < D; d++) bx += xv[d] * B0[d * K + k];
      s += (zv[k] - bx) ** 2;
    }
    return -0.5 * s + 0.7;
  };
  const eData = (f(X.slice(0, 3), [1, 0]) + f(X.slice(3), [0, 1])) / 2;
  const eGen = (f([0, 0, 0], [0.5, 0.5]) + f([1, 1, 1], [-1, 0])) / 2;
  // Energies are E = −f; L_E = mean f(gen) − mean f(data).
  assert.ok(Math.abs(num(r.energyData) + eData) < 1e-5);
  assert.ok(Math.abs(num(r.energyGen) + eGen) < 1e-5);
  assert.ok(Math.abs(num(r.loss) - (eGen - eData)) < 1e-5);
  tf.dispose([x, z, xg, zg, r]);
  ebm.dispose();
});

test('L_I (Eq. 20) Monte Carlo average equals its closed form; Eq. 15 and Eq. 17 differ by 2(H + E f)', () => {
  const gen = linearGenerator(W0);
  const inf = linearInference(A0, Math.log(0.3));
  const ebm = quadraticEbm(B0, 0.2);
  const x = tf.tensor2d(X, [2, D]);
  const n = 20000;
  const xs = tf.tile(x, [n / 2, 1]);
  const eps = tf.randomNormal([n, K], 0, 1, 'float32', 11);
  const sigma = 0.8;
  const r15 = latentEbmLossI(inf, gen, ebm, xs, eps, { rule: 'eq15', scaling: { sigma }, training: true });
  const r17 = latentEbmLossI(inf, gen, ebm, xs, eps, { rule: 'eq17', scaling: { sigma }, training: true });
  // Closed form per example, v = e^c: E‖x − W(μ+√v ε)‖² = ‖x − Wμ‖² + v‖W‖²_F;
  // E[−log p(z̃)] = ½(‖μ‖² + K v + K log 2π); E f = −½(‖μ − Bx‖² + K v) + b.
  const v = 0.3;
  let recon = 0;
  let prior = 0;
  let energy = 0;
  for (let i = 0; i < 2; i++) {
    const xv = X.slice(3 * i, 3 * i + 3);
    const mu = [0, 1].map((k) => xv.reduce((s, xd, d) => s + xd * A0[d * K + k], 0));
    const bx = [0, 1].map((k) => xv.reduce((s, xd, d) => s + xd * B0[d * K + k], 0));
    const wmu = [0, 1, 2].map((d) => mu.reduce((s, mk, k) => s + mk * W0[k * D + d], 0));
    const wF = W0.reduce((s, w) => s + w * w, 0);
    recon += (xv.reduce((s, xd, d) => s + (xd - wmu[d]) ** 2, 0) + v * wF) / (2 * sigma * sigma) / 2;
    prior += 0.5 * (mu[0] ** 2 + mu[1] ** 2 + K * v + K * Math.log(2 * Math.PI)) / 2;
    energy += (-0.5 * ((mu[0] - bx[0]) ** 2 + (mu[1] - bx[1]) ** 2 + K * v) + 0.2) / 2;
  }
  assert.ok(Math.abs(num(r15.recon) - recon) < 0.02 * Math.abs(recon), `recon ${num(r15.recon)} vs ${recon}`);
  assert.ok(Math.abs(num(r15.priorNll) - prior) < 1e-4, 'priorNll is analytic');
  assert.ok(Math.abs(-num(r15.energyData) - energy) < 0.02, `E f ${-num(r15.energyData)} vs ${energy}`);
  assert.ok(Math.abs(num(r15.loss) - (recon + prior + energy)) < 0.03);
  // L15 − L17 = (priorNll − kl + entropy) + 2 E f = 2 (entropy − energyData), with energyData = −E f.
  const gap = num(r15.loss) - num(r17.loss);
  assert.ok(Math.abs(gap - 2 * (num(r15.entropy) - num(r15.energyData))) < 1e-3);
  tf.dispose([x, xs, eps, r15, r17]);
  [gen, inf, ebm].forEach((m) => m.dispose());
});

/** Central finite difference of loss() w.r.t. every entry of v, compared with the tape's gradient. */
function checkGradient(loss: () => tf.Scalar, v: tf.Variable, tol = 2e-2) {
  const { grads } = tf.variableGrads(loss, [v]);
  const g = grads[v.name].dataSync();
  const base = v.dataSync().slice();
  const h = 1e-2;
  for (let i = 0; i < base.length; i++) {
    const at = (delta: number) => {
      const b = base.slice();
      b[i] += delta;
      v.assign(tf.tensor(b, v.shape));
      return tf.tidy(() => num(loss()));
    };
    const fd = (at(h) - at(-h)) / (2 * h);
    assert.ok(Math.abs(fd - g[i]) < tol * Math.max(1, Math.abs(fd)), `${v.name}[${i}]: fd ${fd} vs tape ${g[i]}`);
  }
  v.assign(tf.tensor(base, v.shape));
  tf.dispose(grads);
}

test('gradients of L_E, L_G and L_I w.r.t. α, θ, φ match finite differences', () => {
  const gen = linearGenerator(W0);
  const inf = linearInference(A0, Math.log(0.5));
  const ebm = quadraticEbm(B0, 0);
  const x = tf.tensor2d(X, [2, D]);
  const eps = tf.tensor2d([0.3, -1.2, 0.8, 0.1], [2, K]);
  const z = tf.tensor2d([-0.4, 0.9, 1.1, 0.2], [2, K]);
  const zInf = inferenceSample(inf, x, eps, true).zInf;
  const xGen = synthesisSample(gen, z, true).xGen;
  checkGradient(() => latentEbmLossE(ebm, { x, z: zInf }, { x: xGen, z }, true).loss, ebm.b);
  checkGradient(() => latentEbmLossG(gen, ebm, x, zInf, z, { training: true }).loss, gen.w);
  for (const rule of ['eq15', 'eq17'] as const) {
    checkGradient(() => latentEbmLossI(inf, gen, ebm, x, eps, { rule, training: true }).loss, inf.a);
    checkGradient(() => latentEbmLossI(inf, gen, ebm, x, eps, { rule, training: true }).loss, inf.c);
  }
  // latentEbmTerms agrees with the per-network losses on the same samples.
  const t = latentEbmTerms(ebm, x, inferenceSample(inf, x, eps, true), { z, xGen }, gen.generate(zInf, true), { training: true });
  const lg = latentEbmLossG(gen, ebm, x, zInf, z, { training: true });
  assert.ok(Math.abs(num(t.recon) - num(lg.recon)) < 1e-5 && Math.abs(num(t.energyGen) - num(lg.energyGen)) < 1e-5);
  assert.ok(Math.abs(num(t.klQP) - num(t.recon) - num(t.kl)) < 1e-5);
  tf.dispose([x, eps, z, zInf, xGen, ...Object.values(t), lg]);
  [gen, inf, ebm].forEach((m) => m.dispose());
});

test('Langevin inference sampling from π_α(z|x) recovers N(Bx, I); joint synthesis sampling leaks nothing', () => {
  const ebm = quadraticEbm(B0, 0);
  const x = tf.tile(tf.tensor2d(X.slice(0, 3), [1, D]), [2000, 1]);
  const z0 = tf.zeros([2000, K]);
  const before = tf.memory().numTensors;
  const r = latentEbmInferenceLangevin(ebm, x, z0, { steps: 200, stepSize: 0.05, seed: 5 });
  const m = tf.moments(r.sample, 0);
  const bx = [0, 1].map((k) => X.slice(0, 3).reduce((s, xd, d) => s + xd * B0[d * K + k], 0));
  const mean = m.mean.dataSync();
  const variance = m.variance.dataSync();
  for (let k = 0; k < K; k++) {
    assert.ok(Math.abs(mean[k] - bx[k]) < 0.05, `mean ${mean[k]} vs ${bx[k]}`);
    assert.ok(Math.abs(variance[k] - 1) < 0.1, `variance ${variance[k]}`);
  }
  tf.dispose([r.sample, m.mean, m.variance]);
  assert.equal(tf.memory().numTensors, before, 'the inference chain leaves only what was disposed');
  const x8 = tf.randomUniform([8, D], -3, 3, 'float32', 2);
  const z8 = z0.slice([0, 0], [8, K]);
  const j = latentEbmSynthesisLangevin(ebm, x8, z8, { steps: 5, stepSize: 0.01, seed: 1 });
  assert.equal(j.sample.length, 2);
  assert.ok(j.sample[0].dataSync().every((v) => v >= -1 && v <= 1), 'x is clamped to [-1, 1]');
  tf.dispose([...j.sample, x8, z8]);
  assert.equal(tf.memory().numTensors, before, 'the synthesis chain leaks nothing');
  tf.dispose([x, z0]);
  ebm.dispose();
});
