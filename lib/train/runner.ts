/**
 * The training runner: preset → data → networks → trainer → loop with metrics.jsonl, checkpoints,
 * summary.json, progress, callbacks and abort. Used by the CLI (`dtri train`) and the notebooks, which
 * keep working with the returned networks, trainer, dataset and history.
 *
 * Output folder:
 *   metrics.jsonl          one JSON line every `logEvery` iterations (and the last): iteration, epoch, seconds, metrics
 *   checkpoint/latest.ckpt every `checkpointEvery` iterations, at the end and on abort (atomic; see checkpoint.ts)
 *   summary.json           preset, seed, backend, iterations, seconds, status, final metrics
 *
 * Adding a training method: a trainer class implementing Trainer, and a case in `methodSpec` below.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { EpochBatches, gatherBatch } from '../data/batch';
import { loadDataset } from '../data/datasets';
import type { ImageDataset } from '../data/types';
import type { ArchName, ModelOptions } from '../models/architectures';
import { buildEbm, buildGenerator, buildInference, buildTriangleModels } from '../models/triangle';
import { buildLatentEbm } from '../models/latent-ebm';
import type { Ebm, Generator, InferenceNet, LatentEbm, Module } from '../models/types';
import { objectiveScaling, type ObjectiveScaling } from '../objectives/scaling';
import {
  CHECKPOINT_FILE,
  loadModulesFromCheckpoint,
  readCheckpointFile,
  resolveCheckpointPath,
  restoreTrainingCheckpoint,
  saveTrainingCheckpoint,
  type TrainingCheckpointMeta,
} from './checkpoint';
import { NonFiniteError } from './optimizer';
import { applyOverrides, resolvePreset, type TrainingMethod, type TrainPreset } from './presets';
import { optimizerConfigFromPreset, type Trainer } from './trainer';
import { DivergenceTriangleTrainer } from './triangle';
import { VaeTrainer } from './vae';
import { WakeSleepTrainer } from './wake-sleep';
import { LatentEbmTrainer } from './latent-ebm';
import { AcdTrainer } from './acd';
import { AbpTrainer } from './abp';
import { withOcclusion } from './incomplete';

/** The networks of a run; which are present depends on the method. */
export interface TrainedModels {
  generator?: Generator;
  inference?: InferenceNet;
  ebm?: Ebm;
  latentEbm?: LatentEbm;
}

/** How one method builds its networks and its trainer. */
interface MethodSpec {
  buildModels(arch: ArchName, opts: ModelOptions): TrainedModels;
  /** @param data.examples training-set size (for per-example state such as ABP's persistent z) */
  createTrainer(models: TrainedModels, preset: TrainPreset, seed: number, data: { examples: number }): Trainer;
}

function need<T>(x: T | undefined, what: string): T {
  if (x === undefined) throw new Error(`internal: ${what} missing`);
  return x;
}

/** The objective scaling a preset asks for: its named scaling with its individual fields on top. */
export function presetScaling(p: TrainPreset): ObjectiveScaling {
  return objectiveScaling(p.scaling, { sigma: p.sigma, klReduction: p.klReduction, latentNllWeight: p.latentNllWeight });
}

