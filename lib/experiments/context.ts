/**
 * What an experiment recipe needs from where it runs: the scale, the backend, a place for training runs
 * shared by every experiment (a run trained by one notebook is reloaded by the next that needs the same
 * preset), and a display that is a tslab output in a notebook and files plus console lines headless
 * (`dtri experiment`). A recipe calls only these, so the notebook and the CLI run the same code.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';
import { progressDisplay, showImage, showPlot, showTable } from '../viz/notebook';
import { inNotebook } from '../viz/tslab';
import { readMetricsJsonl } from '../viz/report';
import type { MetricsRecord } from '../train/runner';
import { chromiumAvailable, exportFigure } from '../viz/export';
import { figureTitle, type PlotlyFigure } from '../viz/plotly';
import { runTraining, type TrainingCallbacks, type TrainingRun } from '../train/runner';
import { PRESETS, type PresetOverrides } from '../train/presets';
import type { ImageDataset } from '../data/types';
import { projectRoot, SCALES, startNotebook, type NotebookResults, type NotebookSession, type ResultRow, type Scale } from '../notebook/session';

type Cell = string | number | boolean | null | undefined;

export interface ExperimentContext {
  /** e.g. '01-object-generation': the notebook's name and its results file's */
  readonly name: string;
  readonly scale: Scale;
  readonly session: NotebookSession;
  /** Training runs of every experiment: <project>/runs/experiments/<preset> (DTRI_RUNS_DIR overrides). */
  readonly runsDir: string;
  /** Headless only: where figures are written (PNG, and SVG for plots). Null in a notebook. */
  readonly figuresDir: string | null;
  /** Seconds since the experiment started. */
  elapsed(): number;
  /**
   * Trains `preset` into runsDir/<preset>, or reloads the finished run there (a run stopped early
   * continues). The caller disposes the run.
   */
  train(preset: string, label?: string, opts?: ExperimentTrainOptions): Promise<TrainingRun>;
  /** A PNG (sample grid, reconstructions, graph): shown inline, or written to figuresDir/<file>.png. */
  image(png: Uint8Array, caption: string, file: string): void;
  /** A plotly figure: interactive inline; headless figuresDir/<file>.svg (.json where no Chromium renders it). */
  plot(fig: PlotlyFigure, file: string): Promise<void>;
  table(rows: readonly Readonly<Record<string, Cell>>[], caption: string): void;
  /** One line of the story (console in both places). */
  say(line: string): void;
  /** notebooks/results/<name>.json (DTRI_RESULTS_DIR overrides); returns its path. */
  writeResults(r: Omit<NotebookResults, 'notebook' | 'preset' | 'backend' | 'date' | 'seconds'>): string;
}

export interface ExperimentTrainOptions {
  /** The runner's per-iteration / per-epoch hooks (snapshots during training). */
  callbacks?: TrainingCallbacks;
  /**
   * Train from scratch even where a finished run exists (for recipes whose figures come from the
   * callbacks, which a reloaded run never calls). Default false.
   */
  retrain?: boolean;
  /** Train on these examples instead of loading the preset's dataset (not disposed by the run). */
  dataset?: ImageDataset;
  /** The preset with these fields changed (a controlled run); needs `folder`, so it never mixes with the preset's own run. */
  overrides?: PresetOverrides;
  /** The run's folder under runsDir (default: the preset's name). */
  folder?: string;
}

export interface StartExperimentOptions {
  /** Default: DTRI_PRESET, else 'quick'. */
  scale?: Scale;
  /** Headless figure folder; default runs/experiments/figures/<name>-<scale> outside a notebook. */
  figuresDir?: string;
  runsDir?: string;
  /** Metric keys shown by the progress display (default: all the trainer logs). */
  shownMetrics?: string[];
}

export function experimentRunsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DTRI_RUNS_DIR ?? path.join(projectRoot(), 'runs', 'experiments');
}

