/**
 * The training runner: preset → data → networks → trainer → loop with metrics.jsonl, checkpoints,
 * summary.json, progress, callbacks and abort. Used by the CLI (`dtri train`) and the notebooks, which
 * keep working with the returned networks, trainer, dataset and history.
 *
 * Output folder (every file written through lib/train/run-folder.ts, which also locks it):
 *   metrics.jsonl          one JSON line every `logEvery` iterations (and the last): iteration, epoch, seconds, metrics
 *   checkpoint/latest.ckpt every `checkpointEvery` iterations, at the end and on abort (atomic; see checkpoint.ts)
 *   summary.json           preset, seed, backend, iterations, seconds, status, final metrics (at the end of a
 *                          session; removed when one starts, so a folder without it holds an unfinished session)
 *
 * Adding a training method: a trainer class implementing Trainer, and a case in `methodSpec` below. A
 * trainer whose schedule has stages (progressive growing) gives the run's length by Trainer.stageEnds;
 * the runner then logs the last iteration of every stage and calls TrainingCallbacks.onStageEnd.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { EpochBatches, gatherBatch } from '../data/batch';
import { loadDataset } from '../data/datasets';
import type { ImageDataset } from '../data/types';
import type { ArchName, ModelOptions } from '../models/architectures';
import { buildEbm, buildGenerator, buildInference, buildTriangleModels } from '../models/triangle';
import { buildLatentEbm } from '../models/latent-ebm';
import { buildProgressiveModels, progressiveFamily } from '../models/progressive';
import type { Ebm, Generator, InferenceNet, LatentEbm, Module } from '../models/types';
import { objectiveScaling, type ObjectiveScaling } from '../objectives/scaling';
import {
  loadModulesFromCheckpoint,
  readTrainingCheckpoint,
  resolveCheckpointPath,
  restoreTrainingCheckpoint,
  saveTrainingCheckpoint,
  type StoredTensor,
  type TrainingCheckpointMeta,
} from './checkpoint';
import { checkResumeChanges, RunFolder, type FileWriter } from './run-folder';
import { NonFiniteError } from './optimizer';
import { applyOverrides, dropOtherMethodsFields, presetAs, PRESETS, resolvePreset, validatePreset, type PresetArch, type PresetFor, type PresetOverrides, type TrainingMethod, type TrainPreset } from './presets';
import { optimizerConfigFromPreset, type Trainer } from './trainer';
import { DivergenceTriangleTrainer, type DivergenceTriangleOptions } from './triangle';
import { VaeTrainer } from './vae';
import { WakeSleepTrainer } from './wake-sleep';
import { LatentEbmTrainer } from './latent-ebm';
import { AcdTrainer } from './acd';
import { AbpTrainer } from './abp';
import { withOcclusion } from './incomplete';
import { growthAfter, growthSchedule, ProgressiveTrainer } from './progressive';

/** The networks of a run; which are present depends on the method. */
export interface TrainedModels {
  generator?: Generator;
  inference?: InferenceNet;
  ebm?: Ebm;
  latentEbm?: LatentEbm;
}

/** How one method builds its networks and its trainer. */
interface MethodSpec {
  buildModels(arch: PresetArch, opts: ModelOptions): TrainedModels;
  /** @param data.examples training-set size (for per-example state such as ABP's persistent z) */
  createTrainer(models: TrainedModels, preset: TrainPreset, seed: number, data: { examples: number }): Trainer;
  /** After loadTrainedModels loaded a checkpoint's weights: puts the networks where that iteration left them. */
  loaded?(models: TrainedModels, preset: TrainPreset, iteration: number): void;
}

function need<T>(x: T | undefined, what: string): T {
  if (x === undefined) throw new Error(`internal: ${what} missing`);
  return x;
}

