import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { isUserError } from '../../lib/errors';
import { buildLatentEbm } from '../../lib/models/latent-ebm';
import { countParams, describeLayers, formatLayers, loadModuleState, moduleState } from '../../lib/models/state';
import { buildGenerator, buildEbm } from '../../lib/models/triangle';

tf.setBackend('cpu');

test('moduleState / loadModuleState round-trip trainables and buffers (BN running stats, SN u)', () => {
  const a = buildGenerator('mnist', { seed: 1, width: 1 / 32 });
  const b = buildGenerator('mnist', { seed: 2, width: 1 / 32 });
  const z = tf.randomNormal([3, 100], 0, 1, 'float32', 5);
  tf.dispose(a.generate(z, true)); // moves a's BN running statistics away from (0, 1)
  const state = moduleState(a);
  assert.deepEqual(Object.keys(state), [...a.trainable(), ...a.buffers()].map((nv) => nv.name));
  assert.ok(Object.keys(state).includes('gen.l0.convT.w') && Object.keys(state).includes('gen.l0.bn.mean'));
  assert.deepEqual(state['gen.l0.convT.w'].shape, [3, 3, 32, 100]);
  loadModuleState(b, state);
  const ya = a.generate(z, false);
  const yb = b.generate(z, false);
  assert.deepEqual(Array.from(yb.dataSync()), Array.from(ya.dataSync()));
  // The state is a copy: changing the model afterwards leaves it alone.
  const before = state['gen.l0.bn.mean'].values.slice();
  tf.dispose(a.generate(z, true));
  assert.deepEqual(state['gen.l0.bn.mean'].values, before);

  const e1 = buildLatentEbm('mlp2d', { seed: 1, hidden: [4] });
  const e2 = buildLatentEbm('mlp2d', { seed: 9, hidden: [4] });
  const x = tf.randomNormal([2, 2], 0, 1, 'float32', 6);
  tf.dispose(e1.score(x, z.slice([0, 0], [2, 2]), true)); // advances u
  loadModuleState(e2, moduleState(e1));
  assert.deepEqual(Array.from(e2.buffers()[0].variable.dataSync()), Array.from(e1.buffers()[0].variable.dataSync()));
  tf.dispose([z, x, ya, yb]);
  for (const m of [a, b, e1, e2]) m.dispose();
});

test('loadModuleState: missing, unexpected and mis-shaped tensors are UserErrors naming them; nothing is written', () => {
  const small = buildEbm('mnist', { seed: 1, width: 1 / 32 });
  const wide = buildEbm('mnist', { seed: 1, width: 1 / 16 });
  const other = buildEbm('cifar', { seed: 1, width: 1 / 32 });
  const w0 = Array.from(small.trainable()[0].variable.dataSync());
  assert.throws(() => loadModuleState(small, moduleState(wide)), (e: unknown) =>
    isUserError(e) && /checkpoint tensor ebm\.l0\.conv\.w has shape \[4, 4, 1, 8\] \(128 values\) but the model expects \[4, 4, 1, 4\]; build the model with the checkpoint's width/.test((e as Error).message));
  assert.throws(() => loadModuleState(small, moduleState(other)), (e: unknown) =>
    isUserError(e) && /checkpoint does not match model "ebm": .*unexpected ebm\.l4\.conv\.w.*; load it into a model built with the same architecture and options/.test((e as Error).message));
  const partial = moduleState(small);
  delete partial['ebm.l3.conv.b'];
  assert.throws(() => loadModuleState(small, partial), (e: unknown) => isUserError(e) && /missing ebm\.l3\.conv\.b/.test((e as Error).message));
  assert.deepEqual(Array.from(small.trainable()[0].variable.dataSync()), w0);
  for (const m of [small, wide, other]) m.dispose();
});

test('countParams excludes buffers; describeLayers sums to it; formatLayers prints a total', () => {
  const e = buildEbm('cifar', { seed: 1, width: 0.25, spectralNorm: true });
  const rows = describeLayers(e);
  assert.equal(rows.reduce((s, r) => s + r.params, 0), countParams(e));
  assert.ok(e.buffers().length === 5, 'one u per weight');
  assert.deepEqual(describeLayers(e, [64, 64, 3]).slice(-1)[0].outputShape, [5, 5, 1], 'describe at another input size');
  assert.match(formatLayers(rows), new RegExp(`total\\s+${countParams(e)} parameters$`));
  e.dispose();
});
