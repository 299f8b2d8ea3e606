/**
 * Typed training presets, three scales each:
 *   quick — seconds; tests, CI and the notebooks' quick runs.
 *   cpu   — the most faithful configuration that finishes within about an hour on 2 cores with the
 *           fastest backend.
 *   paper — the paper's architecture, batch and schedule (needs a GPU-class machine to finish).
 * `resolvePreset(name, overrides)` applies typed overrides (PresetOverrides), rejecting unknown presets,
 * unknown keys and wrong types with one-line UserErrors; `parseOverrides` turns the CLI's `--set
 * key=value` strings into such overrides (the one place a string is coerced to a field's type).
 *
 * Adding a method: extend TrainingMethod, add its presets to PRESET_LIST, and a case to the runner's
 * switch (lib/train/runner.ts). Adding a field: extend TrainPreset and PRESET_FIELDS (the mapped type
 * makes the compiler insist on both).
 */
import { UserError } from '../errors';
import type { ArchName } from '../models/architectures';
import type { EnergyForm } from '../models/types';
import { SCALING_NAMES, type ScalingName } from '../objectives/scaling';
import type { DimReduction } from '../objectives/gaussian';
import { OCCLUSION_KINDS, type OcclusionKind } from '../data/masks';
import type { LatentEbmInferenceRule } from '../objectives/latent-ebm';
import { ACD_ENTROPY_ESTIMATORS, type AcdEntropyEstimator } from './acd';
import { synthesisPresets } from './presets-synthesis';
import { notebookPresets } from './presets-notebooks';
import { latentNotebookPresets } from './presets-latent-notebooks';
import { incompletePresets } from './presets-incomplete';
import { PAPER_SCHEDULE } from './presets-schedule';

/** 'progressive': the triangle on networks that grow 4×4 → maxSize (§4.1.3, lib/train/progressive.ts). */
export type TrainingMethod = 'triangle' | 'vae' | 'wake-sleep' | 'latent-ebm' | 'acd' | 'abp' | 'progressive';
export const TRAINING_METHODS: readonly TrainingMethod[] = ['triangle', 'vae', 'wake-sleep', 'latent-ebm', 'acd', 'abp', 'progressive'];

export type PresetScale = 'quick' | 'cpu' | 'paper';
export const PRESET_SCALES: readonly PresetScale[] = ['quick', 'cpu', 'paper'];

/** Architectures of lib/models: its ArchName, and 'progressive' (buildProgressiveModels, only for method progressive). */
export type PresetArch = ArchName | 'progressive';
export const PRESET_ARCHS: readonly PresetArch[] = ['mnist', 'cifar', 'celeba', 'large', 'texture', 'dyntex', 'mlp2d', 'progressive'];
const ENERGY_FORMS: readonly EnergyForm[] = ['identity', 'softplus', 'tanh', 'sigmoid'];

/** The fields every method's preset has. */
export interface PresetCommon {
  /** e.g. 'mnist-quick' (not overridable) */
  name: string;
  scale: PresetScale;
  description: string;
  method: TrainingMethod;

  // Data (lib/data loadDataset).
  /** loadDataset name: 'mnist', 'fashion-mnist', 'cifar10', 'celeba', 'toy2d-ring8', … */
  dataset: string;
  /** Use at most this many training images; 0 = all. */
  dataLimit: number;
  /** Resize to this side length; 0 = native size. */
  imageSize: number;
  /** Keep only these class labels; [] = all. */
  classes: number[];

  // Networks (lib/models ModelOptions); optional fields fall back to the architecture's default.
  arch: PresetArch;
  /** Channel multiplier of the conv nets (1 = the paper's widths). */
  width: number;
  latentDim: number;
  /** Hidden layer widths of the 'mlp2d' networks; [] = the architecture's default. */
  hidden: number[];
  energyForm: EnergyForm;
  batchNorm?: boolean;
  spectralNorm?: boolean;

  // Schedule.
  batchSize: number;
  epochs: number;
  /** Total iterations; 0 = epochs × batches per epoch. */
  iterations: number;
  /** θ-steps per iteration (§4.3: several, so x̃ settles near minima of −f_α); methods without a θ-step of their own ignore it. */
  generatorSteps: number;

  // Optimizers (Adam per network).
  lrEbm: number;
  lrGen: number;
  lrInf: number;
  beta1: number;
  beta2: number;
  /** Learning-rate factor per epoch. */
  lrDecay: number;
  weightDecayEbm: number;
  weightDecayGen: number;
  weightDecayInf: number;
  /** Global gradient-norm clip per network; 0 = none. */
  clipNorm: number;

  // Objective scaling (lib/objectives/scaling.ts); the optional fields replace the named scaling's.
  scaling: ScalingName;
  sigma?: number;
  klReduction?: DimReduction;
  latentNllWeight?: number;

  /** Learning from incomplete data (divergence-triangle §4.4): occlude every training image ('none' = complete); wraps any trainer. */
  occlusion?: 'none' | OcclusionKind;
  /** Refills K of the recovery after training from occluded images, the same for every method (default 10; lib/train/incomplete.ts). */
  occlusionRefills?: number;

  // Bookkeeping.
  /** Write the checkpoint every this many iterations (and always at the end); 0 = only at the end. */
  checkpointEvery: number;
  /** Append a metrics.jsonl line every this many iterations. */
  logEvery: number;
  seed: number;
}

