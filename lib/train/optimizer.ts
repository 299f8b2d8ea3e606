/**
 * One optimizer per network, with the authors' PyTorch semantics (ENVIRONMENT.md, "Reference
 * implementation details"):
 *   grads → clip by global norm (torch.nn.utils.clip_grad_norm_) → + weightDecay·w (torch Adam's
 *   weight_decay, an L2 term added to the gradient) → Adam step; lr = lr₀ · decay^epoch (ExponentialLR
 *   stepped once per epoch).
 *
 * Adam is written out rather than taken from tf.train.adam because its state must round-trip through
 * checkpoints bit for bit and its learning rate must change per epoch: tf's AdamOptimizer keeps the
 * bias-correction powers β^t in float32 variables and rebuilds them with pow() on restore (so a resumed
 * run drifts), and its learning rate is protected. The update is torch.optim.Adam's:
 *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  w ← w − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε).
 */
import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from '../models/types';

export interface OptimizerConfig {
  /** Initial learning rate lr₀. */
  lr: number;
  beta1: number;
  beta2: number;
  /** Adam ε (PyTorch default 1e-8). */
  epsilon?: number;
  /** L2 coefficient added to the gradient (PyTorch Adam weight_decay); 0 for none. */
  weightDecay: number;
  /** Max global gradient norm over the network (clip_grad_norm_); 0 or Infinity for none. */
  clipNorm: number;
  /** Learning-rate factor per epoch (0.998 in the authors' code); 1 for none. */
  lrDecay: number;
}

/** Optimizer state as plain arrays, for checkpoints. */
export interface OptimizerState {
  /** Adam steps taken (t). */
  step: number;
  /** Epoch whose learning rate is in effect. */
  epoch: number;
  /** First and second moments, one per trainable variable, in `trainable()` order. */
  m: Float32Array[];
  v: Float32Array[];
}

/** Thrown when a loss or gradient is NaN/Inf; the step that produced it was not applied. */
export class NonFiniteError extends Error {
  override readonly name = 'NonFiniteError';
  constructor(
    readonly what: string,
    readonly value: number,
  ) {
    super(`${what} is ${value}`);
  }
}

export class NetworkOptimizer {
  private readonly vars: NamedVariable[];
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private t = 0;
  private epochNow = 0;

  /**
   * @param name network name used in metrics ('ebm', 'inference', 'generator', ...)
   * @param variables the network's trainable variables (Module.trainable()); only these are updated
   */
  constructor(
    readonly name: string,
    variables: NamedVariable[],
    readonly config: OptimizerConfig,
  ) {
    this.vars = variables;
    // tidy frees the zerosLike temporaries (a variable made from a tensor does not own it).
    this.m = tf.tidy(() => variables.map((nv) => tf.variable(tf.zerosLike(nv.variable), false)));
    this.v = tf.tidy(() => variables.map((nv) => tf.variable(tf.zerosLike(nv.variable), false)));
  }

  /** The tf.Variables to pass to tf.variableGrads. */
  get variables(): tf.Variable[] {
    return this.vars.map((nv) => nv.variable);
  }

  get step(): number {
    return this.t;
  }

  get epoch(): number {
    return this.epochNow;
  }

  /** Learning rate now: lr₀ · decay^epoch. */
  get learningRate(): number {
    return this.config.lr * Math.pow(this.config.lrDecay, this.epochNow);
  }

  /** Sets the epoch whose learning rate applies (call at the start of every epoch). */
  setEpoch(epoch: number): void {
    this.epochNow = epoch;
  }

