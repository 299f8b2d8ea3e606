import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  basinMembers,
  basinPurity,
  basinPurityChance,
  basinSizeStats,
  buildTree,
  cutTree,
  epsilonForBasins,
  epsilonForMostBasins,
  treeLeaves,
} from '../../lib/landscape/tree';
import { isUserError } from '../../lib/errors';

const INF = Infinity;
// Minima 0..4; {0,1} join at −1.5, {2,3} at −0.5, those two groups at 0 (via 1–2); minimum 4 joins everything at 2.
const E = [-3, -2.5, -2, -1, -0.8];
const B = [
  [-3, -1.5, 1, 3, 2],
  [-1.5, -2.5, 0, 1, 5],
  [1, 0, -2, -0.5, INF],
  [3, 1, -0.5, -1, INF],
  [2, 5, INF, INF, -0.8],
];

test('single linkage builds the ultrametric tree with merges at the barriers', () => {
  const t = buildTree(E, B, { members: [10, 6, 5, 3, 1] });
  assert.equal(t.leafCount, 5);
  assert.equal(t.nodes.length, 9);
  assert.deepEqual(t.roots, [8]);
  const [a, b, c, d] = [t.nodes[5], t.nodes[6], t.nodes[7], t.nodes[8]];
  assert.deepEqual([a.children, a.energy, a.members], [[0, 1], -1.5, 16]);
  assert.deepEqual([b.children, b.energy, b.members], [[2, 3], -0.5, 8]);
  assert.deepEqual([c.children, c.energy, c.leaves, c.minEnergy], [[5, 6], 0, 4, -3]);
  assert.deepEqual([d.children, d.energy, d.members], [[7, 4], 2, 25]);
  assert.deepEqual(treeLeaves(t, 8), [0, 1, 2, 3, 4]);
  // Ultrametric: energies never decrease towards the root.
  for (const n of t.nodes) if (n.parent >= 0) assert.ok(t.nodes[n.parent].energy >= n.energy);
  // A flat row-major matrix gives the same tree.
  assert.deepEqual(buildTree(E, B.flat(), { members: [10, 6, 5, 3, 1] }), t);
});

test('unknown barriers leave a forest; a merge never sits below what it joins', () => {
  const t = buildTree([-3, -1, -2], [
    [-3, -4, INF],
    [-4, -1, NaN],
    [INF, NaN, -2],
  ]);
  assert.deepEqual(t.roots, [2, 3]);
  assert.equal(t.nodes[3].energy, -1, 'a barrier below an endpoint is lifted to that endpoint');
});

test('cutting at ε gives the basins and the tree above the cut', () => {
  const t = buildTree(E, B, { members: [10, 6, 5, 3, 1] });
  const c = cutTree(t, -1);
  assert.deepEqual(c.basins.map((b) => b.minima), [[0, 1], [2], [3], [4]]);
  assert.deepEqual(c.basins.map((b) => b.members), [16, 5, 3, 1]);
  assert.deepEqual(c.basins.map((b) => b.deepest), [0, 2, 3, 4]);
  assert.equal(c.tree.leafCount, 4);
  // Above the cut: {2,3} at −0.5, then with {0,1} at 0, then with 4 at 2.
  const internal = c.tree.nodes.slice(4).map((n) => [n.children, n.energy]);
  assert.deepEqual(internal, [[[1, 2], -0.5], [[0, 4], 0], [[5, 3], 2]]);
  assert.deepEqual(c.tree.roots, [6]);
  assert.deepEqual(treeLeaves(c.tree, 6), [0, 1, 2, 3]);

  const c2 = cutTree(t, 0.5);
  assert.deepEqual(c2.basins.map((b) => b.minima), [[0, 1, 2, 3], [4]]);
  assert.deepEqual(cutTree(t, 10).basins.map((b) => b.minima), [[0, 1, 2, 3, 4]]);
  assert.deepEqual(cutTree(t, -10).basins.map((b) => b.minima), [[0], [1], [2], [3], [4]]);
});

test('epsilonForBasins cuts the k − 1 highest merges', () => {
  const t = buildTree(E, B);
  for (let k = 1; k <= 5; k++) assert.equal(cutTree(t, epsilonForBasins(t, k)).basins.length, k, `k = ${k}`);
  assert.equal(cutTree(t, epsilonForBasins(t, 9)).basins.length, 5);
  assert.throws(() => epsilonForBasins(t, 0), isUserError);
});

