/**
 * Local minima of E = −f by batched steepest descent, x ← x + η∇f(x) (divergence-triangle paper §4.3):
 * every start point is mapped onto the minimum its descent reaches (its Hopfield basin of attraction),
 * and descents that end at the same minimum are merged.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { LandscapeScoreFn, energiesOf, energyAndGradient, exampleSize, yieldOrAbort } from './score';

/**
 * Why a descent stopped. 'window' | 'gradient' | 'stall' count as converged; 'maxSteps' and 'nonFinite' do not.
 *  - 'window': the default criterion, for any energy (see `FindMinimaOptions.window`);
 *  - 'gradient': the (projected) gradient fell below `tol` (smooth energies only);
 *  - 'stall': no new low for `stallSteps` steps (the older, coarser test for piecewise-linear energies).
 */
export type DescentStop = 'window' | 'gradient' | 'stall' | 'maxSteps' | 'nonFinite';

export interface FindMinimaOptions {
  /** η of x ← x + η∇f(x). */
  stepSize: number;
  /** Steps after which a start that has not converged stops where it is (marked unconverged). */
  maxSteps: number;
  /** Also converged when the step, divided by η, is shorter than tol: ‖∇f‖ < tol without a clamp, the
   * projected gradient's norm with one (so points resting on the clamp's boundary converge too). Works on
   * smooth energies only: on a piecewise-linear one (a ReLU network's) ∇E does not vanish at a minimum,
   * which sits on a kink. Default 0: off. */
  tol?: number;
  /**
   * K of the default stopping rule, which works on piecewise-linear energies (default 20; 0 turns it off).
   * Steps are counted in windows of K. A window whose new lows gain less than `relTol` of the descent so
   * far, E(x₀) − min E, has stopped making progress at this step size. If it bounced (its net displacement
   * is at most half the path it walked: the steps cross a kink and back) the descent goes back to its
   * lowest point and halves η; if it ran straight (a smooth minimum approached with too small a step) η
   * doubles, at most to 8·η₀. At the stall after `halvings` halvings it has converged, its end the lowest
   * point met, within about η₀·2^−halvings·‖∇E‖ of the kink. A descent zig-zagging down a valley floor keeps
   * gaining and is not stopped; halving refines where it ends, so descents into one minimum meet.
   */
  window?: number;
  /** Share of the descent so far a window must gain to count as progress (default 0.01). */
  relTol?: number;
  /** Halvings of η before a stalled descent counts as converged (default 4: the last steps are η/16). */
  halvings?: number;
  /** Also converged once E has not reached a new low for this many steps (default: never). Coarser than
   * `window`: the end is within a full step of the kink. */
  stallSteps?: number;
  /** Keep points in [lo, hi] after every step (e.g. [-1, 1] for images). */
  clamp?: readonly [number, number];
  /** Points descending at once (default 256); converged points are replaced by fresh starts. */
  batchSize?: number;
  /** Two end points are the same minimum when closer than this (Euclidean). Default: `mergeFraction` of
   * the median nearest-neighbour distance between the starts (the data's own scale), 0.01·√D for one start. */
  mergeDistance?: number;
  /** Default 0.05: ends closer than 5% of the typical gap between two data points are one minimum. */
  mergeFraction?: number;
  /** …and when their energies differ by less than this (default ∞: distance alone decides). */
  mergeEnergy?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface MinimaResult {
  /** [M, ...shape], sorted by energy (deepest first); each the lowest end point of its group. The caller owns it. */
  minima: tf.Tensor;
  /** [M] E at each minimum. */
  energies: Float32Array;
  /** [M] how many starts descended into each minimum. */
  counts: Int32Array;
  /** [N] start i → index of its minimum (−1 where a minimum was dropped later, see `restrictMinima`). */
  assignment: Int32Array;
  /** [N] E at the end of each start's descent (before merging). */
  finalEnergies: Float32Array;
  /** [N] descent steps each start took. */
  steps: Int32Array;
  /** [N] 1 where the descent met a stopping criterion within maxSteps. */
  converged: Uint8Array;
  /** Share of the starts whose descent converged. */
  convergedShare: number;
  /** [N] why each descent stopped. */
  stoppedBy: DescentStop[];
  /** [N] length of each descent's path, Σ‖x_{t+1} − x_t‖. */
  pathLength: Float32Array;
  /** [N] ‖end − start‖: against `pathLength`, how straight the descent ran (1: straight; ≪ 1: it bounced). */
  displacement: Float32Array;
  /** The merge distance used. */
  mergeDistance: number;
}

/** The window rule doubles η at most this many times (to 8·η₀). */
const MAX_DOUBLINGS = 3;

/**
 * Steepest descent from every start on E = −f, then merging of near-duplicate end points.
 * @param starts [N, ...shape]; not disposed
 */
export async function findMinima(score: LandscapeScoreFn, starts: tf.Tensor, opts: FindMinimaOptions): Promise<MinimaResult> {
  checkDescentOptions(opts);
  const n = starts.shape[0];
  const d = exampleSize(starts);
  const shape = starts.shape.slice(1);
  const batchSize = opts.batchSize ?? 256;
  const eta0 = opts.stepSize;
  const tol = opts.tol ?? 0;
  const window = opts.window ?? 20;
  const relTol = opts.relTol ?? 0.01;
  const halvings = opts.halvings ?? 4;

  const finals = new Float32Array(n * d);
  const steps = new Int32Array(n);
  const converged = new Uint8Array(n);
  const stoppedBy: DescentStop[] = new Array<DescentStop>(n).fill('maxSteps');
  const pathLength = new Float32Array(n);
  const startEnergy = new Float32Array(n);
  const lowest = new Float32Array(n).fill(Infinity);
  const lowestAt = new Int32Array(n);
  // The window rule, per start: where its window began (step, lowest E, path walked since), its step
  // level (η = η₀·2^−level) and the halvings it has spent.
  const windowStart = new Int32Array(n);
  const windowLow = new Float32Array(n);
  const windowPath = new Float32Array(n);
  const level = new Int32Array(n);
  const halved = new Int32Array(n);

  // A pool of up to batchSize descending points; whoever converges (or runs out of steps) leaves, and
  // fresh starts refill it, so every score call runs at a full batch. Per point: its position, its lowest
  // position so far (where a stalled descent restarts, and where every descent ends), and where its
  // window began (`anchor`, to tell bouncing from running straight).
  // `as` keeps the declared type: refill() assigns it, which flow analysis does not see.
  let pool = null as { x: tf.Tensor; best: tf.Tensor; anchor: tf.Tensor } | null;
  let ids: number[] = [];
  let next = 0;
  let done = 0;
  const refill = (): void => {
    const k = Math.min(batchSize - ids.length, n - next);
    if (k <= 0) return;
    for (let i = 0; i < k; i++) ids.push(next + i);
    const old = pool;
    const fresh = (t: tf.Tensor | undefined): tf.Tensor => tf.tidy(() => (t ? tf.concat([t, starts.slice(next, k)]) : starts.slice(next, k)));
    pool = { x: fresh(old?.x), best: fresh(old?.best), anchor: fresh(old?.anchor) };
    if (old) tf.dispose([old.x, old.best, old.anchor]);
    next += k;
  };
  const etaOf = (id: number): number => eta0 * 2 ** -level[id];
  const bshape = (b: number): number[] => [b, ...shape.map(() => 1)];
  try {
    refill();
    while (pool !== null) {
      const { x, best, anchor } = pool;
      const b = ids.length;
      const { moved, fromAnchor, stepped, energy } = tf.tidy(() => {
        const { energy, grad } = energyAndGradient(score, x);
        let y = x.sub(grad.mul(tf.tensor(Float32Array.from(ids, etaOf), bshape(b))));
        if (opts.clamp) y = y.clipByValue(opts.clamp[0], opts.clamp[1]);
        const norm = (t: tf.Tensor): tf.Tensor => t.reshape([b, d]).square().sum(1).sqrt();
        return { moved: norm(y.sub(x)), fromAnchor: norm(x.sub(anchor)), stepped: y, energy };
      });
      const [movedHost, anchorHost, energyHost] = await Promise.all([moved.data(), fromAnchor.data(), energy.data()]);
      tf.dispose([moved, fromAnchor, energy]);
      const improved = new Uint8Array(b);
      const restart = new Uint8Array(b);
      const reset = new Uint8Array(b);
      const keep: number[] = [];
      const leave: number[] = [];
      for (let i = 0; i < b; i++) {
        const id = ids[i];
        const e = energyHost[i];
        if (steps[id] === 0) [startEnergy[id], windowLow[id]] = [e, e];
        steps[id]++;
        // steps[id] is t + 1 now and e is E(x_t).
        if (e < lowest[id]) {
          [lowest[id], lowestAt[id]] = [e, steps[id]];
          improved[i] = 1;
        }
        let stop: DescentStop | null = null;
        if (!Number.isFinite(e) || !Number.isFinite(movedHost[i])) stop = 'nonFinite';
        else if (movedHost[i] < tol * etaOf(id)) stop = 'gradient';
        else if (opts.stallSteps !== undefined && steps[id] - lowestAt[id] >= opts.stallSteps) stop = 'stall';
        else if (window > 0 && steps[id] - windowStart[id] >= window) {
          // A window without progress at this step size: bouncing across a kink (net displacement at
          // most half the path walked) halves η from the lowest point; running straight but slowly (a
          // smooth minimum approached with too small a step) doubles it, up to 8·η₀.
          if (windowLow[id] - lowest[id] <= relTol * (startEnergy[id] - lowest[id])) {
            if (anchorHost[i] <= 0.5 * windowPath[id] || level[id] <= -MAX_DOUBLINGS) {
              if (halved[id] >= halvings) stop = 'window';
              else {
                halved[id]++;
                level[id]++;
                restart[i] = 1;
              }
            } else level[id]--;
          }
          [windowStart[id], windowLow[id], windowPath[id]] = [steps[id], lowest[id], 0];
          reset[i] = 1;
        }
        if (stop === null && steps[id] >= opts.maxSteps) stop = 'maxSteps';
        if (stop === null) {
          if (!restart[i]) {
            pathLength[id] += movedHost[i];
            windowPath[id] += movedHost[i];
          }
          keep.push(i);
        } else {
          stoppedBy[id] = stop;
          converged[id] = stop === 'window' || stop === 'gradient' || stop === 'stall' ? 1 : 0;
          leave.push(i);
        }
      }
      // Lowest point so far (x_t where E(x_t) set a new low); a restarted descent continues from it, and a
      // new window is anchored where the descent stands.
      const nextPool = tf.tidy(() => {
        const mask = (m: Uint8Array): tf.Tensor => tf.tensor(m, bshape(b), 'bool');
        const bestNext = tf.where(mask(improved), x, best);
        const xNext = restart.some((r) => r) ? tf.where(mask(restart), bestNext, stepped) : stepped.clone();
        const anchorNext = tf.where(mask(reset), tf.where(mask(restart), bestNext, x), anchor);
        return { x: xNext, best: bestNext, anchor: anchorNext };
      });
      tf.dispose([x, best, anchor, stepped]);
      if (leave.length > 0) {
        const out = tf.gather(nextPool.best, leave);
        const host = await out.data();
        out.dispose();
        for (let j = 0; j < leave.length; j++) finals.set(host.subarray(j * d, (j + 1) * d), ids[leave[j]] * d);
        done += leave.length;
        opts.onProgress?.(done, n);
        pool = keep.length === 0 ? null : { x: tf.gather(nextPool.x, keep), best: tf.gather(nextPool.best, keep), anchor: tf.gather(nextPool.anchor, keep) };
        tf.dispose([nextPool.x, nextPool.best, nextPool.anchor]);
        ids = keep.map((i) => ids[i]);
        refill();
        await yieldOrAbort(opts.signal, 'minimum search');
      } else {
        pool = nextPool;
      }
    }
  } catch (e) {
    // An abort or a failing score: free the pool before passing the error on.
    if (pool) for (const t of [pool.x, pool.best, pool.anchor]) if (!t.isDisposed) t.dispose();
    throw e;
  }

  const finalTensor = tf.tensor(finals, [n, ...shape]);
  const finalEnergies = await energiesOf(score, finalTensor, batchSize);
  const displacement = await rowDistances(finalTensor, starts);
  const mergeDistance = opts.mergeDistance ?? (opts.mergeFraction ?? 0.05) * (await dataScale(starts));
  const groups = await mergeNearDuplicates(finalTensor, finalEnergies, { distance: mergeDistance, energy: opts.mergeEnergy ?? Infinity });
  finalTensor.dispose();

  const m = groups.representatives.length;
  const minima = tf.tidy(() => tf.tensor(gatherRows(finals, d, groups.representatives), [m, ...shape]));
  const energies = Float32Array.from(groups.representatives, (i) => finalEnergies[i]);
  const counts = new Int32Array(m);
  for (const g of groups.assignment) counts[g]++;
  const convergedShare = n > 0 ? converged.reduce((a, c) => a + c, 0) / n : NaN;
  return { minima, energies, counts, assignment: groups.assignment, finalEnergies, steps, converged, convergedShare, stoppedBy, pathLength, displacement, mergeDistance };
}

/** ‖a_i − b_i‖ row by row. @param a, b [N, ...shape] */
async function rowDistances(a: tf.Tensor, b: tf.Tensor): Promise<Float32Array> {
  const n = a.shape[0];
  const r = tf.tidy(() => a.reshape([n, -1]).sub(b.reshape([n, -1])).square().sum(1).sqrt());
  const host = (await r.data()) as Float32Array;
  r.dispose();
  return host;
}

/**
 * The data's own length scale: the median over points of the distance to the nearest other point
 * (Euclidean), from at most `sample` points (default 1000; distances in chunks, never an N×N×D tensor).
 * For one point: 0.2·√D (a guess: a fifth of the diagonal of the unit cube).
 * @param points [N, ...shape]; not disposed
 */
export async function dataScale(points: tf.Tensor, sample = 1000): Promise<number> {
  const n = Math.min(points.shape[0], sample);
  const d = exampleSize(points);
  if (n < 2) return 0.2 * Math.sqrt(d);
  const flat = tf.tidy(() => points.slice(0, n).reshape([n, d]));
  const sq = tf.tidy(() => flat.square().sum(1));
  const nearest = new Float32Array(n);
  const chunk = 256;
  for (let c0 = 0; c0 < n; c0 += chunk) {
    const k = Math.min(chunk, n - c0);
    const mins = tf.tidy(() => {
      const a = flat.slice(c0, k);
      const d2 = sq.slice(c0, k).expandDims(1).add(sq.expandDims(0)).sub(tf.matMul(a, flat, false, true).mul(2));
      // Each point itself is pushed out of the minimum.
      return d2.add(tf.oneHot(tf.range(c0, c0 + k, 1, 'int32'), n).mul(1e30)).min(1).relu().sqrt();
    });
    nearest.set(await mins.data(), c0);
    mins.dispose();
  }
  tf.dispose([flat, sq]);
  const sorted = Array.from(nearest).sort((x, y) => x - y);
  return sorted[Math.floor((n - 1) / 2)];
}

/**
 * Keeps only the listed minima (in that order), e.g. the most visited ones before an O(M²) barrier stage.
 * Starts whose minimum is dropped get assignment −1. Returns a new result with its own minima tensor.
 */
export function restrictMinima(result: MinimaResult, keep: readonly number[]): MinimaResult {
  const m = result.energies.length;
  const newIndex = new Int32Array(m).fill(-1);
  keep.forEach((k, i) => {
    if (!(k >= 0 && k < m) || newIndex[k] !== -1) throw new UserError(`restrictMinima: index ${k} is out of range or repeated`);
    newIndex[k] = i;
  });
  return {
    minima: tf.gather(result.minima, [...keep]),
    energies: Float32Array.from(keep, (k) => result.energies[k]),
    counts: Int32Array.from(keep, (k) => result.counts[k]),
    assignment: result.assignment.map((a) => (a >= 0 ? newIndex[a] : -1)),
    finalEnergies: result.finalEnergies,
    steps: result.steps,
    converged: result.converged,
    convergedShare: result.convergedShare,
    stoppedBy: result.stoppedBy,
    pathLength: result.pathLength,
    displacement: result.displacement,
    mergeDistance: result.mergeDistance,
  };
}

/**
 * Leader clustering in order of energy: each end point joins the nearest existing representative within
 * `distance` (and `energy`), else becomes one. Representatives are thus the lowest point of their group.
 * Distances come from ‖a‖² + ‖b‖² − 2a·b in chunks (a backend matmul), never an N×N×D tensor.
 */
export async function mergeNearDuplicates(
  points: tf.Tensor,
  energies: Float32Array,
  tol: { distance: number; energy: number },
  chunk = 256,
): Promise<{ representatives: number[]; assignment: Int32Array }> {
  const n = points.shape[0];
  const d = exampleSize(points);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => energies[a] - energies[b] || a - b);
  const flat = points.reshape([n, d]);
  const sqNorms = tf.tidy(() => flat.square().sum(1));
  const reps: number[] = [];
  const assignment = new Int32Array(n).fill(-1);
  const radius2 = tol.distance * tol.distance;
  let repTensor = null as tf.Tensor2D | null; // rows of `flat` for reps, in `reps` order
  for (let c0 = 0; c0 < n; c0 += chunk) {
    const idx = order.slice(c0, c0 + chunk);
    const a = tf.gather(flat, idx) as tf.Tensor2D;
    const an = tf.gather(sqNorms, idx) as tf.Tensor1D;
    // ‖a − b‖² for every row of a against every row of b, floored at 0 against round-off.
    const sq = (b: tf.Tensor2D, bn: tf.Tensor1D): tf.Tensor2D =>
      tf.tidy(() => an.expandDims(1).add(bn.expandDims(0)).sub(tf.matMul(a, b, false, true).mul(2)).relu() as tf.Tensor2D);
    const reps0: tf.Tensor2D | null = repTensor;
    const toReps = reps0 ? tf.tidy(() => sq(reps0, tf.gather(sqNorms, reps) as tf.Tensor1D)) : null;
    const within = sq(a, an);
    tf.dispose([a, an]);
    const toRepsHost = toReps ? await toReps.data() : null;
    const withinHost = await within.data();
    if (toReps) toReps.dispose();
    within.dispose();
    const r0 = reps.length;
    const newReps: number[] = []; // positions within this chunk
    for (let p = 0; p < idx.length; p++) {
      const i = idx[p];
      let best = -1;
      let bestD = Infinity;
      for (let r = 0; r < r0; r++) {
        const d2 = toRepsHost![p * r0 + r];
        if (d2 <= radius2 && d2 < bestD && Math.abs(energies[i] - energies[reps[r]]) <= tol.energy) {
          best = r;
          bestD = d2;
        }
      }
      for (let q = 0; q < newReps.length; q++) {
        const d2 = withinHost[p * idx.length + newReps[q]];
        if (d2 <= radius2 && d2 < bestD && Math.abs(energies[i] - energies[idx[newReps[q]]]) <= tol.energy) {
          best = r0 + q;
          bestD = d2;
        }
      }
      if (best === -1) {
        best = r0 + newReps.length;
        newReps.push(p);
      }
      assignment[i] = best;
    }
    if (newReps.length > 0) {
      for (const p of newReps) reps.push(idx[p]);
      const added = tf.gather(flat, newReps.map((p) => idx[p])) as tf.Tensor2D;
      const old: tf.Tensor2D | null = repTensor;
      repTensor = old ? (tf.concat([old, added]) as tf.Tensor2D) : added;
      if (old) {
        old.dispose();
        added.dispose();
      }
    }
  }
  tf.dispose([flat, sqNorms]);
  if (repTensor) repTensor.dispose();
  return { representatives: reps, assignment };
}