function methodSpec(method: TrainingMethod): MethodSpec {
  switch (method) {
    case 'triangle':
      return {
        buildModels: (arch, opts) => buildTriangleModels(arch, opts),
        createTrainer: (m, p, seed) =>
          new DivergenceTriangleTrainer(need(m.generator, 'generator'), need(m.inference, 'inference'), need(m.ebm, 'ebm'), {
            seed,
            scaling: presetScaling(p),
            generatorSteps: p.generatorSteps,
            noisySamples: p.noisySamples ?? false,
            optimizers: {
              ebm: optimizerConfigFromPreset(p, 'ebm'),
              generator: optimizerConfigFromPreset(p, 'generator'),
              inference: optimizerConfigFromPreset(p, 'inference'),
            },
          }),
      };
    case 'vae':
    case 'wake-sleep': {
      const Cls = method === 'vae' ? VaeTrainer : WakeSleepTrainer;
      return {
        buildModels: (arch, opts) => ({ generator: buildGenerator(arch, opts), inference: buildInference(arch, opts) }),
        createTrainer: (m, p, seed) =>
          new Cls(need(m.generator, 'generator'), need(m.inference, 'inference'), {
            seed,
            scaling: presetScaling(p),
            optimizers: { generator: optimizerConfigFromPreset(p, 'generator'), inference: optimizerConfigFromPreset(p, 'inference') },
          }),
      };
    }
    case 'latent-ebm':
      return {
        buildModels: (arch, opts) => ({ generator: buildGenerator(arch, opts), inference: buildInference(arch, opts), latentEbm: buildLatentEbm(arch, opts) }),
        createTrainer: (m, p, seed) =>
          new LatentEbmTrainer(need(m.generator, 'generator'), need(m.inference, 'inference'), need(m.latentEbm, 'latentEbm'), {
            seed,
            scaling: presetScaling(p),
            inferenceRule: p.inferenceRule ?? 'eq15',
            generatorSteps: p.generatorSteps,
            optimizers: {
              ebm: optimizerConfigFromPreset(p, 'ebm'),
              generator: optimizerConfigFromPreset(p, 'generator'),
              inference: optimizerConfigFromPreset(p, 'inference'),
            },
          }),
      };
    case 'acd':
      return {
        buildModels: (arch, opts) => ({ generator: buildGenerator(arch, opts), ebm: buildEbm(arch, opts) }),
        createTrainer: (m, p, seed) =>
          new AcdTrainer(need(m.generator, 'generator'), need(m.ebm, 'ebm'), {
            seed,
            entropy: p.acdEntropy,
            entropyWeight: p.acdEntropyWeight,
            referenceStd: p.acdReferenceStd,
            generatorSteps: p.generatorSteps,
            optimizers: { ebm: optimizerConfigFromPreset(p, 'ebm'), generator: optimizerConfigFromPreset(p, 'generator') },
          }),
      };
    case 'abp':
      return {
        buildModels: (arch, opts) => ({ generator: buildGenerator(arch, opts) }),
        createTrainer: (m, p, seed, data) =>
          new AbpTrainer(need(m.generator, 'generator'), {
            seed,
            sigma: presetScaling(p).sigma,
            optimizer: optimizerConfigFromPreset(p, 'generator'),
            langevin: { steps: p.langevinSteps ?? 10, delta: p.langevinDelta ?? 0.1 },
            persistent: (p.abpPersistent ?? true) ? { examples: data.examples } : undefined,
          }),
      };
    default: {
      const never: never = method;
      throw new UserError(`unknown training method "${String(never)}"`);
    }
  }
}

/** Frees every network of a TrainedModels. */
export function disposeModels(models: TrainedModels): void {
  for (const m of Object.values(models) as (Module | undefined)[]) m?.dispose();
}

/**
 * lib/models options for a preset; `dataShape` (one example's shape) fixes the channel count
 * (and for 'mlp2d' the data dimension).
 */
export function modelOptionsFor(p: TrainPreset, seed: number, dataShape?: number[]): ModelOptions {
  const opts: ModelOptions = { seed, width: p.width, latentDim: p.latentDim, energyForm: p.energyForm };
  if (p.spectralNorm !== undefined) opts.spectralNorm = p.spectralNorm;
  if (p.batchNorm !== undefined) opts.batchNorm = p.batchNorm;
  if (p.arch === 'mlp2d') {
    if (p.hidden.length) opts.hidden = [...p.hidden];
  } else if (p.imageSize > 0) opts.imageSize = p.imageSize;
  if (dataShape && dataShape.length) opts.channels = dataShape[dataShape.length - 1];
  return opts;
}

export interface TrainingProgress {
  /** Iterations completed. */
  iteration: number;
  total: number;
  epoch: number;
  metrics: Record<string, number>;
  /** Iterations per second in this session. */
  itPerSec: number;
  etaSeconds: number;
}

