import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from '../../lib/models/types';
import { objectiveScaling, type ObjectiveScaling } from '../../lib/objectives/scaling';
import {
  divergenceTriangle,
  klPPi,
  klQP,
  klQPi,
  meanEnergy,
  triangleEbmLoss,
  triangleGeneratorLoss,
  triangleInferenceLoss,
} from '../../lib/objectives/triangle';
import { sleepLoss, vaeLoss, wakeLoss } from '../../lib/objectives/vae';
import { reparameterize } from '../../lib/objectives/gaussian';
import { finiteDifference, QuadraticEbm, tinyTriangle } from './tiny-nets';

const close = (a: number, b: number, tol: number, what = '') => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what} ${a} vs ${b}`);

function batch() {
  const x = tf.tensor([[0.3, -0.2, 0.5], [-0.4, 0.1, 0.2], [0.0, 0.6, -0.3], [0.2, 0.2, 0.2]]);
  const z = tf.randomNormal([4, 2], 0, 1, 'float32', 11);
  const eps = tf.randomNormal([4, 2], 0, 1, 'float32', 12);
  return { x, z, eps };
}

const num = (t: tf.Tensor) => t.dataSync()[0];

test('energy of a quadratic EBM: mean E = ½ a mean‖x − m‖², and KL(Q‖Π) = energyData', () => {
  const ebm = new QuadraticEbm([1, -1], 2);
  const x = tf.tensor([[1, -1], [2, -1], [1, 1]]);
  // ½·2·(0 + 1 + 4)/3
  assert.ok(Math.abs(tf.tidy(() => num(meanEnergy(ebm, x, false))) - 5 / 3) < 1e-6);
  const t = klQPi(ebm, x, false);
  assert.ok(Math.abs(num(t.klQPi) - 5 / 3) < 1e-6 && Math.abs(num(t.energyData) - 5 / 3) < 1e-6);
  tf.dispose([x, t.klQPi, t.energyData]);
  ebm.dispose();
});

test('D = KL(Q‖P) + KL(P‖Π) − KL(Q‖Π) with each term matching its closed form on linear nets', () => {
  const nets = tinyTriangle();
  const { x, z, eps } = batch();
  const s: ObjectiveScaling = { sigma: 0.8, klReduction: 'sum', latentNllWeight: 0.7 };
  const t = divergenceTriangle(nets, x, z, eps, s, true);
  // Independent host computation of every term.
  const X = x.arraySync() as number[][];
  const Z = z.arraySync() as number[][];
  const E = eps.arraySync() as number[][];
  const W = nets.generator.W.variable.arraySync() as number[][];
  const b = nets.generator.b.variable.arraySync() as number[];
  const A = nets.inference.A.variable.arraySync() as number[][];
  const c = nets.inference.c.variable.arraySync() as number[];
  const sv = nets.inference.s.variable.arraySync() as number[];
  const m = nets.ebm.m.variable.arraySync() as number[];
  const a = (nets.ebm.a.variable.arraySync() as number[])[0];
  const g = (zz: number[]) => b.map((bj, j) => bj + zz.reduce((acc, zi, i) => acc + zi * W[i][j], 0));
  const mu = (xx: number[]) => c.map((ck, k) => ck + xx.reduce((acc, xi, i) => acc + xi * A[i][k], 0));
  const f = (xx: number[]) => -0.5 * a * xx.reduce((acc, xi, i) => acc + (xi - m[i]) ** 2, 0);
  const mean = (v: number[]) => v.reduce((p, q) => p + q, 0) / v.length;
  const recon = mean(X.map((xx, n) => {
    const zt = mu(xx).map((mk, k) => mk + Math.exp(sv[k] / 2) * E[n][k]);
    return g(zt).reduce((acc, gj, j) => acc + (xx[j] - gj) ** 2, 0) / (2 * s.sigma ** 2);
  }));
  const kl = mean(X.map((xx) => mu(xx).reduce((acc, mk, k) => acc + 0.5 * (mk ** 2 + Math.exp(sv[k]) - 1 - sv[k]), 0)));
  const nll = mean(Z.map((zz) => {
    const mg = mu(g(zz));
    return zz.reduce((acc, zk, k) => acc + 0.5 * ((zk - mg[k]) ** 2 / Math.exp(sv[k]) + sv[k] + Math.log(2 * Math.PI)), 0);
  }));
  const energyGen = mean(Z.map((zz) => -f(g(zz))));
  const energyData = mean(X.map((xx) => -f(xx)));
  close(num(t.recon), recon, 1e-5, 'recon');
  close(num(t.kl), kl, 1e-5, 'kl');
  close(num(t.nllLatent), nll, 1e-5, 'nll');
  close(num(t.energyGen), energyGen, 1e-5, 'energyGen');
  close(num(t.energyData), energyData, 1e-5, 'energyData');
  close(num(t.klQP), recon + kl, 1e-5, 'klQP');
  close(num(t.klPPi), energyGen + 0.7 * nll, 1e-5, 'klPPi');
  close(num(t.klQPi), energyData, 1e-5, 'klQPi');
  close(num(t.D), recon + kl + energyGen + 0.7 * nll - energyData, 1e-5, 'D');
  tf.dispose([x, z, eps, ...Object.values(t)]);
  Object.values(nets).forEach((n) => n.dispose());
});

/** Gradient of a scalar fn over the variables of `vars` (as numbers, flattened per variable). */
function grads(fn: () => tf.Scalar, vars: NamedVariable[]): number[][] {
  const { value, grads: g } = tf.variableGrads(fn, vars.map((v) => v.variable));
  const out = vars.map((v) => Array.from(g[v.variable.name].dataSync()));
  tf.dispose([value, ...Object.values(g)]);
  return out;
}

test('per-network losses of Algorithm 1 have the gradients of D: α ascends D, φ and θ descend it', () => {
  const nets = tinyTriangle();
  const { x, z, eps } = batch();
  const s = objectiveScaling('authors');
  const D = () => divergenceTriangle(nets, x, z, eps, s, true).D;
  const check = (lossFn: () => tf.Scalar, vars: NamedVariable[], sign: number, what: string) => {
    const gl = grads(lossFn, vars);
    const gd = grads(D, vars);
    gl.forEach((row, i) => row.forEach((val, j) => close(val, sign * gd[i][j], 1e-4, `${what} ${vars[i].name}[${j}]`)));
  };
  const xGen = nets.generator.generate(z, true);
  check(() => triangleEbmLoss(nets.ebm, x, xGen, true).loss, nets.ebm.trainable(), -1, 'ebm');
  check(() => triangleInferenceLoss(nets.generator, nets.inference, x, eps, z, xGen, s, true).loss, nets.inference.trainable(), 1, 'inference');
  // θ-step: z̃ is fixed (drawn before the step), so compare with D at that z̃.
  const zInf = tf.tidy(() => {
    const q = nets.inference.encode(x, true);
    return reparameterize(q.mu, q.logvar, eps);
  });
  check(() => triangleGeneratorLoss(nets.generator, nets.inference, nets.ebm, x, zInf, z, s, true).loss, nets.generator.trainable(), 1, 'generator');
  // With x̃ = g(z) + σe sampled from p_θ(x|z) (Algorithm 1 line 4), the same holds for the same e.
  const e = tf.mul(tf.randomNormal([4, 3], 0, 1, 'float32', 13), s.sigma);
  const De = () => divergenceTriangle(nets, x, z, eps, s, true, e).D;
  const gl = grads(() => triangleGeneratorLoss(nets.generator, nets.inference, nets.ebm, x, zInf, z, s, true, e).loss, nets.generator.trainable());
  const gd = grads(De, nets.generator.trainable());
  gl.forEach((row, i) => row.forEach((val, j) => close(val, gd[i][j], 1e-4, `noisy generator [${i}][${j}]`)));
  tf.dispose([x, z, eps, xGen, zInf, e]);
  Object.values(nets).forEach((n) => n.dispose());
});

test('objective gradients agree with central finite differences', () => {
  const nets = tinyTriangle();
  const { x, z, eps } = batch();
  const s = objectiveScaling('paper', { sigma: 0.9 });
  const xGen = nets.generator.generate(z, true);
  const cases: [string, () => tf.Scalar, NamedVariable[]][] = [
    ['ebm', () => triangleEbmLoss(nets.ebm, x, xGen, true).loss, nets.ebm.trainable()],
    ['inference', () => triangleInferenceLoss(nets.generator, nets.inference, x, eps, z, xGen, s, true).loss, nets.inference.trainable()],
    ['generator', () => triangleGeneratorLoss(nets.generator, nets.inference, nets.ebm, x, xGen.slice([0, 0], [4, 2]), z, s, true).loss, nets.generator.trainable()],
    ['vae', () => vaeLoss(nets.generator, nets.inference, x, eps, s, true).loss, [...nets.generator.trainable(), ...nets.inference.trainable()]],
    ['wake', () => wakeLoss(nets.generator, x, z, s, true).loss, nets.generator.trainable()],
    ['sleep', () => sleepLoss(nets.inference, z, xGen, true).loss, nets.inference.trainable()],
  ];
  for (const [what, fn, vars] of cases) {
    const analytic = grads(fn, vars);
    vars.forEach((nv, i) => {
      for (let j = 0; j < nv.variable.size; j++) {
        const fd = finiteDifference(() => tf.tidy(() => fn().dataSync()[0]), nv, j);
        assert.ok(Math.abs(fd - analytic[i][j]) < 2e-3 * Math.max(1, Math.abs(fd)), `${what} ${nv.name}[${j}]: fd ${fd} vs ${analytic[i][j]}`);
      }
    });
  }
  tf.dispose([x, z, eps, xGen]);
  Object.values(nets).forEach((n) => n.dispose());
});

test('VAE loss is KL(Q‖P); ELBO adds the Gaussian constant; objectives leak no tensors', () => {
  const nets = tinyTriangle();
  const { x, z, eps } = batch();
  const s = objectiveScaling('paper');
  const before = tf.memory().numTensors;
  const v = vaeLoss(nets.generator, nets.inference, x, eps, s, true);
  const q = klQP(nets.generator, nets.inference, x, eps, s, true);
  close(num(v.loss), num(q.klQP), 1e-6);
  close(num(v.elbo), -(num(q.klQP) + 0.5 * 3 * Math.log(2 * Math.PI * 0.5)), 1e-5);
  const p = klPPi(nets.inference, nets.ebm, z, x, s, true);
  tf.dispose([...Object.values(v), ...Object.values(q), ...Object.values(p)]);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, z, eps]);
  Object.values(nets).forEach((n) => n.dispose());
});
