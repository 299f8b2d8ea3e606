/**
 * Adversarial contrastive divergence (ACD), divergence-triangle paper §2.2.3 and §3.2.2, Eqs. 15–17:
 * contrastive divergence for the EBM with the intractable π_{α_t} replaced by the generator p_θ,
 *
 *   max_α min_θ [KL(p_θ‖π_α) − KL(q_data‖π_α)]                                         (Eq. 16)
 *   α-step: ascend E_data f_α − E_{p_θ} f_α,  loss energyData − energyGen (E = −f)       (Eq. 17)
 *   θ-step: min KL(p_θ(x)‖π_α) = −E_{p_θ} f_α(x) − H(p_θ) + log Z(α).
 *
 * Generator and EBM only, no inference model. The paper notes that p_θ(x)'s entropy H(p_θ) has no
 * closed form — the triangle removes it by a variational bound through q_φ (Eq. 18, KL(P‖Π)); ACD itself
 * has to estimate it or drop it, as the works it underlies do ([23] Kim & Bengio 2016, [24] Dai et al. 2017):
 *   'nearest-neighbour'  Kozachenko–Leonenko estimator on the batch, (d/M) Σ log ρ_i + const, ρ_i the distance
 *                        from x̃_i to its nearest other sample (the nearest-neighbour entropy of [24]);
 *   'gaussian'           entropy of a diagonal Gaussian fitted to the batch, ½ Σ_d log Var(x̃_d) + const
 *                        (the moment approximation behind [23]'s batch-norm entropy term);
 *   'none'               drop it (the generator then chases the modes of f_α and may collapse).
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import type { Ebm, Generator, Module } from '../models/types';
import { triangleEbmLoss } from '../objectives/triangle';
import type { OptimizerConfig } from './optimizer';
import { NOISE_STREAM } from '../random';
import { descend, descendRepeatedly, TrainerBase } from './trainer-base';

export type AcdEntropyEstimator = 'nearest-neighbour' | 'gaussian' | 'none';
export const ACD_ENTROPY_ESTIMATORS: readonly AcdEntropyEstimator[] = ['nearest-neighbour', 'gaussian', 'none'];

/**
 * Entropy estimate of the distribution of a batch of samples (up to an additive constant), differentiable.
 * @param x [M, ...] samples (M ≥ 2)
 * @returns a scalar in nats (constant dropped), or 0 for 'none'
 */
export function sampleEntropy(x: tf.Tensor, estimator: AcdEntropyEstimator): tf.Scalar {
  return tf.tidy(() => {
    const m = x.shape[0];
    const flat = tf.reshape(x, [m, -1]) as tf.Tensor2D;
    const d = flat.shape[1];
    switch (estimator) {
      case 'nearest-neighbour': {
        if (m < 2) throw new UserError('nearest-neighbour entropy needs a batch of at least 2 samples; raise batchSize');
        // ‖a − b‖² = ‖a‖² + ‖b‖² − 2a·b; the diagonal is pushed out of the minimum.
        const sq = tf.sum(tf.square(flat), 1, true);
        const d2 = tf.relu(tf.sub(tf.add(sq, tf.transpose(sq)), tf.mul(2, tf.matMul(flat, flat, false, true))));
        const masked = tf.add(d2, tf.mul(tf.eye(m), 1e30));
        const nearest = tf.min(masked, 1);
        // (d/M) Σ log ρ_i = (d/2M) Σ log ρ_i²; the small floor keeps log finite for coincident samples.
        return tf.mul(d / 2, tf.mean(tf.log(tf.add(nearest, 1e-12)))) as tf.Scalar;
      }
      case 'gaussian': {
        const { variance } = tf.moments(flat, 0);
        return tf.mul(0.5, tf.sum(tf.log(tf.add(variance, 1e-12)))) as tf.Scalar;
      }
      case 'none':
        return tf.scalar(0);
      default: {
        const never: never = estimator;
        throw new UserError(`unknown entropy estimator "${String(never)}": use ${ACD_ENTROPY_ESTIMATORS.join(', ')}`);
      }
    }
  });
}

/**
 * θ-step of ACD: KL(p_θ‖π_α) up to log Z(α), estimated on x̃ = g_θ(z):
 *   loss = energyGen − w·Ĥ(x̃) + reference,  energyGen = −mean f_α(x̃),
 *   reference = mean ‖x̃‖²/(2σ_ref²) when π_α has a Gaussian reference measure (else 0).
 * @param z [M, ...latentShape] prior draws
 */
