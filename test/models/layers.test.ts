import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import {
  BatchNorm,
  Conv2d,
  Conv3d,
  ConvTranspose2d,
  ConvTranspose3d,
  Dense,
  INIT_STD,
  Sequential,
  Activation,
  stopGradient,
} from '../../lib/models/layers';

tf.setBackend('cpu');

// ---------- direct reference implementations (PyTorch semantics, channels-last, any spatial rank) ----------

function* indices(shape: number[]): Generator<number[]> {
  const idx = shape.map(() => 0);
  const total = shape.reduce((a, b) => a * b, 1);
  for (let t = 0; t < total; t++) {
    yield idx.slice();
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
}
function offset(shape: number[], idx: number[]): number {
  let o = 0;
  for (let a = 0; a < shape.length; a++) o = o * shape[a] + idx[a];
  return o;
}

/** y[n, o…, co] = Σ x[n, o·s + k − p, ci] w[k…, ci, co]  (PyTorch Conv{2,3}d, zero padding). */
function refConv(x: Float32Array, xs: number[], w: Float32Array, ws: number[], s: number[], p: number[]) {
  const sp = xs.length - 2;
  const k = ws.slice(0, sp);
  const [cin, cout] = ws.slice(sp);
  const outSp = xs.slice(1, 1 + sp).map((n, a) => Math.floor((n + 2 * p[a] - k[a]) / s[a]) + 1);
  const ys = [xs[0], ...outSp, cout];
  const y = new Float64Array(ys.reduce((a, b) => a * b, 1));
  for (const yi of indices(ys.slice(0, -1))) {
    for (const ki of indices(k)) {
      const xi = yi.slice(1).map((o, a) => o * s[a] + ki[a] - p[a]);
      if (xi.some((v, a) => v < 0 || v >= xs[1 + a])) continue;
      for (let ci = 0; ci < cin; ci++) {
        const xv = x[offset(xs, [yi[0], ...xi, ci])];
        for (let co = 0; co < cout; co++) y[offset(ys, [...yi, co])] += xv * w[offset(ws, [...ki, ci, co])];
      }
    }
  }
  return { y, ys };
}

/** PyTorch ConvTranspose{2,3}d: full[n, i·s + k, co] += x[n, i, ci] w[k, co, ci]; out = full[p : p + outSize] (zeros past full). */
function refConvT(x: Float32Array, xs: number[], w: Float32Array, ws: number[], s: number[], p: number[], outSize: number[]) {
  const sp = xs.length - 2;
  const k = ws.slice(0, sp);
  const [cout, cin] = ws.slice(sp);
  const ys = [xs[0], ...outSize, cout];
  const y = new Float64Array(ys.reduce((a, b) => a * b, 1));
  for (const xi of indices(xs.slice(0, -1))) {
    for (const ki of indices(k)) {
      const yi = xi.slice(1).map((i, a) => i * s[a] + ki[a] - p[a]);
      if (yi.some((v, a) => v < 0 || v >= outSize[a])) continue;
      for (let ci = 0; ci < cin; ci++) {
        const xv = x[offset(xs, [...xi, ci])];
        for (let co = 0; co < cout; co++) y[offset(ys, [xi[0], ...yi, co])] += xv * w[offset(ws, [...ki, co, ci])];
      }
    }
  }
  return { y, ys };
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst <= tol, `${what}: max abs error ${worst} > ${tol}`);
}