/** The triangle's own option (lib/train/triangle.ts). */
export interface TriangleFields {
  /** x̃ = g(z) + σe, sampled from p_θ(x|z) as Algorithm 1 line 4; unset/false = g(z), the authors' code. */
  noisySamples?: boolean;
}
/** lib/train/latent-ebm.ts */
export interface LatentEbmFields {
  /** q_φ learns by Eq. 15 ("Ours", default) or Eq. 17 ("Ours(+)"). */
  inferenceRule?: LatentEbmInferenceRule;
}
/** lib/train/acd.ts */
export interface AcdFields {
  /** Estimator of the generator's entropy H(p_θ) (default 'nearest-neighbour'). */
  acdEntropy?: AcdEntropyEstimator;
  /** Weight of H(p_θ) in the θ-step (default 1). */
  acdEntropyWeight?: number;
  /** σ of π_α's Gaussian reference measure (default none). */
  acdReferenceStd?: number;
}
/** lib/train/abp.ts */
export interface AbpFields {
  /** Langevin steps l per iteration (default 10). */
  langevinSteps?: number;
  /** Langevin step δ: drift δ²/2 · ∇log p(z|x), noise δ (default 0.1). */
  langevinDelta?: number;
  /** Keep each example's z between visits (default true). */
  abpPersistent?: boolean;
}
/** lib/train/progressive.ts: the triangle on growing networks, whose length is its growth schedule. */
export interface ProgressiveFields extends TriangleFields {
  /** Final resolution, a power of two ≥ 4 (1,024 in §4.1.3); the data are resized to it. */
  maxSize: number;
  /** Iterations of every stage at α = 1. With fadeIterations it sets the run's length (growthTotal). */
  stableIterations: number;
  /** Fade-in iterations of every stage after the first. */
  fadeIterations: number;
}

export type TrianglePreset = PresetCommon & { method: 'triangle' } & TriangleFields;
export type VaePreset = PresetCommon & { method: 'vae' };
export type WakeSleepPreset = PresetCommon & { method: 'wake-sleep' };
export type LatentEbmPreset = PresetCommon & { method: 'latent-ebm' } & LatentEbmFields;
export type AcdPreset = PresetCommon & { method: 'acd' } & AcdFields;
export type AbpPreset = PresetCommon & { method: 'abp' } & AbpFields;
export type ProgressivePreset = PresetCommon & { method: 'progressive' } & ProgressiveFields;

/**
 * A training preset: one type per method (a discriminated union on `method`), so the compiler rejects a
 * field on a method that has no use for it (an ACD entropy on a VAE, a growth schedule on an ABP run).
 */
export type TrainPreset = TrianglePreset | VaePreset | WakeSleepPreset | LatentEbmPreset | AcdPreset | AbpPreset | ProgressivePreset;
/** The preset of one method. */
export type PresetFor<M extends TrainingMethod> = Extract<TrainPreset, { method: M }>;

/** `p` as the preset of `method`, which it must be (the runner's per-method cases call it). */
export function presetAs<M extends TrainingMethod>(p: TrainPreset, method: M): PresetFor<M> {
  if (p.method !== method) throw new Error(`internal: preset ${p.name} is of method ${p.method}, not ${method}`);
  return p as PresetFor<M>;
}

/** Every method's own fields, optional: what a family builder spreads before its method is fixed. */
export type AnyMethodFields = TriangleFields & LatentEbmFields & AcdFields & AbpFields & Partial<ProgressiveFields>;
/**
 * A preset as a family builder assembles it, for methods known only at run time (one builder makes the
 * triangle's, the VAE's and ABP's presets alike). PRESET_LIST turns each into a TrainPreset through
 * validatePreset, which refuses a field on the wrong method.
 */
export type PresetDraft = PresetCommon & AnyMethodFields;

/** Every key any preset may have. */
export type PresetKey = keyof PresetCommon | keyof TriangleFields | keyof LatentEbmFields | keyof AcdFields | keyof AbpFields | keyof ProgressiveFields;
/** Every method's fields with their types: what an override may set. */
type AnyPresetFields = PresetCommon & TriangleFields & LatentEbmFields & AcdFields & AbpFields & ProgressiveFields;
/** The fields a preset's author fixes, its identity in the registry: another value means another preset. */
export type FixedPresetKey = 'name' | 'scale' | 'description';
/** An override's value: the field's type (a list may be readonly; the preset gets a copy). */
type OverrideValue<T> = T extends (infer E)[] ? readonly E[] : T;
/**
 * Typed overrides of a preset: any method's fields but the fixed ones, with their types, e.g.
 * `{ iterations: 5, hidden: [16, 16], classes: [0, 1, 7], method: 'vae' }`. `undefined` on an optional
 * field (sigma, batchNorm, inferenceRule, …) sets it back to its default, as `--set sigma=default`.
 * A change of `method` drops the old method's own fields unless they are set here too.
 */
export type PresetOverrides = { [K in Exclude<PresetKey, FixedPresetKey>]?: OverrideValue<AnyPresetFields[K]> };

/** The methods each method-specific key belongs to (validatePreset refuses it on any other). */
export const METHOD_FIELDS: { readonly [K in Exclude<PresetKey, keyof PresetCommon>]-?: readonly TrainingMethod[] } = {
  noisySamples: ['triangle', 'progressive'],
  inferenceRule: ['latent-ebm'],
  acdEntropy: ['acd'],
  acdEntropyWeight: ['acd'],
  acdReferenceStd: ['acd'],
  langevinSteps: ['abp'],
  langevinDelta: ['abp'],
  abpPersistent: ['abp'],
  maxSize: ['progressive'],
  stableIterations: ['progressive'],
  fadeIterations: ['progressive'],
};

