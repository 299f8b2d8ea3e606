import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { isUserError } from '../../lib/errors';
import { gramDistance, nearestNeighbourMse, textureFilters, textureGram, textureStatistics, motionEnergy, videoStatistics } from '../../lib/metrics/texture';

tf.setBackend('cpu');

const userError = (re: RegExp) => (e: unknown) => isUserError(e) && re.test((e as Error).message);

/** [1, size, size, 1] stripes of period `period` along x, phase `phase` (pixels). */
function stripes(size: number, period: number, phase = 0): tf.Tensor4D {
  const v = new Float32Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) v[y * size + x] = Math.sin((2 * Math.PI * (x + phase)) / period);
  return tf.tensor4d(v, [1, size, size, 1]);
}

test('textureGram: equals FᵀF/(H·W) of ReLU(valid conv) computed by direct loops', () => {
  const x = tf.randomUniform([2, 6, 5, 2], -1, 1, 'float32', 3);
  const opts = { seed: 4, filters: 3, scales: [2, 3] };
  const g = textureGram(x, opts);
  assert.deepEqual(g.shape, [2, 2, 3, 3]);
  const ws = textureFilters(2, opts);
  const xv = x.arraySync() as number[][][][];
  const gv = g.arraySync() as number[][][][];
  ws.forEach((w, s) => {
    const wv = w.arraySync() as number[][][][];
    const k = w.shape[0];
    // zero-mean filters
    for (let f = 0; f < 3; f++) {
      let sum = 0;
      for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) for (let c = 0; c < 2; c++) sum += wv[a][b][c][f];
      assert.ok(Math.abs(sum) < 1e-5);
    }
    for (let n = 0; n < 2; n++) {
      const feats: number[][] = [];
      for (let i = 0; i + k <= 6; i++) {
        for (let j = 0; j + k <= 5; j++) {
          const row: number[] = [];
          for (let f = 0; f < 3; f++) {
            let acc = 0;
            for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) for (let c = 0; c < 2; c++) acc += xv[n][i + a][j + b][c] * wv[a][b][c][f];
            row.push(Math.max(0, acc));
          }
          feats.push(row);
        }
      }
      for (let p = 0; p < 3; p++) {
        for (let q = 0; q < 3; q++) {
          const want = feats.reduce((acc, r) => acc + r[p] * r[q], 0) / feats.length;
          assert.ok(Math.abs(gv[n][s][p][q] - want) < 1e-5, `n${n} s${s} (${p},${q}): ${gv[n][s][p][q]} vs ${want}`);
        }
      }
    }
  });
  tf.dispose([x, g, ...ws]);
});

/** A stationary random texture: uniform noise box-filtered by k×k, standardized to std 1/3, [1, size, size, 1]. */
function boxNoise(seed: number, k: number, size = 64): tf.Tensor4D {
  return tf.tidy(() => {
    const n = tf.randomUniform([1, size + k - 1, size + k - 1, 1], -1, 1, 'float32', seed);
    const s = tf.avgPool(n as tf.Tensor4D, k, 1, 'valid');
    const m = tf.moments(s);
    return tf.clipByValue(tf.div(tf.sub(s, m.mean), tf.mul(tf.sqrt(m.variance), 3)), -1, 1) as tf.Tensor4D;
  });
}

