import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { isUserError } from '../../lib/errors';
import { buildProgressiveModels } from '../../lib/models/progressive';
import { describeLayers } from '../../lib/models/state';

tf.setBackend('cpu');

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}
/** max |a − b| / max |b|: the networks' outputs at init are small, so compare relatively. */
function relDiff(a: tf.Tensor, b: tf.Tensor): number {
  return maxAbsDiff(a, b) / tf.tidy(() => tf.max(tf.abs(b)).dataSync()[0]);
}

/** 2×2 average pooling, written independently of the library's reshape-mean. */
function avgPool2(x: tf.Tensor): tf.Tensor {
  return tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid');
}

test('progressive: stages 4 → maxSize, shapes at every stage, channel schedule min(512, 16384/r)·width', () => {
  const p = buildProgressiveModels({ maxSize: 1024, seed: 1, width: 1 / 64, latentDim: 8 });
  assert.equal(p.stages, 9);
  assert.deepEqual([...Array(9).keys()].map(p.resolution), [4, 8, 16, 32, 64, 128, 256, 512, 1024]);
  p.setStage(8, 1);
  const rows = describeLayers(p.generator);
  assert.deepEqual(rows[rows.length - 1].outputShape, [1024, 1024, 3]);
  // Feature channels after each generator block: 512/64 = 8 up to 32×32, then 4, 2, 1, 1 (rounded, ≥ 1), 0.25 → 1.
  const blockOut = rows.filter((r) => /gen\.b\d\.l1\.conv$/.test(r.name)).map((r) => r.outputShape[2]);
  assert.deepEqual(blockOut, [8, 8, 8, 8, 4, 2, 1, 1, 1]);
  assert.deepEqual(describeLayers(p.ebm).slice(-1)[0].outputShape, [1, 1, 1]);
  assert.deepEqual(p.inference.inputShape, [1024, 1024, 3]);
  p.dispose();
});

test('progressive: fade-in at α = 0 reproduces the previous stage exactly (up/down-sampled); α = 1 differs', () => {
  const p = buildProgressiveModels({ maxSize: 16, seed: 2, width: 1 / 32, latentDim: 6 });
  const z = tf.randomNormal([2, 6], 0, 1, 'float32', 1);
  const x16 = tf.randomUniform([2, 16, 16, 3], -1, 1, 'float32', 2);
  for (const stage of [1, 2]) {
    const xS = stage === 2 ? x16 : avgPool2(x16);
    p.setStage(stage - 1, 1);
    const gPrev = p.generator.generate(z, true); // training mode: BN normalizes, so outputs are O(1)
    const fPrev = p.ebm.score(avgPool2(xS), false);
    const muPrev = p.inference.encode(avgPool2(xS), false).mu;
    p.setStage(stage, 0);
    const g0 = p.generator.generate(z, true);
    assert.deepEqual(g0.shape, [2, 4 * 2 ** stage, 4 * 2 ** stage, 3]);
    // tanh(up2(rgb)) = up2(tanh(rgb)): nearest upsampling of the previous stage's image.
    const up = tf.tidy(() => tf.image.resizeNearestNeighbor(gPrev as tf.Tensor4D, [g0.shape[1]!, g0.shape[2]!]));
    assert.ok(maxAbsDiff(g0, up) < 1e-6, `generator stage ${stage}`);
    assert.ok(relDiff(p.ebm.score(xS, false), fPrev) < 1e-4, `EBM stage ${stage}`);
    assert.ok(relDiff(p.inference.encode(xS, false).mu, muPrev) < 1e-4, `inference stage ${stage}`);
    p.setStage(stage, 1);
    const g1 = p.generator.generate(z, true);
    assert.ok(maxAbsDiff(g1, up) > 0.05 * tf.tidy(() => tf.max(tf.abs(up)).dataSync()[0]), 'α = 1 uses the new stage');
    assert.ok(relDiff(p.ebm.score(xS, false), fPrev) > 0.01, 'α = 1 uses the new EBM stage');
    g1.dispose();
    tf.dispose([gPrev, fPrev, muPrev, g0, up, ...(stage === 2 ? [] : [xS])]);
  }
  tf.dispose([z, x16]);
  p.dispose();
});

test('progressive: gradients reach exactly the active variables; trainable() is stage-independent; no leaks', () => {
  const p = buildProgressiveModels({ maxSize: 16, seed: 3, width: 1 / 32, latentDim: 4, spectralNorm: true });
  const names = p.ebm.trainable().map((nv) => nv.name);
  p.setStage(1, 0.5);
  assert.deepEqual(p.ebm.trainable().map((nv) => nv.name), names);
  const z = tf.randomNormal([2, 4], 0, 1, 'float32', 1);
  const x = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 2);
  const nets: [typeof p.generator | typeof p.inference | typeof p.ebm, () => tf.Scalar][] = [
    [p.generator, () => tf.mean(tf.square(tf.sub(p.generator.generate(z, true), 0.2)))],
    [p.inference, () => { const q = p.inference.encode(x, true); return tf.add(tf.sum(q.mu), tf.sum(tf.exp(q.logvar))); }],
    [p.ebm, () => tf.mean(p.ebm.score(x, true))],
  ];
  let count = -1;
  for (let it = 0; it < 3; it++) {
    for (const [net, loss] of nets) {
      const all = net.trainable();
      const active = new Set(net.activeTrainable().map((nv) => nv.name));
      assert.ok(active.size < all.length, 'stage 2 is inactive');
      const { value, grads } = tf.variableGrads(loss, all.map((nv) => nv.variable));
      if (it === 0) {
        for (const nv of all) {
          const g = grads[nv.variable.name];
          if (active.has(nv.name)) assert.ok(g && tf.tidy(() => tf.norm(g).dataSync()[0]) > 0, `no gradient for active ${nv.name}`);
          else assert.equal(g, undefined, `gradient for inactive ${nv.name}`);
        }
      }
      tf.dispose([value, ...Object.values(grads)]);
    }
    if (it === 1) count = tf.memory().numTensors;
    if (it === 2) assert.equal(tf.memory().numTensors, count, 'tensor count grew');
  }
  tf.dispose([z, x]);
  p.dispose();
});

test('progressive: options and stages are validated with UserErrors', () => {
  assert.throws(() => buildProgressiveModels({ maxSize: 48, seed: 1 }), (e: unknown) => isUserError(e) && /power of two/.test((e as Error).message));
  assert.throws(() => buildProgressiveModels({ maxSize: 16, seed: 1, size: 3 } as never), (e: unknown) => isUserError(e) && /unknown progressive model option "size"/.test((e as Error).message));
  const p = buildProgressiveModels({ maxSize: 8, seed: 1, width: 1 / 64, latentDim: 2 });
  assert.throws(() => p.setStage(2, 1), (e: unknown) => isUserError(e) && /stage 2 is out of range: use 0 \(4×4\) … 1 \(8×8\)/.test((e as Error).message));
  assert.throws(() => p.setStage(1, 1.5), (e: unknown) => isUserError(e) && /alpha must be in \[0, 1\]/.test((e as Error).message));
  p.dispose();
});
