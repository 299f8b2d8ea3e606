import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildEbm, buildGenerator } from '../../lib/models';
import { loadDataset, batchIndices, gatherBatch, toy2dModes } from '../../lib/data';
import { AcdTrainer, sampleEntropy, type AcdEntropyEstimator } from '../../lib/train/acd';
import { NonFiniteError, type OptimizerConfig } from '../../lib/train/optimizer';
import { readCheckpointFile, restoreTrainingCheckpoint, saveTrainingCheckpoint } from '../../lib/train/checkpoint';
import { resolvePreset } from '../../lib/train/presets';
import { runTraining } from '../../lib/train/runner';
import { isUserError } from '../../lib/errors';

tf.setBackend('cpu');

const MODEL = { seed: 4, hidden: [32, 32], latentDim: 2 };
const ADAM: OptimizerConfig = { lr: 2e-3, beta1: 0.5, beta2: 0.999, weightDecay: 0, clipNorm: 100, lrDecay: 1 };

function build(entropy: AcdEntropyEstimator = 'nearest-neighbour', seed = 1) {
  const generator = buildGenerator('mlp2d', MODEL);
  const ebm = buildEbm('mlp2d', MODEL);
  // The mlp2d generator's output is linear and f_α unbounded, so the toy needs π_α's Gaussian reference
  // measure to stay normalizable; without it (measured) the samples overshoot the ring to radius 10–30.
  const trainer = new AcdTrainer(generator, ebm, { seed, entropy, generatorSteps: 3, referenceStd: 1.5, optimizers: { ebm: ADAM, generator: ADAM } });
  return {
    trainer,
    dispose() {
      trainer.dispose();
      generator.dispose();
      ebm.dispose();
    },
  };
}

function train(t: AcdTrainer, ds: { images: tf.Tensor }, from: number, to: number, batch = 32): Record<string, number>[] {
  const n = ds.images.shape[0];
  const per = Math.floor(n / batch);
  const out: Record<string, number>[] = [];
  for (let it = from; it < to; it++) {
    const x = gatherBatch(ds as never, batchIndices(n, batch, 5, Math.floor(it / per))[it % per]);
    out.push(t.step(x));
    x.dispose();
  }
  return out;
}

test('entropy estimators shift by d·log a when the samples are scaled by a (closed form)', () => {
  const x = tf.randomNormal([64, 3], 0, 1, 'float32', 1);
  const a = 2.5;
  const ax = tf.mul(x, a);
  for (const est of ['nearest-neighbour', 'gaussian'] as const) {
    const h0 = sampleEntropy(x, est).dataSync()[0];
    const h1 = sampleEntropy(ax, est).dataSync()[0];
    assert.ok(Math.abs(h1 - h0 - 3 * Math.log(a)) < 1e-3, `${est}: ${h1 - h0} vs ${3 * Math.log(a)}`);
  }
  // Gaussian estimator = ½ Σ log Var: for N(0, 1) samples close to 0; 'none' is 0.
  assert.ok(Math.abs(sampleEntropy(x, 'gaussian').dataSync()[0]) < 0.5);
  assert.equal(sampleEntropy(x, 'none').dataSync()[0], 0);
  // The nearest-neighbour estimate pushes samples apart: its gradient on a point moves it away from its neighbour.
  const pair = tf.tensor2d([[0, 0], [0.1, 0], [5, 5]]);
  const g = tf.grad((p: tf.Tensor) => sampleEntropy(p, 'nearest-neighbour'))(pair).arraySync() as number[][];
  assert.ok(g[0][0] < 0 && g[1][0] > 0, `grads ${JSON.stringify(g)}`);
  assert.throws(() => sampleEntropy(tf.zeros([1, 2]), 'nearest-neighbour'), (e: unknown) => isUserError(e) && /at least 2/.test((e as Error).message));
  tf.dispose([x, ax, pair]);
});

