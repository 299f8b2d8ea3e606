/**
 * §4.1.3 high-resolution synthesis by progressive growing (Figures 9–10): the generator, inference model
 * and EBM grow in synchrony from 4×4 (method 'progressive', presets `hires-<scale>`), each stage fading in.
 * The paper shows pictures only; on Fashion-MNIST (the offline stand-in for CelebA-HQ, upsampled to
 * 32×32) each stage's samples are scored by classifier FID at that stage's resolution next to the floor
 * real training images reach, and a controlled run with one θ-step per iteration (`hires-1step-<scale>`,
 * everything else equal) shows what Algorithm 1's several θ-steps do while the networks grow.
 */
import * as tf from '@tensorflow/tfjs';
import { listDatasets, loadDataset } from '../data/datasets';
import type { ImageDataset } from '../data/types';
import { classifierFid } from '../metrics/classifier';
import { mse } from '../metrics/reconstruction';
import { motionEnergy } from '../metrics/texture';
import type { ResultRow, Scale } from '../notebook/session';
import { PRESETS, type TrainPreset } from '../train/presets';
import { growthCallbacks, growthPhases, growthSchedule, imagesAtResolution, latentInterpolation, stageSeconds, type GrowthHooks } from '../train/progressive';
import type { MetricsRecord, TrainingRun } from '../train/runner';
import { lossCurvesFigure } from '../viz/figures';
import { imageGrid, interpolationGrid, reconstructionGrid } from '../viz/grid';
import { ResultsReport, type ExperimentContext, type ExperimentInfo } from './context';

/** Per scale: test images per stage FID, samples per snapshot row, interpolation rows × steps. */
export const HIRES_EVAL: Record<Scale, { evalImages: number; snapshot: number; interpRows: number; interpSteps: number }> = {
  quick: { evalImages: 200, snapshot: 8, interpRows: 4, interpSteps: 8 },
  cpu: { evalImages: 1000, snapshot: 10, interpRows: 6, interpSteps: 10 },
  paper: { evalImages: 2000, snapshot: 10, interpRows: 6, interpSteps: 10 },
};

/** The scale's preset, or `hires-cpu` (Fashion-MNIST) where its data set is missing (CelebA-HQ at paper). */
export function hiresPreset(ctx: ExperimentContext, oneStep = false): TrainPreset {
  const wanted = PRESETS[`hires-${ctx.scale}`];
  const d = listDatasets().find((x) => x.name === wanted.dataset);
  const scale = d?.available ? ctx.scale : 'cpu';
  if (!d?.available && !oneStep) ctx.say(`${wanted.dataset} is not available: ${d?.where ?? 'unknown dataset'}. Growing on Fashion-MNIST instead (preset hires-cpu).`);
  return PRESETS[`hires${oneStep ? '-1step' : ''}-${scale}`];
}

/** Final resolution of a progressive preset. */
export function maxSizeOf(p: TrainPreset): number {
  return 4 * 2 ** (growthSchedule(p).stages - 1);
}

/** The growth schedule as a table: each stage after the first fades in, then trains at α = 1. */
export function scheduleTable(ctx: ExperimentContext, p: TrainPreset): void {
  ctx.say(`${p.name}: ${p.description}`);
  ctx.table(
    growthPhases(growthSchedule(p)).map((ph) => ({
      stage: ph.stage,
      resolution: `${4 * 2 ** ph.stage}×${4 * 2 ** ph.stage}`,
      'fade-in iterations': ph.fadeEnd - ph.start,
      'stable iterations': ph.end - ph.fadeEnd,
      iterations: `${ph.start + 1} – ${ph.end}`,
    })),
    `Growth schedule of ${p.name} (batch ${p.batchSize}, width ×${p.width}, z of ${p.latentDim})`,
  );
}

/** The training images and (on Fashion-MNIST) held-out test images at the preset's final size. The caller disposes. */
export async function hiresData(ctx: ExperimentContext, p: TrainPreset): Promise<{ train: ImageDataset; test: ImageDataset | null }> {
  const size = maxSizeOf(p);
  const train = await loadDataset(p.dataset, { split: 'train', limit: p.dataLimit || undefined, imageSize: size, seed: p.seed });
  ctx.say(train.note);
  const test = p.dataset === 'fashion-mnist' ? await loadDataset('fashion-mnist', { split: 'test', limit: HIRES_EVAL[ctx.scale].evalImages, imageSize: size }) : null;
  return { train, test };
}

