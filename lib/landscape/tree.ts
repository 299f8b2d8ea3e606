/**
 * Single-linkage merging of minima by barrier energy into an ultrametric tree (the tree a disconnectivity
 * graph draws; Wales, Miller & Walsh 1998), its cut into basins at an energy ε (divergence-triangle paper
 * §4.3: b_ij < ε ⇒ same basin), and per-basin members, purity and sizes.
 */
import { UserError } from '../errors';
import { SeededRng } from '../random';

export interface LandscapeTreeNode {
  id: number;
  /** −1 at a root. */
  parent: number;
  /** Empty at a leaf. */
  children: number[];
  /** Leaf: E of its minimum (of its deepest minimum for a basin); internal: the barrier at which its children merge. */
  energy: number;
  /** Deepest E under the node. */
  minEnergy: number;
  /** Leaves under the node. */
  leaves: number;
  /** Members (start points) under the node. */
  members: number;
  /** Leaf: the index of the minimum (or basin) it stands for; −1 at an internal node. */
  item: number;
}

/**
 * Nodes 0..leafCount−1 are the leaves (node i is item i), internal nodes follow in merge order, so a
 * parent always has a larger id than its children. Several roots when some minima were never joined
 * (a barrier of +∞: not estimated, or attraction–diffusion never arrived).
 */
export interface LandscapeTree {
  nodes: LandscapeTreeNode[];
  roots: number[];
  leafCount: number;
}

/** A barrier matrix: M×M row-major numbers, or rows. */
export type BarrierMatrixLike = ArrayLike<number> | readonly (readonly number[])[];

/**
 * Single linkage: merge the two groups joined by the lowest remaining barrier, until no finite barrier is left.
 * A merge's energy is at least that of what it joins, so energies never decrease towards the root.
 * @param energies [M] E of each minimum
 * @param barriers M×M; only the upper triangle (i < j) is read; +∞/NaN means no known connection
 * @param opts.members [M] members per minimum (default 1 each)
 */
export function buildTree(energies: ArrayLike<number>, barriers: BarrierMatrixLike, opts: { members?: ArrayLike<number> } = {}): LandscapeTree {
  const m = energies.length;
  const at = matrixReader(barriers, m);
  const members = opts.members;
  if (members && members.length !== m) throw new UserError(`buildTree: ${members.length} member counts for ${m} minima; pass one per minimum`);
  const nodes: LandscapeTreeNode[] = [];
  for (let i = 0; i < m; i++) {
    nodes.push({ id: i, parent: -1, children: [], energy: energies[i], minEnergy: energies[i], leaves: 1, members: members ? members[i] : 1, item: i });
  }
  const edges: { i: number; j: number; b: number }[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      const b = at(i, j);
      if (Number.isFinite(b)) edges.push({ i, j, b });
    }
  }
  edges.sort((a, b) => a.b - b.b || a.i - b.i || a.j - b.j);
  // Union–find over minima; top[root of a set] = the tree node currently standing for that set.
  const uf = Int32Array.from({ length: m }, (_, i) => i);
  const find = (i: number): number => {
    while (uf[i] !== i) {
      uf[i] = uf[uf[i]];
      i = uf[i];
    }
    return i;
  };
  const top = Int32Array.from({ length: m }, (_, i) => i);
  for (const { i, j, b } of edges) {
    const ri = find(i);
    const rj = find(j);
    if (ri === rj) continue;
    const a = nodes[top[ri]];
    const c = nodes[top[rj]];
    const id = nodes.length;
    // Left child: the deeper side, so an unordered drawing already reads deepest-left.
    const [l, r] = a.minEnergy <= c.minEnergy ? [a, c] : [c, a];
    nodes.push({
      id,
      parent: -1,
      children: [l.id, r.id],
      energy: Math.max(b, l.energy, r.energy),
      minEnergy: Math.min(l.minEnergy, r.minEnergy),
      leaves: l.leaves + r.leaves,
      members: l.members + r.members,
      item: -1,
    });
    l.parent = id;
    r.parent = id;
    uf[rj] = ri;
    top[ri] = id;
  }
  return { nodes, roots: nodes.filter((n) => n.parent === -1).map((n) => n.id), leafCount: m };
}

