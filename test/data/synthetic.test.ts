import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../../lib/data/datasets';
import { toy2dModes, toy2dSpec } from '../../lib/data/synthetic';

test('toy2d-ring8 / toy2d-grid25 modes are the standard ones', () => {
  const ring = toy2dModes('toy2d-ring8');
  assert.equal(ring.length, 8);
  for (const [x, y] of ring) assert.ok(Math.abs(Math.hypot(x, y) - 2) < 1e-12);
  assert.deepEqual(ring[0], [2, 0]);
  const grid = toy2dModes('toy2d-grid25');
  assert.equal(grid.length, 25);
  assert.deepEqual(grid[0], [-4, -4]);
  assert.deepEqual(grid[24], [4, 4]);
  assert.equal(toy2dSpec('toy2d-grid25').std, 0.05);
});

test('toy2d samples: [N, 2], each within a few std of its labelled mode, per-mode std and weights as specified', async () => {
  for (const name of ['toy2d-ring8', 'toy2d-grid25'] as const) {
    const ds = await loadDataset(name, { limit: 20000, seed: 3 });
    assert.deepEqual(ds.images.shape, [20000, 2]);
    const { modes, std } = toy2dSpec(name);
    const v = ds.images.dataSync();
    const counts = new Array(modes.length).fill(0);
    let ss = 0;
    for (let i = 0; i < 20000; i++) {
      const [mx, my] = modes[ds.labels![i]];
      const dx = v[2 * i] - mx;
      const dy = v[2 * i + 1] - my;
      assert.ok(Math.hypot(dx, dy) < 6 * std);
      ss += dx * dx + dy * dy;
      counts[ds.labels![i]]++;
    }
    // Sample std within 2% of the specified std (40,000 squared deviates: relative sd ≈ 0.35%).
    assert.ok(Math.abs(Math.sqrt(ss / 40000) / std - 1) < 0.02);
    const expected = 20000 / modes.length;
    for (const c of counts) assert.ok(Math.abs(c - expected) < 5 * Math.sqrt(expected));
    ds.dispose();
  }
  const a = await loadDataset('toy2d-ring8', { limit: 5, seed: 1 });
  const b = await loadDataset('toy2d-ring8', { limit: 5, seed: 1 });
  const t = await loadDataset('toy2d-ring8', { limit: 5, seed: 1, split: 'test' });
  assert.deepEqual(a.images.dataSync(), b.images.dataSync());
  assert.notDeepEqual(a.images.dataSync(), t.images.dataSync());
  tf.dispose([a.images, b.images, t.images]);
});

test('uniform-noise and constant OOD sets match the requested shape and range', async () => {
  const u = await loadDataset('uniform-noise', { limit: 50, imageSize: 16, channels: 3, seed: 2 });
  assert.deepEqual(u.images.shape, [50, 16, 16, 3]);
  const uv = u.images.dataSync();
  let mean = 0;
  for (const x of uv) {
    assert.ok(x >= -1 && x < 1);
    mean += x / uv.length;
  }
  // Uniform on [-1, 1]: mean 0, sd of the mean = (1/√3)/√38400 ≈ 0.003.
  assert.ok(Math.abs(mean) < 0.015);
  u.dispose();
  const c = await loadDataset('constant', { limit: 4, imageSize: 8, channels: 1 });
  assert.deepEqual(c.images.shape, [4, 8, 8, 1]);
  const cv = c.images.dataSync();
  const firsts = new Set<number>();
  for (let i = 0; i < 4; i++) {
    for (let p = 0; p < 64; p++) assert.equal(cv[i * 64 + p], cv[i * 64]);
    firsts.add(cv[i * 64]);
  }
  assert.equal(firsts.size, 4);
  c.dispose();
  const d = await loadDataset('constant');
  assert.deepEqual(d.images.shape, [10000, 32, 32, 3]);
  d.dispose();
});