function gatherRows(data: Float32Array, d: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => out.set(data.subarray(r * d, (r + 1) * d), i * d));
  return out;
}

function checkDescentOptions(o: FindMinimaOptions): void {
  if (!(o.stepSize > 0)) throw new UserError(`findMinima: stepSize must be > 0 (got ${o.stepSize})`);
  if (!(Number.isInteger(o.maxSteps) && o.maxSteps >= 1)) throw new UserError(`findMinima: maxSteps must be an integer ≥ 1 (got ${o.maxSteps})`);
  if (o.tol !== undefined && !(o.tol >= 0)) throw new UserError(`findMinima: tol must be ≥ 0 (got ${o.tol})`);
  if (o.window !== undefined && !(Number.isInteger(o.window) && o.window >= 0)) throw new UserError(`findMinima: window must be an integer ≥ 0 (got ${o.window})`);
  if (o.halvings !== undefined && !(Number.isInteger(o.halvings) && o.halvings >= 0)) throw new UserError(`findMinima: halvings must be an integer ≥ 0 (got ${o.halvings})`);
  if (o.relTol !== undefined && !(o.relTol >= 0 && o.relTol < 1)) throw new UserError(`findMinima: relTol must be in [0, 1) (got ${o.relTol})`);
  if (o.mergeDistance !== undefined && !(o.mergeDistance >= 0)) throw new UserError(`findMinima: mergeDistance must be ≥ 0 (got ${o.mergeDistance})`);
  if (o.mergeFraction !== undefined && !(o.mergeFraction >= 0)) throw new UserError(`findMinima: mergeFraction must be ≥ 0 (got ${o.mergeFraction})`);
  if (o.batchSize !== undefined && !(Number.isInteger(o.batchSize) && o.batchSize >= 1)) {
    throw new UserError(`findMinima: batchSize must be an integer ≥ 1 (got ${o.batchSize})`);
  }
  if (o.stallSteps !== undefined && !(Number.isInteger(o.stallSteps) && o.stallSteps >= 1)) {
    throw new UserError(`findMinima: stallSteps must be an integer ≥ 1 (got ${o.stallSteps})`);
  }
  if (o.clamp && !(o.clamp[0] < o.clamp[1])) throw new UserError(`findMinima: clamp must be [lo, hi] with lo < hi (got [${o.clamp.join(', ')}])`);
}

