/**
 * Experiment 03 (§4.1.3) at the quick scale, headless as `dtri experiment 03-high-resolution` runs it: the
 * growing triangle and its 1-θ-step control train through every stage, each stage's classifier FID and its
 * real-image floor are measured, figures are written, and no tensor is left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { withExperimentDirs } from './helpers';
import { startExperiment } from '../../lib/experiments/context';
import { HIGH_RESOLUTION } from '../../lib/experiments/high-resolution';
import { COMPARISON_THETA_STEPS } from '../../lib/train/presets-notebooks';
import { PRESETS, presetAs } from '../../lib/train/presets';

test('hires presets: the paper\'s scaling and several θ-steps; the control differs in θ-steps only', () => {
  for (const scale of ['quick', 'cpu'] as const) {
    const a = presetAs(PRESETS[`hires-${scale}`], 'progressive');
    const b = presetAs(PRESETS[`hires-1step-${scale}`], 'progressive');
    assert.equal(a.method, 'progressive');
    assert.equal(a.scaling, 'paper');
    assert.equal(a.generatorSteps, COMPARISON_THETA_STEPS);
    assert.equal(b.generatorSteps, 1);
    const strip = ({ name, description, generatorSteps, ...rest }: typeof a) => (void name, void description, void generatorSteps, rest);
    assert.deepEqual(strip(b), strip(a));
  }
});

test('experiment 03 runs headless at quick: every stage scored for both runs, figures written, no tensor leak', { timeout: 600_000 }, async () => {
  await withExperimentDirs(async () => {
    const before = tf.memory().numTensors;
    const ctx = await startExperiment('03-high-resolution', { scale: 'quick' });
    const r = JSON.parse(fs.readFileSync(await HIGH_RESOLUTION.run(ctx), 'utf8'));
    for (const k of ['finalClassifierFid', 'oneStepFinalClassifierFid', 'finalClassifierFidFloor', 'interpolationMotion', 'reconstructionMse']) assert.ok(Number.isFinite(r.metrics[k]), `${k} = ${r.metrics[k]}`);
    const stageRows = r.rows.filter((x: { metric: string; setting: string }) => x.metric.startsWith('classifier FID') && x.setting.includes('hires-quick'));
    assert.equal(stageRows.length, 4, 'one FID per stage: 4, 8, 16, 32');
    assert.ok(r.metrics.finalClassifierFidFloor < r.metrics.finalClassifierFid);
    const figures = fs.readdirSync(ctx.figuresDir!);
    for (const f of ['coarse-to-fine.png', 'coarse-to-fine-1step.png', 'interpolation.png', 'reconstructions.png']) assert.ok(figures.includes(f), `${f}: ${figures.join(', ')}`);
    const left = tf.memory().numTensors - before;
    assert.ok(left <= 8, `${left} tensors left (the feature classifier stays cached: 8 weights)`);
  });
});