/** A number's domain: min ≤ x (min < x when minOpen), x ≤ max (x < max when maxOpen); always finite. */
interface NumberRange {
  min?: number;
  max?: number;
  minOpen?: true;
  maxOpen?: true;
}

type FieldSpec =
  | ({ kind: 'number'; integer?: boolean; optional?: true } & NumberRange)
  | { kind: 'boolean'; optional?: true }
  | { kind: 'string'; choices?: readonly string[]; optional?: true }
  | { kind: 'integers'; min: number };
/** A FixedPresetKey field: a string, not overridable. */
type FixedSpec = { kind: 'string'; fixed: true; choices?: undefined; optional?: undefined };
type AnySpec = FieldSpec | FixedSpec;

const int = (min = 0, max?: number): FieldSpec => ({ kind: 'number', integer: true, min, ...(max !== undefined ? { max } : {}) });
/** x ≥ min */
const num = (min: number): FieldSpec => ({ kind: 'number', min });
/** x > 0 */
const positive = (optional?: true): FieldSpec => ({ kind: 'number', min: 0, minOpen: true, ...(optional ? { optional } : {}) });
/** Adam's β: [0, 1) (β = 1 never forgets and divides by 1 − β^t = 0). */
const beta: FieldSpec = { kind: 'number', min: 0, max: 1, maxOpen: true };
const SEED_MAX = 2 ** 32 - 1;

/** Type and domain of every field; the mapped type forces an entry per TrainPreset key, fixed exactly for FixedPresetKey. */
export const PRESET_FIELDS: { readonly [K in PresetKey]-?: K extends FixedPresetKey ? FixedSpec : FieldSpec } = {
  name: { kind: 'string', fixed: true },
  scale: { kind: 'string', fixed: true },
  description: { kind: 'string', fixed: true },
  method: { kind: 'string', choices: TRAINING_METHODS },
  dataset: { kind: 'string' },
  dataLimit: int(),
  imageSize: int(),
  classes: { kind: 'integers', min: 0 },
  arch: { kind: 'string', choices: PRESET_ARCHS },
  width: positive(),
  latentDim: int(1),
  hidden: { kind: 'integers', min: 1 },
  energyForm: { kind: 'string', choices: ENERGY_FORMS },
  batchNorm: { kind: 'boolean', optional: true },
  spectralNorm: { kind: 'boolean', optional: true },
  batchSize: int(1),
  epochs: int(0),
  iterations: int(0),
  generatorSteps: int(1),
  noisySamples: { kind: 'boolean', optional: true },
  lrEbm: positive(),
  lrGen: positive(),
  lrInf: positive(),
  beta1: beta,
  beta2: beta,
  // A factor per epoch in (0, 1]: 0 would stop learning after the first epoch, > 1 grows the rate without bound.
  lrDecay: { kind: 'number', min: 0, minOpen: true, max: 1 },
  weightDecayEbm: num(0),
  weightDecayGen: num(0),
  weightDecayInf: num(0),
  clipNorm: num(0),
  scaling: { kind: 'string', choices: SCALING_NAMES },
  sigma: positive(true),
  klReduction: { kind: 'string', choices: ['sum', 'mean'], optional: true },
  latentNllWeight: { kind: 'number', min: 0, optional: true },
  inferenceRule: { kind: 'string', choices: ['eq15', 'eq17'], optional: true },
  acdEntropy: { kind: 'string', choices: ACD_ENTROPY_ESTIMATORS, optional: true },
  acdEntropyWeight: { kind: 'number', min: 0, optional: true },
  acdReferenceStd: positive(true),
  langevinSteps: { kind: 'number', integer: true, min: 1, optional: true },
  langevinDelta: positive(true),
  abpPersistent: { kind: 'boolean', optional: true },
  occlusion: { kind: 'string', choices: ['none', ...OCCLUSION_KINDS], optional: true },
  occlusionRefills: { kind: 'number', integer: true, min: 1, optional: true },
  maxSize: { kind: 'number', integer: true, min: 4, optional: true },
  stableIterations: { kind: 'number', integer: true, min: 1, optional: true },
  fadeIterations: { kind: 'number', integer: true, min: 0, optional: true },
  checkpointEvery: int(0),
  logEvery: int(1),
  seed: int(0, SEED_MAX),
};

/**
 * The authors' optimizer settings (ENVIRONMENT.md): Adam β = (0.5, 0.999), lr EBM 1e-4, generator and
 * inference 3e-4, ×0.998 per epoch, generator weight decay 5e-4, clip 100; their scaling of the terms.
 */
export const AUTHORS_TRIANGLE = {
  method: 'triangle',
  lrEbm: 1e-4,
  lrGen: 3e-4,
  lrInf: 3e-4,
  beta1: 0.5,
  beta2: 0.999,
  lrDecay: 0.998,
  weightDecayEbm: 0,
  weightDecayGen: 5e-4,
  weightDecayInf: 0,
  clipNorm: 100,
  generatorSteps: 1,
  scaling: 'authors',
  energyForm: 'identity',
  seed: 1,
} as const satisfies Partial<TrianglePreset>;

/**
 * The optimizer and objective fields a method's base fixes: those of AUTHORS_TRIANGLE, which every base
 * (VAE_BASE, LATENT_EBM_BASE, …) spreads and overrides. The preset builders of the other presets-*.ts
 * files take their bases as this type.
 */
