/**
 * The native oneDNN engine against the pure-JS cpu backend (the reference), kernel by kernel:
 * forward and gradients, strides 1 and 2, same / valid / explicit padding, on small random shapes.
 *
 * Tolerance: max |native − cpu| ≤ 1e-4 · (1 + max |cpu|) per output. Both sides are float32; they
 * differ only in summation order (oneDNN blocks and vectorizes the reductions), which for the
 * ≤ 300-term sums here moves results by a few ulps of the largest partial sum.
 *
 * Every case also checks that the native kernel actually ran (no fallback to the cpu kernel was
 * counted), except the one that tests the fallback itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {
  NativeBackendCPU,
  defaultNativeAddonPath,
  loadNativeBackend,
  nativeEngineStats,
  resetNativeEngineStats,
} from '../../lib/backend/native';
import { SeededRng } from '../../lib/random';
import * as fs from 'node:fs';

const ADDON_MISSING = !fs.existsSync(defaultNativeAddonPath());
const SKIP = ADDON_MISSING ? 'native addon not built (bash environment/build-native.sh)' : false;

/** mulberry32 (lib/random's SeededRng from the raw state `seed`): a seeded stream of floats in [-1, 1). */
function randoms(n: number, seed: number): Float32Array {
  const rng = SeededRng.fromState(seed);
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

interface Input {
  shape: number[];
  values: Float32Array;
}
const input = (shape: number[], seed: number): Input => ({ shape, values: randoms(shape.reduce((a, b) => a * b, 1), seed) });

/** Runs `f` on fresh copies of `inputs` on one backend and returns every output's values. */
async function runOn(backend: string, inputs: Input[], f: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xs = inputs.map((i) => tf.tensor(i.values, i.shape));
    return f(...xs).map((t) => t.dataSync() as Float32Array);
  });
}

/** Asserts native ≈ cpu for every output of `f` and that no native kernel fell back. */
async function matchesCpu(label: string, inputs: Input[], f: (...xs: tf.Tensor[]) => tf.Tensor[], allowFallback = false) {
  resetNativeEngineStats();
  const got = await runOn('native', inputs, f);
  const fell = nativeEngineStats()!.fallbacks;
  const want = await runOn('cpu', inputs, f);
  if (!allowFallback) assert.deepEqual(fell, {}, `${label}: native kernels fell back: ${JSON.stringify(fell)}`);
  assert.equal(got.length, want.length);
  for (let k = 0; k < got.length; k++) {
    assert.equal(got[k].length, want[k].length, `${label} output ${k}: length`);
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < got[k].length; i++) {
      diff = Math.max(diff, Math.abs(got[k][i] - want[k][i]));
      scale = Math.max(scale, Math.abs(want[k][i]));
    }
    assert.ok(diff <= 1e-4 * (1 + scale), `${label} output ${k}: max diff ${diff} (scale ${scale})`);
  }
  return fell;
}

/** Forward value plus the gradients of sum(y · r) with respect to every input (r fixed, random). */
function withGrads(op: (...xs: tf.Tensor[]) => tf.Tensor, rSeed = 99): (...xs: tf.Tensor[]) => tf.Tensor[] {
  return (...xs) => {
    const y = op(...xs);
    const r = tf.tensor(randoms(y.size, rSeed), y.shape);
    const grads = tf.grads((...as: tf.Tensor[]) => tf.sum(tf.mul(op(...as), r)))(xs);
    return [y, ...grads];
  };
}

type Pad = 'same' | 'valid' | number;

test('loadNativeBackend reports a reason instead of throwing when the addon is absent', () => {
  const r = loadNativeBackend({ addonPath: '/nonexistent/dtri_native.node' });
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.match(r.reason, /^native engine not built: /);
    assert.match(r.reason, /falling back/);
    assert.equal(r.reason.includes('\n'), false);
  }
  const viaEnv = process.env.DTRI_NATIVE_ADDON;
  process.env.DTRI_NATIVE_ADDON = '/nonexistent/also-missing.node';
  try {
    assert.equal(loadNativeBackend().ok, false);
  } finally {
    if (viaEnv === undefined) delete process.env.DTRI_NATIVE_ADDON;
    else process.env.DTRI_NATIVE_ADDON = viaEnv;
  }
});