/** The items (minima or basins) under a node, in tree order. */
export function treeLeaves(tree: LandscapeTree, node: number): number[] {
  const out: number[] = [];
  const stack = [node];
  while (stack.length > 0) {
    const n = tree.nodes[stack.pop()!];
    if (n.children.length === 0) out.push(n.item);
    else for (let k = n.children.length - 1; k >= 0; k--) stack.push(n.children[k]);
  }
  return out;
}

export interface LandscapeBasin {
  /** Index in `TreeCut.basins` (deepest basin first) and leaf `id` of `TreeCut.tree`. */
  id: number;
  /** Minima (items of the cut tree's leaves) in the basin. */
  minima: number[];
  /** E of the basin's deepest minimum. */
  energy: number;
  /** Its deepest minimum. */
  deepest: number;
  /** Members (start points) of the basin. */
  members: number;
  /** The node of the original tree at the basin's top. */
  node: number;
}

export interface TreeCut {
  epsilon: number;
  basins: LandscapeBasin[];
  /** The part of the tree above ε, its leaves the basins (leaf i = basin i). */
  tree: LandscapeTree;
}

/**
 * Cuts the tree at energy ε: minima joined by merges below ε form one basin. Returns the basins, deepest
 * first, and the tree of merges at or above ε with one leaf per basin (what the disconnectivity graph draws).
 */
export function cutTree(tree: LandscapeTree, epsilon: number): TreeCut {
  if (Number.isNaN(epsilon)) throw new UserError('cutTree: epsilon is NaN; pass an energy threshold');
  const { nodes } = tree;
  const below = (n: LandscapeTreeNode): boolean => n.children.length === 0 || n.energy < epsilon;
  const tops = nodes.filter((n) => below(n) && (n.parent === -1 || !below(nodes[n.parent])));
  tops.sort((a, b) => a.minEnergy - b.minEnergy || a.id - b.id);
  const basins: LandscapeBasin[] = tops.map((n, id) => {
    const minima = treeLeaves(tree, n.id);
    let deepest = minima[0];
    for (const i of minima) if (nodes[i].energy < nodes[deepest].energy) deepest = i;
    return { id, minima, energy: n.minEnergy, deepest, members: n.members, node: n.id };
  });
  // Rebuild the part above the cut with basins as leaves 0..K−1, then the internal nodes in their original order.
  const newId = new Map<number, number>();
  const cutNodes: LandscapeTreeNode[] = basins.map((b) => {
    newId.set(b.node, b.id);
    return { id: b.id, parent: -1, children: [], energy: b.energy, minEnergy: b.energy, leaves: 1, members: b.members, item: b.id };
  });
  for (const n of nodes) {
    if (below(n)) continue;
    const id = cutNodes.length;
    newId.set(n.id, id);
    cutNodes.push({ ...n, id, parent: -1, children: n.children.map((c) => newId.get(c)!), leaves: 0, item: -1 });
  }
  for (const n of cutNodes) {
    if (n.children.length === 0) continue;
    n.leaves = n.children.reduce((s, c) => s + cutNodes[c].leaves, 0);
    for (const c of n.children) cutNodes[c].parent = n.id;
  }
  return {
    epsilon,
    basins,
    tree: { nodes: cutNodes, roots: cutNodes.filter((n) => n.parent === -1).map((n) => n.id), leafCount: basins.length },
  };
}

/**
 * The ε at which `cutTree` leaves (at least) k basins: the (k−1)-th highest merge energy, so the k−1
 * highest merges are cut. With fewer merges than that, any ε below every merge (each minimum its own basin).
 */
export function epsilonForBasins(tree: LandscapeTree, k: number): number {
  if (!(Number.isInteger(k) && k >= 1)) throw new UserError(`epsilonForBasins: k must be an integer ≥ 1 (got ${k})`);
  const merges = tree.nodes.filter((n) => n.children.length > 0).map((n) => n.energy).sort((a, b) => b - a);
  const cut = k - tree.roots.length; // merges to undo
  if (cut <= 0) return Infinity;
  if (cut > merges.length) return -Infinity;
  return merges[cut - 1];
}

