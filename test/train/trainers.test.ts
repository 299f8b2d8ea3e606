import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildGenerator, buildInference, buildTriangleModels } from '../../lib/models/triangle';
import { objectiveScaling } from '../../lib/objectives/scaling';
import { NonFiniteError, type OptimizerConfig } from '../../lib/train/optimizer';
import type { Trainer } from '../../lib/train/trainer';
import { reparameterize } from '../../lib/objectives/gaussian';
import { deriveNoiseSeed } from '../../lib/random';
import { DivergenceTriangleTrainer, THETA_POSTERIOR_STREAM } from '../../lib/train/triangle';
import { VaeTrainer } from '../../lib/train/vae';
import { WakeSleepTrainer } from '../../lib/train/wake-sleep';

const oc: OptimizerConfig = { lr: 1e-3, beta1: 0.5, beta2: 0.999, weightDecay: 5e-4, clipNorm: 100, lrDecay: 0.998 };
const modelOpts = { seed: 3, hidden: [8, 8] };

function make(kind: 'triangle' | 'vae' | 'wake-sleep', seed = 1, generatorSteps = 1): { trainer: Trainer; dispose(): void } {
  const scaling = objectiveScaling('authors');
  if (kind === 'triangle') {
    const m = buildTriangleModels('mlp2d', modelOpts);
    const trainer = new DivergenceTriangleTrainer(m.generator, m.inference, m.ebm, { seed, scaling, generatorSteps, optimizers: { ebm: oc, generator: oc, inference: oc } });
    return { trainer, dispose: () => [trainer, m.generator, m.inference, m.ebm].forEach((x) => x.dispose()) };
  }
  const g = buildGenerator('mlp2d', modelOpts);
  const i = buildInference('mlp2d', modelOpts);
  const Cls = kind === 'vae' ? VaeTrainer : WakeSleepTrainer;
  const trainer = new Cls(g, i, { seed, scaling, optimizers: { generator: oc, inference: oc } });
  return { trainer, dispose: () => [trainer, g, i].forEach((x) => x.dispose()) };
}

const data = () => tf.randomNormal([16, 2], 0, 1, 'float32', 5);

for (const kind of ['triangle', 'vae', 'wake-sleep'] as const) {
  test(`${kind}: 20 iterations leak no tensors, metrics are finite, counters advance`, () => {
    const t = make(kind);
    const x = data();
    t.trainer.step(x);
    const after1 = tf.memory().numTensors;
    let metrics: Record<string, number> = {};
    for (let i = 0; i < 19; i++) metrics = t.trainer.step(x);
    assert.equal(tf.memory().numTensors, after1);
    assert.equal(t.trainer.iteration, 20);
    for (const [k, v] of Object.entries(metrics)) assert.ok(Number.isFinite(v), `${k} = ${v}`);
    assert.ok('mse' in metrics && 'gradNormGen' in metrics && 'gradNormInf' in metrics);
    if (kind === 'triangle') for (const k of ['D', 'klQP', 'klPPi', 'klQPi', 'recon', 'kl', 'energyData', 'energyGen', 'nllLatent', 'lossEbm', 'lossInf', 'lossGen', 'gradNormEbm']) assert.ok(k in metrics, k);
    x.dispose();
    t.dispose();
  });

  test(`${kind}: the same seed gives the same metrics; sample() is seeded; reconstruct() has the data shape`, () => {
    const a = make(kind, 9);
    const b = make(kind, 9);
    const x = data();
    for (let i = 0; i < 3; i++) assert.deepEqual(a.trainer.step(x), b.trainer.step(x));
    const s1 = a.trainer.sample(5, 4);
    const s2 = a.trainer.sample(5, 4);
    assert.deepEqual(Array.from(s1.dataSync()), Array.from(s2.dataSync()));
    assert.deepEqual(s1.shape, [5, 2]);
    const r = a.trainer.reconstruct(x);
    assert.deepEqual(r.shape, x.shape);
    tf.dispose([x, s1, s2, r]);
    a.dispose();
    b.dispose();
  });
}