function randomInput(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

// ---------- convolutions against the references ----------

test('Conv2d matches a direct PyTorch-semantics convolution (k3 s1 p1, k4 s2 p1, k3 s1 p0 on 3×3)', () => {
  const cases = [
    { x: [2, 6, 5, 3], k: 3, s: 1, p: 1, out: 4 },
    { x: [2, 7, 7, 2], k: 4, s: 2, p: 1, out: 3 }, // Table 6's 7 → 3
    { x: [1, 3, 3, 4], k: 3, s: 1, p: 0, out: 2 }, // Table 6's 3 → 1 head (our 3×3 choice)
  ];
  for (const [i, c] of cases.entries()) {
    const layer = new Conv2d(`t${i}`, { inChannels: c.x[3], outChannels: c.out, kernel: c.k, stride: c.s, padding: c.p, bias: false, seed: i });
    const x = randomInput(c.x, 10 + i);
    const y = layer.apply(x, false);
    const ref = refConv(x.dataSync() as Float32Array, c.x, layer.weight.dataSync() as Float32Array, layer.weight.shape, [c.s, c.s], [c.p, c.p]);
    assert.deepEqual(y.shape, ref.ys);
    assert.deepEqual(layer.outputShape(c.x.slice(1)), ref.ys.slice(1));
    assertClose(y.dataSync(), ref.y, 1e-5, `conv case ${i}`);
    tf.dispose([x, y]);
    layer.dispose();
  }
});

test('ConvTranspose2d with an explicit output size matches PyTorch ConvTranspose2d (output_padding)', () => {
  const cases = [
    { x: [2, 1, 1, 3], k: 3, s: 1, p: 0, size: 3 }, // Table 6: 1 → 3
    { x: [2, 3, 3, 2], k: 4, s: 2, p: 1, size: 7 }, // Table 6: 3 → 7, output_padding 1
    { x: [1, 7, 7, 2], k: 4, s: 2, p: 1, size: 14 }, // Table 6: 7 → 14, output_padding 0
    { x: [2, 5, 4, 2], k: 3, s: 1, p: 1, size: undefined }, // Table 5 output layer (same size)
    { x: [1, 3, 3, 1], k: 3, s: 2, p: 0, size: 8 }, // output_padding 1 with no padding: a zero row past the full output
  ];
  for (const [i, c] of cases.entries()) {
    const layer = new ConvTranspose2d(`t${i}`, { inChannels: c.x[3], outChannels: 3, kernel: c.k, stride: c.s, padding: c.p, outputSize: c.size, bias: false, seed: i });
    const x = randomInput(c.x, 20 + i);
    const y = layer.apply(x, false);
    const size = c.size ?? (c.x[1] - 1) * c.s - 2 * c.p + c.k;
    const sizeW = c.size ?? (c.x[2] - 1) * c.s - 2 * c.p + c.k;
    const ref = refConvT(x.dataSync() as Float32Array, c.x, layer.weight.dataSync() as Float32Array, layer.weight.shape, [c.s, c.s], [c.p, c.p], [size, sizeW]);
    assert.deepEqual(y.shape, ref.ys);
    assertClose(y.dataSync(), ref.y, 1e-5, `convT case ${i}`);
    tf.dispose([x, y]);
    layer.dispose();
  }
  const bad = new ConvTranspose2d('bad', { inChannels: 1, outChannels: 1, kernel: 4, stride: 2, padding: 1, outputSize: 9, seed: 0 });
  assert.throws(() => bad.outputShape([3, 3, 1]), /output size 9 unreachable from 3 .*gives 6 … 7/);
  bad.dispose();
});

test('Conv3d and ConvTranspose3d match the direct references (dynamic-texture geometries)', () => {
  const conv = new Conv3d('c3', { inChannels: 2, outChannels: 3, kernel: [4, 3, 3], stride: [2, 1, 2], padding: [1, 0, 1], bias: false, seed: 1 });
  const x = randomInput([1, 6, 4, 5, 2], 30);
  const y = conv.apply(x, false);
  const ref = refConv(x.dataSync() as Float32Array, x.shape, conv.weight.dataSync() as Float32Array, conv.weight.shape, [2, 1, 2], [1, 0, 1]);
  assert.deepEqual(y.shape, ref.ys);
  assertClose(y.dataSync(), ref.y, 1e-5, 'conv3d');

  // The dyntex generator's second layer: k5 s2 p2 with output_padding 1 (4 → 8), and its first (k4, s(2,1,1), p(1,0,0)).
  const cases = [
    { x: [1, 4, 4, 4, 2], k: [5, 5, 5], s: [2, 2, 2], p: [2, 2, 2], size: [8, 8, 8] },
    { x: [2, 2, 1, 1, 3], k: [4, 4, 4], s: [2, 1, 1], p: [1, 0, 0], size: undefined },
  ];
  for (const [i, c] of cases.entries()) {
    const t = new ConvTranspose3d(`t3_${i}`, { inChannels: c.x[4], outChannels: 2, kernel: c.k as [number, number, number], stride: c.s as [number, number, number], padding: c.p as [number, number, number], outputSize: c.size as [number, number, number] | undefined, bias: false, seed: 2 + i });
    const xt = randomInput(c.x, 31 + i);
    const yt = t.apply(xt, false);
    const size = c.size ?? [0, 1, 2].map((a) => (c.x[1 + a] - 1) * c.s[a] - 2 * c.p[a] + c.k[a]);
    const reft = refConvT(xt.dataSync() as Float32Array, c.x, t.weight.dataSync() as Float32Array, t.weight.shape, c.s, c.p, size);
    assert.deepEqual(yt.shape, reft.ys);
    assertClose(yt.dataSync(), reft.y, 1e-5, `convT3d case ${i}`);
    tf.dispose([xt, yt]);
    t.dispose();
  }
  tf.dispose([x, y]);
  conv.dispose();
});

test('ConvTranspose3d gradients (tfjs has none for Conv3DBackpropInputV2) match the reference, exactly for a bilinear map', () => {
  const t = new ConvTranspose3d('t', { inChannels: 2, outChannels: 2, kernel: [3, 2, 2], stride: [2, 1, 2], padding: [1, 0, 1], outputSize: [4, 3, 3], bias: false, seed: 9 });
  const x = randomInput([1, 2, 2, 2, 2], 35);
  const c = randomInput([1, 4, 3, 3, 2], 36); // L = Σ c ⊙ convT(x, W), bilinear in (x, W)
  const xs = x.shape;
  const ws = t.weight.shape;
  const L = (xv: Float32Array, wv: Float32Array) => {
    const { y } = refConvT(xv, xs, wv, ws, [2, 1, 2], [1, 0, 1], [4, 3, 3]);
    const cv = c.dataSync();
    return y.reduce((s, v, i) => s + v * cv[i], 0);
  };
  const unit = (n: number, i: number) => Float32Array.from({ length: n }, (_, j) => (j === i ? 1 : 0));
  const xv = x.dataSync() as Float32Array;
  const wv = t.weight.dataSync() as Float32Array;
  const dxRef = Array.from({ length: xv.length }, (_, i) => L(unit(xv.length, i), wv));
  const dwRef = Array.from({ length: wv.length }, (_, i) => L(xv, unit(wv.length, i)));
  const { grads, value } = tf.variableGrads(() => tf.sum(tf.mul(c, t.apply(x, true))) as tf.Scalar, [t.weight]);
  const gx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(c, t.apply(xx, true))))(x);
  assertClose(gx.dataSync(), dxRef, 1e-5, 'dL/dx');
  assertClose(grads[t.weight.name].dataSync(), dwRef, 1e-5, 'dL/dW');
  tf.dispose([x, c, gx, value, ...Object.values(grads)]);
  t.dispose();
});

