/**
 * The divergence triangle on 2-D mixtures (notebook 00; the paper has no 2-D experiment): the energy as a
 * contour map with the data and the generator's samples on top, the inference codes in the 2-D latent
 * space, and two checks that are exact on a Gaussian mixture — every mode gets generator samples (no mode
 * collapse), and the energy has a local minimum near every mode (§4.3's "data as local energy minima"),
 * found by the same steepest descent §4.3 maps MNIST with (lib/landscape minimaNearModes).
 */
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../data/datasets';
import { toy2dModes, toy2dSpec, type Toy2dName } from '../data/synthetic';
import type { Ebm, InferenceNet } from '../models/types';
import { ebmLandscapeScore } from '../landscape/score';
import { energyGrid2d, minimaNearModes, modeCoverage, type ModeCoverage, type ModeMinima } from '../landscape/modes';
import type { ResultRow, Scale } from '../notebook/session';
import { PRESETS } from '../train/presets';
import type { TrainPreset } from '../train/presets';
import type { MetricsRecord, TrainingRun } from '../train/runner';
import { contourFigure, lossCurvesFigure } from '../viz/figures';
import type { PlotlyFigure } from '../viz/plotly';
import { scatterFigure } from '../viz/scatter';
import { ResultsReport, type ExperimentContext, type ExperimentInfo } from './context';

/** Per scale: the preset, the half-width of the square shown and searched, and the grids (points per side). */
export const TOY_SETTINGS: Record<Scale, { preset: string; box: number; contour: number; starts: number }> = {
  quick: { preset: 'toy2d-quick', box: 3, contour: 61, starts: 31 },
  cpu: { preset: 'toy2d-cpu', box: 5.5, contour: 81, starts: 45 },
  paper: { preset: 'toy2d-cpu', box: 5.5, contour: 81, starts: 45 },
};
/** A sample hits a mode within this distance of its centre. */
export const SAMPLE_RADIUS = 0.5;
/** A local minimum "is at" a mode within this distance. */
export const MINIMUM_RADIUS = 0.3;
/** Fresh generator samples of the coverage check. */
const COVERAGE_SAMPLES = 5000;
/** Training points whose inference codes are tracked. */
const PROBE_POINTS = 800;

/** What one scale of the experiment runs on. */
export interface ToySetup {
  preset: TrainPreset;
  data: Toy2dName;
  modes: number[][];
  bounds: [number, number];
  contour: number;
  starts: number;
  /** Iterations at which the energy, samples and codes are recorded. */
  snapshotAt: number[];
}

export function toySetup(ctx: ExperimentContext): ToySetup {
  const s = TOY_SETTINGS[ctx.scale];
  const preset = PRESETS[s.preset];
  const data = preset.dataset as Toy2dName;
  const total = preset.iterations;
  const snapshotAt = [...new Set([Math.round(total / 20), Math.round(total / 5), Math.round(total / 2), total])];
  ctx.say(`${preset.name}: ${preset.description}`);
  ctx.say(`data: ${toy2dSpec(data).description}; snapshots at iterations ${snapshotAt.join(', ')}`);
  return { preset, data, modes: toy2dModes(data), bounds: [-s.box, s.box], contour: s.contour, starts: s.starts, snapshotAt };
}

/** The energy on a grid, generator samples and inference means at one iteration. */
export interface Snapshot {
  iteration: number;
  energy: { x: number[]; y: number[]; z: Float32Array[] };
  samples: number[][];
  codes: number[][];
}

/** The tracked training points: coordinates and the mode that drew each. */
export interface Probe {
  points: number[][];
  labels: number[];
}

/**
 * Trains the scale's preset from scratch (the snapshots come from the runner's onIteration hook, which a
 * reloaded run never calls), recording a Snapshot at each of setup.snapshotAt. The caller disposes the run.
 */
export async function trainWithSnapshots(ctx: ExperimentContext, setup: ToySetup): Promise<{ run: TrainingRun; snapshots: Snapshot[]; probe: Probe }> {
  const probeSet = await loadDataset(setup.data, { split: 'train', limit: PROBE_POINTS, seed: 11 });
  const snapshots: Snapshot[] = [];
  try {
    const run = await ctx.train(setup.preset.name, `triangle · ${setup.data}`, {
      retrain: true,
      callbacks: {
        async onIteration({ iteration, trainer }) {
          if (!setup.snapshotAt.includes(iteration)) return;
          const m = trainer.modules() as unknown as { ebm: Ebm; inference: InferenceNet };
          const energy = await energyGrid2d(ebmLandscapeScore(m.ebm), setup.bounds, setup.contour);
          const s = trainer.sample(1000, 7);
          const mu = tf.tidy(() => m.inference.encode(probeSet.images, false).mu);
          snapshots.push({ iteration, energy, samples: (await s.array()) as number[][], codes: (await mu.array()) as number[][] });
          tf.dispose([s, mu]);
        },
      },
    });
    ctx.say(`${run.summary.iterations} iterations in ${run.summary.seconds.toFixed(1)} s (${run.summary.itPerSec.toFixed(1)} it/s) on ${run.summary.backend}; ${run.dataset.note}`);
    return { run, snapshots, probe: { points: (await probeSet.images.array()) as number[][], labels: Array.from(probeSet.labels!) } };
  } finally {
    probeSet.dispose();
  }
}

