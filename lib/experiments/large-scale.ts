/**
 * §4.1.2 large-scale datasets (Figure 8): the object-generation networks with twice the channels and batch
 * normalization in all three nets (arch 'large'), on Downsampled ImageNet 32×32 and LSUN bedroom when the
 * user provides them, and on the largest image set available offline, Fashion-MNIST's 60,000 training
 * images upsampled to 32×32. The paper shows samples only; here they are scored by classifier FID / IS
 * against held-out test images, with real training images through the same path as the floor, and a
 * controlled run with one θ-step per iteration (everything else equal) shows what Algorithm 1's several
 * θ-steps do at this scale, as experiment 01 does at 28×28.
 */
import * as tf from '@tensorflow/tfjs';
import { listDatasets } from '../data/datasets';
import { buildTriangleModels } from '../models/triangle';
import type { Module } from '../models/types';
import type { SampleQuality } from '../metrics/generative-eval';
import type { ResultRow } from '../notebook/session';
import { PRESETS } from '../train/presets';
import { COMPARISON_THETA_STEPS } from '../train/presets-notebooks';
import type { TrainingRun } from '../train/runner';
import { imageGrid } from '../viz/grid';
import { ResultsReport, type ExperimentContext, type ExperimentInfo } from './context';
import { energyCurves, finalEnergies, modelSamples, GENERATION_EVAL } from './generation';
import { classifierQuality } from './quality';

/** The paper's data sets of §4.1.2 and the offline stand-in, in display order. */
export const LARGE_DATASETS = ['imagenet32', 'lsun-bedroom', 'lsun-tower', 'lsun-church', 'fashion-mnist'] as const;
/** Those with a preset of their own (tower and church train through lsun-bedroom's with dataset=…). */
export const LARGE_TRAINED = ['imagenet32', 'lsun-bedroom'] as const;

export function largePresetName(dataset: string, scale: ExperimentContext['scale'], oneStep = false): string {
  return `${dataset}-large${oneStep ? '-1step' : ''}-${scale}`;
}

/** Where each data set is and whether it is on this machine. */
export function datasetTable(ctx: ExperimentContext): void {
  const available = new Map(listDatasets().map((d) => [d.name, d]));
  ctx.table(
    LARGE_DATASETS.map((name) => {
      const d = available.get(name);
      return { dataset: name, available: d?.available ? 'yes' : 'no', where: d?.where ?? '', about: d?.note ?? '' };
    }),
    'Large-scale datasets on this machine',
  );
}

/** The presets of this scale and what each is. */
export function presetTable(ctx: ExperimentContext): void {
  const names = [...LARGE_TRAINED.map((d) => largePresetName(d, ctx.scale)), largePresetName('fashion-mnist', ctx.scale), largePresetName('fashion-mnist', ctx.scale, true)];
  ctx.table(names.map((n) => ({ preset: n, description: PRESETS[n].description })), `Presets of this experiment at the ${ctx.scale} scale`);
}

/** Trainable weights per net: the object-generation nets (Table 5) at the run's width next to the large ones. */
export function sizeTable(ctx: ExperimentContext, run: TrainingRun): void {
  const count = (m: Module) => m.trainable().reduce((s, v) => s + v.variable.size, 0);
  const object = buildTriangleModels('cifar', { ...run.modelOptions, batchNorm: 'table' });
  try {
    ctx.table(
      (['generator', 'inference', 'ebm'] as const).map((net) => ({
        net,
        'object generation (Table 5 at this width)': count(object[net]),
        'large scale (§4.1.2)': count(run.models[net]!),
        'BN layers (large)': run.models[net]!.buffers().filter((b) => b.name.endsWith('.mean')).length,
      })),
      `Trainable weights at width ${run.preset.width} (arch 'large' doubles every channel count)`,
    );
  } finally {
    Object.values(object).forEach((m) => m.dispose());
  }
}

/** 64 samples of a run as an 8×8 grid (the same z for every run). */
export async function samplesFigure(ctx: ExperimentContext, run: TrainingRun, caption: string, file: string): Promise<void> {
  const x = modelSamples(run, 64);
  try {
    ctx.image(await imageGrid(x, { cols: 8 }), caption, file);
  } finally {
    x.dispose();
  }
}