export type MethodBase = Pick<PresetCommon, Exclude<keyof typeof AUTHORS_TRIANGLE, 'method'>> & { method: TrainingMethod };

const NO_CLASSES: number[] = [];

/** MNIST-like 28×28 presets of one method on one dataset (Table 6 networks). */
function mnistFamily(prefix: string, dataset: string, base: Omit<PresetDraft, 'name' | 'scale' | 'description' | 'dataset' | 'dataLimit' | 'imageSize' | 'classes' | 'arch' | 'width' | 'latentDim' | 'batchSize' | 'epochs' | 'iterations' | 'checkpointEvery' | 'logEvery' | 'hidden'>, what: string): PresetDraft[] {
  const common = { ...base, dataset, imageSize: 0, classes: NO_CLASSES, hidden: NO_CLASSES, arch: 'mnist' as const, latentDim: 100 };
  return [
    {
      ...common,
      name: `${prefix}-quick`,
      scale: 'quick',
      description: `${what} on ${dataset}, 1/8-width Table 6 networks, 512 images, batch 16, 40 iterations (seconds; smoke test)`,
      dataLimit: 512,
      width: 0.125,
      batchSize: 16,
      epochs: 1,
      iterations: 40,
      checkpointEvery: 0,
      logEvery: 5,
    },
    {
      ...common,
      name: `${prefix}-cpu`,
      scale: 'cpu',
      description: `${what} on ${dataset}, 1/4-width Table 6 networks, 10,000 images, batch 100, 10 epochs = 1,000 iterations (triangle: ~1.7 s per iteration on the native backend, ~2.4 s on wasm, so 30–40 minutes on 2 cores; the baselines are faster)`,
      dataLimit: 10000,
      width: 0.25,
      batchSize: 100,
      epochs: 10,
      iterations: 0,
      checkpointEvery: 100,
      logEvery: 10,
    },
    {
      ...common,
      name: `${prefix}-paper`,
      scale: 'paper',
      description: `${what} on ${dataset}, Table 6 networks, batch 100, 100 epochs (GPU-class machine)`,
      dataLimit: 0,
      width: 1,
      ...PAPER_SCHEDULE,
    },
  ];
}

/** Presets for data the user provides (CIFAR-10, CelebA): Tables 4–5 networks. */
function imageFamily(prefix: string, dataset: string, arch: PresetArch, imageSize: number, paperLimit: number, what: string): PresetDraft[] {
  const common = { ...AUTHORS_TRIANGLE, dataset, imageSize, classes: NO_CLASSES, hidden: NO_CLASSES, arch, latentDim: 100 };
  return [
    {
      ...common,
      name: `${prefix}-quick`,
      scale: 'quick',
      description: `${what}, 1/8-width networks, 256 images, batch 8, 20 iterations (seconds; smoke test)`,
      dataLimit: 256,
      width: 0.125,
      batchSize: 8,
      epochs: 1,
      iterations: 20,
      checkpointEvery: 0,
      logEvery: 5,
    },
    {
      ...common,
      name: `${prefix}-cpu`,
      scale: 'cpu',
      description: `${what}, 1/4-width networks, 5,000 images, batch 100, 5 epochs = 250 iterations (not timed here: no data on this machine; estimated from the MNIST timings and the larger images, under an hour)`,
      dataLimit: 5000,
      width: 0.25,
      batchSize: 100,
      epochs: 5,
      iterations: 0,
      checkpointEvery: 50,
      logEvery: 10,
    },
    {
      ...common,
      name: `${prefix}-paper`,
      scale: 'paper',
      description: `${what}, the paper's networks, batch 100, 100 epochs (GPU-class machine)`,
      dataLimit: paperLimit,
      width: 1,
      ...PAPER_SCHEDULE,
    },
  ];
}

const TRIANGLE_BASE = { ...AUTHORS_TRIANGLE };
/** VAE baseline: a true ELBO (paper scaling: KL summed over latent dims), same networks and optimizers. */
const VAE_BASE = { ...AUTHORS_TRIANGLE, method: 'vae', scaling: 'paper', weightDecayInf: 5e-4 } as const;
/** Wake-sleep baseline: wake = reconstruction, sleep = −log q_φ(z | g(z)) with weight 1. */
const WAKE_SLEEP_BASE = { ...AUTHORS_TRIANGLE, method: 'wake-sleep', scaling: 'paper' } as const;
/**
 * VAE + latent EBM (second paper), the authors' code (ENVIRONMENT.md): Adam β = (0, 0.9), the triangle's
 * learning rates and decay, weight decay 1e-4 on generator and inference, a spectral-normed latent EBM with
 * softplus energy, LeakyReLU 0.1 in the latent EBM (lib/models/latent-ebm.ts); Gaussian terms summed over latent
 * dims and no gradient clipping, as that code does.
 */
