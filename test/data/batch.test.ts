import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { batchIndices, EpochBatches, gatherBatch, gatherLabels } from '../../lib/data/batch';
import { makeImageDataset } from '../../lib/data/types';

test('each epoch is a permutation cut into batches; dropLast drops only the short tail', () => {
  const b = batchIndices(10, 3, 7, 0);
  assert.deepEqual(b.map((x) => x.length), [3, 3, 3]);
  const seen = new Set(b.flatMap((x) => Array.from(x)));
  assert.equal(seen.size, 9);
  const all = batchIndices(10, 3, 7, 0, { dropLast: false });
  assert.deepEqual(all.map((x) => x.length), [3, 3, 3, 1]);
  assert.deepEqual(all.flatMap((x) => Array.from(x)).sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // The kept batches are the same with and without dropLast.
  assert.deepEqual(all.slice(0, 3), b);
  assert.deepEqual(batchIndices(5, 2, 1, 0, { shuffle: false, dropLast: false }).map((x) => Array.from(x)), [[0, 1], [2, 3], [4]]);
});

test('shuffles depend only on (seed, epoch)', () => {
  assert.deepEqual(batchIndices(100, 10, 3, 4), batchIndices(100, 10, 3, 4));
  assert.notDeepEqual(batchIndices(100, 10, 3, 4), batchIndices(100, 10, 3, 5));
  assert.notDeepEqual(batchIndices(100, 10, 3, 4), batchIndices(100, 10, 4, 4));
  // Roughly uniform: over many epochs every index lands in the first batch about equally often.
  const counts = new Array(20).fill(0);
  for (let e = 0; e < 2000; e++) for (const i of batchIndices(20, 5, 9, e)[0]) counts[i]++;
  // Expected 2000·5/20 = 500 per index, binomial sd ≈ 19.4: allow ±5 sd.
  for (const c of counts) assert.ok(Math.abs(c - 500) < 97, `count ${c}`);
});

test('bad arguments are UserErrors', () => {
  assert.throws(() => batchIndices(10, 0, 1, 0), /batch size must be a positive integer/);
  assert.throws(() => batchIndices(3, 4, 1, 0), /batch size 4 is larger than the 3 examples/);
  assert.deepEqual(batchIndices(3, 4, 1, 0, { dropLast: false }).map((x) => x.length), [3]);
});

test('gatherBatch picks rows and leaks nothing across iterations', () => {
  const ds = makeImageDataset({ name: 't', images: tf.tensor4d(Float32Array.from({ length: 6 * 4 }, (_, k) => k), [6, 2, 2, 1]), labels: Int32Array.from([0, 1, 2, 3, 4, 5]), note: '', source: 'test' });
  const x = gatherBatch(ds, Int32Array.from([4, 1]));
  assert.deepEqual(Array.from(x.dataSync()), [16, 17, 18, 19, 4, 5, 6, 7]);
  assert.deepEqual(Array.from(gatherLabels(ds, [4, 1])!), [4, 1]);
  x.dispose();
  const before = tf.memory().numTensors;
  for (let e = 0; e < 3; e++) for (const idx of batchIndices(6, 2, 0, e)) gatherBatch(ds, idx).dispose();
  assert.equal(tf.memory().numTensors, before);
  ds.dispose();
  ds.dispose(); // idempotent
  assert.equal(tf.memory().numTensors, before - 1);
});

test('EpochBatches: iteration it is batch it mod batchesPerEpoch of its epoch, the same as batchIndices gives', () => {
  const eb = new EpochBatches(10, 3, 7);
  assert.equal(eb.batchesPerEpoch, 3);
  const seen: number[] = [];
  for (let it = 0; it < 7; it++) {
    const r = eb.at(it);
    assert.equal(r.epoch, Math.floor(it / 3));
    assert.equal(r.b, it % 3);
    assert.equal(r.newEpoch, it % 3 === 0);
    assert.deepEqual(Array.from(r.indices), Array.from(batchIndices(10, 3, 7, r.epoch)[r.b]));
    if (r.epoch === 0) seen.push(...r.indices);
  }
  assert.equal(new Set(seen).size, 9);
  // a resumed run starting mid-epoch loads that epoch's permutation and reports it as new
  const resumed = new EpochBatches(10, 3, 7).at(4);
  assert.equal(resumed.newEpoch, true);
  assert.deepEqual(Array.from(resumed.indices), Array.from(batchIndices(10, 3, 7, 1)[1]));
});