test('Dense computes x W + b and biases start at zero', () => {
  const d = new Dense('d', { inFeatures: 3, outFeatures: 2, seed: 5 });
  const [w, b] = d.trainable();
  assert.deepEqual([w.name, b.name], ['d.w', 'd.b']);
  assert.deepEqual(Array.from(b.variable.dataSync()), [0, 0]);
  b.variable.assign(tf.tensor1d([0.5, -1]));
  const x = tf.tensor2d([[1, 2, 3], [-1, 0, 2]]);
  const y = d.apply(x, false);
  const W = w.variable.arraySync() as number[][];
  const X = x.arraySync();
  const expected = X.flatMap((row) => [0, 1].map((j) => row.reduce((s, v, i) => s + v * W[i][j], 0) + [0.5, -1][j]));
  assertClose(y.dataSync(), expected, 1e-6, 'dense');
  tf.dispose([x, y]);
  d.dispose();
});

// ---------- initialization ----------

test('init: weights N(0, 0.02) from (seed, name), deterministic; BN gamma N(1, 0.02), beta 0', () => {
  const a = new Conv2d('net.l0.conv', { inChannels: 64, outChannels: 64, kernel: 4, seed: 7 });
  const b = new Conv2d('net.l0.conv', { inChannels: 64, outChannels: 64, kernel: 4, seed: 7 });
  const c = new Conv2d('net.l0.conv', { inChannels: 64, outChannels: 64, kernel: 4, seed: 8 });
  const e = new Conv2d('net.l1.conv', { inChannels: 64, outChannels: 64, kernel: 4, seed: 7 });
  const va = Array.from(a.weight.dataSync());
  assert.deepEqual(va, Array.from(b.weight.dataSync()));
  assert.notDeepEqual(va, Array.from(c.weight.dataSync()));
  assert.notDeepEqual(va, Array.from(e.weight.dataSync()));
  const n = va.length; // 65,536 draws: the sample std is within ~0.3 % of σ (2 standard errors)
  const mean = va.reduce((s, v) => s + v, 0) / n;
  const std = Math.sqrt(va.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
  assert.ok(Math.abs(mean) < (4 * INIT_STD) / Math.sqrt(n), `mean ${mean}`); // 4 standard errors
  assert.ok(Math.abs(std / INIT_STD - 1) < 0.01, `std ${std}`);
  const bn = new BatchNorm('bn', { channels: 4096, seed: 1 });
  const g = Array.from(bn.gamma.dataSync());
  const gm = g.reduce((s, v) => s + v, 0) / g.length;
  const gs = Math.sqrt(g.reduce((s, v) => s + (v - gm) ** 2, 0) / g.length);
  assert.ok(Math.abs(gm - 1) < 0.002 && Math.abs(gs / INIT_STD - 1) < 0.05, `gamma mean ${gm} std ${gs}`);
  assert.ok(bn.beta.dataSync().every((v) => v === 0));
  assert.deepEqual(bn.buffers().map((nv) => nv.name), ['bn.mean', 'bn.var']);
  for (const m of [a, b, c, e, bn]) m.dispose();
});

// ---------- batch norm ----------

function bnReference(x: number[][], gamma: number[], beta: number[], mean: number[], variance: number[], eps: number) {
  return x.map((row) => row.map((v, j) => ((v - mean[j]) / Math.sqrt(variance[j] + eps)) * gamma[j] + beta[j]));
}
function columnStats(x: number[][]) {
  const n = x.length;
  const c = x[0].length;
  const mean = Array.from({ length: c }, (_, j) => x.reduce((s, r) => s + r[j], 0) / n);
  const biased = mean.map((m, j) => x.reduce((s, r) => s + (r[j] - m) ** 2, 0) / n);
  return { mean, biased, unbiased: biased.map((v) => (v * n) / (n - 1)) };
}

test('BatchNorm: training uses batch statistics and updates running stats; eval uses running stats', () => {
  const bn = new BatchNorm('bn', { channels: 3, seed: 3 });
  const x = tf.add(tf.mul(randomInput([4, 2, 2, 3], 40), 2), 1.5); // 16 rows per channel
  const rows = (tf.reshape(x, [-1, 3]).arraySync() as number[][]);
  const { mean, biased, unbiased } = columnStats(rows);
  const gamma = Array.from(bn.gamma.dataSync());
  const beta = [0, 0, 0];
  const y = bn.apply(x, true);
  assertClose(y.dataSync(), bnReference(rows, gamma, beta, mean, biased, 1e-5).flat(), 1e-4, 'train output');
  assertClose(bn.runningMean.dataSync(), mean.map((m) => 0.1 * m), 1e-5, 'running mean');
  assertClose(bn.runningVar.dataSync(), unbiased.map((v) => 0.9 + 0.1 * v), 1e-5, 'running var');
  const yEval = bn.apply(x, false);
  const rm = Array.from(bn.runningMean.dataSync());
  const rv = Array.from(bn.runningVar.dataSync());
  assertClose(yEval.dataSync(), bnReference(rows, gamma, beta, rm, rv, 1e-5).flat(), 1e-4, 'eval output');
  assertClose(bn.runningMean.dataSync(), rm, 0, 'eval leaves running mean');
  tf.dispose([x, y, yEval]);
  bn.dispose();
});

test('BatchNorm inside tf.variableGrads: closed-form gradients, one running-stat update per call, no leaks', () => {
  const bn = new BatchNorm('bn', { channels: 2, seed: 4 });
  const x = randomInput([5, 2], 41);
  const cw = randomInput([5, 2], 42); // loss = Σ cw ⊙ BN(x)
  const X = x.arraySync() as number[][];
  const C = cw.arraySync() as number[][];
  const { mean, biased } = columnStats(X);
  const xhat = X.map((r) => r.map((v, j) => (v - mean[j]) / Math.sqrt(biased[j] + 1e-5)));
  const gamma = Array.from(bn.gamma.dataSync());

  // dL/dγ_j = Σ_i c_ij x̂_ij, dL/dβ_j = Σ_i c_ij, and dL/dx = γ/σ (c − mean(c) − x̂ mean(c x̂)).
  const dGamma = [0, 1].map((j) => X.reduce((s, _, i) => s + C[i][j] * xhat[i][j], 0));
  const dBeta = [0, 1].map((j) => C.reduce((s, r) => s + r[j], 0));
  const n = X.length;
  const dX = X.map((_, i) => [0, 1].map((j) => {
    const mc = C.reduce((s, r) => s + r[j], 0) / n;
    const mcx = C.reduce((s, r, k) => s + r[j] * xhat[k][j], 0) / n;
    return (gamma[j] / Math.sqrt(biased[j] + 1e-5)) * (C[i][j] - mc - xhat[i][j] * mcx);
  }));

  const before = tf.memory().numTensors;
  for (let it = 0; it < 3; it++) {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(cw, bn.apply(x, true))) as tf.Scalar, [bn.gamma, bn.beta]);
    assertClose(grads[bn.gamma.name].dataSync(), dGamma, 1e-4, 'dγ');
    assertClose(grads[bn.beta.name].dataSync(), dBeta, 1e-5, 'dβ');
    tf.dispose([value, ...Object.values(grads)]);
    if (it === 0) assertClose(bn.runningMean.dataSync(), mean.map((m) => 0.1 * m), 1e-5, 'one update per call');
    assert.equal(tf.memory().numTensors, before, `tensor count after iteration ${it}`);
  }
  // After 3 calls the running mean is (1 − 0.9³)·mean.
  assertClose(bn.runningMean.dataSync(), mean.map((m) => (1 - 0.9 ** 3) * m), 1e-5, 'three updates');
  const gx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(cw, bn.apply(xx, true))))(x);
  assertClose(gx.dataSync(), dX.flat(), 1e-4, 'dx');
  tf.dispose([x, cw, gx]);
  bn.dispose();
});

