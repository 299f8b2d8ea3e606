/** `dtri landscape`: maps the learned energy of a checkpoint and draws its disconnectivity graph (§4.3). */
import * as path from 'node:path';
import { initBackend } from '../backend/index';
import { UserError } from '../errors';
import { checkLandscapeRun, LANDSCAPE_SPACES, LANDSCAPE_SUPPORTS, mapTrainedRun, writeLandscapeFiles, type LandscapeSpace, type LandscapeSupport } from '../experiments/landscape';
import type { LandscapeMethod } from '../landscape/map';
import { loadTrainedModels } from '../train/runner';
import { prepareOutputDir } from '../train/run-folder';
import { closeFigureBrowser } from '../viz/export';
import { BACKEND_FLAG } from './train';
import { formatHelp, parseFlags, type FlagSpec } from './args';
import type { Command } from './commands';

const SPEC: Record<string, FlagSpec> = {
  checkpoint: { type: 'string', help: 'a run folder (or its checkpoint/ or .ckpt file)' },
  out: { type: 'string', help: 'output folder (default: <run>/landscape)' },
  method: { type: 'string', help: 'barrier estimate', choices: ['linear', 'ad'], default: 'linear' },
  minima: { type: 'int', help: 'keep at most this many minima for the barriers (starts whose minimum is dropped join no basin)', default: 500 },
  starts: { type: 'int', help: 'test images the descents start from', default: 500 },
  threshold: { type: 'string', help: 'energy ε at which the tree is cut into basins (b_ij < ε ⇒ one basin; default: the ε giving the most basins of ≥ 4 members)' },
  support: { type: 'string', help: "where descents may go: all (the box [-1, 1]^D, the paper's) or data (only pixels some training image lights)", choices: LANDSCAPE_SUPPORTS, default: 'all' },
  space: { type: 'string', help: "where descents run: image (the paper's) or latent (the generator's codes from μ(x), E(z) = ½‖z‖² − f(g(z)); needs a generator and an inference model)", choices: LANDSCAPE_SPACES, default: 'image' },
  data: { type: 'string', help: 'dataset folder (as dtri train)' },
  backend: BACKEND_FLAG,
  seed: { type: 'int', help: 'seed of attraction-diffusion', default: 1 },
};

export const landscapeCommand: Command = {
  summary: "map a checkpoint's energy landscape and draw its disconnectivity graph",
  help: () =>
    formatHelp(
      'Usage: dtri landscape --checkpoint DIR --out DIR2 [--method linear|ad] [--minima N] [--threshold E] [--support all|data] [--space image|latent]',
      'Writes landscape.json (minima, barriers, tree, basins, purity), landscape.svg and landscape.png.',
      SPEC,
    ),
  async run(argv) {
    const { flags } = parseFlags('landscape', argv, SPEC);
    if (!flags.checkpoint) throw new UserError('dtri landscape: --checkpoint DIR is required (a run folder of dtri train)');
    for (const k of ['minima', 'starts'] as const) {
      if ((flags[k] as number) < 1) throw new UserError(`dtri landscape: --${k} must be at least 1`);
    }
    const threshold = flags.threshold === undefined ? undefined : Number(flags.threshold);
    if (threshold !== undefined && !Number.isFinite(threshold)) throw new UserError(`dtri landscape: --threshold takes an energy, e.g. --threshold 2.5 (got "${flags.threshold}")`);
    if (flags.space === 'latent' && flags.support === 'data') throw new UserError('dtri landscape: --support data confines pixels of image-space descents; drop it with --space latent');
    if (flags.out !== undefined) prepareOutputDir(String(flags.out)); // a file or unwritable place fails now, not after the mapping
    const backend = await initBackend({ prefer: (flags.backend as 'auto' | undefined) ?? undefined });
    console.log(backend.describe);
    const loaded = loadTrainedModels(String(flags.checkpoint));
    try {
      checkLandscapeRun(loaded.preset, loaded.models.ebm, `dtri landscape: ${loaded.file}`);
    } catch (e) {
      for (const m of Object.values(loaded.models)) m?.dispose();
      throw e;
    }
    // The default lies in the run folder; checked (and created) before the mapping, which takes minutes.
    const outDir = prepareOutputDir(String(flags.out ?? path.join(path.dirname(path.dirname(loaded.file)), 'landscape')));
    try {
      const mapping = await mapTrainedRun(loaded, {
        method: flags.method as LandscapeMethod,
        starts: flags.starts as number,
        minima: flags.minima as number,
        cut: threshold === undefined ? 'most-basins' : { epsilon: threshold },
        seed: flags.seed as number,
        dataDir: flags.data as string | undefined,
        support: flags.support as LandscapeSupport,
        space: flags.space as LandscapeSpace,
        onProgress: (stage, done, total) => process.stderr.write(`\r${stage} ${done}/${total}   `),
      });
      try {
        const line = await writeLandscapeFiles(mapping, outDir, `${loaded.preset.name}: disconnectivity graph`);
        process.stderr.write('\n');
        console.log(`${line} → ${outDir}`);
      } finally {
        mapping.dispose();
      }
    } finally {
      for (const m of Object.values(loaded.models)) m?.dispose();
      await closeFigureBrowser();
    }
    return 0;
  },
};
