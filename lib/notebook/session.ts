/**
 * What every notebook does first and last: pick the scale from DTRI_PRESET, start the fastest backend and
 * say which, then write its results JSON (notebooks/results/<notebook>.json, generated into README's table).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend, type BackendReport } from '../backend/index';
import { UserError } from '../errors';

export type Scale = 'quick' | 'cpu' | 'paper';
export const SCALES: readonly Scale[] = ['quick', 'cpu', 'paper'];

/** One reported number next to the paper's, with the conventions that make them comparable (or not). */
export interface ResultRow {
  /** e.g. "MSE per pixel, [-1,1]" */
  metric: string;
  /** what the row is about, e.g. "triangle, Fashion-MNIST" */
  setting: string;
  ours: number | null;
  paper: number | null;
  /** the honest sentence: why ours may differ (scale, data subset, classifier FID …) */
  note?: string;
}

export interface NotebookResults {
  experiment: string;
  notebook: string;
  preset: Scale;
  dataset: string;
  backend: string;
  date: string;
  seconds: number;
  metrics: Record<string, number | null>;
  rows: ResultRow[];
  paper: string;
}

export interface NotebookSession {
  notebook: string;
  scale: Scale;
  backend: BackendReport;
  /** seconds since the session started */
  elapsed(): number;
  /** Writes the results JSON and returns its path. */
  writeResults(r: Omit<NotebookResults, 'notebook' | 'preset' | 'backend' | 'date' | 'seconds'>): string;
}

/** Resolves the scale from DTRI_PRESET (default `quick`), rejecting anything else with the valid names. */
export function scaleFromEnv(env: NodeJS.ProcessEnv = process.env): Scale {
  const raw = (env.DTRI_PRESET ?? 'quick').trim();
  if (!(SCALES as readonly string[]).includes(raw)) {
    throw new UserError(`DTRI_PRESET="${raw}" is not a scale; use one of ${SCALES.join(', ')}`);
  }
  return raw as Scale;
}

/** Finds the project root (the folder with this package's package.json) from the compiled or source file. */
export function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'divergence-triangle') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('divergence-triangle: cannot find the project root from ' + __dirname);
    dir = up;
  }
}

/** Where results go: DTRI_RESULTS_DIR (npm test points it at a temporary folder) else notebooks/results. */
export function resultsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DTRI_RESULTS_DIR ?? path.join(projectRoot(), 'notebooks', 'results');
}

export async function startNotebook(notebook: string): Promise<NotebookSession> {
  const scale = scaleFromEnv();
  const backend = await initBackend();
  const t0 = Date.now();
  console.log(`${notebook} · preset ${scale} · ${backend.describe}`);
  return {
    notebook,
    scale,
    backend,
    elapsed: () => (Date.now() - t0) / 1000,
    writeResults(r) {
      const full: NotebookResults = {
        ...r,
        notebook,
        preset: scale,
        backend: backend.name,
        date: new Date().toISOString().slice(0, 10),
        seconds: Math.round((Date.now() - t0) / 1000),
      };
      const dir = resultsDir();
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `${notebook}.json`);
      fs.writeFileSync(file + '.tmp', JSON.stringify(full, null, 2) + '\n');
      fs.renameSync(file + '.tmp', file);
      return file;
    },
  };
}
