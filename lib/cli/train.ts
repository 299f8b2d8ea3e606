/** `dtri train`: one preset, trained into a run folder, with a progress bar. */
import * as path from 'node:path';
import { initBackend, BACKEND_ORDER } from '../backend/index';
import { parseOverrides, presetNames, resolvePreset } from '../train/presets';
import { UserError } from '../errors';
import { runTraining } from '../train/runner';
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
  resume: { type: 'bool', help: 'continue from DIR/checkpoint when it exists' },
};

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
    const outDir = String(flags.out ?? path.join('runs', `${flags.preset}-${new Date().toISOString().replace(/[:.]/g, '-')}`));
    const overrides = parseOverrides((flags.set as string[] | undefined) ?? []);
    // Validate preset and overrides before the (slow) backend start, so mistakes fail fast.
    const preset = resolvePreset(String(flags.preset), overrides);
    const backend = await initBackend({ prefer: (flags.backend as 'auto' | undefined) ?? undefined });
    console.log(backend.describe);
    const bar = progressBar({ label: String(flags.preset) });
    const abort = new AbortController();
    const onSigint = () => abort.abort();
    process.once('SIGINT', onSigint);
    try {
      const run = await runTraining({
        preset: flags.resume ? preset.name : preset,
        overrides: flags.resume ? overrides : {},
        outDir,
        seed: flags.seed as number | undefined,
        dataDir: flags.data as string | undefined,
        resume: Boolean(flags.resume),
        onProgress: (p) => bar.update(p),
        signal: abort.signal,
      });
      bar.done(`${run.summary.status}: ${run.summary.iterations}/${run.summary.total} iterations in ${run.summary.seconds.toFixed(0)} s → ${run.outDir}`);
      const status = run.summary.status;
      run.dispose();
      return status === 'completed' ? 0 : status === 'aborted' ? 130 : 1;
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};
