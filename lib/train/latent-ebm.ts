/**
 * Algorithm 1 of "Joint Training of Variational Auto-Encoder and Latent Energy-Based Model" (Han et al.,
 * CVPR 2020). Per iteration, with x ~ q_data and z ~ N(0, I):
 *   3: synthesis sampling  (z_i, x̃_i = g_θ(z_i))                  Eq. 18
 *   4: inference sampling  (x_i, z̃_i = μ_φ(x_i) + V_φ^½ e₂)        Eq. 18
 *   5: α-step  L_E = energyData − energyGen                         Eqs. 11, 12, 19
 *   6: φ-step  L_I of Eq. 15 ("Ours") or Eq. 17 ("Ours(+)")         Eqs. 15–17, 20
 *   7: θ-step  L_G = recon(x | z̃) + energyGen(g_θ(z), z)            Eqs. 13, 14, 21
 * each network with its own Adam (the authors' code: β = (0, 0.9), weight decay 1e-4 on θ and φ).
 * The θ-step draws z̃ anew through the just-updated φ with fresh noise e₂ (detached), as the authors' code
 * does (train_cifar.py recomputes `z_input` before the G-step); it reuses the prior draw z of line 3.
 */
import * as tf from '@tensorflow/tfjs';
import type { Generator, InferenceNet, LatentEbm, Module } from '../models/types';
import {
  inferenceSample,
  latentEbmLossE,
  latentEbmLossG,
  latentEbmLossI,
  type LatentEbmInferenceRule,
  type LatentEbmScaling,
} from '../objectives/latent-ebm';
import type { OptimizerConfig } from './optimizer';
import { NOISE_STREAM } from '../random';
import type { StepContext } from './trainer';
import { descend, descendRepeatedly, reconstructFromMean, thetaStepPosterior, TrainerBase } from './trainer-base';

export interface LatentEbmTrainerOptions {
  seed: number;
  /** σ, KL reduction and energy weight (lib/objectives/latent-ebm.ts). */
  scaling: LatentEbmScaling;
  /** 'eq15' ("Ours", the paper's main results) or 'eq17' ("Ours(+)"). */
  inferenceRule: LatentEbmInferenceRule;
  optimizers: { ebm: OptimizerConfig; generator: OptimizerConfig; inference: OptimizerConfig };
  /** θ-steps per iteration (default 1). */
  generatorSteps?: number;
}

export class LatentEbmTrainer extends TrainerBase<'latentEbm' | 'generator' | 'inference'> {
  readonly method = 'latent-ebm' as const;
  // No `masksReconstruction`: on incomplete data the encoder sees the wrapper's current fill (§4.4's refill
  // loop, lib/train/incomplete.ts) and StepContext.mask only restricts the reconstruction terms to the
  // observed pixels, so recovery refills iteratively as for any trainer that does not mask its input.
  readonly generatorSteps: number;

  constructor(
    generator: Generator,
    readonly inference: InferenceNet,
    readonly latentEbm: LatentEbm,
    readonly options: LatentEbmTrainerOptions,
  ) {
    super(generator, options.seed, {
      latentEbm: [latentEbm, options.optimizers.ebm],
      generator: [generator, options.optimizers.generator],
      inference: [inference, options.optimizers.inference],
    });
    this.generatorSteps = options.generatorSteps ?? 1;
  }

  /**
   * One iteration of Algorithm 1 on x [N, ...].
   * @param ctx.mask observed pixels for incomplete data (reconstruction on those only)
   * @returns the three losses and their terms (energies are E = −f), KL(Q‖P) and KL(Q‖Π) estimates,
   *   gradient norms and learning rates
   */
  step(x: tf.Tensor, ctx?: StepContext): Record<string, number> {
    const n = x.shape[0];
    const { scaling, inferenceRule } = this.options;
    const mask = ctx?.mask;
    const z = this.state.normal([n, ...this.generator.latentShape], NOISE_STREAM.prior);
    const eps = this.state.normal([n, ...this.inference.latentShape], NOISE_STREAM.posterior);
    // Lines 3–4: the samples the α-step sees are constants (no tape here).
    const xGen = tf.tidy(() => this.generator.generate(z, true));
    let zInf: tf.Tensor | undefined;
    try {
      zInf = tf.tidy(() => inferenceSample(this.inference, x, eps, true).zInf);
      const e = descend(this.opt.latentEbm, () => latentEbmLossE(this.latentEbm, { x, z: zInf! }, { x: xGen, z }, true));
      const i = descend(this.opt.inference, () => latentEbmLossI(this.inference, this.generator, this.latentEbm, x, eps, { rule: inferenceRule, scaling, training: true, mask }));
      tf.dispose(Object.values(i.tensors));
      const zTheta = thetaStepPosterior(this.state, this.inference, x);
      let g: ReturnType<typeof descendRepeatedly>;
      try {
        g = descendRepeatedly(this.opt.generator, this.generatorSteps, () => latentEbmLossG(this.generator, this.latentEbm, x, zTheta, z, { scaling, training: true, mask }));
      } finally {
        zTheta.dispose();
      }
      this.state.iteration += 1;
      const { recon, kl, entropy, priorNll } = i.terms;
      return {
        klQP: recon + kl,
        klQPi: e.terms.energyData - entropy,
        recon,
        kl,
        entropy,
        priorNll,
        energyData: e.terms.energyData,
        energyGen: e.terms.energyGen,
        mse: g.terms.mse,
        lossEbm: e.terms.loss,
        lossInf: i.terms.loss,
        lossGen: g.terms.loss,
        gradNormEbm: e.gradNorm,
        gradNormInf: i.gradNorm,
        gradNormGen: g.gradNorm,
        lrEbm: this.opt.latentEbm.learningRate,
        lrInf: this.opt.inference.learningRate,
        lrGen: this.opt.generator.learningRate,
      };
    } finally {
      tf.dispose([z, eps, xGen]);
      zInf?.dispose();
    }
  }

  /** g_θ(μ_φ(x)), eval mode. @param x [N, ...] */
  reconstruct(x: tf.Tensor): tf.Tensor {
    return reconstructFromMean(this.generator, this.inference, x);
  }

  /** f_α(x, μ_φ(x)) per example (eval mode): the latent EBM's score of data with its inferred code. */
  score(x: tf.Tensor): tf.Tensor1D {
    return tf.tidy(() => this.latentEbm.score(x, this.inference.encode(x, false).mu, false));
  }

  modules(): Record<string, Module> {
    return { generator: this.generator, inference: this.inference, latentEbm: this.latentEbm };
  }
}
