import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend/index';
import { datasetNames } from '../../lib/data/datasets';
import { buildGenerator, buildInference } from '../../lib/models/triangle';
import { parseOverrides, PRESET_FIELDS, PRESETS, resolvePreset, type TrainPreset } from '../../lib/train/presets';
import { ANOMALY_DEFAULT_HOLDOUT, classesWithout, LATENT_VARIANTS } from '../../lib/train/presets-latent-notebooks';
import { modelOptionsFor, presetScaling, runTraining } from '../../lib/train/runner';

// Conv training on the pure-JS cpu backend takes minutes; the fastest backend takes seconds.
before(async () => {
  await initBackend();
});

const SCALES = ['quick', 'cpu', 'paper'] as const;
/** What is trained on what, and how long: "trained the same way" shares all of these. */
const SAME_WAY: (keyof TrainPreset)[] = [
  'dataset', 'dataLimit', 'imageSize', 'classes', 'arch', 'width', 'latentDim', 'batchSize', 'epochs', 'iterations',
  'lrGen', 'lrInf', 'beta1', 'beta2', 'lrDecay', 'weightDecayGen', 'weightDecayInf', 'clipNorm', 'seed',
];

function expectValid(p: TrainPreset): void {
  for (const key of Object.keys(p)) assert.ok(key in PRESET_FIELDS, `${p.name}.${key} has no field spec`);
  assert.ok(datasetNames().includes(p.dataset), `${p.name}: loadDataset knows ${p.dataset}`);
  assert.ok(p.iterations > 0 || p.epochs > 0, `${p.name} has something to run`);
}

test('Ours, Ours(+) and the VAE are trained the same way; only the method, the inference rule and the scaling differ', () => {
  for (const dataset of ['mnist', 'fashion-mnist', 'cifar10', 'celeba', 'lsun-bedroom']) {
    for (const s of SCALES) {
      const [ours, plus, vae] = LATENT_VARIANTS.map((v) => PRESETS[`${dataset}-latent-${v}-${s}`]);
      for (const p of [ours, plus, vae]) {
        assert.ok(p, `${dataset}-latent-*-${s} exist`);
        assert.equal(p.scale, s);
        expectValid(p);
      }
      for (const k of SAME_WAY) {
        assert.deepEqual(plus[k], ours[k], `${plus.name}.${k}`);
        assert.deepEqual(vae[k], ours[k], `${vae.name}.${k}`);
      }
      assert.equal(ours.method, 'latent-ebm');
      assert.equal(ours.inferenceRule, 'eq15');
      assert.equal(plus.method, 'latent-ebm');
      assert.equal(plus.inferenceRule, 'eq17');
      // The authors' latent-EBM code: Adam β = (0, 0.9), weight decay 1e-4 on θ and φ, softplus SN EBM.
      assert.deepEqual([ours.beta1, ours.beta2, ours.weightDecayGen, ours.weightDecayInf, ours.energyForm, ours.spectralNorm], [0, 0.9, 1e-4, 1e-4, 'softplus', true]);
      assert.equal(vae.method, 'vae');
      assert.equal((vae as unknown as Record<string, unknown>).inferenceRule, undefined, 'a VAE preset has no latent-EBM inference rule');
      // A true ELBO (KL summed over latent dims), so its value is a bound usable as the OOD baseline.
      assert.equal(presetScaling(vae).klReduction, 'sum');
      assert.equal(presetScaling(vae).sigma, presetScaling(ours).sigma);
      // The authors' latent-EBM code sums KL, prior NLL and entropy over the latent dims (issue #17) and
      // clips no gradient: the latent EBM and the VAE share the KL weight, so they differ by the EBM only.
      for (const p of [ours, plus]) {
        assert.equal(presetScaling(p).klReduction, 'sum', `${p.name}: KL summed over latent dims`);
        assert.equal(p.clipNorm, 0, `${p.name}: no gradient clipping`);
      }
    }
    assert.equal(PRESETS[`${dataset}-latent-ours-paper`].width, 1);
    assert.equal(PRESETS[`${dataset}-latent-ours-paper`].batchSize, 100);
  }
  // the paper's datasets at their sizes and networks (§5.1: CelebA 9,000 training faces at 64×64)
  assert.deepEqual([PRESETS['cifar10-latent-ours-paper'].arch, PRESETS['cifar10-latent-ours-paper'].imageSize], ['cifar', 32]);
  assert.deepEqual([PRESETS['celeba-latent-ours-paper'].arch, PRESETS['celeba-latent-ours-paper'].imageSize, PRESETS['celeba-latent-ours-paper'].dataLimit], ['celeba', 64, 9000]);
  assert.deepEqual([PRESETS['lsun-bedroom-latent-vae-paper'].arch, PRESETS['lsun-bedroom-latent-vae-paper'].imageSize], ['celeba', 64]);
});

