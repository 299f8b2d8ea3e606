/**
 * Local minima of E = −f by batched steepest descent, x ← x + η∇f(x) (divergence-triangle paper §4.3):
 * every start point is mapped onto the minimum its descent reaches (its Hopfield basin of attraction),
 * and descents that end at the same minimum are merged.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { LandscapeScoreFn, energiesOf, energyAndGradient, exampleSize, yieldOrAbort } from './score';

export interface FindMinimaOptions {
  /** η of x ← x + η∇f(x). */
  stepSize: number;
  /** Steps after which a start that has not converged stops where it is (marked unconverged). */
  maxSteps: number;
  /** A start has converged when its step, divided by η, is shorter than tol: ‖∇f‖ < tol without a clamp,
   * the projected gradient's norm with one (so points resting on the clamp's boundary converge too). */
  tol: number;
  /** Also converged once E has not reached a new low for this many steps (default: never). On a
   * piecewise-linear energy (a ReLU network's) ∇E does not vanish at a minimum, which sits on a kink: the
   * descent bounces across it and never meets `tol`. A descent zig-zagging down a valley floor still sets
   * new lows every few steps; one that has stopped making progress is within a step of its minimum. */
  stallSteps?: number;
  /** Keep points in [lo, hi] after every step (e.g. [-1, 1] for images). */
  clamp?: readonly [number, number];
  /** Points descending at once (default 256); converged points are replaced by fresh starts. */
  batchSize?: number;
  /** Two end points are the same minimum when closer than this (Euclidean; default 0.01·√D)… */
  mergeDistance?: number;
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
  /** [N] 1 where the descent met the tolerance within maxSteps. */
  converged: Uint8Array;
}

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
  const eta = opts.stepSize;

  const finals = new Float32Array(n * d);
  const steps = new Int32Array(n);
  const converged = new Uint8Array(n);
  const lowest = new Float32Array(n).fill(Infinity);
  const lowestAt = new Int32Array(n);

  // A pool of up to batchSize descending points; whoever converges (or runs out of steps) leaves,
  // and fresh starts refill it, so every score call runs at a full batch.
  // `as` keeps the declared type: refill() assigns it, which flow analysis does not see.
  let pool = null as tf.Tensor | null;
  let ids: number[] = [];
  let next = 0;
  let done = 0;
  const refill = (): void => {
    const k = Math.min(batchSize - ids.length, n - next);
    if (k <= 0) return;
    const fresh = starts.slice(next, k);
    for (let i = 0; i < k; i++) ids.push(next + i);
    next += k;
    const old: tf.Tensor | null = pool;
    pool = old ? tf.concat([old, fresh]) : fresh;
    if (old) {
      old.dispose();
      fresh.dispose();
    }
  };
  try {
    refill();
    while (pool !== null) {
      const x: tf.Tensor = pool;
      const { moved, stepped, energy } = tf.tidy(() => {
        const { energy, grad } = energyAndGradient(score, x);
        let y = x.sub(grad.mul(eta));
        if (opts.clamp) y = y.clipByValue(opts.clamp[0], opts.clamp[1]);
        const dist = y.sub(x).reshape([ids.length, d]).square().sum(1).sqrt().div(eta);
        return { moved: dist, stepped: y, energy };
      });
      const [movedHost, energyHost] = await Promise.all([moved.data(), energy.data()]);
      tf.dispose([moved, energy]);
      x.dispose();
      const keep: number[] = [];
      const leave: number[] = [];
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i];
        steps[id]++;
        // steps[id] is t + 1 now and energyHost[i] is E(x_t).
        if (energyHost[i] < lowest[id]) [lowest[id], lowestAt[id]] = [energyHost[i], steps[id]];
        const stalled = opts.stallSteps !== undefined && steps[id] - lowestAt[id] >= opts.stallSteps;
        if (movedHost[i] < opts.tol || stalled) {
          converged[id] = 1;
          leave.push(i);
        } else if (steps[id] >= opts.maxSteps || !Number.isFinite(movedHost[i])) {
          leave.push(i);
        } else {
          keep.push(i);
        }
      }
      if (leave.length > 0) {
        const out = tf.gather(stepped, leave);
        const host = await out.data();
        out.dispose();
        for (let j = 0; j < leave.length; j++) finals.set(host.subarray(j * d, (j + 1) * d), ids[leave[j]] * d);
        done += leave.length;
        opts.onProgress?.(done, n);
        if (keep.length === 0) {
          stepped.dispose();
          pool = null;
        } else {
          pool = tf.gather(stepped, keep);
          stepped.dispose();
        }
        ids = keep.map((i) => ids[i]);
        refill();
        await yieldOrAbort(opts.signal, 'minimum search');
      } else {
        pool = stepped;
      }
    }
  } catch (e) {
    // An abort or a failing score: free the pool before passing the error on.
    if (pool && !pool.isDisposed) pool.dispose();
    throw e;
  }

  const finalTensor = tf.tensor(finals, [n, ...shape]);
  const finalEnergies = await energiesOf(score, finalTensor, batchSize);
  const groups = await mergeNearDuplicates(finalTensor, finalEnergies, {
    distance: opts.mergeDistance ?? 0.01 * Math.sqrt(d),
    energy: opts.mergeEnergy ?? Infinity,
  });
  finalTensor.dispose();

  const m = groups.representatives.length;
  const minima = tf.tidy(() => tf.tensor(gatherRows(finals, d, groups.representatives), [m, ...shape]));
  const energies = Float32Array.from(groups.representatives, (i) => finalEnergies[i]);
  const counts = new Int32Array(m);
  for (const g of groups.assignment) counts[g]++;
  return { minima, energies, counts, assignment: groups.assignment, finalEnergies, steps, converged };
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
  if (!(o.tol > 0)) throw new UserError(`findMinima: tol must be > 0 (got ${o.tol})`);
  if (o.batchSize !== undefined && !(Number.isInteger(o.batchSize) && o.batchSize >= 1)) {
    throw new UserError(`findMinima: batchSize must be an integer ≥ 1 (got ${o.batchSize})`);
  }
  if (o.stallSteps !== undefined && !(Number.isInteger(o.stallSteps) && o.stallSteps >= 1)) {
    throw new UserError(`findMinima: stallSteps must be an integer ≥ 1 (got ${o.stallSteps})`);
  }
  if (o.clamp && !(o.clamp[0] < o.clamp[1])) throw new UserError(`findMinima: clamp must be [lo, hi] with lo < hi (got [${o.clamp.join(', ')}])`);
}