// ---------- spectral norm ----------

/** Largest singular value of a [rows, cols] matrix with ml-matrix's SVD. */
function topSingularValue(rows: number[][]): number {
  return new SingularValueDecomposition(new Matrix(rows), { computeLeftSingularVectors: false, computeRightSingularVectors: false, autoTranspose: true }).diagonal[0];
}

test('spectral norm: σ converges to the top singular value (ml-matrix SVD); the effective weight has norm 1', () => {
  // Dense W [in, out]: the PyTorch view is the [out, in] matrix; singular values are the same.
  const d = new Dense('d', { inFeatures: 6, outFeatures: 4, spectralNorm: true, bias: false, seed: 11 });
  const W = d.weight.arraySync() as number[][];
  const sigmaTrue = topSingularValue(W);
  const sigma1 = (d.powerIterate(1), d.spectralSigma());
  assert.ok(sigma1 <= sigmaTrue * (1 + 1e-5), 'power iteration estimates from below');
  d.powerIterate(200);
  assert.ok(Math.abs(d.spectralSigma() / sigmaTrue - 1) < 1e-4, `σ ${d.spectralSigma()} vs SVD ${sigmaTrue}`);
  // Effective weight = output for the identity input (bias off), in eval mode (u fixed).
  const eye = tf.eye(6);
  const wEff = d.apply(eye, false).arraySync() as number[][];
  assert.ok(Math.abs(topSingularValue(wEff) - 1) < 1e-4, `‖W/σ‖₂ = ${topSingularValue(wEff)}`);
  eye.dispose();
  d.dispose();

  // Conv2d [kh, kw, in, out] → PyTorch's [out, in·kh·kw] matrix; ConvTranspose2d [kh, kw, out, in] → [out, in·kh·kw].
  const conv = new Conv2d('c', { inChannels: 2, outChannels: 5, kernel: 3, spectralNorm: true, seed: 12 });
  const cw = conv.weight.arraySync() as number[][][][];
  const convRows = [...Array(5).keys()].map((o) => cw.flatMap((r) => r.flatMap((cc) => cc.map((ci) => ci[o]))));
  conv.powerIterate(300);
  assert.ok(Math.abs(conv.spectralSigma() / topSingularValue(convRows) - 1) < 1e-4, 'conv σ');
  const convT = new ConvTranspose2d('t', { inChannels: 3, outChannels: 4, kernel: 2, spectralNorm: true, seed: 13 });
  const tw = convT.weight.arraySync() as number[][][][];
  const tRows = [...Array(4).keys()].map((o) => tw.flatMap((r) => r.flatMap((cc) => cc[o])));
  convT.powerIterate(300);
  assert.ok(Math.abs(convT.spectralSigma() / topSingularValue(tRows) - 1) < 1e-4, 'convT σ');
  conv.dispose();
  convT.dispose();
});