const xy = (pts: readonly number[][]) => ({ x: pts.map((p) => p[0]), y: pts.map((p) => p[1]) });

/** contourFigure with its title at the top and room for the legend below it. */
function titledContour(fig: PlotlyFigure): PlotlyFigure {
  return {
    ...fig,
    layout: { ...fig.layout, height: 520, margin: { ...(fig.layout.margin as Record<string, number>), t: 86 }, title: { ...(fig.layout.title as Record<string, unknown>), y: 0.985, yanchor: 'top' } },
  };
}

/** One contour map per snapshot: E = −f (bright = low), data in white, samples on top. */
export async function snapshotFigures(ctx: ExperimentContext, setup: ToySetup, snapshots: readonly Snapshot[], probe: Probe): Promise<void> {
  for (const snap of snapshots) {
    const fig = contourFigure(snap.energy, {
      title: `iteration ${snap.iteration} of ${setup.preset.iterations}: energy −f<sub>α</sub>(x), data, samples`,
      zTitle: 'E = −f',
      scatter: { data: xy(probe.points.slice(0, 400)), 'generator samples': xy(snap.samples.slice(0, 400)) },
      markerSize: 4,
    });
    await ctx.plot(titledContour(fig), `energy-iteration-${snap.iteration}`);
  }
}

/** Inference means μ_φ(x) of the tracked points, one colour per mode, at the first and the last snapshot. */
export async function codeFigures(ctx: ExperimentContext, snapshots: readonly Snapshot[], probe: Probe): Promise<void> {
  const byMode = (codes: number[][]) => {
    const groups: Record<string, { x: number[]; y: number[] }> = {};
    codes.forEach((c, i) => {
      const g = (groups[`mode ${probe.labels[i]}`] ??= { x: [], y: [] });
      g.x.push(c[0]);
      g.y.push(c[1]);
    });
    return Object.fromEntries(Object.entries(groups).sort(([a], [b]) => Number(a.slice(5)) - Number(b.slice(5))));
  };
  for (const snap of [snapshots[0], snapshots[snapshots.length - 1]]) {
    const fig = scatterFigure(byMode(snap.codes), { title: `inference means μ<sub>φ</sub>(x) by mode, iteration ${snap.iteration}`, xTitle: 'z₁', yTitle: 'z₂', markerSize: 4 });
    await ctx.plot(fig, `codes-iteration-${snap.iteration}`);
  }
}

/** The logged terms: recon and kl of KL(Q‖P), the energies of data and samples, D, the latent NLL. */
export async function lossFigure(ctx: ExperimentContext, run: TrainingRun): Promise<void> {
  const terms = ['D', 'recon', 'kl', 'energyData', 'energyGen', 'nllLatent'].filter((k) => run.history.some((r) => typeof r[k] === 'number'));
  await ctx.plot(lossCurvesFigure(run.history as MetricsRecord[], { terms, smooth: 0.8 }), 'loss-terms');
}

export interface ToyMeasures {
  coverage: ModeCoverage;
  minima: ModeMinima;
}

/**
 * Coverage of COVERAGE_SAMPLES fresh samples and the local minima of E from a grid of descent starts;
 * draws the final landscape with its minima and the per-mode table.
 */
export async function measure(ctx: ExperimentContext, setup: ToySetup, run: TrainingRun, snapshots: readonly Snapshot[], probe: Probe): Promise<ToyMeasures> {
  const fresh = run.trainer.sample(COVERAGE_SAMPLES, 2024);
  let freshXY: number[][];
  let coverage: ModeCoverage;
  try {
    coverage = modeCoverage(fresh, setup.modes, { radius: SAMPLE_RADIUS });
    freshXY = (await fresh.array()) as number[][];
  } finally {
    fresh.dispose();
  }
  const minima = await minimaNearModes(ebmLandscapeScore(run.models.ebm!), setup.modes, { bounds: setup.bounds, grid: setup.starts, radius: MINIMUM_RADIUS });
  const interior = minima.minima.filter((_, k) => minima.converged[k] && !minima.onBoundary[k]);
  const final = snapshots[snapshots.length - 1];
  const fig = contourFigure(final.energy, {
    title: `after training: local minima of E (${interior.length}), data, samples`,
    zTitle: 'E = −f',
    scatter: { data: xy(probe.points.slice(0, 400)), 'generator samples': xy(freshXY.slice(0, 600)), 'local minima': xy(interior) },
    markerSize: 5,
  });
  await ctx.plot(titledContour(fig), 'energy-minima');
  ctx.table(
    setup.modes.map((m, k) => ({
      mode: k,
      centre: `(${m[0].toFixed(2)}, ${m[1].toFixed(2)})`,
      [`samples within ${SAMPLE_RADIUS}`]: coverage.counts[k],
      'share %': (100 * coverage.counts[k]) / COVERAGE_SAMPLES,
      'nearest minimum': Number.isFinite(minima.modeDistance[k]) ? minima.modeDistance[k] : null,
    })),
    'Per mode: generator samples that hit it, and the distance to the nearest local minimum of E',
  );
  ctx.say(`modes covered ${coverage.covered}/${coverage.modes}; samples near some mode ${(100 * coverage.nearFraction).toFixed(1)}%`);
  ctx.say(`modes with a local minimum within ${MINIMUM_RADIUS}: ${minima.modesWithMinimum}/${setup.modes.length}; spurious minima ${minima.spurious}; minima on the box's edge ${minima.onBoundary.reduce((a, b) => a + b, 0)}; unconverged ${minima.converged.filter((c) => !c).length} (${minima.starts} starts)`);
  return { coverage, minima };
}

