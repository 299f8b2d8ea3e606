import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { isUserError } from '../../lib/errors';
import { buildLatentEbm } from '../../lib/models/latent-ebm';
import { countParams, describeLayers } from '../../lib/models/state';

tf.setBackend('cpu');

test('latent EBM (mnist): layout and parameter counts by hand; spectral norm on every weight', () => {
  const e = buildLatentEbm('mnist', { seed: 1 });
  assert.equal(e.energyForm, 'softplus');
  assert.deepEqual(e.latentShape, [100]);
  const rows = describeLayers(e).filter((r) => /conv|dense/.test(r.kind));
  assert.deepEqual(rows.map((r) => r.outputShape), [
    [14, 14, 128], [7, 7, 256], [3, 3, 512], [1, 1, 512],
    [64], [64], [128], [128], [256], [256], [512], [512],
    [1024], [1],
  ]);
  assert.ok(rows.every((r) => r.kind.includes(' SN')), 'every weighted layer spectral-normed');
  // LeakyReLU 0.1 (the authors' latent-EBM code), none after either branch's last layer: 3 in the x trunk,
  // 7 in the z-branch, 1 in the joint head.
  const acts = describeLayers(e).filter((r) => r.kind.startsWith('leakyrelu'));
  assert.equal(acts.length, 11);
  assert.ok(acts.every((r) => r.kind === 'leakyrelu 0.1'), acts.map((r) => r.kind).join(', '));
  // x: Table 6 EBM trunk + 3x3 conv 512→512 (widened last layer), every conv with a bias as in the code;
  // z: eight dense layers 100→64→64→128→128→256→256→512→512; joint: dense 1024→1024, 1024→1 (with bias).
  const x = (4 * 4 * 1 * 128 + 128) + (4 * 4 * 128 * 256 + 256) + (4 * 4 * 256 * 512 + 512) + (3 * 3 * 512 * 512 + 512);
  const zw = [100, 64, 64, 128, 128, 256, 256, 512, 512];
  const z = zw.slice(1).reduce((a, out, i) => a + zw[i] * out + out, 0);
  const j = (1024 * 1024 + 1024) + (1024 * 1 + 1);
  assert.equal(countParams(e), x + z + j);
  // One power-iteration vector u per weight, sized by its output channels.
  assert.deepEqual(e.buffers().map((b) => b.variable.size), [128, 256, 512, 512, 64, 64, 128, 128, 256, 256, 512, 512, 1024, 1]);
  assert.ok(e.buffers().every((b) => b.name.endsWith('.u')));
  e.dispose();
});

test('latent EBM (cifar, celeba, mlp2d): shapes; unsupported architectures are UserErrors', () => {
  const c = buildLatentEbm('cifar', { seed: 1, width: 0.25 });
  assert.deepEqual(describeLayers(c).filter((r) => /conv|dense/.test(r.kind)).map((r) => r.outputShape),
    [[32, 32, 16], [16, 16, 32], [8, 8, 64], [4, 4, 64], [1, 1, 128], [16], [16], [32], [32], [64], [64], [128], [128], [256], [1]]);
  const m = buildLatentEbm('mlp2d', { seed: 1, hidden: [16, 16] });
  assert.deepEqual(describeLayers(m).filter((r) => /dense/.test(r.kind)).map((r) => r.outputShape), [[16], [16], [16], [16], [1]]);
  const noSn = buildLatentEbm('celeba', { seed: 1, width: 0.05, spectralNorm: false, energyForm: 'identity' });
  assert.equal(noSn.buffers().length, 0);
  assert.equal(noSn.energyForm, 'identity');
  assert.throws(() => buildLatentEbm('texture', { seed: 1 }), (e: unknown) => isUserError(e) && /defined for mnist, cifar, celeba, mlp2d, not 'texture'/.test((e as Error).message));
  for (const x of [c, m, noSn]) x.dispose();
});

test('latent EBM: score shapes, softplus form ≤ 0, gradients reach every variable, no leaks', () => {
  for (const [arch, width, batch] of [['mnist', 1 / 32, 2], ['cifar', 1 / 32, 2], ['mlp2d', 1, 3]] as const) {
    const e = buildLatentEbm(arch, arch === 'mlp2d' ? { seed: 2, hidden: [8, 8] } : { seed: 2, width });
    const x = tf.randomUniform([batch, ...e.inputShape], -1, 1, 'float32', 1);
    const z = tf.randomNormal([batch, ...e.latentShape], 0, 1, 'float32', 2);
    const f = e.score(x, z, false);
    assert.deepEqual(f.shape, [batch]);
    assert.ok(f.dataSync().every((v) => v <= 0), 'softplus: f = −softplus(−r) ≤ 0');
    const vars = e.trainable();
    let count = -1;
    for (let it = 0; it < 3; it++) {
      const { value, grads } = tf.variableGrads(() => tf.mean(e.score(x, z, true)) as tf.Scalar, vars.map((nv) => nv.variable));
      if (it === 0) {
        for (const nv of vars) {
          const g = grads[nv.variable.name];
          assert.ok(g && tf.tidy(() => tf.norm(g).dataSync()[0]) > 0, `${arch}: no or zero gradient for ${nv.name}`);
        }
      }
      tf.dispose([value, ...Object.values(grads)]);
      if (it === 1) count = tf.memory().numTensors;
      if (it === 2) assert.equal(tf.memory().numTensors, count, `${arch}: tensor count grew`);
    }
    assert.throws(() => e.score(x, tf.zeros([batch, 3]), false), /expected x \[N, .*\] and z \[N, /);
    tf.dispose([x, z, f]);
    e.dispose();
  }
});
