import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { isUserError } from '../../lib/errors';
import { type ArchName, type ModelOptions } from '../../lib/models/architectures';
import { applyEnergyForm, ENERGY_FORMS } from '../../lib/models/energy';
import { countParams, describeLayers } from '../../lib/models/state';
import { buildEbm, buildGenerator, buildInference, buildTriangleModels } from '../../lib/models/triangle';
import type { NetEbm, NetGenerator, NetInference } from '../../lib/models/nets';
import type { Module } from '../../lib/models/types';

tf.setBackend('cpu');

/** Output shapes of the weighted layers (conv/convT/dense, heads included) from shape inference only. */
function weightedShapes(m: Parameters<typeof describeLayers>[0]): number[][] {
  return describeLayers(m).filter((r) => /conv|dense/.test(r.kind)).map((r) => r.outputShape);
}

function disposeAll(...ms: Module[]) {
  for (const m of ms) m.dispose();
}

// Parameter counts by hand from the tables, width 1. Conventions (the authors' code): hidden convs have no
// bias, output layers (generator's last, each inference head, EBM's last) have one; BN adds γ and β (2 per channel).

test('Table 6 (MNIST / Fashion-MNIST): shapes and parameter counts', () => {
  const { generator, inference, ebm } = buildTriangleModels('mnist', { seed: 1 });
  assert.deepEqual(generator.latentShape, [100]);
  assert.deepEqual(generator.outputShape, [28, 28, 1]);
  assert.deepEqual(weightedShapes(generator), [[3, 3, 1024], [7, 7, 512], [14, 14, 256], [28, 28, 1]]);
  assert.deepEqual(weightedShapes(inference), [[14, 14, 128], [7, 7, 256], [3, 3, 512], [1, 1, 100], [1, 1, 100]]);
  assert.deepEqual(weightedShapes(ebm), [[14, 14, 128], [7, 7, 256], [3, 3, 512], [1, 1, 1]]);
  // G: 3x3 convT 100→1024 + BN, 4x4 convT 1024→512 + BN, 4x4 convT 512→256 + BN, 4x4 convT 256→1 (+ bias).
  assert.equal(countParams(generator), 3 * 3 * 100 * 1024 + 2 * 1024 + 4 * 4 * 1024 * 512 + 2 * 512 + 4 * 4 * 512 * 256 + 2 * 256 + (4 * 4 * 256 * 1 + 1)); // 11,415,041
  // I: 4x4 conv 1→128, 128→256, 256→512, then two heads μ, log σ² (3x3 on the 3×3 map, see architectures.ts).
  assert.equal(countParams(inference), 4 * 4 * 1 * 128 + 4 * 4 * 128 * 256 + 4 * 4 * 256 * 512 + 2 * (3 * 3 * 512 * 100 + 100)); // 3,545,288
  // E: the same trunk, then 3x3 conv 512→1 (+ bias).
  assert.equal(countParams(ebm), 4 * 4 * 1 * 128 + 4 * 4 * 128 * 256 + 4 * 4 * 256 * 512 + (3 * 3 * 512 + 1)); // 2,628,097
  disposeAll(generator, inference, ebm);
});

test('Table 5 (CIFAR-10): shapes and parameter counts', () => {
  const { generator, inference, ebm } = buildTriangleModels('cifar', { seed: 1 });
  assert.deepEqual(weightedShapes(generator), [[4, 4, 512], [8, 8, 512], [16, 16, 256], [32, 32, 128], [32, 32, 3]]);
  assert.deepEqual(weightedShapes(inference), [[32, 32, 64], [16, 16, 128], [8, 8, 256], [4, 4, 512], [1, 1, 100], [1, 1, 100]]);
  assert.deepEqual(weightedShapes(ebm), [[32, 32, 64], [16, 16, 128], [8, 8, 256], [4, 4, 256], [1, 1, 1]]);
  assert.equal(countParams(generator), 4 * 4 * 100 * 512 + 2 * 512 + 4 * 4 * 512 * 512 + 2 * 512 + 4 * 4 * 512 * 256 + 2 * 256 + 4 * 4 * 256 * 128 + 2 * 128 + (3 * 3 * 128 * 3 + 3)); // 7,641,219
  assert.equal(countParams(inference), 3 * 3 * 3 * 64 + 4 * 4 * 64 * 128 + 4 * 4 * 128 * 256 + 4 * 4 * 256 * 512 + 2 * (4 * 4 * 512 * 100 + 100)); // 4,392,840
  assert.equal(countParams(ebm), 3 * 3 * 3 * 64 + 4 * 4 * 64 * 128 + 4 * 4 * 128 * 256 + 4 * 4 * 256 * 256 + (4 * 4 * 256 + 1)); // 1,709,761
  disposeAll(generator, inference, ebm);
});

