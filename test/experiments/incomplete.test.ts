/**
 * Experiment 08 at the quick scale, headless, as `dtri experiment` runs it: every method × mask trains,
 * recovery runs the preset's K refills for all three, the results file holds every row with a finite
 * error, the figures are written, and no tensor is left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { OCCLUSION_KINDS } from '../../lib/data/masks';
import { withExperimentDirs } from './helpers';
import { startExperiment } from '../../lib/experiments/context';
import { INCOMPLETE_DATA, incompleteSettings, recoveryMetricKey, refillCurvesFigure, type Recovery } from '../../lib/experiments/incomplete';
import { INCOMPLETE_METHODS, incompletePresetName } from '../../lib/train/presets-incomplete';
import { PRESETS } from '../../lib/train/presets';

test('settings: the main plan is every method on every mask; the control retrains the KL-weighted methods under the other scaling', () => {
  for (const scale of ['quick', 'cpu', 'paper'] as const) {
    const s = incompleteSettings(scale);
    assert.deepEqual(s.main.masks, OCCLUSION_KINDS);
    assert.deepEqual(s.main.methods, INCOMPLETE_METHODS);
    assert.notEqual(s.control.scaling, s.main.scaling);
    assert.deepEqual([...s.control.methods].sort(), ['triangle', 'vae']);
    assert.deepEqual(s.steps.methods, ['triangle-1step']);
    assert.equal(s.steps.scaling, s.main.scaling);
    for (const plan of [s.main, s.control, s.steps]) for (const m of plan.methods) for (const k of plan.masks) assert.ok(PRESETS[incompletePresetName(m, k, plan.scaling, scale)]);
  }
  assert.deepEqual(incompleteSettings('cpu').control.masks, ['P.5', 'B30']);
});

test('refill curves: one panel per mask, one line per method and scaling, legend entries once', () => {
  const rec = (mask: 'P.5' | 'B30', method: 'triangle' | 'vae', scaling: 'paper' | 'authors'): Recovery =>
    ({ mask, method, scaling, byRefill: [0.5, 0.3, 0.2] }) as unknown as Recovery;
  const fig = refillCurvesFigure([rec('P.5', 'triangle', 'paper'), rec('B30', 'triangle', 'paper'), rec('B30', 'vae', 'authors')]);
  assert.equal(fig.data.length, 3);
  assert.deepEqual(fig.data.map((d) => d.xaxis), ['x', 'x2', 'x2']);
  assert.deepEqual(fig.data.map((d) => d.showlegend), [true, false, true]);
  assert.deepEqual(fig.data[0].x, [0, 1, 2]);
  assert.ok(fig.layout.xaxis2, 'second panel');
});

test('experiment 08 runs headless at quick: every method × mask row, finite errors, K refills, figures, no tensor leak', { timeout: 600_000 }, async () => {
  await withExperimentDirs(async (dirs) => {
    const before = tf.memory().numTensors;
    const ctx = await startExperiment('08-incomplete-data', { scale: 'quick' });
    const file = await INCOMPLETE_DATA.run(ctx);
    assert.equal(path.basename(file), '08-incomplete-data.json');
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    const s = incompleteSettings('quick');
    const expected = [s.main, s.control, s.steps].flatMap((plan) => plan.masks.flatMap((mask) => plan.methods.map((m) => ({ mask, m, scaling: plan.scaling }))));
    assert.equal(expected.length, 5 * 3 + 2 + 1);
    for (const { mask, m, scaling } of expected) {
      const key = recoveryMetricKey(mask, m, scaling);
      const v = r.metrics[key];
      assert.ok(Number.isFinite(v) && v >= 0 && v <= 1, `${key} = ${v}`);
      assert.ok(Number.isFinite(r.metrics[`${key}_from_zero_fill`]), `${key}_from_zero_fill`);
      const label = { vae: 'VAE', abp: 'ABP', triangle: 'Ours (triangle)', 'triangle-1step': 'Ours, 1 θ-step' }[m];
      const row = r.rows.find((x: { setting: string }) => x.setting.startsWith(`${label}, ${mask}, ${scaling} scaling`));
      assert.ok(row, `row ${m} ${mask} ${scaling}`);
      assert.equal(row.paper === null, scaling !== 'paper' || m === 'triangle-1step');
      assert.match(row.note, new RegExp(`${PRESETS[incompletePresetName(m, mask, scaling, 'quick')].occlusionRefills} refills`));
    }
    for (const mask of OCCLUSION_KINDS) assert.ok(r.metrics[`${mask}_zero_fill_recovery`] > 0.2, `${mask} zero fill`);
    // the claims table reads these keys (lib/metrics/claims.ts)
    assert.ok(Number.isFinite(r.metrics['B30_triangle_recovery']) && Number.isFinite(r.metrics['P.5_abp_recovery']));
    assert.ok(Number.isFinite(r.metrics['B30_triangle_1step_recovery']) && Number.isFinite(r.metrics['B30_vae_authors_scaling_recovery']));
    const figures = fs.readdirSync(ctx.figuresDir!);
    for (const f of ['occlusions.png', 'recovery-P.5-paper.png', 'recovery-B30-paper.png', 'samples-B30-paper.png']) assert.ok(figures.includes(f), `${f} in ${figures.join(', ')}`);
    assert.ok(figures.some((f) => f.startsWith('recovery-by-refill.')), figures.join(', '));
    const trained = fs.readdirSync(dirs.runs).filter((f) => f !== 'figures');
    assert.equal(trained.length, expected.length, trained.join(', '));
    assert.equal(tf.memory().numTensors, before, 'tensors after dispose');
  });
});