test('gramDistance: 0 to itself; small between realizations of one texture, large across textures and for noise', () => {
  const before = tf.memory().numTensors;
  const a = boxNoise(1, 5);
  const same = [boxNoise(2, 5), boxNoise(3, 5)];
  const other = [boxNoise(2, 2), boxNoise(2, 9)];
  const white = tf.randomUniform([1, 64, 64, 1], -1, 1, 'float32', 4);
  assert.equal(gramDistance(a, a)[0], 0);
  // Measured: same process ≈ 0.11, box 2 ≈ 0.60, box 9 ≈ 0.52, white noise ≈ 3.7.
  const dSame = same.map((x) => gramDistance(x, a)[0]);
  const dOther = other.map((x) => gramDistance(x, a)[0]);
  const dWhite = gramDistance(white, a)[0];
  assert.ok(Math.max(...dSame) < 0.2, `same texture: ${dSame}`);
  assert.ok(Math.min(...dOther) > 3 * Math.max(...dSame), `other textures ${dOther} vs same ${dSame}`);
  assert.ok(dWhite > 10 * Math.max(...dSame), `white noise ${dWhite}`);
  // A 1-pixel shift of stripes (8-px period) barely moves the statistics.
  const [s0, s1] = [stripes(64, 8), stripes(64, 8, 1)];
  assert.ok(gramDistance(s1, s0)[0] < 0.05);
  // Several images at once, against a reference of two images of another size.
  const ref = tf.tidy(() => tf.concat([boxNoise(5, 5, 80), boxNoise(6, 5, 80)]));
  const both = tf.concat([same[0], white]);
  const d = gramDistance(both, ref);
  assert.equal(d.length, 2);
  assert.ok(d[0] < 0.2 && d[1] > 10 * d[0], `${d}`);
  const [rgb, tiny] = [tf.zeros([1, 32, 32, 3]), tf.zeros([1, 4, 4, 1])];
  assert.throws(() => gramDistance(a, rgb), userError(/1 channels vs the reference's 3/));
  assert.throws(() => textureGram(tiny, { scales: [5] }), userError(/must be integers from 1 to the image side 4/));
  tf.dispose([a, ...same, ...other, white, ref, both, s0, s1, rgb, tiny]);
  assert.equal(tf.memory().numTensors, before);
});

test('nearestNeighbourMse: closed form and the index of the nearest reference', () => {
  const ref = tf.randomUniform([4, 3, 3, 1], -1, 1, 'float32', 2);
  const x = tf.tidy(() => tf.concat([tf.add(tf.slice(ref, 2, 1), 0.1), tf.sub(tf.slice(ref, 0, 1), 0.2)]));
  const { mse, index } = nearestNeighbourMse(x, ref);
  assert.deepEqual(index, [2, 0]);
  assert.ok(Math.abs(mse[0] - 0.01) < 1e-5 && Math.abs(mse[1] - 0.04) < 1e-5, `${mse}`);
  assert.throws(() => nearestNeighbourMse(x, tf.zeros([1, 4, 4, 1])), userError(/differ/));
  tf.dispose([ref, x]);
});

test('textureStatistics: a stationary texture\'s halves sit far below matched noise; shifted copies score near the halves; copies are caught', () => {
  const original = stripes(32, 8);
  const shifted = tf.concat([stripes(32, 8, 3), stripes(32, 8, 5)]);
  const before = tf.memory().numTensors;
  const s = textureStatistics(shifted, original);
  assert.equal(tf.memory().numTensors, before);
  assert.ok(s.halves < 0.2 * s.noise, `halves ${s.halves} vs noise ${s.noise}`);
  assert.ok(s.samples < 0.2 * s.noise, `shifted stripes ${s.samples} vs noise ${s.noise}`);
  assert.ok(s.copyMse > 0.1, `shifted stripes are not copies: MSE ${s.copyMse}`);
  const copy = textureStatistics(original, original);
  assert.ok(copy.samples < 1e-6 && copy.copyMse < 1e-9);
  assert.throws(() => textureStatistics(shifted, shifted), userError(/one training image \[1, H, W, C\]/));
  tf.dispose([original, shifted]);
});

/** [1, T, size, size, 1] stripes moving by `speed` pixels per frame. */
function movingStripes(frames: number, size: number, period: number, speed: number): tf.Tensor {
  return tf.tidy(() => tf.expandDims(tf.concat(Array.from({ length: frames }, (_, t) => stripes(size, period, speed * t))), 0));
}

test('motionEnergy and videoStatistics: frozen clips have no motion, moving ones the training rate; replays are caught; no tensor leak', () => {
  const train = movingStripes(8, 24, 8, 1);
  const frozen = tf.tidy(() => tf.tile(tf.slice(train, [0, 0], [1, 1]), [1, 8, 1, 1, 1]));
  const moving = movingStripes(8, 24, 8, 1);
  assert.equal(motionEnergy(frozen), 0);
  assert.ok(motionEnergy(moving) > 0.1);
  const before = tf.memory().numTensors;
  const replay = videoStatistics(moving, train, { gramStride: 2 });
  assert.equal(tf.memory().numTensors, before);
  assert.ok(replay.nearestFrameMse < 1e-9, 'the same clip replays training frames');
  assert.ok(Math.abs(replay.motionGenerated - replay.motionTraining) < 1e-6);
  assert.ok(replay.gramGenerated < 0.3 * replay.gramNoise && replay.gramHalves < 0.3 * replay.gramNoise, JSON.stringify(replay));
  const f = videoStatistics(frozen, train);
  assert.equal(f.motionGenerated, 0);
  assert.throws(() => videoStatistics(tf.zeros([1, 2, 4, 4, 1]), tf.zeros([1, 2, 4, 4, 1]), { gramStride: 4 }), userError(/lower gramStride/));
  assert.throws(() => motionEnergy(tf.zeros([2, 4, 4, 1])), userError(/\[N, T ≥ 2, H, W, C\]/));
  tf.dispose([train, frozen, moving]);
});