test('loadNativeBackend registers the native backend once', { skip: SKIP }, async () => {
  const a = loadNativeBackend();
  assert.ok(a.ok, a.ok ? '' : a.reason);
  const b = loadNativeBackend();
  assert.equal(a, b);
  if (a.ok) assert.ok(a.threads >= 1);
  assert.ok(await tf.setBackend('native'));
  // The cpu backend is untouched: its kernels are still its own.
  assert.notEqual(tf.getKernel(tf.Conv2D, 'cpu').kernelFunc, tf.getKernel(tf.Conv2D, 'native').kernelFunc);
  assert.equal(tf.getKernel(tf.Transpose, 'cpu').kernelFunc, tf.getKernel(tf.Transpose, 'native').kernelFunc);
});

test('Conv2D forward and both gradients match cpu', { skip: SKIP }, async () => {
  loadNativeBackend();
  const cases: [number[], number[], number, Pad, number][] = [
    // x shape, filter shape, stride, pad, dilation
    [[2, 7, 7, 3], [3, 3, 3, 4], 1, 'same', 1],
    [[2, 7, 7, 3], [3, 3, 3, 4], 2, 'same', 1],
    [[2, 8, 6, 2], [4, 4, 2, 5], 2, 'same', 1],
    [[3, 9, 9, 2], [4, 4, 2, 3], 2, 'valid', 1],
    [[2, 7, 7, 4], [4, 4, 4, 3], 2, 1, 1], // the paper's 7x7 -> 3x3 layer: 4x4, stride 2, padding 1
    [[2, 6, 5, 3], [2, 3, 3, 2], 1, 'valid', 1],
    [[2, 4, 4, 6], [4, 4, 6, 2], 1, 'valid', 1], // 4x4 -> 1x1, like the networks' last layers
    [[1, 9, 9, 2], [3, 3, 2, 2], 1, 'same', 2],
  ];
  for (const [xs, fs_, s, pad, d] of cases) {
    const label = `conv2d x=${xs} f=${fs_} s=${s} pad=${pad} d=${d}`;
    if (d === 1) {
      await matchesCpu(label, [input(xs, 1), input(fs_, 2)],
        withGrads((x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, s, pad)));
    } else {
      // tfjs has no gradient for dilated conv2d; forward only.
      await matchesCpu(label, [input(xs, 1), input(fs_, 2)],
        (x, f) => [tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, s, pad, 'NHWC', d)]);
    }
  }
});

