import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { imageGrid, interpolationGrid, reconstructionGrid, recoveryGrid } from '../../lib/viz/grid';
import { isUserError } from '../../lib/errors';

/** The PNG's stored channel count, and its pixels as gray (first channel) or RGB. */
async function decode(png: Buffer): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { channels } = await sharp(png).metadata();
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  if (channels === 1 && info.channels !== 1) {
    const gray = Buffer.alloc(info.width * info.height);
    for (let i = 0; i < gray.length; i++) gray[i] = data[i * info.channels];
    return { data: gray, width: info.width, height: info.height, channels: 1 };
  }
  return { data, width: info.width, height: info.height, channels: channels ?? info.channels };
}

test('imageGrid lays cells out with padding and maps [-1, 1] to 0..255 without blur', async () => {
  // 3 images of 2×2: constant −1, 0, +1
  const x = tf.tidy(() => tf.tensor1d([-1, 0, 1]).reshape([3, 1, 1, 1]).tile([1, 2, 2, 1]));
  const before = tf.memory().numTensors;
  const png = await imageGrid(x, { cols: 2, padding: 1, scale: 3, background: 200 });
  assert.equal(tf.memory().numTensors, before);
  const img = await decode(png);
  assert.equal(img.channels, 1, 'gray images give a gray PNG');
  // width = pad + 2·(6 + pad), height = pad + 2 rows·(6 + pad)
  assert.deepEqual([img.width, img.height], [15, 15]);
  const at = (x0: number, y0: number) => img.data[y0 * img.width + x0];
  assert.equal(at(1, 1), 0); // first cell, −1
  assert.equal(at(6, 6), 0); // still inside the 6×6 cell: nearest-neighbour upscaling
  assert.equal(at(8, 1), 128); // second cell, 0 → 127.5 rounds to 128
  assert.equal(at(1, 8), 255); // second row, +1
  assert.equal(at(0, 0), 200); // padding
  assert.equal(at(8 + 3, 8 + 3), 200, 'the empty last cell is background');
  x.dispose();
});

test('row and column labels widen the grid and draw dark text pixels; masks paint missing pixels', async () => {
  const flat = [new Float32Array(16).fill(1), new Float32Array(16).fill(1)]; // 4×4 white, flat arrays
  const plain = await decode(await imageGrid(flat, { cols: 2, scale: 2 }));
  const labelled = await decode(await imageGrid(flat, { cols: 2, scale: 2, labels: ['reconstruction'], colLabels: ['a', 'b'] }));
  assert.ok(labelled.width > plain.width + 50 && labelled.height > plain.height);
  const leftMargin = labelled.width - plain.width;
  let dark = 0;
  for (let y = 0; y < labelled.height; y++) for (let x = 0; x < leftMargin; x++) if (labelled.data[y * labelled.width + x] < 128) dark++;
  assert.equal(labelled.channels, 1);
  assert.ok(dark > 20, `label text drawn (${dark} dark pixels)`);

  const mask = [Float32Array.from({ length: 16 }, (_, i) => (i < 8 ? 1 : 0)), new Float32Array(16).fill(1)];
  const masked = await decode(await imageGrid(flat, { cols: 2, scale: 1, padding: 0, masks: mask, maskColor: [10, 20, 30] }));
  assert.equal(masked.channels, 3);
  const px = (x0: number, y0: number) => Array.from(masked.data.subarray((y0 * masked.width + x0) * 3, (y0 * masked.width + x0) * 3 + 3));
  assert.deepEqual(px(0, 0), [255, 255, 255]); // observed row
  assert.deepEqual(px(0, 3), [10, 20, 30]); // missing row
  assert.deepEqual(px(4, 3), [255, 255, 255]); // the second image has no missing pixels
});

test('reconstruction, interpolation and recovery grids have the expected rows', async () => {
  const x = tf.zeros([7, 4, 4, 1]);
  const mask = tf.ones([7, 4, 4, 1]);
  const before = tf.memory().numTensors;
  // 7 images in rows of 3: 3 chunks × (original, reconstruction) = 6 rows
  const rec = await decode(await reconstructionGrid(x, x, { cols: 3, scale: 1, padding: 1 }));
  const noLabels = await decode(await imageGrid(tf.zeros([18, 4, 4, 1]), { cols: 3, scale: 1, padding: 1 }));
  assert.equal(rec.height, noLabels.height);
  const frames = tf.zeros([2, 5, 4, 4, 1]);
  const interp = await decode(await interpolationGrid(frames, { scale: 1, padding: 0 }));
  assert.deepEqual([interp.width, interp.height], [20, 8]);
  const recov = await decode(await recoveryGrid(x, mask, { VAE: x, ours: x }, { scale: 1, padding: 0 }));
  assert.equal(recov.height, 4 * 4, 'original, observed, VAE, ours');
  tf.dispose(frames);
  assert.equal(tf.memory().numTensors, before + 1, 'only the test tensor made inline remains');
  await assert.rejects(recoveryGrid(x, mask, { bad: tf.zeros([2, 4, 4, 1]) }), (e) => isUserError(e) && /"bad"/.test(e.message));
  await assert.rejects(imageGrid(tf.zeros([2, 4, 4, 2])), (e) => isUserError(e) && /1 or 3/.test(e.message));
  await assert.rejects(imageGrid([new Float32Array(10)]), (e) => isUserError(e) && /pass shape/.test(e.message));
  await assert.rejects(imageGrid(x, { cols: 3, labels: ['one'] }), (e) => isUserError(e) && /1 row labels for 3 rows/.test(e.message));
  tf.disposeVariables();
});
