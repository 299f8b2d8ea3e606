/**
 * §4.1.4 texture synthesis (Figure 11): one triangle per texture image (the data set is the single image,
 * batch 1, so the EBM always sees the whole texture), and per row the training texture next to three
 * samples from different z. The paper reports pictures only; here the samples' texture statistics are
 * measured against the training image (lib/metrics textureStatistics: a Gram distance with two references
 * and a copy check). The paper's images are not given: scikit-image's brick, grass and gravel and one
 * colour GIMP pattern stand in, each a named preset `texture-<name>-<scale>`.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { listDatasets } from '../data/datasets';
import { textureStatistics, type TextureStatistics } from '../metrics/texture';
import type { ResultRow } from '../notebook/session';
import { PRESETS } from '../train/presets';
import { TEXTURE_NAMES, texturePresetName, type TextureName } from '../train/presets-synthesis';
import type { MetricsRecord, TrainingRun } from '../train/runner';
import { lossCurvesFigure } from '../viz/figures';
import { imageGrid } from '../viz/grid';
import { ResultsReport, type ExperimentContext, type ExperimentInfo } from './context';

/** Samples drawn per texture for Figure 11 and the statistics, and their noise seed. */
const SAMPLES = 3;
const SAMPLE_SEED = 11;

/** One trained texture: its image, samples and curves (the networks are freed once sampled). */
export interface TextureResult {
  name: string;
  preset: string;
  /** [1, H, W, C] */
  original: tf.Tensor;
  /** [SAMPLES, H, W, C] */
  samples: tf.Tensor;
  history: MetricsRecord[];
  seconds: number;
  note: string;
}

/** The textures of this experiment that are on this machine (a missing one is said and skipped). */
export function availableTextures(ctx: ExperimentContext): TextureName[] {
  const listed = new Map(listDatasets().map((d) => [d.name, d]));
  const out: TextureName[] = [];
  for (const name of TEXTURE_NAMES) {
    const dataset = PRESETS[texturePresetName(name, ctx.scale)].dataset;
    const d = listed.get(dataset);
    const file = dataset.slice('texture:'.length);
    const present = d ? d.available : fs.existsSync(file);
    if (present) out.push(name);
    else ctx.say(`texture ${name} is missing: ${d?.where ?? `${file} not found; install the Debian package gimp-data`}`);
  }
  ctx.table(out.map((n) => ({ texture: n, preset: texturePresetName(n, ctx.scale), dataset: PRESETS[texturePresetName(n, ctx.scale)].dataset })), 'Textures on this machine, one model each');
  return out;
}

/** Trains (or reloads) one model per texture and keeps its image, samples and curves; the caller disposes (disposeTextures). */
export async function trainTextures(ctx: ExperimentContext, names: readonly TextureName[]): Promise<TextureResult[]> {
  const out: TextureResult[] = [];
  for (const name of names) {
    const preset = texturePresetName(name, ctx.scale);
    const run: TrainingRun = await ctx.train(preset, `${name} (${preset})`);
    try {
      out.push({ name, preset, original: run.dataset.images.clone(), samples: run.trainer.sample(SAMPLES, SAMPLE_SEED), history: run.history.map((r) => ({ ...r })), seconds: run.summary.seconds, note: run.dataset.note });
    } finally {
      run.dispose();
    }
  }
  return out;
}

export function disposeTextures(results: readonly TextureResult[]): void {
  for (const r of results) tf.dispose([r.original, r.samples]);
}

/** Figure 11's kind: per row the training texture, then three samples from different z. */
export async function figure11(ctx: ExperimentContext, results: readonly TextureResult[]): Promise<void> {
  if (results.length === 0) return;
  const side = results[0].original.shape[1]!;
  const rgb = (x: tf.Tensor) => tf.tidy(() => (x.shape[3] === 1 ? tf.tile(x, [1, 1, 1, 3]) : x.clone()));
  const grid = tf.tidy(() => tf.concat(results.flatMap((r) => [rgb(r.original), rgb(r.samples)])));
  try {
    const png = await imageGrid(grid, { cols: 1 + SAMPLES, labels: results.map((r) => r.name), colLabels: ['training image', ...Array.from({ length: SAMPLES }, (_, i) => `sample ${i + 1}`)], scale: Math.max(1, Math.round(168 / side)) });
    ctx.image(png, `Training texture and ${SAMPLES} samples per row at ${side}×${side} (${ctx.scale} scale; Figure 11's kind)`, 'figure11-textures');
  } finally {
    grid.dispose();
  }
}

/**
 * Curves of every texture: the per-pixel reconstruction error, and the EBM's contrast (mean energy of
 * samples minus that of the training image, E = −f; positive when the EBM ranks the data above the samples).
 */
