import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { dataScale, descentOptionsFromScale, findMinima, mergeNearDuplicates, restrictMinima } from '../../lib/landscape/minima';
import { isUserError } from '../../lib/errors';
import { type Cone, collinearReference, collinearWells, conesEnergy, conesScore, jitteredStarts, onLine, seededVector, unit, wellsScore } from './wells';

tf.setBackend('cpu');

// Four wells on the x-axis: a deep pair on the left, a shallower pair on the right.
const POS = [-6, -3, 2.5, 5.5];
const AMP = [3, 2.5, 2.8, 2];
const SIGMA = 1.2;

function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

test('steepest descent finds the four minima of 2-D Gaussian wells and the basin of every start', async () => {
  const base = [0, 0];
  const u = [1, 0];
  const wells = collinearWells(base, u, POS, AMP, SIGMA);
  const ref = collinearReference(wells, base, u, POS);
  const { points, labels } = jitteredStarts(wells.map((w) => w.center), 10, 0.6, 7);
  const starts = tf.tensor2d(points);
  // η a/σ² ≈ 0.35·2 < 2: the descent contracts near every minimum.
  const r = await findMinima(wellsScore(wells), starts, { stepSize: 0.2, maxSteps: 2000, tol: 1e-4, mergeDistance: 0.05 });
  starts.dispose();
  assert.equal(r.energies.length, 4);
  assert.equal(r.converged.reduce((a, b) => a + b, 0), points.length, 'every start converged');
  const found = await r.minima.array() as number[][];
  // Minima come sorted by energy; match each to the reference by position.
  const byEnergy = ref.minima.map((m, k) => ({ ...m, k })).sort((a, b) => a.energy - b.energy);
  byEnergy.forEach((m, i) => {
    const want = onLine(base, u, m.t);
    // ‖∇E‖ < 1e-4 and curvature ≈ a/σ² ≈ 2 put the point within ~1e-4 of the minimum; float32 adds ~1e-6.
    assert.ok(distance(found[i], want) < 1e-3, `minimum ${i} at ${found[i]} vs ${want}`);
    assert.ok(Math.abs(r.energies[i] - m.energy) < 1e-5, `energy ${r.energies[i]} vs ${m.energy}`);
  });
  // Each start descends into the minimum of the well it was placed in.
  const minimumOfWell = byEnergy.map((m) => m.k);
  for (let s = 0; s < labels.length; s++) assert.equal(minimumOfWell[r.assignment[s]], labels[s]);
  assert.deepEqual(Array.from(r.counts), [10, 10, 10, 10]);
  assert.ok(r.steps.every((s) => s > 0 && s < 2000));
  r.minima.dispose();
});

test('in 784-D the minima of collinear wells are found on their line', async () => {
  const d = 784;
  const base = seededVector(d, 3, 0.3);
  const u = unit(seededVector(d, 4));
  const wells = collinearWells(base, u, POS, AMP, SIGMA);
  const ref = collinearReference(wells, base, u, POS);
  const { points, labels } = jitteredStarts(wells.map((w) => w.center), 3, 0.02, 11); // ‖jitter‖ ≈ 0.33 < σ
  const starts = tf.tensor(points, [points.length, 28, 28, 1]);
  const r = await findMinima(wellsScore(wells), starts, { stepSize: 0.2, maxSteps: 2000, tol: 1e-4, batchSize: 5 });
  starts.dispose();
  assert.equal(r.energies.length, 4);
  assert.deepEqual(r.minima.shape, [4, 28, 28, 1]);
  const found = (await r.minima.reshape([4, d]).array()) as number[][];
  const byEnergy = ref.minima.map((m, k) => ({ ...m, k })).sort((a, b) => a.energy - b.energy);
  byEnergy.forEach((m, i) => {
    assert.ok(distance(found[i], onLine(base, u, m.t)) < 2e-3, `minimum ${i} off by ${distance(found[i], onLine(base, u, m.t))}`);
    assert.ok(Math.abs(r.energies[i] - m.energy) < 1e-5);
  });
  for (let s = 0; s < labels.length; s++) assert.equal(byEnergy[r.assignment[s]].k, labels[s]);
  r.minima.dispose();
});