test('Conv2D in NCHW matches cpu', { skip: SKIP }, async () => {
  loadNativeBackend();
  await matchesCpu('conv2d NCHW', [input([2, 3, 7, 7], 5), input([3, 3, 3, 4], 6)],
    (x, f) => [tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same', 'NCHW')]);
});

test('conv2dTranspose (Conv2DBackpropInput as a forward op) and its gradients match cpu', { skip: SKIP }, async () => {
  loadNativeBackend();
  const cases: [number[], number[], number[], number, Pad][] = [
    // dy (input of the transposed conv), filter [kh, kw, outC, inC], output shape, stride, pad
    [[2, 1, 1, 5], [3, 3, 4, 5], [2, 3, 3, 4], 1, 'valid'], // the paper's 1x1 -> 3x3 first generator layer
    [[2, 3, 3, 4], [4, 4, 3, 4], [2, 7, 7, 3], 2, 1], // 3x3 -> 7x7, 4x4 stride 2 padding 1
    [[2, 7, 7, 3], [4, 4, 2, 3], [2, 14, 14, 2], 2, 'same'],
    [[2, 4, 4, 3], [3, 3, 2, 3], [2, 4, 4, 2], 1, 'same'],
  ];
  for (const [ys, fs_, out, s, pad] of cases) {
    await matchesCpu(`conv2dTranspose dy=${ys} f=${fs_} out=${out} s=${s} pad=${pad}`, [input(ys, 3), input(fs_, 4)],
      withGrads((y, f) => tf.conv2dTranspose(y as tf.Tensor4D, f as tf.Tensor4D, out as [number, number, number, number], s, pad)));
  }
});

test('FusedConv2D with bias and each fused activation matches cpu, prelu falls back', { skip: SKIP }, async () => {
  loadNativeBackend();
  const acts = ['linear', 'relu', 'leakyrelu', 'relu6', 'elu', 'sigmoid'] as const;
  for (const activation of acts) {
    await matchesCpu(`fused conv2d ${activation}`, [input([2, 8, 8, 3], 7), input([4, 4, 3, 5], 8), input([5], 9)],
      withGrads((x, f, b) => tf.fused.conv2d({
        x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 2, pad: 'same', bias: b, activation, leakyreluAlpha: 0.2,
      })));
  }
  // Scalar bias is broadcast to every channel.
  await matchesCpu('fused conv2d scalar bias', [input([2, 6, 6, 2], 10), input([3, 3, 2, 4], 11), input([1], 12)],
    (x, f, b) => [tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 1, pad: 'valid', bias: b, activation: 'relu' })]);
  const fell = await matchesCpu('fused conv2d prelu', [input([2, 6, 6, 2], 10), input([3, 3, 2, 4], 11), input([4], 12), input([4], 13)],
    (x, f, b, a) => [tf.fused.conv2d({
      x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 1, pad: 'same', bias: b, activation: 'prelu', preluActivationWeights: a,
    })], true);
  assert.equal(fell[tf.FusedConv2D]?.count, 1);
  assert.match(fell[tf.FusedConv2D]!.reason, /prelu/);
});

test('Conv3D forward and both gradients match cpu', { skip: SKIP }, async () => {
  loadNativeBackend();
  const cases: [number[], number[], number, 'same' | 'valid'][] = [
    [[2, 4, 5, 5, 2], [2, 3, 3, 2, 3], 1, 'same'],
    [[2, 5, 6, 6, 2], [3, 3, 3, 2, 3], 2, 'same'],
    [[1, 6, 7, 7, 3], [2, 4, 4, 3, 2], 2, 'valid'],
  ];
  for (const [xs, fs_, s, pad] of cases) {
    await matchesCpu(`conv3d x=${xs} f=${fs_} s=${s} pad=${pad}`, [input(xs, 14), input(fs_, 15)],
      withGrads((x, f) => tf.conv3d(x as tf.Tensor5D, f as tf.Tensor5D, s, pad)));
  }
  await matchesCpu('conv3dTranspose', [input([2, 3, 3, 3, 4], 16), input([3, 4, 4, 2, 4], 17)],
    (y, f) => [tf.conv3dTranspose(y as tf.Tensor5D, f as tf.Tensor5D, [2, 6, 6, 6, 2], 2, 'same')]);
});

test('MatMul / BatchMatMul with transposes and batch broadcast, and gradients, match cpu', { skip: SKIP }, async () => {
  loadNativeBackend();
  const cases: [number[], number[], boolean, boolean][] = [
    [[5, 7], [7, 3], false, false],
    [[7, 5], [7, 3], true, false],
    [[5, 7], [3, 7], false, true],
    [[7, 5], [3, 7], true, true],
    [[4, 5, 7], [4, 7, 3], false, false],
    [[4, 7, 5], [1, 3, 7], true, true],
    [[2, 3, 5, 7], [7, 6], false, false],
    [[5, 7], [2, 7, 6], false, false],
    [[64, 100], [100, 300], false, false],
  ];
  for (const [as, bs, ta, tb] of cases) {
    // tfjs 4.22's BatchMatMul gradient does not reduce over broadcast batch dims (it throws on
    // either backend), so broadcast cases are checked forward only.
    const broadcast = as.slice(0, -2).join() !== bs.slice(0, -2).join();
    const op = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b, ta, tb);
    await matchesCpu(`matMul a=${as} b=${bs} tA=${ta} tB=${tb}`, [input(as, 18), input(bs, 19)],
      broadcast ? (a, b) => [op(a, b)] : withGrads(op));
  }
});

