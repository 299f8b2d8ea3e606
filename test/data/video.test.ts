import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../../lib/data/datasets';
import { findClips } from '../../lib/data/video';
import { tmpDir, toUnit } from './helpers';

process.env.DTRI_CACHE_DIR = tmpDir('video-cache');

/** A folder of `frames` 6×6 PNG frames, frame t uniformly gray 10·t + 100·clip. */
async function writeClip(dir: string, clip: number, frames: number): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  for (let t = 0; t < frames; t++) {
    const v = 10 * t + 100 * clip;
    await sharp({ create: { width: 6, height: 6, channels: 3, background: { r: v, g: v, b: v } } }).png().toFile(path.join(dir, `frame${t + 1}.png`));
  }
}

test('dyntex: one folder of frames per clip → [N, T, H, W, C], frames in natural order', async () => {
  const root = tmpDir('dyntex');
  await writeClip(path.join(root, 'clipA'), 0, 12); // frame10.png must come after frame9.png
  await writeClip(path.join(root, 'clipB'), 1, 10);
  const ds = await loadDataset('dyntex', { dataDir: root, frames: 10, imageSize: 4 });
  assert.deepEqual(ds.images.shape, [2, 10, 4, 4, 3]);
  assert.deepEqual(ds.classNames, ['clipA', 'clipB']);
  const v = ds.images.dataSync();
  const frameValue = (n: number, t: number) => v[((n * 10 + t) * 16) * 3];
  for (let t = 0; t < 10; t++) {
    assert.ok(Math.abs(frameValue(0, t) - toUnit(10 * t)) < 1e-6, `clip A frame ${t}`);
    assert.ok(Math.abs(frameValue(1, t) - toUnit(100 + 10 * t)) < 1e-6, `clip B frame ${t}`);
  }
  ds.dispose();
  const before = tf.memory().numTensors;
  await assert.rejects(loadDataset('dyntex', { dataDir: root, frames: 11 }), /clip clipB has 10 frames, fewer than the 11 asked for: pass frames: 10/);
  await assert.rejects(loadDataset('dyntex', { dataDir: root, split: 'test' }), /no test split/);
  assert.equal(tf.memory().numTensors, before);
});

test('an animated GIF is one clip; a folder of stills alone is one clip', async () => {
  const root = tmpDir('gif');
  const frames = await Promise.all([0, 1, 2].map((k) => sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 60 * k, g: 60 * k, b: 60 * k } } }).png().toBuffer()));
  await sharp(frames, { join: { animated: true } }).gif().toFile(path.join(root, 'anim.gif'));
  const clips = await findClips(root);
  assert.equal(clips.length, 1);
  assert.equal(clips[0].frames.length, 3);
  const ds = await loadDataset('dyntex', { dataDir: root, frames: 3, imageSize: 4, channels: 1 });
  assert.deepEqual(ds.images.shape, [1, 3, 4, 4, 1]);
  const v = ds.images.dataSync();
  // GIF palettes may shift gray levels slightly: frames must still increase by about 60 levels.
  for (let t = 0; t < 3; t++) assert.ok(Math.abs((v[t * 16] + 1) * 127.5 - 60 * t) <= 4, `frame ${t}`);
  ds.dispose();

  const stills = tmpDir('stills');
  await writeClip(stills, 0, 3);
  const one = await findClips(stills);
  assert.deepEqual([one.length, one[0].frames.length], [1, 3]);
});
