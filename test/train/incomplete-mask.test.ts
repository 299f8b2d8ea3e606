import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildGenerator, buildInference, buildTriangleModels } from '../../lib/models/triangle';
import type { Module } from '../../lib/models/types';
import { objectiveScaling } from '../../lib/objectives/scaling';
import { klQP } from '../../lib/objectives/triangle';
import { vaeLoss } from '../../lib/objectives/vae';
import type { OptimizerConfig } from '../../lib/train/optimizer';
import type { Trainer } from '../../lib/train/trainer';
import { DivergenceTriangleTrainer } from '../../lib/train/triangle';
import { VaeTrainer } from '../../lib/train/vae';

tf.setBackend('cpu');

// Learning from incomplete data (divergence-triangle §4.4): with StepContext.mask, a triangle or VAE step
// must not read the missing pixels. Two identical trainers step on batches that differ only there; every
// metric and every weight afterwards must agree exactly. Small MLPs on 12-D "images" keep it fast.
const D = 12;
const N = 8;
const oc: OptimizerConfig = { lr: 1e-2, beta1: 0.5, beta2: 0.999, weightDecay: 0, clipNorm: 100, lrDecay: 1 };
const modelOpts = { seed: 4, hidden: [16], latentDim: 3, channels: D };

function make(kind: 'triangle' | 'vae'): { trainer: Trainer; nets: Module[]; dispose(): void } {
  const scaling = objectiveScaling('paper', { sigma: 0.5 });
  if (kind === 'triangle') {
    const m = buildTriangleModels('mlp2d', modelOpts);
    const trainer = new DivergenceTriangleTrainer(m.generator, m.inference, m.ebm, { seed: 7, scaling, optimizers: { ebm: oc, generator: oc, inference: oc } });
    const nets = [m.generator, m.inference, m.ebm];
    return { trainer, nets, dispose: () => [trainer, ...nets].forEach((x) => x.dispose()) };
  }
  const g = buildGenerator('mlp2d', modelOpts);
  const q = buildInference('mlp2d', modelOpts);
  const trainer = new VaeTrainer(g, q, { seed: 7, scaling, optimizers: { generator: oc, inference: oc } });
  return { trainer, nets: [g, q], dispose: () => [trainer, g, q].forEach((x) => x.dispose()) };
}

function weights(nets: Module[]): Float32Array[] {
  return nets.flatMap((m) => m.trainable().map((v) => v.variable.dataSync() as Float32Array));
}

/** x, the same x with other values at the missing pixels, and the mask (about a third missing). */
function batches(): { x: tf.Tensor; xOther: tf.Tensor; mask: tf.Tensor } {
  return tf.tidy(() => {
    const x = tf.randomUniform([N, D], -1, 1, 'float32', 1);
    const mask = tf.cast(tf.greater(tf.randomUniform([N, D], 0, 1, 'float32', 2), 0.35), 'float32');
    const other = tf.randomUniform([N, D], -5, 5, 'float32', 3);
    return { x, xOther: tf.add(tf.mul(x, mask), tf.mul(tf.sub(1, mask), other)), mask };
  });
}

for (const kind of ['triangle', 'vae'] as const) {
  test(`${kind}: with a mask, the missing pixels' values change no metric and no update`, () => {
    const { x, xOther, mask } = batches();
    const a = make(kind);
    const b = make(kind);
    assert.equal(a.trainer.masksReconstruction, true);
    for (let it = 0; it < 3; it++) {
      const ma = a.trainer.step(x, { mask });
      const mb = b.trainer.step(xOther, { mask });
      assert.deepEqual(mb, ma);
    }
    const wa = weights(a.nets);
    const wb = weights(b.nets);
    wa.forEach((w, i) => assert.deepEqual(wb[i], w));
    // ... and the reconstruction used to refill the missing pixels does not read them either.
    const ra = a.trainer.reconstruct(x, { mask });
    const rb = a.trainer.reconstruct(xOther, { mask });
    assert.deepEqual(rb.dataSync(), ra.dataSync());
    tf.dispose([x, xOther, mask, ra, rb]);
    a.dispose();
    b.dispose();
  });

  test(`${kind}: without a mask the same two batches do train differently (the test above is not vacuous)`, () => {
    const { x, xOther, mask } = batches();
    const a = make(kind);
    const b = make(kind);
    const ma = a.trainer.step(x);
    const mb = b.trainer.step(xOther);
    assert.notEqual(mb.recon, ma.recon);
    const wa = weights(a.nets);
    const wb = weights(b.nets);
    assert.ok(wa.some((w, i) => w.some((v, j) => v !== wb[i][j])));
    tf.dispose([x, xOther, mask]);
    a.dispose();
    b.dispose();
  });

  test(`${kind}: masked steps leak no tensors`, () => {
    const { x, mask } = batches();
    const a = make(kind);
    a.trainer.step(x, { mask });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) a.trainer.step(x, { mask });
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x, mask]);
    a.dispose();
  });
}

test('klQP with a mask: recon is Σ over observed pixels of (x − g(z̃))²/(2σ²), the VAE ELBO constant counts observed pixels', () => {
  const g = buildGenerator('mlp2d', modelOpts);
  const q = buildInference('mlp2d', modelOpts);
  const scaling = objectiveScaling('paper', { sigma: 0.5 });
  const { x, mask } = batches();
  const eps = tf.randomNormal([N, 3], 0, 1, 'float32', 9);
  const t = klQP(g, q, x, eps, scaling, false, mask);
  const xRec = g.generate(t.zInf, false);
  const xs = x.arraySync() as number[][];
  const rs = xRec.arraySync() as number[][];
  const ms = mask.arraySync() as number[][];
  let sum = 0;
  let se = 0;
  let observed = 0;
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < D; j++) {
      const d2 = ms[i][j] * (xs[i][j] - rs[i][j]) ** 2;
      sum += d2 / (2 * 0.25);
      se += d2;
      observed += ms[i][j];
    }
  }
  assert.ok(Math.abs(t.recon.dataSync()[0] - sum / N) < 1e-4 * (1 + sum / N));
  assert.ok(Math.abs(t.mse.dataSync()[0] - se / observed) < 1e-5);
  const v = vaeLoss(g, q, x, eps, scaling, false, mask);
  // ELBO = −(recon + kl) − ½·(observed pixels per example)·log(2πσ²)
  const expected = -(t.klQP.dataSync()[0] + 0.5 * (observed / N) * Math.log(2 * Math.PI * 0.25));
  assert.ok(Math.abs(v.elbo.dataSync()[0] - expected) < 1e-3);
  tf.dispose([x, mask, eps, xRec, t.klQP, t.recon, t.kl, t.mse, t.zInf, ...Object.values(v)]);
  g.dispose();
  q.dispose();
});
