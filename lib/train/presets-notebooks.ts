/**
 * Presets that the object-generation, large-scale and reconstruction notebooks (01, 02, 06) need beyond
 * presets.ts's families:
 *   - the VAE and wake-sleep baselines on Fashion-MNIST (`fashion-mnist-vae-<scale>`,
 *     `fashion-mnist-wake-sleep-<scale>`), built by presets.ts's own MNIST family builder, so they match
 *     `fashion-mnist-<scale>` (the triangle) in networks, data and schedule;
 *   - §4.1.2's large-scale models (`<dataset>-large-<scale>`): the object-generation networks with twice
 *     the channels and batch normalization in all three nets (lib/models arch 'large'), on Downsampled
 *     ImageNet 32×32 and LSUN bedroom 64×64 when the user provides them, and on Fashion-MNIST's 60,000
 *     training images upsampled to 32×32, the largest image set available offline.
 *
 * presets.ts passes its builder and bases in (this file imports only types from it), so presets.ts can
 * spread the list into PRESET_LIST without an import cycle.
 */
import type { MethodBase, PresetScale, PresetDraft, TrainPreset } from './presets';
import { PAPER_SCHEDULE, type ScheduleRow } from './presets-schedule';

/** presets.ts's `mnistFamily`: quick/cpu/paper presets of one method on one 28×28 dataset (Table 6 networks). */
export type MnistFamilyBuilder = (prefix: string, dataset: string, base: MethodBase, what: string) => PresetDraft[];

export interface NotebookPresetSources {
  /** the divergence triangle with the authors' settings */
  triangle: MethodBase;
  vae: MethodBase;
  wakeSleep: MethodBase;
  mnistFamily: MnistFamilyBuilder;
}

const NONE: number[] = [];

/**
 * §4.1.2: "the network structures are similar with the ones used in object generation with twice the
 * number of channels and batch normalization is used in all three models". Arch 'large' doubles `width`
 * itself, so width 1 here is twice Table 5 (32×32) or Table 4 (64×64). Trained as the object-generation
 * triangle of experiment 01 is: the paper's scaling and Algorithm 1's several θ-steps per iteration
 * (with the authors' one step and averaged KL the generator collapsed there); `thetaSteps` 1 gives the
 * control `<prefix>-large-1step-<scale>`.
 * @param paperEpochs epochs of the paper-scale preset (the paper gives no schedule: our choice)
 */
function largeFamily(prefix: string, dataset: string, imageSize: 32 | 64, what: string, paperEpochs: number, cpuLimit: number, triangle: MethodBase, thetaSteps = COMPARISON_THETA_STEPS): PresetDraft[] {
  const table = imageSize === 32 ? 'Table 5' : 'Table 4';
  const rows: (ScheduleRow & { description: string })[] = [
    {
      scale: 'quick',
      description: `${what}, ${imageSize}×${imageSize}, 'large' networks at 1/32 width (1/16 of ${table}, BN in all nets), 256 images, batch 8, 20 iterations (seconds; smoke test)`,
      dataLimit: 256,
      width: 1 / 32,
      batchSize: 8,
      epochs: 1,
      iterations: 20,
      checkpointEvery: 0,
      logEvery: 5,
    },
    {
      scale: 'cpu',
      description: `${what}, ${imageSize}×${imageSize}, 'large' networks at 1/16 width (1/8 of ${table}, BN in all nets), ${cpuLimit ? `${cpuLimit.toLocaleString('en-US')} images` : 'every training image'}, batch 64, ${LARGE_CPU_ITERATIONS} iterations`,
      dataLimit: cpuLimit,
      width: 1 / 16,
      batchSize: 64,
      epochs: 1,
      iterations: LARGE_CPU_ITERATIONS,
      checkpointEvery: 200,
      logEvery: 10,
    },
    {
      scale: 'paper',
      description: `${what}, ${imageSize}×${imageSize}, ${table} with twice the channels and BN in all three nets (§4.1.2), batch 100, ${paperEpochs} epochs (our choice: the paper gives no schedule; GPU-class machine)`,
      dataLimit: 0,
      width: 1,
      batchSize: 100,
      epochs: paperEpochs,
      iterations: 0,
      checkpointEvery: 2000,
      logEvery: 50,
    },
  ];
  const steps = thetaSteps === 1 ? '1 θ-step per iteration (the control)' : `${thetaSteps} θ-steps per iteration`;
  return rows.map((r) => ({
    ...triangle,
    scaling: 'paper',
    generatorSteps: thetaSteps,
    name: `${prefix}-large${thetaSteps === 1 ? '-1step' : ''}-${r.scale}`,
    scale: r.scale,
    description: `${r.description}; the paper's scaling, ${steps}`,
    dataset,
    dataLimit: r.dataLimit,
    imageSize,
    classes: NONE,
    arch: 'large',
    width: r.width,
    latentDim: 100,
    hidden: NONE,
    batchNorm: true,
    batchSize: r.batchSize,
    epochs: r.epochs,
    iterations: r.iterations,
    checkpointEvery: r.checkpointEvery,
    logEvery: r.logEvery,
  }));
}