test('with a clamp, descent converges onto the boundary by the projected gradient', async () => {
  // One well centred outside [-1, 1]²: the constrained minimum is the corner (1, 1).
  const score = wellsScore([{ center: [1.5, 2], amplitude: 2, sigma: 1 }]);
  const starts = tf.tensor2d([[0, 0], [0.5, -0.5], [-0.9, 0.9]]);
  const r = await findMinima(score, starts, { stepSize: 0.3, maxSteps: 500, tol: 1e-5, clamp: [-1, 1] });
  starts.dispose();
  assert.equal(r.energies.length, 1);
  assert.deepEqual(Array.from(r.converged), [1, 1, 1]);
  const m = await r.minima.data();
  assert.ok(Math.abs(m[0] - 1) < 1e-6 && Math.abs(m[1] - 1) < 1e-6, `minimum at ${m}`);
  r.minima.dispose();
});

test('near-duplicates merge by distance and energy; representatives are the lowest of their group', async () => {
  const pts = tf.tensor2d([
    [0, 0],
    [0.01, 0],
    [5, 5],
    [5, 5.02],
    [0, 0.015],
  ]);
  const energies = Float32Array.from([-1, -1.2, -3, -3, -0.5]);
  const a = await mergeNearDuplicates(pts, energies, { distance: 0.05, energy: Infinity }, 2);
  // Energy order: 2, 3, 1, 0, 4 → reps 2 (with 3) and 1 (with 0 and 4).
  assert.deepEqual(a.representatives, [2, 1]);
  assert.deepEqual(Array.from(a.assignment), [1, 1, 0, 0, 1]);
  // An energy tolerance splits point 4 (ΔE = 0.7) from the left group.
  const b = await mergeNearDuplicates(pts, energies, { distance: 0.05, energy: 0.3 }, 64);
  assert.deepEqual(b.representatives, [2, 1, 4]);
  assert.deepEqual(Array.from(b.assignment), [1, 1, 0, 0, 2]);
  pts.dispose();
});

test('findMinima keeps the tensor count flat and restrictMinima re-indexes starts', async () => {
  const wells = collinearWells([0, 0], [1, 0], POS, AMP, SIGMA);
  const score = wellsScore(wells);
  const { points } = jitteredStarts(wells.map((w) => w.center), 4, 0.5, 3);
  const starts = tf.tensor2d(points);
  const before = tf.memory().numTensors;
  for (let round = 0; round < 2; round++) {
    const r = await findMinima(score, starts, { stepSize: 0.2, maxSteps: 300, tol: 1e-3, batchSize: 6 });
    assert.equal(tf.memory().numTensors, before + 1, 'only the minima tensor is left');
    const kept = restrictMinima(r, [3, 0]);
    assert.deepEqual(Array.from(kept.energies), [r.energies[3], r.energies[0]]);
    for (let s = 0; s < points.length; s++) {
      assert.equal(kept.assignment[s], r.assignment[s] === 3 ? 0 : r.assignment[s] === 0 ? 1 : -1);
    }
    tf.dispose([r.minima, kept.minima]);
    assert.equal(tf.memory().numTensors, before);
  }
  // An abort signal stops the descent with a user error and frees the pool.
  const ctl = new AbortController();
  ctl.abort();
  await assert.rejects(findMinima(score, starts, { stepSize: 0.2, maxSteps: 300, tol: 1e-3, signal: ctl.signal }), (e) => isUserError(e) && /aborted/.test(e.message));
  assert.equal(tf.memory().numTensors, before);
  starts.dispose();
});

test('bad options and a score of the wrong shape are user errors', async () => {
  const starts = tf.zeros([2, 2]);
  const score = wellsScore([{ center: [0, 0], amplitude: 1, sigma: 1 }]);
  await assert.rejects(findMinima(score, starts, { stepSize: 0, maxSteps: 10, tol: 1e-3 }), (e) => isUserError(e) && /stepSize/.test(e.message));
  await assert.rejects(findMinima(score, starts, { stepSize: 0.1, maxSteps: 10, tol: 1e-3, clamp: [1, -1] }), isUserError);
  const bad = (x: tf.Tensor): tf.Tensor1D => x.sum() as unknown as tf.Tensor1D;
  await assert.rejects(findMinima(bad, starts, { stepSize: 0.1, maxSteps: 10, tol: 1e-3 }), (e) => isUserError(e) && /shape \[N\]/.test(e.message));
  starts.dispose();
});