export function acdGeneratorLoss(
  generator: Generator,
  ebm: Ebm,
  z: tf.Tensor,
  entropy: { estimator: AcdEntropyEstimator; weight: number },
  training: boolean,
  referenceStd = Infinity,
): { loss: tf.Scalar; energyGen: tf.Scalar; entropy: tf.Scalar; reference: tf.Scalar } {
  return tf.tidy(() => {
    const xGen = generator.generate(z, training);
    const energyGen = tf.neg(tf.mean(ebm.score(xGen, training))) as tf.Scalar;
    const h = sampleEntropy(xGen, entropy.estimator);
    const reference = Number.isFinite(referenceStd)
      ? (tf.div(tf.mean(tf.sum(tf.reshape(tf.square(xGen), [xGen.shape[0], -1]), 1)), 2 * referenceStd * referenceStd) as tf.Scalar)
      : tf.scalar(0);
    return { loss: tf.addN([energyGen, tf.mul(-entropy.weight, h), reference]) as tf.Scalar, energyGen, entropy: h, reference };
  });
}

export interface AcdTrainerOptions {
  seed: number;
  optimizers: { ebm: OptimizerConfig; generator: OptimizerConfig };
  /** How H(p_θ) enters the θ-step (default 'nearest-neighbour'). */
  entropy?: AcdEntropyEstimator;
  /** Weight of the entropy term (1 = KL(p_θ‖π_α) exactly, given a good estimate). */
  entropyWeight?: number;
  /** θ-steps per iteration (default 1). */
  generatorSteps?: number;
  /**
   * σ of a Gaussian reference measure, π_α(x) ∝ exp(f_α(x)) N(x; 0, σ²I) (the generative ConvNet's form,
   * ref. [4]); default ∞ (none). It keeps π_α normalizable when f_α is unbounded and the data are not
   * confined (the 2-D toys, whose generator output is linear); it does not change the α-gradient.
   */
  referenceStd?: number;
}

export class AcdTrainer extends TrainerBase<'ebm' | 'generator'> {
  readonly method = 'acd' as const;
  readonly entropy: { estimator: AcdEntropyEstimator; weight: number };
  readonly generatorSteps: number;

  constructor(
    generator: Generator,
    readonly ebm: Ebm,
    readonly options: AcdTrainerOptions,
  ) {
    super(generator, options.seed, { ebm: [ebm, options.optimizers.ebm], generator: [generator, options.optimizers.generator] });
    this.entropy = { estimator: options.entropy ?? 'nearest-neighbour', weight: options.entropyWeight ?? 1 };
    this.generatorSteps = options.generatorSteps ?? 1;
  }

  /**
   * One α-step and `generatorSteps` θ-steps on x [N, ...] (z ~ N(0, I) drawn once per iteration).
   * @returns the two losses, energies (E = −f) of data and samples, the entropy estimate, grad norms, lrs
   */
  step(x: tf.Tensor): Record<string, number> {
    const z = this.state.normal([x.shape[0], ...this.generator.latentShape], NOISE_STREAM.prior);
    const xGen = tf.tidy(() => this.generator.generate(z, true));
    try {
      const a = descend(this.opt.ebm, () => triangleEbmLoss(this.ebm, x, xGen, true));
      const { terms: g, gradNorm: gradNormGen } = descendRepeatedly(this.opt.generator, this.generatorSteps, () => acdGeneratorLoss(this.generator, this.ebm, z, this.entropy, true, this.options.referenceStd));
      this.state.iteration += 1;
      return {
        // Eq. 16 without log Z: KL(p_θ‖π_α) − KL(q_data‖π_α) ≈ (energyGen − H) − energyData (data entropy and
        // the reference term of the data dropped).
        acd: g.energyGen + g.reference - this.entropy.weight * g.entropy - a.terms.energyData,
        energyData: a.terms.energyData,
        energyGen: a.terms.energyGen,
        entropy: g.entropy,
        reference: g.reference,
        lossEbm: a.terms.loss,
        lossGen: g.loss,
        gradNormEbm: a.gradNorm,
        gradNormGen,
        lrEbm: this.opt.ebm.learningRate,
        lrGen: this.opt.generator.learningRate,
      };
    } finally {
      tf.dispose([z, xGen]);
    }
  }

  /** ACD learns no inference model, so there is nothing to reconstruct with. */
  reconstruct(x: tf.Tensor): tf.Tensor {
    void x;
    throw new UserError('ACD trains no inference model, so it cannot reconstruct; use a triangle, vae, latent-ebm or abp preset');
  }

  modules(): Record<string, Module> {
    return { generator: this.generator, ebm: this.ebm };
  }
}
