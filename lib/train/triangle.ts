/**
 * Algorithm 1 of the divergence-triangle paper: per iteration, with x ~ q_data, z ~ N(0, I) and
 * x̃ = g_θ(z) drawn once,
 *   α-step: ascend D in α      (loss mean E(x) − mean E(x̃), Eq. 17)
 *   φ-step: descend D in φ     (recon + KL + w·(−log q_φ(z|x̃)), Eqs. 14, 18), z̃ = μ_φ(x) + σ_φ(x)ε
 *   θ-step: descend D in θ     (recon + mean E(x̃) + w·(−log q_φ(z|x̃)), Eqs. 14, 18), `generatorSteps`
 *           times (§4.3: several θ-steps bring x̃ close to minima of −f_α before the next α-step)
 * in the authors' order EBM, inference, generator, each with its own Adam. The θ-step's z̃ is drawn
 * anew through the just-updated φ with fresh noise ε′ (a constant for θ), as the authors' code
 * recomputes it before the generator step; it reuses the prior draw z and x̃.
 */
import * as tf from '@tensorflow/tfjs';
import type { Ebm, Generator, InferenceNet, Module } from '../models/types';
import type { ObjectiveScaling } from '../objectives/scaling';
import { triangleEbmLoss, triangleGeneratorLoss, triangleInferenceLoss } from '../objectives/triangle';
import type { OptimizerConfig } from './optimizer';
import { NOISE_STREAM } from '../random';
import type { StepContext } from './trainer';
import { descend, descendRepeatedly, reconstructFromMean, thetaStepPosterior, TrainerBase } from './trainer-base';

/** Re-exported: the θ-step's own noise stream, with the trainer that introduced it (trainer-base.ts). */
export { THETA_POSTERIOR_STREAM } from './trainer-base';

export interface DivergenceTriangleOptions {
  seed: number;
  scaling: ObjectiveScaling;
  optimizers: { ebm: OptimizerConfig; generator: OptimizerConfig; inference: OptimizerConfig };
  /** θ-steps per iteration (default 1). */
  generatorSteps?: number;
  /** x̃ = g_θ(z) + σe, a sample of p_θ(x|z) as Algorithm 1 line 4 (σ = scaling.sigma). Default false:
   * x̃ = g_θ(z), as the authors' image code. With it, the EBM sees samples on every side of a mode,
   * which is what carves a local minimum of −f_α there (the 2-D presets use it). */
  noisySamples?: boolean;
}

export class DivergenceTriangleTrainer extends TrainerBase<'ebm' | 'generator' | 'inference'> {
  readonly method = 'triangle' as const;
  /** StepContext.mask is honoured: the reconstruction terms count observed pixels only (§4.4); the
   * encoder sees x as given, on incomplete data the current fill (IncompleteDataTrainer). */
  readonly masksReconstruction = true;
  readonly generatorSteps: number;

  constructor(
    generator: Generator,
    readonly inference: InferenceNet,
    readonly ebm: Ebm,
    readonly options: DivergenceTriangleOptions,
  ) {
    super(generator, options.seed, {
      ebm: [ebm, options.optimizers.ebm],
      generator: [generator, options.optimizers.generator],
      inference: [inference, options.optimizers.inference],
    });
    this.generatorSteps = options.generatorSteps ?? 1;
  }

  /**
   * One iteration of Algorithm 1 on x [N, ...].
   * @param ctx.mask incomplete data (§4.4; 1 = observed, [N, H, W, 1] or x's shape): x's missing pixels are
   *   the current fill, which the encoder sees; the reconstruction counts observed pixels only, and the
   *   EBM's data are the observed pixels completed by the model's reconstruction of the fill, g(μ_φ(x))
   *   (eval mode, no gradient): "the generated samples which become gradually recovered during training".
   * @returns D and its terms (Eq. 13; from the parameters before this iteration's updates), each
   *   network's loss and gradient norm, and learning rates
   */
  step(x: tf.Tensor, ctx?: StepContext): Record<string, number> {
    const mask = ctx?.mask;
    const xData = mask ? this.complete(x, mask) : x;
    const n = x.shape[0];
    const s = this.options.scaling;
    const z = this.state.normal([n, ...this.generator.latentShape], NOISE_STREAM.prior);
    const eps = this.state.normal([n, ...this.inference.latentShape], NOISE_STREAM.posterior);
    const xNoise = this.options.noisySamples
      ? tf.tidy(() => tf.mul(this.state.normal([n, ...this.generator.outputShape], NOISE_STREAM.likelihood), s.sigma))
      : undefined;
    const xGen = tf.tidy(() => (xNoise ? tf.add(this.generator.generate(z, true), xNoise) : this.generator.generate(z, true)));
    let zTheta: tf.Tensor | undefined;
    try {
      const a = descend(this.opt.ebm, () => triangleEbmLoss(this.ebm, xData, xGen, true));
      const p = descend(this.opt.inference, () => triangleInferenceLoss(this.generator, this.inference, x, eps, z, xGen, s, true, mask));
      tf.dispose(Object.values(p.tensors));
      zTheta = thetaStepPosterior(this.state, this.inference, x);
      const zt = zTheta;
      const g = descendRepeatedly(this.opt.generator, this.generatorSteps, () => triangleGeneratorLoss(this.generator, this.inference, this.ebm, x, zt, z, s, true, xNoise, mask));

      const { recon, kl, nllLatent, mse } = p.terms;
      const { energyData, energyGen } = a.terms;
      const klQP = recon + kl;
      const klPPi = energyGen + s.latentNllWeight * nllLatent;
      const klQPi = energyData;
      this.state.iteration += 1;
      return {
        D: klQP + klPPi - klQPi,
        klQP,
        klPPi,
        klQPi,
        recon,
        kl,
        nllLatent,
        energyData,
        energyGen,
        mse,
        lossEbm: a.terms.loss,
        lossInf: p.terms.loss,
        lossGen: g.terms.loss,
        gradNormEbm: a.gradNorm,
        gradNormInf: p.gradNorm,
        gradNormGen: g.gradNorm,
        lrEbm: this.opt.ebm.learningRate,
        lrInf: this.opt.inference.learningRate,
        lrGen: this.opt.generator.learningRate,
      };
    } finally {
      tf.dispose([z, eps, xGen]);
      if (xNoise) xNoise.dispose();
      zTheta?.dispose();
      if (mask) xData.dispose();
    }
  }

  /** m ⊙ x + (1 − m) ⊙ g(μ_φ(x)), x the current fill; eval mode, caller disposes. */
  private complete(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.add(tf.mul(x, mask), tf.mul(tf.sub(1, mask), reconstructFromMean(this.generator, this.inference, x))));
  }

  /** g(μ_φ(x)), eval mode; on incomplete data x is the current fill, as in training. */
  reconstruct(x: tf.Tensor): tf.Tensor {
    return reconstructFromMean(this.generator, this.inference, x);
  }

  modules(): Record<string, Module> {
    return { generator: this.generator, inference: this.inference, ebm: this.ebm };
  }
}