export async function trainingCurves(ctx: ExperimentContext, results: readonly TextureResult[]): Promise<void> {
  const merged = new Map<number, Record<string, number>>();
  for (const r of results) {
    for (const h of r.history) {
      const row = merged.get(h.iteration) ?? { iteration: h.iteration };
      row[`mse · ${r.name}`] = h.mse;
      row[`contrast · ${r.name}`] = h.energyGen - h.energyData;
      merged.set(h.iteration, row);
    }
  }
  const rows = [...merged.values()].sort((a, b) => a.iteration - b.iteration);
  await ctx.plot(lossCurvesFigure(rows, { terms: results.map((r) => `mse · ${r.name}`), overlay: true, logY: true, title: 'reconstruction MSE per pixel ([-1, 1])' }), 'mse-textures');
  await ctx.plot(lossCurvesFigure(rows, { terms: results.map((r) => `contrast · ${r.name}`), overlay: true, smooth: 0.8, title: 'EBM contrast: mean E(samples) − E(data)' }), 'contrast-textures');
}

/** textureStatistics of every texture, as a table. */
export function measureTextures(ctx: ExperimentContext, results: readonly TextureResult[]): Map<string, TextureStatistics> {
  const out = new Map(results.map((r) => [r.name, textureStatistics(r.samples, r.original)]));
  const side = results[0]?.original.shape[1];
  ctx.table(
    [...out].map(([name, s]) => ({
      texture: name,
      [`Gram distance, samples (mean of ${SAMPLES})`]: s.samples,
      'Gram distance, halves of the image': s.halves,
      'Gram distance, matched noise': s.noise,
      'MSE to training image, per pixel': s.copyMse,
    })),
    `Texture statistics at ${side}×${side} (${ctx.scale} scale)`,
  );
  return out;
}

/** Where each texture's samples stand between its own halves and noise (generated from the numbers). */
export function verdict(stats: Map<string, TextureStatistics>): string[] {
  return [...stats].map(([name, s]) => {
    const place = s.samples <= s.halves ? 'at or below the distance between the image\'s own halves' : s.samples < s.noise ? `${((s.samples - s.halves) / Math.max(1e-12, s.noise - s.halves) * 100).toFixed(0)}% of the way from the halves' distance to noise's` : 'no closer than matched noise';
    return `${name}: Gram distance ${s.samples.toFixed(3)} (halves ${s.halves.toFixed(3)}, noise ${s.noise.toFixed(3)}): ${place}; MSE to the training image ${s.copyMse.toFixed(3)} (${s.copyMse < 0.01 ? 'a copy' : 'not a copy'}).`;
  });
}

/** notebooks/results/04-texture-synthesis.json's rows and metrics. */
export class TextureReport extends ResultsReport {
  constructor(ctx: ExperimentContext, results: readonly TextureResult[]) {
    super(ctx, { experiment: '§4.1.4 texture synthesis (one model per texture image)', dataset: results.map((r) => r.note).join(' '), paper: 'divergence-triangle' });
  }

  add(results: readonly TextureResult[], stats: Map<string, TextureStatistics>): void {
    const rows: ResultRow[] = [];
    const metrics: Record<string, number> = {};
    for (const r of results) {
      const s = stats.get(r.name)!;
      const side = r.original.shape[1];
      rows.push({ metric: `Gram distance to the training image (random multi-scale features), mean of ${SAMPLES} samples`, setting: `${r.name}, ${r.preset}, ${side}×${side}`, ours: s.samples, paper: null, note: `references: halves of the image ${s.halves.toFixed(3)}, matched Gaussian noise ${s.noise.toFixed(3)}; §4.1.4 has no numbers (Figure 11 only)` });
      rows.push({ metric: 'MSE per pixel ([-1, 1]) between samples and the training image', setting: `${r.name}, ${r.preset}`, ours: s.copyMse, paper: null, note: '≈ 0 would mean the generator copies its single training image' });
      Object.assign(metrics, { [`gram.${r.name}`]: s.samples, [`gramHalves.${r.name}`]: s.halves, [`gramNoise.${r.name}`]: s.noise, [`copyMse.${r.name}`]: s.copyMse, [`seconds.${r.name}`]: r.seconds });
    }
    this.addRows({ rows, metrics });
  }
}

/** The whole recipe: the steps notebook 04 calls one by one. */
async function runTextures(ctx: ExperimentContext): Promise<string> {
  const results = await trainTextures(ctx, availableTextures(ctx));
  try {
    await figure11(ctx, results);
    await trainingCurves(ctx, results);
    const stats = measureTextures(ctx, results);
    for (const line of verdict(stats)) ctx.say(line);
    const report = new TextureReport(ctx, results);
    report.add(results, stats);
    return report.write();
  } finally {
    disposeTextures(results);
  }
}

export const TEXTURE_SYNTHESIS: ExperimentInfo = {
  name: '04-texture-synthesis',
  title: '§4.1.4 texture synthesis (Figure 11): one model per texture, Gram distance against its references',
  paper: 'divergence-triangle',
  run: runTextures,
};
