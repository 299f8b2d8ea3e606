/**
 * Energy barriers between pairs of minima.
 *
 * - `linearBarriers`: b_ij = max E along the straight line x_i + γ(x_j − x_i), γ ∈ [0, 1]
 *   (divergence-triangle paper §4.3). An upper bound on the true saddle; exact when the line is the
 *   minimum-energy path.
 * - `adBarriers`: attraction–diffusion (Hill, Nijkamp & Zhu 2019, ADELM): Langevin with a Metropolis–
 *   Hastings correction at temperature T from x_i under the magnetized energy U(x) = E(x) + α‖x − x_j‖;
 *   a chain fails after M steps without coming closer to x_j; the barrier is the highest E met on a path
 *   that reaches x_j. Follows low valleys instead of the straight line, so it can find lower barriers.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { deriveNoiseSeed, SeededRng } from '../random';
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
  /** Share of Langevin proposals accepted over all chains (1 without the Metropolis–Hastings correction). */
  acceptance: number;
  /** [P] mean Langevin steps of the pair's chains, arrived or failed (`patience` ends hopeless ones early). */
  meanSteps: Float32Array;
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
  /** M of ADELM: a chain that has not come closer to its target than ever before for this many steps has
   * failed (default min(steps, 100)). */
  patience?: number;
  /** η of the proposal y = x − η∇U(x) + √(2ηT)·ε. */
  stepSize: number;
  /** Metropolis–Hastings correction of each Langevin proposal (MALA, as ADELM; default true): the chain
   * then samples exp(−U/T) exactly whatever η. false: unadjusted Langevin (every proposal taken). At T = 0
   * a proposal is taken when it does not raise U. */
  metropolis?: boolean;
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
  const closest = new Float32Array(chainCount).fill(Infinity);
  const closestAt = new Int32Array(chainCount);
  const uHost = new Float32Array(chainCount).fill(Infinity); // U at each chain's current state
  const stepSum = new Float64Array(ps.length);
  const patience = opts.patience ?? Math.min(steps, 100);
  if (!(Number.isInteger(patience) && patience >= 1)) throw new UserError(`adBarriers: patience must be an integer ≥ 1 (got ${patience})`);
  const metropolis = opts.metropolis ?? true;
  let proposals = 0;
  let accepted = 0;

  // Per chain: its state x, ∇U(x) and its target. A fresh chain's first "proposal" is its start itself,
  // always taken, which gives U and ∇U there.
  interface Chains {
    x: tf.Tensor; // [A, D]
    grad: tf.Tensor; // [A, D] ∇U(x)
    target: tf.Tensor; // [A, D]
  }
  // `as` keeps the declared type: refill() assigns it, which flow analysis does not see.
  let pool = null as Chains | null;
  let fresh: boolean[] = [];
  let ids: number[] = [];
  let next = 0;
  let done = 0;
  let stepCounter = 0;
  const refill = (): void => {
    const k = Math.min(batchSize - ids.length, chainCount - next);
    if (k <= 0) return;
    const added = Array.from({ length: k }, (_, t) => next + t);
    next += k;
    const old = pool;
    pool = tf.tidy(() => {
      const src = tf.gather(flat, added.map((c) => chainEnds(c)[0]));
      const dst = tf.gather(flat, added.map((c) => chainEnds(c)[1]));
      const cat = (a: tf.Tensor | undefined, b: tf.Tensor): tf.Tensor => (a ? tf.concat([a, b]) : b);
      return { x: cat(old?.x, src), grad: cat(old?.grad, tf.zerosLike(src)), target: cat(old?.target, dst) };
    });
    if (old) tf.dispose([old.x, old.grad, old.target]);
    ids.push(...added);
    fresh.push(...added.map(() => true));
  };
  try {
    refill();
    while (pool !== null) {
      const { x, grad, target } = pool;
      const a = ids.length;
      const noiseSeed = deriveNoiseSeed(seed, stepCounter++);
      const freshMask = Float32Array.from(fresh, (f) => (f ? 0 : 1));
      const out = tf.tidy(() => {
        // Proposal y = x − η∇U(x) + √(2ηT)ξ (fresh chains: y = x).
        const moving = tf.tensor2d(freshMask, [a, 1]);
        let drift = grad.mul(-eta);
        if (noiseScale > 0) drift = drift.add(tf.randomNormal([a, d], 0, noiseScale, 'float32', noiseSeed));
        let y = x.add(drift.mul(moving));
        if (opts.clamp) y = y.clipByValue(opts.clamp[0], opts.clamp[1]);
        const { energy: e, grad: gE } = energyAndGradient(energyScore, y.reshape([a, ...shape]));
        const diff = y.sub(target);
        const r = diff.square().sum(1).sqrt();
        // U = E + α‖y − t‖; ∇ α‖y − t‖ = α (y − t)/‖y − t‖, the floor keeps it finite on the target itself.
        const u = e.add(r.mul(alpha));
        const gU = gE.reshape([a, d]).add(diff.div(r.maximum(1e-12).expandDims(1)).mul(alpha));
        // log q(x | y) − log q(y | x) of the Langevin proposal, both Gaussians of variance 2ηT.
        const back = x.sub(y).add(gU.mul(eta)).square().sum(1);
        const fwd = y.sub(x).add(grad.mul(eta)).square().sum(1);
        const logQ = temperature > 0 ? fwd.sub(back).div(4 * eta * temperature) : tf.zerosLike(u);
        return { y, e, r, u, gU, logQ };
      });
      const [eHost, rHost, uNew, logQ] = await Promise.all([out.e.data(), out.r.data(), out.u.data(), out.logQ.data()]);
      const take = new Uint8Array(a);
      for (let i = 0; i < a; i++) {
        const c = ids[i];
        if (fresh[i]) take[i] = 1;
        else {
          proposals++;
          if (!Number.isFinite(uNew[i])) take[i] = 0;
          else if (!metropolis) take[i] = 1;
          else if (temperature === 0) take[i] = uNew[i] <= uHost[c] ? 1 : 0;
          else {
            const logAccept = -(uNew[i] - uHost[c]) / temperature + logQ[i];
            take[i] = logAccept >= 0 || chainUniform(seed, c, age[c]) < Math.exp(logAccept) ? 1 : 0;
          }
          accepted += take[i];
        }
      }
      const moved = tf.tidy(() => {
        const m = tf.tensor2d(take, [a, 1], 'bool');
        return { x: tf.where(m, out.y, x), grad: tf.where(m, out.gU, grad) };
      });
      tf.dispose([out.y, out.e, out.r, out.u, out.gU, out.logQ, x, grad]);
      const keep: number[] = [];
      let left = 0;
      for (let i = 0; i < a; i++) {
        const c = ids[i];
        if (!fresh[i]) age[c]++;
        if (take[i]) {
          uHost[c] = uNew[i];
          // The path's energy: every state the chain has taken, its start and its arrival point included.
          pathMax[c] = Math.max(pathMax[c], Number.isNaN(eHost[i]) ? Infinity : eHost[i]);
          if (rHost[i] < closest[c]) [closest[c], closestAt[c]] = [rHost[i], age[c]];
        }
        if (take[i] && rHost[i] < radius) {
          const q = chainPair(c);
          successes[q]++;
          if (pathMax[c] < best[q]) best[q] = pathMax[c];
          stepSum[q] += age[c];
          left++;
        } else if (age[c] >= steps || age[c] - closestAt[c] >= patience || (fresh[i] && !Number.isFinite(eHost[i]))) {
          stepSum[chainPair(c)] += age[c];
          left++;
        } else {
          keep.push(i);
        }
      }
      fresh = fresh.map(() => false);
      if (left > 0) {
        done += left;
        pool = keep.length === 0 ? null : tf.tidy(() => ({ x: tf.gather(moved.x, keep), grad: tf.gather(moved.grad, keep), target: tf.gather(target, keep) }));
        tf.dispose([moved.x, moved.grad, target]);
        ids = keep.map((i) => ids[i]);
        fresh = keep.map(() => false);
        refill();
        opts.onProgress?.(done, chainCount);
      } else {
        pool = { x: moved.x, grad: moved.grad, target };
      }
      await yieldOrAbort(opts.signal, 'attraction-diffusion');
    }
  } catch (e) {
    // An abort or a failing score: free the chains before passing the error on.
    if (pool) for (const t of [pool.x, pool.grad, pool.target]) if (!t.isDisposed) t.dispose();
    if (!flat.isDisposed) flat.dispose();
    throw e;
  }
  flat.dispose();
  const ends = await energiesOf(energyScore, minima, batchSize);
  const acceptance = proposals > 0 ? accepted / proposals : 1;
  const meanSteps = Float32Array.from(stepSum, (v) => v / (trials * dirs));
  return { size: m, matrix: barrierMatrix(m, ends, ps, best), pairs: ps, values: best, successes, acceptance, meanSteps, trials: trials * dirs, radius };
}

