/**
 * The native engine's GEMM lowering of convolutions (im2col over the batch + one matmul; used for
 * layers with few output pixels) on every shape, with the im2col matrix forced into small groups of
 * images, against the pure-JS cpu backend. The environment variables are read when the addon first
 * runs a convolution, so this file sets them before loading it (each test file is its own process).
 *
 * Tolerance as in native.test.ts: max |native − cpu| ≤ 1e-4 · (1 + max |cpu|).
 */
process.env.DTRI_NATIVE_GEMM_PIXELS = '100000'; // every 2-D NHWC convolution takes the GEMM path
process.env.DTRI_NATIVE_GEMM_COL_FLOATS = '300'; // a few images per group, so the grouping is exercised

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { defaultNativeAddonPath, loadNativeBackend, nativeEngineStats, resetNativeEngineStats } from '../../lib/backend/native';
import { SeededRng } from '../../lib/random';

const SKIP = fs.existsSync(defaultNativeAddonPath()) ? false : 'native addon not built (bash environment/build-native.sh)';

/** mulberry32 (lib/random's SeededRng from the raw state `seed`): a seeded stream of floats in [-1, 1), as native.test.ts. */
function randoms(n: number, seed: number): Float32Array {
  const rng = SeededRng.fromState(seed);
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

async function outputs(backend: string, shapes: number[][], f: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => f(...shapes.map((s, i) => tf.tensor(randoms(s.reduce((a, b) => a * b, 1), 7 + i), s))).map((t) => t.dataSync() as Float32Array));
}

/** y and the gradients of sum(y · r) for every input. */
function withGrads(op: (...xs: tf.Tensor[]) => tf.Tensor): (...xs: tf.Tensor[]) => tf.Tensor[] {
  return (...xs) => {
    const y = op(...xs);
    const r = tf.tensor(randoms(y.size, 99), y.shape);
    return [y, ...tf.grads((...as: tf.Tensor[]) => tf.sum(tf.mul(op(...as), r)))(xs)];
  };
}

async function matchesCpu(label: string, shapes: number[][], f: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<void> {
  resetNativeEngineStats();
  const got = await outputs('native', shapes, f);
  assert.deepEqual(nativeEngineStats()!.fallbacks, {}, `${label}: fell back`);
  const want = await outputs('cpu', shapes, f);
  for (let k = 0; k < want.length; k++) {
    let diff = 0, scale = 0;
    for (let i = 0; i < want[k].length; i++) {
      diff = Math.max(diff, Math.abs(got[k][i] - want[k][i]));
      scale = Math.max(scale, Math.abs(want[k][i]));
    }
    assert.ok(diff <= 1e-4 * (1 + scale), `${label} output ${k}: max diff ${diff} (scale ${scale})`);
  }
}

test('GEMM-lowered conv2d, conv2dTranspose and fused conv2d (grouped im2col) match cpu', { skip: SKIP }, async () => {
  loadNativeBackend();
  const convs: [number[], number[], number, 'same' | 'valid' | number][] = [
    [[5, 7, 7, 4], [4, 4, 4, 3], 2, 1],
    [[3, 8, 6, 3], [3, 3, 3, 5], 1, 'same'],
    [[4, 9, 9, 2], [4, 4, 2, 3], 2, 'valid'],
    [[3, 4, 4, 6], [4, 4, 6, 2], 1, 'valid'],
  ];
  for (const [xs, fs_, s, pad] of convs) {
    await matchesCpu(`conv2d x=${xs} f=${fs_} s=${s} pad=${pad}`, [xs, fs_], withGrads((x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, s, pad)));
  }
  await matchesCpu('conv2dTranspose 3→7', [[5, 3, 3, 4], [4, 4, 3, 4]],
    withGrads((y, f) => tf.conv2dTranspose(y as tf.Tensor4D, f as tf.Tensor4D, [5, 7, 7, 3], 2, 1)));
  for (const activation of ['linear', 'relu', 'leakyrelu', 'sigmoid'] as const) {
    await matchesCpu(`fused conv2d ${activation}`, [[5, 6, 6, 3], [4, 4, 3, 4], [4]], (x, f, b) => [
      tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 2, pad: 'same', bias: b, activation, leakyreluAlpha: 0.2 }),
    ]);
  }
});
