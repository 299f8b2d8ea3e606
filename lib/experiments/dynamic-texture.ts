/**
 * §4.1.5 dynamic texture synthesis (Figure 12): one spatio-temporal triangle per clip (64×64 pixels × 32
 * frames), and 6 subsampled frames of the training clip above those of generated clips. The paper reports
 * pictures only; here generated clips are measured against the training clip (lib/metrics
 * videoStatistics: motion energy, nearest-frame MSE, Gram distance with its references). DynTex is not
 * available offline: `dyntex-<scale>` trains on a procedural clip (linear deep-water waves, lib/data
 * procedural-video.ts); `dyntex-real-paper` trains on the first DynTex clip when the user provides DynTex.
 */
import * as tf from '@tensorflow/tfjs';
import { listDatasets, loadDataset } from '../data/datasets';
import type { ImageDataset } from '../data/types';
import { mse } from '../metrics/reconstruction';
import { videoStatistics, type VideoStatistics } from '../metrics/texture';
import type { ResultRow, Scale } from '../notebook/session';
import { PRESETS } from '../train/presets';
import type { MetricsRecord, TrainingRun } from '../train/runner';
import { lossCurvesFigure } from '../viz/figures';
import { imageGrid } from '../viz/grid';
import { ResultsReport, type ExperimentContext, type ExperimentInfo } from './context';

/** Per scale: generated clips measured, and every k-th frame for the Gram statistics. */
export const DYNTEX_EVAL: Record<Scale, { clips: number; gramStride: number }> = {
  quick: { clips: 1, gramStride: 4 },
  cpu: { clips: 4, gramStride: 2 },
  paper: { clips: 8, gramStride: 1 },
};

/** The preset of this scale: the procedural clip, or at `paper` the first DynTex clip when it is present. */
export function dyntexPreset(ctx: ExperimentContext): string {
  const real = listDatasets().find((d) => d.name === 'dyntex');
  if (ctx.scale === 'paper' && real?.available) return 'dyntex-real-paper';
  const name = `dyntex-${ctx.scale}`;
  ctx.say(`${name}: ${PRESETS[name].description}`);
  ctx.say(`DynTex: ${real?.available ? 'available, but' : 'not available here —'} training on ${PRESETS[name].dataset} (procedural, not DynTex).`);
  return name;
}

/** Frames `ts` of clip `c` of [N, T, H, W, C] → [len(ts), H, W, C]. */
function framesOf(video: tf.Tensor, c: number, ts: number[]): tf.Tensor {
  return tf.tidy(() => tf.gather(tf.squeeze(tf.slice(video, c, 1), [0]), ts));
}

/** The training clip of a preset, shown as every 4th frame. The caller disposes it. */
export async function trainingClip(ctx: ExperimentContext, preset: string): Promise<ImageDataset> {
  const p = PRESETS[preset];
  const clip = await loadDataset(p.dataset, { limit: 1, frames: 32, imageSize: 64, seed: 1 });
  ctx.say(clip.note);
  const t = clip.images.shape[1]!;
  const every4 = Array.from({ length: t / 4 }, (_, i) => 4 * i);
  const shown = framesOf(clip.images, 0, every4);
  try {
    ctx.image(await imageGrid(shown, { cols: every4.length, colLabels: every4.map((k) => `t=${k}`), scale: 2 }), `Training clip: every 4th of its ${t} frames.`, 'training-clip');
  } finally {
    shown.dispose();
  }
  return clip;
}

/** Trains (or reloads) the preset on the clip and plots the triangle's terms. The caller disposes the run. */
export async function trainOnClip(ctx: ExperimentContext, preset: string): Promise<TrainingRun> {
  const run = await ctx.train(preset);
  await ctx.plot(lossCurvesFigure(run.history as MetricsRecord[], { terms: ['D', 'mse', 'energyData', 'energyGen', 'kl', 'nllLatent'], smooth: 0.7, title: `${preset}: terms of the triangle` }), 'terms');
  return run;
}

/**
 * Figure 12: 6 frames (t = 0, 6, …, 30) of the training clip, of two generated clips and of the
 * reconstruction g(μ_φ(x)); then space-time slices (the middle row of every frame stacked in time:
 * travelling waves draw slanted stripes, a frozen generator vertical ones, a flickering one noise).
 */
export async function figure12(ctx: ExperimentContext, run: TrainingRun, clip: ImageDataset): Promise<void> {
  const t = clip.images.shape[1]!;
  const h = clip.images.shape[2]!;
  const six = [0, 6, 12, 18, 24, 30].filter((k) => k < t);
  const generated = run.trainer.sample(2, 21);
  const recon = run.trainer.reconstruct(clip.images);
  const slice = (video: tf.Tensor, c: number) => tf.squeeze(tf.slice(video, [c, 0, Math.floor(h / 2), 0, 0], [1, -1, 1, -1, -1]), [0, 2]);
  const grid = tf.tidy(() => tf.concat([framesOf(clip.images, 0, six), framesOf(generated, 0, six), framesOf(generated, 1, six), framesOf(recon, 0, six)]));
  const slices = tf.tidy(() => tf.stack([slice(clip.images, 0), slice(generated, 0), slice(generated, 1)]));
  try {
    const png = await imageGrid(grid, { cols: six.length, labels: ['training clip', 'generated clip 1', 'generated clip 2', 'reconstruction'], colLabels: six.map((k) => `t=${k}`), scale: 2 });
    ctx.image(png, `Figure 12's kind (${run.preset.name}, ${run.preset.dataset}).`, 'figure12-frames');
    ctx.image(await imageGrid(slices, { cols: 3, colLabels: ['training clip', 'generated 1', 'generated 2'], scale: 3 }), 'Space-time slices (x → right, t → down).', 'space-time-slices');
  } finally {
    tf.dispose([generated, recon, grid, slices]);
  }
}