export interface DescentScaleOptions {
  /** Steps before an unconverged descent stops (default 1000: on a triangle EBM of MNIST, the window
   * rule stopped descents after a median 720 steps, 90% within 780). */
  maxSteps?: number;
  clamp?: readonly [number, number];
  /** Starts the gradient scale is measured on (default the first 64). */
  sample?: number;
  batchSize?: number;
}

/**
 * Steepest-descent settings from the energy's own scale, so the same rule fits an EBM early in training
 * (‖∇E‖ ≈ 0.2 on MNIST) and late (‖∇E‖ of tens), and any dimension D. With g₀ the median ‖∇E‖ over the
 * sampled starts, counting with a clamp only the components it lets the descent follow (on a triangle EBM
 * of MNIST most of ‖∇E‖ pushes background pixels out of [−1, 1] (the followable part is a third); counting it made the first steps 3×
 * too short, and descents took 720 steps instead of 580 to converge, ending less deep):
 *  - η = 0.01·√D / g₀: the first step from a typical start moves 1% of √D (0.28 for 28×28 images in
 *    [−1, 1], whose pairwise distances are ~10–20), small enough to follow the descent path, large
 *    enough to reach a minimum some units away within a few hundred steps;
 *  - tol = 0 (no gradient test): `findMinima`'s default window rule stops smooth and piecewise-linear
 *    energies alike, and ends nearer the minimum than a gradient test at 2% of g₀ did on Gaussian wells
 *    (which left ends ~0.01 apart on wells 1.2 wide);
 *  - mergeDistance = 0.05 × the median nearest-neighbour distance between the starts (`dataScale`): ends
 *    closer than 5% of the gap between two neighbouring data points are the same minimum (MNIST test
 *    images: nearest neighbours ≈ 14.5 apart, so 0.73).
 * @param starts [N, ...shape]; not disposed
 */
