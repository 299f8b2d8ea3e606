/**
 * Where the paper and the authors' code scale the same terms differently (ENVIRONMENT.md, "Reference
 * implementation details"). Every objective takes an ObjectiveScaling; presets name which one they use.
 */
import type { DimReduction } from './gaussian';

export interface ObjectiveScaling {
  /** σ of p_θ(x|z) = N(g_θ(z), σ²I): recon = ‖x − g(z)‖² / (2σ²) summed over pixels, mean over the batch.
   * Neither source states σ for images; the authors' "summed squared error" is σ² = ½. */
  sigma: number;
  /** KL(q_φ(z|x) ‖ p(z)) over latent dims: 'sum' is the KL of Eq. 14; the authors' code averages ('mean'). */
  klReduction: DimReduction;
  /** Weight of the sleep term −log q_φ(z | g_θ(z)) of KL(P‖Π) (Eq. 18): 1 in the paper, 0.1 in the authors' code. */
  latentNllWeight: number;
}

export type ScalingName = 'paper' | 'authors';
export const SCALING_NAMES: readonly ScalingName[] = ['paper', 'authors'];

/** The two named scalings, optionally with individual fields replaced. */
export function objectiveScaling(name: ScalingName, overrides: Partial<ObjectiveScaling> = {}): ObjectiveScaling {
  let base: ObjectiveScaling;
  switch (name) {
    case 'paper':
      base = { sigma: Math.SQRT1_2, klReduction: 'sum', latentNllWeight: 1 };
      break;
    case 'authors':
      base = { sigma: Math.SQRT1_2, klReduction: 'mean', latentNllWeight: 0.1 };
      break;
    default: {
      const never: never = name;
      throw new Error(`unknown scaling ${String(never)}`);
    }
  }
  const out = { ...base };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