export interface TrainingCallbacks {
  /** After every iteration (awaited). `metrics` are that iteration's. */
  onIteration?(info: { iteration: number; epoch: number; metrics: Record<string, number>; trainer: Trainer }): void | Promise<void>;
  /** After the last iteration of every epoch (awaited). */
  onEpoch?(info: { epoch: number; iteration: number; trainer: Trainer }): void | Promise<void>;
}

export interface RunTrainingOptions {
  /** A preset name (resolved with `overrides`) or a resolved preset. */
  preset: string | TrainPreset;
  /** `--set key=value` overrides (applied on top of a resumed checkpoint's preset too). */
  overrides?: Record<string, string>;
  outDir: string;
  /** Replaces the preset's seed (networks, batches and noise). */
  seed?: number;
  /** Where the dataset lives (lib/data resolveDataDir). */
  dataDir?: string;
  /** Use this dataset instead of loading `preset.dataset` (not disposed by the run's dispose()). */
  dataset?: ImageDataset;
  onProgress?(p: TrainingProgress): void;
  callbacks?: TrainingCallbacks;
  /** Stops between iterations; the run then checkpoints and returns with status 'aborted'. */
  signal?: AbortSignal;
  /** Continue from outDir/checkpoint/latest.ckpt when it exists (the checkpoint's preset wins). */
  resume?: boolean;
}

export type TrainingStatus = 'completed' | 'aborted' | 'diverged';

export interface TrainingSummary {
  preset: string;
  config: TrainPreset;
  method: TrainingMethod;
  seed: number;
  backend: string;
  dataset: { name: string; examples: number; note: string };
  status: TrainingStatus;
  /** Iterations completed (in total, across resumes). */
  iterations: number;
  total: number;
  epoch: number;
  /** Seconds of this session. */
  seconds: number;
  itPerSec: number;
  resumedFrom: number | null;
  checkpoint: string | null;
  finalMetrics: Record<string, number>;
  startedAt: string;
  finishedAt: string;
  /** Why training stopped early, when it did. */
  message?: string;
}

/** One metrics.jsonl line. */
export interface MetricsRecord {
  iteration: number;
  epoch: number;
  /** Seconds since this session started. */
  seconds: number;
  [metric: string]: number;
}

export interface TrainingRun {
  preset: TrainPreset;
  outDir: string;
  models: TrainedModels;
  modelOptions: ModelOptions;
  trainer: Trainer;
  dataset: ImageDataset;
  /** The logged records of this session (every logEvery iterations and the last). */
  history: MetricsRecord[];
  summary: TrainingSummary;
  /** Frees the trainer, the networks and (unless passed in) the dataset. */
  dispose(): void;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function truncateMetrics(file: string, upTo: number): void {
  if (!fs.existsSync(file)) return;
  const keep = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => {
      if (!line.trim()) return false;
      try {
        return (JSON.parse(line) as MetricsRecord).iteration <= upTo;
      } catch {
        return false;
      }
    });
  fs.writeFileSync(file, keep.length ? keep.join('\n') + '\n' : '');
}

function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

/**
 * Trains one preset into `outDir`.
 * @throws UserError for unknown presets/keys, missing data, or a NaN/Inf loss (the message names the
 *   last good checkpoint, which is left intact)
 */
