import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { decodeImages } from '../../lib/data/images';
import { loadDataset } from '../../lib/data/datasets';
import { isUserError } from '../../lib/errors';
import { tmpDir, toUnit } from './helpers';

const CACHE = tmpDir('cache');
process.env.DTRI_CACHE_DIR = CACHE;

/** A w×h RGB PNG whose pixel (r, c) is [base + r, base + 2c, base + 50]. */
async function writePng(file: string, w: number, h: number, base: number): Promise<void> {
  const px = Buffer.alloc(w * h * 3);
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) px.set([base + r, base + 2 * c, base + 50], (r * w + c) * 3);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toFile(file);
}

async function writeGrayPng(file: string, w: number, h: number, v: number): Promise<void> {
  await sharp(Buffer.alloc(w * h, v), { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w').png().toFile(file);
}

test('a PNG folder decodes exactly, in natural file order, with labels from class subfolders', async () => {
  const dir = tmpDir('png');
  await writePng(path.join(dir, 'cats', 'img10.png'), 4, 3, 30);
  await writePng(path.join(dir, 'cats', 'img2.png'), 4, 3, 20);
  await writePng(path.join(dir, 'dogs', 'a.png'), 4, 3, 10);
  const ds = await loadDataset(`folder:${dir}`);
  assert.deepEqual(ds.images.shape, [3, 3, 4, 3]);
  assert.deepEqual(ds.classNames, ['cats', 'dogs']);
  assert.deepEqual(Array.from(ds.labels!), [0, 0, 1]);
  const v = ds.images.dataSync();
  // Image 0 is img2.png (natural order): pixel (r=2, c=3) = [22, 26, 70].
  const at = (i: number, r: number, c: number) => Array.from(v.slice(((i * 3 + r) * 4 + c) * 3, ((i * 3 + r) * 4 + c) * 3 + 3));
  assert.deepEqual(at(0, 2, 3), [22, 26, 70].map(toUnit).map((x) => Math.fround(x)));
  assert.deepEqual(at(1, 0, 0), [30, 30, 80].map(toUnit).map((x) => Math.fround(x)));
  ds.dispose();
  await assert.rejects(loadDataset(`folder:${dir}`, { split: 'test' }), /has no test split .*train\/ and test\/ subfolders/);
});

test('JPEG folder with train/ and test/ subfolders; imageSize center-crops and resizes; channels convert', async () => {
  const dir = tmpDir('jpg');
  for (const [split, n] of [['train', 3], ['test', 2]] as const) {
    for (let i = 0; i < n; i++) {
      // A uniform color survives JPEG almost exactly, so values can be checked to ±3 levels.
      fs.mkdirSync(path.join(dir, split), { recursive: true });
      await sharp({ create: { width: 20, height: 10, channels: 3, background: { r: 200, g: 100 + 10 * i, b: 0 } } }).jpeg({ quality: 95 }).toFile(path.join(dir, split, `${i}.jpg`));
    }
  }
  const train = await loadDataset(`folder:${dir}`, { imageSize: 8 });
  assert.deepEqual(train.images.shape, [3, 8, 8, 3]);
  const px = Array.from(train.images.dataSync().slice(0, 3)).map((x) => Math.round((x + 1) * 127.5));
  [200, 100, 0].forEach((want, k) => assert.ok(Math.abs(px[k] - want) <= 3, `channel ${k}: ${px[k]} vs ${want}`));
  train.dispose();
  const test2 = await loadDataset(`folder:${dir}`, { split: 'test', channels: 1 });
  assert.deepEqual(test2.images.shape, [2, 10, 20, 1]);
  // RGB → gray is BT.601 luma, as in the in-memory loaders: 0.299·200 + 0.587·100 = 118.5 (JPEG: ±3).
  const g = (test2.images.dataSync()[0] + 1) * 127.5;
  assert.ok(Math.abs(g - 118.5) <= 3, `gray ${g}`);
  test2.dispose();
});

test('mixed sizes, mixed channels, corrupt and empty folders give one-line errors naming files and the fix', async () => {
  const mixed = tmpDir('mixed');
  await writePng(path.join(mixed, 'a.png'), 4, 4, 0);
  await writePng(path.join(mixed, 'b.png'), 5, 4, 0);
  const before = tf.memory().numTensors;
  await assert.rejects(loadDataset(`folder:${mixed}`), (e: Error) => isUserError(e) && /b\.png is 5×4 but .*a\.png is 4×4: pass imageSize/.test(e.message) && !e.message.includes('\n'));
  const ok = await loadDataset(`folder:${mixed}`, { imageSize: 4 });
  assert.deepEqual(ok.images.shape, [2, 4, 4, 3]);
  ok.dispose();

  const chans = tmpDir('chans');
  await writePng(path.join(chans, 'a.png'), 4, 4, 0);
  await writeGrayPng(path.join(chans, 'b.png'), 4, 4, 128);
  await assert.rejects(loadDataset(`folder:${chans}`), /b\.png is grayscale but .*a\.png is color: the folder mixes grayscale and color images: convert them to one kind/);
  const rgb = await loadDataset(`folder:${chans}`, { channels: 3 });
  assert.deepEqual(Array.from(rgb.images.dataSync().slice(48, 51)), [128, 128, 128].map((x) => Math.fround(toUnit(x))));
  rgb.dispose();

  const corrupt = tmpDir('corrupt');
  await sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } }).jpeg().toFile(path.join(corrupt, 'a.jpg'));
  const bytes = fs.readFileSync(path.join(corrupt, 'a.jpg'));
  fs.writeFileSync(path.join(corrupt, 'b.jpg'), bytes.subarray(0, Math.floor(bytes.length / 2)));
  await assert.rejects(loadDataset(`folder:${corrupt}`), (e: Error) => isUserError(e) && /cannot decode image .*b\.jpg/.test(e.message));
  fs.writeFileSync(path.join(corrupt, 'b.jpg'), 'not an image');
  await assert.rejects(loadDataset(`folder:${corrupt}`, { cache: false }), /cannot decode image .*b\.jpg/);

  await assert.rejects(loadDataset(`folder:${mixed}`, { maxBytes: 100 }), /2 images of 4×4×3 \(size of .*a\.png\) need 384 bytes as float32, over the 100 bytes limit: pass imageSize/);

  const empty = tmpDir('empty');
  fs.writeFileSync(path.join(empty, 'README.txt'), 'no images');
  await assert.rejects(loadDataset(`folder:${empty}`), /no images .* found in/);
  await assert.rejects(loadDataset(`folder:${path.join(empty, 'nope')}`), /folder .*nope does not exist/);
  assert.equal(tf.memory().numTensors, before);
});

