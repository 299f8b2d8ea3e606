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
import { checkLandscapeRun, drawMapping, ENERGY_LANDSCAPE, inkShift, LATENT_ENERGY_LABEL, mapImageLandscape, mapLatentLandscape, mapTrainedRun, offSupportBrightness, summarize, summaryLine } from '../../lib/experiments/landscape';
import { loadDataset } from '../../lib/data/datasets';
import { initBackend } from '../../lib/backend';
import { dataSupportMask } from '../../lib/landscape/score';
import { buildEbm, buildTriangleModels } from '../../lib/models/triangle';
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
    for (const tag of ['mnist_ad', 'mnist_linear', 'mnist_latent_linear', 'fashion_mnist_linear', 'mnist_1step_linear']) {
      const share = r.metrics[`${tag}_converged_share`];
      assert.ok(share >= 0 && share <= 1, `${tag} converged share ${share}`);
      assert.ok(Number.isInteger(r.metrics[`${tag}_minima`]) && r.metrics[`${tag}_minima`] >= 1, `${tag} minima`);
      const purity = r.metrics[`${tag}_purity`];
      const chance = r.metrics[`${tag}_chance_purity`];
      if (purity !== null) assert.ok(purity > 0 && purity <= 1 && chance > 0 && chance <= 1, `${tag} purity ${purity} chance ${chance}`);
    }
    const figures = fs.readdirSync(ctx.figuresDir!);
    for (const f of ['dg-mnist-ad.svg', 'dg-mnist-linear.svg', 'dg-mnist-latent.svg', 'dg-fashion-mnist-linear.png', 'dg-mnist-1step.svg']) assert.ok(figures.includes(f), `${f} in ${figures.join(', ')}`);
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
  assert.match(summaryLine(s), /off the data's support the minima are 0% bright; ink \d+\.\d% in the starts, \d+\.\d% in their minima$/);
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

test("mapLatentLandscape: descents over the generator's codes from μ(x); minima pictured as g(z*), energies E(z*) = ½‖z*‖² − f(g(z*)); no leak", { timeout: 300_000 }, async () => {
  await initBackend();
  const test = await loadDataset('mnist', { split: 'test', limit: 8, seed: 1 });
  const nets = buildTriangleModels('mnist', { width: 0.125, seed: 3 });
  const before = tf.memory().numTensors;
  for (const method of ['linear', 'ad'] as const) {
    const m = await mapLatentLandscape(nets, test, { method, starts: 8, minima: 8, seed: 1 });
    assert.equal(m.space, 'latent');
    const x = m.result.minima.minima;
    assert.deepEqual(x.shape.slice(1), [28, 28, 1], 'the minima are images');
    const [lo, hi] = tf.tidy(() => [x.min().dataSync()[0], x.max().dataSync()[0]]);
    assert.ok(lo >= -1 && hi <= 1, `g(z*) in [-1, 1]: ${lo}..${hi}`);
    const z = m.latentMinima!;
    assert.deepEqual(z.shape, [x.shape[0], 100], 'the codes of the minima');
    const [maxDiff, expected] = tf.tidy(() => {
      const g = nets.generator.generate(z, false);
      const e = z.square().sum(1).mul(0.5).sub(nets.ebm.score(g, false));
      return [g.sub(x).abs().max().dataSync()[0], e.dataSync()];
    });
    assert.ok(maxDiff < 1e-5, `minima images are g(z*) (max diff ${maxDiff})`);
    m.result.minima.energies.forEach((ek, k) => assert.ok(Math.abs(ek - expected[k]) < 1e-3 * Math.max(1, Math.abs(ek)), `E(z*${k}) ${ek} vs ½‖z‖² − f(g(z)) ${expected[k]}`));
    assert.equal(m.result.minima.assignment.length, 8);
    if (method === 'ad') assert.ok(m.result.linear, 'attraction–diffusion keeps the straight lines beside it');
    const s = summarize(m);
    assert.equal(s.space, 'latent');
    assert.match(summaryLine(s), /^(linear|ad) in latent space: \d+ minima from 8 starts.*; ink \d+\.\d% in the starts/);
    assert.ok(s.inkStarts > 0 && s.inkStarts < 1 && s.inkMinima >= 0 && s.inkMinima <= 1, `ink ${s.inkStarts} → ${s.inkMinima}`);
    const drawing = await drawMapping(m, 'latent');
    assert.ok(drawing.svg.includes(LATENT_ENERGY_LABEL), 'the energy axis names E(z)');
    m.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
  for (const n of Object.values(nets)) n.dispose();
  test.dispose();
});

test('mapTrainedRun in latent space refuses, in one line and before any computation, a run without generator or inference, and the data support', async () => {
  const fake = {} as Ebm;
  const p = PRESETS['mnist-landscape-quick'];
  const opts = { method: 'linear' as const, starts: 4, minima: 4, seed: 1, space: 'latent' as const };
  const oneLine = (re: RegExp) => (e: unknown) => isUserError(e) && re.test((e as Error).message) && !(e as Error).message.includes('\n');
  await assert.rejects(mapTrainedRun({ preset: p, models: { ebm: fake } }, opts), oneLine(/no generator and inference model .* map it in image space$/));
  const nets = { ebm: fake, generator: {} as never, inference: {} as never };
  await assert.rejects(mapTrainedRun({ preset: p, models: nets }, { ...opts, support: 'data' }), oneLine(/image-space descents only/));
});

test('inkShift: mean brightness of the starts that reached a kept minimum, and of the minimum each reached', () => {
  // three 1×2 starts, brightness (x + 1)/2: 0.5, 1, 0; two minima: 0.25, 0.75
  const starts = tf.tensor4d([0, 0, 1, 1, -1, -1], [3, 1, 2, 1]);
  const minima = tf.tensor4d([-0.5, -0.5, 0.5, 0.5], [2, 1, 2, 1]);
  const r = inkShift(starts, minima, Int32Array.from([1, 0, -1]));
  assert.ok(Math.abs(r.inkStarts - 0.75) < 1e-6, `starts ${r.inkStarts}`); // (0.5 + 1) / 2, the third start has no minimum
  assert.ok(Math.abs(r.inkMinima - 0.5) < 1e-6, `minima ${r.inkMinima}`); // (0.75 + 0.25) / 2
  assert.ok(Number.isNaN(inkShift(starts, minima, Int32Array.from([-1, -1, -1])).inkStarts), 'no start reached a minimum');
  tf.dispose([starts, minima]);
});
