import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readCifarBatches, CIFAR10_FILES } from '../../lib/data/cifar';
import { loadDataset } from '../../lib/data/datasets';
import { isUserError } from '../../lib/errors';
import { cifarRecord, tmpDir, toUnit } from './helpers';

// pixel(c, p) = (7·i + 3·c + p) mod 256 for record i: every plane and position distinguishable.
const value = (i: number, c: number, p: number) => (7 * i + 3 * c + p) % 256;

function writeBatches(dir: string, perFile: number): void {
  let i = 0;
  for (const f of [...CIFAR10_FILES.train, ...CIFAR10_FILES.test]) {
    const recs = [];
    for (let k = 0; k < perFile; k++, i++) {
      const idx = i;
      recs.push(cifarRecord(idx % 10, (c, p) => value(idx, c, p)));
    }
    fs.writeFileSync(path.join(dir, f), Buffer.concat(recs));
  }
}

test('CIFAR-10 binary records: planar R, G, B → [N, 32, 32, 3] and labels', () => {
  const dir = tmpDir('cifar');
  const file = path.join(dir, 'b.bin');
  fs.writeFileSync(file, Buffer.concat([cifarRecord(3, (c, p) => value(0, c, p)), cifarRecord(9, (c, p) => value(1, c, p))]));
  const raw = readCifarBatches([file]);
  assert.deepEqual([raw.n, raw.h, raw.w, raw.c], [2, 32, 32, 3]);
  assert.deepEqual(Array.from(raw.labels!), [3, 9]);
  // Pixel (row 5, col 7) of image 1: p = 5·32 + 7.
  const p = 5 * 32 + 7;
  for (let c = 0; c < 3; c++) assert.equal(raw.pixels[(1 * 1024 + p) * 3 + c], value(1, c, p));
});

test('loadDataset("cifar10") reads the 5 train batches or the test batch from cifar-10-batches-bin/', async () => {
  const root = tmpDir('cifar-load');
  const dir = path.join(root, 'cifar-10-batches-bin');
  fs.mkdirSync(dir);
  writeBatches(dir, 2);
  fs.writeFileSync(path.join(dir, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n');
  const train = await loadDataset('cifar10', { dataDir: root });
  assert.deepEqual(train.images.shape, [10, 32, 32, 3]);
  assert.deepEqual(Array.from(train.labels!), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(train.classNames![3], 'cat');
  const v = train.images.dataSync();
  assert.ok(Math.abs(v[(4 * 1024 + 33) * 3 + 2] - toUnit(value(4, 2, 33))) < 1e-6);
  train.dispose();
  const test2 = await loadDataset('cifar10', { dataDir: root, split: 'test', channels: 1, imageSize: 16 });
  assert.deepEqual(test2.images.shape, [2, 16, 16, 1]);
  assert.deepEqual(Array.from(test2.labels!), [0, 1]);
  assert.match(test2.note, /resized 32×32 → 16×16/);
  assert.match(test2.note, /RGB converted to grayscale/);
  test2.dispose();
});

test('broken CIFAR batches: wrong size, bad label, missing file', async () => {
  const dir = tmpDir('cifar-bad');
  const bad = path.join(dir, 'bad.bin');
  fs.writeFileSync(bad, Buffer.alloc(3073 + 5));
  assert.throws(() => readCifarBatches([bad]), (e: Error) => isUserError(e) && e.message.includes(bad) && /not a multiple of the 3073-byte record/.test(e.message));
  const label = path.join(dir, 'label.bin');
  fs.writeFileSync(label, cifarRecord(42, () => 0));
  assert.throws(() => readCifarBatches([label]), /label 42/);
  fs.writeFileSync(path.join(dir, 'test_batch.bin'), cifarRecord(1, () => 0));
  const before = tf.memory().numTensors;
  await assert.rejects(loadDataset('cifar10', { dataDir: dir }), /CIFAR-10 train split incomplete .*missing data_batch_1\.bin/);
  await assert.rejects(loadDataset('cifar10', { dataDir: tmpDir('nothing') }), (e: Error) => isUserError(e) && /CIFAR-10 not found .*fetch\.ts cifar10/.test(e.message));
  assert.equal(tf.memory().numTensors, before);
});