export async function descentOptionsFromScale(
  score: LandscapeScoreFn,
  starts: tf.Tensor,
  opts: DescentScaleOptions = {},
): Promise<FindMinimaOptions & { tol: number; gradientScale: number; dataScale: number }> {
  const n = starts.shape[0];
  if (n === 0) throw new UserError('descentOptionsFromScale: no starts given');
  const d = exampleSize(starts);
  const k = Math.min(n, opts.sample ?? 64);
  const norms = tf.tidy(() => {
    const x = starts.slice(0, k);
    let g = energyAndGradient(score, x).grad;
    if (opts.clamp) {
      // Only the components the clamp lets the descent follow (images in [−1, 1]: most of MNIST's
      // background sits at −1 and is pushed further out).
      const [lo, hi] = opts.clamp;
      const blocked = tf.logicalOr(tf.logicalAnd(x.greaterEqual(hi), g.less(0)), tf.logicalAnd(x.lessEqual(lo), g.greater(0)));
      g = tf.where(blocked, tf.zerosLike(g), g);
    }
    return g.reshape([k, d]).square().sum(1).sqrt();
  });
  const host = Array.from(await norms.data()).sort((a, b) => a - b);
  norms.dispose();
  const g0 = host[Math.floor((k - 1) / 2)];
  if (!(g0 > 0 && Number.isFinite(g0))) {
    throw new UserError(`descentOptionsFromScale: the energy's gradient at the starts is ${g0}; the landscape is flat (or broken) there, pass descent settings by hand`);
  }
  const scale = await dataScale(starts);
  return {
    stepSize: (0.01 * Math.sqrt(d)) / g0,
    tol: 0,
    maxSteps: opts.maxSteps ?? 1000,
    mergeDistance: 0.05 * scale,
    ...(opts.clamp ? { clamp: opts.clamp } : {}),
    ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
    gradientScale: g0,
    dataScale: scale,
  };
}
