/**
 * Layer-wise (progressive) training of the divergence triangle (paper §4.1.3, after Karras et al. 2018):
 * the generator, inference net and EBM of lib/models' buildProgressiveModels start at 4×4 and grow in
 * synchrony, one resolution per stage; each new stage is faded in (α rising linearly from 0 to 1 over
 * `fadeIterations`), then trained at α = 1 for `stableIterations`. The data are averaged down to the
 * stage's resolution and, during a fade, blended like the generator's output,
 *   x = α·x_r + (1 − α)·up2(down2(x_r)),
 * so both sides of the EBM's contrast change resolution at the same pace (PGGAN does the same to reals).
 *
 * The steps are Algorithm 1 of DivergenceTriangleTrainer, unchanged: one such trainer per stage over the
 * same networks. A fresh trainer per stage restarts Adam's moments for the grown networks, as PGGAN resets
 * its optimizers at each new resolution; its noise stream and learning-rate epoch continue from the global
 * iteration. Variables of stages not yet in use get no gradient and are left untouched.
 *
 * Runs go through the one runner (lib/train/runner.ts, method 'progressive', the hires-… presets): data,
 * metrics.jsonl, checkpoints and --resume as every method; the run's length is the growth schedule
 * (ProgressiveTrainer.stageEnds). growthCallbacks adds what a notebook wants at the end of every stage.
 *
 * Also here: latent interpolation for Figure 10, (1 − t)·z₀ + t·z₁ decoded.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import type { ProgressiveModels } from '../models/progressive';
import type { Generator, Module } from '../models/types';
import type { NetworkOptimizer } from './optimizer';
import type { TrainPreset } from './presets';
import type { MetricsRecord, TrainingCallbacks } from './runner';
import { sampleGenerator, type Trainer } from './trainer';
import { DivergenceTriangleTrainer, type DivergenceTriangleOptions } from './triangle';

// ------------------------------------------------------------------------------------------------
// Schedule

export interface GrowthSchedule {
  /** Resolutions 4, 8, …: log2(maxSize / 4) + 1 stages. */
  stages: number;
  /** Iterations of every stage at α = 1 (after the fade-in of stages > 0). */
  stableIterations: number;
  /** Iterations over which each stage s > 0 fades in; stage 0 has no fade. */
  fadeIterations: number;
}

/** Iterations [start, end) of one stage; its fade-in is [start, fadeEnd). */
export interface GrowthPhase {
  stage: number;
  start: number;
  fadeEnd: number;
  end: number;
}

function checkSchedule(s: GrowthSchedule): void {
  const ok = (v: number, min: number) => Number.isInteger(v) && v >= min;
  if (!ok(s.stages, 1)) throw new UserError(`growth schedule: stages must be a positive integer, got ${s.stages}`);
  if (!ok(s.stableIterations, 1)) throw new UserError(`growth schedule: stableIterations must be a positive integer, got ${s.stableIterations}`);
  if (!ok(s.fadeIterations, 0)) throw new UserError(`growth schedule: fadeIterations must be a non-negative integer, got ${s.fadeIterations}`);
}

/** The phases of every stage in order. */
export function growthPhases(s: GrowthSchedule): GrowthPhase[] {
  checkSchedule(s);
  const out: GrowthPhase[] = [];
  let t = 0;
  for (let stage = 0; stage < s.stages; stage++) {
    const fade = stage === 0 ? 0 : s.fadeIterations;
    out.push({ stage, start: t, fadeEnd: t + fade, end: t + fade + s.stableIterations });
    t += fade + s.stableIterations;
  }
  return out;
}

/** Iterations of the whole schedule. */
export function growthTotal(s: GrowthSchedule): number {
  const p = growthPhases(s);
  return p[p.length - 1].end;
}

/**
 * Stage and fade-in α of iteration `iteration` (0-based, the one about to run). In a fade of F
 * iterations the k-th (k = 0 … F − 1) has α = (k + 1)/F, so the new stage is never switched off entirely
 * and the fade ends at α = 1. Past the end: the last stage at α = 1.
 */
export function growthAt(s: GrowthSchedule, iteration: number): { stage: number; alpha: number } {
  if (!(Number.isInteger(iteration) && iteration >= 0)) throw new UserError(`iteration must be a non-negative integer, got ${iteration}`);
  for (const p of growthPhases(s)) {
    if (iteration < p.end) {
      const alpha = iteration < p.fadeEnd ? (iteration - p.start + 1) / (p.fadeEnd - p.start) : 1;
      return { stage: p.stage, alpha };
    }
  }
  return { stage: s.stages - 1, alpha: 1 };
}


/**
 * Stage and α the networks were trained at once `done` iterations are complete (those of iteration
 * done − 1; stage 0 before the first): where a checkpoint's networks and stage optimizer stand.
 */
