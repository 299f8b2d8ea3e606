import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { landscapeFromBarriers, landscapeToJson, mapLandscape, nearestPairs } from '../../lib/landscape/map';
import { basinPurityChance } from '../../lib/landscape/tree';
import { isUserError } from '../../lib/errors';
import { type Cone, collinearReference, collinearWells, conesScore, jitteredStarts, seededVector, unit, wellsScore } from './wells';

tf.setBackend('cpu');

// Four wells on a line: a deep pair (0, 1) on the left, a pair (2, 3) on the right.
// By depth the minima come out as well 0, 2, 1, 3.
const POS = [-6, -3, 2.5, 5.5];
const AMP = [3, 2.5, 2.8, 2];
const SIGMA = 1.2;
const WELL_OF_MINIMUM = [0, 2, 1, 3];
const DESCENT = { stepSize: 0.2, maxSteps: 2000, tol: 1e-4 };

function setup(d: number, perWell: number, spread: number) {
  const base = d === 2 ? [0, 0] : seededVector(d, 3, 0.3);
  const u = d === 2 ? [1, 0] : unit(seededVector(d, 4));
  const wells = collinearWells(base, u, POS, AMP, SIGMA);
  const ref = collinearReference(wells, base, u, POS);
  const { points, labels } = jitteredStarts(wells.map((w) => w.center), perWell, spread, 21);
  return { score: wellsScore(wells), ref, points, labels };
}

test('mapping 2-D wells: minima, barriers at the saddles, two pure super-basins, JSON, flat tensor count', async () => {
  const { score, ref, points, labels } = setup(2, 10, 0.6);
  // Class 0 = wells 0 and 1, class 1 = wells 2 and 3; two starts of well 0 carry the wrong class.
  const classes = labels.map((w) => (w < 2 ? 0 : 1));
  classes[0] = 1;
  classes[1] = 1;
  const images = tf.tensor2d(points);
  const before = tf.memory().numTensors;
  for (let round = 0; round < 2; round++) {
    const r = await mapLandscape(score, { images, labels: classes }, { descent: DESCENT, linear: { resolution: 20, refine: 30 }, cut: { basins: 2 } });
    assert.equal(tf.memory().numTensors, before + 1, 'only the minima tensor is left');
    assert.equal(r.minima.energies.length, 4);
    // Neighbouring barriers are the saddles; the pair across the middle is the highest saddle on the way.
    const b = (i: number, j: number): number => r.barriers.matrix[i * 4 + j];
    const sad = ref.saddles.map((s) => s.energy);
    assert.ok(Math.abs(b(0, 2) - sad[0]) < 1e-5, `b(well0, well1) ${b(0, 2)} vs ${sad[0]}`);
    assert.ok(Math.abs(b(1, 3) - sad[2]) < 1e-5);
    assert.ok(Math.abs(b(2, 1) - sad[1]) < 1e-5);
    // Tree: {well 0, well 1} and {well 2, well 3} first, then together at the middle saddle.
    assert.deepEqual(r.cut.basins.map((x) => x.minima.map((m) => WELL_OF_MINIMUM[m]).sort()), [[0, 1], [2, 3]]);
    assert.ok(Math.abs(r.tree.nodes[r.tree.roots[0]].energy - sad[1]) < 1e-5);
    assert.deepEqual(r.members.map((m) => m.length), [20, 20]);
    assert.deepEqual(r.purity!.basins.map((p) => [p.label, p.purity]), [[0, 18 / 20], [1, 1]]);
    assert.equal(r.purity!.overall, 38 / 40);
    assert.deepEqual(Array.from(r.minimaLabels!), [0, 1, 0, 1]); // well 0's minimum: 8 of its 10 starts say 0
    const json = landscapeToJson(r);
    const text = JSON.stringify(json);
    assert.deepEqual(JSON.parse(text), json);
    assert.equal(json.basins.length, 2);
    assert.equal(json.minima.length, 4);
    assert.deepEqual(json.minimaShape, [2]);
    assert.equal(json.descent.converged, 40);
    r.minima.minima.dispose();
    assert.equal(tf.memory().numTensors, before);
  }
  images.dispose();
});

