/** Shared by the experiment tests: runs and results in a temporary folder, the environment restored after. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const KEYS = ['DTRI_RUNS_DIR', 'DTRI_RESULTS_DIR', 'DTRI_PRESET'] as const;

/** Calls fn with DTRI_RUNS_DIR and DTRI_RESULTS_DIR pointing into a fresh temporary folder (removed after). */
export async function withExperimentDirs<T>(fn: (dirs: { runs: string; results: string }) => Promise<T>): Promise<T> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-exp-'));
  const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));
  const dirs = { runs: path.join(tmp, 'runs'), results: path.join(tmp, 'results') };
  process.env.DTRI_RUNS_DIR = dirs.runs;
  process.env.DTRI_RESULTS_DIR = dirs.results;
  try {
    return await fn(dirs);
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
