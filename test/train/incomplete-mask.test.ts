import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildGenerator, buildInference, buildTriangleModels } from '../../lib/models/triangle';
import type { InferenceNet, Module } from '../../lib/models/types';
import { objectiveScaling } from '../../lib/objectives/scaling';
import { klQP } from '../../lib/objectives/triangle';
import { vaeLoss } from '../../lib/objectives/vae';
import type { OptimizerConfig } from '../../lib/train/optimizer';
import type { Trainer } from '../../lib/train/trainer';
import { DivergenceTriangleTrainer } from '../../lib/train/triangle';
import { VaeTrainer } from '../../lib/train/vae';

tf.setBackend('cpu');

// Learning from incomplete data (divergence-triangle §4.4): with StepContext.mask, a triangle or VAE step
// counts only the observed pixels in its reconstruction terms, and its encoder reads x as given: on
// incomplete data x's missing pixels are the current fill (IncompleteDataTrainer), which §4.4's refill
// procedure feeds back. Small MLPs on 12-D "images" keep it fast.
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
  test(`${kind}: with a mask, the encoder reads x with its fill (not m ⊙ x), in the step and in reconstruct()`, () => {
    const { xOther, mask } = batches();
    const a = make(kind);
    assert.equal(a.trainer.masksReconstruction, true);
    const inference = (a.trainer as unknown as { inference: InferenceNet }).inference;
    const seen: Float32Array[] = [];
    const encode = inference.encode.bind(inference);
    inference.encode = (x: tf.Tensor, training: boolean) => {
      if (x.shape[0] === N) seen.push(x.dataSync().slice() as Float32Array);
      return encode(x, training);
    };
    a.trainer.step(xOther, { mask });
    a.trainer.reconstruct(xOther, { mask }).dispose();
    inference.encode = encode;
    const expected = xOther.dataSync();
    // The triangle also encodes its x̃ (a batch of N as well): pick the encodes of the data.
    const ofData = seen.filter((s) => s.every((v, i) => v === expected[i]));
    assert.ok(ofData.length >= 2, `the data batch was encoded as given ${ofData.length} times`);
    const zeroed = tf.tidy(() => tf.mul(xOther, mask).dataSync());
    assert.ok(!seen.some((s) => s.every((v, i) => v === zeroed[i])), 'no encode of the zero-filled batch');
    tf.dispose([xOther, mask]);
    a.dispose();
  });

  test(`${kind}: with a mask, batches that differ only in their fill train differently (the encoder reads it)`, () => {
    const { x, xOther, mask } = batches();
    const a = make(kind);
    const b = make(kind);
    const ma = a.trainer.step(x, { mask });
    const mb = b.trainer.step(xOther, { mask });
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

test('triangle with a mask: the EBM\'s data are the observed pixels completed by g(μ_φ(x)) of the fill', () => {
  const { xOther, mask } = batches();
  const a = make('triangle');
  const ebm = a.nets[2] as unknown as { score(x: tf.Tensor, training: boolean): tf.Tensor };
  const expected = tf.tidy(() => {
    const rec = a.trainer.reconstruct(xOther);
    return tf.add(tf.mul(xOther, mask), tf.mul(tf.sub(1, mask), rec));
  });
  const seen: Float32Array[] = [];
  const score = ebm.score.bind(ebm);
  ebm.score = (x: tf.Tensor, training: boolean) => {
    seen.push(x.dataSync().slice() as Float32Array);
    return score(x, training);
  };
  a.trainer.step(xOther, { mask });
  ebm.score = score;
  const e = expected.dataSync();
  assert.ok(Math.max(...Array.from(seen[0], (v, i) => Math.abs(v - e[i]))) < 1e-6, 'first EBM call: energy of the data');
  tf.dispose([xOther, mask, expected]);
  a.dispose();
});

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