const LATENT_EBM_BASE = {
  ...AUTHORS_TRIANGLE,
  method: 'latent-ebm',
  beta1: 0,
  beta2: 0.9,
  weightDecayGen: 1e-4,
  weightDecayInf: 1e-4,
  // The second paper's code (alexzhou907/vae_ebm, train_cifar.py) sums its Gaussian terms over the latent
  // dims (diag_normal_NLL, diag_standard_normal_NLL), as Eqs. 15–17 do: 'paper' scaling, not the triangle
  // code's latent-dim average ('authors'), which weakened the pull to the prior 100× (issue #17).
  scaling: 'paper',
  // No gradient clipping anywhere in that code.
  clipNorm: 0,
  energyForm: 'softplus',
  spectralNorm: true,
  inferenceRule: 'eq15',
} as const;
/**
 * ACD baseline (§3.2.2): the triangle's EBM, generator and optimizers, no inference model. The
 * nearest-neighbour entropy of 784-pixel samples outweighs an untrained f_α at weight 1; measured after 300
 * iterations of mnist-acd-quick (native backend, 2,000 images), RMSE from samples to their nearest training
 * image: 0.79 at weight 1 (noise), 0.54 at 0.01, 0.47 at 0 but collapsed (sample variance 0.001). So 0.01.
 */
const ACD_BASE = { ...AUTHORS_TRIANGLE, method: 'acd', acdEntropy: 'nearest-neighbour', acdEntropyWeight: 0.01 } as const;
/**
 * ABP baseline (Han et al. 2017): σ = 0.3 as in the ABP paper; l = 10 Langevin steps of δ = 0.1 per visit
 * with persistent (warm-started) z; the triangle's generator optimizer.
 */
const ABP_BASE = { ...AUTHORS_TRIANGLE, method: 'abp', scaling: 'paper', sigma: 0.3, langevinSteps: 10, langevinDelta: 0.1, abpPersistent: true } as const;

/**
 * 2-D toy data: small MLPs and larger learning rates. Two departures from the image presets, both
 * found necessary on the ring (see the report in test/experiments/toy2d.test.ts): x̃ is sampled from
 * p_θ(x|z) = N(g(z), σ²I) as Algorithm 1 line 4 says (the authors' image code uses g(z)), so the EBM
 * sees samples on every side of a mode and carves a minimum of −f there; and σ = 0.4 (recon weight
 * 1/(2σ²) ≈ 3), so the energy term is not drowned by the reconstruction in the generator's Adam step.
 * The wells at the modes appear only as the EBM's contrast E(x̃) − E(x) grows (at batch 512, seed 1: 0 of
 * 8 modes at 500 iterations, 3 at 1,000, 7 at 2,000, 8 of 8 from 2,500 on), so toy2d-quick trains 4,000 iterations at batch 512:
 * less gradient noise, the contrast grows faster, and on the native engine an iteration at 512 costs
 * hardly more than at 128 (per-op overhead dominates these MLPs).
 */
const TOY2D_BASE = {
  ...AUTHORS_TRIANGLE,
  dataLimit: 0,
  imageSize: 0,
  classes: NO_CLASSES,
  arch: 'mlp2d',
  width: 1,
  latentDim: 2,
  epochs: 1,
  lrEbm: 1e-3,
  lrGen: 1e-3,
  lrInf: 1e-3,
  lrDecay: 1,
  weightDecayGen: 0,
  scaling: 'authors',
  sigma: 0.4,
  noisySamples: true,
} as const satisfies Partial<TrianglePreset>;

const TOY2D: TrainPreset[] = [
  {
    ...TOY2D_BASE,
    name: 'toy2d-quick',
    scale: 'quick',
    // Seed 3: since the θ-step decodes z̃ drawn anew through the updated φ (as the authors' code), seed 1
    // grows wells at 6 of the 8 modes by 4,000 (and 6,000) iterations, seeds 3 and 4 at all 8 (measured
    // 2026-12-03; before that change seed 1 had 8, seeds 2 and 5 had 7): the toy's last wells are seed-dependent.
    seed: 3,
    description: 'triangle on the 8-Gaussian ring (radius 2, std 0.02), 64-64 MLPs, batch 512, 4,000 iterations (under a minute on the native engine: 52 s measured)',
    dataset: 'toy2d-ring8',
    hidden: [64, 64],
    batchSize: 512,
    iterations: 4000,
    checkpointEvery: 0,
    logEvery: 20,
  },
  {
    ...TOY2D_BASE,
    name: 'toy2d-cpu',
    scale: 'cpu',
    description: 'triangle on the 25-Gaussian grid, 128-128 MLPs, batch 256, 8,000 iterations (about 8 minutes on wasm; not tuned)',
    dataset: 'toy2d-grid25',
    hidden: [128, 128],
    batchSize: 256,
    iterations: 8000,
    checkpointEvery: 1000,
    logEvery: 50,
  },
];

/** Every preset, in display order. Methods added by other trainers append their lists here. */
/** 2-D toys of the second trainer's methods, on toy2d-quick's data, networks and schedule. */
/** A preset's fields common to every method: what another method's preset may start from. */
function commonFields(p: PresetDraft): PresetCommon {
  const out: Record<string, unknown> = { ...p };
  for (const key of Object.keys(METHOD_FIELDS)) delete out[key];
  return out as unknown as PresetCommon;
}
const TOY2D_COMMON = commonFields(TOY2D[0]);

