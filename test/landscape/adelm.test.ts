import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { adelmBasins } from '../../lib/landscape/adelm';
import { isUserError } from '../../lib/errors';
import { collinearReference, collinearWells, onLine, wellsScore } from './wells';

tf.setBackend('cpu');

// Four wells on a line: pairs (0, 1) and (2, 3) with shallow saddles between them, a high one in the middle.
const POS = [-6, -3, 2.5, 5.5];
const AMP = [3, 2.5, 2.8, 2];

test('ADELM basins: minima join the nearest representative their chains reach; a weak magnet keeps the two halves apart', async () => {
  const wells = collinearWells([0, 0], [1, 0], POS, AMP, 1.2);
  const ref = collinearReference(wells, [0, 0], [1, 0], POS);
  const minima = tf.tensor2d(ref.minima.map((m) => onLine([0, 0], [1, 0], m.t)));
  const energies = ref.minima.map((m) => m.energy);
  const score = wellsScore(wells);
  const before = tf.memory().numTensors;
  // α = 0.5 out-pulls the shallow saddles' walls but not the middle one's (steeper than 1 between wells 1 and 2).
  const r = await adelmBasins(score, minima, energies, { alpha: 0.5, steps: 2000, stepSize: 0.01, temperature: 0.02, trials: 2, seed: 4, chunk: 2 });
  assert.equal(tf.memory().numTensors, before);
  // Deepest first: well 0 (−3.13) represents {0, 1}, well 2 represents {2, 3}.
  assert.deepEqual(r.representatives, [0, 2]);
  assert.deepEqual(Array.from(r.basinOf), [0, 0, 1, 1]);
  for (const [k, rep] of [[1, 0], [3, 2]] as const) {
    const s = k === 1 ? ref.saddles[0] : ref.saddles[2];
    const height = s.energy - Math.min(energies[k], energies[rep]);
    assert.ok(Math.abs(r.joinBarrier[k] - s.energy) < 0.1 * height, `minimum ${k} joined at ${r.joinBarrier[k]}, saddle ${s.energy}`);
    assert.equal(r.barriers.matrix[k * 4 + rep], r.joinBarrier[k]);
  }
  assert.ok(Math.abs(r.joinBarrier[0] - energies[0]) < 1e-6, "a representative joins at its own energy");
  assert.equal(r.barriers.matrix[0 * 4 + 2], Infinity, 'the representatives never connect at this α');
  // A strong magnet drags chains over the middle too: one basin.
  const strong = await adelmBasins(score, minima, energies, { alpha: 3, steps: 2000, stepSize: 0.01, temperature: 0.02, trials: 2, seed: 4 });
  assert.deepEqual(Array.from(strong.basinOf), [0, 0, 0, 0]);
  assert.deepEqual(strong.representatives, [0]);
  await assert.rejects(adelmBasins(score, minima, energies.slice(1), { alpha: 1, steps: 10, stepSize: 0.01, temperature: 0 }), isUserError);
  await assert.rejects(adelmBasins(score, minima, energies, { alpha: 1, steps: 10, stepSize: 0.01, temperature: 0, chunk: 0 }), (e) => isUserError(e) && /chunk/.test(e.message));
  minima.dispose();
});