test('Table 4 (CelebA 64×64, BN in all three nets): shapes and parameter counts', () => {
  const { generator, inference, ebm } = buildTriangleModels('celeba', { seed: 1 });
  assert.deepEqual(weightedShapes(generator), [[4, 4, 512], [8, 8, 512], [16, 16, 256], [32, 32, 128], [64, 64, 3]]);
  assert.deepEqual(weightedShapes(inference), [[32, 32, 64], [16, 16, 128], [8, 8, 256], [4, 4, 512], [1, 1, 100], [1, 1, 100]]);
  assert.deepEqual(weightedShapes(ebm), [[32, 32, 64], [16, 16, 128], [8, 8, 256], [4, 4, 256], [1, 1, 1]]);
  assert.equal(countParams(generator), 4 * 4 * 100 * 512 + 2 * 512 + 4 * 4 * 512 * 512 + 2 * 512 + 4 * 4 * 512 * 256 + 2 * 256 + 4 * 4 * 256 * 128 + 2 * 128 + (4 * 4 * 128 * 3 + 3)); // 7,643,907
  assert.equal(countParams(inference), 4 * 4 * 3 * 64 + 2 * 64 + 4 * 4 * 64 * 128 + 2 * 128 + 4 * 4 * 128 * 256 + 2 * 256 + 4 * 4 * 256 * 512 + 2 * 512 + 2 * (4 * 4 * 512 * 100 + 100)); // 4,396,104
  assert.equal(countParams(ebm), 4 * 4 * 3 * 64 + 2 * 64 + 4 * 4 * 64 * 128 + 2 * 128 + 4 * 4 * 128 * 256 + 2 * 256 + 4 * 4 * 256 * 256 + 2 * 256 + (4 * 4 * 256 + 1)); // 1,712,513
  disposeAll(generator, inference, ebm);
});

test("'large' (§4.1.2): twice the channels, BN in all three nets, at 32 (Table 5 layout) or 64 (Table 4)", () => {
  const g = buildGenerator('large', { seed: 1 });
  const e = buildEbm('large', { seed: 1 });
  assert.deepEqual(weightedShapes(g), [[4, 4, 1024], [8, 8, 1024], [16, 16, 512], [32, 32, 256], [32, 32, 3]]);
  assert.ok(describeLayers(e).some((r) => r.name === 'ebm.l0.bn'), 'BN in the EBM');
  // E: 3x3 conv 3→128 + BN, 4x4 128→256 + BN, 256→512 + BN, 512→512 + BN, 4x4 512→1 + bias.
  assert.equal(countParams(e), 3 * 3 * 3 * 128 + 2 * 128 + 4 * 4 * 128 * 256 + 2 * 256 + 4 * 4 * 256 * 512 + 2 * 512 + 4 * 4 * 512 * 512 + 2 * 512 + (4 * 4 * 512 + 1));
  const g64 = buildGenerator('large', { seed: 1, imageSize: 64, width: 0.25 });
  assert.deepEqual(weightedShapes(g64), [[4, 4, 256], [8, 8, 256], [16, 16, 128], [32, 32, 64], [64, 64, 3]]);
  disposeAll(g, e, g64);
});