test('mapping 784-D wells recovers the same tree', async () => {
  const { score, ref, points } = setup(784, 3, 0.02);
  const images = tf.tensor(points, [points.length, 28, 28, 1]);
  const r = await mapLandscape(score, { images }, { descent: DESCENT, cut: { basins: 2 }, minMembers: 1 });
  assert.equal(r.minima.energies.length, 4);
  assert.deepEqual(r.cut.basins.map((x) => x.minima.map((m) => WELL_OF_MINIMUM[m]).sort()), [[0, 1], [2, 3]]);
  // The grid maximum (20 points, no refinement) sits at most a little below the true middle saddle.
  const top = r.tree.nodes[r.tree.roots[0]].energy;
  assert.ok(top <= ref.saddles[1].energy + 1e-5 && top > ref.saddles[1].energy - 0.05, `root ${top} vs ${ref.saddles[1].energy}`);
  assert.equal(r.purity, undefined);
  assert.deepEqual(landscapeToJson(r).minimaShape, [28, 28, 1]);
  r.minima.minima.dispose();
  images.dispose();
});

test('attraction–diffusion mapping between nearest minima gives the same tree', async () => {
  const { score, ref, points } = setup(2, 4, 0.5);
  const images = tf.tensor2d(points);
  const r = await mapLandscape(score, { images }, {
    descent: DESCENT,
    method: 'ad',
    ad: { alpha: 0.5, steps: 3000, stepSize: 0.01, temperature: 0.02, trials: 2, seed: 3 },
    pairs: { nearest: 1 },
    cut: { basins: 2 },
    minMembers: 1,
  });
  // Nearest neighbours along the line: (w0, w1), (w1, w0), (w2, w3), (w3, w2), so two pairs; the halves never meet.
  assert.equal(r.barriers.pairs.length, 2);
  assert.equal(r.tree.roots.length, 2);
  assert.deepEqual(r.cut.basins.map((x) => x.minima.map((m) => WELL_OF_MINIMUM[m]).sort()), [[0, 1], [2, 3]]);
  for (const [i, j] of r.barriers.pairs) {
    const k = Math.min(WELL_OF_MINIMUM[i], WELL_OF_MINIMUM[j]);
    const height = ref.saddles[k].energy - ref.minima[k].energy;
    const got = r.barriers.matrix[i * 4 + j];
    assert.ok(Math.abs(got - ref.saddles[k].energy) < 0.1 * height, `AD ${got} vs saddle ${ref.saddles[k].energy}`);
  }
  const json = landscapeToJson(r);
  assert.equal(json.barriers[0][3], null, 'unknown barriers are null in JSON');
  r.minima.minima.dispose();
  images.dispose();
});

test("method 'ad' with derived settings: the linear mapping of the same minima alongside, settings recorded", async () => {
  const { score, ref, points } = setup(2, 4, 0.5);
  const images = tf.tensor2d(points);
  const before = tf.memory().numTensors;
  const r = await mapLandscape(score, { images }, { descent: DESCENT, method: 'ad', ad: { trials: 2, seed: 3 }, pairs: { nearest: 1 }, cut: { basins: 2 }, minMembers: 1 });
  assert.equal(tf.memory().numTensors, before + 1, 'one minima tensor, shared by both mappings');
  assert.equal(r.linear!.minima, r.minima);
  assert.equal(r.linear!.method, 'linear');
  assert.deepEqual(r.linear!.barriers.pairs, r.barriers.pairs);
  const s = r.adSettings!;
  assert.ok(s.alpha > 0 && s.temperature > 0 && s.radius < s.scale.minDistance / 2, JSON.stringify(s));
  assert.equal(s.trials, 4);
  // Collinear wells: the straight line is the minimum-energy path, so both estimates find the saddles.
  for (const res of [r, r.linear!]) {
    for (const [i, j] of res.barriers.pairs) {
      const k = Math.min(WELL_OF_MINIMUM[i], WELL_OF_MINIMUM[j]);
      const height = ref.saddles[k].energy - ref.minima[k].energy;
      assert.ok(Math.abs(res.barriers.matrix[i * 4 + j] - ref.saddles[k].energy) < 0.1 * height, `${res.method} ${res.barriers.matrix[i * 4 + j]} vs ${ref.saddles[k].energy}`);
    }
  }
  assert.deepEqual(landscapeToJson(r).adSettings, s);
  r.minima.minima.dispose();
  images.dispose();
});