export function growthAfter(s: GrowthSchedule, done: number): { stage: number; alpha: number } {
  return growthAt(s, Math.max(done - 1, 0));
}

/**
 * The growth schedule of a progressive preset: log2(maxSize / 4) + 1 stages.
 * @throws UserError for a preset of another method
 */
export function growthSchedule(p: TrainPreset): GrowthSchedule {
  if (p.method !== 'progressive') {
    throw new UserError(`preset ${p.name} (method ${p.method}) has no growth schedule: use a progressive preset (hires-quick, hires-cpu, hires-paper)`);
  }
  const { maxSize, stableIterations, fadeIterations } = p;
  return { stages: Math.log2(maxSize / 4) + 1, stableIterations, fadeIterations };
}

// ------------------------------------------------------------------------------------------------
// Data at a stage's resolution

/**
 * Images at `resolution`, faded like the generator's output (module comment).
 * @param x [N, R, R, C] with R = resolution·2^k (k ≥ 0) @param alpha fade-in weight of the new stage
 * @returns [N, resolution, resolution, C], a new tensor
 */
export function imagesAtResolution(x: tf.Tensor, resolution: number, alpha = 1): tf.Tensor {
  if (x.rank !== 4) throw new UserError(`imagesAtResolution: images must be [N, H, W, C], got [${x.shape.join(', ')}]`);
  const [, h, w] = x.shape as number[];
  const factor = h / resolution;
  if (h !== w || !Number.isInteger(factor) || factor < 1 || !Number.isInteger(Math.log2(factor))) {
    throw new UserError(`imagesAtResolution: ${h}×${w} images cannot be averaged down to ${resolution}×${resolution}: use square images whose side is ${resolution}·2^k`);
  }
  if (!(alpha >= 0 && alpha <= 1)) throw new UserError(`imagesAtResolution: alpha must be in [0, 1], got ${alpha}`);
  return tf.tidy(() => {
    const xr = factor > 1 ? tf.avgPool(x as tf.Tensor4D, factor, factor, 'valid') : x.clone();
    if (alpha >= 1 || resolution < 2) return xr;
    const coarse = tf.image.resizeNearestNeighbor(tf.avgPool(xr as tf.Tensor4D, 2, 2, 'valid'), [resolution, resolution]);
    return tf.add(tf.mul(xr, alpha), tf.mul(coarse, 1 - alpha));
  });
}


// ------------------------------------------------------------------------------------------------
// Trainer

export interface ProgressiveTrainerOptions extends DivergenceTriangleOptions {
  /** Fade and stable iterations per stage (the stage count comes from the models). */
  schedule: Omit<GrowthSchedule, 'stages'>;
}

/**
 * Algorithm 1 on growing networks: `step(x)` sets the models' (stage, α) from the iteration count, brings
 * x to the stage's resolution and runs one DivergenceTriangleTrainer step. Owns its optimizers (one
 * trainer per stage); the networks belong to the caller.
 */
export class ProgressiveTrainer implements Trainer {
  readonly method = 'progressive' as const;
  readonly schedule: GrowthSchedule;
  readonly total: number;
  /** Iterations done at the end of each stage; the last is the run's length (the runner's total). */
  readonly stageEnds: readonly number[];
  private inner: DivergenceTriangleTrainer;
  private innerStage = 0;
  private it = 0;
  private ep = 0;

  constructor(
    readonly models: ProgressiveModels,
    readonly options: ProgressiveTrainerOptions,
  ) {
    this.schedule = { stages: models.stages, ...options.schedule };
    this.stageEnds = growthPhases(this.schedule).map((p) => p.end);
    this.total = this.stageEnds[this.stageEnds.length - 1];
    const { stage, alpha } = growthAt(this.schedule, 0);
    models.setStage(stage, alpha);
    this.inner = this.stageTrainer(stage);
  }

  get seed(): number {
    return this.options.seed;
  }
  get iteration(): number {
    return this.it;
  }
  get epoch(): number {
    return this.ep;
  }
  /** Stage and α of the networks now (those of the last step, or of the next one after a stage change). */
  get stage(): number {
    return this.models.stage;
  }
  get alpha(): number {
    return this.models.alpha;
  }
  get resolution(): number {
    return this.models.resolution(this.models.stage);
  }

  /** A fresh triangle trainer for `stage` (new Adam moments), its counters at the current iteration and epoch. */
  private stageTrainer(stage: number): DivergenceTriangleTrainer {
    const { schedule: _schedule, ...triangle } = this.options;
    const t = new DivergenceTriangleTrainer(this.models.generator, this.models.inference, this.models.ebm, triangle);
    t.restoreProgress(this.it, this.ep);
    this.innerStage = stage;
    return t;
  }

  /** Replaces the inner trainer with a fresh one for `stage`. */
  private enterStage(stage: number): void {
    this.inner.dispose();
    this.inner = this.stageTrainer(stage);
  }