/** The objective scaling a preset asks for: its named scaling with its individual fields on top. */
export function presetScaling(p: TrainPreset): ObjectiveScaling {
  return objectiveScaling(p.scaling, { sigma: p.sigma, klReduction: p.klReduction, latentNllWeight: p.latentNllWeight });
}

/** Algorithm 1's settings from a preset (the triangle's, and progressive growing's at every stage). */
function triangleOptions(p: PresetFor<'triangle' | 'progressive'>, seed: number): DivergenceTriangleOptions {
  return {
    seed,
    scaling: presetScaling(p),
    generatorSteps: p.generatorSteps,
    noisySamples: p.noisySamples ?? false,
    optimizers: {
      ebm: optimizerConfigFromPreset(p, 'ebm'),
      generator: optimizerConfigFromPreset(p, 'generator'),
      inference: optimizerConfigFromPreset(p, 'inference'),
    },
  };
}

/** buildModels of a method on lib/models' fixed-size architectures (validatePreset keeps arch 'progressive' to its own method). */
function fixedArch(build: (arch: ArchName, opts: ModelOptions) => TrainedModels): MethodSpec['buildModels'] {
  return (arch, opts) => {
    if (arch === 'progressive') throw new Error('internal: arch progressive outside method progressive');
    return build(arch, opts);
  };
}