test('maxMinima keeps the most visited minima; starts of dropped ones belong to no basin', async () => {
  const { score, points } = setup(2, 3, 0.5);
  const extra = [[-6, 0.1], [-6, -0.1], [-3, 0.2]]; // wells 0 and 1 get more starts
  const images = tf.tensor2d([...points, ...extra]);
  const r = await mapLandscape(score, { images }, { descent: DESCENT, maxMinima: 2, cut: { basins: 2 }, minMembers: 1 });
  assert.equal(r.minima.energies.length, 2);
  assert.deepEqual(Array.from(r.minima.counts), [5, 4]);
  assert.equal(r.members.flat().length, 9);
  assert.equal(Array.from(r.minima.assignment).filter((a) => a === -1).length, 6);
  r.minima.minima.dispose();
  images.dispose();
});

test('nearestPairs and user errors', async () => {
  const m = tf.tensor2d([[0, 0], [1, 0], [5, 0], [7, 0]]);
  assert.deepEqual(await nearestPairs(m, 1), [[0, 1], [2, 3]]);
  assert.deepEqual(await nearestPairs(m, 2), [[0, 1], [0, 2], [1, 2], [2, 3], [1, 3]]);
  assert.equal((await nearestPairs(m, 3)).length, 6);
  const score = wellsScore([{ center: [0, 0], amplitude: 1, sigma: 1 }]);
  await assert.rejects(mapLandscape(score, { images: m, labels: [1] }, { descent: DESCENT }), (e) => isUserError(e) && /labels/.test(e.message));
  const before = tf.memory().numTensors;
  await assert.rejects(mapLandscape(score, { images: m }, { descent: DESCENT, method: 'ad', ad: { alpha: 0 } }), (e) => isUserError(e) && /alpha/.test(e.message));
  assert.equal(tf.memory().numTensors, before, 'a failed mapping frees its minima');
  m.dispose();
});

/** E[max(X, n − X)] / n for X ~ Hypergeometric(2n, n, n): the purity two basins of n get from labels shuffled over 2n. */
function twoBasinChance(n: number): number {
  const logC = (a: number, b: number): number => lgamma(a + 1) - lgamma(b + 1) - lgamma(a - b + 1);
  let e = 0;
  for (let x = 0; x <= n; x++) e += Math.exp(logC(n, x) + logC(n, n - x) - logC(2 * n, n)) * Math.max(x, n - x);
  return e / n;
}
function lgamma(z: number): number {
  let s = 0;
  for (let k = 2; k < z; k++) s += Math.log(k); // integer arguments only
  return s;
}

test('two-class synthetic landscape: pure basins against a known chance; ε default and a higher ε merges them', async () => {
  // Two L1 cones (piecewise linear, minima on kinks): class A starts in cone A, class B in cone B.
  // On the line between the apexes E = min(s·t·L + e_A, s·(1 − t)·L + e_B): the barrier is where they
  // cross, (s·L + e_A + e_B)/2 = (6 − 9.9)/2 = −1.95.
  const cones: Cone[] = [
    { center: [-3, 0], slope: 1, depth: -5 },
    { center: [3, 0], slope: 1, depth: -4.9 },
  ];
  const n = 20;
  const { points, labels } = jitteredStarts(cones.map((c) => c.center), n, 0.8, 17);
  const images = tf.tensor2d(points);
  const score = conesScore(cones);
  const descent = { stepSize: 0.02, maxSteps: 2000 };
  const before = tf.memory().numTensors;
  const r = await mapLandscape(score, { images, labels }, { descent, linear: { resolution: 20, refine: 30 } });
  assert.equal(r.minima.convergedShare, 1);
  assert.equal(r.minima.energies.length, 2, 'the 20 descents of a cone meet');
  // The minima lie within the descent's last steps (η/16 per coordinate) of the apexes, which moves the crossing as much.
  assert.ok(Math.abs(r.barriers.matrix[1] - -1.95) < 2 * (0.02 / 16), `barrier ${r.barriers.matrix[1]}`);
  assert.equal(r.epsilonChoice.rule, 'most-basins');
  assert.ok(r.cut.epsilon < r.barriers.matrix[1] && r.cut.epsilon > -4.9, `ε ${r.cut.epsilon}`);
  assert.equal(r.cut.basins.length, 2);
  assert.deepEqual(r.purity!.basins.map((b) => [b.label, b.purity]), [[0, 1], [1, 1]]);
  assert.equal(r.purity!.overall, 1);
  const chance = basinPurityChance(r.members, labels, { minMembers: 4, permutations: 400, seed: 3 });
  assert.ok(Math.abs(chance - twoBasinChance(n)) < 0.015, `chance ${chance} vs ${twoBasinChance(n)}`);
  assert.ok(twoBasinChance(n) > 0.5 && twoBasinChance(n) < 0.6);
  // A threshold above the barrier joins the wells: one basin at the classes' base rate 0.5.
  const merged = landscapeFromBarriers('linear', r.minima, r.barriers, labels, { cut: { epsilon: -1.9 } });
  assert.equal(merged.cut.basins.length, 1);
  assert.equal(merged.purity!.overall, 0.5);
  assert.equal(landscapeToJson(r).epsilonRule, 'most-basins');
  assert.equal(landscapeToJson(r).descent.convergedShare, 1);
  r.minima.minima.dispose();
  assert.equal(tf.memory().numTensors, before);
  images.dispose();
});