/** The sentences the measurements support (generated, so they hold at every scale). */
export function verdict(setup: ToySetup, m: ToyMeasures): string[] {
  const { coverage, minima } = m;
  const k = setup.modes.length;
  const missing = setup.modes.map((_, i) => i).filter((i) => !(minima.modeDistance[i] < MINIMUM_RADIUS));
  return [
    coverage.covered === k
      ? `No mode collapse: every one of the ${k} modes gets generator samples (the least covered: ${((100 * Math.min(...coverage.counts)) / COVERAGE_SAMPLES).toFixed(1)}% of them); ${(100 * coverage.nearFraction).toFixed(0)}% of all samples lie within ${SAMPLE_RADIUS} of a mode, the rest in between.`
      : `Mode collapse: only ${coverage.covered} of ${k} modes get at least 1% of the samples.`,
    minima.modesWithMinimum === k
      ? `Minima at the data: the energy has a local minimum within ${MINIMUM_RADIUS} of every mode.`
      : `Minima at the data, partly: the energy has a local minimum within ${MINIMUM_RADIUS} of ${minima.modesWithMinimum} of the ${k} modes; near mode(s) ${missing.join(', ')} the descent slides on (the nearest minimum is ${missing.map((i) => (Number.isFinite(minima.modeDistance[i]) ? minima.modeDistance[i].toFixed(2) : '∞')).join(', ')} away).`,
    `${minima.spurious} further local minima lie away from every mode (${minima.spurious > k ? 'more than there are modes: the leaky-ReLU energy has many small dents between the wells' : 'few'}).`,
  ];
}

/** The rows and metrics of notebooks/results/00-toy-triangle.json. */
export class ToyReport extends ResultsReport {
  constructor(ctx: ExperimentContext, setup: ToySetup) {
    super(ctx, { experiment: '2-D mixture: mode coverage and energy minima (no paper counterpart)', dataset: setup.data, paper: 'divergence-triangle' });
  }

  add(setup: ToySetup, run: TrainingRun, m: ToyMeasures): void {
    const { coverage, minima } = m;
    const setting = `${setup.preset.name}, ${setup.data}`;
    const k = setup.modes.length;
    const rows: ResultRow[] = [
      { metric: `modes covered (≥1% of samples within ${SAMPLE_RADIUS})`, setting, ours: coverage.covered, paper: null, note: `of ${k} modes; the paper has no 2-D experiment` },
      { metric: `samples within ${SAMPLE_RADIUS} of a mode, %`, setting, ours: Number((100 * coverage.nearFraction).toFixed(1)), paper: null, note: `${COVERAGE_SAMPLES.toLocaleString('en-US')} samples g(z), z ~ N(0, I)` },
      { metric: `modes with a local minimum of E within ${MINIMUM_RADIUS}`, setting, ours: minima.modesWithMinimum, paper: null, note: `of ${k}; steepest descent from a ${setup.starts}×${setup.starts} grid (§4.3's descent)` },
      { metric: `spurious local minima (farther than ${MINIMUM_RADIUS} from every mode)`, setting, ours: minima.spurious, paper: null, note: 'converged, inside the box' },
    ];
    this.addRows({
      rows,
      metrics: { modesCovered: coverage.covered, modes: k, nearFraction: coverage.nearFraction, modesWithMinimum: minima.modesWithMinimum, spuriousMinima: minima.spurious, iterations: run.summary.iterations },
    });
  }
}

/** The whole recipe: the steps notebook 00 calls one by one. */
async function runToy(ctx: ExperimentContext): Promise<string> {
  const setup = toySetup(ctx);
  const { run, snapshots, probe } = await trainWithSnapshots(ctx, setup);
  try {
    await snapshotFigures(ctx, setup, snapshots, probe);
    await codeFigures(ctx, snapshots, probe);
    await lossFigure(ctx, run);
    const m = await measure(ctx, setup, run, snapshots, probe);
    for (const line of verdict(setup, m)) ctx.say(line);
    const report = new ToyReport(ctx, setup);
    report.add(setup, run, m);
    return report.write();
  } finally {
    run.dispose();
  }
}

export const TOY_TRIANGLE: ExperimentInfo = {
  name: '00-toy-triangle',
  title: 'The triangle on 2-D mixtures: energy contours, samples, codes; mode coverage and minima at the modes',
  paper: 'divergence-triangle',
  run: runToy,
};
