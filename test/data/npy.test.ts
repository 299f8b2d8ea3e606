import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseNpy, readNpy, readNpz } from '../../lib/data/npy';
import { ZipReader } from '../../lib/data/zip';
import { loadDataset } from '../../lib/data/datasets';
import { isUserError } from '../../lib/errors';
import { FIXTURES, npyBuffer, tmpDir, toUnit, zipBuffer } from './helpers';

// Fixtures written by NumPy 1.24 (test/data/fixtures/make_fixtures.py).
test('.npy written by NumPy: big-endian float64, version-2 header int16', () => {
  const a = readNpy(path.join(FIXTURES, 'big_endian_f8.npy'));
  assert.equal(a.dtype, 'f8');
  assert.deepEqual(a.shape, [2, 2]);
  assert.deepEqual(Array.from(a.data), [1.5, -2.25, 3.0, 1e10]);
  const b = readNpy(path.join(FIXTURES, 'v2_i2.npy'));
  assert.deepEqual(b.shape, [3]);
  assert.deepEqual(Array.from(b.data), [-3, 7, 32767]);
});

test('.npz written by np.savez_compressed (deflate) and np.savez (stored)', () => {
  const z = readNpz(path.join(FIXTURES, 'imagenet_like.npz'));
  assert.deepEqual(Object.keys(z).sort(), ['data', 'labels', 'mean']);
  assert.deepEqual(z.data.shape, [3, 12]);
  assert.equal(z.data.dtype, 'u1');
  assert.equal(z.data.data[1 * 12 + 2 * 4 + 3], 100 * 2 + 10 * 1 + 3);
  assert.deepEqual(Array.from(z.labels.data), [1, 5, 1000]);
  const s = readNpz(path.join(FIXTURES, 'stored.npz'), ['a']);
  assert.deepEqual(s.a.shape, [2, 3]);
  assert.deepEqual(Array.from(s.a.data), [0, 1, 2, 3, 4, 5]);
});

test('hand-written .npy and ZIP round-trip through the readers', () => {
  const bytes = Buffer.from(new Float32Array([0.5, -1, 2]).buffer);
  const arr = parseNpy(npyBuffer('<f4', [3], bytes), 'x.npy');
  assert.deepEqual(Array.from(arr.data), [0.5, -1, 2]);
  const dir = tmpDir('zip');
  const file = path.join(dir, 'a.zip');
  fs.writeFileSync(file, zipBuffer([{ name: 'one.npy', data: npyBuffer('|u1', [2, 2], Buffer.from([1, 2, 3, 4])) }, { name: 'two.npy', data: npyBuffer('<f4', [3], bytes), deflate: true }]));
  const r = readNpz(file);
  assert.deepEqual(Array.from(r.one.data), [1, 2, 3, 4]);
  assert.deepEqual(Array.from(r.two.data), [0.5, -1, 2]);
});

test('broken .npy / .npz: bad magic, truncated data, pickled objects, Fortran order, missing key, truncated or corrupted zip', () => {
  const good = npyBuffer('<f4', [4], Buffer.alloc(16));
  const cases: [Buffer, RegExp][] = [
    [Buffer.from('not numpy at all'), /is not a \.npy array/],
    [good.subarray(0, good.length - 3), /truncated: shape \(4\) of <f4 needs 16 bytes, found 13/],
    [npyBuffer('|O', [2], Buffer.alloc(16)), /pickled object array/],
    [Buffer.from(npyBuffer('<f4', [2, 2], Buffer.alloc(16)).toString('latin1').replace("'fortran_order': False", "'fortran_order': True "), 'latin1'), /Fortran order/],
    [npyBuffer('<c8', [1], Buffer.alloc(8)), /unsupported dtype '<c8'/],
  ];
  for (const [buf, re] of cases) assert.throws(() => parseNpy(buf, 'bad.npy'), (e: Error) => isUserError(e) && re.test(e.message) && e.message.includes('bad.npy'), String(re));

  const dir = tmpDir('npz-bad');
  const src = fs.readFileSync(path.join(FIXTURES, 'imagenet_like.npz'));
  const cut = path.join(dir, 'cut.npz');
  fs.writeFileSync(cut, src.subarray(0, src.length - 30));
  assert.throws(() => readNpz(cut), (e: Error) => isUserError(e) && e.message.includes(cut) && /not a ZIP archive or is truncated/.test(e.message));
  assert.throws(() => readNpz(path.join(FIXTURES, 'imagenet_like.npz'), ['images']), /has no array 'images' \(it has data, labels, mean\)/);
  // Flip bytes inside the first compressed entry: the inflate or the CRC-32 check must catch it.
  const zr = ZipReader.open(path.join(FIXTURES, 'imagenet_like.npz'));
  const first = zr.entries[0];
  zr.close();
  const corrupt = Buffer.from(src);
  const start = first.localHeaderOffset + 30 + first.name.length + 20;
  for (let i = 0; i < 8; i++) corrupt[start + 8 + i] ^= 0x5a;
  const bad = path.join(dir, 'bad.npz');
  fs.writeFileSync(bad, corrupt);
  assert.throws(() => readNpz(bad), (e: Error) => isUserError(e) && /damaged/.test(e.message) && e.message.includes(bad));
});

test('loadDataset("imagenet32") reads npz batches: planar rows → NHWC, labels 1-based → 0-based', async () => {
  const root = tmpDir('imagenet');
  fs.mkdirSync(path.join(root, 'Imagenet32_train_npz'));
  fs.mkdirSync(path.join(root, 'Imagenet32_val_npz'));
  fs.copyFileSync(path.join(FIXTURES, 'imagenet_like.npz'), path.join(root, 'Imagenet32_train_npz', 'train_data_batch_1.npz'));
  fs.copyFileSync(path.join(FIXTURES, 'imagenet_like.npz'), path.join(root, 'Imagenet32_train_npz', 'train_data_batch_2.npz'));
  fs.copyFileSync(path.join(FIXTURES, 'imagenet_like.npz'), path.join(root, 'Imagenet32_val_npz', 'val_data.npz'));
  const ds = await loadDataset('imagenet32', { dataDir: root });
  assert.deepEqual(ds.images.shape, [6, 2, 2, 3]);
  assert.deepEqual(Array.from(ds.labels!), [0, 4, 999, 0, 4, 999]);
  const v = ds.images.dataSync();
  // image 1, pixel 3, channel 2 = 100·2 + 10·1 + 3
  assert.ok(Math.abs(v[(1 * 4 + 3) * 3 + 2] - toUnit(213)) < 1e-6);
  ds.dispose();
  const some = await loadDataset('imagenet32', { dataDir: root, limit: 4, excludeClasses: [4] });
  assert.deepEqual(Array.from(some.labels!), [0, 999, 0, 999]);
  some.dispose();
  const val = await loadDataset('imagenet32', { dataDir: root, split: 'test', classes: [999] });
  assert.deepEqual(val.images.shape, [1, 2, 2, 3]);
  val.dispose();
  const before = tf.memory().numTensors;
  await assert.rejects(loadDataset('imagenet32', { dataDir: tmpDir('none') }), /Downsampled ImageNet 32×32 not found/);
  assert.equal(tf.memory().numTensors, before);
});
