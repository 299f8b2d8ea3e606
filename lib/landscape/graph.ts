/**
 * The content of a disconnectivity graph as Figures 14–15 draw it (divergence-triangle paper §4.3), as
 * plain data: one column per basin with at least `minMembers` members, each with the basin's
 * representative local minima (indices into the minima, for their images), its members, majority class
 * and purity, and the energy axis. `drawLandscape` draws both figures (interactive and static) from it,
 * so they show the same thing; a notebook can list or plot it directly.
 */
import { UserError } from '../errors';
import { layoutDisconnectivity, type DisconnectivityLayout, type DisconnectivityOrder } from './layout';
import type { LandscapeResult } from './map';

export interface DisconnectivityColumn {
  /** Index into `result.cut.basins` (and `result.members`). */
  basin: number;
  /** Column position, 0..C−1 from the left. */
  x: number;
  /** E of the basin's deepest minimum (the column's foot). */
  energy: number;
  /** Data points whose descent ended in the basin. */
  members: number;
  /** The basin's representative minima, deepest first, at most `maxShown`: indices into `result.minima.minima`. */
  minima: number[];
  /** All minima in the basin. */
  minimaCount: number;
  /** Majority class among the members and how many carry it (null without labels). */
  label: number | null;
  labelCount: number;
  /** labelCount / members (null without labels). */
  purity: number | null;
  /** "7 · 92%" (class name or number · purity), or the member count without labels. */
  caption: string;
}

export interface DisconnectivityData {
  method: LandscapeResult['method'];
  layout: DisconnectivityLayout;
  columns: DisconnectivityColumn[];
  /** The energy axis: from the deepest column to the top of the tree, E(x) = −f(x). */
  energyAxis: { min: number; max: number; label: string };
  /** The threshold the tree was cut at, and basins left out for having fewer than minMembers members. */
  epsilon: number;
  minMembers: number;
  omitted: number;
}

export interface DisconnectivityDataOptions {
  /** Columns only for basins with at least this many members (default: the landscape's minMembers, 4 as the paper). */
  minMembers?: number;
  /** Minima listed per column (default 12, as Figures 14–15 show at most 12 per column). */
  maxShown?: number;
  order?: DisconnectivityOrder;
  /** Class names for the captions (default: the label number). */
  classNames?: readonly string[];
  energyLabel?: string;
}

/**
 * The columns of the disconnectivity graph of a mapped landscape.
 * @param labels [N] optional classes of the mapped starts, for majority class and purity
 */
export function disconnectivityData(result: LandscapeResult, labels?: ArrayLike<number>, opts: DisconnectivityDataOptions = {}): DisconnectivityData {
  const n = result.minima.assignment.length;
  if (labels && labels.length !== n) throw new UserError(`disconnectivityData: ${labels.length} labels for ${n} mapped starts; pass one label per start`);
  const minMembers = opts.minMembers ?? result.minMembers;
  const maxShown = opts.maxShown ?? 12;
  if (!(Number.isInteger(maxShown) && maxShown >= 0)) throw new UserError(`disconnectivityData: maxShown must be an integer ≥ 0 (got ${maxShown})`);
  const layout = layoutDisconnectivity(result.cut.tree, { minMembers, maxMembersShown: maxShown, order: opts.order ?? 'deepest-center' });
  const name = (label: number): string => opts.classNames?.[label] ?? String(label);
  const columns = layout.leaves.map((leaf): DisconnectivityColumn => {
    const basin = result.cut.basins[leaf.item];
    if (!basin) throw new UserError(`disconnectivityData: column for basin ${leaf.item}, but the landscape has ${result.cut.basins.length} basins`);
    const members = result.members[basin.id];
    // The minima are sorted by energy (deepest first), so sorting the indices sorts by depth.
    const minima = [...basin.minima].sort((a, b) => a - b);
    let label: number | null = null;
    let labelCount = 0;
    if (labels && members.length > 0) {
      const counts = new Map<number, number>();
      for (const s of members) counts.set(labels[s], (counts.get(labels[s]) ?? 0) + 1);
      for (const [l, c] of counts) if (c > labelCount || (c === labelCount && l < label!)) [label, labelCount] = [l, c];
    }
    const purity = label === null ? null : labelCount / members.length;
    return {
      basin: basin.id,
      x: leaf.x,
      energy: leaf.energy,
      members: members.length,
      minima: minima.slice(0, maxShown),
      minimaCount: minima.length,
      label,
      labelCount,
      purity,
      caption: label === null ? `${members.length}` : `${name(label)} · ${Math.round(100 * purity!)}%`,
    };
  });
  return {
    method: result.method,
    layout,
    columns,
    energyAxis: { min: layout.energyRange[0], max: layout.top, label: opts.energyLabel ?? 'energy E(x) = −f(x)' },
    epsilon: result.cut.epsilon,
    minMembers,
    omitted: layout.omitted,
  };
}