export interface DescentScaleOptions {
  /** Steps before an unconverged descent stops (default 300). */
  maxSteps?: number;
  clamp?: readonly [number, number];
  /** Starts the gradient scale is measured on (default the first 64). */
  sample?: number;
  batchSize?: number;
}

/**
 * Steepest-descent settings from the energy's own scale, so the same rule fits an EBM early in training
 * (‖∇E‖ ≈ 0.2 on MNIST) and late (‖∇E‖ of tens), and any dimension D. With g₀ the median ‖∇E‖ over the
 * sampled starts:
 *  - η = 0.01·√D / g₀: the first step from a typical start moves 1% of √D (0.28 for 28×28 images in
 *    [−1, 1], whose pairwise distances are ~10–20), small enough to follow the descent path, large
 *    enough to reach a minimum some units away within a few hundred steps;
 *  - tol = 0.02·g₀: converged once the (projected) gradient has fallen to 2% of a typical start's;
 *  - mergeDistance = 0.05·√D: ends closer than an RMS difference of 0.05 per coordinate (2.5% of the
 *    [−1, 1] range) are the same minimum.
 * @param starts [N, ...shape]; not disposed
 */
export async function descentOptionsFromScale(
  score: LandscapeScoreFn,
  starts: tf.Tensor,
  opts: DescentScaleOptions = {},
): Promise<FindMinimaOptions & { gradientScale: number }> {
  const n = starts.shape[0];
  if (n === 0) throw new UserError('descentOptionsFromScale: no starts given');
  const d = exampleSize(starts);
  const k = Math.min(n, opts.sample ?? 64);
  const norms = tf.tidy(() => {
    const { grad } = energyAndGradient(score, starts.slice(0, k));
    return grad.reshape([k, d]).square().sum(1).sqrt();
  });
  const host = Array.from(await norms.data()).sort((a, b) => a - b);
  norms.dispose();
  const g0 = host[Math.floor((k - 1) / 2)];
  if (!(g0 > 0 && Number.isFinite(g0))) {
    throw new UserError(`descentOptionsFromScale: the energy's gradient at the starts is ${g0}; the landscape is flat (or broken) there, pass descent settings by hand`);
  }
  return {
    stepSize: (0.01 * Math.sqrt(d)) / g0,
    tol: 0.02 * g0,
    maxSteps: opts.maxSteps ?? 300,
    mergeDistance: 0.05 * Math.sqrt(d),
    ...(opts.clamp ? { clamp: opts.clamp } : {}),
    ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
    gradientScale: g0,
  };
}
