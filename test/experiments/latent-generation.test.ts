/**
 * Experiment 09 at the quick scale, headless, as `dtri experiment` runs it: VAE, Ours and Ours(+) train
 * on MNIST and Fashion-MNIST, the results file holds the same metric keys and rows as the notebook's
 * committed one with finite numbers, figures are written, and no tensor is left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { withExperimentDirs } from './helpers';
import { startExperiment } from '../../lib/experiments/context';
import { LATENT_EBM_GENERATION, latentPresetName, verdict, VARIANTS } from '../../lib/experiments/latent-generation';
import { EXPERIMENTS } from '../../lib/experiments/registry';
import { PRESETS } from '../../lib/train/presets';

const COMMITTED = path.resolve(__dirname, '..', '..', 'notebooks', 'results', '09-latent-ebm-generation.json');

test('every variant has a preset at every scale; the three differ only by method and inference rule', () => {
  for (const ds of ['mnist', 'fashion-mnist', 'cifar10']) {
    for (const scale of ['quick', 'cpu', 'paper'] as const) {
      const [vae, ours, plus] = VARIANTS.map((v) => PRESETS[latentPresetName(ds, v.key, scale)]);
      assert.ok(vae && ours && plus, `${ds} ${scale}`);
      for (const k of ['dataset', 'dataLimit', 'width', 'batchSize', 'iterations', 'epochs', 'seed', 'lrGen', 'lrInf'] as const) assert.equal(vae[k], ours[k], `${ours.name}.${k}`);
      assert.deepEqual([vae.method, ours.method, plus.method], ['vae', 'latent-ebm', 'latent-ebm']);
    }
  }
});

test('the verdict follows the numbers', () => {
  const v = verdict('mnist', { VAE: 50, Ours: 20, 'Ours(+)': 30 }, { VAE: 0.3, Ours: 0.4, 'Ours(+)': 0.35 });
  assert.match(v, /Ours beats the VAE/);
  assert.match(v, /beats or ties Ours\(\+\)/);
  assert.match(v, /does not reconstruct better than the VAE/);
  assert.match(verdict('mnist', { VAE: 10, Ours: 20, 'Ours(+)': 15 }, { VAE: 0.3, Ours: 0.2, 'Ours(+)': 0.25 }), /does not beat the VAE .* trails Ours\(\+\).* Ours reconstructs better/);
});

test('experiment 09 runs headless at quick: the notebook\'s metric keys and rows, finite, figures written, no tensor leak', { timeout: 900_000 }, async () => {
  await withExperimentDirs(async (dirs) => {
    assert.ok(EXPERIMENTS.some((e) => e.name === '09-latent-ebm-generation'));
    const before = tf.memory().numTensors;
    const ctx = await startExperiment('09-latent-ebm-generation', { scale: 'quick' });
    const r = JSON.parse(fs.readFileSync(await LATENT_EBM_GENERATION.run(ctx), 'utf8'));
    const committed = JSON.parse(fs.readFileSync(COMMITTED, 'utf8'));
    assert.deepEqual(Object.keys(r.metrics), Object.keys(committed.metrics));
    const key = (x: { metric: string; setting: string }) => `${x.metric} | ${x.setting}`;
    assert.deepEqual(r.rows.map(key), committed.rows.map(key));
    for (const [k, v] of Object.entries(r.metrics as Record<string, number>)) {
      assert.ok(Number.isFinite(v) && v >= 0, `${k} = ${v}`);
      if (k.includes('rmse')) assert.ok(v > 0 && v < 2, `${k} = ${v}`);
    }
    // real training images score closer to the test images than any model of 20 iterations
    for (const ds of ['mnist', 'fashion_mnist']) assert.ok(r.metrics[`${ds}_real_classifier_fid`] < r.metrics[`${ds}_vae_classifier_fid`], ds);
    assert.equal(r.paper, 'vae-latent-ebm');
    const figures = fs.readdirSync(ctx.figuresDir!);
    for (const f of ['samples-mnist.png', 'samples-fashion-mnist.png', 'reconstructions-mnist.png', 'reconstructions-fashion-mnist.png']) assert.ok(figures.includes(f), `${f} not in ${figures.join(', ')}`);
    assert.ok(figures.some((f) => f.startsWith('curves-fashion-mnist-ours.')), figures.join(', '));
    const trained = fs.readdirSync(dirs.runs).filter((f) => f !== 'figures').sort();
    assert.deepEqual(trained, ['fashion-mnist', 'mnist'].flatMap((d) => ['ours', 'ours-plus', 'vae'].map((v) => `${d}-latent-${v}-quick`)).sort());
    // the feature classifiers stay cached for the session (8 weights each); nothing else is left
    const left = tf.memory().numTensors - before;
    assert.ok(left <= 16, `${left} tensors left`);
  });
});
