/**
 * The whole energy-landscape mapping of divergence-triangle paper §4.3: descend from data to minima, estimate
 * barriers between minima, merge by single linkage, cut into basins, measure basin purity.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import {
  AdBarrierOptions,
  AdScale,
  AdSettings,
  BarrierResult,
  LinearBarrierOptions,
  MinimaPair,
  adBarriers,
  adSettingsFromScale,
  allMinimaPairs,
  barrierScale,
  linearBarriers,
} from './barriers';
import { type AdelmOptions, type AdelmResult, adelmBasins } from './adelm';
import { FindMinimaOptions, MinimaResult, findMinima, restrictMinima } from './minima';
import type { LandscapeScoreFn } from './score';
import { exampleSize } from './score';
import {
  BasinPurity,
  BasinSizeStats,
  LandscapeTree,
  TreeCut,
  basinMembers,
  basinPurity,
  basinSizeStats,
  buildTree,
  cutTree,
  epsilonForBasins,
  epsilonForMostBasins,
  type EpsilonChoice,
} from './tree';

/** 'linear': the paper's straight-line barriers; 'ad': attraction–diffusion between the given pairs;
 * 'adelm': basins grown by attraction–diffusion against basin representatives (`adelmBasins`). */
export type LandscapeMethod = 'linear' | 'ad' | 'adelm';

/** Method 'adelm': α = this × the median straight-line climb slope (unless given). */
export const ADELM_SLOPE_FACTOR = 2;

/** Which pairs of minima get a barrier: all of them, or each minimum with its k nearest (Euclidean) ones. */
export type LandscapePairs = 'all' | { nearest: number };

/**
 * Where to cut the tree into basins (§4.3: b_ij < ε ⇒ one basin): 'most-basins' (default) at the ε
 * with the most basins of ≥ minMembers members (`epsilonForMostBasins`), at a given energy ε, or at the
 * ε that leaves k basins (cut from the top: on a chained single-linkage tree one giant basin and k − 1
 * outliers, kept for comparison).
 */
export type LandscapeCut = 'most-basins' | { epsilon: number } | { basins: number };