test('ε groups minima into basins: sub-minima of each class join below ε, the classes above it', async () => {
  // Each class is a pair of cones 1 apart (barrier ≈ −4.4) with the classes 6 apart (barrier ≈ −2).
  const cones: Cone[] = [
    { center: [-3, 0], slope: 1, depth: -5 },
    { center: [-3, 1], slope: 1, depth: -4.8 },
    { center: [3, 0], slope: 1, depth: -4.9 },
    { center: [3, 1], slope: 1, depth: -4.7 },
  ];
  const { points, labels: cone } = jitteredStarts(cones.map((c) => c.center), 6, 0.3, 23);
  const labels = cone.map((k) => (k < 2 ? 0 : 1));
  const images = tf.tensor2d(points);
  const r = await mapLandscape(conesScore(cones), { images, labels }, { descent: { stepSize: 0.02, maxSteps: 2000 } });
  assert.equal(r.minima.energies.length, 4);
  // Default: every cone's 6 starts make a drawable basin, so the graph has the most columns below the sub-barriers.
  assert.equal(r.cut.basins.length, 4);
  assert.equal(r.sizes.shown, 4);
  assert.equal(r.purity!.overall, 1);
  for (const [eps, basins, purity] of [[-3, 2, 1], [0, 1, 0.5]] as const) {
    const c = landscapeFromBarriers('linear', r.minima, r.barriers, labels, { cut: { epsilon: eps } });
    assert.equal(c.cut.basins.length, basins, `ε ${eps}`);
    assert.equal(c.purity!.overall, purity, `ε ${eps}`);
    if (basins === 2) assert.deepEqual(c.members.map((m) => m.map((s) => labels[s])).map((l) => [...new Set(l)]), [[0], [1]]);
  }
  r.minima.minima.dispose();
  images.dispose();
});

test("method 'adelm': basins grown against representatives, the straight line on the same pairs alongside", async () => {
  const { score, ref, points } = setup(2, 4, 0.5);
  const images = tf.tensor2d(points);
  const before = tf.memory().numTensors;
  const r = await mapLandscape(score, { images }, {
    descent: DESCENT,
    method: 'adelm',
    ad: { alpha: 0.5, steps: 2000, stepSize: 0.01, temperature: 0.02, trials: 2, seed: 3 },
    adelm: { chunk: 2 },
    cut: { basins: 2 },
    minMembers: 1,
  });
  assert.equal(tf.memory().numTensors, before + 1);
  // Minima by depth: wells 0, 2, 1, 3. ADELM: {well 0, well 1} and {well 2, well 3}, represented by their deepest.
  const byWell = (ms: number[]) => ms.map((k) => WELL_OF_MINIMUM[k]).sort();
  const groups = [0, 1].map((b) => byWell(Array.from(r.adelm!.basinOf).flatMap((g, k) => (g === b ? [k] : []))));
  assert.deepEqual(groups, [[0, 1], [2, 3]]);
  assert.deepEqual(r.adelm!.representatives.map((k) => WELL_OF_MINIMUM[k]), [0, 2]);
  assert.deepEqual(r.cut.basins.map((x) => byWell(x.minima)), [[0, 1], [2, 3]]);
  for (const [i, j] of r.barriers.pairs) {
    const v = r.barriers.matrix[i * 4 + j];
    if (!Number.isFinite(v)) continue;
    const k = Math.min(WELL_OF_MINIMUM[i], WELL_OF_MINIMUM[j]);
    const height = ref.saddles[k].energy - ref.minima[k].energy;
    assert.ok(Math.abs(v - ref.saddles[k].energy) < 0.1 * height, `ADELM ${v} vs saddle ${ref.saddles[k].energy}`);
  }
  assert.deepEqual(r.linear!.barriers.pairs, r.barriers.pairs);
  assert.equal(landscapeToJson(r).adelm!.representatives.length, 2);
  r.minima.minima.dispose();
  images.dispose();
});