/** The data and network fields every 28×28 experiment preset shares (Table 6 networks, 100 latent dims). */
export function mnistNetworks(dataset: string): Pick<PresetDraft, 'dataset' | 'imageSize' | 'classes' | 'hidden' | 'arch' | 'latentDim'> {
  return { dataset, imageSize: 0, classes: [], hidden: [], arch: 'mnist', latentDim: 100 };
}

/** One scale's data, network width and schedule of a 28×28 experiment preset, with its description. */
export type MnistScaleRow = ScheduleRow & { what: string };

/** quick / cpu / paper rows of the 28×28 experiments: quick and paper fixed, cpu's width and iterations given. */
export function mnistScaleRows(cpu: { width: number; iterations: number; checkpointEvery: number; dataLimit?: number }): MnistScaleRow[] {
  const limit = cpu.dataLimit ?? 10000;
  const widthText = cpu.width === 0.25 ? '1/4' : cpu.width === 0.125 ? '1/8' : String(cpu.width);
  return [
    { scale: 'quick', dataLimit: 512, width: 0.125, batchSize: 16, epochs: 1, iterations: 40, checkpointEvery: 0, logEvery: 5, what: '1/8-width Table 6 networks, 512 images, batch 16, 40 iterations (seconds; smoke test)' },
    { scale: 'cpu', dataLimit: limit, width: cpu.width, batchSize: 64, epochs: 1, iterations: cpu.iterations, checkpointEvery: cpu.checkpointEvery, logEvery: 10, what: `${widthText}-width Table 6 networks, ${limit.toLocaleString('en-US')} images, batch 64, ${cpu.iterations.toLocaleString('en-US')} iterations` },
    { scale: 'paper', dataLimit: 0, width: 1, ...PAPER_SCHEDULE, what: 'Table 6 networks, the full training set, batch 100, 100 epochs (GPU-class machine)' },
  ];
}

/** Methods the object-generation (01) and reconstruction (06) experiments compare. */
export type ComparisonMethod = 'triangle' | 'vae' | 'wake-sleep';
export const COMPARISON_METHODS: readonly ComparisonMethod[] = ['triangle', 'vae', 'wake-sleep'];
export const COMPARISON_DATASETS = ['mnist', 'fashion-mnist'] as const;

/** θ-steps of the compared triangle: Algorithm 1's several, which keep x̃ from collapsing (notebook 01's controlled runs). */
export const COMPARISON_THETA_STEPS = 3;

/**
 * Iterations of the compared cpu presets (every method the same). Experiment 01 trains seven of them: the
 * triangle (3 θ-steps, ≈ 0.34 s per iteration at 1/8 width and batch 64 on 2 quiet cores, native, from
 * experiment 08's runs of the same networks) on MNIST, Fashion-MNIST and under the authors' scaling, the
 * 1-θ-step triangle (≈ 0.22 s) and three VAEs (≈ 0.09 s): at 1,600 iterations about 40 minutes of training,
 * too close to the 45-minute budget; at 1,400 about 35.
 */
export const COMPARISON_CPU_ITERATIONS = 1400;

/**
 * `<dataset>-<method>-<scaling>-scaling-<scale>`: the presets experiments 01 and 06 compare. Within one
 * scaling every method has the same networks, data, schedule, optimizers (the authors': Adam (0.5, 0.999),
 * weight decay 5e-4 on the generator only) and the same objective scaling, so the same KL weight
 * ('paper': KL summed over latent dims, sleep weight 1; 'authors': averaged, sleep weight 0.1).
 */
export function comparisonPresetName(dataset: string, method: ComparisonMethod, scaling: 'paper' | 'authors', scale: PresetScale): string {
  return `${dataset}-${method}-${scaling}-scaling-${scale}`;
}

