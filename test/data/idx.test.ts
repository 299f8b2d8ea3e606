import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readIdx, readIdxImages } from '../../lib/data/idx';
import { loadDataset } from '../../lib/data/datasets';
import { isUserError } from '../../lib/errors';
import { tmpDir, toUnit, writeIdx } from './helpers';

const FASHION = '/usr/share/datasets/fashion-mnist';

/** Three 2×3 images: pixel value 40·i + p. */
function threeImages(dir: string, gzip: boolean, prefix = 'train') {
  const data = Array.from({ length: 18 }, (_, k) => 40 * Math.floor(k / 6) + (k % 6));
  writeIdx(path.join(dir, `${prefix}-images-idx3-ubyte${gzip ? '.gz' : ''}`), [3, 2, 3], data, gzip);
  writeIdx(path.join(dir, `${prefix}-labels-idx1-ubyte${gzip ? '.gz' : ''}`), [3], [7, 0, 3], gzip);
  return data;
}

test('IDX raw and gzipped decode to the same bytes and shape', () => {
  for (const gzip of [false, true]) {
    const dir = tmpDir('idx');
    const data = threeImages(dir, gzip);
    const suffix = gzip ? '.gz' : '';
    const im = readIdx(path.join(dir, `train-images-idx3-ubyte${suffix}`));
    assert.deepEqual(im.shape, [3, 2, 3]);
    assert.deepEqual(Array.from(im.data), data);
    const raw = readIdxImages(path.join(dir, `train-images-idx3-ubyte${suffix}`), path.join(dir, `train-labels-idx1-ubyte${suffix}`));
    assert.deepEqual([raw.n, raw.h, raw.w, raw.c], [3, 2, 3, 1]);
    assert.deepEqual(Array.from(raw.labels!), [7, 0, 3]);
  }
});

test('loadDataset reads IDX from dataDir as [N, H, W, 1] in [-1, 1] with labels', async () => {
  const dir = tmpDir('idx-load');
  const data = threeImages(dir, true);
  threeImages(dir, false, 't10k');
  const ds = await loadDataset('fashion-mnist', { dataDir: dir });
  assert.deepEqual(ds.images.shape, [3, 2, 3, 1]);
  const v = ds.images.dataSync();
  data.forEach((x, k) => assert.ok(Math.abs(v[k] - toUnit(x)) < 1e-6));
  assert.deepEqual(Array.from(ds.labels!), [7, 0, 3]);
  assert.equal(ds.classNames![7], 'Sneaker');
  assert.equal(ds.source, path.join(dir, 'train-images-idx3-ubyte.gz'));
  ds.dispose();
  const test = await loadDataset('fashion-mnist', { dataDir: dir, split: 'test', classes: [0, 3] });
  assert.deepEqual(Array.from(test.labels!), [0, 3]);
  test.dispose();
  // The npm-subset fallback must not hide a dataDir the user named.
  await assert.rejects(loadDataset('mnist', { dataDir: tmpDir('empty') }), (e: Error) => isUserError(e) && /MNIST not found/.test(e.message));
});

test('truncated, wrong-magic, corrupted-gzip and mismatched IDX files give one-line UserErrors naming the file', () => {
  const dir = tmpDir('idx-bad');
  const full = path.join(dir, 'full');
  writeIdx(full, [3, 2, 3], new Uint8Array(18));
  const cases: [string, Buffer, RegExp][] = [
    ['truncated', fs.readFileSync(full).subarray(0, 20), /truncated: header says 3×2×3 = 18 bytes, file has 4/],
    ['magic', Buffer.from([1, 2, 3, 4, 0, 0, 0, 0]), /is not an IDX file/],
    ['type', Buffer.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]), /element type 0xd is not unsigned byte/],
    ['badgz', Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.alloc(30, 7)]), /damaged gzip file/],
  ];
  for (const [name, bytes, re] of cases) {
    const f = path.join(dir, name);
    fs.writeFileSync(f, bytes);
    assert.throws(() => readIdx(f), (e: Error) => isUserError(e) && re.test(e.message) && e.message.includes(f) && !e.message.includes('\n'), name);
  }
  const labels = path.join(dir, 'labels');
  writeIdx(labels, [2], [1, 2]);
  assert.throws(() => readIdxImages(full, labels), /2 labels for 3 images/);
});

test('a failed load leaves no tensors behind', async () => {
  const dir = tmpDir('idx-leak');
  threeImages(dir, false);
  const before = tf.memory().numTensors;
  await assert.rejects(loadDataset('fashion-mnist', { dataDir: dir, classes: [5] }), /no examples left/);
  await assert.rejects(loadDataset('fashion-mnist', { dataDir: dir, classes: [12] }), /class 12 does not exist/);
  await assert.rejects(loadDataset('fashion-mnist', { dataDir: dir, maxBytes: 10 }), /need 72 bytes as float32, over the 10 bytes limit: pass limit/);
  assert.equal(tf.memory().numTensors, before);
});

test('real Fashion-MNIST from the Debian package: 60,000 + 10,000 images, 6,000 per class in train', { skip: !fs.existsSync(FASHION) && `${FASHION} absent (Debian package dataset-fashion-mnist)` }, async () => {
  const train = await loadDataset('fashion-mnist', { dataDir: FASHION });
  assert.deepEqual(train.images.shape, [60000, 28, 28, 1]);
  const counts = new Array(10).fill(0);
  for (const l of train.labels!) counts[l]++;
  assert.deepEqual(counts, new Array(10).fill(6000));
  // The first training image is an ankle boot (label 9), per the dataset's README figure order.
  assert.equal(train.labels![0], 9);
  const [lo, hi] = [train.images.min().dataSync()[0], train.images.max().dataSync()[0]];
  assert.deepEqual([lo, hi], [-1, 1]);
  train.dispose();
  const test2 = await loadDataset('fashion-mnist', { split: 'test', limit: 100 });
  assert.deepEqual(test2.images.shape, [100, 28, 28, 1]);
  test2.dispose();
});