export interface MapLandscapeOptions {
  descent: Omit<FindMinimaOptions, 'onProgress' | 'signal'>;
  /** 'linear' (the paper's barrier, default), 'ad' (attraction–diffusion) or 'adelm' (ADELM's basin growing). */
  method?: LandscapeMethod;
  /** Method 'adelm': minima per batch, representatives a new minimum is tried against, and each
   * representative's nearest others it is connected to (defaults 16, 4, 4; see `adelmBasins`). */
  adelm?: Pick<AdelmOptions, 'chunk' | 'candidates' | 'representativePairs'>;
  linear?: Omit<LinearBarrierOptions, 'onProgress' | 'signal'>;
  /**
   * Attraction–diffusion settings for method 'ad'. Any of alpha, temperature, stepSize, steps, radius left
   * out is derived from the landscape's scale (`adSettingsFromScale`: pair distances and straight-line
   * slopes), so `{}` works in any dimension. `space: 'latent'` is not available here: minima are found in
   * the data's space.
   */
  ad?: Partial<Omit<AdBarrierOptions, 'onProgress' | 'signal' | 'space' | 'generator'>>;
  /** Default 'all' for linear, { nearest: 8 } for attraction–diffusion. */
  pairs?: LandscapePairs;
  /** Keep at most this many minima (the most visited, then the deepest) for the barrier stage (default all). */
  maxMinima?: number;
  /** Default 'most-basins'. */
  cut?: LandscapeCut;
  /** Basins smaller than this are left out of purity statistics and drawings (default 4, as the paper). */
  minMembers?: number;
  onProgress?: (stage: 'descent' | 'barriers', done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface LandscapeResult {
  method: LandscapeMethod;
  /** Minima (tensor owned by the caller: `result.minima.minima.dispose()`), energies, start → minimum. */
  minima: MinimaResult;
  barriers: BarrierResult;
  /** Single-linkage tree over the minima (leaf i = minimum i). */
  tree: LandscapeTree;
  /** Basins at the cut and the tree above it (what `layoutDisconnectivity` draws). */
  cut: TreeCut;
  /** How ε was chosen: 'most-basins' with the curve it was chosen from, or as given. */
  epsilonChoice: { rule: 'most-basins' | 'given' | 'basins'; levels?: EpsilonChoice['levels'] };
  /** Per basin, the starts (data indices) that descended into it, lowest descent end first. */
  members: number[][];
  /** Per minimum, the most frequent label among its starts (−1 without labels or starts). */
  minimaLabels?: Int32Array;
  purity?: BasinPurity;
  sizes: BasinSizeStats;
  minMembers: number;
  /** Method 'ad' only: the same minima and pairs with straight-line barriers (the paper's estimate), mapped
   * the same way, for a side-by-side comparison. Shares `minima` with this result: dispose it once. */
  linear?: LandscapeResult;
  /** Method 'ad' only: the settings used and the scale they were derived from. */
  adSettings?: AdSettings & { trials: number; scale: AdScale };
  /** Method 'adelm' only: ADELM's own basins (minimum → basin, each basin's representative) and the pairs diffused. */
  adelm?: Pick<AdelmResult, 'basinOf' | 'representatives' | 'pairsRun'>;
}

/**
 * Maps the landscape of E = −f around the data.
 * @param data.images [N, ...shape] start points of the descents; not disposed
 * @param data.labels [N] optional classes, for basin purity
 */
export async function mapLandscape(
  score: LandscapeScoreFn,
  data: { images: tf.Tensor; labels?: ArrayLike<number> },
  opts: MapLandscapeOptions,
): Promise<LandscapeResult> {
  const n = data.images.shape[0];
  if (data.labels && data.labels.length !== n) {
    throw new UserError(`mapLandscape: ${data.labels.length} labels for ${n} images; pass one label per image`);
  }
  const method = opts.method ?? 'linear';
  const minMembers = opts.minMembers ?? 4;
  let minima = await findMinima(score, data.images, {
    ...opts.descent,
    onProgress: (d, t) => opts.onProgress?.('descent', d, t),
    signal: opts.signal,
  });
  if (opts.maxMinima !== undefined && minima.energies.length > opts.maxMinima) {
    if (!(Number.isInteger(opts.maxMinima) && opts.maxMinima >= 1)) throw new UserError(`mapLandscape: maxMinima must be an integer ≥ 1 (got ${opts.maxMinima})`);
    const m = minima;
    const keep = Array.from(m.energies, (_, i) => i)
      .sort((a, b) => m.counts[b] - m.counts[a] || m.energies[a] - m.energies[b] || a - b)
      .slice(0, opts.maxMinima)
      .sort((a, b) => a - b); // keep the deepest-first order
    minima = restrictMinima(m, keep);
    m.minima.dispose();
  }

  try {
    const m = minima.energies.length;
    const pairSpec = opts.pairs ?? (method === 'linear' ? 'all' : { nearest: 8 });
    // 'adelm' chooses its own pairs.
    const pairs = method === 'adelm' ? [] : pairSpec === 'all' ? allMinimaPairs(m) : await nearestPairs(minima.minima, pairSpec.nearest);
    const onProgress = (d: number, t: number): void => opts.onProgress?.('barriers', d, t);
    const finish = (method: LandscapeMethod, barriers: BarrierResult): LandscapeResult =>
      landscapeFromBarriers(method, minima, barriers, data.labels, { cut: opts.cut, minMembers });
    switch (method) {
      case 'linear':
        return finish('linear', await linearBarriers(score, minima.minima, pairs, { ...opts.linear, onProgress, signal: opts.signal }));
      case 'ad': {
        // The straight-line barriers come first: cheap next to diffusion, they set the scale of the
        // settings not given, and they are the paper's estimate to compare with.
        const linear = await linearBarriers(score, minima.minima, pairs, { ...opts.linear, signal: opts.signal });
        if (pairs.length === 0) {
          // One minimum: nothing to diffuse between.
          const result = finish('ad', linear);
          result.linear = finish('linear', linear);
          return result;
        }
        const given = opts.ad ?? {};
        const scale = await barrierScale(score, minima.minima, linear, { clamp: given.clamp });
        const settings = adSettingsFromScale(scale, given);
        const ad = await adBarriers(score, minima.minima, pairs, { ...given, ...settings, space: 'image', onProgress, signal: opts.signal });
        const result = finish('ad', ad);
        result.linear = finish('linear', linear);
        result.adSettings = { ...settings, trials: ad.trials, scale };
        return result;
      }
      case 'adelm': {
        // Settings from the scale of the straight lines between nearest minima, as for 'ad'.
        const near = m > 1 ? await nearestPairs(minima.minima, Math.min(4, m - 1)) : [];
        if (near.length === 0) {
          const none = await linearBarriers(score, minima.minima, [], { ...opts.linear, signal: opts.signal });
          const result = finish('adelm', none);
          result.linear = finish('linear', none);
          return result;
        }
        const probe = await linearBarriers(score, minima.minima, near, { ...opts.linear, signal: opts.signal });
        const given = opts.ad ?? {};
        const scale = await barrierScale(score, minima.minima, probe, { clamp: given.clamp });
        // A weaker magnet than for barrier estimation: in ADELM α sets which barriers count as crossable.
        // Measured on a triangle EBM of MNIST (60 test images, 60 minima): at 3× the median straight-line
        // slope every chain arrives (2 basins of 30, purity at chance); at 2× 37% of the pairs tried
        // connected (26 basins, members-weighted purity 0.55 over those of ≥ 4 members); at 1.5× 11%
        // (45 basins, most single minima). Pass ad.alpha to set the resolution by hand.
        const settings = adSettingsFromScale(scale, { alpha: Math.max(ADELM_SLOPE_FACTOR * scale.slope, 2 * scale.gradient, 1e-6), ...given });
        const grown = await adelmBasins(score, minima.minima, minima.energies, { ...given, ...settings, ...opts.adelm, onProgress, signal: opts.signal });
        const linear = await linearBarriers(score, minima.minima, grown.barriers.pairs, { ...opts.linear, signal: opts.signal });
        const result = finish('adelm', grown.barriers);
        result.linear = finish('linear', linear);
        result.adSettings = { ...settings, trials: 2 * (given.trials ?? 1), scale };
        result.adelm = { basinOf: grown.basinOf, representatives: grown.representatives, pairsRun: grown.pairsRun };
        return result;
      }
      default: {
        const never: never = method;
        throw new UserError(`mapLandscape: unknown method '${String(never)}'; use 'linear', 'ad' or 'adelm'`);
      }
    }
  } catch (e) {
    minima.minima.dispose();
    throw e;
  }
}

/**
 * The tree, basins, members and purity of minima joined by the given barriers (the second half of
 * `mapLandscape`, for barriers estimated elsewhere). The result holds `minima` as given.
 */
export function landscapeFromBarriers(
  method: LandscapeMethod,
  minima: MinimaResult,
  barriers: BarrierResult,
  labels: ArrayLike<number> | undefined,
  opts: { cut?: LandscapeCut; minMembers?: number } = {},
): LandscapeResult {
  const minMembers = opts.minMembers ?? 4;
  const tree = buildTree(minima.energies, barriers.matrix, { members: minima.counts });
  const cutSpec = opts.cut ?? 'most-basins';
  let epsilon: number;
  let epsilonChoice: LandscapeResult['epsilonChoice'];
  if (cutSpec === 'most-basins') {
    const choice = epsilonForMostBasins(tree, minMembers);
    epsilon = choice.epsilon;
    epsilonChoice = { rule: 'most-basins', levels: choice.levels };
  } else if ('epsilon' in cutSpec) {
    epsilon = cutSpec.epsilon;
    epsilonChoice = { rule: 'given' };
  } else {
    epsilon = epsilonForBasins(tree, cutSpec.basins);
    epsilonChoice = { rule: 'basins' };
  }
  const cut = cutTree(tree, epsilon);
  const members = basinMembers(cut.basins, minima.assignment, minima.finalEnergies);
  const result: LandscapeResult = {
    method,
    minima,
    barriers,
    tree,
    cut,
    epsilonChoice,
    members,
    sizes: basinSizeStats(members.map((l) => l.length), minMembers),
    minMembers,
  };
  if (labels) {
    if (labels.length !== minima.assignment.length) {
      throw new UserError(`landscapeFromBarriers: ${labels.length} labels for ${minima.assignment.length} starts; pass one label per start`);
    }
    result.purity = basinPurity(members, labels, { minMembers });
    result.minimaLabels = majorityLabels(minima.assignment, labels, minima.energies.length);
  }
  return result;
}

/** Each minimum paired with its k nearest others (Euclidean), each unordered pair once. */
export async function nearestPairs(minima: tf.Tensor, k: number): Promise<MinimaPair[]> {
  if (!(Number.isInteger(k) && k >= 1)) throw new UserError(`nearest pairs: k must be an integer ≥ 1 (got ${k})`);
  const m = minima.shape[0];
  const d2 = tf.tidy(() => {
    const x = minima.reshape([m, exampleSize(minima)]);
    const sq = x.square().sum(1);
    return sq.expandDims(1).add(sq.expandDims(0)).sub(tf.matMul(x, x, false, true).mul(2));
  });
  const host = await d2.data();
  d2.dispose();
  const seen = new Set<number>();
  const out: MinimaPair[] = [];
  for (let i = 0; i < m; i++) {
    const others = Array.from({ length: m }, (_, j) => j).filter((j) => j !== i);
    others.sort((a, b) => host[i * m + a] - host[i * m + b] || a - b);
    for (const j of others.slice(0, k)) {
      const [a, b] = i < j ? [i, j] : [j, i];
      if (!seen.has(a * m + b)) {
        seen.add(a * m + b);
        out.push([a, b]);
      }
    }
  }
  return out;
}

function majorityLabels(assignment: Int32Array, labels: ArrayLike<number>, m: number): Int32Array {
  const freq = Array.from({ length: m }, () => new Map<number, number>());
  assignment.forEach((a, s) => {
    if (a >= 0) freq[a].set(labels[s], (freq[a].get(labels[s]) ?? 0) + 1);
  });
  return Int32Array.from(freq, (f) => {
    let best = -1;
    let count = 0;
    for (const [l, c] of f) if (c > count || (c === count && l < best)) [best, count] = [l, c];
    return best;
  });
}

/** JSON-ready summary of a landscape (no tensors; +∞ barriers become null). */
export interface LandscapeJson {
  method: LandscapeMethod;
  minimaShape: number[];
  minima: { index: number; energy: number; members: number; label: number | null; basin: number }[];
  /** b_ij, M×M rows; null where unknown. */
  barriers: (number | null)[][];
  tree: { nodes: { id: number; parent: number; children: number[]; energy: number; minEnergy: number; members: number; minimum: number }[]; roots: number[] };
  epsilon: number | null;
  /** How ε was chosen ('most-basins': the level with the most basins of ≥ minMembers members). */
  epsilonRule: 'most-basins' | 'given' | 'basins';
  basins: {
    id: number;
    energy: number;
    deepest: number;
    minima: number[];
    members: number[];
    label: number | null;
    purity: number | null;
  }[];
  /** The cut tree (leaf i = basin i), as laid out by `layoutDisconnectivity`. */
  basinTree: { nodes: { id: number; parent: number; children: number[]; energy: number; members: number; basin: number }[]; roots: number[] };
  purity: { overall: number; mean: number; counted: number; minMembers: number } | null;
  sizes: LandscapeResult['sizes'];
  descent: {
    starts: number;
    converged: number;
    convergedShare: number;
    meanSteps: number;
    /** Descents per stopping reason ('window', 'gradient', 'stall' converged; 'maxSteps', 'nonFinite' not). */
    stoppedBy: Record<string, number>;
    /** Median ‖end − start‖ and path length of the descents. */
    medianDisplacement: number;
    medianPathLength: number;
    mergeDistance: number;
  };
  /** Method 'ad': the settings used and the scale they came from. */
  adSettings?: LandscapeResult['adSettings'];
  /** Method 'adelm': ADELM's basin of each minimum and the representatives. */
  adelm?: { basinOf: number[]; representatives: number[]; pairsRun: number };
}

/** A plain-JSON copy of a landscape, to save next to the figures. */
export function landscapeToJson(result: LandscapeResult): LandscapeJson {
  const { minima, barriers, tree, cut, members, purity } = result;
  const m = minima.energies.length;
  const basinOfMinimum = new Int32Array(m).fill(-1);
  for (const b of cut.basins) for (const i of b.minima) basinOfMinimum[i] = b.id;
  const num = (v: number): number | null => (Number.isFinite(v) ? v : null);
  const rows: (number | null)[][] = [];
  for (let i = 0; i < m; i++) rows.push(Array.from(barriers.matrix.subarray(i * m, (i + 1) * m), num));
  const steps = minima.steps.reduce((a, b) => a + b, 0);
  return {
    method: result.method,
    minimaShape: minima.minima.shape.slice(1),
    minima: Array.from(minima.energies, (energy, index) => ({
      index,
      energy,
      members: minima.counts[index],
      label: result.minimaLabels && result.minimaLabels[index] >= 0 ? result.minimaLabels[index] : null,
      basin: basinOfMinimum[index],
    })),
    barriers: rows,
    tree: {
      nodes: tree.nodes.map((nd) => ({
        id: nd.id,
        parent: nd.parent,
        children: nd.children,
        energy: nd.energy,
        minEnergy: nd.minEnergy,
        members: nd.members,
        minimum: nd.item,
      })),
      roots: tree.roots,
    },
    epsilon: num(cut.epsilon),
    epsilonRule: result.epsilonChoice.rule,
    basins: cut.basins.map((b) => ({
      id: b.id,
      energy: b.energy,
      deepest: b.deepest,
      minima: b.minima,
      members: members[b.id],
      label: purity && purity.basins[b.id].label >= 0 ? purity.basins[b.id].label : null,
      purity: purity ? num(purity.basins[b.id].purity) : null,
    })),
    basinTree: {
      nodes: cut.tree.nodes.map((nd) => ({ id: nd.id, parent: nd.parent, children: nd.children, energy: nd.energy, members: nd.members, basin: nd.item })),
      roots: cut.tree.roots,
    },
    purity: purity ? { overall: purity.overall, mean: purity.mean, counted: purity.counted, minMembers: result.minMembers } : null,
    sizes: result.sizes,
    descent: {
      starts: minima.steps.length,
      converged: minima.converged.reduce((a, b) => a + b, 0),
      convergedShare: minima.convergedShare,
      meanSteps: minima.steps.length ? steps / minima.steps.length : 0,
      stoppedBy: minima.stoppedBy.reduce<Record<string, number>>((acc, r) => ((acc[r] = (acc[r] ?? 0) + 1), acc), {}),
      medianDisplacement: median(minima.displacement),
      medianPathLength: median(minima.pathLength),
      mergeDistance: minima.mergeDistance,
    },
    ...(result.adSettings ? { adSettings: result.adSettings } : {}),
    ...(result.adelm ? { adelm: { basinOf: Array.from(result.adelm.basinOf), representatives: result.adelm.representatives, pairsRun: result.adelm.pairsRun } } : {}),
  };
}

function median(a: ArrayLike<number>): number {
  const s = Array.from(a).sort((x, y) => x - y);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
}
