/**
 * Experiment 10 at the quick scale, headless: Ours and the VAE train on Fashion-MNIST under experiment
 * 09's preset names (so 09's runs are what it reloads), the quarter-budget control trains beside them,
 * the results file holds the notebook's metric keys and rows with AUROCs in [0, 1], figures are written,
 * and no tensor is left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { withExperimentDirs } from './helpers';
import { startExperiment } from '../../lib/experiments/context';
import { codeSwapSpread, OOD_DETECTION, setKey, verdict, type Evaluated } from '../../lib/experiments/ood';
import { latentPresetName } from '../../lib/experiments/latent-generation';
import { EXPERIMENTS } from '../../lib/experiments/registry';

const COMMITTED = path.resolve(__dirname, '..', '..', 'notebooks', 'results', '10-ood-detection.json');

test('set names become the results file\'s keys; the code-swap spread is max − min of the three scores', () => {
  assert.equal(setKey('textures (DTD stand-in)'), 'textures_dtd_stand_in');
  assert.equal(setKey('Fashion-MNIST train'), 'fashion_mnist_train');
  assert.equal(codeSwapSpread({ muNorm: 1, posteriorStd: 1, scoreAtMu: 2, scoreAtZero: -1, scoreAtPrior: 0.5 }), 3);
});

test('the verdict counts the OOD sets where the EBM beats the ELBO, leaving out the training images', () => {
  const of = (a: Record<string, number>): Evaluated['result'] => ({ inDistribution: new Float32Array(1), sets: Object.fromEntries(Object.entries(a).map(([k, auroc]) => [k, { auroc, auprc: 0, baseRate: 0.5, normal: 1, anomalous: 1, scores: new Float32Array(1) }])) });
  const ours: Evaluated = { label: 'Ours', what: '', result: of({ 'Fashion-MNIST train': 0.9, MNIST: 0.8, constant: 0.2 }) };
  const vae: Evaluated = { label: 'VAE', what: '', result: of({ 'Fashion-MNIST train': 0.5, MNIST: 0.7, constant: 0.6 }) };
  assert.match(verdict([ours, vae]), /on 1 of 2 OOD sets \(MNIST\); on the training images its AUROC is 0\.900/);
});

test('experiment 10 runs headless at quick: the notebook\'s metric keys and rows, AUROCs in [0, 1], figures, no tensor leak', { timeout: 900_000 }, async () => {
  await withExperimentDirs(async (dirs) => {
    assert.ok(EXPERIMENTS.some((e) => e.name === '10-ood-detection'));
    const before = tf.memory().numTensors;
    const ctx = await startExperiment('10-ood-detection', { scale: 'quick' });
    const r = JSON.parse(fs.readFileSync(await OOD_DETECTION.run(ctx), 'utf8'));
    const committed = JSON.parse(fs.readFileSync(COMMITTED, 'utf8'));
    assert.deepEqual(Object.keys(r.metrics), Object.keys(committed.metrics));
    const key = (x: { metric: string; setting: string }) => `${x.metric} | ${x.setting}`;
    assert.deepEqual(r.rows.map(key), committed.rows.map(key));
    for (const [k, v] of Object.entries(r.metrics as Record<string, number>)) {
      assert.ok(Number.isFinite(v), `${k} = ${v}`);
      if (k.includes('auroc')) assert.ok(v >= 0 && v <= 1, `${k} = ${v}`);
      if (k.includes('mu_norm') || k.includes('spread')) assert.ok(v >= 0, `${k} = ${v}`);
    }
    const figures = fs.readdirSync(ctx.figuresDir!);
    assert.ok(figures.includes('ood-sets.png'), figures.join(', '));
    for (const f of ['histograms-ours.', 'histograms-vae.', 'roc-ours.']) assert.ok(figures.some((x) => x.startsWith(f)), `${f} not in ${figures.join(', ')}`);
    // 09's Fashion-MNIST presets (reloaded when 09 ran first) and the quarter-budget control
    const ours = latentPresetName('fashion-mnist', 'ours', 'quick');
    assert.deepEqual(fs.readdirSync(dirs.runs).filter((f) => f !== 'figures').sort(), [ours, `${ours}-quarter`, latentPresetName('fashion-mnist', 'vae', 'quick')]);
    const quarter = JSON.parse(fs.readFileSync(path.join(dirs.runs, `${ours}-quarter`, 'summary.json'), 'utf8'));
    assert.equal(quarter.iterations, 5);
    assert.equal(tf.memory().numTensors - before, 0, 'tensors left');
  });
});
