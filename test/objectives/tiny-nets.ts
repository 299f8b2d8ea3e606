/**
 * Tiny networks implementing the lib/models contract with closed-form outputs, for objective and
 * trainer tests: a linear generator, a linear-Gaussian inference model and a quadratic EBM.
 */
import * as tf from '@tensorflow/tfjs';
import type { Ebm, Generator, InferenceNet, NamedVariable } from '../../lib/models/types';

function v(name: string, values: number[] | number[][], seed?: number): NamedVariable {
  void seed;
  return { name, variable: tf.variable(tf.tensor(values), true) };
}

/** g(z) = W z + b: z [N, d] → x [N, D]. W is [d, D]. */
export class LinearGenerator implements Generator {
  readonly name = 'gen';
  readonly W: NamedVariable;
  readonly b: NamedVariable;
  constructor(W: number[][], b: number[]) {
    this.W = v('W', W);
    this.b = v('b', b);
  }
  get latentShape(): number[] {
    return [this.W.variable.shape[0] as number];
  }
  get outputShape(): number[] {
    return [this.W.variable.shape[1] as number];
  }
  generate(z: tf.Tensor, _training: boolean): tf.Tensor {
    return tf.tidy(() => tf.add(tf.matMul(z as tf.Tensor2D, this.W.variable as tf.Tensor2D), this.b.variable));
  }
  trainable(): NamedVariable[] {
    return [this.W, this.b];
  }
  buffers(): NamedVariable[] {
    return [];
  }
  dispose(): void {
    this.W.variable.dispose();
    this.b.variable.dispose();
  }
}

/** μ(x) = x A + c, logvar(x) = s (a free vector): x [N, D] → [N, d]. A is [D, d]. */
export class LinearInference implements InferenceNet {
  readonly name = 'inf';
  readonly A: NamedVariable;
  readonly c: NamedVariable;
  readonly s: NamedVariable;
  constructor(A: number[][], c: number[], s: number[]) {
    this.A = v('A', A);
    this.c = v('c', c);
    this.s = v('s', s);
  }
  get latentShape(): number[] {
    return [this.A.variable.shape[1] as number];
  }
  get inputShape(): number[] {
    return [this.A.variable.shape[0] as number];
  }
  encode(x: tf.Tensor, _training: boolean): { mu: tf.Tensor; logvar: tf.Tensor } {
    return tf.tidy(() => {
      const mu = tf.add(tf.matMul(x as tf.Tensor2D, this.A.variable as tf.Tensor2D), this.c.variable);
      const logvar = tf.mul(tf.onesLike(mu), this.s.variable);
      return { mu, logvar };
    });
  }
  trainable(): NamedVariable[] {
    return [this.A, this.c, this.s];
  }
  buffers(): NamedVariable[] {
    return [];
  }
  dispose(): void {
    for (const nv of this.trainable()) nv.variable.dispose();
  }
}

/** f(x) = −½ a ‖x − m‖²: a Gaussian EBM, energy E = ½ a ‖x − m‖². */
export class QuadraticEbm implements Ebm {
  readonly name = 'ebm';
  readonly energyForm = 'identity' as const;
  readonly m: NamedVariable;
  readonly a: NamedVariable;
  constructor(m: number[], a: number) {
    this.m = v('m', m);
    this.a = v('a', [a]);
  }
  get inputShape(): number[] {
    return [this.m.variable.shape[0] as number];
  }
  score(x: tf.Tensor, _training: boolean): tf.Tensor1D {
    return tf.tidy(() => tf.mul(tf.mul(-0.5, this.a.variable), tf.sum(tf.square(tf.sub(x, this.m.variable)), 1)) as tf.Tensor1D);
  }
  trainable(): NamedVariable[] {
    return [this.m, this.a];
  }
  buffers(): NamedVariable[] {
    return [];
  }
  dispose(): void {
    this.m.variable.dispose();
    this.a.variable.dispose();
  }
}

/** A small fixed triangle: D = 3 data dims, d = 2 latent dims. */
export function tinyTriangle(): { generator: LinearGenerator; inference: LinearInference; ebm: QuadraticEbm } {
  return {
    generator: new LinearGenerator([[0.5, -0.2, 0.1], [0.3, 0.4, -0.6]], [0.1, 0, -0.1]),
    inference: new LinearInference([[0.2, -0.1], [0.5, 0.3], [-0.4, 0.2]], [0.05, -0.05], [-0.5, 0.2]),
    ebm: new QuadraticEbm([0.2, -0.1, 0.3], 1.5),
  };
}

/** Central finite difference of scalar fn() with respect to entry `i` of variable `nv`. */
export function finiteDifference(fn: () => number, nv: NamedVariable, i: number, h = 1e-2): number {
  const base = nv.variable.dataSync().slice() as Float32Array;
  const set = (delta: number) => {
    const d = Float32Array.from(base);
    d[i] += delta;
    tf.tidy(() => nv.variable.assign(tf.tensor(d, nv.variable.shape)));
  };
  set(h);
  const up = fn();
  set(-h);
  const down = fn();
  tf.tidy(() => nv.variable.assign(tf.tensor(base, nv.variable.shape)));
  return (up - down) / (2 * h);
}