test('descentOptionsFromScale: η ∝ 1/‖∇E‖ so a scaled energy descends the same path, in any dimension', async () => {
  for (const d of [2, 784]) {
    const base = d === 2 ? [0, 0] : seededVector(d, 3, 0.3);
    const u = d === 2 ? [1, 0] : unit(seededVector(d, 4));
    const wells = collinearWells(base, u, POS, AMP, SIGMA);
    const { points } = jitteredStarts(wells.map((w) => w.center), 4, d === 2 ? 0.6 : 0.03, 7);
    const starts = tf.tensor2d(points);
    const ends: number[][][] = [];
    const steps: number[] = [];
    for (const k of [1, 100]) {
      const w = wellsScore(wells);
      const score = (x: tf.Tensor) => tf.tidy(() => w(x).mul(k) as tf.Tensor1D);
      const o = await descentOptionsFromScale(score, starts, { maxSteps: 3000 });
      assert.ok(o.stepSize * o.gradientScale > 0.0099 * Math.sqrt(d) && o.stepSize * o.gradientScale < 0.0101 * Math.sqrt(d), 'first step 1% of √D');
      assert.equal(o.tol, 0, 'the window rule, not a gradient tolerance');
      // The merge distance is 5% of the starts' median nearest-neighbour distance, computed here in float64.
      assert.ok(Math.abs(o.dataScale - medianNearest(points)) < 1e-3 * o.dataScale, `data scale ${o.dataScale} vs ${medianNearest(points)}`);
      assert.ok(Math.abs(o.mergeDistance! - 0.05 * o.dataScale) < 1e-9);
      const r = await findMinima(score, starts, o);
      assert.equal(r.energies.length, 4, `${d}-D ×${k}: four minima`);
      assert.equal(r.converged.reduce((a, b) => a + b, 0), points.length, `${d}-D ×${k}: every start converged`);
      ends.push((await r.minima.array()) as number[][]);
      steps.push(r.steps.reduce((a, b) => a + b, 0));
      r.minima.dispose();
    }
    // Scaling E by 100 scales ∇E and 1/η alike: the same minima, the same number of steps.
    ends[0].forEach((p, i) => assert.ok(distance(p, ends[1][i]) < 1e-3, `${d}-D minimum ${i}`));
    assert.ok(Math.abs(steps[0] - steps[1]) <= 0.02 * steps[0], `${d}-D steps ${steps}`);
    starts.dispose();
  }
  const flat = wellsScore([{ center: [0, 0], amplitude: 0, sigma: 1 }]);
  const z = tf.zeros([3, 2]);
  await assert.rejects(descentOptionsFromScale(flat, z), (e) => isUserError(e) && /flat/.test(e.message));
  z.dispose();
});

