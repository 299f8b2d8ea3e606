/**
 * Langevin dynamics on any score function f (log-density up to a constant, π ∝ exp f):
 *
 *   x ← x + s·∇ₓf(x) + τ·ε,   ε ~ N(0, I),   τ = √(2s) ('auto') makes π the stationary law.
 *
 * Used for the image-space EBM f_α(x) (divergence-triangle paper §2.2.2, Eq. 12), the latent EBM's
 * synthesis/inference sampling f_α(x, z) (VAE + latent-EBM paper, Eq. 8), and ABP's posterior
 * log p(z) + log p_θ(x | z) (divergence-triangle paper Eq. 6, Han et al. 2017).
 * `metropolis: true` adds the Metropolis–Hastings correction of MALA (Roberts & Tweedie 1996), per example.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { deriveNoiseSeed } from '../random';

/** Score of a batch: f(x) per example, [N]. Called inside tf.tidy / tf.grad; must not dispose its input. */
export type LangevinScoreFn = (x: tf.Tensor) => tf.Tensor1D;
/** Score of a joint state (e.g. [x, z]), per example, [N]. */
export type LangevinJointScoreFn = (xs: tf.Tensor[]) => tf.Tensor1D;

export type LangevinNoise = number | 'auto';
export type LangevinClamp = readonly [number, number];

export interface LangevinStepInfo {
  /** 0-based index of the step just taken. */
  step: number;
  /** Mean score over the batch before the step (only when recordScores). */
  meanScore?: number;
  /** Fraction of the batch whose proposal was accepted at this step (MALA only, only when recordScores). */
  accepted?: number;
}

export interface LangevinOptions {
  steps: number;
  /** s in x ← x + s·∇f + τ·ε. For a joint state, one per variable or one for all. */
  stepSize: number | readonly number[];
  /** τ: a standard deviation or 'auto' = √(2s) (the unbiased-limit Langevin). Default 'auto'. */
  noise?: LangevinNoise | readonly LangevinNoise[];
  seed: number;
  /** Metropolis-adjusted Langevin (MALA): accept each example's proposal with the MH ratio. */
  metropolis?: boolean;
  /** Clip each state after every step (e.g. images to [-1, 1]). For a joint state, one entry (or null) per variable.
   * Clamping makes the chain no longer exactly π-invariant; it is what image-space EBM samplers do in practice. */
  clamp?: LangevinClamp | null | readonly (LangevinClamp | null)[];
  /** Sync the mean score (and MALA acceptance) every step and report them in the result and to onStep. */
  recordScores?: boolean;
  /** Called after every step. `state` is owned by the chain and is disposed after the next step: copy what you keep. */
  onStep?: (info: LangevinStepInfo, state: readonly tf.Tensor[]) => void;
}

export interface LangevinResult<T> {
  /** The final state; the caller owns (and disposes) it. */
  sample: T;
  /** Mean score over the batch before each step, then after the last step (steps + 1 entries); only with recordScores. */
  scores?: number[];
  /** MALA: accepted proposals / proposals, over all examples and steps (in (0, 1] for a sane step size). */
  acceptanceRate?: number;
}

/**
 * Runs a Langevin chain on one tensor.
 * @param scoreFn f, [N, ...] → [N]
 * @param x0 [N, ...] initial state; not disposed (the caller keeps owning it)
 * @returns the final state (new tensor the caller owns) and optional diagnostics
 */
export function langevin(scoreFn: LangevinScoreFn, x0: tf.Tensor, opts: LangevinOptions): LangevinResult<tf.Tensor> {
  const r = langevinJoint((xs) => scoreFn(xs[0]), [x0], opts);
  return { ...r, sample: r.sample[0] };
}

/**
 * Runs a Langevin chain on a joint state, e.g. (x, z) of a latent EBM, all variables moving together.
 * @param scoreFn f over the state list, → [N]
 * @param x0 initial states, each [N, ...]; not disposed
 * @returns the final states (new tensors the caller owns)
 */
