import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { dataSupportMask, energyAndGradient, projectOnSupport, supportScore, tiltedPriorScore, type LandscapeScoreFn } from '../../lib/landscape/score';
import { findMinima } from '../../lib/landscape/minima';
import { isUserError } from '../../lib/errors';

tf.setBackend('cpu');

/** 2×2 one-channel "images": pixel 3 (the corner) is black in every training image. */
const TRAIN = [
  [0.8, -1, -1, -1],
  [-1, 0.5, -1, -1],
  [0.2, 0.9, -1, -1],
].map((v) => tf.tensor4d(v, [1, 2, 2, 1]));

test('dataSupportMask marks the pixels some image lights above the floor; an empty set is refused in one line', () => {
  const images = tf.concat(TRAIN, 0);
  const m = dataSupportMask(images);
  assert.deepEqual(Array.from(m.dataSync()), [1, 1, 0, 0]);
  assert.deepEqual(m.shape, [1, 2, 2, 1]);
  // pixel 2 at −0.95 is below the default floor −0.9, above −0.99
  const dim = tf.tensor4d([-1, -1, -0.95, -1], [1, 2, 2, 1]);
  assert.deepEqual(Array.from(dataSupportMask(tf.concat([images, dim], 0), -0.99).dataSync()), [1, 1, 1, 0]);
  assert.throws(() => dataSupportMask(tf.zeros([0, 2, 2, 1])), (e: unknown) => isUserError(e) && /no images/.test((e as Error).message));
  tf.dispose([images, m, dim]);
});

test('supportScore: f of the projected image, gradient exactly 0 off the support, the same on it', () => {
  const mask = tf.tensor4d([1, 1, 0, 0], [1, 2, 2, 1]);
  const w = tf.tensor4d([0.5, -2, 3, 1], [1, 2, 2, 1]);
  const f: LandscapeScoreFn = (x) => tf.tidy(() => x.mul(w).sum([1, 2, 3]).add(x.square().sum([1, 2, 3]).mul(-0.1)) as tf.Tensor1D);
  const x = tf.tensor4d([0.1, 0.2, 0.7, -0.3, -0.5, 0.4, 0.9, 0.6], [2, 2, 2, 1]);
  const p = projectOnSupport(x, mask);
  assert.deepEqual(Array.from(p.dataSync()).map((v) => +v.toFixed(6)), [0.1, 0.2, -1, -1, -0.5, 0.4, -1, -1]);
  const onS = supportScore(f, mask);
  const a = onS(x);
  const b = f(p);
  assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
  const { energy, grad } = energyAndGradient(onS, x);
  const g = grad.dataSync();
  const gFree = energyAndGradient(f, p).grad.dataSync();
  for (const i of [2, 3, 6, 7]) assert.ok(g[i] === 0, `off-support component ${i}: ${g[i]}`);
  for (const i of [0, 1, 4, 5]) assert.ok(Math.abs(g[i] - gFree[i]) < 1e-6, `on-support component ${i}`);
  tf.dispose([mask, w, x, p, a, b, energy, grad]);
});

test('a descent confined to the support keeps off-support pixels black where the free descent lights them', async () => {
  // E falls by lighting the corner (w = +3 there): the free minimum has a bright corner no training image has
  const w = tf.tensor4d([1, 1, 3, 3], [1, 2, 2, 1]);
  const f: LandscapeScoreFn = (x) => tf.tidy(() => x.mul(w).sum([1, 2, 3]) as tf.Tensor1D);
  const images = tf.concat(TRAIN, 0);
  const mask = dataSupportMask(images);
  const starts = projectOnSupport(images, mask);
  const before = tf.memory().numTensors;
  const free = await findMinima(f, starts, { stepSize: 0.1, maxSteps: 200, clamp: [-1, 1] });
  const held = await findMinima(supportScore(f, mask), starts, { stepSize: 0.1, maxSteps: 200, clamp: [-1, 1] });
  const corner = (t: tf.Tensor) => tf.tidy(() => Array.from(t.reshape([-1, 4]).slice([0, 2], [-1, 2]).dataSync()));
  assert.ok(corner(free.minima).every((v) => v === 1), `the free descent lights the corner: ${corner(free.minima)}`);
  assert.ok(corner(held.minima).every((v) => v === -1), `the confined one keeps it black: ${corner(held.minima)}`);
  // on the support the descent lights pixels 0 and 1 (E = −(1 + 1 − 3 − 3) = 4; free: E = −8)
  const lit = (t: tf.Tensor) => tf.tidy(() => Array.from(t.reshape([-1, 4]).slice([0, 0], [-1, 2]).dataSync()));
  assert.ok(lit(held.minima).every((v) => v === 1), `${lit(held.minima)}`);
  assert.equal(held.energies.length, 1, 'every start meets at one minimum');
  assert.ok(Math.abs(held.energies[0] - 4) < 1e-5 && Math.abs(free.energies[0] - -8) < 1e-5, `${held.energies[0]} ${free.energies[0]}`);
  tf.dispose([free.minima, held.minima]);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([w, images, mask, starts, ...TRAIN]);
});

