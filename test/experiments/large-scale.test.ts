/**
 * Experiment 02 (§4.1.2) at the quick scale, headless as `dtri experiment 02-large-scale` runs it: the
 * large-scale triangle and its 1-θ-step control train under one scaling and schedule, the results file
 * holds both scores and the real-image floor, figures are written, and no tensor is left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { withExperimentDirs } from './helpers';
import { startExperiment } from '../../lib/experiments/context';
import { LARGE_SCALE, largePresetName, verdict, THETA_LABELS } from '../../lib/experiments/large-scale';
import { EXPERIMENTS } from '../../lib/experiments/registry';
import { COMPARISON_THETA_STEPS } from '../../lib/train/presets-notebooks';
import { PRESETS } from '../../lib/train/presets';
import type { SampleQuality } from '../../lib/metrics/generative-eval';

test('large-scale presets: the paper\'s scaling and several θ-steps; the control differs in θ-steps only', () => {
  for (const scale of ['quick', 'cpu', 'paper'] as const) {
    const a = PRESETS[largePresetName('fashion-mnist', scale)];
    const b = PRESETS[largePresetName('fashion-mnist', scale, true)];
    assert.equal(a.scaling, 'paper');
    assert.equal(a.generatorSteps, COMPARISON_THETA_STEPS);
    assert.equal(b.generatorSteps, 1);
    assert.equal(a.arch, 'large');
    assert.equal(a.batchNorm, true);
    const strip = ({ name, description, generatorSteps, ...rest }: typeof a) => (void name, void description, void generatorSteps, rest);
    assert.deepEqual(strip(b), strip(a));
    for (const d of ['imagenet32', 'lsun-bedroom']) assert.equal(PRESETS[largePresetName(d, scale)].generatorSteps, COMPARISON_THETA_STEPS);
  }
});

test('verdict: states both FIDs and which way the control moved', () => {
  const q = (fid: number) => ({ fid }) as SampleQuality;
  const line = verdict(new Map([[THETA_LABELS.several, q(40)], [THETA_LABELS.one, q(90)], ['real', q(2)]]));
  assert.match(line, /FID is 40\.0 \(real training images: 2\.0\); with 1 θ-step .* 90\.0, worse/);
  assert.match(verdict(new Map([[THETA_LABELS.several, q(40)], [THETA_LABELS.one, q(30)], ['real', q(2)]])), /30\.0, better/);
});

test('experiment 02 runs headless at quick: both runs scored, floor measured, figures written, no tensor leak', { timeout: 600_000 }, async () => {
  await withExperimentDirs(async () => {
    assert.ok(EXPERIMENTS.some((e) => e.name === '02-large-scale'));
    const before = tf.memory().numTensors;
    const ctx = await startExperiment('02-large-scale', { scale: 'quick' });
    const r = JSON.parse(fs.readFileSync(await LARGE_SCALE.run(ctx), 'utf8'));
    for (const k of ['fashion_mnist_32_large_triangle_classifier_fid', 'fashion_mnist_32_large_triangle_1step_classifier_fid', 'fashion_mnist_32_real_classifier_fid', 'fashion_mnist_32_large_triangle_energy_data']) {
      assert.ok(Number.isFinite(r.metrics[k]), `${k} = ${r.metrics[k]}`);
    }
    assert.ok(r.metrics.fashion_mnist_32_real_classifier_fid < r.metrics.fashion_mnist_32_large_triangle_classifier_fid, 'real images score better than a 20-iteration model');
    assert.equal(r.metrics.iterations, PRESETS[largePresetName('fashion-mnist', 'quick')].iterations);
    const figures = fs.readdirSync(ctx.figuresDir!);
    for (const f of ['samples-fashion-mnist-32.png', 'samples-fashion-mnist-32-1step.png', 'training-images.png']) assert.ok(figures.includes(f), figures.join(', '));
    const left = tf.memory().numTensors - before;
    assert.ok(left <= 8, `${left} tensors left`);
  });
});
