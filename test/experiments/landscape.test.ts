/**
 * Experiment 07 at the quick scale, headless: three runs trained, each mapped (attraction–diffusion with
 * the straight line beside it on MNIST), graphs and explorer figures written, the results file holds
 * basins, purity against chance and the converged share; runs the landscape cannot map are refused
 * before any computation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { withExperimentDirs } from './helpers';
import { startExperiment } from '../../lib/experiments/context';
import { checkLandscapeRun, ENERGY_LANDSCAPE, mapImageLandscape, offSupportBrightness, summarize, summaryLine } from '../../lib/experiments/landscape';
import { loadDataset } from '../../lib/data/datasets';
import { initBackend } from '../../lib/backend';
import { dataSupportMask } from '../../lib/landscape/score';
import { buildEbm } from '../../lib/models/triangle';
import { isUserError } from '../../lib/errors';
import { PRESETS } from '../../lib/train/presets';
import type { Ebm } from '../../lib/models/types';

test('checkLandscapeRun refuses a run without an image EBM, and 2-D / texture runs, in one line', () => {
  const fake = {} as Ebm;
  for (const [name, ebm] of [['mnist-vae-quick', undefined], ['toy2d-quick', fake], ['texture-quick', fake]] as const) {
    const p = PRESETS[name];
    assert.ok(p, name);
    assert.throws(() => checkLandscapeRun(p, ebm, `run ${p.name}`), (e: unknown) => isUserError(e) && !(e as Error).message.includes('\n'));
  }
  assert.equal(checkLandscapeRun(PRESETS['mnist-landscape-quick'], fake, 'run'), fake);
});

test('experiment 07 runs headless at quick: graphs, explorer, results with purity, chance and converged share; no leak', { timeout: 900_000 }, async () => {
  await withExperimentDirs(async (dirs) => {
    const before = tf.memory().numTensors;
    const ctx = await startExperiment('07-energy-landscape', { scale: 'quick' });
    const r = JSON.parse(fs.readFileSync(await ENERGY_LANDSCAPE.run(ctx), 'utf8'));
    for (const tag of ['mnist_ad', 'mnist_linear', 'fashion_mnist_linear', 'mnist_1step_linear']) {
      const share = r.metrics[`${tag}_converged_share`];
      assert.ok(share >= 0 && share <= 1, `${tag} converged share ${share}`);
      assert.ok(Number.isInteger(r.metrics[`${tag}_minima`]) && r.metrics[`${tag}_minima`] >= 1, `${tag} minima`);
      const purity = r.metrics[`${tag}_purity`];
      const chance = r.metrics[`${tag}_chance_purity`];
      if (purity !== null) assert.ok(purity > 0 && purity <= 1 && chance > 0 && chance <= 1, `${tag} purity ${purity} chance ${chance}`);
    }
    const figures = fs.readdirSync(ctx.figuresDir!);
    for (const f of ['dg-mnist-ad.svg', 'dg-mnist-linear.svg', 'dg-fashion-mnist-linear.png', 'dg-mnist-1step.svg']) assert.ok(figures.includes(f), `${f} in ${figures.join(', ')}`);
    assert.ok(figures.some((f) => f.startsWith('basin-') && f.endsWith('-minima.png')), figures.join(', '));
    assert.equal(tf.memory().numTensors - before, 0);
  });
});

test("mapImageLandscape with the data's support: starts and minima hold every pixel no training image lights at black", { timeout: 300_000 }, async () => {
  await initBackend(); // the native engine where it is built (the cpu backend takes minutes for these descents)
  const train = await loadDataset('mnist', { split: 'train', limit: 500, seed: 1 });
  const test = await loadDataset('mnist', { split: 'test', limit: 8, seed: 1 });
  const ebm = buildEbm('mnist', { width: 0.125, seed: 3 });
  const mask = dataSupportMask(train.images);
  const before = tf.memory().numTensors;
  const m = await mapImageLandscape(ebm, test, { method: 'linear', starts: 8, minima: 8, seed: 1, supportMask: mask });
  const off = Array.from(mask.dataSync()).map((v, i) => (v === 0 ? i : -1)).filter((i) => i >= 0);
  assert.ok(off.length > 20, `MNIST's corners are never lit: ${off.length} pixels off the support`);
  for (const [what, t] of [['start', m.images], ['minimum', m.result.minima.minima]] as const) {
    const flat = t.reshape([t.shape[0], -1]);
    const rows = (await flat.array()) as number[][];
    flat.dispose();
    for (const r of rows) assert.ok(off.every((i) => r[i] === -1), `a ${what} lights a pixel off the support`);
  }
  const s = summarize(m);
  assert.equal(s.starts, 8);
  assert.equal(s.offSupport, 0, 'confined minima are black off the support');
  assert.match(summaryLine(s), /off the data's support the minima are 0% bright$/);
  assert.ok(s.minima >= 1 && s.convergedShare >= 0 && s.convergedShare <= 1);
  m.dispose();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([mask]);
  ebm.dispose();
  train.dispose();
  test.dispose();
});

test('offSupportBrightness: the mean of (x + 1)/2 over the pixels off the support, over every image', () => {
  const mask = tf.tensor4d([1, 0, 0, 1], [1, 2, 2, 1]);
  const x = tf.tensor4d([0.3, 1, -1, 0.9, -0.2, 0, 0.6, -1], [2, 2, 2, 1]);
  // off-support pixels 1 and 2: (1, 0) in the first image, (0.5, 0.8) in the second
  assert.ok(Math.abs(offSupportBrightness(x, mask) - (1 + 0 + 0.5 + 0.8) / 4) < 1e-6);
  const all = tf.ones([1, 2, 2, 1]);
  assert.equal(offSupportBrightness(x, all), 0, 'no pixel off the support');
  tf.dispose([mask, x, all]);
});
