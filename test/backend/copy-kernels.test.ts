/**
 * Block-copy Slice and PadV2 against the cpu backend's element-wise kernels (the reference): every rank
 * 1–6, random boxes (−1 sizes, whole and cut axes, empty boxes), paddings with constants, dtypes
 * float32 / int32 / bool; then under the native backend, values and gradients of tf.slice / tf.pad.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { padCopyKernel, sliceCopyKernel } from '../../lib/backend/copy-kernels';
import { defaultNativeAddonPath, loadNativeBackend } from '../../lib/backend/native';
import { SeededRng } from '../../lib/random';

tf.setBackend('cpu');

/** mulberry32 in [0, 1) (lib/random's SeededRng from the raw state `seed`). */
function rng(seed: number): () => number {
  const r = SeededRng.fromState(seed);
  return () => r.next();
}

function input(shape: number[], dtype: 'float32' | 'int32' | 'bool', r: () => number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, () => (dtype === 'float32' ? r() * 2 - 1 : dtype === 'int32' ? Math.floor(r() * 100) - 50 : r() < 0.5 ? 1 : 0));
  return tf.tensor(v, shape, dtype);
}

function run(kernel: typeof sliceCopyKernel, x: tf.Tensor, attrs: Record<string, unknown>): tf.Tensor {
  const info = kernel({ inputs: { x }, backend: tf.backend(), attrs } as unknown as Parameters<typeof sliceCopyKernel>[0]);
  return tf.engine().makeTensorFromTensorInfo(info);
}

test('sliceCopyKernel equals the cpu Slice on random boxes of ranks 1-6 and three dtypes', () => {
  const r = rng(1);
  let cases = 0;
  for (let rank = 1; rank <= 6; rank++) {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      for (let k = 0; k < 12; k++) {
        const shape = Array.from({ length: rank }, () => 1 + Math.floor(r() * 5));
        const begin = shape.map((d) => Math.floor(r() * d));
        const size = shape.map((d, i) => (r() < 0.2 ? -1 : r() < 0.3 ? d - begin[i] : Math.floor(r() * (d - begin[i] + 1))));
        if (k === 0) shape.forEach((_, i) => ((begin[i] = 0), (size[i] = -1))); // the whole tensor
        const x = input(shape, dtype, r);
        const want = tf.slice(x, begin, size);
        const got = run(sliceCopyKernel, x, { begin, size });
        assert.deepEqual(got.shape, want.shape, `rank ${rank} ${dtype} [${shape}] begin [${begin}] size [${size}]`);
        assert.equal(got.dtype, want.dtype);
        assert.deepEqual(Array.from(got.dataSync()), Array.from(want.dataSync()), `rank ${rank} ${dtype} [${shape}] begin [${begin}] size [${size}]`);
        tf.dispose([x, want, got]);
        cases++;
      }
    }
  }
  assert.equal(cases, 6 * 3 * 12);
  // The crop of a 3-D transposed convolution (lib/models ConvTranspose3d) and a scalar-begin form.
  const x = input([2, 6, 7, 7, 3], 'float32', r);
  const a = tf.slice(x, [0, 1, 1, 1, 0], [-1, 4, 5, 5, -1]);
  const b = run(sliceCopyKernel, x, { begin: [0, 1, 1, 1, 0], size: [-1, 4, 5, 5, -1] });
  assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
  const c = run(sliceCopyKernel, x, { begin: 1, size: 1 });
  assert.deepEqual(c.shape, [1, 6, 7, 7, 3]);
  tf.dispose([x, a, b, c]);
});

test('padCopyKernel equals the cpu PadV2 on random paddings and constants, ranks 1-6', () => {
  const r = rng(2);
  for (let rank = 1; rank <= 6; rank++) {
    for (const dtype of ['float32', 'int32'] as const) {
      for (let k = 0; k < 10; k++) {
        const shape = Array.from({ length: rank }, () => (k === 9 ? 0 : 1) + Math.floor(r() * 4));
        const paddings = shape.map(() => [Math.floor(r() * 3), Math.floor(r() * 3)] as [number, number]);
        const constantValue = k % 3 === 0 ? 0 : dtype === 'int32' ? 7 : -0.5;
        const x = input(shape, dtype, r);
        const want = tf.pad(x, paddings, constantValue);
        const got = run(padCopyKernel, x, { paddings, constantValue });
        assert.deepEqual(got.shape, want.shape);
        assert.deepEqual(Array.from(got.dataSync()), Array.from(want.dataSync()), `rank ${rank} ${dtype} [${shape}] paddings ${JSON.stringify(paddings)} c ${constantValue}`);
        tf.dispose([x, want, got]);
      }
    }
  }
});

const SKIP = fs.existsSync(defaultNativeAddonPath()) ? false : 'native addon not built (bash environment/build-native.sh)';

test('native backend: tf.slice / tf.pad values and gradients equal the cpu backend (3-D layer shapes)', { skip: SKIP }, async () => {
  const loaded = loadNativeBackend();
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.reason);
  const r = rng(3);
  const xv = input([2, 5, 6, 6, 3], 'float32', r).arraySync();
  const gv = input([2, 7, 8, 8, 3], 'float32', r).arraySync();
  const compute = (): [number, number[]] => {
    const [value, grad] = tf.tidy(() => {
      const x = tf.tensor(xv);
      const g = tf.tensor(gv);
      const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.slice(tf.pad(t, [[0, 0], [2, 0], [1, 1], [1, 1], [0, 0]], 0.25), [0, 0, 0, 0, 0], [-1, 7, 8, 8, -1]), g));
      const vg = tf.valueAndGrad(f)(x);
      return [vg.value, vg.grad];
    });
    const out: [number, number[]] = [value.dataSync()[0], Array.from(grad.dataSync())];
    tf.dispose([value, grad]);
    return out;
  };
  const prev = tf.getBackend();
  await tf.setBackend('cpu');
  const want = compute();
  await tf.setBackend('native');
  try {
    const got = compute();
    assert.ok(Math.abs(got[0] - want[0]) < 1e-4 * (1 + Math.abs(want[0])));
    assert.deepEqual(got[1], want[1]);
  } finally {
    await tf.setBackend(prev);
  }
});