function comparisonFamily(src: NotebookPresetSources): PresetDraft[] {
  const base: Record<ComparisonMethod, MethodBase> = {
    triangle: { ...src.triangle, generatorSteps: COMPARISON_THETA_STEPS },
    vae: { ...src.triangle, method: 'vae' },
    'wake-sleep': { ...src.triangle, method: 'wake-sleep' },
  };
  const rows = mnistScaleRows({ width: 0.125, iterations: COMPARISON_CPU_ITERATIONS, checkpointEvery: 400 });
  const out: PresetDraft[] = [];
  for (const dataset of COMPARISON_DATASETS) {
    for (const scaling of ['paper', 'authors'] as const) {
      for (const method of COMPARISON_METHODS) {
        for (const r of rows) {
          const { what, ...sched } = r;
          const steps = method === 'triangle' ? `, ${COMPARISON_THETA_STEPS} θ-steps per iteration` : '';
          out.push({
            ...base[method],
            ...sched,
            scaling,
            name: comparisonPresetName(dataset, method, scaling, r.scale),
            description: `${method} on ${dataset} for the triangle-vs-baselines comparison (experiments 01, 06), '${scaling}' scaling, authors' optimizers${steps}, ${what}`,
            ...mnistNetworks(dataset),
          });
        }
      }
    }
  }
  // The collapse control of experiment 01: the MNIST triangle with one θ-step, everything else equal.
  for (const r of rows) {
    const p = out.find((q) => q.name === comparisonPresetName('mnist', 'triangle', 'paper', r.scale))!;
    out.push({ ...p, generatorSteps: 1, name: p.name.replace('-triangle-', '-triangle-1step-'), description: p.description.replace(`${COMPARISON_THETA_STEPS} θ-steps per iteration`, '1 θ-step per iteration (the collapse control)') });
  }
  return out;
}

/** Iterations of the large-scale experiment's cpu presets (the triangle and its 1-θ-step control alike). */
export const LARGE_CPU_ITERATIONS = 400;

/** Iterations of the landscape experiment's cpu presets. */
export const LANDSCAPE_CPU_ITERATIONS = 800;

/**
 * `<dataset>-landscape-<scale>` (and `mnist-landscape-1step-<scale>`, its control): the triangle whose
 * energy experiment 07 maps. npm start's model (Table 6 networks at 1/4 width, batch 64, the paper's
 * scaling), with Algorithm 1's several θ-steps, which §4.3 names as what keeps minima "not resembling
 * the data" from forming.
 */
function landscapeFamily(src: NotebookPresetSources): PresetDraft[] {
  const rows = mnistScaleRows({ width: 0.25, iterations: LANDSCAPE_CPU_ITERATIONS, checkpointEvery: 250 });
  const out: PresetDraft[] = [];
  for (const [dataset, steps] of [['mnist', COMPARISON_THETA_STEPS], ['fashion-mnist', COMPARISON_THETA_STEPS], ['mnist', 1]] as const) {
    for (const r of rows) {
      const { what, ...sched } = r;
      out.push({
        ...src.triangle,
        ...sched,
        scaling: 'paper',
        generatorSteps: steps,
        name: `${dataset}-landscape${steps === 1 ? '-1step' : ''}-${r.scale}`,
        description: `divergence triangle on ${dataset} whose energy landscape experiment 07 maps, the paper's scaling, ${steps} θ-step${steps === 1 ? ' (the control)' : 's'} per iteration, ${what}`,
        ...mnistNetworks(dataset),
      });
    }
  }
  return out;
}

/** The notebooks' presets, in display order (spread into presets.ts's PRESET_LIST). */
export function notebookPresets(src: NotebookPresetSources): PresetDraft[] {
  return [
    ...comparisonFamily(src),
    ...landscapeFamily(src),
    ...src.mnistFamily('fashion-mnist-vae', 'fashion-mnist', src.vae, 'VAE baseline'),
    ...src.mnistFamily('fashion-mnist-wake-sleep', 'fashion-mnist', src.wakeSleep, 'wake-sleep baseline'),
    ...largeFamily('fashion-mnist', 'fashion-mnist', 32, 'divergence triangle on Fashion-MNIST (60,000 training images) upsampled to 32×32, the largest image set available offline', 20, 0, src.triangle),
    ...largeFamily('fashion-mnist', 'fashion-mnist', 32, 'divergence triangle on Fashion-MNIST (60,000 training images) upsampled to 32×32, the largest image set available offline', 20, 0, src.triangle, 1),
    ...largeFamily('imagenet32', 'imagenet32', 32, 'divergence triangle on Downsampled ImageNet 32×32 (§4.1.2; data provided by the user)', 10, 50000, src.triangle),
    ...largeFamily('lsun-bedroom', 'lsun-bedroom', 64, 'divergence triangle on LSUN bedroom 64×64 (§4.1.2; data provided by the user; dataset=lsun-tower or lsun-church for the other categories)', 5, 50000, src.triangle),
  ];
}