test('members, purity and sizes of basins', () => {
  const t = buildTree(E, B);
  const c = cutTree(t, -1); // basins {0,1}, {2}, {3}, {4}
  const assignment = [0, 1, 1, 2, 2, 2, 3, -1, 0, 4];
  const finalE = [-3, -2.4, -2.5, -2, -1.9, -2, -1, 0, -2.9, -0.8];
  const members = basinMembers(c.basins, assignment, finalE);
  assert.deepEqual(members, [[0, 8, 2, 1], [3, 5, 4], [6], [9]]);
  const labels = [7, 7, 1, 4, 4, 4, 2, 0, 7, 5];
  const p = basinPurity(members, labels, { minMembers: 3 });
  assert.deepEqual(p.basins[0], { label: 7, count: 3, members: 4, purity: 0.75 });
  assert.deepEqual(p.basins[1], { label: 4, count: 3, members: 3, purity: 1 });
  assert.equal(p.counted, 2);
  assert.equal(p.overall, 6 / 7);
  assert.equal(p.mean, (0.75 + 1) / 2);
  const s = basinSizeStats(members.map((m) => m.length), 3);
  assert.deepEqual(s, { basins: 4, members: 9, min: 1, max: 4, mean: 2.25, median: 2, shown: 2, minMembers: 3 });
  assert.throws(() => basinPurity([[0, 12]], labels), (e) => isUserError(e) && /label/.test(e.message));
});

test('malformed barrier matrices are user errors', () => {
  assert.throws(() => buildTree([0, 1], [0, 1, 2]), (e) => isUserError(e) && /M×M/.test(e.message));
  assert.throws(() => buildTree([0, 1], [[0, 1], [1]]), isUserError);
  assert.throws(() => buildTree([0, 1], [0, 1, 1, 0], { members: [1] }), isUserError);
});

test('basinPurityChance: closed forms at the extremes, and between them the hypergeometric expectation', () => {
  // 6 of class 0, 4 of class 1.
  const labels = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
  const all = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]];
  assert.ok(Math.abs(basinPurityChance(all, labels) - 0.6) < 1e-12, 'one basin: the majority share, whatever the permutation');
  const singletons = all[0].map((i) => [i]);
  assert.equal(basinPurityChance(singletons, labels), 1, 'single-member basins are always pure');
  // Five basins of two: a pair is pure with probability (C(6,2) + C(4,2)) / C(10,2) = 21/45, so the
  // expected purity of a pair is 21/45 · 1 + 24/45 · ½ = 33/45.
  const pairs = [[0, 9], [1, 8], [2, 7], [3, 6], [4, 5]];
  const chance = basinPurityChance(pairs, labels, { permutations: 4000, seed: 3 });
  assert.ok(Math.abs(chance - 33 / 45) < 0.01, `chance purity ${chance} vs 33/45`);
  // Only the members' labels are permuted; starts outside every basin keep theirs and are never read.
  assert.equal(basinPurityChance([[0, 1]], [5, 5, 7, 7]), 1);
  assert.throws(() => basinPurityChance([[0, 12]], labels), isUserError);
  assert.throws(() => basinPurityChance(all, labels, { permutations: 0 }), isUserError);
});

test('epsilonForMostBasins: the cut with the most basins of ≥ minMembers members, the highest among ties', () => {
  const t = buildTree(E, B, { members: [10, 6, 5, 3, 1] });
  // Merges at −1.5 ({0,1}: 16), −0.5 ({2,3}: 8), 0 (24), 2 (25). With minMembers 4: 3 drawable basins
  // before any merge (10, 6, 5), then 2, 2, 1, 1.
  const a = epsilonForMostBasins(t, 4);
  assert.deepEqual(a.levels.map((l) => l.shown), [3, 2, 2, 1, 1]);
  assert.deepEqual(a.levels.map((l) => l.basins), [5, 4, 3, 2, 1]);
  assert.equal(a.shown, 3);
  assert.ok(a.epsilon < -1.5);
  assert.equal(cutTree(t, a.epsilon).basins.length, 5);
  // Midway between merges: with minMembers 6 the counts are 2, 1, 2, 1, 1 and the tie goes to the higher level.
  const b = epsilonForMostBasins(t, 6);
  assert.deepEqual(b.levels.map((l) => l.shown), [2, 1, 2, 1, 1]);
  assert.equal(b.epsilon, -0.25);
  assert.deepEqual(cutTree(t, b.epsilon).basins.map((x) => x.minima), [[0, 1], [2, 3], [4]]);
  // No merge at all: the one level keeps every minimum.
  const lone = buildTree([-1, -2], [[-1, INF], [INF, -2]], { members: [5, 5] });
  assert.deepEqual([epsilonForMostBasins(lone).shown, cutTree(lone, epsilonForMostBasins(lone).epsilon).basins.length], [2, 2]);
});