/** What `epsilonForMostBasins` chose, and the curve it chose from. */
export interface EpsilonChoice {
  epsilon: number;
  /** Basins with ≥ minMembers members at ε. */
  shown: number;
  /** Every distinct cut: ε (between two successive merge energies) and the basins with ≥ minMembers members there. */
  levels: { epsilon: number; shown: number; basins: number }[];
}

/**
 * The default energy threshold ε of the cut (§4.3: b_ij < ε ⇒ one basin): the level at which the most
 * basins have at least `minMembers` members, i.e. the disconnectivity graph with the most columns; among
 * equal counts the highest such level, so the basins hold as many members as they can. Label-free.
 * Below it, basins are single minima with too few members to draw; above it, single linkage chains them
 * into one giant basin (what a fixed number of basins cut from the top gave on MNIST: 93% of the test
 * images in one basin). ε is placed midway between two successive merge energies, so it is stable
 * against small changes of the barriers. On a triangle EBM of MNIST (300 test images, straight-line
 * barriers) counts over the merge energies ran 2, 3, 7, 9, 8, 8, 5, 4, 1 with purities 1.0 … 0.88 … 0.13:
 * the most columns sit where basins are still pure.
 * @param minMembers default 4, as Figures 14–15
 */
export function epsilonForMostBasins(tree: LandscapeTree, minMembers = 4): EpsilonChoice {
  const merges = tree.nodes.filter((n) => n.children.length > 0).sort((a, b) => a.energy - b.energy || a.id - b.id);
  let shown = 0;
  let basins = tree.leafCount;
  for (let i = 0; i < tree.leafCount; i++) if (tree.nodes[i].members >= minMembers) shown++;
  const energies = [...new Set(merges.map((n) => n.energy))];
  // Levels: below every merge, between successive merge energies, above every merge.
  const span = energies.length > 1 ? energies[energies.length - 1] - energies[0] : Math.max(1e-6, Math.abs(energies[0] ?? 0) * 1e-6);
  const pad = span / (2 * Math.max(1, energies.length));
  const levels: EpsilonChoice['levels'] = [{ epsilon: (energies[0] ?? 0) - pad, shown, basins }];
  let k = 0;
  energies.forEach((e, q) => {
    for (; k < merges.length && merges[k].energy === e; k++) {
      const n = merges[k];
      for (const c of n.children) if (tree.nodes[c].members >= minMembers) shown--;
      if (n.members >= minMembers) shown++;
      basins -= n.children.length - 1;
    }
    const epsilon = q + 1 < energies.length ? (e + energies[q + 1]) / 2 : e + pad;
    levels.push({ epsilon, shown, basins });
  });
  let best = levels[0];
  for (const l of levels) if (l.shown >= best.shown) best = l;
  return { epsilon: best.epsilon, shown: best.shown, levels };
}

/**
 * Members of each basin: the start points whose descent reached one of its minima, ordered by the
 * energy where their descent ended (then by index).
 * @param assignment [N] start → minimum (−1: none)
 * @param finalEnergies [N] E at the end of each descent
 */
export function basinMembers(basins: readonly LandscapeBasin[], assignment: ArrayLike<number>, finalEnergies?: ArrayLike<number>): number[][] {
  const basinOf = new Map<number, number>();
  for (const b of basins) for (const i of b.minima) basinOf.set(i, b.id);
  const out: number[][] = basins.map(() => []);
  for (let s = 0; s < assignment.length; s++) {
    const b = basinOf.get(assignment[s]);
    if (b !== undefined) out[b].push(s);
  }
  if (finalEnergies) for (const list of out) list.sort((a, b) => finalEnergies[a] - finalEnergies[b] || a - b);
  return out;
}

export interface BasinPurity {
  /** Per basin: its most frequent label, how many members carry it, members, and that fraction. */
  basins: { label: number; count: number; members: number; purity: number }[];
  /** Σ majority counts / Σ members over the basins counted (members-weighted purity). */
  overall: number;
  /** Unweighted mean of the per-basin purities over the basins counted. */
  mean: number;
  /** Basins counted: those with at least minMembers members. */
  counted: number;
}

/**
 * Label purity of basins (the paper: "basins pure in digit class").
 * @param members per basin, start indices
 * @param labels [N] a class per start
 * @param opts.minMembers count only basins at least this large in overall/mean (default 1)
 */
