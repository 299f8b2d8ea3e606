/**
 * Geometry of a disconnectivity graph (Wales, Miller & Walsh 1998; divergence-triangle paper Figures 14–15):
 * one column per basin, a vertical line from each basin's depth up to the barrier where it merges, a
 * horizontal line at each merge, circles sized by the basin's members. Every subtree's leaves are placed
 * next to each other, so no lines cross.
 */
import { UserError } from '../errors';
import type { LandscapeTree, LandscapeTreeNode } from './tree';

/** 'deepest-left': at every merge the deeper branch goes left. 'deepest-center': the global minimum sits in
 * the middle, branches fanning out towards both sides with the deeper ones nearer the middle. */
export type DisconnectivityOrder = 'deepest-center' | 'deepest-left';

export interface DisconnectivityLayoutOptions {
  /** Leaves (basins) with fewer members are omitted (default 4, as in the paper). */
  minMembers?: number;
  /** Members drawn under each column (default 12). */
  maxMembersShown?: number;
  order?: DisconnectivityOrder;
}

export interface DisconnectivityLeaf {
  /** Node id in the tree laid out (= basin id for a cut tree). */
  node: number;
  /** The node's item (basin or minimum index). */
  item: number;
  /** Column position, 0..L−1 from the left. */
  x: number;
  energy: number;
  members: number;
  /** min(members, maxMembersShown). */
  shown: number;
}

export interface DisconnectivityLayout {
  /** The columns, left to right. */
  leaves: DisconnectivityLeaf[];
  /** One per drawn node: from its own energy (y0) up to its parent's merge (y1), or to `top` at a root. */
  vertical: { node: number; x: number; y0: number; y1: number }[];
  /** One per drawn merge: across its children's columns at the merge energy. */
  horizontal: { node: number; x0: number; x1: number; y: number }[];
  /** At each column's bottom; radius ∈ (0, 1] ∝ √members (area ∝ members), 1 for the largest basin. */
  circles: { node: number; x: number; y: number; members: number; radius: number }[];
  /** Lowest leaf energy and the height roots are drawn up to. */
  energyRange: [number, number];
  top: number;
  /** Leaves left out for having fewer than minMembers members. */
  omitted: number;
  maxMembersShown: number;
}

interface Drawn {
  node: LandscapeTreeNode;
  children: Drawn[];
  minEnergy: number;
  leaves: number;
}