/** Classifier FID of one stage's samples and the floor of real training images, both at the stage's resolution. */
export interface StageRow {
  stage: number;
  resolution: number;
  fid: number | null;
  floor: number | null;
}

/** One growing run with its stage snapshots and stage FIDs. */
export interface GrownRun {
  label: string;
  run: TrainingRun;
  growth: GrowthHooks;
  stages: StageRow[];
}

/** r×r images → 28×28 for the classifier, identically for real and generated images (nearest up to the final size, bilinear down). */
function to28(x: tf.Tensor, size: number): tf.Tensor {
  return tf.tidy(() => tf.image.resizeBilinear(tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [size, size]), [28, 28], false, true));
}

/**
 * Trains a progressive preset from scratch (its stage figures come from the runner's stage hook, which a
 * reloaded run never calls): at every stage end, samples from the same z and, on Fashion-MNIST, the stage's
 * classifier FID and its floor. The caller disposes (disposeGrown).
 */
export async function trainGrowing(ctx: ExperimentContext, p: TrainPreset, label: string, data: { train: ImageDataset; test: ImageDataset | null }): Promise<GrownRun> {
  const size = maxSizeOf(p);
  const stages: StageRow[] = [];
  const growth = growthCallbacks({
    snapshots: { n: HIRES_EVAL[ctx.scale].snapshot, seed: 3 },
    onStageEnd: async ({ stage, resolution, trainer }) => {
      if (!data.test) return void stages.push({ stage, resolution, fid: null, floor: null });
      const n = data.test.images.shape[0];
      const fake = trainer.sample(n, 1000 + stage);
      const realTest = imagesAtResolution(data.test.images, resolution);
      const realTrain = tf.tidy(() => imagesAtResolution(tf.slice(data.train.images, 0, n), resolution));
      const [f28, t28, r28] = [to28(fake, size), to28(realTest, size), to28(realTrain, size)];
      try {
        stages.push({ stage, resolution, fid: await classifierFid('fashion-mnist', f28, t28), floor: await classifierFid('fashion-mnist', r28, t28) });
      } finally {
        tf.dispose([fake, realTest, realTrain, f28, t28, r28]);
      }
    },
  });
  try {
    const run = await ctx.train(p.name, label, { retrain: true, callbacks: growth.callbacks, dataset: data.train });
    return { label, run, growth, stages };
  } catch (e) {
    growth.dispose();
    throw e;
  }
}

export function disposeGrown(g: GrownRun): void {
  g.run.dispose();
  g.growth.dispose();
}

/** Each stage: training images at its resolution, then samples from the same z after the stage (Figure 9's kind). */
export async function coarseToFine(ctx: ExperimentContext, g: GrownRun, data: ImageDataset, tag = ''): Promise<void> {
  const size = maxSizeOf(g.run.preset);
  const n = HIRES_EVAL[ctx.scale].snapshot;
  const up = (x: tf.Tensor) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [size, size]);
  const labels: string[] = [];
  const stacked = tf.tidy(() => {
    const rows: tf.Tensor[] = [];
    for (const s of g.growth.snapshots) {
      rows.push(up(imagesAtResolution(tf.slice(data.images, 0, n), s.resolution)), up(s.images));
      labels.push(`data ${s.resolution}×${s.resolution}`, `samples ${s.resolution}×${s.resolution}`);
    }
    return tf.concat(rows);
  });
  try {
    const png = await imageGrid(stacked, { cols: n, labels, scale: Math.max(1, Math.round(64 / size)) });
    ctx.image(png, `${g.label}: each stage's data at its resolution, then samples from the same z after the stage (Figure 9's kind at our scale).`, `coarse-to-fine${tag}`);
  } finally {
    stacked.dispose();
  }
}

/** D, the reconstruction error, the energies of data and samples, with the stage's α and resolution. */
export async function growingCurves(ctx: ExperimentContext, g: GrownRun, tag = ''): Promise<void> {
  await ctx.plot(lossCurvesFigure(g.run.history as MetricsRecord[], { terms: ['D', 'mse', 'energyData', 'energyGen', 'kl', 'gradNormGen', 'alpha', 'resolution'], smooth: 0.8, title: `${g.run.preset.name}: terms of the triangle while growing` }), `terms${tag}`);
}

