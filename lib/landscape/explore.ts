/**
 * Looking into a mapped landscape (for notebook 07's explorer; beyond the paper): the images along the
 * straight line between two minima with their energies (the path whose highest point is the paper's
 * barrier b_ij, §4.3), and the contents of one basin.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import type { LandscapeResult } from './map';
import { type LandscapeScoreFn, energiesOf } from './score';

export interface BarrierPath {
  /** [R] γ of each point, 0 (minimum i) … 1 (minimum j). */
  gammas: Float32Array;
  /** [R] E at each point. */
  energies: Float32Array;
  /** [R, ...shape] the points x_i + γ(x_j − x_i) (images for image minima). The caller owns it. */
  points: tf.Tensor;
  /** max E on the path (the straight-line barrier at this resolution) and its γ. */
  barrier: number;
  argmax: number;
}

/**
 * The straight-line path between minima i and j: R points, their energies from one batched forward pass
 * (chunks of batchSize), and its highest point.
 * @param minima [M, ...shape]; not disposed
 * @param opts.resolution points, both minima included (default 20, as `linearBarriers`)
 */
export async function barrierPath(
  score: LandscapeScoreFn,
  minima: tf.Tensor,
  i: number,
  j: number,
  opts: { resolution?: number; batchSize?: number } = {},
): Promise<BarrierPath> {
  const m = minima.shape[0];
  for (const k of [i, j]) if (!(Number.isInteger(k) && k >= 0 && k < m)) throw new UserError(`barrierPath: minimum ${k} is not in [0, ${m})`);
  const r = opts.resolution ?? 20;
  if (!(Number.isInteger(r) && r >= 2)) throw new UserError(`barrierPath: resolution must be an integer ≥ 2 (got ${r})`);
  const batchSize = opts.batchSize ?? 1024;
  const gammas = Float32Array.from({ length: r }, (_, k) => k / (r - 1));
  const points = tf.tidy(() => {
    const a = minima.slice(i, 1);
    const b = minima.slice(j, 1);
    const g = tf.tensor(gammas, [r, ...minima.shape.slice(1).map(() => 1)]);
    return a.add(g.mul(b.sub(a)));
  });
  const energies = await energiesOf(score, points, batchSize);
  let argmax = 0;
  for (let k = 1; k < r; k++) if (energies[k] > energies[argmax]) argmax = k;
  return { gammas, energies, points, barrier: energies[argmax], argmax: gammas[argmax] };
}

export interface BasinContents {
  basin: number;
  /** Data indices of the members, lowest descent end first. */
  members: number[];
  /** [members] E where each member's descent ended. */
  memberEnergies: Float32Array;
  /** The basin's minima (indices into result.minima.minima), deepest first, and their energies. */
  minima: number[];
  minimaEnergies: Float32Array;
  /** Majority class and purity (null without labels in the mapping). */
  label: number | null;
  purity: number | null;
}

/** What a basin holds: its members (for their images: tf.gather(images, members)) and its minima. */
export function basinContents(result: LandscapeResult, basin: number): BasinContents {
  const b = result.cut.basins[basin];
  if (!b) throw new UserError(`basinContents: basin ${basin} is not in [0, ${result.cut.basins.length})`);
  const members = [...result.members[basin]];
  const minima = [...b.minima].sort((x, y) => x - y);
  const p = result.purity?.basins[basin];
  return {
    basin,
    members,
    memberEnergies: Float32Array.from(members, (s) => result.minima.finalEnergies[s]),
    minima,
    minimaEnergies: Float32Array.from(minima, (k) => result.minima.energies[k]),
    label: p && p.label >= 0 ? p.label : null,
    purity: p && Number.isFinite(p.purity) ? p.purity : null,
  };
}