test('stallSteps and the window rule: descents settle on the kink of a piecewise-linear minimum, but not on a sloping valley floor', async () => {
  // E = |x − 0.3| + |y + 0.2|: ‖∇E‖ = √2 everywhere, so the gradient tolerance never fires.
  const vee = (x: tf.Tensor) => tf.tidy(() => x.sub(tf.tensor1d([0.3, -0.2])).abs().sum(1).neg() as tf.Tensor1D);
  const starts = tf.tensor2d([[-0.8, 0.7], [0.9, -0.9], [0.31, 0.5]]);
  const opts = { stepSize: 0.01, maxSteps: 400, tol: 1e-3, mergeDistance: 0.05 };
  const plain = await findMinima(vee, starts, { ...opts, window: 0 });
  assert.equal(plain.converged.reduce((a, b) => a + b, 0), 0, 'constant steps bounce across the kink forever');
  assert.ok(plain.stoppedBy.every((s) => s === 'maxSteps'));
  assert.equal(plain.convergedShare, 0);
  plain.minima.dispose();
  const before = tf.memory().numTensors;
  for (const extra of [{ stallSteps: 5, window: 0 }, {}]) {
    const r = await findMinima(vee, starts, { ...opts, ...extra });
    assert.equal(tf.memory().numTensors, before + 1);
    assert.equal(r.converged.reduce((a, b) => a + b, 0), 3);
    assert.equal(r.convergedShare, 1);
    assert.deepEqual(r.stoppedBy, new Array(3).fill('window' in extra ? 'stall' : 'window'));
    assert.equal(r.energies.length, 1, 'all three reach the same minimum');
    const [p] = (await r.minima.array()) as number[][];
    // stallSteps: within a step (η√2) of the kink; the window rule halves η four times first.
    const within = 'window' in extra ? 2 * 0.01 * Math.SQRT2 : (2 * 0.01 * Math.SQRT2) / 16;
    assert.ok(distance(p, [0.3, -0.2]) < within, `minimum at ${p}`);
    assert.ok(Math.max(...r.steps) < 250, `steps ${Array.from(r.steps)}`);
    r.minima.dispose();
  }
  // E = 2|y| − 0.5x in [−1, 1]²: the descent zig-zags across y = 0 but keeps setting new lows down the
  // valley, so neither rule stops it before the box's edge at x = 1.
  const valley = (x: tf.Tensor) => tf.tidy(() => x.slice([0, 1], [-1, 1]).abs().mul(2).sub(x.slice([0, 0], [-1, 1]).mul(0.5)).reshape([-1]).neg() as tf.Tensor1D);
  const v0 = tf.tensor2d([[-0.9, 0.31]]);
  for (const extra of [{ stallSteps: 5, window: 0 }, {}]) {
    const v = await findMinima(valley, v0, { ...opts, maxSteps: 2000, ...extra, clamp: [-1, 1] });
    const [end] = (await v.minima.array()) as number[][];
    assert.ok(end[0] > 0.99 && Math.abs(end[1]) < 0.03, `valley end ${end} (${JSON.stringify(extra)})`);
    assert.equal(v.converged[0], 1);
    // The path zig-zags: it is longer than the straight line from start to end.
    assert.ok(v.pathLength[0] > v.displacement[0] && Math.abs(v.displacement[0] - distance(end, [-0.9, 0.31])) < 1e-5);
    v.minima.dispose();
  }
  tf.dispose([v0, starts]);
  await assert.rejects(findMinima(vee, tf.zeros([1, 2]), { ...opts, stallSteps: 0 }), (e) => isUserError(e) && /stallSteps/.test(e.message));
  await assert.rejects(findMinima(vee, tf.zeros([1, 2]), { ...opts, window: 2.5 }), (e) => isUserError(e) && /window/.test(e.message));
});

test('piecewise-linear cones (minima on kinks, ∇E never vanishes): every descent converges and ends at its known minimum', async () => {
  for (const d of [2, 784]) {
    // Four cones; apexes ≥ 1 apart per coordinate, so each apex lies below the other cones.
    const centers = [0, 1, 2, 3].map((k) => (d === 2 ? [[-1, -1], [1, -1], [-1, 1], [1.2, 1.1]][k] : seededVector(d, 40 + k, 1)));
    const cones: Cone[] = centers.map((center, k) => ({ center, slope: [1, 1.5, 0.8, 1.2][k], depth: [-2, -1.5, -1.8, -1][k] }));
    cones.forEach((k) => assert.equal(conesEnergy(cones, k.center), k.depth, 'each apex is the envelope there'));
    const spread = d === 2 ? 0.3 : 0.05;
    const perCone = d === 2 ? 12 : 3;
    const { points, labels } = jitteredStarts(centers, perCone, spread, 5);
    const starts = d === 2 ? tf.tensor2d(points) : tf.tensor(points, [points.length, 28, 28, 1]);
    const score = conesScore(cones);
    const o = await descentOptionsFromScale(score, starts, { maxSteps: 1000 });
    const before = tf.memory().numTensors;
    const r = await findMinima(score, starts, o);
    assert.equal(tf.memory().numTensors, before + 1);
    assert.equal(r.convergedShare, 1, `${d}-D: converged ${r.convergedShare}, stopped by ${[...new Set(r.stoppedBy)]}`);
    assert.ok(r.stoppedBy.every((s) => s === 'window'), 'the gradient tolerance cannot fire on cones');
    assert.equal(r.energies.length, 4, `${d}-D: descents into one cone meet (${r.energies.length} minima)`);
    // Deepest first: cones 0 (−2), 2 (−1.8), 1 (−1.5), 3 (−1).
    const order = [0, 2, 1, 3];
    const found = (await r.minima.reshape([4, d]).array()) as number[][];
    order.forEach((k, i) => {
      // The last steps are η/16 per coordinate times the slope: every coordinate within a couple of them.
      const perCoord = (2 * o.stepSize * cones[k].slope) / 16;
      assert.ok(distance(found[i], centers[k]) < perCoord * Math.sqrt(d), `${d}-D minimum ${i}: off by ${distance(found[i], centers[k])}`);
      assert.ok(Math.abs(r.energies[i] - cones[k].depth) < cones[k].slope * perCoord * d + 1e-5);
    });
    for (let s = 0; s < labels.length; s++) assert.equal(order[r.assignment[s]], labels[s]);
    assert.deepEqual(Array.from(r.counts), [perCone, perCone, perCone, perCone]);
    r.minima.dispose();
    starts.dispose();
  }
});