test('tiltedPriorScore: f(g(z)) − ½‖z‖² in closed form, its gradient, and a descent ending at the maximiser; no leak', async () => {
  // g(z) = A z as a 2×2 image, f(x) = −½‖x − c‖²: E(z) = ½‖Az − c‖² + ½‖z‖², minimum z* = (AᵀA + I)⁻¹ Aᵀc.
  const A = [
    [1, 0],
    [0, 2],
    [1, 1],
    [0, 0],
  ];
  const c = [0.5, -1, 1, 0.3];
  const At = tf.tensor2d(A).transpose();
  const cT = tf.tensor4d(c, [1, 2, 2, 1]);
  const generator = (z: tf.Tensor): tf.Tensor => tf.matMul(z, At).reshape([z.shape[0], 2, 2, 1]);
  const f: LandscapeScoreFn = (x) => x.sub(cT).square().sum([1, 2, 3]).mul(-0.5) as tf.Tensor1D;
  const score = tiltedPriorScore(f, generator);
  const before = tf.memory().numTensors;
  const z = tf.tensor2d([
    [0.3, -0.2],
    [1, 2],
  ]);
  const closedE = (v: number[]): number => {
    const x = A.map((row) => row[0] * v[0] + row[1] * v[1]);
    return 0.5 * x.reduce((t, xi, i) => t + (xi - c[i]) ** 2, 0) + 0.5 * (v[0] ** 2 + v[1] ** 2);
  };
  const { energy, grad } = energyAndGradient(score, z);
  const e = energy.dataSync();
  const g = grad.arraySync() as number[][];
  const zs = z.arraySync();
  zs.forEach((v, i) => {
    assert.ok(Math.abs(e[i] - closedE(v)) < 1e-5, `E(z${i}) ${e[i]} vs ${closedE(v)}`);
    // ∇E = (AᵀA + I) z − Aᵀc
    const ata = [0, 1].map((r) => [0, 1].map((k) => A.reduce((t, row) => t + row[r] * row[k], 0) + (r === k ? 1 : 0)));
    const atc = [0, 1].map((r) => A.reduce((t, row, q) => t + row[r] * c[q], 0));
    [0, 1].forEach((r) => assert.ok(Math.abs(g[i][r] - (ata[r][0] * v[0] + ata[r][1] * v[1] - atc[r])) < 1e-5, `∇E(z${i})[${r}]`));
  });
  tf.dispose([energy, grad]);
  // z* for these A, c: (AᵀA + I) = [[3, 1], [1, 6]], Aᵀc = [1.5, −1]
  const zStar = [(6 * 1.5 - 1 * -1) / 17, (3 * -1 - 1 * 1.5) / 17];
  const r = await findMinima(score, z, { stepSize: 0.05, maxSteps: 2000, tol: 1e-4, window: 0 });
  const found = r.minima.arraySync() as number[][];
  assert.equal(found.length, 1, 'both descents end at the one minimum');
  found[0].forEach((v, k) => assert.ok(Math.abs(v - zStar[k]) < 1e-3, `z*[${k}] ${v} vs ${zStar[k]}`));
  tf.dispose([z, r.minima]);
  assert.equal(tf.memory().numTensors - before, 0);
  tf.dispose([At, cT]);
});