/** Lays a tree out as a disconnectivity graph (see the file comment). */
export function layoutDisconnectivity(tree: LandscapeTree, opts: DisconnectivityLayoutOptions = {}): DisconnectivityLayout {
  const minMembers = opts.minMembers ?? 4;
  const maxShown = opts.maxMembersShown ?? 12;
  const order = opts.order ?? 'deepest-center';
  if (!(maxShown >= 0)) throw new UserError(`layoutDisconnectivity: maxMembersShown must be ≥ 0 (got ${maxShown})`);

  // Drop small leaves; an internal node left with one drawn child is replaced by that child.
  let omitted = 0;
  const prune = (id: number): Drawn | null => {
    const node = tree.nodes[id];
    if (node.children.length === 0) {
      if (node.members < minMembers) {
        omitted++;
        return null;
      }
      return { node, children: [], minEnergy: node.energy, leaves: 1 };
    }
    const kids = node.children.map(prune).filter((c): c is Drawn => c !== null);
    if (kids.length === 0) return null;
    if (kids.length === 1) return kids[0];
    return { node, children: kids, minEnergy: Math.min(...kids.map((k) => k.minEnergy)), leaves: kids.reduce((s, k) => s + k.leaves, 0) };
  };
  const roots = tree.roots.map(prune).filter((r): r is Drawn => r !== null);

  const byDepth = (a: Drawn, b: Drawn): number => a.minEnergy - b.minEnergy || a.node.id - b.node.id;
  const sequence: Drawn[] = []; // leaves, left to right
  const placeSide = (d: Drawn, side: 'left' | 'right'): void => {
    if (d.children.length === 0) {
      sequence.push(d);
      return;
    }
    // Deeper branches face the middle: rightmost on the left side, leftmost on the right side.
    const kids = [...d.children].sort(byDepth);
    if (side === 'left') kids.reverse();
    for (const k of kids) placeSide(k, side);
  };
  switch (order) {
    case 'deepest-left': {
      const place = (d: Drawn): void => {
        if (d.children.length === 0) sequence.push(d);
        else [...d.children].sort(byDepth).forEach(place);
      };
      [...roots].sort(byDepth).forEach(place);
      break;
    }
    case 'deepest-center': {
      // Walk down the branch holding the global minimum; at every merge along it, hand the other branches
      // (deepest first) to the side with fewer leaves so far. Branches handed over higher up sit further out.
      const outerLeft: Drawn[] = []; // inner to outer once built
      const outerRight: Drawn[] = [];
      let nLeft = 0;
      let nRight = 0;
      const handOut = (others: Drawn[]): void => {
        const left: Drawn[] = [];
        const right: Drawn[] = [];
        for (const o of others) {
          if (nLeft <= nRight) {
            left.push(o);
            nLeft += o.leaves;
          } else {
            right.push(o);
            nRight += o.leaves;
          }
        }
        // Deeper ones nearer the middle: inner first; this level goes inside everything handed out before.
        outerLeft.unshift(...left);
        outerRight.unshift(...right);
      };
      const sortedRoots = [...roots].sort(byDepth);
      let center: Drawn | undefined = sortedRoots[0];
      if (center) handOut(sortedRoots.slice(1));
      while (center && center.children.length > 0) {
        const kids: Drawn[] = [...center.children].sort(byDepth);
        handOut(kids.slice(1));
        center = kids[0];
      }
      for (let k = outerLeft.length - 1; k >= 0; k--) placeSide(outerLeft[k], 'left');
      if (center) sequence.push(center);
      for (const r of outerRight) placeSide(r, 'right');
      break;
    }
    default: {
      const never: never = order;
      throw new UserError(`layoutDisconnectivity: unknown order '${String(never)}'; use 'deepest-center' or 'deepest-left'`);
    }
  }

  const xOf = new Map<number, number>();
  sequence.forEach((d, x) => xOf.set(d.node.id, x));
  const maxMembers = Math.max(1, ...sequence.map((d) => d.node.members));
  const leaves: DisconnectivityLeaf[] = sequence.map((d, x) => ({
    node: d.node.id,
    item: d.node.item,
    x,
    energy: d.node.energy,
    members: d.node.members,
    shown: Math.min(d.node.members, maxShown),
  }));
  const circles = leaves.map((l) => ({ node: l.node, x: l.x, y: l.energy, members: l.members, radius: Math.sqrt(l.members / maxMembers) }));

  const vertical: DisconnectivityLayout['vertical'] = [];
  const horizontal: DisconnectivityLayout['horizontal'] = [];
  const lowest = sequence.length ? Math.min(...sequence.map((d) => d.node.energy)) : 0;
  const highest = roots.length ? Math.max(...roots.map((r) => r.node.energy)) : 0;
  // Roots get a stub above the highest merge, as disconnectivity graphs draw the top of the tree.
  const top = highest + 0.05 * Math.max(highest - lowest, Math.abs(highest) * 1e-3, 1e-9);
  const position = (d: Drawn): number => {
    if (d.children.length === 0) return xOf.get(d.node.id)!;
    const xs = d.children.map(position);
    const x0 = Math.min(...xs);
    const x1 = Math.max(...xs);
    horizontal.push({ node: d.node.id, x0, x1, y: d.node.energy });
    d.children.forEach((c, k) => vertical.push({ node: c.node.id, x: xs[k], y0: c.node.energy, y1: d.node.energy }));
    return (x0 + x1) / 2;
  };
  for (const r of roots) vertical.push({ node: r.node.id, x: position(r), y0: r.node.energy, y1: top });

  return { leaves, vertical, horizontal, circles, energyRange: [lowest, top], top, omitted, maxMembersShown: maxShown };
}