export function basinPurity(members: readonly (readonly number[])[], labels: ArrayLike<number>, opts: { minMembers?: number } = {}): BasinPurity {
  const minMembers = opts.minMembers ?? 1;
  let hit = 0;
  let total = 0;
  let sum = 0;
  let counted = 0;
  const basins = members.map((list) => {
    const freq = new Map<number, number>();
    for (const s of list) {
      if (s < 0 || s >= labels.length) throw new UserError(`basinPurity: member ${s} has no label (${labels.length} labels); pass one label per start point`);
      freq.set(labels[s], (freq.get(labels[s]) ?? 0) + 1);
    }
    let label = -1;
    let count = 0;
    for (const [l, c] of freq) if (c > count || (c === count && l < label)) [label, count] = [l, c];
    const purity = list.length > 0 ? count / list.length : NaN;
    if (list.length >= minMembers && list.length > 0) {
      hit += count;
      total += list.length;
      sum += purity;
      counted++;
    }
    return { label, count, members: list.length, purity };
  });
  return { basins, overall: total > 0 ? hit / total : NaN, mean: counted > 0 ? sum / counted : NaN, counted };
}

/**
 * The overall purity the same basins would have by chance: the mean of `basinPurity(...).overall` over
 * random permutations of the labels among the basins' members (basin sizes kept). One giant basin gets
 * the majority class's share whatever the landscape; many tiny basins get a high purity for free. A
 * landscape's purity means something only well above this.
 * @param opts.permutations default 50; opts.seed default 1
 */
export function basinPurityChance(
  members: readonly (readonly number[])[],
  labels: ArrayLike<number>,
  opts: { minMembers?: number; permutations?: number; seed?: number } = {},
): number {
  const permutations = opts.permutations ?? 50;
  if (!(Number.isInteger(permutations) && permutations >= 1)) throw new UserError(`basinPurityChance: permutations must be an integer ≥ 1 (got ${permutations})`);
  const starts = members.flat();
  const pool = starts.map((s) => {
    if (s < 0 || s >= labels.length) throw new UserError(`basinPurityChance: member ${s} has no label (${labels.length} labels); pass one label per start point`);
    return labels[s];
  });
  const rng = new SeededRng(opts.seed ?? 1);
  const relabelled = Float64Array.from(labels);
  let sum = 0;
  for (let p = 0; p < permutations; p++) {
    for (let i = pool.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    starts.forEach((s, k) => (relabelled[s] = pool[k]));
    sum += basinPurity(members, relabelled, opts).overall;
  }
  return sum / permutations;
}

export interface BasinSizeStats {
  basins: number;
  members: number;
  min: number;
  max: number;
  mean: number;
  median: number;
  /** Basins with at least `minMembers` members (those a disconnectivity graph draws). */
  shown: number;
  minMembers: number;
}

/** Size statistics of basins. @param sizes members per basin */
export function basinSizeStats(sizes: readonly number[], minMembers = 4): BasinSizeStats {
  const s = [...sizes].sort((a, b) => a - b);
  const n = s.length;
  const members = s.reduce((a, b) => a + b, 0);
  const median = n === 0 ? NaN : n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return {
    basins: n,
    members,
    min: n ? s[0] : NaN,
    max: n ? s[n - 1] : NaN,
    mean: n ? members / n : NaN,
    median,
    shown: s.filter((x) => x >= minMembers).length,
    minMembers,
  };
}

function matrixReader(b: BarrierMatrixLike, m: number): (i: number, j: number) => number {
  if (b.length === m && m > 0 && typeof b[0] !== 'number') {
    const rows = b as readonly (readonly number[])[];
    rows.forEach((r, i) => {
      if (r.length !== m) throw new UserError(`barrier matrix row ${i} has ${r.length} entries for ${m} minima; pass an M×M matrix`);
    });
    return (i, j) => rows[i][j];
  }
  if (b.length !== m * m) throw new UserError(`barrier matrix has ${b.length} entries for ${m} minima; pass M×M = ${m * m} values`);
  const flat = b as ArrayLike<number>;
  return (i, j) => flat[i * m + j];
}
