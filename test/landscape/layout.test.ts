import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTree } from '../../lib/landscape/tree';
import { DisconnectivityLayout, layoutDisconnectivity } from '../../lib/landscape/layout';

const INF = Infinity;
// Six basins: {0,1} merge at −2, {2,3} at −2.5, {4,5} at −1, {0..3} at 0, everything at 1.
// Basin 3 has one member, so it is omitted and {2,3} collapses into basin 2 alone.
const E = [-5, -4, -3.5, -3, -2, -1.5];
const MEMBERS = [20, 8, 6, 1, 5, 10];
function barriers(): number[][] {
  const b = E.map((e, i) => E.map((_, j) => (i === j ? e : 1)));
  const set = (i: number, j: number, v: number): void => {
    b[i][j] = v;
    b[j][i] = v;
  };
  set(0, 1, -2);
  set(2, 3, -2.5);
  set(4, 5, -1);
  set(1, 2, 0);
  set(0, 2, 0.5);
  return b;
}

/** No vertical line passes through a horizontal one, and every subtree's columns are contiguous. */
function assertNoCrossings(l: DisconnectivityLayout): void {
  for (const h of l.horizontal) {
    for (const v of l.vertical) {
      const crosses = h.x0 < v.x && v.x < h.x1 && v.y0 < h.y && h.y < v.y1;
      assert.ok(!crosses, `vertical of node ${v.node} at x=${v.x} crosses merge ${h.node} at y=${h.y}`);
    }
  }
}

test('deepest-left order, merge heights, collapsed and omitted basins', () => {
  const tree = buildTree(E, barriers(), { members: MEMBERS });
  const l = layoutDisconnectivity(tree, { order: 'deepest-left' });
  assert.deepEqual(l.leaves.map((x) => x.item), [0, 1, 2, 4, 5]);
  assert.deepEqual(l.leaves.map((x) => x.x), [0, 1, 2, 3, 4]);
  assert.equal(l.omitted, 1);
  assert.deepEqual(l.leaves.map((x) => x.shown), [12, 8, 6, 5, 10]);
  // Merges drawn at their barrier energies; {2,3} is gone with basin 3.
  assert.deepEqual(l.horizontal.map((h) => h.y).sort((a, b) => a - b), [-2, -1, 0, 1]);
  const at = (y: number) => l.horizontal.find((h) => h.y === y)!;
  assert.deepEqual([at(-2).x0, at(-2).x1], [0, 1]);
  assert.deepEqual([at(-1).x0, at(-1).x1], [3, 4]);
  assert.deepEqual([at(0).x0, at(0).x1], [0.5, 2]);
  assert.deepEqual([at(1).x0, at(1).x1], [1.25, 3.5]);
  // Basin 2's vertical runs from its depth straight up to the merge at 0.
  const v2 = l.vertical.find((v) => v.x === 2)!;
  assert.deepEqual([v2.y0, v2.y1], [-3.5, 0]);
  // One root, drawn up to the top stub.
  const rootLine = l.vertical.filter((v) => v.y1 === l.top);
  assert.equal(rootLine.length, 1);
  assert.ok(l.top > 1);
  assert.deepEqual(l.energyRange, [-5, l.top]);
  assert.deepEqual(l.circles.map((c) => c.radius), MEMBERS.filter((m) => m >= 4).map((m) => Math.sqrt(m / 20)));
  assert.equal(l.vertical.length, 9); // 5 leaves, {0,1}, {0,1,2}, {4,5}, and the root up to the top
  assertNoCrossings(l);
});

test('deepest-center puts the global minimum in the middle with deeper branches nearer it', () => {
  const tree = buildTree(E, barriers(), { members: MEMBERS });
  const l = layoutDisconnectivity(tree, { order: 'deepest-center' });
  // The {4,5} branch goes left (deeper 4 next to the middle), 1 and 2 to the right of basin 0.
  assert.deepEqual(l.leaves.map((x) => x.item), [5, 4, 0, 1, 2]);
  assert.equal(l.leaves.findIndex((x) => x.item === 0), 2);
  assertNoCrossings(l);
});

test('no crossings on a larger random tree in both orders, and a forest gets one root line per tree', () => {
  // Deterministic pseudo-random energies and barriers.
  let s = 12345;
  const rnd = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  const m = 40;
  const e = Array.from({ length: m }, () => -5 * rnd());
  const b = e.map((ei, i) => e.map((ej, j) => (i === j ? ei : 0)));
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      const v = i < 20 === j < 20 ? Math.max(e[i], e[j]) + 3 * rnd() : INF; // two disconnected halves
      b[i][j] = v;
      b[j][i] = v;
    }
  }
  const members = Array.from({ length: m }, () => 1 + Math.floor(10 * rnd()));
  const tree = buildTree(e, b, { members });
  assert.equal(tree.roots.length, 2);
  for (const order of ['deepest-left', 'deepest-center'] as const) {
    const l = layoutDisconnectivity(tree, { order, minMembers: 3 });
    assertNoCrossings(l);
    assert.equal(l.leaves.length + l.omitted, m);
    assert.equal(l.vertical.filter((v) => v.y1 === l.top).length, 2);
    // Children's verticals end exactly at their parent's merge line.
    for (const h of l.horizontal) {
      const ends = l.vertical.filter((v) => v.y1 === h.y && v.x >= h.x0 && v.x <= h.x1);
      assert.ok(ends.some((v) => v.x === h.x0) && ends.some((v) => v.x === h.x1), `merge ${h.node} has its children's lines at both ends`);
    }
  }
});

test('a tree with every basin too small lays out empty', () => {
  const tree = buildTree([-1, -2], [[-1, 0], [0, -2]], { members: [1, 2] });
  const l = layoutDisconnectivity(tree);
  assert.equal(l.leaves.length, 0);
  assert.equal(l.omitted, 2);
  assert.equal(l.horizontal.length, 0);
});

test('the crossing check itself catches a crossing', () => {
  const bad: DisconnectivityLayout = {
    leaves: [],
    vertical: [{ node: 0, x: 1, y0: -1, y1: 1 }],
    horizontal: [{ node: 1, x0: 0, x1: 2, y: 0 }],
    circles: [],
    energyRange: [-1, 1],
    top: 1,
    omitted: 0,
    maxMembersShown: 12,
  };
  assert.throws(() => assertNoCrossings(bad), /crosses/);
});