test('spectral norm: training forwards advance u once each; the gradient treats u, v as constants', () => {
  const d = new Dense('d', { inFeatures: 5, outFeatures: 3, spectralNorm: true, bias: false, seed: 14 });
  const x = randomInput([4, 5], 50);
  const u0 = Array.from(d.buffers()[0].variable.dataSync());
  const y = d.apply(x, false);
  assertClose(d.buffers()[0].variable.dataSync(), u0, 0, 'eval does not touch u');
  const y2 = d.apply(x, true);
  assert.notDeepEqual(Array.from(d.buffers()[0].variable.dataSync()), u0);

  // With u, v fixed, σ = vᵀ M u is linear in M and dσ/dM = v uᵀ, so for L = Σ x·(W/σ):
  // dL/dW = G/σ − (⟨G, W⟩/σ²) v uᵀ with G = xᵀ 1 (the gradient of Σ x W).
  const W = d.weight.arraySync() as number[][];
  const uBefore = tf.tensor1d(Array.from(d.buffers()[0].variable.dataSync()));
  const { grads, value } = tf.variableGrads(() => tf.sum(d.apply(x, true)) as tf.Scalar, [d.weight]);
  const uNew = Array.from(d.buffers()[0].variable.dataSync());
  const vNew = tf.tidy(() => {
    const mv = tf.matMul(d.weight, tf.reshape(uBefore, [-1, 1]));
    return Array.from(tf.div(mv, tf.norm(mv)).dataSync());
  });
  const sigma = W.reduce((s, row, i) => s + row.reduce((t, w, j) => t + vNew[i] * w * uNew[j], 0), 0);
  const colSum = (x.arraySync() as number[][]).reduce((acc, r) => acc.map((a, i) => a + r[i]), [0, 0, 0, 0, 0]);
  const G = colSum.map((c) => [c, c, c]);
  const gw = G.reduce((s, row, i) => s + row.reduce((t, g, j) => t + g * W[i][j], 0), 0);
  const expected = G.flatMap((row, i) => row.map((g, j) => g / sigma - (gw / sigma ** 2) * vNew[i] * uNew[j]));
  assertClose(grads[d.weight.name].dataSync(), expected, 1e-4, 'dL/dW');
  tf.dispose([x, y, y2, uBefore, value, ...Object.values(grads)]);
  d.dispose();
});

