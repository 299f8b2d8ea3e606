/**
 * Experiment 11 at the quick scale, headless, as `dtri experiment` runs it: both models train once per
 * held-out digit of the quick plan (and the latent EBM once more at twice the epochs), the results file
 * holds every row and the metric keys README's claims table reads, with AUPRCs in [0, 1], the figures
 * are written, and no tensor is left behind. The rows, metrics and verdict are also checked on hand-made
 * numbers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { withExperimentDirs } from './helpers';
import { startExperiment, type ExperimentContext } from '../../lib/experiments/context';
import { ANOMALY_DETECTION, ANOMALY_MODELS, ANOMALY_SETTINGS, anomalyPresetName, anomalyResults, focusDigit, TABLE4, verdict, type DigitResult, type LongerTraining } from '../../lib/experiments/anomaly';
import { EXPERIMENTS } from '../../lib/experiments/registry';
import { PRESETS } from '../../lib/train/presets';

const digitResult = (digit: number, ours: number[], vae: number[], baseRate: number): DigitResult => ({ digit, baseRate, trainImages: 100, auprc: { ours, vae }, last: { ours: new Float32Array(0), vae: new Float32Array(0) } });
const diag = (mu: number, zero: number, prior: number) => ({ muNorm: 1, posteriorStd: 1, scoreAtMu: mu, scoreAtZero: zero, scoreAtPrior: prior });

test('settings: every scale holds out digit 4, both presets exist and train the same way', () => {
  for (const scale of ['quick', 'cpu', 'paper'] as const) {
    const s = ANOMALY_SETTINGS[scale];
    assert.equal(focusDigit(s), 4);
    const [ours, vae] = ANOMALY_MODELS.map((m) => PRESETS[anomalyPresetName(m.key, scale)]);
    assert.equal(ours.method, 'latent-ebm');
    assert.equal(vae.method, 'vae');
    for (const k of ['epochs', 'batchSize', 'dataLimit', 'width', 'seed'] as const) assert.equal(vae[k], ours[k], `${scale} ${k}`);
    assert.ok(s.lastEpochs <= ours.epochs, `${scale}: averaged over at most the epochs trained`);
  }
  assert.deepEqual(ANOMALY_SETTINGS.quick.digits, [1, 4]);
});

test('rows, metrics and verdict from hand-made AUPRCs', () => {
  const ctx = { scale: 'quick', session: { backend: { name: 'cpu' } } } as unknown as ExperimentContext;
  // digit 1: Ours mean 0.4 (std 0.1) > VAE 0.1 > base 0.1; digit 2 (not in Table 4): Ours 0.05 < VAE 0.2, below base 0.1
  const results = [digitResult(1, [0.3, 0.5], [0.1, 0.1], 0.1), digitResult(2, [0.05, 0.05], [0.2, 0.2], 0.1)];
  const long: LongerTraining = { digit: 1, baseEpochs: 3, epochs: 6, auprc: [0.6, 0.4], diagnostics: { 'normal test digits': diag(1, 0.5, 0.25), 'digit 1 (held out)': diag(2, 2, 2) } };
  const { rows, metrics } = anomalyResults(ctx, results, long);
  assert.ok(Math.abs(metrics.ours_auprc_digit_1! - 0.4) < 1e-12);
  assert.equal(metrics.vae_auprc_digit_2, 0.2);
  assert.equal(metrics.base_rate_digit_2, 0.1);
  // only digit 1 is in Table 4
  assert.ok(Math.abs(metrics.ours_auprc_table4_mean! - 0.4) < 1e-12);
  assert.ok(Math.abs(metrics.ours_auprc_all_digits_mean! - 0.225) < 1e-12);
  assert.ok(Math.abs(metrics.vae_auprc_all_digits_mean! - 0.15) < 1e-12);
  assert.ok(Math.abs(metrics.ours_auprc_digit_1_2x_epochs! - 0.5) < 1e-12);
  assert.equal(metrics.ours_score_code_swap_spread_normal_test_digits, 0.75);
  assert.equal(metrics.ours_score_code_swap_spread_digit_1_held_out, 0);
  assert.equal(rows.length, 2 * 2 + 2 + 1);
  assert.equal(rows[0].paper, TABLE4[1].ours[0]);
  assert.match(rows[0].note!, /^ours ± 0\.100, paper ± 0\.033; base rate 0\.100; quick scale/);
  assert.equal(rows[2].paper, null);
  assert.match(rows[2].note!, /not in Table 4/);
  assert.deepEqual(rows.slice(4, 6).map((r) => r.setting), ['Ours, digits 1', 'VAE, digits 1']);
  assert.match(rows[6].note!, /^6 epochs against 3 in the row above/);
  assert.equal(verdict(results), "The latent EBM's AUPRC beats the VAE's on 1 of 2 held-out digits (1) and is above the base rate on 1 (1); mean over all digits: Ours 0.225, VAE 0.150.");
});

test('experiment 11 runs headless at quick: one row pair per held-out digit, AUPRCs in [0, 1], claim keys, figures, no tensor leak', { timeout: 900_000 }, async () => {
  await withExperimentDirs(async (dirs) => {
    assert.ok(EXPERIMENTS.some((e) => e.name === '11-anomaly-detection'));
    const before = tf.memory().numTensors;
    const ctx = await startExperiment('11-anomaly-detection', { scale: 'quick' });
    const file = await ANOMALY_DETECTION.run(ctx);
    assert.equal(path.basename(file), '11-anomaly-detection.json');
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    const s = ANOMALY_SETTINGS.quick;
    for (const d of s.digits) {
      for (const k of [`ours_auprc_digit_${d}`, `vae_auprc_digit_${d}`, `base_rate_digit_${d}`]) assert.ok(Number.isFinite(r.metrics[k]) && r.metrics[k] > 0 && r.metrics[k] <= 1, `${k} = ${r.metrics[k]}`);
      for (const m of ['Ours', 'VAE']) {
        const row = r.rows.find((x: { metric: string; setting: string }) => x.setting === `${m}, digit ${d} held out` && x.metric === 'AUPRC (Table 4)');
        assert.ok(row && Number.isFinite(row.ours), `row ${m} ${d}`);
        assert.equal(row.paper, m === 'Ours' ? TABLE4[d].ours[0] : TABLE4[d].vae);
      }
      // about a tenth of the test digits are each digit
      assert.ok(r.metrics[`base_rate_digit_${d}`] > 0.03 && r.metrics[`base_rate_digit_${d}`] < 0.25);
    }
    // the claims table reads these (lib/metrics/claims.ts)
    for (const k of ['ours_auprc_table4_mean', 'vae_auprc_table4_mean', 'ours_auprc_all_digits_mean', 'vae_auprc_all_digits_mean', 'ours_auprc_digit_4_2x_epochs']) assert.ok(Number.isFinite(r.metrics[k]) && r.metrics[k] >= 0 && r.metrics[k] <= 1, `${k} = ${r.metrics[k]}`);
    for (const set of ['normal_test_digits', 'digit_4_held_out', 'generated_g_z']) assert.ok(Number.isFinite(r.metrics[`ours_score_code_swap_spread_${set}`]) && r.metrics[`ours_score_code_swap_spread_${set}`] >= 0, set);
    assert.equal(r.rows.length, 2 * s.digits.length + 2 + 1);
    assert.equal(r.paper, 'vae-latent-ebm');
    const figures = fs.readdirSync(ctx.figuresDir!);
    for (const f of ['pr-digit-4.', 'energies-digit-4.']) assert.ok(figures.some((x) => x.startsWith(f)), `${f} in ${figures.join(', ')}`);
    const trained = fs.readdirSync(dirs.runs).filter((f) => f !== 'figures').sort();
    assert.deepEqual(trained, ['mnist-anomaly-ours-quick-without-1', 'mnist-anomaly-ours-quick-without-4', 'mnist-anomaly-ours-quick-without-4-2x-epochs', 'mnist-anomaly-vae-quick-without-1', 'mnist-anomaly-vae-quick-without-4']);
    const long = JSON.parse(fs.readFileSync(path.join(dirs.runs, 'mnist-anomaly-ours-quick-without-4-2x-epochs', 'summary.json'), 'utf8'));
    assert.equal(long.config.epochs, 2 * PRESETS[anomalyPresetName('ours', 'quick')].epochs);
    assert.deepEqual(long.config.classes, [0, 1, 2, 3, 5, 6, 7, 8, 9]);
    assert.equal(tf.memory().numTensors, before, 'tensors after dispose');
  });
});
