/**
 * VAE baseline (Kingma & Welling 2014) on the triangle's generator and inference networks:
 * min_θ min_φ KL(Q‖P) (divergence-triangle Eq. 14) — one loss, one backward pass, each network
 * stepped by its own Adam (clipped per network, as the triangle's).
 */
import * as tf from '@tensorflow/tfjs';
import type { Generator, InferenceNet, Module } from '../models/types';
import type { ObjectiveScaling } from '../objectives/scaling';
import { vaeLoss } from '../objectives/vae';
import { applyChecked, gradsAndTerms, type NetworkOptimizer, type OptimizerConfig } from './optimizer';
import { NOISE_STREAM } from '../random';
import type { StepContext } from './trainer';
import { reconstructFromMean, TrainerBase } from './trainer-base';

export interface VaeTrainerOptions {
  seed: number;
  scaling: ObjectiveScaling;
  optimizers: { generator: OptimizerConfig; inference: OptimizerConfig };
}

/** Splits a gradient map by which optimizer owns each variable. */
export function splitGrads(grads: tf.NamedTensorMap, optimizer: NetworkOptimizer): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  for (const v of optimizer.variables) if (grads[v.name]) out[v.name] = grads[v.name];
  return out;
}

export class VaeTrainer extends TrainerBase<'generator' | 'inference'> {
  readonly method = 'vae' as const;
  /** StepContext.mask is honoured: the likelihood counts observed pixels only (§4.4); the encoder sees x
   * as given, on incomplete data the current fill (IncompleteDataTrainer). */
  readonly masksReconstruction = true;

  constructor(
    generator: Generator,
    readonly inference: InferenceNet,
    readonly options: VaeTrainerOptions,
  ) {
    super(generator, options.seed, { generator: [generator, options.optimizers.generator], inference: [inference, options.optimizers.inference] });
  }

  /**
   * One ELBO step on x [N, ...].
   * @param ctx.mask incomplete data (§4.4; 1 = observed): the likelihood counts observed pixels only ("VAEs
   *   only consider the un-occluded parts"); the encoder sees x, whose missing pixels are the current fill
   *   ("filling the missing parts …, then iteratively re-update the missing parts using reconstructed values")
   * @returns loss (= −ELBO without constant), elbo, recon, kl, mse, grad norms
   */
  step(x: tf.Tensor, ctx?: StepContext): Record<string, number> {
    const mask = ctx?.mask;
    const eps = this.state.normal([x.shape[0], ...this.inference.latentShape], NOISE_STREAM.posterior);
    try {
      const r = gradsAndTerms(
        () => vaeLoss(this.generator, this.inference, x, eps, this.options.scaling, true, mask),
        [...this.opt.generator.variables, ...this.opt.inference.variables],
      );
      const gen = splitGrads(r.grads, this.opt.generator);
      const inf = splitGrads(r.grads, this.opt.inference);
      let gradNormGen: number;
      try {
        gradNormGen = applyChecked(this.opt.generator, gen, r.terms.loss);
      } catch (e) {
        tf.dispose(Object.values(inf));
        throw e;
      }
      const gradNormInf = applyChecked(this.opt.inference, inf, r.terms.loss);
      this.state.iteration += 1;
      const { loss, elbo, recon, kl, mse } = r.terms;
      return { loss, elbo, klQP: recon + kl, recon, kl, mse, gradNormGen, gradNormInf, lrGen: this.opt.generator.learningRate, lrInf: this.opt.inference.learningRate };
    } finally {
      eps.dispose();
    }
  }

  /** g(μ_φ(x)), eval mode; on incomplete data x is the current fill, as in training. */
  reconstruct(x: tf.Tensor): tf.Tensor {
    return reconstructFromMean(this.generator, this.inference, x);
  }

  modules(): Record<string, Module> {
    return { generator: this.generator, inference: this.inference };
  }
}