  /**
   * Clips, decays and applies one Adam step. Disposes `grads`. Variables without a gradient are
   * left untouched (like PyTorch parameters whose .grad is None).
   * @param grads gradients keyed by tf.Variable name (tf.variableGrads output)
   * @returns the global gradient norm before clipping
   * @throws NonFiniteError (nothing applied) if the norm is NaN/Inf
   */
  apply(grads: tf.NamedTensorMap): number {
    try {
      const present = this.vars.map((nv) => grads[nv.variable.name] ?? null);
      const normT = tf.tidy(() => {
        const sq = present.filter((g): g is tf.Tensor => g !== null).map((g) => tf.sum(tf.square(g)));
        return sq.length ? tf.sqrt(tf.addN(sq)) : tf.scalar(0);
      });
      const norm = normT.dataSync()[0];
      normT.dispose();
      if (!Number.isFinite(norm)) throw new NonFiniteError(`gradient norm of ${this.name}`, norm);
      const { clipNorm, weightDecay, beta1, beta2 } = this.config;
      const eps = this.config.epsilon ?? 1e-8;
      // torch: clip_coef = max_norm / (total_norm + 1e-6), applied only when < 1.
      const clip = clipNorm > 0 && Number.isFinite(clipNorm) ? Math.min(1, clipNorm / (norm + 1e-6)) : 1;
      this.t += 1;
      const stepSize = this.learningRate / (1 - Math.pow(beta1, this.t));
      const sqrtBc2 = Math.sqrt(1 - Math.pow(beta2, this.t));
      tf.tidy(() => {
        present.forEach((g0, i) => {
          if (g0 === null) return;
          const w = this.vars[i].variable;
          let g = clip < 1 ? tf.mul(g0, clip) : g0;
          if (weightDecay !== 0) g = tf.add(g, tf.mul(w, weightDecay));
          const m = tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1));
          const v = tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
          this.m[i].assign(m);
          this.v[i].assign(v);
          w.assign(tf.sub(w, tf.mul(tf.div(m, tf.add(tf.div(tf.sqrt(v), sqrtBc2), eps)), stepSize)));
        });
      });
      return norm;
    } finally {
      tf.dispose(Object.values(grads).filter((g): g is tf.Tensor => g != null));
    }
  }

  /** Copies the state out (synchronous read of every moment). */
  getState(): OptimizerState {
    return {
      step: this.t,
      epoch: this.epochNow,
      m: this.m.map((x) => x.dataSync() as Float32Array),
      v: this.v.map((x) => x.dataSync() as Float32Array),
    };
  }

  /** Restores a state written by getState (shapes must match this network's variables). */
  setState(s: OptimizerState): void {
    if (s.m.length !== this.m.length || s.v.length !== this.v.length) {
      throw new Error(`optimizer ${this.name}: checkpoint has ${s.m.length} moments, network has ${this.m.length} variables`);
    }
    tf.tidy(() => {
      this.m.forEach((x, i) => x.assign(tf.tensor(s.m[i], x.shape, 'float32')));
      this.v.forEach((x, i) => x.assign(tf.tensor(s.v[i], x.shape, 'float32')));
    });
    this.t = s.step;
    this.epochNow = s.epoch;
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}

/**
 * Gradients of a loss over some variables, plus the values of its named scalar terms, with one device
 * sync for all of them.
 * @param lossFn builds named tensors; `loss` (a scalar) is differentiated. Other scalars are read into
 *   `terms`; non-scalar tensors (e.g. the z̃ a φ-step drew) are kept and returned in `tensors`.
 * @param variables what to differentiate with respect to (one network's trainable variables)
 * @returns grads and tensors (the caller disposes both; NetworkOptimizer.apply disposes grads) and
 *   every scalar term as a number
 */
export function gradsAndTerms<T extends { loss: tf.Scalar } & Record<string, tf.Tensor>>(
  lossFn: () => T,
  variables: tf.Variable[],
): { grads: tf.NamedTensorMap; terms: Record<string, number> & { loss: number }; tensors: Record<string, tf.Tensor> } {
  let scalarNames: string[] = [];
  let packed: tf.Tensor | null = null;
  const tensors: Record<string, tf.Tensor> = {};
  const { value, grads } = tf.variableGrads(() => {
    const out = lossFn();
    scalarNames = Object.keys(out).filter((k) => out[k].rank === 0);
    for (const k of Object.keys(out)) if (out[k].rank !== 0) tensors[k] = tf.keep(out[k]);
    packed = tf.keep(tf.stack(scalarNames.map((k) => out[k])));
    return out.loss;
  }, variables);
  value.dispose();
  const p = packed as unknown as tf.Tensor;
  const values = p.dataSync();
  p.dispose();
  const terms = {} as Record<string, number> & { loss: number };
  scalarNames.forEach((k, i) => (terms[k] = values[i]));
  const clean: tf.NamedTensorMap = {};
  for (const [k, g] of Object.entries(grads)) if (g != null) clean[k] = g;
  return { grads: clean, terms, tensors };
}

/**
 * Applies `grads` with `optimizer` unless the loss is NaN/Inf (then disposes them and throws).
 * @returns the gradient norm before clipping
 */
export function applyChecked(optimizer: NetworkOptimizer, grads: tf.NamedTensorMap, loss: number): number {
  if (!Number.isFinite(loss)) {
    tf.dispose(Object.values(grads));
    throw new NonFiniteError(`loss of ${optimizer.name}`, loss);
  }
  return optimizer.apply(grads);
}
