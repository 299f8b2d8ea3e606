import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { mapLandscape } from '../../lib/landscape/map';
import { layoutDisconnectivity } from '../../lib/landscape/layout';
import { disconnectivityMemberImages, disconnectivityMinimumImages } from '../../lib/landscape/images';
import { isUserError } from '../../lib/errors';
import { jitteredStarts, wellsScore } from './wells';

tf.setBackend('cpu');

// Three wells in 4×4 "images": two near each other (one basin at the cut), one apart.
const C = [
  Array.from({ length: 16 }, (_, i) => (i < 8 ? 0.8 : -0.8)),
  Array.from({ length: 16 }, (_, i) => (i < 8 ? 0.8 : -0.8)).map((v, i) => (i === 0 ? -0.8 : v)),
  Array.from({ length: 16 }, (_, i) => (i % 2 ? 0.8 : -0.8)),
];

test('member images: distinct minima deepest first, or the members themselves, as PNGs per column', async () => {
  const score = wellsScore(C.map((center, k) => ({ center, amplitude: 3 - 0.5 * k, sigma: 0.6 })));
  const { points } = jitteredStarts(C, 5, 0.05, 1);
  const data = tf.tensor(points, [15, 4, 4, 1]);
  const r = await mapLandscape(score, { images: data }, { descent: { stepSize: 0.05, maxSteps: 3000, tol: 1e-3 }, cut: { basins: 2 }, minMembers: 1 });
  assert.deepEqual(r.cut.basins.map((b) => b.minima), [[0, 1], [2]]);
  const layout = layoutDisconnectivity(r.cut.tree, { order: 'deepest-left', maxMembersShown: 4, minMembers: 1 });
  const minima = await disconnectivityMemberImages(r, layout);
  assert.deepEqual(minima.map((col) => col.length), [2, 1]);
  const members = await disconnectivityMemberImages(r, layout, { show: 'members', data });
  assert.deepEqual(members.map((col) => col.length), [4, 4]); // 10 and 5 members, at most 4 shown
  // The first member image of the first column is that member's data image, gray levels of [−1, 1] → [0, 255].
  const raw = await sharp(members[0][0]).extractChannel(0).raw().toBuffer();
  const want = points[r.members[0][0]].map((v) => Math.round(((v + 1) / 2) * 255));
  assert.equal(raw.length, 16);
  raw.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1, `pixel ${i}: ${v} vs ${want[i]}`));
  const thumbs = await disconnectivityMinimumImages(r, layout);
  assert.equal(thumbs.length, 2);
  assert.match(thumbs[0], /^data:image\/png;base64,/);
  await assert.rejects(disconnectivityMemberImages(r, layout, { show: 'members' }), (e) => isUserError(e) && /data/.test(e.message));
  r.minima.minima.dispose();
  data.dispose();
});