test('starts spread over one well merge into one minimum; the default merge distance follows the data scale', async () => {
  // One L1 cone: every descent ends within a few final steps of the apex, far inside 5% of the starts' spacing.
  const center = seededVector(784, 9, 0.5);
  const score = conesScore([{ center, slope: 1, depth: 0 }]);
  const { points } = jitteredStarts([center], 20, 0.3, 13);
  const starts = tf.tensor2d(points);
  const r = await findMinima(score, starts, { stepSize: 0.01, maxSteps: 2000 });
  assert.equal(r.convergedShare, 1);
  assert.equal(r.energies.length, 1);
  assert.deepEqual(Array.from(r.assignment), new Array(20).fill(0));
  assert.ok(Math.abs(r.mergeDistance - 0.05 * medianNearest(points)) < 1e-3 * r.mergeDistance, `merge distance ${r.mergeDistance}`);
  assert.ok(Math.abs((await dataScale(starts)) - medianNearest(points)) < 1e-3 * r.mergeDistance * 20);
  // Without merging (distance 0) the 20 ends are distinct points, so the merge is what joined them.
  const apart = await findMinima(score, starts, { stepSize: 0.01, maxSteps: 2000, mergeDistance: 0 });
  assert.ok(apart.energies.length > 1, `${apart.energies.length} distinct ends`);
  tf.dispose([r.minima, apart.minima, starts]);
});

/** Median over points of the distance to the nearest other point, in float64. */
function medianNearest(points: readonly (readonly number[])[]): number {
  const nn = points.map((p, i) => Math.min(...points.filter((_, j) => j !== i).map((q) => distance(p, q))));
  nn.sort((a, b) => a - b);
  return nn[Math.floor((nn.length - 1) / 2)];
}

test('descentOptionsFromScale with a clamp measures only the gradient the descent can follow', async () => {
  // f = x + y, E = −x − y, ∇E = (−1, −1): from (1, 0) in [−1, 1]² the step x − η∇E would leave the box in
  // x, so only the y component counts: g₀ = 1, not √2.
  const score = (x: tf.Tensor) => tf.tidy(() => x.sum(1) as tf.Tensor1D);
  const starts = tf.tensor2d([[1, 0], [1, 0.5], [-0.5, 1]]);
  const free = await descentOptionsFromScale(score, starts);
  const boxed = await descentOptionsFromScale(score, starts, { clamp: [-1, 1] });
  assert.ok(Math.abs(free.gradientScale - Math.SQRT2) < 1e-6, `free ${free.gradientScale}`);
  assert.ok(Math.abs(boxed.gradientScale - 1) < 1e-6, `boxed ${boxed.gradientScale}`);
  assert.ok(Math.abs(boxed.stepSize / free.stepSize - Math.SQRT2) < 1e-5);
  starts.dispose();
});
