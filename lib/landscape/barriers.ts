/**
 * Energy barriers between pairs of minima.
 *
 * - `linearBarriers`: b_ij = max E along the straight line x_i + γ(x_j − x_i), γ ∈ [0, 1]
 *   (divergence-triangle paper §4.3). An upper bound on the true saddle; exact when the line is the
 *   minimum-energy path.
 * - `adBarriers`: attraction–diffusion (Hill, Nijkamp & Zhu 2019, ADELM): Langevin from x_i under the
 *   magnetized energy E(x) + α‖x − x_j‖; the barrier is the highest E met on a path that reaches x_j.
 *   Follows low valleys instead of the straight line, so it can find lower barriers.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { deriveNoiseSeed } from '../random';
import {
  LandscapeGeneratorFn,
  LandscapeScoreFn,
  checkedScore,
  energiesOf,
  energyAndGradient,
  exampleSize,
  latentLandscapeScore,
  yieldOrAbort,
} from './score';

/** A pair of minima, by index. */
export type MinimaPair = readonly [number, number];

export interface BarrierResult {
  /** M, the number of minima. */
  size: number;
  /** M×M row-major and symmetric: b_ij; the diagonal holds E_i; +∞ where no barrier is known. */
  matrix: Float32Array;
  /** The pairs estimated, in input order. */
  pairs: MinimaPair[];
  /** [P] barrier of each pair; +∞ where it could not be estimated (attraction–diffusion never arrived). */
  values: Float32Array;
}

export interface LinearBarrierResult extends BarrierResult {
  /** [P] γ ∈ [0, 1] of the highest point on each line (0 or 1: the path only climbs, no interior saddle). */
  argmax: Float32Array;
  /** Score evaluations spent (points on lines, refinement included; endpoints not counted). */
  evaluations: number;
}

export interface AdBarrierResult extends BarrierResult {
  /** [P] trials (both directions together) that reached the target. */
  successes: Int32Array;
  /** [P] trials run per pair. */
  trials: number;
  /** The success radius used. */
  radius: number;
}

export interface LinearBarrierOptions {
  /** Points on each line, both minima included (default 20). */
  resolution?: number;
  /** Golden-section iterations around each line's highest grid point (default 0: the grid maximum, as in the paper). */
  refine?: number;
  /** Points per score call (default 1024): bounds memory whatever the number of pairs. */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** Every unordered pair (i, j), i < j, of M minima. */
export function allMinimaPairs(m: number): MinimaPair[] {
  const out: MinimaPair[] = [];
  for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) out.push([i, j]);
  return out;
}

/**
 * Highest energy on the straight line between each pair of minima, many lines per score call.
 * @param minima [M, ...shape]; not disposed
 * @param pairs default: all M(M−1)/2 pairs
 */