test('texture (§4.1.4) and dynamic texture (§4.1.5): shapes and parameter counts', () => {
  const t = buildTriangleModels('texture', { seed: 1 });
  assert.deepEqual(t.generator.latentShape, [7, 7, 5]);
  assert.deepEqual(weightedShapes(t.generator), [[14, 14, 512], [28, 28, 512], [56, 56, 256], [112, 112, 128], [224, 224, 3]]);
  assert.deepEqual(weightedShapes(t.inference), [[112, 112, 128], [56, 56, 256], [28, 28, 512], [14, 14, 512], [7, 7, 5], [7, 7, 5]]);
  assert.deepEqual(weightedShapes(t.ebm), [[112, 112, 100], [56, 56, 70], [56, 56, 30]]);
  // G: five 4x4 convTs 5→512→512→256→128→3, BN on the hidden four.
  assert.equal(countParams(t.generator), 16 * 5 * 512 + 2 * 512 + 16 * 512 * 512 + 2 * 512 + 16 * 512 * 256 + 2 * 256 + 16 * 256 * 128 + 2 * 128 + (16 * 128 * 3 + 3));
  // E: 7x7 conv 3→100, 7x7 100→70, 5x5 70→30 (+ bias).
  assert.equal(countParams(t.ebm), 49 * 3 * 100 + 49 * 100 * 70 + (25 * 70 * 30 + 30));
  disposeAll(t.generator, t.inference, t.ebm);

  const d = buildTriangleModels('dyntex', { seed: 1 });
  assert.deepEqual(d.generator.latentShape, [2, 1, 1, 10]);
  assert.deepEqual(d.generator.outputShape, [32, 64, 64, 3]);
  assert.deepEqual(weightedShapes(d.generator), [[4, 4, 4, 512], [8, 8, 8, 256], [16, 16, 16, 128], [32, 32, 32, 64], [32, 64, 64, 3]]);
  assert.deepEqual(weightedShapes(d.inference), [[16, 32, 32, 64], [8, 16, 16, 128], [4, 8, 8, 256], [2, 4, 4, 512], [2, 1, 1, 10], [2, 1, 1, 10]]);
  assert.deepEqual(weightedShapes(d.ebm), [[16, 32, 32, 64], [8, 16, 16, 128], [4, 1, 1, 128]]);
  // E: 4x4x4 conv 3→64, 4x4x4 64→128, 4x16x16 128→128 (+ bias), the paper's 64, 128, 128 filters.
  assert.equal(countParams(d.ebm), 64 * 3 * 64 + 64 * 64 * 128 + (4 * 16 * 16 * 128 * 128 + 128));
  disposeAll(d.generator, d.inference, d.ebm);
});

test('mlp2d: widths configurable; parameter counts', () => {
  const { generator, inference, ebm } = buildTriangleModels('mlp2d', { seed: 1, hidden: [16, 8] });
  assert.deepEqual(generator.latentShape, [2]);
  assert.deepEqual(weightedShapes(generator), [[16], [8], [2]]);
  assert.equal(countParams(generator), (2 * 16 + 16) + (16 * 8 + 8) + (8 * 2 + 2));
  assert.equal(countParams(inference), (2 * 16 + 16) + (16 * 8 + 8) + 2 * (8 * 2 + 2));
  assert.equal(countParams(ebm), (2 * 16 + 16) + (16 * 8 + 8) + (8 + 1));
  disposeAll(generator, inference, ebm);
});

test('width multiplier scales every hidden channel count (rounded, at least 1)', () => {
  const half = buildGenerator('mnist', { seed: 1, width: 0.5 });
  assert.deepEqual(weightedShapes(half).map((s) => s[2]), [512, 256, 128, 1]);
  const tiny = buildEbm('cifar', { seed: 1, width: 0.001 });
  assert.deepEqual(weightedShapes(tiny).map((s) => s[2]), [1, 1, 1, 1, 1]);
  const odd = buildInference('cifar', { seed: 1, width: 0.3, latentDim: 7 });
  assert.deepEqual(weightedShapes(odd).map((s) => s[2]), [19, 38, 77, 154, 7, 7]); // round(64·0.3)=19, …
  disposeAll(half, tiny, odd);
});

test('seeds make the initialization deterministic, and init std ≈ 0.02', () => {
  const a = buildEbm('mnist', { seed: 3, width: 0.25 });
  const b = buildEbm('mnist', { seed: 3, width: 0.25 });
  const c = buildEbm('mnist', { seed: 4, width: 0.25 });
  const w = (m: Module, i: number) => Array.from(m.trainable()[i].variable.dataSync());
  assert.deepEqual(w(a, 1), w(b, 1));
  assert.notDeepEqual(w(a, 1), w(c, 1));
  const v = w(a, 2); // ebm.l2.conv.w: 4·4·64·128 = 131,072 draws
  const std = Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
  assert.ok(Math.abs(std / 0.02 - 1) < 0.01, `std ${std}`);
  disposeAll(a, b, c);
});