/** Starts an experiment: backend, scale and a display for where it runs (a notebook or `dtri experiment`). */
export async function startExperiment(name: string, opts: StartExperimentOptions = {}): Promise<ExperimentContext> {
  if (opts.scale !== undefined && !SCALES.includes(opts.scale)) throw new UserError(`scale "${opts.scale}" is not one of ${SCALES.join(', ')}`);
  if (opts.scale !== undefined) process.env.DTRI_PRESET = opts.scale;
  const session = await startNotebook(name);
  const runsDir = opts.runsDir ?? experimentRunsDir();
  const headless = !inNotebook();
  const figuresDir = headless ? (opts.figuresDir ?? path.join(runsDir, 'figures', `${name}-${session.scale}`)) : null;
  if (figuresDir) fs.mkdirSync(figuresDir, { recursive: true });
  const shown = opts.shownMetrics;
  return {
    name,
    scale: session.scale,
    session,
    runsDir,
    figuresDir,
    elapsed: () => session.elapsed(),
    async train(preset, label, trainOpts = {}) {
      if (!PRESETS[preset]) throw new UserError(`experiment ${name}: no preset "${preset}" (dtri presets lists them)`);
      const overrides = trainOpts.overrides ?? {};
      if (Object.keys(overrides).length && !trainOpts.folder) throw new UserError(`experiment ${name}: ${preset} with overrides needs a folder of its own (train(preset, label, { overrides, folder }))`);
      const progress = progressDisplay({ label: label ?? preset });
      const outDir = path.join(runsDir, trainOpts.folder ?? preset);
      const run = await runTraining({
        preset,
        overrides,
        outDir,
        resume: !trainOpts.retrain,
        existingRun: 'overwrite',
        callbacks: trainOpts.callbacks,
        dataset: trainOpts.dataset,
        onProgress: (p) => progress.update(shown ? { ...p, metrics: Object.fromEntries(Object.entries(p.metrics).filter(([k]) => shown.includes(k))) } : p),
      });
      const reused = run.summary.resumedFrom !== null && run.summary.resumedFrom >= run.summary.total;
      // a reloaded run logged nothing this session: its curves are the folder's metrics.jsonl
      const logged = path.join(outDir, 'metrics.jsonl');
      if (run.history.length === 0 && fs.existsSync(logged)) run.history.push(...(readMetricsJsonl(logged).rows as unknown as MetricsRecord[]));
      progress.done(reused ? `reused the finished run in ${outDir} (${run.summary.iterations} iterations)` : `${run.summary.iterations} iterations in ${run.summary.seconds.toFixed(0)} s (${run.summary.status})`);
      return run;
    },
    image(png, caption, file) {
      if (figuresDir) {
        const out = path.join(figuresDir, `${file}.png`);
        fs.writeFileSync(out, png);
        console.log(`[figure] ${caption} → ${out}`);
      } else showImage(png, { caption });
    },
    async plot(fig, file) {
      if (figuresDir) {
        const out = path.join(figuresDir, chromiumAvailable() ? `${file}.svg` : `${file}.json`);
        if (out.endsWith('.svg')) await exportFigure(fig, out);
        else fs.writeFileSync(out, JSON.stringify(fig));
        console.log(`[figure] ${(figureTitle(fig) ?? file).replace(/<br>.*$/, '')} → ${out}`);
      } else await showPlot(fig);
    },
    table(rows, caption) {
      showTable(rows, { caption });
    },
    say(line) {
      console.log(line);
    },
    writeResults(r) {
      return session.writeResults(r);
    },
  };
}

/** One experiment section of either paper: its notebook's name and the recipe `dtri experiment` runs. */
export interface ExperimentInfo {
  /** the notebook's name, e.g. '08-incomplete-data' */
  name: string;
  /** e.g. '§4.4 learning from incomplete data (Table 3)' */
  title: string;
  paper: 'divergence-triangle' | 'latent-ebm';
  /** The whole recipe, headless: the steps the notebook calls one by one; returns the results file. */
  run(ctx: ExperimentContext): Promise<string>;
}

/** What a results file says about itself besides its rows and metrics. */
export type ResultsHeader = Pick<NotebookResults, 'experiment' | 'dataset' | 'paper'>;

/** Rows and metrics an experiment collects while it runs; written once at the end as its results file. */
export class ResultsReport {
  readonly rows: ResultRow[] = [];
  readonly metrics: Record<string, number | null> = {};
  constructor(
    protected readonly ctx: ExperimentContext,
    private readonly header: ResultsHeader,
  ) {}

  /** Appends rows and merges metric keys (a later key replaces an earlier one). */
  addRows(r: { rows: readonly ResultRow[]; metrics: Record<string, number | null> }): void {
    this.rows.push(...r.rows);
    Object.assign(this.metrics, r.metrics);
  }

  /** Writes notebooks/results/<experiment>.json; returns its path. */
  write(): string {
    return this.ctx.writeResults({ ...this.header, metrics: this.metrics, rows: this.rows });
  }
}
