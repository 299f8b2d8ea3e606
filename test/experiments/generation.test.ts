/**
 * Experiments 01 and 06 at the quick scale, headless, as `dtri experiment` runs them: every method
 * trains once (06 reloads 01's runs), the results files hold every compared row with finite numbers,
 * figures are written, and no tensor is left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { withExperimentDirs } from './helpers';
import { startExperiment } from '../../lib/experiments/context';
import { OBJECT_GENERATION } from '../../lib/experiments/generation';
import { TEST_RECONSTRUCTION } from '../../lib/experiments/reconstruction';
import { EXPERIMENTS } from '../../lib/experiments/registry';
import { comparisonPresetName } from '../../lib/train/presets-notebooks';
import { PRESETS } from '../../lib/train/presets';

test('comparison presets: one scaling, optimizers and schedule for every method; only the method (and θ-steps) differ', () => {
  for (const ds of ['mnist', 'fashion-mnist']) {
    for (const scaling of ['paper', 'authors'] as const) {
      const t = PRESETS[comparisonPresetName(ds, 'triangle', scaling, 'cpu')];
      for (const m of ['vae', 'wake-sleep'] as const) {
        const o = PRESETS[comparisonPresetName(ds, m, scaling, 'cpu')];
        for (const k of ['scaling', 'iterations', 'batchSize', 'width', 'dataLimit', 'lrGen', 'lrInf', 'beta1', 'beta2', 'weightDecayGen', 'weightDecayInf', 'clipNorm', 'seed'] as const) {
          assert.equal(o[k], t[k], `${o.name}.${k}`);
        }
        assert.equal(o.method, m);
      }
      assert.equal(t.scaling, scaling);
      assert.ok(t.generatorSteps > 1, 'the compared triangle takes several θ-steps (Algorithm 1)');
    }
  }
  assert.equal(PRESETS['mnist-triangle-1step-paper-scaling-cpu'].generatorSteps, 1);
});

test('experiments 01 and 06 run headless at quick; 06 reuses 01\'s runs; results and figures written; no tensor leak', { timeout: 900_000 }, async () => {
  await withExperimentDirs(async (dirs) => {
    assert.ok(['01-object-generation', '06-test-reconstruction'].every((n) => EXPERIMENTS.some((e) => e.name === n)));
    const before = tf.memory().numTensors;
    const ctx = await startExperiment('01-object-generation', { scale: 'quick' });
    const file = await OBJECT_GENERATION.run(ctx);
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    for (const k of ['mnist_triangle_classifier_fid', 'mnist_vae_classifier_fid', 'fashion_mnist_triangle_classifier_fid', 'fashion_mnist_vae_classifier_fid', 'mnist_triangle_1step_classifier_fid', 'mnist_triangle_authors_scaling_classifier_fid', 'mnist_vae_authors_scaling_classifier_fid']) {
      assert.ok(Number.isFinite(r.metrics[k]), `${k} = ${r.metrics[k]}`);
    }
    const figures = fs.readdirSync(ctx.figuresDir!);
    assert.ok(figures.includes('samples-mnist-paper.png') && figures.some((f) => f.startsWith('energy-mnist')), figures.join(', '));
    const trained = fs.readdirSync(dirs.runs).filter((f) => f !== 'figures').sort();
    assert.equal(trained.length, 7, trained.join(', '));

    const ctx6 = await startExperiment('06-test-reconstruction', { scale: 'quick' });
    const r6 = JSON.parse(fs.readFileSync(await TEST_RECONSTRUCTION.run(ctx6), 'utf8'));
    for (const k of ['mnist_triangle_test_mse_pixel_m11', 'mnist_vae_test_mse_pixel_m11_batch_stats', 'fashion_mnist_wake_sleep_test_mse_pixel_m11', 'mnist_triangle_authors_scaling_test_mse_pixel_m11']) {
      assert.ok(Number.isFinite(r6.metrics[k]) && r6.metrics[k] > 0, `${k} = ${r6.metrics[k]}`);
    }
    // 06 trained only the wake-sleep runs (three), reloading 01's triangle and VAE
    assert.equal(fs.readdirSync(dirs.runs).filter((f) => f !== 'figures').length, 10);
    const summary = JSON.parse(fs.readFileSync(path.join(dirs.runs, comparisonPresetName('mnist', 'triangle', 'paper', 'quick'), 'summary.json'), 'utf8'));
    assert.equal(summary.iterations, PRESETS[comparisonPresetName('mnist', 'triangle', 'paper', 'quick')].iterations);
    // the feature classifiers stay cached for the session (8 weights each); nothing else is left
    const left = tf.memory().numTensors - before;
    assert.ok(left <= 16, `${left} tensors left`);
  });
});
