import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { energyGrid2d, minimaNearModes, modeCoverage } from '../../lib/landscape/modes';
import type { LandscapeScoreFn } from '../../lib/landscape/score';
import { isUserError } from '../../lib/errors';
import { wellsEnergy, wellsScore, type Well } from './wells';

tf.setBackend('cpu');

const RING = Array.from({ length: 8 }, (_, k) => [2 * Math.cos((2 * Math.PI * k) / 8), 2 * Math.sin((2 * Math.PI * k) / 8)]);

/** Wells on the ring (all but mode 5) plus one off-ring well at (0, 0), in a weak bowl −0.05‖x‖² so no plateau is flat. */
function ringScore(): { score: LandscapeScoreFn; wells: Well[] } {
  const wells: Well[] = [...RING.filter((_, k) => k !== 5).map((center) => ({ center, amplitude: 2, sigma: 0.4 })), { center: [0, 0], amplitude: 1.5, sigma: 0.3 }];
  const w = wellsScore(wells);
  return { wells, score: (x) => tf.tidy(() => w(x).sub(x.square().sum(1).mul(0.05)) as tf.Tensor1D) };
}

test('modeCoverage counts samples within the radius of their nearest mode', () => {
  const samples = [
    [2.05, 0], [1.9, 0.1], [0, 2.2], // modes 0, 0, 2
    [1, 1], [3, 3], // near no mode
  ];
  const c = modeCoverage(samples, RING, { radius: 0.25, minCount: 2 });
  assert.deepEqual(Array.from(c.counts), [2, 0, 1, 0, 0, 0, 0, 0]);
  assert.equal(c.covered, 1, 'only mode 0 reaches minCount 2');
  assert.equal(c.nearFraction, 3 / 5);
  const t = tf.tensor2d(samples);
  assert.equal(modeCoverage(t, RING, { radius: 0.25 }).covered, 2, 'default minCount: 1% of 5 rounds up to 1');
  t.dispose();
  assert.throws(() => modeCoverage(samples, [], { radius: 1 }), isUserError);
  assert.throws(() => modeCoverage(samples, RING, { radius: 0 }), isUserError);
});

test('minimaNearModes finds a minimum at every well, misses the empty mode, flags the off-ring well as spurious', async () => {
  const { score, wells } = ringScore();
  const before = tf.memory().numTensors;
  const r = await minimaNearModes(score, RING, { bounds: [-3, 3], grid: 13, radius: 0.25, descent: { stepSize: 0.05, maxSteps: 3000 } });
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
  assert.equal(r.starts, 169);
  assert.equal(r.modesWithMinimum, 7, `mode distances ${Array.from(r.modeDistance)}`);
  assert.ok(r.modeDistance[5] > 1, 'mode 5 has no well');
  assert.equal(r.spurious, 1, 'the well at the origin');
  // Each ring minimum sits slightly inside the ring (the bowl pulls inward) but well within the radius.
  for (let k = 0; k < 8; k++) if (k !== 5) assert.ok(r.modeDistance[k] < 0.1, `mode ${k}: ${r.modeDistance[k]}`);
  // Energies are E = −f at the minima found.
  r.minima.forEach((p, k) => {
    const e = wellsEnergy(wells, p) + 0.05 * (p[0] ** 2 + p[1] ** 2);
    assert.ok(Math.abs(r.energies[k] - e) < 1e-4, `minimum ${k}: ${r.energies[k]} vs ${e}`);
  });
  assert.equal(r.counts.reduce((a, b) => a + b, 0), 169);
  assert.equal(r.onBoundary.reduce((a, b) => a + b, 0), 0, 'the bowl keeps every minimum inside the box');
  await assert.rejects(minimaNearModes(score, RING, { bounds: [1, -1], radius: 0.2 }), isUserError);
});

test('energyGrid2d evaluates E = −f row by row (z[j][i] at (x_i, y_j))', async () => {
  const { score, wells } = ringScore();
  const g = await energyGrid2d(score, [-3, 3], 7);
  assert.deepEqual(g.x, [-3, -2, -1, 0, 1, 2, 3]);
  assert.equal(g.z.length, 7);
  for (const [i, j] of [[0, 0], [5, 3], [3, 6]]) {
    const p = [g.x[i], g.y[j]];
    const e = wellsEnergy(wells, p) + 0.05 * (p[0] ** 2 + p[1] ** 2);
    assert.ok(Math.abs(g.z[j][i] - e) < 1e-5, `(${p}): ${g.z[j][i]} vs ${e}`);
  }
});