/** Tiny, fast configurations of every architecture for forward/backward runs on the cpu backend. */
const TINY: { arch: ArchName; opts: ModelOptions; batch: number }[] = [
  { arch: 'mnist', opts: { seed: 1, width: 1 / 32 }, batch: 2 },
  { arch: 'cifar', opts: { seed: 1, width: 1 / 32 }, batch: 2 },
  { arch: 'celeba', opts: { seed: 1, width: 1 / 32 }, batch: 2 },
  { arch: 'large', opts: { seed: 1, width: 1 / 64 }, batch: 2 },
  { arch: 'texture', opts: { seed: 1, width: 1 / 32, imageSize: 56 }, batch: 2 },
  { arch: 'dyntex', opts: { seed: 1, width: 1 / 64 }, batch: 1 },
  { arch: 'mlp2d', opts: { seed: 1, hidden: [8, 8], spectralNorm: true }, batch: 4 },
];

function l2(t: tf.Tensor): number {
  return tf.tidy(() => tf.norm(t).dataSync()[0]);
}

/** A loss per network touching every output, so every trainable variable should get a gradient. */
function lossesFor(m: { generator: NetGenerator; inference: NetInference; ebm: NetEbm }, z: tf.Tensor, x: tf.Tensor): [Module, () => tf.Scalar][] {
  return [
    [m.generator, () => tf.mean(tf.square(tf.sub(m.generator.generate(z, true), 0.3)))],
    [m.inference, () => { const q = m.inference.encode(x, true); return tf.add(tf.sum(tf.square(q.mu)), tf.sum(tf.exp(q.logvar))); }],
    [m.ebm, () => tf.mean(m.ebm.score(x, true))],
  ];
}

test('forward shapes, and gradients reach every trainable variable (every architecture, tiny width)', () => {
  for (const { arch, opts, batch } of TINY) {
    const models = buildTriangleModels(arch, opts);
    const { generator, inference, ebm } = models;
    const z = tf.randomNormal([batch, ...generator.latentShape], 0, 1, 'float32', 1);
    const x = tf.randomUniform([batch, ...ebm.inputShape], -1, 1, 'float32', 2);

    const gx = generator.generate(z, false);
    assert.deepEqual(gx.shape, [batch, ...generator.outputShape], `${arch} generate`);
    if (arch !== 'mlp2d') assert.ok(gx.max().dataSync()[0] <= 1 && gx.min().dataSync()[0] >= -1, `${arch} tanh range`);
    const { mu, logvar } = inference.encode(x, false);
    assert.deepEqual(mu.shape, [batch, ...generator.latentShape], `${arch} mu`);
    assert.deepEqual(logvar.shape, mu.shape, `${arch} logvar`);
    const f = ebm.score(x, false);
    assert.deepEqual(f.shape, [batch], `${arch} score`);
    tf.dispose([gx, mu, logvar, f]);

    for (const [m, loss] of lossesFor(models, z, x)) {
      const vars = m.trainable();
      const { value, grads } = tf.variableGrads(loss, vars.map((nv) => nv.variable));
      for (const nv of vars) {
        const g = grads[nv.variable.name];
        assert.ok(g && l2(g) > 0, `${arch}: no or zero gradient for ${nv.name}`);
      }
      tf.dispose([value, ...Object.values(grads)]);
    }
    tf.dispose([z, x]);
    disposeAll(generator, inference, ebm);
  }
});

