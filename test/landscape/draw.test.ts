import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { mapLandscape } from '../../lib/landscape/map';
import { drawLandscape } from '../../lib/landscape/draw';
import { isUserError } from '../../lib/errors';
import { jitteredStarts, wellsScore } from './wells';

tf.setBackend('cpu');

// Three wells in 4×4 "images": two near each other (one basin at the cut), one apart.
const C = [
  Array.from({ length: 16 }, (_, i) => (i < 8 ? 0.8 : -0.8)),
  Array.from({ length: 16 }, (_, i) => (i < 8 ? 0.8 : -0.8)).map((v, i) => (i === 0 ? -0.8 : v)),
  Array.from({ length: 16 }, (_, i) => (i % 2 ? 0.8 : -0.8)),
];

/** The pixels of a PNG data URI or buffer, first channel. */
async function pixels(png: string | Buffer): Promise<Buffer> {
  const buf = typeof png === 'string' ? Buffer.from(png.replace(/^data:image\/png;base64,/, ''), 'base64') : png;
  return sharp(buf).extractChannel(0).raw().toBuffer();
}

function svgImages(svg: string): string[] {
  return [...svg.matchAll(/<image [^>]*href="([^"]+)"/g)].map((m) => m[1]);
}

test('drawLandscape: members (or minima) under the columns, majority-class captions, the same pictures on hover', async () => {
  const score = wellsScore(C.map((center, k) => ({ center, amplitude: 3 - 0.5 * k, sigma: 0.6 })));
  const { points, labels } = jitteredStarts(C, 5, 0.05, 1);
  // Wells 0 and 1 share a basin at the cut (class 0); one of well 2's five starts is mislabelled (purity 4/5).
  const classes = labels.map((l) => (l === 2 ? 1 : 0));
  classes[10] = 0;
  const data = tf.tensor(points, [15, 4, 4, 1]);
  const r = await mapLandscape(score, { images: data, labels: classes }, { descent: { stepSize: 0.05, maxSteps: 3000, tol: 1e-3 }, cut: { basins: 2 }, minMembers: 1 });
  assert.deepEqual(r.cut.basins.map((b) => b.minima), [[0, 1], [2]]);
  const before = tf.memory().numTensors;

  const d = await drawLandscape(r, data, classes, { order: 'deepest-left', maxMembersShown: 4, classNames: ['zero', 'one'], title: 'wells', show: 'members' });
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
  assert.deepEqual(d.layout.leaves.map((l) => l.item), [0, 1]);
  assert.deepEqual(d.captions, ['zero · 100%', 'one · 80%']);
  // 10 and 5 members, at most 4 shown each.
  const shown = svgImages(d.svg);
  assert.equal(shown.length, 8);
  // The first picture of the first column is that basin's lowest member, gray levels of [−1, 1] → [0, 255].
  const raw = await pixels(shown[0].replace(/&amp;/g, '&'));
  const want = points[r.members[0][0]].map((v) => Math.round(((v + 1) / 2) * 255));
  raw.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1, `pixel ${i}: ${v} vs ${want[i]}`));
  // Hover: the column's pictures, the same as under it.
  const markers = d.figure.data[1] as { customdata: string[][]; text: string[] };
  assert.deepEqual(markers.customdata.flat(), shown.map((h) => h.replace(/&amp;/g, '&')));
  assert.match(markers.text[0], /zero: 10 of 10/);
  assert.ok(d.svg.includes('wells'));

  // Minima under the columns (the default): basin 0 holds two distinct minima, basin 1 one; deepest first.
  const m = await drawLandscape(r, data, undefined, { order: 'deepest-left' });
  assert.equal(m.shows, 'minima');
  assert.equal(svgImages(m.svg).length, 3);
  assert.deepEqual(m.captions, ['10', '5']);
  const minimum0 = Array.from(r.minima.minima.slice(0, 1).dataSync(), (v) => Math.round(((Math.max(-1, Math.min(1, v)) + 1) / 2) * 255));
  (await pixels(svgImages(m.svg)[0].replace(/&amp;/g, '&'))).forEach((v, i) => assert.ok(Math.abs(v - minimum0[i]) <= 1));

  await assert.rejects(drawLandscape(r, data.slice(0, 3)), (e) => isUserError(e) && /3 images for 15 mapped starts/.test(e.message));
  await assert.rejects(drawLandscape(r, data, [0, 1]), (e) => isUserError(e) && /2 labels/.test(e.message));
  const flat = data.reshape([15, 16]);
  await assert.rejects(drawLandscape(r, flat), (e) => isUserError(e) && /\[N, H, W, 1 or 3\]/.test(e.message));
  tf.dispose([flat, data, r.minima.minima]);
});

test('the static and the interactive graph show the same content: pictures under each column, class · purity below', async () => {
  const score = wellsScore(C.map((center, k) => ({ center, amplitude: 3 - 0.5 * k, sigma: 0.6 })));
  const { points, labels } = jitteredStarts(C, 5, 0.05, 1);
  const data = tf.tensor(points, [15, 4, 4, 1]);
  const r = await mapLandscape(score, { images: data, labels }, { descent: { stepSize: 0.05, maxSteps: 3000 }, cut: { epsilon: -0.5 }, minMembers: 1 });
  const before = tf.memory().numTensors;
  const d = await drawLandscape(r, data, labels, { classNames: ['a', 'b', 'c'] });
  assert.equal(tf.memory().numTensors, before);
  const cols = d.data.columns;
  assert.ok(cols.length >= 2);
  // Per column, the SVG's pictures (in column order) are the figure's thumbnails at that column.
  const thumbs = d.figure.layout.images as { source: string; x: number }[];
  const svg = svgImages(d.svg).map((h) => h.replace(/&amp;/g, '&'));
  assert.deepEqual(thumbs.map((t) => t.source), svg);
  const perColumn = cols.map((c) => thumbs.filter((t) => t.x === c.x).length);
  assert.deepEqual(perColumn, cols.map((c) => c.minima.length));
  // Captions: under the SVG's columns and as the figure's annotations.
  const notes = (d.figure.layout.annotations as { text: string }[]).map((a) => a.text);
  assert.deepEqual(notes, d.captions);
  assert.deepEqual(d.captions, cols.map((c) => c.caption));
  for (const c of d.captions) assert.ok(d.svg.includes(`>${c}<`), `caption ${c} in the SVG`);
  tf.dispose([data, r.minima.minima]);
});
