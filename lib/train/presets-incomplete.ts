/**
 * Presets of experiment 08, learning from occluded MNIST (divergence-triangle §4.4, Table 3 at 28×28):
 * `mnist-incomplete-<method>-<mask>-<scaling>-scaling-<scale>`, one per method (triangle, VAE, ABP, and
 * `triangle-1step`, the θ-step control), occlusion of Table 3 (P.5, P.7, MB10, B20, B30), objective
 * scaling and scale.
 *
 * Within one scaling the three methods differ in the method alone: the same data, networks, schedule,
 * optimizers (the authors': Adam (0.5, 0.999), weight decay 5e-4 on the generator only), σ of p_θ(x|z) and
 * refill count, so the same KL weight ('paper': KL summed over latent dims, sleep weight 1; 'authors':
 * averaged, sleep weight 0.1). ABP has no KL term: its Langevin posterior is p(z|x) ∝ p(z) p_θ(x|z) with
 * the scaling's σ, so its two scalings train the same model (kept under both names for the table).
 *
 * presets.ts passes its bases in (this file imports only types from it), so presets.ts can spread the
 * list into PRESET_LIST without an import cycle.
 */
import { OCCLUSION_KINDS, type OcclusionKind } from '../data/masks';
import type { ScalingName } from '../objectives/scaling';
import type { MethodBase, PresetScale, PresetDraft, TrainPreset } from './presets';
import { mnistNetworks } from './presets-notebooks';
import type { ScheduleRow } from './presets-schedule';

export type IncompleteMethod = 'triangle' | 'vae' | 'abp';
export const INCOMPLETE_METHODS: readonly IncompleteMethod[] = ['triangle', 'vae', 'abp'];
/** The methods and the θ-step control: the triangle with one θ-step per iteration, as many generator
 * updates as the VAE's and ABP's (the compared triangle takes INCOMPLETE_THETA_STEPS). */
export type IncompleteVariant = IncompleteMethod | 'triangle-1step';
export const INCOMPLETE_VARIANTS: readonly IncompleteVariant[] = [...INCOMPLETE_METHODS, 'triangle-1step'];

/** θ-steps of the triangle per iteration: Algorithm 1's several, as in experiments 01 and 06 (one lets x̃ collapse). */
export const INCOMPLETE_THETA_STEPS = 3;

export interface IncompletePresetSources {
  /** the divergence triangle with the authors' settings; the VAE and ABP take its optimizers */
  triangle: MethodBase;
  /** ABP's Langevin inference (its σ is replaced by the scaling's) */
  abp: Pick<PresetDraft, 'langevinSteps' | 'langevinDelta' | 'abpPersistent'>;
}

/** 'MB10' → 'mb10', 'P.5' → 'p5': the mask as it appears in preset names. */
export function maskSlug(mask: OcclusionKind): string {
  return mask.toLowerCase().replace('.', '');
}

export function incompletePresetName(method: IncompleteVariant, mask: OcclusionKind, scaling: ScalingName, scale: PresetScale): string {
  return `mnist-incomplete-${method}-${maskSlug(mask)}-${scaling}-scaling-${scale}`;
}

/** One scale, with the refills of each image at recovery (occlusionRefills sits in the middle of the row). */
type IncompleteSchedule = ScheduleRow & { occlusionRefills: number; what: string };

/**
 * cpu: 1,000 images so every image is refilled ~19 times in 300 iterations of batch 64. Measured on 2
 * quiet cores (native backend, `dtri train` one run at a time, load 1.5–1.9, 2026-12-04) at 400 iterations:
 * triangle with 3 θ-steps 136 s, VAE 36 s, ABP (10 Langevin steps per visit) 252 s, 1-θ-step triangle 88 s;
 * 10 refills of the 1,000 training images ≈ 1 s (triangle, VAE) and ≈ 20 s (ABP: a chain of 10 steps per
 * refill). Experiment 08 at cpu has 21 runs (15, triangle and VAE under the other scaling on two masks, the
 * 1-θ-step triangle on two): 44 minutes of training at 400 iterations, the notebook about 50, so cpu has 300
 * (the same for every method, so the comparison stays fair): about 33 minutes of training.
 */
const SCHEDULES: readonly IncompleteSchedule[] = [
  { scale: 'quick', dataLimit: 64, width: 0.125, batchSize: 16, epochs: 1, iterations: 8, occlusionRefills: 2, checkpointEvery: 0, logEvery: 2, what: '1/8-width Table 6 networks, 64 images, batch 16, 8 iterations, 2 refills (seconds; smoke test)' },
  { scale: 'cpu', dataLimit: 1000, width: 0.125, batchSize: 64, epochs: 1, iterations: 300, occlusionRefills: 10, checkpointEvery: 150, logEvery: 10, what: '1/8-width Table 6 networks, 1,000 images, batch 64, 300 iterations (~19 refills per image), 10 refills at recovery' },
  { scale: 'paper', dataLimit: 10000, width: 1, batchSize: 100, epochs: 100, iterations: 0, occlusionRefills: 10, checkpointEvery: 1000, logEvery: 50, what: 'Table 6 networks, 10,000 images as Table 3, batch 100, 100 epochs, 10 refills at recovery (GPU-class machine)' },
];


/** Every preset of experiment 08, in display order (spread into presets.ts's PRESET_LIST). */
export function incompletePresets(src: IncompletePresetSources): PresetDraft[] {
  const base: Record<IncompleteVariant, MethodBase & Partial<PresetDraft>> = {
    triangle: { ...src.triangle, generatorSteps: INCOMPLETE_THETA_STEPS },
    'triangle-1step': { ...src.triangle, generatorSteps: 1 },
    vae: { ...src.triangle, method: 'vae' },
    // only the Langevin fields: ABP_BASE's σ = 0.3 would weigh its likelihood 5.6× the others'
    abp: { ...src.triangle, method: 'abp', langevinSteps: src.abp.langevinSteps, langevinDelta: src.abp.langevinDelta, abpPersistent: src.abp.abpPersistent },
  };
  const out: PresetDraft[] = [];
  for (const scaling of ['paper', 'authors'] as const) {
    for (const method of INCOMPLETE_VARIANTS) {
      for (const mask of OCCLUSION_KINDS) {
        for (const s of SCHEDULES) {
          const { what, ...sched } = s;
          const steps = method === 'triangle' ? `, ${INCOMPLETE_THETA_STEPS} θ-steps per iteration` : method === 'triangle-1step' ? ', 1 θ-step per iteration (the θ-step control)' : '';
          out.push({
            ...base[method],
            ...sched,
            scaling,
            occlusion: mask,
            name: incompletePresetName(method, mask, scaling, s.scale),
            description: `${base[method].method} learning from MNIST occluded by ${mask} (§4.4, Table 3 at 28×28), '${scaling}' scaling, authors' optimizers${steps}, ${what}`,
            ...mnistNetworks('mnist'),
          });
        }
      }
    }
  }
  return out;
}