test('no tensor leaks across repeated training forwards and gradient calls (BN generator, SN EBM)', () => {
  for (const { arch, opts, batch } of TINY.filter((t) => t.arch === 'mnist' || t.arch === 'mlp2d')) {
    const models = buildTriangleModels(arch, { ...opts, spectralNorm: true });
    const z = tf.randomNormal([batch, ...models.generator.latentShape], 0, 1, 'float32', 1);
    const x = tf.randomUniform([batch, ...models.ebm.inputShape], -1, 1, 'float32', 2);
    let count = -1;
    for (let it = 0; it < 4; it++) {
      for (const [m, loss] of lossesFor(models, z, x)) {
        const { value, grads } = tf.variableGrads(loss, m.trainable().map((nv) => nv.variable));
        tf.dispose([value, ...Object.values(grads)]);
      }
      tf.dispose([models.generator.generate(z, true), models.ebm.score(x, false), ...Object.values(models.inference.encode(x, true))]);
      if (it === 1) count = tf.memory().numTensors;
      if (it > 1) assert.equal(tf.memory().numTensors, count, `${arch}: tensor count grew at iteration ${it}`);
    }
    tf.dispose([z, x]);
    disposeAll(models.generator, models.inference, models.ebm);
  }
});

test('energy forms: f = −φ(−r) (the authors E = φ(−r)); exhaustive', () => {
  const r = [-2, 0, 1.5];
  const closed: Record<string, (v: number) => number> = {
    identity: (v) => v,
    softplus: (v) => -Math.log1p(Math.exp(-v)),
    tanh: (v) => Math.tanh(v),
    sigmoid: (v) => 1 / (1 + Math.exp(-v)) - 1,
  };
  assert.deepEqual([...ENERGY_FORMS].sort(), Object.keys(closed).sort());
  for (const form of ENERGY_FORMS) {
    const f = tf.tidy(() => applyEnergyForm(tf.tensor1d(r), form).dataSync());
    r.forEach((v, i) => assert.ok(Math.abs(f[i] - closed[form](v)) < 1e-6, `${form}(${v})`));
  }
  const e = buildEbm('mlp2d', { seed: 2, energyForm: 'softplus' });
  assert.equal(e.energyForm, 'softplus');
  const x = tf.randomNormal([3, 2], 0, 1, 'float32', 3);
  const f = e.score(x, false);
  const raw = e.raw(x, false);
  const fv = f.dataSync();
  raw.dataSync().forEach((v, i) => assert.ok(Math.abs(fv[i] - closed.softplus(v)) < 1e-6));
  tf.dispose([x, f, raw]);
  e.dispose();
});

test('model options are validated with actionable UserErrors', () => {
  const cases: [ArchName, ModelOptions, RegExp][] = [
    ['mnist', { seed: 1, widht: 2 } as unknown as ModelOptions, /unknown model option "widht": use one of width, /],
    ['cifar', { seed: 1, imageSize: 64 }, /imageSize 64 is not supported by 'cifar': use 32/],
    ['large', { seed: 1, imageSize: 48 }, /use 32 or 64/],
    ['mnist', { seed: 1, width: 0 }, /width must be a positive number/],
    ['mnist', { seed: 1, latentDim: 2.5 }, /latentDim must be a positive integer/],
    ['mnist', { seed: 1, energyForm: 'exp' as never }, /energyForm "exp" is not one of identity, softplus, tanh, sigmoid/],
    ['cifar', { seed: 1, hidden: [8] }, /hidden applies to 'mlp2d' only/],
    ['nope' as ArchName, { seed: 1 }, /unknown architecture "nope": use one of mnist, cifar/],
    ['mnist', {} as ModelOptions, /seed must be a finite number/],
  ];
  for (const [arch, opts, re] of cases) {
    assert.throws(() => buildEbm(arch, opts), (e: unknown) => isUserError(e) && re.test((e as Error).message), `${arch} ${JSON.stringify(opts)}`);
  }
});

test('batchNorm option: true adds BN to every hidden layer, false removes it from the generator', () => {
  const withBn = buildInference('mnist', { seed: 1, width: 0.1, batchNorm: true });
  assert.deepEqual(describeLayers(withBn).filter((r) => r.kind.startsWith('batchnorm')).map((r) => r.name), ['inf.l0.bn', 'inf.l1.bn', 'inf.l2.bn']);
  const noBn = buildGenerator('mnist', { seed: 1, width: 0.1, batchNorm: false });
  assert.equal(describeLayers(noBn).filter((r) => r.kind.startsWith('batchnorm')).length, 0);
  assert.equal(noBn.buffers().length, 0);
  disposeAll(withBn, noBn);
});