export async function linearBarriers(
  score: LandscapeScoreFn,
  minima: tf.Tensor,
  pairs?: readonly MinimaPair[],
  opts: LinearBarrierOptions = {},
): Promise<LinearBarrierResult> {
  const m = minima.shape[0];
  const ps = checkPairs(pairs ?? allMinimaPairs(m), m);
  const resolution = opts.resolution ?? 20;
  const refine = opts.refine ?? 0;
  const batchSize = opts.batchSize ?? 1024;
  if (!(Number.isInteger(resolution) && resolution >= 2)) throw new UserError(`linearBarriers: resolution must be an integer ≥ 2 (got ${resolution})`);
  if (!(Number.isInteger(refine) && refine >= 0)) throw new UserError(`linearBarriers: refine must be an integer ≥ 0 (got ${refine})`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new UserError(`linearBarriers: batchSize must be an integer ≥ 1 (got ${batchSize})`);

  const d = exampleSize(minima);
  const shape = minima.shape.slice(1);
  const flat = minima.reshape([m, d]);
  const ends = await energiesOf(score, minima, batchSize);
  const p = ps.length;
  const values = new Float32Array(p);
  const argmax = new Float32Array(p);
  let evaluations = 0;

  // Interior grid points only: the endpoints are the minima, whose energies are already known.
  const interior = resolution - 2;
  const gammas = Array.from({ length: interior }, (_, k) => (k + 1) / (resolution - 1));
  const perCall = Math.max(1, Math.floor(batchSize / Math.max(1, interior)));
  try {
    for (let c0 = 0; c0 < p; c0 += perCall) {
      const chunk = ps.slice(c0, c0 + perCall);
      let gridMax: Float32Array | null = null;
      let gridArg: Int32Array | null = null;
      if (interior > 0) {
        const { mx, arg } = tf.tidy(() => {
          const a = tf.gather(flat, chunk.map((q) => q[0]));
          const b = tf.gather(flat, chunk.map((q) => q[1]));
          const g = tf.tensor1d(gammas).reshape([1, interior, 1]);
          const pts = a.expandDims(1).add(g.mul(b.sub(a).expandDims(1))).reshape([chunk.length * interior, ...shape]);
          const e = checkedScore(score, pts).neg().reshape([chunk.length, interior]);
          return { mx: e.max(1), arg: e.argMax(1) };
        });
        gridMax = (await mx.data()) as Float32Array;
        gridArg = (await arg.data()) as Int32Array;
        tf.dispose([mx, arg]);
        evaluations += chunk.length * interior;
      }
      const brackets: { pair: number; lo: number; hi: number }[] = [];
      for (let q = 0; q < chunk.length; q++) {
        const [i, j] = chunk[q];
        let best = ends[i];
        let at = 0;
        if (ends[j] > best) {
          best = ends[j];
          at = 1;
        }
        if (gridMax && gridMax[q] > best) {
          best = gridMax[q];
          const k = gridArg![q] + 1; // grid index including the endpoint γ = 0
          at = k / (resolution - 1);
          if (refine > 0) brackets.push({ pair: c0 + q, lo: (k - 1) / (resolution - 1), hi: (k + 1) / (resolution - 1) });
        }
        values[c0 + q] = best;
        argmax[c0 + q] = at;
      }
      if (brackets.length > 0) {
        evaluations += await refineMaxima(score, flat, shape, ps, brackets, refine, batchSize, values, argmax);
      }
      opts.onProgress?.(Math.min(c0 + perCall, p), p);
      await yieldOrAbort(opts.signal, 'linear barrier estimation');
    }
  } finally {
    flat.dispose();
  }
  return { size: m, matrix: barrierMatrix(m, ends, ps, values), pairs: ps, values, argmax, evaluations };
}

/**
 * Golden-section search for the maximum of E on [lo, hi] along each bracketed line; raises values/argmax
 * where it finds a higher point. Returns the number of score evaluations.
 */
async function refineMaxima(
  score: LandscapeScoreFn,
  flat: tf.Tensor,
  shape: number[],
  pairs: readonly MinimaPair[],
  brackets: { pair: number; lo: number; hi: number }[],
  iterations: number,
  batchSize: number,
  values: Float32Array,
  argmax: Float32Array,
): Promise<number> {
  const phi = (Math.sqrt(5) - 1) / 2;
  const n = brackets.length;
  const a = Float64Array.from(brackets, (b) => b.lo);
  const b = Float64Array.from(brackets, (br) => br.hi);
  const c = a.map((lo, k) => b[k] - phi * (b[k] - lo));
  const d = a.map((lo, k) => lo + phi * (b[k] - lo));
  const rowPairs = brackets.map((br) => pairs[br.pair]);
  const evalAt = (g: Float64Array): Promise<Float32Array> => energiesOnLines(score, flat, shape, rowPairs, g, batchSize);
  let fc = await evalAt(c);
  let fd = await evalAt(d);
  let evaluations = 2 * n;
  const record = (k: number, g: number, e: number): void => {
    const q = brackets[k].pair;
    if (e > values[q]) {
      values[q] = e;
      argmax[q] = g;
    }
  };
  for (let k = 0; k < n; k++) {
    record(k, c[k], fc[k]);
    record(k, d[k], fd[k]);
  }
  for (let it = 0; it < iterations - 1; it++) {
    // For a maximum: keep the side of the higher interior point; one new evaluation per line.
    const probe = new Float64Array(n);
    const upper = new Uint8Array(n);
    for (let k = 0; k < n; k++) {
      if (fc[k] > fd[k]) {
        b[k] = d[k];
        d[k] = c[k];
        c[k] = b[k] - phi * (b[k] - a[k]);
        probe[k] = c[k];
      } else {
        a[k] = c[k];
        c[k] = d[k];
        d[k] = a[k] + phi * (b[k] - a[k]);
        probe[k] = d[k];
        upper[k] = 1;
      }
    }
    const fp = await evalAt(probe);
    evaluations += n;
    fc = Float32Array.from(fc);
    fd = Float32Array.from(fd);
    for (let k = 0; k < n; k++) {
      if (upper[k]) {
        fc[k] = fd[k];
        fd[k] = fp[k];
      } else {
        fd[k] = fc[k];
        fc[k] = fp[k];
      }
      record(k, probe[k], fp[k]);
    }
  }
  return evaluations;
}

/** E at x_i + γ_k(x_j − x_i) for one γ per row. */
async function energiesOnLines(
  score: LandscapeScoreFn,
  flat: tf.Tensor,
  shape: number[],
  rowPairs: readonly MinimaPair[],
  gammas: Float64Array,
  batchSize: number,
): Promise<Float32Array> {
  const n = rowPairs.length;
  const out = new Float32Array(n);
  for (let r0 = 0; r0 < n; r0 += batchSize) {
    const rows = rowPairs.slice(r0, r0 + batchSize);
    const e = tf.tidy(() => {
      const a = tf.gather(flat, rows.map((q) => q[0]));
      const b = tf.gather(flat, rows.map((q) => q[1]));
      const g = tf.tensor2d(Float32Array.from(gammas.subarray(r0, r0 + rows.length)), [rows.length, 1]);
      return checkedScore(score, a.add(g.mul(b.sub(a))).reshape([rows.length, ...shape])).neg();
    });
    out.set(await e.data(), r0);
    e.dispose();
  }
  return out;
}

export interface AdBarrierOptions {
  /** α of the magnetization α‖x − x_target‖. */
  alpha: number;
  /** Langevin steps per trial before it counts as failed. */
  steps: number;
  /** η of x ← x − η∇U(x) + √(2ηT)·ε. */
  stepSize: number;
  /** T: the chain samples ∝ exp(−U/T), U = E + α‖x − x_target‖. */
  temperature: number;
  /** Independent chains per pair and direction (default 1). */
  trials?: number;
  /** A chain has arrived when within this distance of its target
   * (default 2·(D·T/α + η·α): twice the spread the magnetization alone leaves a chain at). */
  radius?: number;
  /** 'image': minima are images and E = −f. 'latent': minima are latent codes and E(z) = −f(g(z)); needs `generator`. */
  space?: 'image' | 'latent';
  generator?: LandscapeGeneratorFn;
  /** Keep chains in [lo, hi] after every step. */
  clamp?: readonly [number, number];
  /** Run i → j and j → i and keep the lower barrier (ADELM does; default true). */
  bothDirections?: boolean;
  /** Chains per score call (default 256); finished chains are replaced by waiting ones. */
  batchSize?: number;
  seed?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * Attraction–diffusion barriers, all chains of all pairs batched together.
 * @param minima [M, ...shape] images ('image') or latent codes ('latent'); not disposed
 */
export async function adBarriers(
  score: LandscapeScoreFn,
  minima: tf.Tensor,
  pairs: readonly MinimaPair[],
  opts: AdBarrierOptions,
): Promise<AdBarrierResult> {
  const m = minima.shape[0];
  const ps = checkPairs(pairs, m);
  const space = opts.space ?? 'image';
  let energyScore: LandscapeScoreFn;
  switch (space) {
    case 'image':
      energyScore = score;
      break;
    case 'latent':
      if (!opts.generator) throw new UserError("adBarriers: space 'latent' needs a generator: pass { generator: z => g(z) }");
      energyScore = latentLandscapeScore(score, opts.generator);
      break;
    default: {
      const never: never = space;
      throw new UserError(`adBarriers: unknown space '${String(never)}'; use 'image' or 'latent'`);
    }
  }
  const { alpha, steps, stepSize: eta, temperature } = opts;
  if (!(alpha > 0)) throw new UserError(`adBarriers: alpha must be > 0 (got ${alpha})`);
  if (!(Number.isInteger(steps) && steps >= 1)) throw new UserError(`adBarriers: steps must be an integer ≥ 1 (got ${steps})`);
  if (!(eta > 0)) throw new UserError(`adBarriers: stepSize must be > 0 (got ${eta})`);
  if (!(temperature >= 0)) throw new UserError(`adBarriers: temperature must be ≥ 0 (got ${temperature})`);
  const trials = opts.trials ?? 1;
  if (!(Number.isInteger(trials) && trials >= 1)) throw new UserError(`adBarriers: trials must be an integer ≥ 1 (got ${trials})`);
  const d = exampleSize(minima);
  const radius = opts.radius ?? 2 * ((d * temperature) / alpha + eta * alpha);
  const both = opts.bothDirections ?? true;
  const batchSize = opts.batchSize ?? 256;
  const seed = opts.seed ?? 0;
  const noiseScale = Math.sqrt(2 * eta * temperature);
  const shape = minima.shape.slice(1);
  const flat = minima.reshape([m, d]);
  // A radius as large as the distance between two minima makes every chain "arrive" at once.
  const dist = await pairDistances(flat, ps);
  dist.forEach((r, q) => {
    if (!(radius < r)) {
      flat.dispose();
      const why = opts.radius === undefined ? ` (default 2·(D·T/α + η·α) with D = ${d})` : '';
      throw new UserError(
        `attraction–diffusion: success radius ${radius.toPrecision(3)}${why} is not below the distance ${r.toPrecision(3)} between minima ${ps[q][0]} and ${ps[q][1]}: lower temperature, raise alpha or pass a smaller radius`,
      );
    }
  });

  // One chain per (pair, direction, trial).
  const dirs = both ? 2 : 1;
  const chainCount = ps.length * dirs * trials;
  const chainPair = (c: number): number => Math.floor(c / (dirs * trials));
  const chainEnds = (c: number): [number, number] => {
    const [i, j] = ps[chainPair(c)];
    return Math.floor(c / trials) % dirs === 0 ? [i, j] : [j, i];
  };
  const best = new Float32Array(ps.length).fill(Infinity);
  const successes = new Int32Array(ps.length);
  const pathMax = new Float32Array(chainCount).fill(-Infinity);
  const age = new Int32Array(chainCount);

  // `as` keeps the declared type: refill() assigns them, which flow analysis does not see.
  let x = null as tf.Tensor | null; // [A, D] positions
  let target = null as tf.Tensor | null; // [A, D]
  let ids: number[] = [];
  let next = 0;
  let done = 0;
  let stepCounter = 0;
  const refill = (): void => {
    const k = Math.min(batchSize - ids.length, chainCount - next);
    if (k <= 0) return;
    const fresh = Array.from({ length: k }, (_, t) => next + t);
    next += k;
    const src = tf.gather(flat, fresh.map((c) => chainEnds(c)[0]));
    const dst = tf.gather(flat, fresh.map((c) => chainEnds(c)[1]));
    ids.push(...fresh);
    const [ox, ot] = [x, target];
    x = ox ? tf.concat([ox, src]) : src;
    target = ot ? tf.concat([ot, dst]) : dst;
    if (ox && ot) tf.dispose([ox, ot, src, dst]);
  };
  try {
    refill();
    while (x !== null && target !== null) {
      const xs: tf.Tensor = x;
      const ts: tf.Tensor = target;
      const noiseSeed = deriveNoiseSeed(seed, stepCounter++);
      const { energy, dist, stepped } = tf.tidy(() => {
        const { energy: e, grad } = energyAndGradient(energyScore, xs.reshape([ids.length, ...shape]));
        const diff = xs.sub(ts);
        const r = diff.square().sum(1).sqrt();
        // ∇ α‖x − t‖ = α (x − t)/‖x − t‖; the floor keeps it finite on the target itself.
        const pull = diff.div(r.maximum(1e-12).expandDims(1)).mul(alpha);
        let y = xs.sub(grad.reshape([ids.length, d]).add(pull).mul(eta));
        if (noiseScale > 0) y = y.add(tf.randomNormal(y.shape, 0, noiseScale, 'float32', noiseSeed));
        if (opts.clamp) y = y.clipByValue(opts.clamp[0], opts.clamp[1]);
        return { energy: e, dist: r, stepped: y };
      });
      const [eHost, rHost] = await Promise.all([energy.data(), dist.data()]);
      tf.dispose([energy, dist, xs]);
      const keep: number[] = [];
      let left = 0;
      for (let a = 0; a < ids.length; a++) {
        const c = ids[a];
        // The path's energy so far includes the current point (the start at age 0, the arrival point last).
        if (eHost[a] > pathMax[c] || Number.isNaN(eHost[a])) pathMax[c] = Number.isNaN(eHost[a]) ? Infinity : eHost[a];
        if (rHost[a] < radius) {
          const q = chainPair(c);
          successes[q]++;
          if (pathMax[c] < best[q]) best[q] = pathMax[c];
          left++;
        } else if (age[c] >= steps || !Number.isFinite(eHost[a])) {
          left++;
        } else {
          age[c]++;
          keep.push(a);
        }
      }
      if (left > 0) {
        done += left;
        if (keep.length === 0) {
          x = null;
          target = null;
        } else {
          x = tf.gather(stepped, keep);
          target = tf.gather(ts, keep);
        }
        tf.dispose([stepped, ts]);
        ids = keep.map((a) => ids[a]);
        refill();
        opts.onProgress?.(done, chainCount);
      } else {
        x = stepped;
      }
      await yieldOrAbort(opts.signal, 'attraction-diffusion');
    }
  } catch (e) {
    // An abort or a failing score: free the chains before passing the error on.
    for (const t of [x, target, flat]) if (t && !t.isDisposed) t.dispose();
    throw e;
  }
  flat.dispose();
  const ends = await energiesOf(energyScore, minima, batchSize);
  return { size: m, matrix: barrierMatrix(m, ends, ps, best), pairs: ps, values: best, successes, trials: trials * dirs, radius };
}

/** What attraction–diffusion settings are derived from: the size of the space and of the landscape. */
export interface AdScale {
  /** D, the dimension the chains move in. */
  dims: number;
  /** Shortest and longest distance between the minima of a pair. */
  minDistance: number;
  maxDistance: number;
  /** The median over pairs of the mean climbing slope, E per unit distance, from the lower minimum of a
   * pair up to the highest point of the straight line to the other (from `linearBarriers`). */
  slope: number;
  /** The median ‖∇E‖ at the minima (projected onto the clamp box): 0 at true minima; where descents ran out
   * of steps before converging, the downhill pull a chain must overcome to leave its start. */
  gradient: number;
}

export type AdSettings = Required<Pick<AdBarrierOptions, 'alpha' | 'temperature' | 'stepSize' | 'steps' | 'radius'>>;

/**
 * The scale of a landscape as attraction–diffusion needs it, from the pairs' distances, their
 * straight-line barriers and the energy's gradient at the minima.
 * @param minima [M, ...shape]; not disposed
 * @param opts.clamp the box chains are kept in (gradient components pushing out of it do not count)
 */
export async function barrierScale(
  score: LandscapeScoreFn,
  minima: tf.Tensor,
  linear: LinearBarrierResult,
  opts: { clamp?: readonly [number, number]; batchSize?: number } = {},
): Promise<AdScale> {
  const m = minima.shape[0];
  const d = exampleSize(minima);
  if (linear.pairs.length === 0) throw new UserError('barrierScale: no pairs of minima; attraction–diffusion needs at least two minima');
  const flat = minima.reshape([m, d]);
  const dist = await pairDistances(flat, linear.pairs);
  flat.dispose();
  const energy = (i: number): number => linear.matrix[i * m + i];
  const slopes = linear.pairs.map(([i, j], q) => {
    const lowAtI = energy(i) <= energy(j);
    // Distance climbed from the lower end to the line's highest point (the whole line if that is an end).
    const g = linear.argmax[q];
    const climb = g > 0 && g < 1 ? (lowAtI ? g : 1 - g) : 1;
    return (linear.values[q] - Math.min(energy(i), energy(j))) / Math.max(climb * dist[q], 1e-12);
  });
  slopes.sort((a, b) => a - b);
  const norms: number[] = [];
  const batchSize = opts.batchSize ?? 256;
  for (let b = 0; b < m; b += batchSize) {
    const k = Math.min(batchSize, m - b);
    const n = tf.tidy(() => {
      const x = minima.slice(b, k);
      let g = energyAndGradient(score, x).grad; // ∇E; a chain drifts along −∇E
      if (opts.clamp) {
        const [lo, hi] = opts.clamp;
        const blocked = tf.logicalOr(tf.logicalAnd(x.greaterEqual(hi), g.less(0)), tf.logicalAnd(x.lessEqual(lo), g.greater(0)));
        g = tf.where(blocked, tf.zerosLike(g), g);
      }
      return g.reshape([k, d]).square().sum(1).sqrt();
    });
    norms.push(...(await n.data()));
    n.dispose();
  }
  norms.sort((a, b) => a - b);
  return {
    dims: d,
    minDistance: Math.min(...dist),
    maxDistance: Math.max(...dist),
    slope: slopes[Math.floor((slopes.length - 1) / 2)],
    gradient: norms[Math.floor((norms.length - 1) / 2)],
  };
}

/**
 * Attraction–diffusion settings from a landscape's scale, the rule of thumb of ADELM (Hill, Nijkamp & Zhu
 * 2019) made explicit for D dimensions. Fields given in `fixed` are kept; the others are derived in order:
 *  - α = max(3 × slope, 2 × gradient): the steepest point of a smooth climb is about twice its mean
 *    slope, so the magnet out-pulls the typical straight line with a margin; steeper walls are bypassed
 *    through lower valleys (finding those is what attraction–diffusion is for) or the pair counts as not
 *    connected (+∞). A much larger α drags every chain along the straight line (the linear barrier); a
 *    smaller one keeps chains in their basin: measured on a triangle EBM of MNIST (160 iterations, 59
 *    nearest pairs, 300 steps), 1.5× the slope let 12 of 59 chains arrive, 3× all 59 with barriers a
 *    median 2.4 below the straight line's, 6× all 59 but only 1.3 below. In 784-D the hill test finds its
 *    saddle within 5% of the barrier at 3×. The gradient term matters only where descents stopped before
 *    converging: there the energy still falls away from the start, and a magnet weaker than that fall
 *    never arrives (Fashion-MNIST, 500 iterations: 3× the slope gave α 0.25 against ‖∇E‖ of about 2 at
 *    the descents' ends, and chains arrived for 12 of 334 pairs).
 *  - T = α·d_min·min(0.05/D, 0.005): a chain held only by the magnet settles at distance ≈ D·T/α from its
 *    target (the mode of r^(D−1)·e^(−αr/T)); 0.05/D keeps that at 5% of the closest pair's distance. In
 *    784-D a temperature of the 2-D tests' size (0.02 with α ≈ 1) would leave chains ~300 from their
 *    target while MNIST minima are 5–20 apart. In few dimensions 0.005 keeps T a few % of a barrier
 *    (α·d_min is several times the typical barrier height), so chains do not hop barriers thermally.
 *  - η = 2·d_max/(steps·α): the magnet alone moves a chain η·α per step, so the budget covers twice the
 *    longest pair's distance (detours included).
 *  - radius = min(2·(D·T/α + η·α), d_min/2): arriving means being as close as the magnet's own spread and
 *    step allow, always well inside the gap to the nearest other minimum.
 * @param fixed e.g. { steps: 300 } (default 500) or an α chosen by hand
 */
export function adSettingsFromScale(scale: AdScale, fixed: Partial<AdSettings> = {}): AdSettings {
  const { dims, minDistance, maxDistance, slope, gradient } = scale;
  if (!(minDistance > 0 && maxDistance >= minDistance)) {
    throw new UserError(`adSettingsFromScale: distances between minima must be positive (got ${minDistance}..${maxDistance}); merge duplicate minima first`);
  }
  const steps = fixed.steps ?? 500;
  const alpha = fixed.alpha ?? Math.max(3 * slope, 2 * gradient, 1e-6);
  const temperature = fixed.temperature ?? alpha * minDistance * Math.min(0.05 / dims, 0.005);
  const stepSize = fixed.stepSize ?? (2 * maxDistance) / (steps * alpha);
  const radius = fixed.radius ?? Math.min(2 * ((dims * temperature) / alpha + stepSize * alpha), minDistance / 2);
  return { alpha, temperature, stepSize, steps, radius };
}

/** ‖x_i − x_j‖ for each pair, on the backend. @param flat [M, D] */
async function pairDistances(flat: tf.Tensor, pairs: readonly MinimaPair[], chunk = 4096): Promise<Float32Array> {
  const out = new Float32Array(pairs.length);
  for (let c0 = 0; c0 < pairs.length; c0 += chunk) {
    const rows = pairs.slice(c0, c0 + chunk);
    const r = tf.tidy(() => tf.gather(flat, rows.map((q) => q[0])).sub(tf.gather(flat, rows.map((q) => q[1]))).square().sum(1).sqrt());
    out.set(await r.data(), c0);
    r.dispose();
  }
  return out;
}

/** Symmetric M×M matrix with E_i on the diagonal, the given pair values off it, +∞ elsewhere (the lower value if a pair repeats). */
export function barrierMatrix(m: number, diagonal: ArrayLike<number>, pairs: readonly MinimaPair[], values: ArrayLike<number>): Float32Array {
  const out = new Float32Array(m * m).fill(Infinity);
  for (let i = 0; i < m; i++) out[i * m + i] = diagonal[i];
  pairs.forEach(([i, j], q) => {
    const v = Math.min(values[q], out[i * m + j]);
    out[i * m + j] = v;
    out[j * m + i] = v;
  });
  return out;
}

function checkPairs(pairs: readonly MinimaPair[], m: number): MinimaPair[] {
  return pairs.map(([i, j]) => {
    if (!(Number.isInteger(i) && Number.isInteger(j) && i >= 0 && j >= 0 && i < m && j < m) || i === j) {
      throw new UserError(`barrier pair [${i}, ${j}] is invalid for ${m} minima: use two different indices in [0, ${m})`);
    }
    return [i, j] as const;
  });
}