/** A uniform in [0, 1) for chain c's step t, from the seed alone (mulberry32, SeededRng, from a hashed triple). */
function chainUniform(seed: number, chain: number, step: number): number {
  const h = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(chain + 1, 0xc2b2ae35) ^ Math.imul(step + 1, 0x27d4eb2f)) >>> 0;
  return SeededRng.fromState(h).next();
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
 *  - steps, default 600: with the Metropolis–Hastings correction the step η must stay small enough to be
 *    accepted. Measured on a triangle EBM of MNIST (48 minima, 2 nearest pairs, α 16.8): 300 steps
 *    (η 0.0099) accepted 44% of proposals and 35% of pairs arrived; 600 steps (η 0.0050) accepted 80% and
 *    every pair arrived (after 371 steps on average), barriers a median 11 below the straight line's,
 *    as the uncorrected chains at 300 steps.
 * @param fixed e.g. { steps: 300 } or an α chosen by hand
 */
export function adSettingsFromScale(scale: AdScale, fixed: Partial<AdSettings> = {}): AdSettings {
  const { dims, minDistance, maxDistance, slope, gradient } = scale;
  if (!(minDistance > 0 && maxDistance >= minDistance)) {
    throw new UserError(`adSettingsFromScale: distances between minima must be positive (got ${minDistance}..${maxDistance}); merge duplicate minima first`);
  }
  const steps = fixed.steps ?? 600;
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