test('_FusedMatMul with bias and activations matches cpu', { skip: SKIP }, async () => {
  loadNativeBackend();
  for (const activation of ['linear', 'relu', 'leakyrelu', 'elu', 'sigmoid', 'relu6'] as const) {
    await matchesCpu(`fused matMul ${activation}`, [input([6, 8], 20), input([8, 5], 21), input([5], 22)],
      withGrads((a, b, c) => tf.fused.matMul({ a, b, bias: c, activation, leakyreluAlpha: 0.1 })));
  }
  await matchesCpu('fused matMul transposed, [M, N] bias', [input([8, 6], 23), input([5, 8], 24), input([6, 5], 25)],
    (a, b, c) => [tf.fused.matMul({ a, b, bias: c, transposeA: true, transposeB: true, activation: 'relu' })]);
  await matchesCpu('fused matMul batched, scalar bias', [input([3, 6, 8], 26), input([3, 8, 5], 27), input([1], 28)],
    (a, b, c) => [tf.fused.matMul({ a, b, bias: c })]);
});

test('int32 matMul falls back to cpu and stays exact', { skip: SKIP }, async () => {
  loadNativeBackend();
  await tf.setBackend('native');
  resetNativeEngineStats();
  const c = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32'), tf.tensor2d([[5], [6]], [2, 1], 'int32')));
  assert.deepEqual(Array.from(c.dataSync()), [17, 39]);
  c.dispose();
  assert.equal(nativeEngineStats()!.fallbacks[tf.BatchMatMul]?.count, 1);
});

test('repeated training steps reuse primitives and leak no tensors', { skip: SKIP }, async () => {
  loadNativeBackend();
  await tf.setBackend('native');
  const x = tf.tensor(randoms(2 * 8 * 8 * 2, 30), [2, 8, 8, 2]);
  const w1 = tf.variable(tf.tensor(randoms(4 * 4 * 2 * 4, 31), [4, 4, 2, 4]).mul(0.3));
  const w2 = tf.variable(tf.tensor(randoms(4 * 4 * 3 * 4, 32), [4, 4, 3, 4]).mul(0.3));
  const opt = tf.train.sgd(0.01);
  const step = () =>
    opt.minimize(() => {
      const h = tf.leakyRelu(tf.conv2d(x as tf.Tensor4D, w1 as tf.Variable<tf.Rank.R4>, 2, 'same'), 0.2);
      const y = tf.conv2dTranspose(h as tf.Tensor4D, w2 as tf.Variable<tf.Rank.R4>, [2, 8, 8, 3], 2, 'same');
      const z = tf.matMul(tf.reshape(y, [2, -1]), tf.reshape(y, [2, -1]), false, true);
      return tf.mean(tf.square(z));
    });
  step();
  step();
  const before = tf.memory().numTensors;
  const misses = nativeEngineStats()!.cacheMisses;
  for (let i = 0; i < 5; i++) step();
  assert.equal(tf.memory().numTensors, before, 'tensor count grew across steps');
  assert.equal(nativeEngineStats()!.cacheMisses, misses, 'primitives were rebuilt for repeated shapes');
  assert.ok(nativeEngineStats()!.cacheHits > 0);
  tf.dispose([x, w1, w2]);
  opt.dispose();
});

