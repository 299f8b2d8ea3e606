import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mapLandscape } from '../../lib/landscape/map';
import { disconnectivityData } from '../../lib/landscape/graph';
import { barrierPath, basinContents } from '../../lib/landscape/explore';
import { linearBarriers } from '../../lib/landscape/barriers';
import { isUserError } from '../../lib/errors';
import { type Cone, conesEnergy, conesScore, jitteredStarts } from './wells';

tf.setBackend('cpu');

// Two classes of two cones each: the pairs join at ≈ −4.4, the classes at ≈ −2 (see map.test.ts).
const CONES: Cone[] = [
  { center: [-3, 0], slope: 1, depth: -5 },
  { center: [-3, 1], slope: 1, depth: -4.8 },
  { center: [3, 0], slope: 1, depth: -4.9 },
  { center: [3, 1], slope: 1, depth: -4.7 },
];

async function mapped(perCone: number[]) {
  const { points, labels: cone } = jitteredStarts(CONES.map((c) => c.center), Math.max(...perCone), 0.3, 23);
  const keep = points.map((_, s) => s).filter((s) => s % Math.max(...perCone) < perCone[cone[s]]);
  const labels = keep.map((s) => (cone[s] < 2 ? 0 : 1));
  // One start of class 0 carries label 1 (purity 11/12 in its basin).
  labels[0] = 1;
  const images = tf.tensor2d(keep.map((s) => points[s]));
  const r = await mapLandscape(conesScore(CONES), { images, labels }, { descent: { stepSize: 0.02, maxSteps: 2000 }, cut: { epsilon: -3 } });
  return { r, images, labels };
}

test('disconnectivityData: a column per basin with ≥ minMembers members, its minima deepest first, class and purity, energy axis', async () => {
  const { r, images, labels } = await mapped([6, 6, 6, 2]);
  assert.equal(r.minima.energies.length, 4);
  // Deepest first: cone 0 (−5), 2 (−4.9), 1 (−4.8), 3 (−4.7); basins at ε = −3: {0, 1} (class 0), {2, 3} (class 1).
  const g = disconnectivityData(r, labels, { classNames: ['A', 'B'], order: 'deepest-left' });
  assert.equal(g.columns.length, 2);
  assert.deepEqual(g.columns.map((c) => c.minima), [[0, 2], [1, 3]]);
  assert.deepEqual(g.columns.map((c) => c.members), [12, 8]);
  assert.deepEqual(g.columns.map((c) => [c.label, c.labelCount, c.purity]), [[0, 11, 11 / 12], [1, 8, 1]]);
  assert.deepEqual(g.columns.map((c) => c.caption), ['A · 92%', 'B · 100%']);
  assert.deepEqual(g.columns.map((c) => c.x), [0, 1]);
  assert.ok(Math.abs(g.energyAxis.min - r.minima.energies[0]) < 1e-6 && g.energyAxis.max > -2.5, JSON.stringify(g.energyAxis));
  assert.equal(g.epsilon, -3);
  // Fewer representatives per column, and a size threshold that leaves the 8-member basin out.
  const few = disconnectivityData(r, undefined, { maxShown: 1, minMembers: 10 });
  assert.deepEqual(few.columns.map((c) => [c.minima, c.minimaCount, c.label, c.caption]), [[[0], 2, null, '12']]);
  assert.equal(few.omitted, 1);
  assert.throws(() => disconnectivityData(r, [1, 2]), (e) => isUserError(e) && /2 labels/.test(e.message));
  tf.dispose([images, r.minima.minima]);
});

test('explorer: the straight-line path between two minima (images and energies, one batched pass) and a basin’s contents', async () => {
  const { r, images } = await mapped([6, 6, 6, 6]);
  const score = conesScore(CONES);
  const before = tf.memory().numTensors;
  const p = await barrierPath(score, r.minima.minima, 0, 1, { resolution: 20, batchSize: 7 });
  assert.deepEqual(p.points.shape, [20, 2]);
  const pts = (await p.points.array()) as number[][];
  const ends = (await r.minima.minima.array()) as number[][];
  assert.deepEqual(pts[0], ends[0]);
  pts.forEach((x, k) => assert.ok(Math.abs(p.energies[k] - conesEnergy(CONES, x)) < 1e-5, `point ${k}: ${p.energies[k]} vs ${conesEnergy(CONES, x)}`));
  // Its highest point is the straight-line barrier on the same grid.
  const lb = await linearBarriers(score, r.minima.minima, [[0, 1]], { resolution: 20 });
  assert.ok(Math.abs(p.barrier - lb.values[0]) < 1e-6 && Math.abs(p.argmax - lb.argmax[0]) < 1e-6);
  p.points.dispose();
  assert.equal(tf.memory().numTensors, before);

  const b = basinContents(r, 0);
  assert.deepEqual(b.minima, r.cut.basins[0].minima.slice().sort((x, y) => x - y));
  assert.deepEqual(b.members, r.members[0]);
  for (let k = 1; k < b.memberEnergies.length; k++) assert.ok(b.memberEnergies[k] >= b.memberEnergies[k - 1], 'lowest descent end first');
  assert.equal(b.label, 0);
  assert.equal(b.purity, 11 / 12);
  assert.throws(() => basinContents(r, 5), isUserError);
  await assert.rejects(barrierPath(score, r.minima.minima, 0, 9), (e) => isUserError(e) && /minimum 9/.test(e.message));
  tf.dispose([images, r.minima.minima]);
});