const TOY2D_OTHER_METHODS: PresetDraft[] = [
  {
    ...TOY2D_COMMON,
    ...LATENT_EBM_BASE,
    name: 'toy2d-latent-ebm-quick',
    seed: 1, // its own measurements (test/train) were made at seed 1, not toy2d-quick's 3
    batchSize: 128,
    iterations: 2000,
    description: 'VAE + latent EBM (Algorithm 1 of the second paper) on the 8-Gaussian ring, 2-D MLPs (about 1.5 minutes; reconstruction MSE 0.007)',
    lrEbm: 1e-3,
    lrGen: 1e-3,
    lrInf: 1e-3,
    lrDecay: 1,
    scaling: 'paper',
    sigma: 0.1,
  },
  {
    ...TOY2D_COMMON,
    ...ACD_BASE,
    name: 'toy2d-acd-quick',
    seed: 1, // its own measurements (test/train) were made at seed 1, not toy2d-quick's 3
    batchSize: 128,
    iterations: 2000,
    description: 'adversarial contrastive divergence on the 8-Gaussian ring, 2-D MLPs; a Gaussian reference measure (σ 1.5) keeps π_α normalizable',
    lrEbm: 2e-3,
    lrGen: 2e-3,
    lrDecay: 1,
    weightDecayGen: 0,
    generatorSteps: 3,
    acdEntropyWeight: 1,
    acdReferenceStd: 1.5,
  },
  {
    ...TOY2D_COMMON,
    ...ABP_BASE,
    name: 'toy2d-abp-quick',
    seed: 1, // its own measurements (test/train) were made at seed 1, not toy2d-quick's 3
    batchSize: 128,
    iterations: 2000,
    description: 'alternating back-propagation on the 8-Gaussian ring, 2-D generator MLP, persistent Langevin posterior chains',
    lrGen: 1e-3,
    lrDecay: 1,
    weightDecayGen: 0,
    sigma: 0.1,
  },
];

/** Learning from incomplete MNIST (§4.4 at 28×28: block sides scaled by 28/64), one family per method. */
function incompleteFamily(method: string, base: Parameters<typeof mnistFamily>[2], what: string): PresetDraft[] {
  return mnistFamily(`mnist-incomplete-${method}`, 'mnist', { ...base, occlusion: 'MB10' }, `${what} learning from MNIST occluded by MB10 (--set occlusion=P.5|P.7|MB10|B20|B30)`);
}

/** §4.4's setting: 10,000 CelebA images (64×64), occlusion B30 by default; data provided by the user. */
function celebaIncomplete(method: string, base: Partial<PresetDraft>, what: string): PresetDraft {
  const paper = imageFamily('celeba', 'celeba', 'celeba', 64, 10000, what).find((p) => p.scale === 'paper')!;
  return { ...paper, ...base, name: `celeba-incomplete-${method}-paper`, description: `${what} learning from 10,000 CelebA 64×64 images with B30 occlusions (Table 3; --set occlusion=P.5|P.7|MB10|B20|B30)`, occlusion: 'B30' };
}

export const PRESET_LIST: readonly TrainPreset[] = ([
  ...TOY2D,
  ...mnistFamily('mnist', 'mnist', TRIANGLE_BASE, 'divergence triangle'),
  ...mnistFamily('fashion-mnist', 'fashion-mnist', TRIANGLE_BASE, 'divergence triangle'),
  ...mnistFamily('mnist-vae', 'mnist', VAE_BASE, 'VAE baseline'),
  ...mnistFamily('mnist-wake-sleep', 'mnist', WAKE_SLEEP_BASE, 'wake-sleep baseline'),
  ...imageFamily('cifar10', 'cifar10', 'cifar', 0, 0, 'divergence triangle on CIFAR-10 32×32 (Table 5 networks; data provided by the user)'),
  ...imageFamily('celeba', 'celeba', 'celeba', 64, 9000, 'divergence triangle on CelebA 64×64 (Table 4 networks, 9,000 images as §4.1.1; data provided by the user)'),
  ...synthesisPresets(AUTHORS_TRIANGLE),
  ...notebookPresets({ triangle: TRIANGLE_BASE, vae: VAE_BASE, wakeSleep: WAKE_SLEEP_BASE, mnistFamily }),
  ...TOY2D_OTHER_METHODS,
  ...mnistFamily('mnist-latent-ebm', 'mnist', LATENT_EBM_BASE, 'VAE + latent EBM'),
  ...mnistFamily('fashion-mnist-latent-ebm', 'fashion-mnist', LATENT_EBM_BASE, 'VAE + latent EBM'),
  ...latentNotebookPresets({ latentEbm: LATENT_EBM_BASE }),
  ...mnistFamily('mnist-acd', 'mnist', ACD_BASE, 'adversarial contrastive divergence'),
  ...mnistFamily('mnist-abp', 'mnist', ABP_BASE, 'alternating back-propagation'),
  ...incompleteFamily('triangle', TRIANGLE_BASE, 'divergence triangle'),
  ...incompleteFamily('vae', VAE_BASE, 'VAE'),
  ...incompleteFamily('abp', ABP_BASE, 'ABP'),
  celebaIncomplete('triangle', TRIANGLE_BASE, 'divergence triangle'),
  celebaIncomplete('vae', VAE_BASE, 'VAE'),
  celebaIncomplete('abp', ABP_BASE, 'ABP'),
  ...incompletePresets({ triangle: TRIANGLE_BASE, abp: ABP_BASE }),
] as PresetDraft[]).map((p) => validatePreset(p as TrainPreset));

export const PRESETS: Readonly<Record<string, TrainPreset>> = Object.fromEntries(PRESET_LIST.map((p) => [p.name, p]));

export function presetNames(): string[] {
  return PRESET_LIST.map((p) => p.name);
}

/** The spec of `key`, or undefined for a key no preset has (an untyped caller's typo). */
function fieldSpec(key: string): AnySpec | undefined {
  return Object.prototype.hasOwnProperty.call(PRESET_FIELDS, key) ? (PRESET_FIELDS as Record<string, AnySpec>)[key] : undefined;
}

