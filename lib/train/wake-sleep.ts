/**
 * Wake-sleep baseline (Hinton et al. 1995; divergence-triangle §3.2.1) on the triangle's generator and
 * inference networks. Per iteration:
 *   wake:  z̃ ~ q_φ(z|x) (fixed), θ descends ‖x − g_θ(z̃)‖²/(2σ²)         — min_θ KL(Q‖P)
 *   sleep: z ~ N(0, I), x̃ = g_θ(z) (fixed), φ descends −log q_φ(z|x̃)    — min_φ KL(P‖Q)
 * Two objectives and no single loss, which is what the triangle's φ-step unifies.
 */
import * as tf from '@tensorflow/tfjs';
import type { Generator, InferenceNet, Module } from '../models/types';
import { reparameterize } from '../objectives/gaussian';
import type { ObjectiveScaling } from '../objectives/scaling';
import { sleepLoss, wakeLoss } from '../objectives/vae';
import type { OptimizerConfig } from './optimizer';
import { NOISE_STREAM } from '../random';
import { descend, reconstructFromMean, TrainerBase } from './trainer-base';

export interface WakeSleepTrainerOptions {
  seed: number;
  scaling: ObjectiveScaling;
  optimizers: { generator: OptimizerConfig; inference: OptimizerConfig };
}

export class WakeSleepTrainer extends TrainerBase<'generator' | 'inference'> {
  readonly method = 'wake-sleep' as const;

  constructor(
    generator: Generator,
    readonly inference: InferenceNet,
    readonly options: WakeSleepTrainerOptions,
  ) {
    super(generator, options.seed, { generator: [generator, options.optimizers.generator], inference: [inference, options.optimizers.inference] });
  }

  /** Wake then sleep on x [N, ...]. @returns recon (wake loss), mse, nllLatent (sleep loss), grad norms */
  step(x: tf.Tensor): Record<string, number> {
    const n = x.shape[0];
    const z = this.state.normal([n, ...this.generator.latentShape], NOISE_STREAM.prior);
    const eps = this.state.normal([n, ...this.inference.latentShape], NOISE_STREAM.posterior);
    const zInf = tf.tidy(() => {
      const { mu, logvar } = this.inference.encode(x, true);
      return reparameterize(mu, logvar, eps);
    });
    let xGen: tf.Tensor | undefined;
    try {
      const w = descend(this.opt.generator, () => wakeLoss(this.generator, x, zInf, this.options.scaling, true));
      xGen = tf.tidy(() => this.generator.generate(z, true));
      const s = descend(this.opt.inference, () => sleepLoss(this.inference, z, xGen!, true));
      this.state.iteration += 1;
      return {
        recon: w.terms.recon,
        mse: w.terms.mse,
        nllLatent: s.terms.nllLatent,
        lossGen: w.terms.loss,
        lossInf: s.terms.loss,
        gradNormGen: w.gradNorm,
        gradNormInf: s.gradNorm,
        lrGen: this.opt.generator.learningRate,
        lrInf: this.opt.inference.learningRate,
      };
    } finally {
      tf.dispose([z, eps, zInf]);
      if (xGen) xGen.dispose();
    }
  }

  reconstruct(x: tf.Tensor): tf.Tensor {
    return reconstructFromMean(this.generator, this.inference, x);
  }

  modules(): Record<string, Module> {
    return { generator: this.generator, inference: this.inference };
  }
}