export async function runTraining(opts: RunTrainingOptions): Promise<TrainingRun> {
  const overrides = opts.overrides ?? {};
  const outDir = path.resolve(opts.outDir);
  const ckptFile = path.join(outDir, 'checkpoint', CHECKPOINT_FILE);
  const metricsFile = path.join(outDir, 'metrics.jsonl');
  fs.mkdirSync(outDir, { recursive: true });

  let resumeFrom: { meta: TrainingCheckpointMeta; tensors: Map<string, import('./checkpoint').StoredTensor> } | null = null;
  let preset: TrainPreset;
  if (opts.resume && fs.existsSync(ckptFile)) {
    resumeFrom = readCheckpointFile<TrainingCheckpointMeta>(ckptFile);
    const wanted = typeof opts.preset === 'string' ? opts.preset : opts.preset.name;
    if (wanted !== resumeFrom.meta.preset.name) {
      throw new UserError(`cannot resume ${outDir} with preset ${wanted}: its checkpoint was trained with ${resumeFrom.meta.preset.name}; pass that preset or another --out folder`);
    }
    preset = applyOverrides(resumeFrom.meta.preset, overrides);
  } else {
    preset = typeof opts.preset === 'string' ? resolvePreset(opts.preset, overrides) : applyOverrides(opts.preset, overrides);
  }
  const seed = resumeFrom ? resumeFrom.meta.seed : (opts.seed ?? preset.seed);
  preset = { ...preset, seed };

  const ownDataset = !opts.dataset;
  const dataset =
    opts.dataset ??
    (await loadDataset(preset.dataset, {
      dataDir: opts.dataDir,
      split: 'train',
      limit: preset.dataLimit > 0 ? preset.dataLimit : undefined,
      imageSize: preset.imageSize > 0 && preset.arch !== 'mlp2d' ? preset.imageSize : undefined,
      classes: preset.classes.length ? preset.classes : undefined,
      seed,
    }));
  let models: TrainedModels = {};
  let trainer: Trainer | undefined;
  try {
    const n = dataset.images.shape[0];
    const modelOptions = resumeFrom ? resumeFrom.meta.modelOptions : modelOptionsFor(preset, seed, dataset.images.shape.slice(1));
    const spec = methodSpec(preset.method);
    models = spec.buildModels(preset.arch, modelOptions);
    trainer = spec.createTrainer(models, preset, seed, { examples: n });
    // §4.4: learning from occluded images wraps any trainer (its fills are checkpointed with it).
    if (preset.occlusion && preset.occlusion !== 'none') trainer = withOcclusion(trainer, dataset.images, preset.occlusion, seed);
    if (resumeFrom) restoreTrainingCheckpoint(trainer, resumeFrom, ckptFile);
    const batches = new EpochBatches(n, preset.batchSize, seed);
    const batchesPerEpoch = batches.batchesPerEpoch;
    const total = preset.iterations > 0 ? preset.iterations : preset.epochs * batchesPerEpoch;
    if (total <= 0) throw new UserError(`preset ${preset.name} has no iterations to run: set --set iterations=N or --set epochs=N`);

    if (resumeFrom) truncateMetrics(metricsFile, resumeFrom.meta.iteration);
    else fs.writeFileSync(metricsFile, '');
    const startIteration = trainer.iteration;
    let lastSaved: number | null = resumeFrom ? resumeFrom.meta.iteration : null;
    const history: MetricsRecord[] = [];
    const t0 = Date.now();
    const startedAt = new Date(t0).toISOString();
    let status: TrainingStatus = 'completed';
    let message: string | undefined;
    let metrics: Record<string, number> = resumeFrom?.meta.metrics ?? {};
    const save = () => {
      saveTrainingCheckpoint(ckptFile, trainer!, { preset, modelOptions, metrics });
      lastSaved = trainer!.iteration;
    };
    const elapsed = () => (Date.now() - t0) / 1000;
    const rate = () => (trainer!.iteration - startIteration) / Math.max(elapsed(), 1e-9);

    while (trainer.iteration < total) {
      if (opts.signal?.aborted) {
        status = 'aborted';
        break;
      }
      const it = trainer.iteration;
      const { epoch, b, indices, newEpoch } = batches.at(it);
      if (newEpoch) trainer.setEpoch(epoch);
      const x = gatherBatch(dataset, indices);
      try {
        metrics = trainer.step(x, { indices });
        const done = trainer.iteration;
        if (done % preset.logEvery === 0 || done === total) {
          const rec: MetricsRecord = { iteration: done, epoch, seconds: elapsed(), ...metrics };
          history.push(rec);
          fs.appendFileSync(metricsFile, JSON.stringify(rec) + '\n');
        }
        const r = rate();
        opts.onProgress?.({ iteration: done, total, epoch, metrics, itPerSec: r, etaSeconds: r > 0 ? (total - done) / r : Infinity });
        await opts.callbacks?.onIteration?.({ iteration: done, epoch, metrics, trainer });
        if (b === batchesPerEpoch - 1) await opts.callbacks?.onEpoch?.({ epoch, iteration: done, trainer });
        if (preset.checkpointEvery > 0 && done % preset.checkpointEvery === 0 && done < total) save();
      } catch (e) {
        if (!(e instanceof NonFiniteError)) throw e;
        status = 'diverged';
        const where = lastSaved !== null ? `the last good checkpoint (iteration ${lastSaved}) is ${ckptFile}` : 'no checkpoint had been written yet';
        message = `training diverged at iteration ${it + 1}: ${e.message}; nothing non-finite was applied or saved and ${where}; lower the learning rates (--set lrEbm=…, lrGen=…) or clipNorm`;
        break;
      } finally {
        x.dispose();
      }
      await yieldToEventLoop();
    }
    if (status !== 'diverged' && trainer.iteration !== lastSaved) {
      try {
        save();
      } catch (e) {
        if (!(e instanceof NonFiniteError)) throw e;
        status = 'diverged';
        message = `training ended with non-finite weights (${e.message}); the last good checkpoint (iteration ${lastSaved ?? 'none'}) is unchanged`;
      }
    }

    const summary: TrainingSummary = {
      preset: preset.name,
      config: preset,
      method: preset.method,
      seed,
      backend: tf.getBackend(),
      dataset: { name: dataset.name, examples: n, note: dataset.note },
      status,
      iterations: trainer.iteration,
      total,
      epoch: trainer.epoch,
      seconds: elapsed(),
      itPerSec: rate(),
      resumedFrom: resumeFrom ? resumeFrom.meta.iteration : null,
      checkpoint: lastSaved !== null ? ckptFile : null,
      finalMetrics: metrics,
      startedAt,
      finishedAt: new Date().toISOString(),
      ...(message ? { message } : {}),
    };
    writeJsonAtomic(path.join(outDir, 'summary.json'), summary);
    if (status === 'diverged') throw new UserError(message!);

    const t = trainer;
    const m = models;
    return {
      preset,
      outDir,
      models,
      modelOptions,
      trainer,
      dataset,
      history,
      summary,
      dispose() {
        t.dispose();
        disposeModels(m);
        if (ownDataset) dataset.dispose();
      },
    };
  } catch (e) {
    trainer?.dispose();
    disposeModels(models);
    if (ownDataset) dataset.dispose();
    throw e;
  }
}

export interface LoadedModels {
  preset: TrainPreset;
  modelOptions: ModelOptions;
  models: TrainedModels;
  /** Iterations the checkpoint had completed. */
  iteration: number;
  epoch: number;
  seed: number;
  meta: TrainingCheckpointMeta;
  /** The .ckpt file read. */
  file: string;
}

/**
 * Rebuilds a run's networks from its checkpoint (weights and buffers loaded; no optimizer).
 * @param checkpointPath a run folder, its checkpoint/ folder or the .ckpt file
 */
export function loadTrainedModels(checkpointPath: string): LoadedModels {
  const file = resolveCheckpointPath(checkpointPath);
  const ckpt = readCheckpointFile<TrainingCheckpointMeta>(file);
  const { preset, modelOptions } = ckpt.meta;
  const models = methodSpec(preset.method).buildModels(preset.arch, modelOptions);
  try {
    loadModulesFromCheckpoint(models as Record<string, Module>, ckpt, file);
  } catch (e) {
    disposeModels(models);
    throw e;
  }
  return { preset, modelOptions, models, iteration: ckpt.meta.iteration, epoch: ckpt.meta.epoch, seed: ckpt.meta.seed, meta: ckpt.meta, file };
}
