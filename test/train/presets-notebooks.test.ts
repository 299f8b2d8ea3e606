import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { datasetNames, resolveDataDir } from '../../lib/data/datasets';
import { buildTriangleModels } from '../../lib/models/triangle';
import type { Module } from '../../lib/models/types';
import { PRESET_FIELDS, PRESETS, resolvePreset, type TrainPreset } from '../../lib/train/presets';
import { modelOptionsFor, runTraining } from '../../lib/train/runner';

const SCALES = ['quick', 'cpu', 'paper'] as const;
/** Fields that say what is trained on what, and how long: a baseline "trained the same way" shares all of them. */
const SAME_WAY: (keyof TrainPreset)[] = [
  'dataset', 'dataLimit', 'imageSize', 'classes', 'arch', 'width', 'latentDim', 'batchSize', 'epochs', 'iterations',
  'lrGen', 'lrInf', 'beta1', 'beta2', 'lrDecay', 'weightDecayGen', 'clipNorm', 'seed',
];

const shapes = (m: Module) => m.trainable().map((v) => `${v.name}:${v.variable.shape.join('x')}`);
const bnCount = (m: Module) => m.buffers().filter((v) => /moving|running|mean|var/i.test(v.name)).length;

test('the Fashion-MNIST VAE and wake-sleep baselines match the triangle preset in data, networks and schedule', () => {
  for (const s of SCALES) {
    const triangle = PRESETS[`fashion-mnist-${s}`];
    for (const [prefix, method] of [['fashion-mnist-vae', 'vae'], ['fashion-mnist-wake-sleep', 'wake-sleep']] as const) {
      const p = PRESETS[`${prefix}-${s}`];
      assert.ok(p, `${prefix}-${s} exists`);
      assert.equal(p.method, method);
      assert.equal(p.scale, s);
      for (const k of SAME_WAY) assert.deepEqual(p[k], triangle[k], `${p.name}.${k}`);
      // and they are the MNIST baselines with only the dataset changed
      const mnist = PRESETS[`${prefix.slice('fashion-'.length)}-${s}`];
      const strip = (x: TrainPreset) => ({ ...x, name: '', description: '', dataset: '' });
      assert.deepEqual(strip(p), strip(mnist));
      assert.match(p.description, /fashion-mnist/);
    }
  }
});

test('the large-scale presets are §4.1.2\'s networks: twice the channels of Tables 4–5 and BN in all three nets', () => {
  const sizes: Record<string, number> = { 'fashion-mnist': 32, imagenet32: 32, 'lsun-bedroom': 64 };
  for (const [prefix, size] of Object.entries(sizes)) {
    for (const s of SCALES) {
      const p = PRESETS[`${prefix}-large-${s}`];
      assert.ok(p, `${prefix}-large-${s} exists`);
      assert.equal(p.method, 'triangle');
      assert.equal(p.arch, 'large');
      assert.equal(p.imageSize, size);
      assert.equal(p.batchNorm, true);
      assert.ok(datasetNames().includes(p.dataset), `${p.name}: loadDataset knows ${p.dataset}`);
      for (const key of Object.keys(p)) assert.ok(key in PRESET_FIELDS, `${p.name}.${key} has no field spec`);
    }
    assert.equal(PRESETS[`${prefix}-large-paper`].width, 1);
  }
  // Built at the quick width, each net has the object-generation net's layers with doubled channels and BN
  // after every hidden layer: compare with Table 5 / Table 4 built at twice the width with BN forced on.
  for (const [prefix, objectArch] of [['fashion-mnist', 'cifar'], ['lsun-bedroom', 'celeba']] as const) {
    const p = PRESETS[`${prefix}-large-quick`];
    const opts = modelOptionsFor(p, 3, [p.imageSize, p.imageSize, 1]);
    const large = buildTriangleModels('large', opts);
    const object = buildTriangleModels(objectArch, { ...opts, imageSize: p.imageSize, width: 2 * p.width, batchNorm: true });
    const plain = buildTriangleModels(objectArch, { ...opts, imageSize: p.imageSize, width: p.width, batchNorm: 'table' });
    try {
      for (const net of ['generator', 'inference', 'ebm'] as const) {
        assert.deepEqual(shapes(large[net]), shapes(object[net]), `${prefix} ${net}`);
        assert.ok(bnCount(large[net]) > 0, `${prefix} ${net} has BN`);
      }
      // Table 5 (no BN in I and E) at the preset's own width has half the channels of 'large'
      const firstConv = (m: Module) => m.trainable()[0].variable.shape as number[];
      assert.equal(firstConv(large.ebm)[3], 2 * firstConv(plain.ebm)[3]!);
      if (objectArch === 'cifar') assert.ok(bnCount(large.ebm) > bnCount(plain.ebm));
    } finally {
      for (const m of [...Object.values(large), ...Object.values(object), ...Object.values(plain)]) m.dispose();
    }
  }
  // the other LSUN categories by override
  assert.equal(resolvePreset('lsun-bedroom-large-cpu', { dataset: 'lsun-tower' }).dataset, 'lsun-tower');
});

test('fashion-mnist-large-quick trains on Fashion-MNIST upsampled to 32×32 with finite losses and no leaked tensors', { skip: resolveDataDir('fashion-mnist').dir ? false : 'Fashion-MNIST not installed (Debian package dataset-fashion-mnist)' }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-large-'));
  const before = tf.memory().numTensors;
  const run = await runTraining({ preset: 'fashion-mnist-large-quick', overrides: { iterations: 1, batchSize: 2, dataLimit: 4, logEvery: 1 }, outDir: dir });
  try {
    assert.deepEqual(run.dataset.images.shape, [4, 32, 32, 1]);
    assert.equal(run.summary.status, 'completed');
    for (const k of ['D', 'recon', 'energyData', 'energyGen']) assert.ok(Number.isFinite(run.summary.finalMetrics[k]), k);
    const x = run.trainer.sample(3, 5);
    assert.deepEqual(x.shape, [3, 32, 32, 1]);
    x.dispose();
  } finally {
    run.dispose();
    fs.rmSync(dir, { recursive: true });
  }
  assert.equal(tf.memory().numTensors, before);
});