test('the VAE and the latent EBM start from identical generator and inference weights', () => {
  const p = PRESETS['mnist-latent-ours-quick'];
  const q = PRESETS['mnist-latent-vae-quick'];
  const a = modelOptionsFor(p, p.seed, [28, 28, 1]);
  const b = modelOptionsFor(q, q.seed, [28, 28, 1]);
  const nets = [buildGenerator('mnist', a), buildInference('mnist', a), buildGenerator('mnist', b), buildInference('mnist', b)];
  try {
    for (const [x, y] of [[nets[0], nets[2]], [nets[1], nets[3]]]) {
      const vx = x.trainable();
      const vy = y.trainable();
      assert.equal(vx.length, vy.length);
      vx.forEach((v, i) => assert.deepEqual(Array.from(v.variable.dataSync()), Array.from(vy[i].variable.dataSync()), v.name));
    }
  } finally {
    for (const n of nets) n.dispose();
  }
});

test('anomaly presets hold out one digit by default, and classes overrides hold out another', () => {
  for (const s of SCALES) {
    const ours = PRESETS[`mnist-anomaly-ours-${s}`];
    const vae = PRESETS[`mnist-anomaly-vae-${s}`];
    expectValid(ours);
    expectValid(vae);
    for (const k of SAME_WAY) assert.deepEqual(vae[k], ours[k], `${vae.name}.${k}`);
    assert.deepEqual(ours.classes, [0, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(ANOMALY_DEFAULT_HOLDOUT, 1);
    // several epochs, so the AUPRC can be averaged over the last ones (Table 4)
    assert.equal(ours.iterations, 0);
    assert.ok(ours.epochs >= 3, `${ours.name}: ${ours.epochs} epochs`);
  }
  assert.deepEqual(classesWithout(7), [0, 1, 2, 3, 4, 5, 6, 8, 9]);
  assert.notEqual(classesWithout(7), classesWithout(7), 'a new list each call');
  // on the CLI the same list is --set classes=0,1,…
  assert.deepEqual(parseOverrides([`classes=${classesWithout(7).join(',')}`]), { classes: classesWithout(7) });
  assert.deepEqual(resolvePreset('mnist-anomaly-ours-quick', { classes: classesWithout(7) }).classes, [0, 1, 2, 3, 4, 5, 6, 8, 9]);
});

test('the quick presets train: the latent EBM (Eq. 15 and 17) and the VAE on MNIST without digit 4', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-latent-nb-'));
  try {
    for (const preset of ['mnist-latent-ours-quick', 'mnist-latent-ours-plus-quick', 'mnist-anomaly-vae-quick']) {
      const before = tf.memory().numTensors;
      const run = await runTraining({ preset, overrides: { iterations: 3, classes: classesWithout(4) }, outDir: path.join(dir, preset) });
      try {
        assert.equal(run.summary.status, 'completed');
        assert.equal(run.summary.iterations, 3);
        assert.ok(run.dataset.labels && !run.dataset.labels.includes(4), `${preset}: digit 4 held out`);
        assert.ok(Number.isFinite(run.summary.finalMetrics.mse ?? run.summary.finalMetrics.loss), `${preset}: finite metrics`);
      } finally {
        run.dispose();
      }
      assert.equal(tf.memory().numTensors, before, `${preset}: no tensors left after dispose`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
