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
 * Also here: latent interpolation for Figure 10, (1 − t)·z₀ + t·z₁ decoded.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { EpochBatches, gatherBatch } from '../data/batch';
import { loadDataset } from '../data/datasets';
import type { ImageDataset } from '../data/types';
import { buildProgressiveModels, type ProgressiveModels, type ProgressiveOptions } from '../models/progressive';
import { loadModuleState, moduleState, type ModuleState } from '../models/state';
import type { Generator, Module } from '../models/types';
import { ENERGY_FORMS } from '../models/energy';
import { SCALING_NAMES, objectiveScaling } from '../objectives/scaling';
import { CHECKPOINT_FILE, readCheckpointFile, resolveCheckpointPath, writeCheckpointFile, type StoredTensor } from './checkpoint';
import { NonFiniteError, type NetworkOptimizer, type OptimizerConfig } from './optimizer';
import { AUTHORS_TRIANGLE, type MethodBase, type TrainPreset } from './presets';
import { progressivePresets } from './presets-synthesis';
import type { TrainingProgress, TrainingStatus } from './runner';
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
  readonly method = 'triangle' as const;
  readonly schedule: GrowthSchedule;
  readonly total: number;
  private inner: DivergenceTriangleTrainer | null = null;
  private innerStage = -1;
  private it = 0;
  private ep = 0;

  constructor(
    readonly models: ProgressiveModels,
    readonly options: ProgressiveTrainerOptions,
  ) {
    this.schedule = { stages: models.stages, ...options.schedule };
    this.total = growthTotal(this.schedule);
    const { stage, alpha } = growthAt(this.schedule, 0);
    models.setStage(stage, alpha);
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

  /** Moves the networks to iteration `it`'s (stage, α); a new stage gets a new inner trainer. */
  private enter(it: number): DivergenceTriangleTrainer {
    const { stage, alpha } = growthAt(this.schedule, it);
    this.models.setStage(stage, alpha);
    if (!this.inner || this.innerStage !== stage) {
      this.inner?.dispose();
      this.inner = null;
      const { schedule: _schedule, ...triangle } = this.options;
      const t = new DivergenceTriangleTrainer(this.models.generator, this.models.inference, this.models.ebm, triangle);
      t.restoreProgress(it, this.ep);
      this.inner = t;
      this.innerStage = stage;
    }
    return this.inner;
  }

  /**
   * One iteration at the scheduled (stage, α).
   * @param x [N, R, R, C] in [-1, 1], R = the stage's resolution or a power-of-two multiple (e.g. maxSize); not disposed
   * @returns the triangle's metrics plus stage, alpha and resolution
   * @throws NonFiniteError before applying an update whose loss or gradient is NaN/Inf
   */
  step(x: tf.Tensor): Record<string, number> {
    const inner = this.enter(this.it);
    const { stage, alpha } = this.models;
    const resolution = this.models.resolution(stage);
    const xs = imagesAtResolution(x, resolution, stage > 0 ? alpha : 1);
    try {
      const metrics = inner.step(xs);
      this.it = inner.iteration;
      return { ...metrics, stage, alpha, resolution };
    } finally {
      xs.dispose();
    }
  }

  setEpoch(epoch: number): void {
    this.ep = epoch;
    this.inner?.setEpoch(epoch);
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

  /** The current stage's optimizers (none before the first step). */
  optimizers(): Record<string, NetworkOptimizer> {
    return this.inner ? this.inner.optimizers() : {};
  }

  /** Sets the counters and moves the networks to that iteration's stage (its optimizers start afresh). */
  restoreProgress(iteration: number, epoch: number): void {
    this.it = iteration;
    this.ep = epoch;
    this.inner?.dispose();
    this.inner = null;
    this.enter(iteration);
  }

  dispose(): void {
    this.inner?.dispose();
    this.inner = null;
  }
}

// ------------------------------------------------------------------------------------------------
// Presets

/** A progressive run: data, growing networks, schedule and the triangle's optimizer settings (the method is always the triangle). */
export interface ProgressivePreset
  extends Omit<MethodBase, 'method'>,
    Pick<
      TrainPreset,
      'name' | 'scale' | 'description' | 'dataset' | 'dataLimit' | 'classes' | 'width' | 'latentDim' | 'batchSize' | 'sigma' | 'klReduction' | 'latentNllWeight' | 'logEvery'
    > {
  /** Final resolution, a power of two ≥ 4 (1,024 in §4.1.3); the data are resized to it. */
  maxSize: number;
  /** Spectral norm on the EBM. */
  spectralNorm: boolean;
  /** Iterations per stage at α = 1. */
  stableIterations: number;
  /** Fade-in iterations of every stage after the first. */
  fadeIterations: number;
}

/** The §4.1.3 presets, `hires-quick|cpu|paper`. */
export const PROGRESSIVE_PRESET_LIST: readonly ProgressivePreset[] = progressivePresets(AUTHORS_TRIANGLE);
export const PROGRESSIVE_PRESETS: Readonly<Record<string, ProgressivePreset>> = Object.fromEntries(PROGRESSIVE_PRESET_LIST.map((p) => [p.name, p]));

type Kind = 'int' | 'number' | 'string' | 'boolean' | 'ints' | 'optional-number' | 'fixed' | { choices: readonly string[]; optional?: true };
const PROGRESSIVE_FIELDS: Record<keyof ProgressivePreset, Kind> = {
  name: 'fixed',
  scale: 'fixed',
  description: 'fixed',
  dataset: 'string',
  dataLimit: 'int',
  classes: 'ints',
  maxSize: 'int',
  width: 'number',
  latentDim: 'int',
  energyForm: { choices: ENERGY_FORMS },
  spectralNorm: 'boolean',
  batchSize: 'int',
  stableIterations: 'int',
  fadeIterations: 'int',
  generatorSteps: 'int',
  lrEbm: 'number',
  lrGen: 'number',
  lrInf: 'number',
  beta1: 'number',
  beta2: 'number',
  lrDecay: 'number',
  weightDecayEbm: 'number',
  weightDecayGen: 'number',
  weightDecayInf: 'number',
  clipNorm: 'number',
  scaling: { choices: SCALING_NAMES },
  sigma: 'optional-number',
  klReduction: { choices: ['sum', 'mean'], optional: true },
  latentNllWeight: 'optional-number',
  logEvery: 'int',
  seed: 'int',
};

/**
 * A progressive preset with typed overrides (unknown keys, fixed keys and wrong types are UserErrors).
 * @param preset a name of PROGRESSIVE_PRESETS or a preset
 */
export function resolveProgressivePreset(preset: string | ProgressivePreset, overrides: Partial<ProgressivePreset> = {}): ProgressivePreset {
  const base = typeof preset === 'string' ? PROGRESSIVE_PRESETS[preset] : preset;
  if (!base) throw new UserError(`unknown progressive preset "${String(preset)}"; valid: ${Object.keys(PROGRESSIVE_PRESETS).join(', ')}`);
  const out: Record<string, unknown> = { ...base, classes: [...base.classes] };
  for (const [key, v] of Object.entries(overrides)) {
    const kind: Kind | undefined = (PROGRESSIVE_FIELDS as Record<string, Kind | undefined>)[key];
    if (!kind) throw new UserError(`progressive preset ${base.name}: unknown key "${key}"; valid keys: ${Object.keys(PROGRESSIVE_FIELDS).filter((k) => PROGRESSIVE_FIELDS[k as keyof ProgressivePreset] !== 'fixed').join(', ')}`);
    const bad = (what: string) => new UserError(`progressive preset ${base.name}: ${key} must be ${what}, got ${JSON.stringify(v)}`);
    if (typeof kind === 'object') {
      if (!(kind.choices.includes(v as string) || (kind.optional && v === undefined))) throw bad(`one of ${kind.choices.join(', ')}`);
      out[key] = v;
      continue;
    }
    switch (kind) {
      case 'fixed':
        throw new UserError(`progressive preset ${base.name}: ${key} cannot be overridden; pick another preset instead`);
      case 'int':
        if (!(Number.isInteger(v) && (v as number) >= 0)) throw bad('a non-negative integer');
        break;
      case 'number':
        if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw bad('a non-negative number');
        break;
      case 'optional-number':
        if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw bad('a non-negative number or undefined');
        break;
      case 'string':
        if (typeof v !== 'string') throw bad('a string');
        break;
      case 'boolean':
        if (typeof v !== 'boolean') throw bad('true or false');
        break;
      case 'ints':
        if (!(Array.isArray(v) && v.every((c) => Number.isInteger(c)))) throw bad('a list of integers');
        break;
      default: {
        const never: never = kind;
        throw new Error(`unknown field kind ${String(never)}`);
      }
    }
    out[key] = v;
  }
  const p = out as unknown as ProgressivePreset;
  if (p.batchSize < 1) throw new UserError(`progressive preset ${p.name}: batchSize must be ≥ 1`);
  return p;
}

/** lib/models options of a preset (channels from the data). */
export function progressiveModelOptions(p: ProgressivePreset, seed: number, channels: number): ProgressiveOptions {
  return { maxSize: p.maxSize, channels, latentDim: p.latentDim, seed, width: p.width, energyForm: p.energyForm, spectralNorm: p.spectralNorm };
}

function trainerOptions(p: ProgressivePreset, seed: number): ProgressiveTrainerOptions {
  const adam = (lr: number, weightDecay: number): OptimizerConfig => ({ lr, weightDecay, beta1: p.beta1, beta2: p.beta2, lrDecay: p.lrDecay, clipNorm: p.clipNorm });
  return {
    seed,
    scaling: objectiveScaling(p.scaling, { sigma: p.sigma, klReduction: p.klReduction, latentNllWeight: p.latentNllWeight }),
    generatorSteps: p.generatorSteps,
    optimizers: { ebm: adam(p.lrEbm, p.weightDecayEbm), generator: adam(p.lrGen, p.weightDecayGen), inference: adam(p.lrInf, p.weightDecayInf) },
    schedule: { stableIterations: p.stableIterations, fadeIterations: p.fadeIterations },
  };
}

// ------------------------------------------------------------------------------------------------
// Runner

export interface ProgressiveProgress extends TrainingProgress {
  stage: number;
  alpha: number;
  resolution: number;
}

/** Generator samples at the end of one stage (the same z every stage). */
export interface StageSnapshot {
  stage: number;
  resolution: number;
  /** Iterations completed when it was taken. */
  iteration: number;
  /** [n, r, r, C] in [-1, 1]; owned by the run (freed by its dispose()). */
  images: tf.Tensor;
}

/** One metrics.jsonl line (every logEvery iterations and the last of each stage). */
export interface ProgressiveRecord {
  iteration: number;
  epoch: number;
  seconds: number;
  stage: number;
  alpha: number;
  resolution: number;
  [metric: string]: number;
}

export interface ProgressiveSummary {
  preset: string;
  config: ProgressivePreset;
  seed: number;
  backend: string;
  dataset: { name: string; examples: number; note: string };
  status: TrainingStatus;
  iterations: number;
  total: number;
  stage: number;
  alpha: number;
  resolution: number;
  seconds: number;
  /** Seconds spent in each stage, in order. */
  stageSeconds: number[];
  finalMetrics: Record<string, number>;
  checkpoint: string | null;
  message?: string;
}

export interface RunProgressiveOptions {
  /** A name of PROGRESSIVE_PRESETS or a preset. */
  preset: string | ProgressivePreset;
  overrides?: Partial<ProgressivePreset>;
  /** Where metrics.jsonl, summary.json and checkpoint/latest.ckpt (final weights) go; nothing is written without it. */
  outDir?: string;
  /** Replaces the preset's seed. */
  seed?: number;
  dataDir?: string;
  /** Use these images ([N, maxSize, maxSize, C] in [-1, 1]) instead of loading the preset's dataset (not disposed by the run). */
  dataset?: ImageDataset;
  /** Draw `n` samples with `seed` at the end of every stage (run.snapshots). */
  snapshots?: { n: number; seed: number };
  onProgress?(p: ProgressiveProgress): void;
  /** After the last iteration of each stage (awaited). */
  onStageEnd?(info: { stage: number; resolution: number; iteration: number; trainer: ProgressiveTrainer }): void | Promise<void>;
  /** Stops between iterations; the run returns with status 'aborted'. */
  signal?: AbortSignal;
}

export interface ProgressiveRun {
  preset: ProgressivePreset;
  modelOptions: ProgressiveOptions;
  models: ProgressiveModels;
  trainer: ProgressiveTrainer;
  dataset: ImageDataset;
  history: ProgressiveRecord[];
  snapshots: StageSnapshot[];
  summary: ProgressiveSummary;
  /** Frees the trainer, networks, snapshots and (unless passed in) the dataset. */
  dispose(): void;
}

/** Everything in a progressive checkpoint besides tensors. */
export interface ProgressiveCheckpointMeta {
  kind: 'progressive';
  preset: ProgressivePreset;
  modelOptions: ProgressiveOptions;
  iteration: number;
  stage: number;
  alpha: number;
  modules: string[];
  savedAt: string;
}

/** Writes the three networks' weights and buffers and their (stage, α) to `file` (atomic). */
export function saveProgressiveModels(file: string, models: ProgressiveModels, info: { preset: ProgressivePreset; modelOptions: ProgressiveOptions; iteration: number }): void {
  const tensors = new Map<string, StoredTensor>();
  const nets: Record<string, Module> = { generator: models.generator, inference: models.inference, ebm: models.ebm };
  for (const [key, m] of Object.entries(nets)) {
    for (const [name, t] of Object.entries(moduleState(m))) tensors.set(`module/${key}/${name}`, { shape: t.shape, dtype: 'float32', data: t.values });
  }
  const meta: ProgressiveCheckpointMeta = {
    kind: 'progressive',
    preset: info.preset,
    modelOptions: info.modelOptions,
    iteration: info.iteration,
    stage: models.stage,
    alpha: models.alpha,
    modules: Object.keys(nets),
    savedAt: new Date().toISOString(),
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeCheckpointFile(file, meta, tensors);
}

/**
 * Rebuilds progressive networks from a checkpoint written by runProgressiveTraining / saveProgressiveModels,
 * at the (stage, α) they were saved in.
 * @param checkpointPath a run folder, its checkpoint/ folder or the .ckpt file
 */
export function loadProgressiveModels(checkpointPath: string): { models: ProgressiveModels; meta: ProgressiveCheckpointMeta; file: string } {
  const file = resolveCheckpointPath(checkpointPath);
  const ckpt = readCheckpointFile<ProgressiveCheckpointMeta>(file);
  if (ckpt.meta.kind !== 'progressive') throw new UserError(`${file} is not a progressive-growing checkpoint: load it with loadTrainedModels`);
  const models = buildProgressiveModels(ckpt.meta.modelOptions);
  try {
    const nets: Record<string, Module> = { generator: models.generator, inference: models.inference, ebm: models.ebm };
    for (const [key, m] of Object.entries(nets)) {
      const prefix = `module/${key}/`;
      const state: ModuleState = {};
      for (const [name, t] of ckpt.tensors) if (name.startsWith(prefix)) state[name.slice(prefix.length)] = { shape: t.shape, values: t.data as Float32Array };
      loadModuleState(m, state);
    }
    models.setStage(ckpt.meta.stage, ckpt.meta.alpha);
  } catch (e) {
    models.dispose();
    throw e;
  }
  return { models, meta: ckpt.meta, file };
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Trains the growing triangle through every stage of a preset (4×4 → maxSize).
 * @throws UserError for unknown presets/keys, missing data, images of the wrong size, or a NaN/Inf loss
 */
export async function runProgressiveTraining(opts: RunProgressiveOptions): Promise<ProgressiveRun> {
  let preset = resolveProgressivePreset(opts.preset, opts.overrides);
  const seed = opts.seed ?? preset.seed;
  preset = { ...preset, seed };
  const outDir = opts.outDir ? path.resolve(opts.outDir) : null;
  if (outDir) fs.mkdirSync(outDir, { recursive: true });
  const ownDataset = !opts.dataset;
  const dataset =
    opts.dataset ??
    (await loadDataset(preset.dataset, {
      dataDir: opts.dataDir,
      split: 'train',
      limit: preset.dataLimit > 0 ? preset.dataLimit : undefined,
      imageSize: preset.maxSize,
      classes: preset.classes.length ? preset.classes : undefined,
      seed,
    }));
  let models: ProgressiveModels | undefined;
  let trainer: ProgressiveTrainer | undefined;
  const snapshots: StageSnapshot[] = [];
  try {
    const shape = dataset.images.shape;
    if (shape.length !== 4 || shape[1] !== preset.maxSize || shape[2] !== preset.maxSize) {
      throw new UserError(`progressive training needs images [N, ${preset.maxSize}, ${preset.maxSize}, C]; ${dataset.name} is [${shape.join(', ')}]: resize it (lib/data resizeDataset) or set maxSize`);
    }
    const n = shape[0];
    const modelOptions = progressiveModelOptions(preset, seed, shape[3]);
    models = buildProgressiveModels(modelOptions);
    trainer = new ProgressiveTrainer(models, trainerOptions(preset, seed));
    const total = trainer.total;
    const phases = growthPhases(trainer.schedule);
    const stageEnds = new Set(phases.map((p) => p.end));
    const batches = new EpochBatches(n, preset.batchSize, seed);
    const metricsFile = outDir ? path.join(outDir, 'metrics.jsonl') : null;
    if (metricsFile) fs.writeFileSync(metricsFile, '');
    const history: ProgressiveRecord[] = [];
    const stageSeconds: number[] = [];
    const t0 = Date.now();
    let stageT0 = t0;
    let status: TrainingStatus = 'completed';
    let message: string | undefined;
    let metrics: Record<string, number> = {};
    const elapsed = () => (Date.now() - t0) / 1000;

    while (trainer.iteration < total) {
      if (opts.signal?.aborted) {
        status = 'aborted';
        break;
      }
      const it = trainer.iteration;
      const { epoch, indices, newEpoch } = batches.at(it);
      if (newEpoch) trainer.setEpoch(epoch);
      const x = gatherBatch(dataset, indices);
      try {
        metrics = trainer.step(x);
      } catch (e) {
        if (!(e instanceof NonFiniteError)) throw e;
        status = 'diverged';
        message = `training diverged at iteration ${it + 1} (stage ${models.stage}, ${trainer.resolution}×${trainer.resolution}): ${e.message}; the update was not applied; lower the learning rates (lrEbm, lrGen) or clipNorm`;
        break;
      } finally {
        x.dispose();
      }
      const done = trainer.iteration;
      const stageDone = stageEnds.has(done);
      if (done % preset.logEvery === 0 || stageDone) {
        const rec = { iteration: done, epoch, seconds: elapsed(), ...metrics } as ProgressiveRecord;
        history.push(rec);
        if (metricsFile) fs.appendFileSync(metricsFile, JSON.stringify(rec) + '\n');
      }
      const rate = done / Math.max(elapsed(), 1e-9);
      opts.onProgress?.({
        iteration: done,
        total,
        epoch,
        metrics,
        itPerSec: rate,
        etaSeconds: rate > 0 ? (total - done) / rate : Infinity,
        stage: models.stage,
        alpha: models.alpha,
        resolution: trainer.resolution,
      });
      if (stageDone) {
        const now = Date.now();
        stageSeconds.push((now - stageT0) / 1000);
        stageT0 = now;
        if (opts.snapshots) snapshots.push({ stage: models.stage, resolution: trainer.resolution, iteration: done, images: trainer.sample(opts.snapshots.n, opts.snapshots.seed) });
        await opts.onStageEnd?.({ stage: models.stage, resolution: trainer.resolution, iteration: done, trainer });
      }
      await yieldToEventLoop();
    }

    let checkpoint: string | null = null;
    if (outDir && status !== 'diverged' && trainer.iteration > 0) {
      checkpoint = path.join(outDir, 'checkpoint', CHECKPOINT_FILE);
      saveProgressiveModels(checkpoint, models, { preset, modelOptions, iteration: trainer.iteration });
    }
    const summary: ProgressiveSummary = {
      preset: preset.name,
      config: preset,
      seed,
      backend: tf.getBackend(),
      dataset: { name: dataset.name, examples: n, note: dataset.note },
      status,
      iterations: trainer.iteration,
      total,
      stage: models.stage,
      alpha: models.alpha,
      resolution: trainer.resolution,
      seconds: elapsed(),
      stageSeconds,
      finalMetrics: metrics,
      checkpoint,
      ...(message ? { message } : {}),
    };
    if (outDir) fs.writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    if (status === 'diverged') throw new UserError(message!);

    const t = trainer;
    const m = models;
    return {
      preset,
      modelOptions,
      models,
      trainer,
      dataset,
      history,
      snapshots,
      summary,
      dispose() {
        t.dispose();
        m.dispose();
        for (const s of snapshots) s.images.dispose();
        if (ownDataset) dataset.dispose();
      },
    };
  } catch (e) {
    trainer?.dispose();
    models?.dispose();
    for (const s of snapshots) s.images.dispose();
    if (ownDataset) dataset.dispose();
    throw e;
  }
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