  /**
   * One iteration at the scheduled (stage, α).
   * @param x [N, R, R, C] in [-1, 1], R = the stage's resolution or a power-of-two multiple (e.g. maxSize); not disposed
   * @returns the triangle's metrics plus stage, alpha and resolution
   * @throws NonFiniteError before applying an update whose loss or gradient is NaN/Inf
   */
  step(x: tf.Tensor): Record<string, number> {
    const { stage, alpha } = growthAt(this.schedule, this.it);
    if (stage !== this.innerStage) this.enterStage(stage);
    this.models.setStage(stage, alpha);
    const resolution = this.models.resolution(stage);
    const xs = imagesAtResolution(x, resolution, stage > 0 ? alpha : 1);
    try {
      const metrics = this.inner.step(xs);
      this.it = this.inner.iteration;
      return { ...metrics, stage, alpha, resolution };
    } finally {
      xs.dispose();
    }
  }

  setEpoch(epoch: number): void {
    this.ep = epoch;
    this.inner.setEpoch(epoch);
  }

  /** n samples at the current (stage, α), eval mode; caller disposes. */
  sample(n: number, seed: number): tf.Tensor {
    return sampleGenerator(this.models.generator, n, seed);
  }

  /** g(μ_φ(x)) at the current stage; x is averaged down to its resolution first. */
  reconstruct(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const xs = imagesAtResolution(x, this.resolution, 1);
      return this.models.generator.generate(this.models.inference.encode(xs, false).mu, false);
    });
  }

  modules(): Record<string, Module> {
    return { generator: this.models.generator, inference: this.models.inference, ebm: this.models.ebm };
  }

  /** The current stage's optimizers. */
  optimizers(): Record<string, NetworkOptimizer> {
    return this.inner.optimizers();
  }

  /**
   * Sets the counters and moves the networks to the (stage, α) of the last completed iteration
   * (growthAfter), with fresh optimizers for that stage: the ones a checkpoint's optimizer state belongs
   * to, so restoreTrainingCheckpoint calls this before loading that state.
   */
  restoreProgress(iteration: number, epoch: number): void {
    this.it = iteration;
    this.ep = epoch;
    const { stage, alpha } = growthAfter(this.schedule, iteration);
    this.models.setStage(stage, alpha);
    this.enterStage(stage);
  }

  dispose(): void {
    this.inner.dispose();
  }
}

// ------------------------------------------------------------------------------------------------
// Stage hooks on the runner

/** Generator samples at the end of one stage (the same z every stage). */
export interface StageSnapshot {
  stage: number;
  resolution: number;
  /** Iterations completed when it was taken. */
  iteration: number;
  /** [n, r, r, C] in [-1, 1]; owned by the hooks (freed by their dispose()). */
  images: tf.Tensor;
}

export interface StageEndInfo {
  stage: number;
  resolution: number;
  /** Iterations completed. */
  iteration: number;
  trainer: ProgressiveTrainer;
}

export interface GrowthHooks {
  /** Pass as runTraining's `callbacks`. */
  callbacks: TrainingCallbacks;
  /** One per stage ended so far, in order. */
  snapshots: StageSnapshot[];
  /** Frees the snapshots. */
  dispose(): void;
}

/**
 * Callbacks for runTraining on a progressive preset: at the end of every stage, generator samples from
 * the same z (`snapshots`: n samples drawn with seed) and then `onStageEnd` (awaited). Other methods
 * have no stages, so the callbacks never fire in their runs.
 */
export function growthCallbacks(opts: { snapshots?: { n: number; seed: number }; onStageEnd?(info: StageEndInfo): void | Promise<void> } = {}): GrowthHooks {
  const snapshots: StageSnapshot[] = [];
  return {
    snapshots,
    callbacks: {
      async onStageEnd({ stage, iteration, trainer }) {
        // Only a trainer with stages has stage ends, and only ProgressiveTrainer has them.
        if (!(trainer instanceof ProgressiveTrainer)) throw new Error(`internal: a stage ended in a ${trainer.method} trainer`);
        const resolution = trainer.resolution;
        if (opts.snapshots) snapshots.push({ stage, resolution, iteration, images: trainer.sample(opts.snapshots.n, opts.snapshots.seed) });
        await opts.onStageEnd?.({ stage, resolution, iteration, trainer });
      },
    },
    dispose() {
      for (const s of snapshots) s.images.dispose();
      snapshots.length = 0;
    },
  };
}

/**
 * Seconds spent in each stage of one session, from its metrics records (the runner logs the last
 * iteration of every stage): the `seconds` of a stage's last record minus that of the stage before.
 */