/** Figure 10: (1 − t)·z₀ + t·z₁ decoded at the final resolution, one pair per row; then 64 samples. */
export async function interpolations(ctx: ExperimentContext, g: GrownRun, tag = ''): Promise<void> {
  const { interpRows, interpSteps } = HIRES_EVAL[ctx.scale];
  const size = maxSizeOf(g.run.preset);
  const frames = latentInterpolation(g.run.models.generator!, { rows: interpRows, steps: interpSteps, seed: 10 });
  const final = g.run.trainer.sample(64, 77);
  try {
    ctx.image(await interpolationGrid(frames, { scale: Math.max(1, Math.round(64 / size)) }), `${g.label}: linear interpolation (1 − t)·z₀ + t·z₁, one pair per row (Figure 10's kind).`, `interpolation${tag}`);
    ctx.image(await imageGrid(final, { cols: 16 }), `${g.label}: 64 samples at ${size}×${size} after growing.`, `samples${tag}`);
  } finally {
    tf.dispose([frames, final]);
  }
}

/**
 * How much the rows of an interpolation change along t: the mean per-pixel |x(t_{k+1}) − x(t_k)| between
 * neighbouring images. Near 0: every code decodes to the same image (a collapsed generator).
 */
export function interpolationMotion(g: GrownRun, rows = 8, steps = 8): number {
  const frames = latentInterpolation(g.run.models.generator!, { rows, steps, seed: 10 });
  try {
    return motionEnergy(frames); // [rows, steps, H, W, C]: the change along t, as a clip's along time
  } finally {
    frames.dispose();
  }
}

/** Reconstructions g(μ_φ(x)) of held-out test images (the inference model grew with the others); returns the per-pixel MSE. */
export async function reconstructions(ctx: ExperimentContext, g: GrownRun, test: ImageDataset | null): Promise<number | null> {
  if (!test) return null;
  const x = tf.slice(test.images, 0, Math.min(test.images.shape[0], 200));
  const rec = g.run.trainer.reconstruct(x);
  const [x10, r10] = [tf.slice(x, 0, 10), tf.slice(rec, 0, 10)];
  try {
    const e = mse(x, rec);
    ctx.image(await reconstructionGrid(x10, r10), `${g.label}: test images and their reconstructions; per-pixel MSE in [-1, 1] over ${x.shape[0]} test images: ${e.toFixed(4)}.`, 'reconstructions');
    return e;
  } finally {
    tf.dispose([x, rec, x10, r10]);
  }
}

/** The stage FIDs of the compared runs side by side, with the real-image floor and each stage's seconds. */
export function stageTable(ctx: ExperimentContext, runs: readonly GrownRun[]): void {
  const first = runs[0];
  const secs = runs.map((g) => stageSeconds(g.run.history as MetricsRecord[]));
  ctx.table(
    first.stages.map((r, i) => ({
      stage: r.stage,
      resolution: `${r.resolution}×${r.resolution}`,
      ...Object.fromEntries(runs.map((g) => [`classifier FID, ${g.label}`, g.stages[i]?.fid ?? null])),
      'classifier FID, real train images (floor)': r.floor,
      ...Object.fromEntries(runs.map((g, k) => [`seconds, ${g.label}`, secs[k][i] ?? null])),
    })),
    first.stages[0]?.fid == null ? 'no classifier for this data set: FID not measured' : `Classifier FID at the end of each stage, ${HIRES_EVAL[ctx.scale].evalImages} images per side (Fashion-MNIST features, not Inception)`,
  );
}

/** What the numbers say: the last stage's FID of each run against the floor, and how much interpolations move. */
export function verdict(runs: readonly GrownRun[], motion: readonly number[]): string[] {
  return runs.map((g, k) => {
    const trend = g.stages.map((r) => `${r.resolution}×${r.resolution}: ${r.fid === null ? 'n/a' : r.fid.toFixed(1)}`).join('; ');
    const last = g.stages[g.stages.length - 1];
    const floor = last?.floor == null ? '' : ` (floor of real images at ${last.resolution}×${last.resolution}: ${last.floor.toFixed(1)})`;
    return `${g.label} (${g.run.preset.name}): classifier FID per stage ${trend}${floor}; neighbouring interpolation frames differ by ${motion[k].toFixed(3)} per pixel${motion[k] < 0.01 ? ' — the generator decodes every code alike (collapsed)' : ''}.`;
  });
}

