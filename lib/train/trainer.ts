/**
 * What every trainer exposes, so the runner, checkpoints and notebooks treat them alike. A trainer
 * owns its optimizers and iteration counter; the networks belong to the caller (the runner or a
 * notebook), which disposes them.
 */
import * as tf from '@tensorflow/tfjs';
import type { Module } from '../models/types';
import type { OptimizerConfig } from './optimizer';
import { NetworkOptimizer } from './optimizer';
import type { TrainingMethod, TrainPreset } from './presets';
import { deriveNoiseSeed } from '../random';

/** What the runner knows about a batch besides its pixels (trainers may ignore it). */
export interface StepContext {
  /** Dataset row of each example of the batch, for per-example state (ABP's persistent z, incomplete data's fills). */
  indices?: Int32Array;
  /** Learning from incomplete data: 1 = observed, 0 = missing, broadcastable to x ([N, H, W, 1]). Trainers
   * whose `masksReconstruction` is true count only observed pixels in their reconstruction terms. */
  mask?: tf.Tensor;
}

export interface Trainer {
  readonly method: TrainingMethod;
  /** Seed of the run's noise stream (see rng.ts). */
  readonly seed: number;
  /** Iterations completed. */
  readonly iteration: number;
  /** Epoch whose learning rates are in effect. */
  readonly epoch: number;
  /**
   * One training iteration on a batch.
   * @param x [N, ...dataShape] in [-1, 1]; not disposed
   * @returns named metrics of this iteration (losses, terms, gradient norms)
   * @throws NonFiniteError before applying an update whose loss or gradient is NaN/Inf
   */
  step(x: tf.Tensor, ctx?: StepContext): Record<string, number>;
  /** True when step() honours StepContext.mask (reconstruction over observed pixels only). */
  readonly masksReconstruction?: boolean;
  /**
   * Iterations done at the end of each stage of a trainer whose own schedule has stages (progressive
   * growing's resolutions); the last is the run's length, in place of the preset's iterations/epochs.
   * Absent: one stage, as long as the preset says.
   */
  readonly stageEnds?: readonly number[];
  /** Sets the epoch (learning-rate decay) of every optimizer. */
  setEpoch(epoch: number): void;
  /** n generator samples from z ~ N(0, I) drawn with `seed`; caller disposes. */
  sample(n: number, seed: number): tf.Tensor;
  /** g(μ_φ(x)) (or the method's reconstruction), eval mode; caller disposes. @param x [N, ...] */
  reconstruct(x: tf.Tensor, ctx?: StepContext): tf.Tensor;
  /** The networks, by the names checkpoints use ('generator', 'inference', 'ebm', 'latentEbm'). */
  modules(): Record<string, Module>;
  /** The optimizers, by the same names. */
  optimizers(): Record<string, NetworkOptimizer>;
  /** Sets the counters when resuming from a checkpoint. */
  restoreProgress(iteration: number, epoch: number): void;
  /** Frees optimizer state (not the networks). */
  dispose(): void;
}

/** Iteration/epoch counters and per-network optimizers: the part every trainer shares (composed, not inherited). */
export class TrainerState {
  iteration = 0;
  epoch = 0;

  constructor(
    readonly seed: number,
    readonly optimizers: Record<string, NetworkOptimizer>,
  ) {}

  /** Seed of stream `stream` at the current iteration. */
  noiseSeed(stream: number): number {
    return deriveNoiseSeed(this.seed, this.iteration, stream);
  }

  /** Standard normal noise [n, ...shape] of `stream` at the current iteration. */
  normal(shape: number[], stream: number): tf.Tensor {
    return tf.randomNormal(shape, 0, 1, 'float32', this.noiseSeed(stream));
  }

  setEpoch(epoch: number): void {
    this.epoch = epoch;
    for (const o of Object.values(this.optimizers)) o.setEpoch(epoch);
  }

  restore(iteration: number, epoch: number): void {
    this.iteration = iteration;
    this.setEpoch(epoch);
  }

  dispose(): void {
    for (const o of Object.values(this.optimizers)) o.dispose();
  }
}

/** Adam settings of one network ('ebm' | 'generator' | 'inference') from a preset. */
export function optimizerConfigFromPreset(p: TrainPreset, net: 'ebm' | 'generator' | 'inference'): OptimizerConfig {
  const base = { beta1: p.beta1, beta2: p.beta2, lrDecay: p.lrDecay, clipNorm: p.clipNorm };
  switch (net) {
    case 'ebm':
      return { ...base, lr: p.lrEbm, weightDecay: p.weightDecayEbm };
    case 'generator':
      return { ...base, lr: p.lrGen, weightDecay: p.weightDecayGen };
    case 'inference':
      return { ...base, lr: p.lrInf, weightDecay: p.weightDecayInf };
    default: {
      const never: never = net;
      throw new Error(`unknown network ${String(never)}`);
    }
  }
}

/** Draws z ~ N(0, I) with a seed and decodes it in eval mode: [n, ...outputShape]. */
export function sampleGenerator(generator: { latentShape: number[]; generate(z: tf.Tensor, training: boolean): tf.Tensor }, n: number, seed: number): tf.Tensor {
  return tf.tidy(() => generator.generate(tf.randomNormal([n, ...generator.latentShape], 0, 1, 'float32', seed), false));
}