export function langevinJoint(
  scoreFn: LangevinJointScoreFn,
  x0: readonly tf.Tensor[],
  opts: LangevinOptions,
): LangevinResult<tf.Tensor[]> {
  const k = x0.length;
  if (k === 0) throw new UserError('langevin: empty initial state; pass at least one tensor');
  if (!Number.isInteger(opts.steps) || opts.steps < 0) {
    throw new UserError(`langevin: steps must be a non-negative integer (got ${opts.steps})`);
  }
  const stepSizes = perVariable(opts.stepSize, k, 'stepSize');
  for (const s of stepSizes) {
    if (!(s > 0) || !Number.isFinite(s)) throw new UserError(`langevin: stepSize must be a positive number (got ${s})`);
  }
  const noises = perVariable(opts.noise ?? 'auto', k, 'noise').map((n, i) => (n === 'auto' ? Math.sqrt(2 * stepSizes[i]) : n));
  for (const n of noises) {
    if (!(n >= 0) || !Number.isFinite(n)) throw new UserError(`langevin: noise must be 'auto' or a number ≥ 0 (got ${n})`);
  }
  const clamps = perClamp(opts.clamp, k);
  const mala = opts.metropolis === true;
  if (mala && noises.some((n) => n === 0)) throw new UserError("langevin: metropolis needs noise > 0; use noise: 'auto'");
  const n = x0[0].shape[0];

  // ∇f per example: with dy = 1 the gradient of f [N] is that of Σf, and examples do not interact.
  const valueAndGrads = tf.valueAndGrads((...xs: tf.Tensor[]) => scoreFn(xs));
  const scoreAndGrad = (xs: tf.Tensor[]): { f: tf.Tensor1D; grads: tf.Tensor[] } => {
    const { value, grads } = valueAndGrads(xs);
    return { f: value as tf.Tensor1D, grads };
  };

  let state: tf.Tensor[] = x0.map((x) => x.clone());
  let cur = scoreAndGrad(state);
  const scores: number[] = [];
  let acceptedTotal: tf.Tensor = tf.scalar(0);
  for (let step = 0; step < opts.steps; step++) {
    const stepSeed = deriveNoiseSeed(opts.seed, step);
    const next = tf.tidy(() => {
      const proposal = state.map((x, i) => {
        const eps = tf.randomNormal(x.shape, 0, 1, 'float32', deriveNoiseSeed(stepSeed, i));
        let y = x.add(cur.grads[i].mul(stepSizes[i])).add(eps.mul(noises[i]));
        const c = clamps[i];
        if (c) y = y.clipByValue(c[0], c[1]);
        return y;
      });
      const prop = scoreAndGrad(proposal);
      if (!mala) return { state: proposal, f: prop.f, grads: prop.grads, accepted: tf.scalar(n) };
      // log α = f(y) − f(x) + log q(x | y) − log q(y | x), q(y | x) = N(x + s∇f(x), τ²I).
      let logRatio: tf.Tensor = prop.f.sub(cur.f);
      for (let i = 0; i < k; i++) {
        const fwd = proposal[i].sub(state[i]).sub(cur.grads[i].mul(stepSizes[i]));
        const bwd = state[i].sub(proposal[i]).sub(prop.grads[i].mul(stepSizes[i]));
        const denom = 2 * noises[i] * noises[i];
        logRatio = logRatio.add(sumPerExample(fwd.square()).sub(sumPerExample(bwd.square())).div(denom));
      }
      const u = tf.randomUniform([n], 0, 1, 'float32', deriveNoiseSeed(stepSeed, k + 1));
      const accept = u.log().less(logRatio); // [N] bool; NaN ratios reject
      const pick = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.where(broadcastMask(accept, a.rank), a, b);
      return {
        state: proposal.map((y, i) => pick(y, state[i])),
        f: pick(prop.f, cur.f) as tf.Tensor1D,
        grads: prop.grads.map((g, i) => pick(g, cur.grads[i])),
        accepted: accept.cast('float32').sum(),
      };
    });
    if (opts.recordScores) {
      scores.push(meanOf(cur.f));
    }
    const acceptedNow = opts.recordScores && mala ? next.accepted.dataSync()[0] / n : undefined;
    const newTotal = acceptedTotal.add(next.accepted);
    acceptedTotal.dispose();
    acceptedTotal = newTotal;
    next.accepted.dispose();
    tf.dispose([state, cur.f, cur.grads]);
    state = next.state;
    cur = { f: next.f, grads: next.grads };
    if (opts.onStep) {
      opts.onStep({ step, meanScore: opts.recordScores ? scores[scores.length - 1] : undefined, accepted: acceptedNow }, state);
    }
  }
  if (opts.recordScores) scores.push(meanOf(cur.f));
  const acceptanceRate = mala && opts.steps > 0 ? acceptedTotal.dataSync()[0] / (n * opts.steps) : undefined;
  acceptedTotal.dispose();
  tf.dispose([cur.f, cur.grads]);
  const result: LangevinResult<tf.Tensor[]> = { sample: state };
  if (opts.recordScores) result.scores = scores;
  if (acceptanceRate !== undefined) result.acceptanceRate = acceptanceRate;
  return result;
}

/** Mean of a tensor as a number (synchronous read). */
function meanOf(t: tf.Tensor): number {
  return tf.tidy(() => t.mean().dataSync()[0]);
}

/** Σ over all axes but the first: [N, ...] → [N]. */
function sumPerExample(t: tf.Tensor): tf.Tensor1D {
  return (t.rank === 1 ? t : t.reshape([t.shape[0], -1]).sum(1)) as tf.Tensor1D;
}

/** [N] bool → [N, 1, ..., 1] so tf.where broadcasts it over an example. */
function broadcastMask(mask: tf.Tensor, rank: number): tf.Tensor {
  return rank <= 1 ? mask : mask.reshape([mask.shape[0], ...new Array<number>(rank - 1).fill(1)]);
}

function perVariable<T>(v: T | readonly T[], k: number, name: string): T[] {
  if (Array.isArray(v)) {
    if (v.length !== k) throw new UserError(`langevin: ${name} has ${v.length} entries but the state has ${k} variables`);
    return [...(v as readonly T[])];
  }
  return new Array<T>(k).fill(v as T);
}

function perClamp(c: LangevinOptions['clamp'], k: number): (LangevinClamp | null)[] {
  if (c === undefined || c === null) return new Array<LangevinClamp | null>(k).fill(null);
  // A single [lo, hi] pair is two numbers; a per-variable list holds pairs or nulls.
  if (c.length === 2 && typeof c[0] === 'number') return new Array<LangevinClamp | null>(k).fill(c as LangevinClamp);
  const list = c as readonly (LangevinClamp | null)[];
  if (list.length !== k) throw new UserError(`langevin: clamp has ${list.length} entries but the state has ${k} variables`);
  return [...list];
}
