/**
 * Basins grown by attraction–diffusion against basin representatives, as ADELM maps a landscape (Hill,
 * Nijkamp & Zhu 2019, "Building a telescope to look into high-dimensional image spaces"): minima are
 * taken deepest first; each is diffused towards the representatives (deepest minima) of the nearest
 * existing basins and joins the one its chains reach over the lowest barrier; a minimum no chain connects
 * starts a basin of its own. Representatives are then connected to each other by attraction–diffusion,
 * giving the barriers the disconnectivity graph is drawn from. Many pairs run as one batch of chains
 * (`adBarriers`), a chunk of minima at a time.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { deriveNoiseSeed } from '../random';
import { type AdBarrierOptions, type BarrierResult, type MinimaPair, adBarriers, barrierMatrix } from './barriers';
import type { LandscapeScoreFn } from './score';
import { exampleSize } from './score';

export interface AdelmOptions extends Omit<AdBarrierOptions, 'onProgress' | 'signal' | 'bothDirections'> {
  /** Minima tested at once against the existing representatives (default 16). */
  chunk?: number;
  /** Representatives (nearest in Euclidean distance) a new minimum is diffused towards (default 4). */
  candidates?: number;
  /** Each representative is connected to this many nearest other representatives (default 4). */
  representativePairs?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface AdelmResult {
  /** [M] the ADELM basin of each minimum. */
  basinOf: Int32Array;
  /** Per basin, its representative: its deepest minimum. */
  representatives: number[];
  /** [M] the barrier at which each minimum joined its basin (its own energy for a representative). */
  joinBarrier: Float32Array;
  /** Over the minima: member–basin joins and representative–representative barriers, +∞ elsewhere. */
  barriers: BarrierResult;
  /** Pairs diffused in all (each both ways, `trials` chains per direction). */
  pairsRun: number;
}

/**
 * @param minima [M, ...shape]; not disposed
 * @param energies [M] E of each minimum (the order they are taken in: deepest first)
 */