/** The keys an override may set, for the unknown-key message. */
function overridableKeys(): string[] {
  return Object.keys(PRESET_FIELDS).filter((k) => !isFixed(fieldSpec(k)!));
}

const isOptional = (spec: AnySpec): boolean => 'optional' in spec && spec.optional === true;
const isFixed = (spec: AnySpec): spec is FixedSpec => 'fixed' in spec;

/** One `--set key=value` string as the field's type (the CLI edge; the library takes typed values). */
function parseValue(key: string, spec: FieldSpec, raw: string): unknown {
  const v = raw.trim();
  const bad = (what: string) => new UserError(`--set ${key}=${raw}: ${what}`);
  if (isOptional(spec) && (v === 'default' || v === '')) return undefined;
  switch (spec.kind) {
    case 'number': {
      if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) throw bad(`${key} must be a number`);
      const n = Number(v);
      if (spec.integer && !Number.isInteger(n)) throw bad(`${key} must be a whole number`);
      return n; // the range is checked by validatePreset, for overrides and built-in values alike
    }
    case 'boolean':
      if (v === 'true' || v === '1') return true;
      if (v === 'false' || v === '0') return false;
      throw bad(`${key} must be true or false${spec.optional ? ' (or default)' : ''}`);
    case 'string':
      if (spec.choices && !spec.choices.includes(v)) throw bad(`${key} must be one of ${spec.choices.join(', ')}${spec.optional ? ', default' : ''}`);
      return v;
    case 'integers': {
      if (v === '') return [];
      const parts = v.split(',').map((s) => s.trim());
      if (!parts.every((s) => /^-?\d+$/.test(s))) throw bad(`${key} must be a comma-separated list of whole numbers, e.g. 0,1,7`);
      return parts.map(Number);
    }
    default: {
      const never: never = spec;
      throw new Error(`unknown field kind ${JSON.stringify(never)}`);
    }
  }
}

/**
 * `p` without the method-specific fields of methods other than its own (a copy), except `keep`: what a
 * change of method, or a checkpoint's preset filled from a registry preset of another method, leaves.
 */
export function dropOtherMethodsFields<T extends object>(p: T, keep: readonly string[] = []): T {
  const out = { ...p } as Record<string, unknown>;
  const method = out.method as TrainingMethod;
  for (const [key, methods] of Object.entries(METHOD_FIELDS) as [string, readonly TrainingMethod[]][]) {
    if (!methods.includes(method) && !keep.includes(key)) delete out[key];
  }
  return out as unknown as T;
}

/**
 * A preset with typed overrides applied.
 * @param name a key of PRESETS
 * @param overrides e.g. `{ iterations: 5, hidden: [16, 16] }` (parseOverrides makes them from `--set` strings)
 * @throws UserError naming the valid presets, keys or values
 */
export function resolvePreset(name: string, overrides: PresetOverrides = {}): TrainPreset {
  const base = PRESETS[name];
  if (!base) throw new UserError(`unknown preset "${name}"; valid presets: ${presetNames().join(', ')}`);
  return applyOverrides(base, overrides);
}

/**
 * `preset` with typed overrides applied (a new object; neither input is changed). Keys and fixed fields
 * are checked here (for callers the compiler did not check), types and ranges by validatePreset.
 * Same errors as resolvePreset.
 */
export function applyOverrides(preset: TrainPreset, overrides: PresetOverrides): TrainPreset {
  const out: Record<string, unknown> = { ...preset, classes: [...preset.classes], hidden: [...preset.hidden] };
  for (const [key, value] of Object.entries(overrides) as [string, unknown][]) {
    const spec = fieldSpec(key);
    if (!spec) throw new UserError(`preset ${preset.name}: unknown key "${key}" in overrides; valid keys: ${overridableKeys().join(', ')}`);
    if (isFixed(spec)) throw new UserError(`preset ${preset.name}: ${key} cannot be overridden; pick another preset instead`);
    if (value === undefined && !isOptional(spec)) throw new UserError(`preset ${preset.name}: ${key}=undefined: only optional fields go back to their default; give ${key} a value or leave it out`);
    out[key] = Array.isArray(value) ? [...value] : value;
  }
  // A new method drops the old one's own fields (they meant nothing to it) unless set here too.
  const kept = out.method !== preset.method ? dropOtherMethodsFields(out, Object.keys(overrides)) : out;
  return validatePreset(kept as unknown as TrainPreset);
}

function describeRange(r: NumberRange, integer?: boolean): string {
  const what = integer ? 'a whole number' : 'a finite number';
  if (r.min !== undefined && r.max !== undefined) return `${what} in ${r.minOpen ? '(' : '['}${r.min}, ${r.max}${r.maxOpen ? ')' : ']'}`;
  if (r.min !== undefined) return `${r.minOpen ? '>' : '≥'} ${r.min}`;
  if (r.max !== undefined) return `${r.maxOpen ? '<' : '≤'} ${r.max}`;
  return what;
}

function inRange(n: number, r: NumberRange): boolean {
  if (!Number.isFinite(n)) return false;
  if (r.min !== undefined && (r.minOpen ? !(n > r.min) : !(n >= r.min))) return false;
  if (r.max !== undefined && (r.maxOpen ? !(n < r.max) : !(n <= r.max))) return false;
  return true;
}