export interface DyntexMeasures extends VideoStatistics {
  reconstructionMse: number;
}

/** videoStatistics of DYNTEX_EVAL clips generated from fresh z, and the training clip's reconstruction error. */
export function measureClips(ctx: ExperimentContext, run: TrainingRun, clip: ImageDataset): DyntexMeasures {
  const { clips, gramStride } = DYNTEX_EVAL[ctx.scale];
  const many = run.trainer.sample(clips, 33);
  const recon = run.trainer.reconstruct(clip.images);
  let m: DyntexMeasures;
  try {
    m = { ...videoStatistics(many, clip.images, { gramStride }), reconstructionMse: mse(clip.images, recon) };
  } finally {
    tf.dispose([many, recon]);
  }
  ctx.table(
    [
      { quantity: 'nearest training-frame MSE per pixel, generated frames', value: m.nearestFrameMse },
      { quantity: 'motion energy (mean |x_t+1 − x_t|), generated', value: m.motionGenerated },
      { quantity: 'motion energy, training clip', value: m.motionTraining },
      { quantity: 'Gram distance to the training frames, generated frames', value: m.gramGenerated },
      { quantity: 'Gram distance, first vs second half of the training clip', value: m.gramHalves },
      { quantity: 'Gram distance, frame-matched Gaussian noise', value: m.gramNoise },
      { quantity: 'reconstruction MSE per pixel of the training clip', value: m.reconstructionMse },
    ],
    `${run.preset.name} on ${run.preset.dataset} (${clips} generated clip${clips > 1 ? 's' : ''})`,
  );
  return m;
}

/** What the measures say (generated from them). */
export function verdict(run: TrainingRun, m: DyntexMeasures): string {
  return (
    `This run (${run.preset.name}, ${run.summary.iterations} iterations): generated clips move with ${((100 * m.motionGenerated) / m.motionTraining).toFixed(0)}% ` +
    `of the training clip's motion energy; their frames are at Gram distance ${m.gramGenerated.toFixed(3)} from the training frames, against ` +
    `${m.gramHalves.toFixed(3)} between the clip's own halves and ${m.gramNoise.toFixed(3)} for matched noise; the nearest training frame is ` +
    `${m.nearestFrameMse.toFixed(3)} away per pixel (${m.nearestFrameMse > 10 * m.reconstructionMse ? 'well above the reconstruction error, so no replay' : 'close to the reconstruction error: the samples resemble training frames'}).`
  );
}

/** notebooks/results/05-dynamic-texture.json's rows and metrics. */
export class DyntexReport extends ResultsReport {
  constructor(ctx: ExperimentContext, clip: ImageDataset) {
    super(ctx, { experiment: '§4.1.5 dynamic texture synthesis (one model per clip)', dataset: clip.note, paper: 'divergence-triangle' });
  }

  add(run: TrainingRun, m: DyntexMeasures): void {
    const setting = `${run.preset.name}, ${run.preset.dataset}`;
    const rows: ResultRow[] = [
      { metric: 'motion energy mean |x_{t+1} − x_t| ([-1, 1]), generated clips', setting, ours: m.motionGenerated, paper: null, note: `training clip: ${m.motionTraining.toFixed(4)}; §4.1.5 has no numbers` },
      { metric: 'nearest training-frame MSE per pixel ([-1, 1]), generated frames', setting, ours: m.nearestFrameMse, paper: null, note: '≈ 0 would mean replayed training frames' },
      { metric: 'Gram distance to the training frames (random multi-scale features)', setting, ours: m.gramGenerated, paper: null, note: `references: halves of the training clip ${m.gramHalves.toFixed(3)}, matched noise ${m.gramNoise.toFixed(3)}` },
      { metric: 'reconstruction MSE per pixel ([-1, 1]) of the training clip', setting, ours: m.reconstructionMse, paper: null, note: 'no number in §4.1.5' },
    ];
    this.addRows({ rows, metrics: { ...m, iterations: run.summary.iterations, trainingSeconds: run.summary.seconds, finalD: run.summary.finalMetrics.D } });
  }
}

/** The whole recipe: the steps notebook 05 calls one by one. */
async function runDyntex(ctx: ExperimentContext): Promise<string> {
  const preset = dyntexPreset(ctx);
  const clip = await trainingClip(ctx, preset);
  try {
    const run = await trainOnClip(ctx, preset);
    try {
      await figure12(ctx, run, clip);
      const m = measureClips(ctx, run, clip);
      ctx.say(verdict(run, m));
      const report = new DyntexReport(ctx, clip);
      report.add(run, m);
      return report.write();
    } finally {
      run.dispose();
    }
  } finally {
    clip.dispose();
  }
}

export const DYNAMIC_TEXTURE: ExperimentInfo = {
  name: '05-dynamic-texture',
  title: '§4.1.5 dynamic textures (Figure 12): one spatio-temporal model per clip, motion and texture statistics',
  paper: 'divergence-triangle',
  run: runDyntex,
};
