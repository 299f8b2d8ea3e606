import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { isUserError } from '../../lib/errors';
import { datasetNames, listDatasets, loadDataset } from '../../lib/data/datasets';
import { proceduralVideo } from '../../lib/data/procedural-video';

tf.setBackend('cpu');

const userError = (re: RegExp) => (e: unknown) => isUserError(e) && re.test((e as Error).message) && !(e as Error).message.includes('\n');

/** Frame t of clip 0 as [size][size] luma-ish values (channel mean). */
function frame(v: { data: Float32Array; shape: number[] }, t: number): Float64Array {
  const [, , h, w, c] = v.shape;
  const out = new Float64Array(h * w);
  const off = t * h * w * c;
  for (let i = 0; i < h * w; i++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += v.data[off + i * c + k];
    out[i] = s / c;
  }
  return out;
}

/** Mean squared difference between a and b shifted by (dx, dy), over the overlap. */
function shiftedMse(a: Float64Array, b: Float64Array, size: number, dx: number, dy: number): number {
  let s = 0;
  let n = 0;
  for (let y = Math.max(0, -dy); y < Math.min(size, size - dy); y++) {
    for (let x = Math.max(0, -dx); x < Math.min(size, size - dx); x++) {
      const d = b[(y + dy) * size + x + dx] - a[y * size + x];
      s += d * d;
      n++;
    }
  }
  return s / n;
}

test('procedural video: shape, range, determinism by seed, clips differ', () => {
  for (const kind of ['waves', 'clouds'] as const) {
    const a = proceduralVideo({ kind, clips: 2, frames: 4, size: 16, seed: 3 });
    assert.deepEqual(a.shape, [2, 4, 16, 16, 3]);
    assert.equal(a.data.length, 2 * 4 * 16 * 16 * 3);
    assert.ok(a.data.every((v) => v >= -1 && v <= 1), `${kind}: values in [-1, 1]`);
    const b = proceduralVideo({ kind, clips: 2, frames: 4, size: 16, seed: 3 });
    assert.deepEqual(a.data, b.data, `${kind}: same seed, same clip`);
    const c = proceduralVideo({ kind, clips: 1, frames: 4, size: 16, seed: 4 });
    assert.notDeepEqual(a.data.subarray(0, c.data.length), c.data, `${kind}: another seed, another clip`);
    const per = a.data.length / 2;
    assert.notDeepEqual(a.data.subarray(0, per), a.data.subarray(per), `${kind}: clips of one call differ`);
    // Clip n does not depend on how many clips were asked for.
    assert.deepEqual(a.data.subarray(0, per / 2), proceduralVideo({ kind, clips: 1, frames: 2, size: 16, seed: 3 }).data);
  }
});

test('procedural video: one channel is the BT.601 luma of the colour clip', () => {
  const rgb = proceduralVideo({ kind: 'waves', frames: 2, size: 8, seed: 1 });
  const gray = proceduralVideo({ kind: 'waves', frames: 2, size: 8, seed: 1, channels: 1 });
  assert.deepEqual(gray.shape, [1, 2, 8, 8, 1]);
  for (let i = 0; i < gray.data.length; i++) {
    const [r, g, b] = [0, 1, 2].map((k) => (rgb.data[3 * i + k] + 1) / 2);
    assert.ok(Math.abs(gray.data[i] - (2 * (0.299 * r + 0.587 * g + 0.114 * b) - 1)) < 1e-5);
  }
});

test('procedural video: clouds drift at 0.8 px/frame (best shift over 5 frames ≈ 4 px); waves move and stay stationary', () => {
  const size = 48;
  const v = proceduralVideo({ kind: 'clouds', frames: 6, size: 64, seed: 2 });
  const a = frame(v, 0);
  const b = frame(v, 5);
  let best = { dx: 0, dy: 0, mse: Infinity };
  for (let dy = -7; dy <= 7; dy++) {
    for (let dx = -7; dx <= 7; dx++) {
      const m = shiftedMse(a, b, 64, dx, dy);
      if (m < best.mse) best = { dx, dy, mse: m };
    }
  }
  const shift = Math.hypot(best.dx, best.dy);
  assert.ok(shift >= 3 && shift <= 5, `best shift (${best.dx}, ${best.dy}), |·| = ${shift.toFixed(2)}; expected ≈ 4`);
  assert.ok(best.mse < 0.25 * shiftedMse(a, b, 64, 0, 0), 'the shifted frame matches much better than the unshifted one');

  // Waves: consecutive frames are close, distant ones are not; the mean brightness is stationary.
  const w = proceduralVideo({ kind: 'waves', frames: 32, size, seed: 5 });
  const f = Array.from({ length: 32 }, (_, t) => frame(w, t));
  const near = shiftedMse(f[10], f[11], size, 0, 0);
  const far = shiftedMse(f[10], f[26], size, 0, 0);
  assert.ok(near > 0, 'the surface moves');
  assert.ok(near < 0.5 * far, `consecutive frames ${near.toFixed(4)} vs 16 apart ${far.toFixed(4)}`);
  const means = f.map((x) => x.reduce((s, p) => s + p, 0) / x.length);
  const mm = means.reduce((s, m) => s + m, 0) / means.length;
  const spreadOfMeans = Math.sqrt(means.reduce((s, m) => s + (m - mm) ** 2, 0) / means.length);
  const pixelStd = Math.sqrt(f[0].reduce((s, p) => s + (p - means[0]) ** 2, 0) / f[0].length);
  assert.ok(spreadOfMeans < 0.25 * pixelStd, `frame means vary ${spreadOfMeans.toFixed(4)}, pixels ${pixelStd.toFixed(4)}`);
});

test("loadDataset('procedural-video:<kind>'): options, note, registry, errors", async () => {
  const ds = await loadDataset('procedural-video:clouds', { limit: 2, frames: 5, imageSize: 12, channels: 1, seed: 9 });
  assert.deepEqual(ds.images.shape, [2, 5, 12, 12, 1]);
  assert.match(ds.note, /^Procedural dynamic texture, not DynTex/);
  assert.equal(ds.source, 'generated');
  const again = proceduralVideo({ kind: 'clouds', clips: 2, frames: 5, size: 12, channels: 1, seed: 9 });
  assert.deepEqual(ds.images.dataSync(), again.data);
  ds.dispose();
  const one = await loadDataset('procedural-video:waves', { frames: 2, imageSize: 8 });
  assert.deepEqual(one.images.shape, [1, 2, 8, 8, 3], 'one clip by default');
  one.dispose();
  assert.ok(datasetNames().includes('procedural-video:waves') && datasetNames().includes('procedural-video:clouds'));
  assert.ok(listDatasets().some((d) => d.name === 'procedural-video:clouds' && d.available));
  await assert.rejects(loadDataset('procedural-video:fire'), userError(/unknown procedural video "fire": use procedural-video:waves or procedural-video:clouds/));
  await assert.rejects(loadDataset('procedural-video:waves', { split: 'test' }), userError(/no test split/));
  await assert.rejects(loadDataset('procedural-video:waves', { frames: 0 }), userError(/frames must be a positive integer/));
  assert.throws(() => proceduralVideo({ kind: 'waves', channels: 2 as 1 }), userError(/channels must be 1 or 3/));
});