/**
 * Checks the type and range of every field of a merged preset (built-in values, `--set` overrides and
 * `--seed` alike), e.g. β ∈ [0, 1), learning rates and σ > 0, seed a whole number ≥ 0.
 * @returns `p` itself
 * @throws UserError naming the key, its value and the range
 */
export function validatePreset(p: TrainPreset): TrainPreset {
  const rec = p as unknown as Record<string, unknown>;
  for (const [key, spec] of Object.entries(PRESET_FIELDS) as [string, FieldSpec][]) {
    const v = rec[key];
    // a string where another type belongs is quoted, and named: a caller passed "5" for 5 (only parseOverrides parses --set strings)
    const stray = spec.kind !== 'string' && (typeof v === 'string' || (Array.isArray(v) && v.some((x) => typeof x === 'string')));
    const shown = stray ? JSON.stringify(v) : Array.isArray(v) ? v.join(',') : String(v);
    const bad = (what: string) =>
      new UserError(stray ? `preset ${p.name}: ${key}=${shown} holds a string: ${key} must be ${what} (overrides take typed values; parseOverrides parses --set strings)` : `preset ${p.name}: ${key}=${shown} is out of range: ${key} must be ${what}`);
    if (v === undefined) {
      if ('optional' in spec && spec.optional) continue;
      throw new UserError(`preset ${p.name}: ${key} is missing`);
    }
    switch (spec.kind) {
      case 'number':
        if (typeof v !== 'number') throw bad('a number');
        if (spec.integer && !Number.isInteger(v)) throw bad('a whole number');
        if (!inRange(v, spec)) throw bad(describeRange(spec, spec.integer));
        break;
      case 'boolean':
        if (typeof v !== 'boolean') throw bad('true or false');
        break;
      case 'string':
        if (typeof v !== 'string') throw bad('a string');
        if (spec.choices && !spec.choices.includes(v)) throw bad(`one of ${spec.choices.join(', ')}`);
        break;
      case 'integers':
        if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x) && x >= spec.min)) throw bad(`a list of whole numbers ≥ ${spec.min}`);
        break;
      default: {
        const never: never = spec;
        throw new Error(`unknown field kind ${JSON.stringify(never)}`);
      }
    }
  }
  for (const [key, methods] of Object.entries(METHOD_FIELDS) as [string, readonly TrainingMethod[]][]) {
    if (rec[key] !== undefined && !methods.includes(p.method)) {
      throw new UserError(`preset ${p.name}: ${key} belongs to method ${methods.join(' or ')}, not ${p.method}: remove it or set method=${methods[0]}`);
    }
  }
  checkProgressiveFields(p);
  return p;
}

/**
 * Progressive growing (§4.1.3) sets its networks, data size and length from its own fields: arch
 * 'progressive' goes with method 'progressive' only; the growth schedule (maxSize, stableIterations,
 * fadeIterations) replaces iterations/epochs, and maxSize replaces imageSize.
 */
function checkProgressiveFields(p: TrainPreset): void {
  const fail = (what: string) => new UserError(`preset ${p.name}: ${what}`);
  const progressive = p.method === 'progressive';
  if (progressive && p.arch !== 'progressive') throw fail(`method progressive grows its own networks: set arch=progressive (or start from a hires-… preset)`);
  if (!progressive && p.arch === 'progressive') throw fail(`arch progressive is trained by method progressive only: set method=progressive or another arch`);
  if (!progressive) return;
  for (const key of ['maxSize', 'stableIterations', 'fadeIterations'] as const) {
    if (p[key] === undefined) throw fail(`method progressive needs ${key}: set --set ${key}=N (see the hires-… presets)`);
  }
  if (!Number.isInteger(Math.log2(p.maxSize! / 4))) throw fail(`maxSize=${p.maxSize} is out of range: maxSize must be a power of two ≥ 4 (4, 8, 16, …, 1024)`);
  if (p.iterations !== 0 || p.epochs !== 0) throw fail(`the growth schedule sets the length of a progressive run: leave iterations and epochs at 0 and set stableIterations and fadeIterations`);
  if (p.imageSize !== 0) throw fail(`a progressive run resizes its data to maxSize: leave imageSize at 0 and set maxSize`);
  if (p.occlusion !== undefined && p.occlusion !== 'none') throw fail(`occlusion (§4.4) is not supported with progressive growing: leave occlusion at none or use a triangle preset`);
}

/**
 * Parses `--set` strings ("key=value") into typed overrides, coercing each value with its field's spec
 * (`default`, or an empty value, on an optional field → undefined: back to the default). Only the CLI
 * parses strings; ranges are checked when the overrides are applied (validatePreset).
 * @throws UserError for an entry without "=", an unknown or fixed key, or a value of the wrong type
 */
export function parseOverrides(entries: readonly string[]): PresetOverrides {
  const out: Record<string, unknown> = {};
  for (const e of entries) {
    const i = e.indexOf('=');
    if (i <= 0) throw new UserError(`--set ${e}: expected key=value, e.g. --set batchSize=64`);
    const key = e.slice(0, i).trim();
    const raw = e.slice(i + 1);
    const spec = fieldSpec(key);
    if (!spec) throw new UserError(`--set ${key}=${raw}: unknown key "${key}"; valid keys: ${overridableKeys().join(', ')}`);
    if (isFixed(spec)) throw new UserError(`--set ${key}=${raw}: ${key} cannot be overridden; pick another preset instead`);
    out[key] = parseValue(key, spec, raw);
  }
  return out as PresetOverrides;
}
