import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { rawToFloat, resizeDataset, resizeImages } from '../../lib/data/transform';
import { makeImageDataset } from '../../lib/data/types';
import { isUserError } from '../../lib/errors';

test('rawToFloat: x/127.5 − 1, gray → RGB repeats, RGB → gray is BT.601 luma', () => {
  const gray = { pixels: Uint8Array.from([0, 255, 51, 204]), n: 2, h: 1, w: 2, c: 1 };
  assert.deepEqual(Array.from(rawToFloat(gray, [1])), [51 / 127.5 - 1, 204 / 127.5 - 1].map(Math.fround));
  assert.deepEqual(Array.from(rawToFloat(gray, [0], 3)), [-1, -1, -1, 1, 1, 1]);
  const rgb = { pixels: Uint8Array.from([255, 0, 0, 0, 0, 255]), n: 1, h: 1, w: 2, c: 3 };
  const g = rawToFloat(rgb, [0], 1);
  assert.ok(Math.abs(g[0] - ((0.299 * 255) / 127.5 - 1)) < 1e-6);
  assert.ok(Math.abs(g[1] - ((0.114 * 255) / 127.5 - 1)) < 1e-6);
});

test('resizeImages keeps constants constant, averages 2×2 blocks when halving, center-crops to the aspect ratio', () => {
  const c = tf.fill([2, 8, 6, 3], 0.25) as tf.Tensor4D;
  const r = resizeImages(c, 4, 4);
  assert.deepEqual(r.shape, [2, 4, 4, 3]);
  for (const v of r.dataSync()) assert.ok(Math.abs(v - 0.25) < 1e-6);
  // A 4×4 checkerboard halved: each output pixel is the mean of a 2×2 block = 0.5.
  const board = tf.tensor4d([1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1], [1, 4, 4, 1]);
  const half = resizeImages(board, 2, 2);
  for (const v of half.dataSync()) assert.ok(Math.abs(v - 0.5) < 1e-6);
  // A 2×4 image whose left and right quarters differ: center crop to 2×2 keeps the middle columns only.
  const wide = tf.tensor4d([9, 1, 2, 9, 9, 3, 4, 9], [1, 2, 4, 1]);
  assert.deepEqual(Array.from(resizeImages(wide, 2, 2).dataSync()), [1, 2, 3, 4]);
  tf.dispose([c, r, board, half, wide]);
});

test('resizeDataset matches an OOD set to a model shape (size and channels) and leaks nothing', () => {
  const before = tf.memory().numTensors;
  const ds = makeImageDataset({ name: 'x', images: tf.fill([3, 8, 8, 1], 0.5), labels: Int32Array.from([1, 2, 3]), note: 'Eight.', source: 'mem' });
  const r = resizeDataset(ds, [4, 4, 3]);
  assert.deepEqual(r.images.shape, [3, 4, 4, 3]);
  assert.deepEqual(r.labels, ds.labels);
  assert.match(r.note, /^Eight\. Then resized 8×8 → 4×4, grayscale → RGB\.$/);
  for (const v of r.images.dataSync()) assert.ok(Math.abs(v - 0.5) < 1e-6);
  const back = resizeDataset(r, [4, 4, 1]);
  for (const v of back.images.dataSync()) assert.ok(Math.abs(v - 0.5) < 1e-6); // luma weights sum to 1
  const video = makeImageDataset({ name: 'v', images: tf.zeros([2, 3, 8, 8, 3]), note: '', source: 'mem' });
  const rv = resizeDataset(video, [4, 4, 1]);
  assert.deepEqual(rv.images.shape, [2, 3, 4, 4, 1]);
  [ds, r, back, video, rv].forEach((d) => d.dispose());
  assert.equal(tf.memory().numTensors, before);
  const toy = makeImageDataset({ name: 'toy', images: tf.zeros([4, 2]), note: '', source: 'gen' });
  assert.throws(() => resizeDataset(toy, [4, 4, 1]), (e: Error) => isUserError(e) && /only image and video datasets/.test(e.message));
  toy.dispose();
  assert.equal(tf.memory().numTensors, before);
});