/** notebooks/results/03-high-resolution.json's rows and metrics. */
export class HiresReport extends ResultsReport {
  constructor(ctx: ExperimentContext, data: ImageDataset) {
    super(ctx, { experiment: '§4.1.3 high-resolution synthesis by progressive growing', dataset: data.note, paper: 'divergence-triangle' });
  }

  add(g: GrownRun, motion: number, reconstructionMse: number | null, key: string): void {
    const n = HIRES_EVAL[this.ctx.scale].evalImages;
    const rows: ResultRow[] = g.stages.map((r) => ({
      metric: `classifier FID (Fashion-MNIST features), ${n} samples vs test`,
      setting: `${g.label}, ${g.run.preset.name}, end of stage ${r.stage} (${r.resolution}×${r.resolution})`,
      ours: r.fid,
      paper: null,
      note: `floor (real train vs test at this resolution): ${r.floor === null ? 'n/a' : r.floor.toFixed(2)}; §4.1.3 reports no numbers`,
    }));
    rows.push({ metric: 'mean |Δx| between neighbouring interpolation frames', setting: `${g.label}, ${g.run.preset.name}`, ours: motion, paper: null, note: '≈ 0: every code decodes alike (collapse)' });
    if (reconstructionMse !== null) rows.push({ metric: 'reconstruction MSE per pixel, [-1, 1], test images', setting: `${g.label}, ${g.run.preset.name}`, ours: reconstructionMse, paper: null, note: 'no number in §4.1.3' });
    const last = g.stages[g.stages.length - 1];
    const fm = g.run.summary.finalMetrics;
    const k = (name: string) => (key ? key + name[0].toUpperCase() + name.slice(1) : name);
    this.addRows({
      rows,
      metrics: {
        [k('finalClassifierFid')]: last?.fid ?? null,
        [k('interpolationMotion')]: motion,
        [k('finalEnergyData')]: fm.energyData,
        [k('finalEnergyGen')]: fm.energyGen,
        [k('iterations')]: g.run.summary.iterations,
        ...(reconstructionMse !== null ? { [k('reconstructionMse')]: reconstructionMse } : {}),
        ...(last?.floor != null ? { finalClassifierFidFloor: last.floor } : {}),
      },
    });
  }
}

/** The whole recipe: the steps notebook 03 calls one by one. */
async function runHires(ctx: ExperimentContext): Promise<string> {
  const p = hiresPreset(ctx);
  scheduleTable(ctx, p);
  const data = await hiresData(ctx, p);
  const runs: GrownRun[] = [];
  try {
    runs.push(await trainGrowing(ctx, p, `${p.generatorSteps} θ-steps`, data));
    runs.push(await trainGrowing(ctx, hiresPreset(ctx, true), '1 θ-step (control)', data));
    const report = new HiresReport(ctx, data.train);
    const motion: number[] = [];
    for (const [k, g] of runs.entries()) {
      const tag = k === 0 ? '' : '-1step';
      await coarseToFine(ctx, g, data.train, tag);
      await growingCurves(ctx, g, tag);
      await interpolations(ctx, g, tag);
      motion.push(interpolationMotion(g));
      report.add(g, motion[k], k === 0 ? await reconstructions(ctx, g, data.test) : null, k === 0 ? '' : 'oneStep');
    }
    stageTable(ctx, runs);
    for (const line of verdict(runs, motion)) ctx.say(line);
    return report.write();
  } finally {
    runs.forEach(disposeGrown);
    data.train.dispose();
    data.test?.dispose();
  }
}

export const HIGH_RESOLUTION: ExperimentInfo = {
  name: '03-high-resolution',
  title: '§4.1.3 progressive growing (Figures 9–10): the three nets grown 4×4 → 32×32, stage FIDs, interpolations, a 1-θ-step control',
  paper: 'divergence-triangle',
  run: runHires,
};