export function stageSeconds(history: readonly MetricsRecord[]): number[] {
  const ends = new Map<number, number>();
  for (const r of history) if (Number.isFinite(r.stage)) ends.set(r.stage, r.seconds);
  let prev = 0;
  return [...ends.keys()].sort((a, b) => a - b).map((stage) => {
    const s = ends.get(stage)! - prev;
    prev = ends.get(stage)!;
    return s;
  });
}

// ------------------------------------------------------------------------------------------------
// Latent interpolation (Figure 10)

export type LatentPath = 'lerp' | 'slerp';

/**
 * Points between z₀ and z₁: 'lerp' (1 − t)·z₀ + t·z₁ as in §4.1.3 / Figure 10, or 'slerp' along the great
 * circle (sin((1 − t)Ω)·z₀ + sin(tΩ)·z₁)/sin Ω with cos Ω = ⟨z₀, z₁⟩/(‖z₀‖‖z₁‖) per row, which keeps the
 * norm typical of N(0, I) codes; t = 0, 1/(S − 1), …, 1.
 * @param z0 [R, ...latent] @param z1 [R, ...latent] @returns [R, steps, ...latent]
 */
export function interpolateLatents(z0: tf.Tensor, z1: tf.Tensor, steps: number, mode: LatentPath = 'lerp'): tf.Tensor {
  if (z0.shape.join() !== z1.shape.join()) throw new UserError(`interpolateLatents: z0 [${z0.shape}] and z1 [${z1.shape}] differ`);
  if (!(Number.isInteger(steps) && steps >= 2)) throw new UserError(`interpolateLatents: steps must be an integer ≥ 2, got ${steps}`);
  const [r, ...latent] = z0.shape;
  const d = latent.reduce((a, b) => a * b, 1);
  const t = Array.from({ length: steps }, (_, i) => i / (steps - 1));
  return tf.tidy(() => {
    const a = tf.reshape(z0, [r, 1, d]);
    const b = tf.reshape(z1, [r, 1, d]);
    const tt = tf.tensor(t, [1, steps, 1]);
    let wa: tf.Tensor;
    let wb: tf.Tensor;
    switch (mode) {
      case 'lerp':
        wa = tf.sub(1, tt);
        wb = tt;
        break;
      case 'slerp': {
        const cos = tf.clipByValue(tf.div(tf.sum(tf.mul(a, b), -1, true), tf.mul(tf.norm(a, 'euclidean', -1, true), tf.norm(b, 'euclidean', -1, true))), -1, 1);
        const omega = tf.acos(cos); // [R, 1, 1]
        const sin = tf.sin(omega);
        // Nearly parallel codes: the great circle degenerates to the straight line.
        const parallel = tf.less(sin, 1e-6);
        const safe = tf.where(parallel, tf.onesLike(sin), sin);
        wa = tf.where(tf.broadcastTo(parallel, [r, steps, 1]), tf.sub(1, tf.broadcastTo(tt, [r, steps, 1])), tf.div(tf.sin(tf.mul(tf.sub(1, tt), omega)), safe));
        wb = tf.where(tf.broadcastTo(parallel, [r, steps, 1]), tf.broadcastTo(tt, [r, steps, 1]), tf.div(tf.sin(tf.mul(tt, omega)), safe));
        break;
      }
      default: {
        const never: never = mode;
        throw new UserError(`interpolateLatents: unknown path "${String(never)}": use 'lerp' or 'slerp'`);
      }
    }
    return tf.reshape(tf.add(tf.mul(wa, a), tf.mul(wb, b)), [r, steps, ...latent]);
  });
}

export interface LatentInterpolationOptions {
  /** Pairs (z₀, z₁), one row each. */
  rows: number;
  /** Images per row, both ends included. */
  steps: number;
  /** Seeds the pairs: z₀ and z₁ ~ N(0, I). */
  seed: number;
  /** Default 'lerp' (the paper's). */
  path?: LatentPath;
}

/**
 * Figure 10: generator images along straight lines between random codes, eval mode.
 * @returns [rows, steps, ...outputShape] (lib/viz interpolationGrid draws it); caller disposes
 */
export function latentInterpolation(generator: Generator, opts: LatentInterpolationOptions): tf.Tensor {
  const { rows, steps, seed } = opts;
  if (!(Number.isInteger(rows) && rows >= 1)) throw new UserError(`latentInterpolation: rows must be a positive integer, got ${rows}`);
  return tf.tidy(() => {
    const z = tf.randomNormal([2, rows, ...generator.latentShape], 0, 1, 'float32', seed);
    const [z0, z1] = tf.unstack(z, 0);
    const path = interpolateLatents(z0, z1, steps, opts.path ?? 'lerp');
    const flat = tf.reshape(path, [rows * steps, ...generator.latentShape]);
    const x = generator.generate(flat, false);
    return tf.reshape(x, [rows, steps, ...generator.outputShape]);
  });
}