/** 64 training images at the run's resolution, for comparison with the samples. */
export async function trainingImagesFigure(ctx: ExperimentContext, run: TrainingRun): Promise<void> {
  const real = tf.tidy(() => tf.slice(run.dataset.images, 0, 64));
  try {
    ctx.image(await imageGrid(real, { cols: 8 }), `training images at ${real.shape[1]}×${real.shape[2]}, for comparison`, 'training-images');
  } finally {
    real.dispose();
  }
}

/** The paper's data sets that are on this machine: trained, their samples shown (Figure 8); returns what ran. */
export async function paperDatasets(ctx: ExperimentContext): Promise<string[]> {
  const available = new Set(listDatasets().filter((d) => d.available).map((d) => d.name));
  const ran: string[] = [];
  for (const name of LARGE_TRAINED) {
    if (!available.has(name)) {
      ctx.say(`${name}: not on this machine, skipped (data/README.md says how to get it)`);
      continue;
    }
    const run = await ctx.train(largePresetName(name, ctx.scale), `triangle · ${name}`);
    try {
      await samplesFigure(ctx, run, `${name}: samples of the large-scale triangle (Figure 8)`, `samples-${name}`);
      ran.push(`${name} (${run.summary.iterations} iterations on ${run.summary.dataset.examples} images)`);
    } finally {
      run.dispose();
    }
  }
  return ran;
}

/**
 * Classifier FID / IS of each run's samples and of real training images against held-out Fashion-MNIST
 * test images loaded at the runs' 32×32 (the classifier takes 28×28: every image is resized the same way).
 */
export async function sampleQuality(ctx: ExperimentContext, runs: Map<string, TrainingRun>): Promise<Map<string, SampleQuality>> {
  const { samples: n, reference } = GENERATION_EVAL[ctx.scale];
  const first = [...runs.values()][0];
  const out = await classifierQuality({
    dataset: 'fashion-mnist',
    seed: first.summary.seed,
    reference,
    imageSize: first.dataset.images.shape[1],
    sets: [...runs].map(([who, run]) => [who, () => modelSamples(run, n)] as const),
    training: first.dataset.images,
    realCount: n,
  });
  ctx.table(
    [...out].map(([who, q]) => ({ images: who === 'real' ? 'real training images (floor)' : who, 'classifier FID ↓': q.fid, 'classifier IS ↑': q.isMean, 'IS std': q.isStd, samples: q.samples, 'test images': q.reference })),
    `Fashion-MNIST 32×32: classifier FID / IS against ${reference} test images (${ctx.scale} scale)`,
  );
  return out;
}

/** Labels of the two compared Fashion-MNIST runs. */
export const THETA_LABELS = { several: `triangle, ${COMPARISON_THETA_STEPS} θ-steps`, one: 'triangle, 1 θ-step (control)' } as const;

/** Rows and metrics of §4.1.2, with the sentence the numbers support. */
export class LargeScaleReport extends ResultsReport {
  constructor(ctx: ExperimentContext) {
    super(ctx, { experiment: '§4.1.2 large-scale datasets (Figure 8)', dataset: 'Fashion-MNIST 60k upsampled to 32×32 (stand-in for ImageNet 32×32 / LSUN)', paper: 'divergence-triangle' });
  }