test('stopGradient passes values and blocks gradients', () => {
  const g = tf.grad((x: tf.Tensor) => tf.sum(tf.add(tf.mul(x, 2), stopGradient(tf.mul(x, x)))))(tf.tensor1d([1, 2, 3]));
  assert.deepEqual(Array.from(g.dataSync()), [2, 2, 2]);
  g.dispose();
});

test('Sequential with BN and SN: no tensor leaks across repeated training gradient steps', () => {
  const net = new Sequential('net', [
    new Conv2d('net.l0.conv', { inChannels: 2, outChannels: 3, kernel: 3, padding: 1, spectralNorm: true, bias: false, seed: 1 }),
    new BatchNorm('net.l0.bn', { channels: 3, seed: 1 }),
    new Activation('net.l0.act', 'lrelu'),
    new ConvTranspose2d('net.l1.convT', { inChannels: 3, outChannels: 1, kernel: 4, stride: 2, padding: 1, spectralNorm: true, seed: 1 }),
  ], [4, 4, 2]);
  assert.deepEqual(net.describe().map((r) => r.outputShape), [[4, 4, 3], [4, 4, 3], [4, 4, 3], [8, 8, 1]]);
  const x = randomInput([2, 4, 4, 2], 60);
  const vars = net.trainable().map((nv) => nv.variable);
  let count = -1;
  for (let it = 0; it < 4; it++) {
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(net.apply(x, true))) as tf.Scalar, vars);
    for (const v of vars) assert.ok(grads[v.name], `gradient for ${v.name}`);
    tf.dispose([value, ...Object.values(grads)]);
    const out = tf.tidy(() => net.apply(x, false));
    out.dispose();
    if (it === 1) count = tf.memory().numTensors;
    if (it > 1) assert.equal(tf.memory().numTensors, count, `tensor count at iteration ${it}`);
  }
  x.dispose();
  net.dispose();
});