test('triangle: a NaN batch stops before any update (EBM weights unchanged) and leaks nothing', () => {
  const t = make('triangle');
  const x = data();
  t.trainer.step(x);
  const ebm = t.trainer.modules().ebm;
  const before = ebm.trainable().map((v) => Array.from(v.variable.dataSync()));
  const bad = tf.fill([16, 2], NaN);
  const n0 = tf.memory().numTensors;
  assert.throws(() => t.trainer.step(bad), (e: unknown) => e instanceof NonFiniteError && /loss of ebm is NaN/.test((e as Error).message));
  assert.equal(tf.memory().numTensors, n0);
  assert.deepEqual(ebm.trainable().map((v) => Array.from(v.variable.dataSync())), before);
  assert.equal(t.trainer.iteration, 1);
  tf.dispose([x, bad]);
  t.dispose();
});

test('triangle: generatorSteps θ-steps per iteration (§4.3), one α- and φ-step', () => {
  const t = make('triangle', 1, 3);
  const x = data();
  for (let i = 0; i < 4; i++) t.trainer.step(x);
  const o = t.trainer.optimizers();
  assert.equal(o.generator.step, 12);
  assert.equal(o.ebm.step, 4);
  assert.equal(o.inference.step, 4);
  x.dispose();
  t.dispose();
});

test('triangle: the θ-step draws z̃ through the just-updated φ with fresh noise (the authors\' order), z reused', () => {
  // A large inference step, so the φ before and after the update give clearly different z̃.
  const big: OptimizerConfig = { ...oc, lr: 0.3, weightDecay: 0 };
  const m = buildTriangleModels('mlp2d', modelOpts);
  const trainer = new DivergenceTriangleTrainer(m.generator, m.inference, m.ebm, { seed: 4, scaling: objectiveScaling('authors'), optimizers: { ebm: oc, generator: oc, inference: big } });
  const x = data();
  const epsTheta = tf.randomNormal([16, ...m.inference.latentShape], 0, 1, 'float32', deriveNoiseSeed(4, 0, THETA_POSTERIOR_STREAM));
  const drawWithCurrentPhi = () => tf.tidy(() => {
    const { mu, logvar } = m.inference.encode(x, true);
    return Array.from(reparameterize(mu, logvar, epsTheta).dataSync());
  });
  const before = drawWithCurrentPhi();
  // Every code the generator decodes in training mode during one step: x̃'s z, the φ-step's z̃, then the θ-step's z̃ and z.
  const seen: number[][] = [];
  const generate = m.generator.generate.bind(m.generator);
  m.generator.generate = (z: tf.Tensor, training: boolean) => {
    if (training) seen.push(Array.from(z.dataSync()));
    return generate(z, training);
  };
  trainer.step(x);
  m.generator.generate = generate;
  const after = drawWithCurrentPhi();
  assert.equal(seen.length, 4);
  assert.deepEqual(seen[3], seen[0], 'the θ-step reuses the prior draw z of x̃');
  const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
  assert.ok(maxDiff(seen[2], after) < 1e-5, `θ-step z̃ = μ_φ′(x) + σ_φ′(x)ε′ with the updated φ′ (off by ${maxDiff(seen[2], after)})`);
  assert.ok(maxDiff(after, before) > 1e-2, `the φ update moved z̃ (by ${maxDiff(after, before)}), so the check above tells the two apart`);
  assert.ok(maxDiff(seen[2], seen[1]) > 1e-2, 'not the φ-step\'s z̃');
  tf.dispose([x, epsTheta]);
  [trainer, m.generator, m.inference, m.ebm].forEach((d) => d.dispose());
});

test('triangle with noisySamples (x̃ ~ p_θ(x|z)) is seeded and leak-free', () => {
  const mk = () => {
    const m = buildTriangleModels('mlp2d', modelOpts);
    const trainer = new DivergenceTriangleTrainer(m.generator, m.inference, m.ebm, { seed: 2, scaling: objectiveScaling('paper', { sigma: 0.1 }), noisySamples: true, optimizers: { ebm: oc, generator: oc, inference: oc } });
    return { trainer, dispose: () => [trainer, m.generator, m.inference, m.ebm].forEach((x) => x.dispose()) };
  };
  const a = mk();
  const b = mk();
  const x = data();
  a.trainer.step(x);
  b.trainer.step(x);
  const n0 = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) assert.deepEqual(a.trainer.step(x), b.trainer.step(x));
  assert.equal(tf.memory().numTensors, n0);
  x.dispose();
  a.dispose();
  b.dispose();
});

test('setEpoch decays every learning rate by lrDecay^epoch', () => {
  const t = make('triangle');
  t.trainer.setEpoch(10);
  for (const o of Object.values(t.trainer.optimizers())) assert.ok(Math.abs(o.learningRate - 1e-3 * 0.998 ** 10) < 1e-15);
  t.dispose();
});
