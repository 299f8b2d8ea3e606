/**
 * The plumbing every trainer of a generator shares, written once: one optimizer per network, the
 * counters and seeded noise of TrainerState, epoch / resume / dispose, seeded sampling, and the checked
 * optimizer steps an iteration is made of. A trainer extends TrainerBase and writes only its method:
 * step(), reconstruct() and modules().
 */
import * as tf from '@tensorflow/tfjs';
import type { Generator, InferenceNet, Module } from '../models/types';
import { inferenceSample } from '../objectives/latent-ebm';
import { NOISE_STREAM } from '../random';
import { applyChecked, gradsAndTerms, NetworkOptimizer, type OptimizerConfig } from './optimizer';
import type { TrainingMethod } from './presets';
import { sampleGenerator, type StepContext, type Trainer, TrainerState } from './trainer';

/** The networks a trainer optimizes and the Adam settings of each, keyed by the name checkpoints use. */
export type OptimizedNetworks<K extends string> = Record<K, readonly [network: Module, config: OptimizerConfig]>;

/**
 * Counters, optimizers and the Trainer methods that do not depend on the method. The networks belong
 * to the caller; dispose() frees the optimizer state only.
 */
export abstract class TrainerBase<K extends string> implements Trainer {
  abstract readonly method: TrainingMethod;
  protected readonly state: TrainerState;
  /** One optimizer per network, in the order of `networks` (the order checkpoints store them in). */
  protected readonly opt: Readonly<Record<K, NetworkOptimizer>>;

  /** @param networks the optimized networks and their Adam settings; each optimizer is named by its key */
  constructor(
    readonly generator: Generator,
    seed: number,
    networks: OptimizedNetworks<K>,
  ) {
    const opt = {} as Record<K, NetworkOptimizer>;
    for (const [name, [network, config]] of Object.entries(networks) as [K, OptimizedNetworks<K>[K]][]) {
      opt[name] = new NetworkOptimizer(name, network.trainable(), config);
    }
    this.opt = opt;
    this.state = new TrainerState(seed, opt);
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

  abstract step(x: tf.Tensor, ctx?: StepContext): Record<string, number>;
  abstract reconstruct(x: tf.Tensor, ctx?: StepContext): tf.Tensor;
  abstract modules(): Record<string, Module>;

  setEpoch(epoch: number): void {
    this.state.setEpoch(epoch);
  }

  sample(n: number, seed: number): tf.Tensor {
    return sampleGenerator(this.generator, n, seed);
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

/**
 * One step of `optimizer` down lossFn's `loss`, refused (NonFiniteError, nothing applied) when the loss
 * or its gradient is NaN/Inf.
 * @returns the scalar terms (from the parameters before the step), the non-scalar tensors lossFn returned
 *   (the caller disposes them; freed here if the step throws) and the gradient norm before clipping
 */
export function descend<T extends { loss: tf.Scalar } & Record<string, tf.Tensor>>(
  optimizer: NetworkOptimizer,
  lossFn: () => T,
): { terms: Record<string, number> & { loss: number }; tensors: Record<string, tf.Tensor>; gradNorm: number } {
  const r = gradsAndTerms(lossFn, optimizer.variables);
  try {
    return { terms: r.terms, tensors: r.tensors, gradNorm: applyChecked(optimizer, r.grads, r.terms.loss) };
  } catch (e) {
    tf.dispose(Object.values(r.tensors));
    throw e;
  }
}

/**
 * `times` steps of `optimizer` down the same loss (the θ-steps of §4.3, several per iteration);
 * non-scalar outputs of lossFn are freed.
 * @returns the terms of the first step (those of the iteration's starting parameters; {} when times is
 *   0) and the gradient norm of the last (NaN when times is 0)
 */
export function descendRepeatedly<T extends { loss: tf.Scalar } & Record<string, tf.Tensor>>(
  optimizer: NetworkOptimizer,
  times: number,
  lossFn: () => T,
): { terms: Record<string, number>; gradNorm: number } {
  let terms: Record<string, number> = {};
  let gradNorm = NaN;
  for (let k = 0; k < times; k++) {
    const r = descend(optimizer, lossFn);
    tf.dispose(Object.values(r.tensors));
    gradNorm = r.gradNorm;
    if (k === 0) terms = r.terms;
  }
  return { terms, gradNorm };
}

/**
 * g_θ(μ_φ(x)) in eval mode, the reconstruction of the trainers with an inference model; caller disposes.
 * @param x [N, ...]; on incomplete data the current fill (§4.4: the encoder sees the filled image)
 */
export function reconstructFromMean(generator: Generator, inference: InferenceNet, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => generator.generate(inference.encode(x, false).mu, false));
}

/** Stream of the θ-step's fresh posterior noise (NOISE_STREAM.extra and above are free for trainers; a
 * stream of its own so the other draws, and a resumed run, are unchanged). */
export const THETA_POSTERIOR_STREAM = NOISE_STREAM.extra + 1;

/**
 * The θ-step's z̃ = μ_φ(x) + σ_φ(x)ε′ (training mode) of the trainers with an EBM and an inference model:
 * drawn anew through the just-updated φ with fresh noise ε′ of THETA_POSTERIOR_STREAM, as the authors'
 * code recomputes it before the generator step; a constant for θ (no tape). Caller disposes.
 */
export function thetaStepPosterior(state: TrainerState, inference: InferenceNet, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const eps2 = state.normal([x.shape[0], ...inference.latentShape], THETA_POSTERIOR_STREAM);
    return inferenceSample(inference, x, eps2, true).zInf;
  });
}