export async function adelmBasins(score: LandscapeScoreFn, minima: tf.Tensor, energies: ArrayLike<number>, opts: AdelmOptions): Promise<AdelmResult> {
  const m = minima.shape[0];
  if (energies.length !== m) throw new UserError(`adelmBasins: ${energies.length} energies for ${m} minima; pass one per minimum`);
  const chunk = opts.chunk ?? 16;
  const candidates = opts.candidates ?? 4;
  const repPairs = opts.representativePairs ?? 4;
  for (const [name, v] of [['chunk', chunk], ['candidates', candidates], ['representativePairs', repPairs]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new UserError(`adelmBasins: ${name} must be an integer ≥ 1 (got ${v})`);
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => energies[a] - energies[b] || a - b);
  const d2 = await squaredDistances(minima);
  const nearest = (i: number, among: readonly number[], k: number): number[] =>
    among.filter((j) => j !== i).sort((a, b) => d2[i * m + a] - d2[i * m + b] || a - b).slice(0, k);

  const basinOf = new Int32Array(m).fill(-1);
  const joinBarrier = new Float32Array(m);
  const representatives: number[] = [];
  const pairs: MinimaPair[] = [];
  const values: number[] = [];
  let pairsRun = 0;
  let round = 0;
  // The chain settings alone (this function's own options and progress taken out).
  const { onProgress: _onProgress, chunk: _chunk, candidates: _candidates, representativePairs: _pairs, ...chains } = opts;
  const diffuse = async (ps: MinimaPair[]): Promise<Float32Array> => {
    if (ps.length === 0) return new Float32Array(0);
    pairsRun += ps.length;
    const r = await adBarriers(score, minima, ps, { ...chains, bothDirections: true, seed: deriveNoiseSeed(opts.seed ?? 0, round++) });
    return r.values;
  };
  const newBasin = (rep: number): void => {
    basinOf[rep] = representatives.length;
    joinBarrier[rep] = energies[rep];
    representatives.push(rep);
  };

  for (let c0 = 0; c0 < m; c0 += chunk) {
    const ch = order.slice(c0, c0 + chunk);
    // 1. Against the nearest existing representatives: join over the lowest barrier reached.
    const existing = [...representatives];
    const tests: MinimaPair[] = existing.length ? ch.flatMap((x) => nearest(x, existing, candidates).map((r): MinimaPair => [x, r])) : [];
    const found = await diffuse(tests);
    const bestRep = new Map<number, { rep: number; b: number }>();
    tests.forEach(([x, r], q) => {
      const b = found[q];
      if (Number.isFinite(b) && b < (bestRep.get(x)?.b ?? Infinity)) bestRep.set(x, { rep: r, b });
    });
    const unmatched: number[] = [];
    for (const x of ch) {
      const hit = bestRep.get(x);
      if (hit) {
        basinOf[x] = basinOf[hit.rep];
        joinBarrier[x] = hit.b;
        pairs.push([x, hit.rep]);
        values.push(hit.b);
      } else unmatched.push(x);
    }
    // 2. The chunk's unmatched minima among themselves: chains that connect two join them (union–find);
    //    each group's deepest minimum (first in energy order) represents it.
    const within: MinimaPair[] = [];
    for (let a = 0; a < unmatched.length; a++) for (let b = a + 1; b < unmatched.length; b++) within.push([unmatched[a], unmatched[b]]);
    const wb = await diffuse(within);
    const parent = new Map(unmatched.map((x) => [x, x]));
    const find = (x: number): number => {
      while (parent.get(x) !== x) x = parent.get(x)!;
      return x;
    };
    const edges = within.map((p, q) => ({ p, b: wb[q] })).filter((e) => Number.isFinite(e.b)).sort((u, v) => u.b - v.b);
    for (const { p, b } of edges) {
      const [ra, rb] = [find(p[0]), find(p[1])];
      if (ra === rb) continue;
      // Keep the deeper root (earlier in energy order) as the group's root.
      const [keep, drop] = order.indexOf(ra) < order.indexOf(rb) ? [ra, rb] : [rb, ra];
      parent.set(drop, keep);
      pairs.push([p[0], p[1]]);
      values.push(b);
    }
    for (const x of unmatched) if (find(x) === x) newBasin(x);
    for (const x of unmatched) {
      if (find(x) === x) continue;
      basinOf[x] = basinOf[find(x)];
      // Joined over its lowest barrier to another minimum of its group.
      joinBarrier[x] = Math.min(...edges.filter(({ p }) => (p[0] === x || p[1] === x) && find(p[0]) === find(p[1])).map((e) => e.b));
    }
    opts.onProgress?.(Math.min(c0 + chunk, m), m);
  }
  // 3. Representatives to their nearest other representatives: the barriers between basins.
  const seen = new Set<number>();
  const between: MinimaPair[] = [];
  for (const r of representatives) {
    for (const s of nearest(r, representatives, repPairs)) {
      const [a, b] = r < s ? [r, s] : [s, r];
      if (!seen.has(a * m + b)) {
        seen.add(a * m + b);
        between.push([a, b]);
      }
    }
  }
  const bb = await diffuse(between);
  between.forEach((p, q) => {
    pairs.push(p);
    values.push(bb[q]);
  });
  return {
    basinOf,
    representatives,
    joinBarrier,
    barriers: { size: m, matrix: barrierMatrix(m, energies, pairs, values), pairs, values: Float32Array.from(values) },
    pairsRun,
  };
}

/** ‖x_i − x_j‖² for all pairs of minima, M×M on the host. */
async function squaredDistances(minima: tf.Tensor): Promise<Float32Array> {
  const m = minima.shape[0];
  const d = tf.tidy(() => {
    const x = minima.reshape([m, exampleSize(minima)]);
    const sq = x.square().sum(1);
    return sq.expandDims(1).add(sq.expandDims(0)).sub(tf.matMul(x, x, false, true).mul(2)).relu();
  });
  const host = (await d.data()) as Float32Array;
  d.dispose();
  return host;
}