test('ACD moves generator samples toward the data on the 8-Gaussian ring; tensor count flat', async (t) => {
  const ds = await loadDataset('toy2d-ring8', { limit: 512, seed: 2 });
  const modes = tf.tensor2d(toy2dModes('toy2d-ring8'));
  // Mean distance from samples to their nearest mode of the mixture.
  const distToData = (tr: AcdTrainer) =>
    tf.tidy(() => {
      const s = tr.sample(256, 77);
      const d2 = tf.sum(tf.square(tf.sub(tf.expandDims(s, 1), tf.expandDims(modes, 0))), 2);
      return tf.mean(tf.sqrt(tf.min(d2, 1))).dataSync()[0];
    });
  const m = build();
  const before = distToData(m.trainer);
  const x0 = gatherBatch(ds, batchIndices(512, 32, 5, 0)[0]);
  const counts: number[] = [];
  for (let i = 0; i < 20; i++) {
    m.trainer.step(x0);
    counts.push(tf.memory().numTensors);
  }
  x0.dispose();
  assert.ok(counts.every((c) => c === counts[0]), `tensor count: ${counts.join(',')}`);
  const hist = train(m.trainer, ds, 20, 150);
  const after = distToData(m.trainer);
  t.diagnostic(`mean distance of samples to the nearest mode ${before.toFixed(3)} → ${after.toFixed(3)}`);
  // Measured on this seed: 2.00 → about 0.9 (samples spread around the ring of radius 2).
  assert.ok(after < 0.6 * before, `distance to data ${before} → ${after}`);
  const last = hist[hist.length - 1];
  for (const k of ['acd', 'energyData', 'energyGen', 'entropy', 'reference', 'lossEbm', 'lossGen']) assert.ok(Number.isFinite(last[k]), `${k} = ${last[k]}`);
  assert.throws(() => m.trainer.reconstruct(modes), (e: unknown) => isUserError(e) && /no inference model/.test((e as Error).message));
  modes.dispose();
  m.dispose();
  ds.dispose();
});

test('ACD checkpoint → resume equals the uninterrupted run; NaN data stops before any update', async () => {
  const ds = await loadDataset('toy2d-ring8', { limit: 128, seed: 2 });
  const a = build('gaussian', 7);
  const full = train(a.trainer, ds, 0, 7);
  const b = build('gaussian', 7);
  train(b.trainer, ds, 0, 4);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-acd-'));
  const file = path.join(dir, 'latest.ckpt');
  saveTrainingCheckpoint(file, b.trainer, { preset: resolvePreset('toy2d-quick'), modelOptions: MODEL });
  b.dispose();
  const c = build('gaussian', 7);
  restoreTrainingCheckpoint(c.trainer, readCheckpointFile(file), file);
  const resumed = train(c.trainer, ds, 4, 7);
  for (let i = 0; i < 3; i++) {
    for (const k of Object.keys(full[4 + i])) assert.ok(Math.abs(full[4 + i][k] - resumed[i][k]) <= 1e-6 * Math.max(1, Math.abs(full[4 + i][k])), `iteration ${5 + i} ${k}: ${full[4 + i][k]} vs ${resumed[i][k]}`);
  }
  const w = (tr: AcdTrainer) => tr.generator.trainable().map((v) => Array.from(v.variable.dataSync()));
  assert.deepEqual(w(c.trainer), w(a.trainer));
  const bad = tf.tensor2d([[NaN, 0], [1, 1]]);
  const ebmBefore = c.trainer.ebm.trainable().map((v) => Array.from(v.variable.dataSync()));
  assert.throws(() => c.trainer.step(bad), NonFiniteError);
  assert.deepEqual(c.trainer.ebm.trainable().map((v) => Array.from(v.variable.dataSync())), ebmBefore);
  bad.dispose();
  a.dispose();
  c.dispose();
  ds.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('runTraining: toy2d-acd-quick runs, checkpoints on abort and resumes to the uninterrupted numbers', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-run-'));
  const overrides = { iterations: '6', batchSize: '32', hidden: '16,16', logEvery: '1', checkpointEvery: '0' };
  const full = await runTraining({ preset: 'toy2d-acd-quick', outDir: path.join(root, 'a'), overrides });
  assert.equal(full.summary.status, 'completed');
  assert.equal(full.summary.method, 'acd');
  const ctrl = new AbortController();
  const part = await runTraining({
    preset: 'toy2d-acd-quick',
    outDir: path.join(root, 'b'),
    overrides,
    signal: ctrl.signal,
    callbacks: { onIteration: ({ iteration }) => void (iteration === 3 && ctrl.abort()) },
  });
  assert.equal(part.summary.status, 'aborted');
  part.dispose();
  const rest = await runTraining({ preset: 'toy2d-acd-quick', outDir: path.join(root, 'b'), overrides, resume: true });
  assert.equal(rest.summary.resumedFrom, 3);
  const lines = (dir: string) => fs.readFileSync(path.join(root, dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  const [la, lb] = [lines('a'), lines('b')];
  assert.equal(lb.length, 6);
  for (let i = 0; i < 6; i++) {
    for (const k of Object.keys(la[i])) if (k !== 'seconds') assert.ok(Math.abs(la[i][k] - lb[i][k]) <= 1e-6 * Math.max(1, Math.abs(la[i][k])), `line ${i} ${k}: ${la[i][k]} vs ${lb[i][k]}`);
  }
  full.dispose();
  rest.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});