test('unary elementwise kernels match cpu', { skip: SKIP }, async () => {
  loadNativeBackend();
  const x = input([3, 50, 70], 40); // 10500 values in [-1, 1); also a large one for the threaded path
  const big = input([150000], 41);
  const ops: [string, (t: tf.Tensor) => tf.Tensor][] = [
    ['relu', (t) => tf.relu(t)], ['leakyRelu', (t) => tf.leakyRelu(t, 0.2)], ['relu6', (t) => tf.relu6(tf.mul(t, 10))],
    ['elu', (t) => tf.elu(t)], ['sigmoid', (t) => tf.sigmoid(tf.mul(t, 8))], ['tanh', (t) => tf.tanh(tf.mul(t, 4))],
    ['softplus', (t) => tf.softplus(tf.mul(t, 30))], ['exp', (t) => tf.exp(tf.mul(t, 5))], ['log', (t) => tf.log(tf.abs(t))],
    ['log1p', (t) => tf.log1p(t)], ['sqrt', (t) => tf.sqrt(tf.abs(t))], ['rsqrt', (t) => tf.rsqrt(tf.add(tf.abs(t), 0.1))],
    ['square', (t) => tf.square(t)], ['neg', (t) => tf.neg(t)], ['step', (t) => tf.step(t, 0.3)],
    ['reciprocal', (t) => tf.reciprocal(tf.add(tf.abs(t), 0.5))],
  ];
  for (const [label, op] of ops) {
    await matchesCpu(`unary ${label}`, [x], (t) => [op(t)]);
  }
  await matchesCpu('unary large (threaded)', [big], (t) => [tf.tanh(t), tf.leakyRelu(t, 0.1), tf.sqrt(tf.abs(t))]);
  // NaN passes through relu and step as in the cpu kernels.
  await tf.setBackend('native');
  const nan = tf.tidy(() => [tf.relu(tf.tensor1d([NaN, -1, 2])), tf.step(tf.tensor1d([NaN, -1, 2]), 0.5)].map((t) => Array.from(t.dataSync())));
  assert.deepEqual(nan, [[NaN, 0, 2], [NaN, 0.5, 1]]);
});

test('binary elementwise kernels with broadcasting match cpu', { skip: SKIP }, async () => {
  loadNativeBackend();
  const shapes: [number[], number[]][] = [
    [[4, 5, 6], [4, 5, 6]], [[4, 5, 6], [6]], [[4, 5, 6], []], [[], [4, 5, 6]], [[4, 1, 6], [1, 5, 1]],
    [[2, 3, 4, 5], [2, 1, 4, 1]], [[2, 3, 4, 5], [3, 1, 1]], [[5, 1], [1, 7]], [[2, 1, 3, 5, 4], [1, 2, 1, 1, 4]],
    [[16, 7, 7, 16], [1, 1, 1, 16]], [[16, 7, 7, 16], [16, 1, 1, 1]], [[140000], [140000]],
  ];
  const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
    ['add', tf.add], ['sub', tf.sub], ['mul', tf.mul], ['div', (a, b) => tf.div(a, tf.add(tf.abs(b), 0.5))],
    ['squaredDifference', tf.squaredDifference], ['maximum', tf.maximum], ['minimum', tf.minimum],
  ];
  const cmps: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
    ['greater', tf.greater], ['greaterEqual', tf.greaterEqual], ['less', tf.less], ['lessEqual', tf.lessEqual],
    ['equal', tf.equal], ['notEqual', tf.notEqual],
  ];
  for (const [as, bs] of shapes) {
    await matchesCpu(`binary a=[${as}] b=[${bs}]`, [input(as, 42), input(bs, 43)], (a, b) => ops.map(([, op]) => op(a, b)));
    // Comparisons: round so that equal values occur; bool outputs compared as 0/1.
    await matchesCpu(`compare a=[${as}] b=[${bs}]`, [input(as, 44), input(bs, 45)], (a, b) => {
      const [ra, rb] = [tf.round(tf.mul(a, 2)), tf.round(tf.mul(b, 2))];
      return cmps.map(([, op]) => tf.cast(op(ra, rb), 'float32'));
    });
  }
  // More than 4 dims left after merging falls back (counted), still right.
  const fell = await matchesCpu('binary 5-d broadcast', [input([2, 1, 2, 1, 2], 46), input([1, 2, 1, 2, 1], 47)], (a, b) => [tf.mul(a, b)], true);
  assert.equal(fell[tf.Multiply]?.count, 1);
});