  /** The Fashion-MNIST runs' scores, their final energies and what else was trained. */
  add(q: Map<string, SampleQuality>, runs: Map<string, TrainingRun>, paperRuns: string[]): void {
    const what = `${this.ctx.scale} scale, ${this.ctx.session.backend.name} backend; classifier features, not Inception-v3; the paper reports samples only (Figure 8, ImageNet 32×32 / LSUN)`;
    const rows: ResultRow[] = [];
    const metrics: Record<string, number> = {};
    for (const [who, v] of q) {
      const run = runs.get(who);
      const tag = who === 'real' ? 'real' : who === THETA_LABELS.one ? 'large_triangle_1step' : 'large_triangle';
      const setting = who === 'real' ? 'real Fashion-MNIST training images (floor)' : `large-scale ${who}, Fashion-MNIST 60k at 32×32`;
      const note = run ? `preset ${run.preset.name}; ${what}` : `${v.samples} images, the same 28→32→28 resizing as the samples`;
      rows.push({ metric: 'classifier FID', setting, ours: v.fid, paper: null, note });
      rows.push({ metric: 'classifier IS', setting, ours: v.isMean, paper: null, note });
      metrics[`fashion_mnist_32_${tag}_classifier_fid`] = v.fid;
      metrics[`fashion_mnist_32_${tag}_classifier_is`] = v.isMean;
      if (run) metrics[`fashion_mnist_32_${tag}_energy_data`] = finalEnergies(run).energyData;
    }
    const main = runs.get(THETA_LABELS.several);
    if (main) {
      metrics.training_images = main.summary.dataset.examples;
      metrics.iterations = main.summary.iterations;
    }
    this.addRows({ rows, metrics });
    this.ctx.say(verdict(q));
    this.ctx.say(paperRuns.length ? `also trained: ${paperRuns.join(', ')}` : 'ImageNet 32×32 and LSUN were not available: only the Fashion-MNIST stand-in was trained.');
  }
}

/** What the scores say: the several-θ-step triangle against its control and against real images. */
export function verdict(q: Map<string, SampleQuality>): string {
  const a = q.get(THETA_LABELS.several);
  const b = q.get(THETA_LABELS.one);
  const r = q.get('real');
  if (!a || !r) return '';
  const control = b ? `; with 1 θ-step (everything else equal) it is ${b.fid.toFixed(1)}, ${b.fid > a.fid ? 'worse' : 'better'}` : '';
  return `Fashion-MNIST 32×32: the large-scale triangle's classifier FID is ${a.fid.toFixed(1)} (real training images: ${r.fid.toFixed(1)})${control}.`;
}

/** Trains (or reloads) the Fashion-MNIST triangle and its 1-θ-step control; the caller disposes. */
export async function trainFashion(ctx: ExperimentContext): Promise<Map<string, TrainingRun>> {
  const runs = new Map<string, TrainingRun>();
  runs.set(THETA_LABELS.several, await ctx.train(largePresetName('fashion-mnist', ctx.scale), `large-scale triangle · fashion-mnist 32×32 · ${COMPARISON_THETA_STEPS} θ-steps`));
  runs.set(THETA_LABELS.one, await ctx.train(largePresetName('fashion-mnist', ctx.scale, true), 'large-scale triangle · fashion-mnist 32×32 · 1 θ-step'));
  return runs;
}

/** Curves and sample grids of both Fashion-MNIST runs. */
export async function showFashion(ctx: ExperimentContext, runs: Map<string, TrainingRun>): Promise<void> {
  for (const [who, run] of runs) {
    const tag = who === THETA_LABELS.one ? '-1step' : '';
    await energyCurves(ctx, run, `Large-scale ${who} on Fashion-MNIST 32×32: energies, KL and gradient norms`, `energy-fashion-mnist-32${tag}`);
    await samplesFigure(ctx, run, `Fashion-MNIST 32×32: samples of the large-scale ${who}, ${ctx.scale} scale`, `samples-fashion-mnist-32${tag}`);
  }
  await trainingImagesFigure(ctx, runs.get(THETA_LABELS.several)!);
}

/** The whole recipe: the steps notebook 02 calls one by one. */
async function runLargeScale(ctx: ExperimentContext): Promise<string> {
  datasetTable(ctx);
  presetTable(ctx);
  const report = new LargeScaleReport(ctx);
  const paperRuns = await paperDatasets(ctx);
  const runs = await trainFashion(ctx);
  try {
    sizeTable(ctx, runs.get(THETA_LABELS.several)!);
    await showFashion(ctx, runs);
    report.add(await sampleQuality(ctx, runs), runs, paperRuns);
  } finally {
    for (const r of runs.values()) r.dispose();
  }
  return report.write();
}

export const LARGE_SCALE: ExperimentInfo = {
  name: '02-large-scale',
  title: '§4.1.2 large-scale datasets (Figure 8): the doubled, batch-normalised triangle, classifier FID / IS',
  paper: 'divergence-triangle',
  run: runLargeScale,
};
