/**
 * `dtri train`: one preset, trained into a run folder, with a progress bar. A folder holding another run
 * is refused unless --resume (continue it; only schedule keys may change) or --force (replace it).
 * SIGINT/SIGTERM finish the current iteration, write a checkpoint and exit 130/143; a second one exits
 * at once (the last checkpoint stays intact: every write is atomic).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend, BACKEND_ORDER } from '../backend/index';
import { parseOverrides, presetNames, resolvePreset } from '../train/presets';
import { UserError } from '../errors';
import { runTraining } from '../train/runner';
import { prepareOutputDir } from '../train/run-folder';
import { progressBar } from '../viz/progress';
import { formatHelp, parseFlags, type FlagSpec } from './args';
import type { Command } from './commands';

export const BACKEND_FLAG: FlagSpec = {
  type: 'string',
  help: 'compute backend (default: the fastest that loads; env DTRI_BACKEND)',
  choices: ['auto', ...BACKEND_ORDER],
};

const SPEC: Record<string, FlagSpec> = {
  preset: { type: 'string', help: 'preset name (dtri presets lists them)' },
  out: { type: 'string', help: 'run folder (metrics.jsonl, checkpoint/, summary.json)' },
  backend: BACKEND_FLAG,
  seed: { type: 'int', help: "seed of networks, batches and noise (default: the preset's)" },
  data: { type: 'string', help: 'dataset folder (else DTRI_DATA, data/<name>/, Debian locations)' },
  set: { type: 'list', help: 'override a preset field, e.g. --set batchSize=64 (repeatable)' },
  resume: { type: 'bool', help: 'continue the run in DIR from its checkpoint (schedule keys may change, method/arch/data/seed may not)' },
  force: { type: 'bool', help: 'replace the run DIR holds (its metrics, checkpoint and summary) instead of refusing' },
};

const SIGNAL_CODES: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * A dataset folder the user named that exists but cannot be listed: "unreadable", not "not found"
 * (the dataset lookup treats a folder it cannot read as absent).
 */
export function checkReadableFolder(dir: string, what: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    return; // missing: the dataset lookup reports it with the places it tried
  }
  if (!st.isDirectory()) return;
  try {
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.X_OK);
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'EACCES';
    throw new UserError(`${what} ${path.resolve(dir)} exists but is not readable (${code}): fix its permissions (chmod a+rX) or pass another folder`);
  }
}

export const trainCommand: Command = {
  summary: 'train a preset into a run folder',
  help: () =>
    formatHelp(
      'Usage: dtri train --preset NAME --out DIR [options]',
      `Presets: ${presetNames().join(', ')}`,
      SPEC,
    ),
  async run(argv) {
    const { flags } = parseFlags('train', argv, SPEC);
    if (!flags.preset) throw new UserError('dtri train: --preset NAME is required (dtri presets lists them)');
    if (flags.resume && flags.force) throw new UserError('dtri train: --resume continues the run in --out, --force replaces it: pass one of them');
    if (flags.out === '') throw new UserError('dtri train: --out is empty: pass a folder name, e.g. --out runs/mnist');
    if (flags.resume && flags.out === undefined) throw new UserError('dtri train: --resume needs --out DIR, the run folder to continue');
    const outDir = String(flags.out ?? path.join('runs', `${flags.preset}-${new Date().toISOString().replace(/[:.]/g, '-')}`));
    // --set strings become typed overrides here, at the edge; the library never parses strings.
    const overrides = parseOverrides((flags.set as string[] | undefined) ?? []);
    // --seed N is --set seed=N: the same range check, and on --resume the same refusal of a change.
    if (flags.seed !== undefined) {
      const seed = flags.seed as number;
      if (overrides.seed !== undefined && overrides.seed !== seed) throw new UserError(`dtri train: --seed ${seed} and --set seed=${overrides.seed} disagree: pass one`);
      overrides.seed = seed;
    }
    // Validate preset, overrides and folders before the (slow) backend start, so mistakes fail fast.
    const preset = resolvePreset(String(flags.preset), overrides);
    if (flags.data !== undefined) checkReadableFolder(String(flags.data), '--data folder');
    if (preset.dataset.startsWith('folder:')) checkReadableFolder(preset.dataset.slice('folder:'.length), 'dataset folder');
    prepareOutputDir(outDir);
    const backend = await initBackend({ prefer: (flags.backend as 'auto' | undefined) ?? undefined });
    console.log(backend.describe);
    const bar = progressBar({ label: String(flags.preset) });
    const abort = new AbortController();
    let caught: 'SIGINT' | 'SIGTERM' | undefined;
    const onSignal = (sig: 'SIGINT' | 'SIGTERM') => {
      if (caught) {
        process.stderr.write(`\n${sig} again: exiting now without a new checkpoint (the last one written is intact)\n`);
        process.exit(SIGNAL_CODES[sig]);
      }
      caught = sig;
      process.stderr.write(`\n${sig}: finishing the current iteration and writing a checkpoint (${sig} again to exit at once)\n`);
      abort.abort();
    };
    const onInt = () => onSignal('SIGINT');
    const onTerm = () => onSignal('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    try {
      const run = await runTraining({
        preset: flags.resume ? preset.name : preset,
        overrides: flags.resume ? overrides : {},
        outDir,
        dataDir: flags.data as string | undefined,
        resume: Boolean(flags.resume),
        existingRun: flags.force ? 'overwrite' : 'refuse',
        onProgress: (p) => bar.update(p),
        onNote: (line) => process.stderr.write(`note: ${line}\n`),
        signal: abort.signal,
      });
      const { status, iterations, total, seconds, checkpoint } = run.summary;
      run.dispose();
      if (status === 'aborted') {
        bar.done(`stopped by ${caught ?? 'abort'} at iteration ${iterations}/${total}: checkpoint ${checkpoint ?? 'none'}; continue with dtri train --preset ${preset.name} --out ${outDir} --resume`);
        return SIGNAL_CODES[caught ?? 'SIGINT'];
      }
      bar.done(`${status}: ${iterations}/${total} iterations in ${seconds.toFixed(0)} s → ${run.outDir}`);
      return status === 'completed' ? 0 : 1;
    } finally {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    }
  },
};