function methodSpec(method: TrainingMethod): MethodSpec {
  switch (method) {
    case 'triangle':
      return {
        buildModels: fixedArch((arch, opts) => buildTriangleModels(arch, opts)),
        createTrainer: (m, p, seed) => new DivergenceTriangleTrainer(need(m.generator, 'generator'), need(m.inference, 'inference'), need(m.ebm, 'ebm'), triangleOptions(presetAs(p, 'triangle'), seed)),
      };
    case 'progressive':
      // modelOptionsFor puts maxSize in imageSize; the networks start at 4×4 and grow to it.
      return {
        buildModels: (_arch, { imageSize, channels, latentDim, seed, width, energyForm, spectralNorm }) => {
          const family = buildProgressiveModels({ maxSize: need(imageSize, 'maxSize'), channels, latentDim, seed, width, energyForm, spectralNorm });
          return { generator: family.generator, inference: family.inference, ebm: family.ebm };
        },
        createTrainer: (m, p, seed) => {
          const { stableIterations, fadeIterations } = growthSchedule(p);
          return new ProgressiveTrainer(progressiveFamily(m), { ...triangleOptions(presetAs(p, 'progressive'), seed), schedule: { stableIterations, fadeIterations } });
        },
        loaded: (m, p, iteration) => {
          const { stage, alpha } = growthAfter(growthSchedule(p), iteration);
          progressiveFamily(m).setStage(stage, alpha);
        },
      };
    case 'vae':
    case 'wake-sleep': {
      const Cls = method === 'vae' ? VaeTrainer : WakeSleepTrainer;
      return {
        buildModels: fixedArch((arch, opts) => ({ generator: buildGenerator(arch, opts), inference: buildInference(arch, opts) })),
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
        buildModels: fixedArch((arch, opts) => ({ generator: buildGenerator(arch, opts), inference: buildInference(arch, opts), latentEbm: buildLatentEbm(arch, opts) })),
        createTrainer: (m, p, seed) =>
          new LatentEbmTrainer(need(m.generator, 'generator'), need(m.inference, 'inference'), need(m.latentEbm, 'latentEbm'), {
            seed,
            scaling: presetScaling(p),
            inferenceRule: presetAs(p, 'latent-ebm').inferenceRule ?? 'eq15',
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
        buildModels: fixedArch((arch, opts) => ({ generator: buildGenerator(arch, opts), ebm: buildEbm(arch, opts) })),
        createTrainer: (m, preset, seed) => {
          const p = presetAs(preset, 'acd');
          return new AcdTrainer(need(m.generator, 'generator'), need(m.ebm, 'ebm'), {
            seed,
            entropy: p.acdEntropy,
            entropyWeight: p.acdEntropyWeight,
            referenceStd: p.acdReferenceStd,
            generatorSteps: p.generatorSteps,
            optimizers: { ebm: optimizerConfigFromPreset(p, 'ebm'), generator: optimizerConfigFromPreset(p, 'generator') },
          });
        },
      };
    case 'abp':
      return {
        buildModels: fixedArch((arch, opts) => ({ generator: buildGenerator(arch, opts) })),
        createTrainer: (m, preset, seed, data) => {
          const p = presetAs(preset, 'abp');
          return new AbpTrainer(need(m.generator, 'generator'), {
            seed,
            sigma: presetScaling(p).sigma,
            optimizer: optimizerConfigFromPreset(p, 'generator'),
            langevin: { steps: p.langevinSteps ?? 10, delta: p.langevinDelta ?? 0.1 },
            persistent: (p.abpPersistent ?? true) ? { examples: data.examples } : undefined,
          });
        },
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
  } else if (p.method === 'progressive') opts.imageSize = p.maxSize;
  else if (p.imageSize > 0) opts.imageSize = p.imageSize;
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
  /** After the last iteration of every stage of a trainer with stages (Trainer.stageEnds: progressive growing; awaited). */
  onStageEnd?(info: { stage: number; iteration: number; epoch: number; metrics: Record<string, number>; trainer: Trainer }): void | Promise<void>;
}

export interface RunTrainingOptions {
  /** A preset name (resolved with `overrides`) or a resolved preset. */
  preset: string | TrainPreset;
  /** Typed overrides, e.g. `{ iterations: 5 }` (applied on top of a resumed checkpoint's preset too). */
  overrides?: PresetOverrides;
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
  /**
   * Continue from outDir/checkpoint/latest.ckpt when it exists (the checkpoint's preset wins). Overrides
   * and `seed` may change schedule keys only (run-folder.ts RESUME_RULES); identity keys are refused.
   */
  resume?: boolean;
  /**
   * When outDir already holds a run and `resume` is not set: 'overwrite' (the default; the notebooks
   * re-run into their folders) or 'refuse' (dtri train without --force). Either way nothing of the old
   * run is touched before the data, networks and checkpoint have loaded.
   */
  existingRun?: 'refuse' | 'overwrite';
  /** One-line notes for the user: temp files removed, schedule keys changed on resume. */
  onNote?(line: string): void;
  /** Replaces fs.writeSync for every file of the run folder: fault injection (short writes, ENOSPC) in tests. */
  writer?: FileWriter;
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
  /** Schedule keys changed when resuming, e.g. "iterations 40 → 80". */
  resumeChanges?: string[];
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
  /** The logged records of this session (every logEvery iterations, the last of every stage and the last). */
  history: MetricsRecord[];
  summary: TrainingSummary;
  /** Frees the trainer, the networks and (unless passed in) the dataset. */
  dispose(): void;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A checkpoint's preset with the fields added to TrainPreset after it was written filled from the
 * registry preset of the same name, so old checkpoints still resume.
 */
function recordedPreset(meta: TrainingCheckpointMeta): TrainPreset {
  const base = PRESETS[meta.preset.name];
  return base ? dropOtherMethodsFields({ ...base, ...meta.preset }, Object.keys(meta.preset)) : meta.preset;
}

/**
 * Trains one preset into `outDir`.
 * @throws UserError for unknown presets/keys, missing data, or a NaN/Inf loss (the message names the
 *   last good checkpoint, which is left intact)
 */
export async function runTraining(opts: RunTrainingOptions): Promise<TrainingRun> {
  const overrides = opts.overrides ?? {};
  const withSeed = (p: TrainPreset) => (opts.seed === undefined ? p : validatePreset({ ...p, seed: opts.seed }));
  // Presets and overrides are checked before the folder is touched: a typo locks or changes nothing.
  const requested = withSeed(typeof opts.preset === 'string' ? resolvePreset(opts.preset, overrides) : applyOverrides(opts.preset, overrides));
  const folder = RunFolder.open(opts.outDir, opts.resume ? 'resume' : (opts.existingRun ?? 'overwrite'), { writer: opts.writer });
  try {
    return await trainInFolder(opts, overrides, requested, withSeed, folder);
  } finally {
    folder.release();
  }
}

async function trainInFolder(
  opts: RunTrainingOptions,
  overrides: PresetOverrides,
  requested: TrainPreset,
  withSeed: (p: TrainPreset) => TrainPreset,
  folder: RunFolder,
): Promise<TrainingRun> {
  const outDir = folder.dir;
  const ckptFile = folder.checkpointFile;
  for (const f of folder.cleaned) opts.onNote?.(`removed ${f}, left by an interrupted write`);

  let resumeFrom: { meta: TrainingCheckpointMeta; tensors: Map<string, StoredTensor> } | null = null;
  let preset: TrainPreset;
  let resumeChanges: string[] | undefined;
  if (opts.resume && fs.existsSync(ckptFile)) {
    resumeFrom = readTrainingCheckpoint(ckptFile);
    if (requested.name !== resumeFrom.meta.preset.name) {
      throw new UserError(`cannot resume ${outDir} with preset ${requested.name}: its checkpoint was trained with ${resumeFrom.meta.preset.name}; pass that preset or another --out folder`);
    }
    const recorded = recordedPreset(resumeFrom.meta);
    preset = withSeed(applyOverrides(recorded, overrides));
    resumeChanges = checkResumeChanges(recorded, preset, ckptFile);
    if (resumeChanges.length) opts.onNote?.(`resuming from iteration ${resumeFrom.meta.iteration} with changed schedule: ${resumeChanges.join(', ')}`);
  } else {
    preset = requested;
  }
  const seed = preset.seed;

  const ownDataset = !opts.dataset;
  const dataset =
    opts.dataset ??
    (await loadDataset(preset.dataset, {
      dataDir: opts.dataDir,
      split: 'train',
      limit: preset.dataLimit > 0 ? preset.dataLimit : undefined,
      imageSize: dataImageSize(preset),
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
    checkDataFitsNetworks(dataset, models, preset);
    trainer = spec.createTrainer(models, preset, seed, { examples: n });
    // §4.4: learning from occluded images wraps any trainer (its fills are checkpointed with it).
    if (preset.occlusion && preset.occlusion !== 'none') trainer = withOcclusion(trainer, dataset.images, preset.occlusion, seed, { refills: preset.occlusionRefills });
    if (resumeFrom) restoreTrainingCheckpoint(trainer, resumeFrom, ckptFile);
    const batches = new EpochBatches(n, preset.batchSize, seed);
    const batchesPerEpoch = batches.batchesPerEpoch;
    const stageEnds = trainer.stageEnds;
    const total = stageEnds ? stageEnds[stageEnds.length - 1] : preset.iterations > 0 ? preset.iterations : preset.epochs * batchesPerEpoch;
    if (total <= 0) throw new UserError(`preset ${preset.name} has no iterations to run: set --set iterations=N or --set epochs=N`);

    // The run is known to proceed: only now is anything of an earlier run in this folder changed.
    folder.begin(resumeFrom ? resumeFrom.meta.iteration : null);
    const startIteration = trainer.iteration;
    let lastSaved: number | null = resumeFrom ? resumeFrom.meta.iteration : null;
    const history: MetricsRecord[] = [];
    const t0 = Date.now();
    const startedAt = new Date(t0).toISOString();
    let status: TrainingStatus = 'completed';
    let message: string | undefined;
    let metrics: Record<string, number> = resumeFrom?.meta.metrics ?? {};
    const save = () => {
      saveTrainingCheckpoint(ckptFile, trainer!, { preset, modelOptions, metrics }, folder.writeOptions('free space and resume with --resume'));
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
        const stage = stageEnds ? stageEnds.indexOf(done) : -1;
        if (done % preset.logEvery === 0 || done === total || stage >= 0) {
          const rec: MetricsRecord = { iteration: done, epoch, seconds: elapsed(), ...metrics };
          history.push(rec);
          folder.appendMetrics(rec);
        }
        const r = rate();
        opts.onProgress?.({ iteration: done, total, epoch, metrics, itPerSec: r, etaSeconds: r > 0 ? (total - done) / r : Infinity });
        await opts.callbacks?.onIteration?.({ iteration: done, epoch, metrics, trainer });
        if (b === batchesPerEpoch - 1) await opts.callbacks?.onEpoch?.({ epoch, iteration: done, trainer });
        if (stage >= 0) await opts.callbacks?.onStageEnd?.({ stage, iteration: done, epoch, metrics, trainer });
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
      ...(resumeChanges?.length ? { resumeChanges } : {}),
      checkpoint: lastSaved !== null ? ckptFile : null,
      finalMetrics: metrics,
      startedAt,
      finishedAt: new Date().toISOString(),
      ...(message ? { message } : {}),
    };
    folder.writeSummary(summary);
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

/** The side the data are resized to on loading: imageSize, maxSize for progressive growing; undefined = native. */
function dataImageSize(p: TrainPreset): number | undefined {
  if (p.method === 'progressive') return p.maxSize;
  return p.imageSize > 0 && p.arch !== 'mlp2d' ? p.imageSize : undefined;
}

/**
 * Refuses data whose example shape is not the networks' (e.g. 7×7 IDX images for the 28×28 MNIST nets)
 * with one line naming the dataset and the fix, instead of a shape error deep inside the first step.
 */
function checkDataFitsNetworks(dataset: ImageDataset, models: TrainedModels, p: TrainPreset): void {
  const out = models.generator?.outputShape;
  const got = dataset.images.shape.slice(1);
  // Growing networks start at 4×4 and take data at their final size, maxSize.
  const want = p.method === 'progressive' && out ? [p.maxSize!, p.maxSize!, out[2]] : out;
  if (!want || (want.length === got.length && want.every((d, i) => d === got[i]))) return;
  const where = dataset.source ? ` (${dataset.source})` : '';
  const image = want.length === 3 && got.length === 3;
  const size = p.method === 'progressive' ? 'maxSize' : 'imageSize';
  const fix = image
    ? `pass --set ${size}=${want[0]} to resize every image to ${want[0]}×${want[1]}, or use data of that size`
    : `use a dataset of that shape, or a preset whose arch fits it`;
  throw new UserError(`dataset ${p.dataset}${where} has examples of ${got.join('×')} but the ${p.arch} networks of ${p.name} take ${want.join('×')}: ${fix}`);
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
 * Rebuilds a run's networks from its checkpoint (weights and buffers loaded; no optimizer), growing
 * networks at the (stage, α) of the checkpoint's last iteration.
 * @param checkpointPath a run folder, its checkpoint/ folder or the .ckpt file
 */
export function loadTrainedModels(checkpointPath: string): LoadedModels {
  const file = resolveCheckpointPath(checkpointPath);
  const ckpt = readTrainingCheckpoint(file);
  const { preset, modelOptions } = ckpt.meta;
  const spec = methodSpec(preset.method);
  const models = spec.buildModels(preset.arch, modelOptions);
  try {
    loadModulesFromCheckpoint(models as Record<string, Module>, ckpt, file);
    spec.loaded?.(models, preset, ckpt.meta.iteration);
  } catch (e) {
    disposeModels(models);
    throw e;
  }
  return { preset, modelOptions, models, iteration: ckpt.meta.iteration, epoch: ckpt.meta.epoch, seed: ckpt.meta.seed, meta: ckpt.meta, file };
}