test('decoded folders are cached in DTRI_CACHE_DIR; the key changes when a file changes', async () => {
  const dir = tmpDir('cached');
  for (let i = 0; i < 3; i++) await writePng(path.join(dir, `${i}.png`), 6, 6, 10 * i);
  const T0 = 1700000000; // whole seconds, so restoring the mtime below is exact
  fs.utimesSync(path.join(dir, '1.png'), T0, T0);
  const cacheFiles = () => fs.readdirSync(CACHE).filter((f) => f.startsWith('images-'));
  const n0 = cacheFiles().length;
  const a = await decodeImages(fs.readdirSync(dir).sort().map((f) => ({ file: path.join(dir, f) })), {});
  assert.equal(cacheFiles().length, n0 + 1);
  const b = await decodeImages(fs.readdirSync(dir).sort().map((f) => ({ file: path.join(dir, f) })), {});
  assert.deepEqual(b, a);
  assert.equal(cacheFiles().length, n0 + 1);
  // A cached decode is returned even if the image bytes are unreadable now, proving it came from the cache…
  const content = fs.readFileSync(path.join(dir, '1.png'));
  fs.writeFileSync(path.join(dir, '1.png'), Buffer.alloc(content.length, 0));
  fs.utimesSync(path.join(dir, '1.png'), T0, T0);
  const c = await decodeImages(['0.png', '1.png', '2.png'].map((f) => ({ file: path.join(dir, f) })), {});
  assert.deepEqual(c.pixels, a.pixels);
  // …and a changed mtime invalidates it.
  fs.utimesSync(path.join(dir, '1.png'), T0, T0 + 5);
  await assert.rejects(decodeImages(['0.png', '1.png', '2.png'].map((f) => ({ file: path.join(dir, f) })), {}), /cannot decode image .*1\.png/);
  // Different options are a different cache entry.
  const small = await decodeImages([{ file: path.join(dir, '0.png') }], { imageSize: 3 });
  assert.deepEqual([small.h, small.w], [3, 3]);
});