test('Sum, Mean, Max, Min over contiguous axes match cpu; others fall back', { skip: SKIP }, async () => {
  loadNativeBackend();
  const x = input([6, 5, 4, 3], 50);
  const axesList: (number | number[] | undefined)[] = [undefined, 0, 3, 1, [0, 1, 2], [1, 2], [2, 3], [-1], [0, 1, 2, 3]];
  for (const axis of axesList) {
    for (const keepDims of [false, true]) {
      await matchesCpu(`reduce axis=${JSON.stringify(axis)} keepDims=${keepDims}`, [x], (t) => [
        tf.sum(t, axis, keepDims), tf.mean(t, axis, keepDims), tf.max(t, axis, keepDims), tf.min(t, axis, keepDims),
      ]);
    }
  }
  await matchesCpu('reduce large (threaded)', [input([4, 100000], 51), input([50000, 16], 52)], (a, b) => [
    tf.sum(a, 1), tf.mean(a), tf.sum(a, 0), tf.min(a, 0), tf.sum(b, 0), tf.max(b, 0), tf.sum(b, 1),
  ]);
  const fell = await matchesCpu('reduce non-contiguous axes', [x], (t) => [tf.sum(t, [0, 2])], true);
  assert.equal(fell[tf.Sum]?.count, 1);
});

test('batch norm, moments and their gradients match cpu', { skip: SKIP }, async () => {
  loadNativeBackend();
  const inputs = [input([8, 5, 5, 6], 60), input([6], 61), input([6], 62)];
  await matchesCpu('batchNorm per channel + grads', inputs, withGrads((x, gamma, beta) => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return tf.batchNorm(x, mean, variance, beta, tf.add(gamma, 2), 1e-5);
  }));
  // Scalar parameters and no offset / scale.
  await matchesCpu('batchNorm scalar params', [input([4, 3, 2], 63)], (x) => [
    tf.batchNorm(x, tf.scalar(0.1), tf.scalar(2)), tf.batchNorm(x, tf.tensor1d([0.1, 0.2]), tf.tensor1d([1, 2]), tf.tensor1d([0.5, -0.5]), undefined, 0.01),
  ]);
});

test('select and tile match cpu', { skip: SKIP }, async () => {
  loadNativeBackend();
  await matchesCpu('where', [input([4, 6, 7], 70), input([4, 6, 7], 71)], (a, b) => [tf.where(tf.greater(a, b), tf.mul(a, 3), b)]);
  // relu's and leakyRelu's gradients run Step, Greater, Select and Multiply.
  await matchesCpu('relu / leakyRelu gradients', [input([4, 6, 7], 76)], withGrads((a) => tf.add(tf.leakyRelu(a, 0.2), tf.mul(tf.relu(a), 3))));
  // tf.where tiles the condition first: a bool Tile, which falls back.
  await matchesCpu('where with a broadcast condition', [input([5, 1], 72), input([5, 3], 73), input([5, 3], 74)], (c, t, e) => [tf.where(tf.greater(c, 0), t, e)], true);
  await matchesCpu('tile', [input([2, 3, 4], 75)], (x) => [tf.tile(x, [2, 1, 3]), tf.tile(x, [1, 4, 1]), tf.tile(x, [3, 2, 2])]);
  await matchesCpu('tile int32', [input([2, 3], 77)], (x) => [tf.cast(tf.tile(tf.cast(tf.mul(x, 100), 'int32'), [3, 2]), 'float32')]);
});

