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
import { applyChecked, gradsAndTerms, NetworkOptimizer, type OptimizerConfig } from './optimizer';
import { NOISE_STREAM } from './rng';
import { sampleGenerator, type Trainer, TrainerState } from './trainer';

export interface WakeSleepTrainerOptions {
  seed: number;
  scaling: ObjectiveScaling;
  optimizers: { generator: OptimizerConfig; inference: OptimizerConfig };
}

export class WakeSleepTrainer implements Trainer {
  readonly method = 'wake-sleep' as const;
  private readonly state: TrainerState;
  private readonly opt: { generator: NetworkOptimizer; inference: NetworkOptimizer };

  constructor(
    readonly generator: Generator,
    readonly inference: InferenceNet,
    readonly options: WakeSleepTrainerOptions,
  ) {
    this.opt = {
      generator: new NetworkOptimizer('generator', generator.trainable(), options.optimizers.generator),
      inference: new NetworkOptimizer('inference', inference.trainable(), options.optimizers.inference),
    };
    this.state = new TrainerState(options.seed, this.opt);
  }

  get seed(): number {
    return this.state.seed;
  }
  get iteration(): number {
    return this.state.iteration;
  }
  get epoch(): number {
    return this.state.epoch;
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
      const w = gradsAndTerms(() => wakeLoss(this.generator, x, zInf, this.options.scaling, true), this.opt.generator.variables);
      const gradNormGen = applyChecked(this.opt.generator, w.grads, w.terms.loss);
      xGen = tf.tidy(() => this.generator.generate(z, true));
      const s = gradsAndTerms(() => sleepLoss(this.inference, z, xGen!, true), this.opt.inference.variables);
      const gradNormInf = applyChecked(this.opt.inference, s.grads, s.terms.loss);
      this.state.iteration += 1;
      return {
        recon: w.terms.recon,
        mse: w.terms.mse,
        nllLatent: s.terms.nllLatent,
        lossGen: w.terms.loss,
        lossInf: s.terms.loss,
        gradNormGen,
        gradNormInf,
        lrGen: this.opt.generator.learningRate,
        lrInf: this.opt.inference.learningRate,
      };
    } finally {
      tf.dispose([z, eps, zInf]);
      if (xGen) xGen.dispose();
    }
  }

  setEpoch(epoch: number): void {
    this.state.setEpoch(epoch);
  }

  sample(n: number, seed: number): tf.Tensor {
    return sampleGenerator(this.generator, n, seed);
  }

  reconstruct(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.generator.generate(this.inference.encode(x, false).mu, false));
  }

  modules(): Record<string, Module> {
    return { generator: this.generator, inference: this.inference };
  }

  optimizers(): Record<string, NetworkOptimizer> {
    return { ...this.opt };
  }

  restoreProgress(iteration: number, epoch: number): void {
    this.state.restore(iteration, epoch);
  }

  dispose(): void {
    this.state.dispose();
  }
}
