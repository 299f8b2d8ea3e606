/**
 * `dtri experiment NAME --scale quick|cpu|paper`: one experiment section headless, the same recipe its
 * notebook steps through (lib/experiments), writing the same notebooks/results/NAME.json and its
 * figures to a folder instead of notebook outputs.
 */
import { UserError } from '../errors';
import { EXPERIMENTS, experimentNames } from '../experiments/registry';
import { startExperiment } from '../experiments/context';
import { SCALES, type Scale } from '../notebook/session';
import { closeFigureBrowser } from '../viz/export';
import { BACKEND_ORDER } from '../backend/index';
import { formatHelp, parseFlags, type FlagSpec } from './args';
import type { Command } from './commands';

const SPEC: Record<string, FlagSpec> = {
  scale: { type: 'string', default: 'quick', help: `${SCALES.join(' | ')} (the notebooks' DTRI_PRESET)` },
  figures: { type: 'string', help: 'folder for the figures (default runs/experiments/figures/NAME-SCALE)' },
  backend: { type: 'string', help: `${BACKEND_ORDER.join(' | ')} (default: the fastest available)` },
  list: { type: 'bool', help: 'list the experiments and exit' },
};

export const experimentCommand: Command = {
  summary: 'run one experiment section (a notebook\'s recipe) headless and write its results JSON',
  help: () =>
    formatHelp(
      'Usage: dtri experiment NAME [--scale quick|cpu|paper] [--figures DIR]',
      `Experiments: ${experimentNames().join(', ')}. Training runs are shared with the notebooks (runs/experiments/<preset>): a finished run is reloaded, not retrained.`,
      SPEC,
    ),
  async run(argv) {
    const { flags, positional } = parseFlags('experiment', argv, SPEC, { positional: 1 });
    if (flags.list) {
      for (const e of EXPERIMENTS) console.log(`${e.name.padEnd(28)} ${e.title}`);
      return 0;
    }
    const name = positional[0];
    if (!name) throw new UserError(`dtri experiment: name the experiment, one of ${experimentNames().join(', ')}`);
    const info = EXPERIMENTS.find((e) => e.name === name || e.name.replace(/^\d+-/, '') === name);
    if (!info) throw new UserError(`dtri experiment: no experiment "${name}"; use one of ${experimentNames().join(', ')}`);
    const scale = String(flags.scale);
    if (!(SCALES as readonly string[]).includes(scale)) throw new UserError(`dtri experiment: --scale ${scale} is not one of ${SCALES.join(', ')}`);
    if (flags.backend !== undefined) {
      if (!(BACKEND_ORDER as readonly string[]).includes(String(flags.backend))) throw new UserError(`dtri experiment: --backend ${flags.backend} is not one of ${BACKEND_ORDER.join(', ')}`);
      process.env.DTRI_BACKEND = String(flags.backend);
    }
    try {
      const ctx = await startExperiment(info.name, { scale: scale as Scale, figuresDir: flags.figures as string | undefined });
      const file = await info.run(ctx);
      console.log(`${info.name} (${scale}): results ${file}; figures ${ctx.figuresDir}; ${ctx.elapsed().toFixed(0)} s`);
    } finally {
      await closeFigureBrowser();
    }
    return 0;
  },
};