test('convolutions stay right while a sampling profiler signals the thread (oneDNN #4845)', { skip: SKIP }, async () => {
  // oneDNN 2.6's JIT sgemm moves rsp onto the heap; without the addon's signal mask, V8's sampling
  // profiler (SIGPROF every 50 µs here) corrupted results and the heap.
  loadNativeBackend();
  await tf.setBackend('native');
  const { Session } = await import('node:inspector');
  const x = tf.tensor(randoms(16 * 14 * 14 * 32, 80), [16, 14, 14, 32]);
  const w = tf.tensor(randoms(4 * 4 * 32 * 64, 81), [4, 4, 32, 64]);
  const run = () => tf.tidy(() => {
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 1))));
    return g([x, w]).map((t) => t.dataSync() as Float32Array);
  });
  const want = run();
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<void>((resolve, reject) => session.post(method, params ?? {}, (err) => (err ? reject(err) : resolve())));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 50 });
  await post('Profiler.start');
  try {
    for (let i = 0; i < 10; i++) {
      const got = run();
      for (let k = 0; k < 2; k++) assert.deepEqual(got[k], want[k], `iteration ${i}, gradient ${k} changed under profiling`);
    }
  } finally {
    await post('Profiler.stop');
    session.disconnect();
    tf.dispose([x, w]);
  }
});

test('output buffers are recycled only when no tensor and no dataSync() caller can see them', { skip: SKIP }, async () => {
  loadNativeBackend();
  await tf.setBackend('native');
  const backend = tf.backend() as NativeBackendCPU;
  const x = tf.tensor(randoms(4 * 1000, 90), [4, 1000]);
  // Recycled: a disposed output's buffer serves the next output of the same size.
  const hits0 = backend.poolHits;
  tf.relu(x).dispose();
  tf.relu(x).dispose();
  assert.ok(backend.poolHits > hits0, 'second relu did not reuse the first one\'s buffer');
  // Not recycled: values returned by dataSync() outlive the tensor.
  const t = tf.relu(x);
  const seen = t.dataSync();
  const copy = Float32Array.from(seen);
  t.dispose();
  for (let i = 0; i < 3; i++) tf.neg(x).dispose();
  assert.deepEqual(seen, copy);
  // Not recycled while another tensor views the same buffer (as cpu kernels may output a subarray of
  // their input: tfjs-backend-cpu's Slice does).
  const before = randoms(4 * 1000, 90).slice(0, 2000).map((v) => Math.max(0, v)); // relu(x)[:2], computed here
  const u = tf.relu(x);
  const view = (backend.data.get(u.dataId)!.values as Float32Array).subarray(0, 2000);
  const s = tf.engine().makeTensorFromTensorInfo(backend.makeTensorInfo([2, 1000], 'float32', view));
  u.dispose();
  const others = [tf.neg(x), tf.neg(x)];
  assert.deepEqual(s.dataSync(), before);
  tf.dispose([s, ...others]);
  // A user's own array given to tf.tensor is never taken over.
  const mine = randoms(4000, 91);
  const mineCopy = Float32Array.from(mine);
  tf.tensor(mine, [4, 1000]).dispose();
  for (let i = 0; i < 3; i++) tf.neg(x).dispose();
  assert.deepEqual(mine, mineCopy);
  x.dispose();
});

test('the buffer pool stays under its bound, dropping the sizes asked for least recently', { skip: SKIP }, async () => {
  loadNativeBackend();
  await tf.setBackend('native');
  const backend = tf.backend() as NativeBackendCPU;
  const saved = NativeBackendCPU.maxPoolBytes;
  backend.drainPool();
  NativeBackendCPU.maxPoolBytes = 40_000; // 2.5 buffers of 4000 floats
  try {
    const a = tf.tensor(randoms(4000, 92), [4000]);
    const b = tf.tensor(randoms(2000, 93), [2000]);
    const outs = [tf.neg(a), tf.neg(a), tf.neg(b), tf.neg(b)];
    // 2·16 kB + 2·8 kB = 48 kB offered: the last one does not fit, so the 4000-float class (asked for
    // first) is dropped.
    tf.dispose(outs);
    const hits = backend.poolHits;
    tf.neg(b).dispose();
    assert.equal(backend.poolHits, hits + 1, 'the recent size class should still be pooled');
    tf.neg(a).dispose();
    assert.equal(backend.poolHits, hits + 1, 'the older size class should have been evicted');
    tf.dispose([a, b]);
  } finally {
    NativeBackendCPU.maxPoolBytes = saved;
    backend.drainPool();
  }
});
