/** `dtri landscape`: maps the learned energy of a checkpoint and draws its disconnectivity graph (§4.3). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend/index';
import { loadDataset } from '../data/datasets';
import type { ImageDataset } from '../data/types';
import { UserError } from '../errors';
import { drawLandscape } from '../landscape/draw';
import { landscapeToJson, mapLandscape, type LandscapeMethod, type LandscapeResult } from '../landscape/map';
import { descentOptionsFromScale } from '../landscape/minima';
import { ebmLandscapeScore } from '../landscape/score';
import type { Ebm } from '../models/types';
import { loadTrainedModels } from '../train/runner';
import { prepareOutputDir } from '../train/run-folder';
import { closeFigureBrowser, exportSvg } from '../viz/export';
import { BACKEND_FLAG } from './train';
import { formatHelp, parseFlags, type FlagSpec } from './args';
import type { Command } from './commands';

export interface RunLandscapeOptions {
  method: LandscapeMethod;
  /** Start points of the descents (test images), at most this many. */
  starts: number;
  /** Keep at most this many minima for the barrier stage. */
  minima: number;
  /** Basins the tree is cut into. */
  basins: number;
  seed: number;
  onProgress?: (stage: 'descent' | 'barriers', done: number, total: number) => void;
}

/**
 * Maps f_α from `starts` test images of `dataset`, writes landscape.json, landscape.svg and landscape.png
 * into `outDir`. Image-space descent in [-1, 1], settings from the energy's scale (see below).
 * @returns the purity summary line
 */
export async function writeLandscape(ebm: Ebm, dataset: ImageDataset, outDir: string, opts: RunLandscapeOptions): Promise<string> {
  const n = Math.min(opts.starts, dataset.images.shape[0]);
  const images = tf.slice(dataset.images, 0, n);
  const labels = dataset.labels?.subarray(0, n);
  let result: LandscapeResult | undefined;
  try {
    const score = ebmLandscapeScore(ebm);
    // Descent and attraction–diffusion settings follow this energy's own scale (lib/landscape
    // descentOptionsFromScale, adSettingsFromScale): ‖∇E‖ on MNIST grows from ~0.2 to tens during training,
    // so no fixed η suits every checkpoint; and in 784-D fixed AD settings of 2-D size (α 0.05, T 0.01)
    // put a chain's resting distance D·T/α ≈ 157 from its target, far beyond the 5–20 between minima.
    // AD derives α from the straight-line slopes, T so that D·T/α is 5% of the closest pair, η so that
    // 300 steps of the magnet cover twice the farthest pair; one chain each way per pair, 4 nearest pairs.
    const descent = await descentOptionsFromScale(score, images, { clamp: [-1, 1], maxSteps: 300 });
    result = await mapLandscape(score, { images, labels }, {
      method: opts.method,
      descent,
      linear: { resolution: 20 },
      ad: { steps: 300, trials: 1, clamp: [-1, 1], seed: opts.seed },
      pairs: opts.method === 'ad' ? { nearest: 4 } : 'all',
      maxMinima: opts.minima,
      cut: { basins: opts.basins },
      onProgress: opts.onProgress,
    });
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'landscape.json'), JSON.stringify(landscapeToJson(result)) + '\n');
    const drawing = await drawLandscape(result, images, labels, { classNames: dataset.classNames });
    fs.writeFileSync(path.join(outDir, 'landscape.svg'), drawing.svg);
    await exportSvg(drawing.svg, path.join(outDir, 'landscape.png'), { format: 'png' });
    const m = result.minima.energies.length;
    const purity = result.purity ? `, basin purity ${(100 * result.purity.overall).toFixed(0)}%` : '';
    return `${m} minima, ${result.cut.basins.length} basins${purity}`;
  } finally {
    images.dispose();
    result?.minima.minima.dispose();
  }
}

const SPEC: Record<string, FlagSpec> = {
  checkpoint: { type: 'string', help: 'a run folder (or its checkpoint/ or .ckpt file)' },
  out: { type: 'string', help: 'output folder (default: <run>/landscape)' },
  method: { type: 'string', help: 'barrier estimate', choices: ['linear', 'ad'], default: 'linear' },
  minima: { type: 'int', help: 'keep at most this many minima for the barriers', default: 200 },
  starts: { type: 'int', help: 'test images the descents start from', default: 1000 },
  basins: { type: 'int', help: 'basins the tree is cut into', default: 20 },
  data: { type: 'string', help: 'dataset folder (as dtri train)' },
  backend: BACKEND_FLAG,
  seed: { type: 'int', help: 'seed of attraction-diffusion', default: 1 },
};

export const landscapeCommand: Command = {
  summary: "map a checkpoint's energy landscape and draw its disconnectivity graph",
  help: () =>
    formatHelp(
      'Usage: dtri landscape --checkpoint DIR --out DIR2 [--method linear|ad] [--minima N]',
      'Writes landscape.json (minima, barriers, tree, basins, purity), landscape.svg and landscape.png.',
      SPEC,
    ),
  async run(argv) {
    const { flags } = parseFlags('landscape', argv, SPEC);
    if (!flags.checkpoint) throw new UserError('dtri landscape: --checkpoint DIR is required (a run folder of dtri train)');
    for (const k of ['minima', 'starts', 'basins'] as const) {
      if ((flags[k] as number) < 1) throw new UserError(`dtri landscape: --${k} must be at least 1`);
    }
    if (flags.out !== undefined) prepareOutputDir(String(flags.out)); // a file or unwritable place fails now, not after the mapping
    const backend = await initBackend({ prefer: (flags.backend as 'auto' | undefined) ?? undefined });
    console.log(backend.describe);
    const loaded = loadTrainedModels(String(flags.checkpoint));
    const ebm = loaded.models.ebm;
    if (!ebm) throw new UserError(`dtri landscape: ${loaded.file} holds a ${loaded.preset.method} model without an image-space EBM; map a triangle or ACD run`);
    const dataset = await loadDataset(loaded.preset.dataset, {
      dataDir: flags.data as string | undefined,
      split: 'test',
      limit: flags.starts as number,
      imageSize: loaded.preset.imageSize || undefined,
    });
    // The default lies in the run folder; checked (and created) before the mapping, which takes minutes.
    const outDir = prepareOutputDir(String(flags.out ?? path.join(path.dirname(path.dirname(loaded.file)), 'landscape')));
    try {
      const line = await writeLandscape(ebm, dataset, outDir, {
        method: flags.method as LandscapeMethod,
        starts: flags.starts as number,
        minima: flags.minima as number,
        basins: flags.basins as number,
        seed: flags.seed as number,
        onProgress: (stage, done, total) => process.stderr.write(`\r${stage} ${done}/${total}   `),
      });
      process.stderr.write('\n');
      console.log(`${line} → ${outDir}`);
    } finally {
      dataset.dispose();
      for (const m of Object.values(loaded.models)) m?.dispose();
      await closeFigureBrowser();
    }
    return 0;
  },
};
