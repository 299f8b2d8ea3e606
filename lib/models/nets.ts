/**
 * The three networks of the divergence triangle as Generator / InferenceNet / Ebm (types.ts), built from
 * rows of a table (one row = weighted layer → optional batch norm → optional activation), plus the
 * row-to-layers builder the architecture files use.
 */
import * as tf from '@tensorflow/tfjs';
import { applyEnergyForm } from './energy';
import {
  Activation,
  type ActivationName,
  BatchNorm,
  Conv2d,
  Conv3d,
  type ConvOptions,
  ConvTranspose2d,
  ConvTranspose3d,
  type ConvTransposeOptions,
  Dense,
  type Describable,
  type Layer,
  type LayerDescription,
  Reshape,
  Sequential,
} from './layers';
import type { EnergyForm, Ebm, Generator, InferenceNet, NamedVariable } from './types';

/** One row of an architecture table. Channel counts are final (already width-scaled). */
export interface RowSpec {
  op: 'conv2d' | 'convT2d' | 'conv3d' | 'convT3d' | 'dense';
  out: number;
  /** Kernel, stride, PyTorch padding, and (transposes) output size: a number or one per spatial axis. */
  k?: number | number[];
  s?: number | number[];
  p?: number | number[];
  outSize?: number | number[];
  bn: boolean;
  act: ActivationName | null;
  bias: boolean;
  /** Negative slope of 'lrelu' (default 0.2, both papers' LReLU; the latent EBM's code uses 0.1). */
  slope?: number;
}

type Pair = [number, number];
type Triple = [number, number, number];

/** Turns rows into layers named `${prefix}.l${i}.{conv|convT|dense|bn|act}` (or `${prefix}` for a single named head). */
export class StackBuilder {
  readonly layers: Layer[] = [];
  private row = 0;

  constructor(
    readonly prefix: string,
    private channels: number,
    private readonly seed: number,
    private readonly spectralNorm: boolean,
  ) {}

  get outChannels(): number {
    return this.channels;
  }

  add(layer: Layer): this {
    this.layers.push(layer);
    return this;
  }

  /** Appends one table row. `name` replaces the automatic `${prefix}.l${i}` (used for the inference heads). */
  rows(specs: RowSpec[], name?: string): this {
    for (const r of specs) {
      const base = name ?? `${this.prefix}.l${this.row++}`;
      const common = { bias: r.bias, spectralNorm: this.spectralNorm, seed: this.seed };
      const geometry = { inChannels: this.channels, outChannels: r.out, kernel: r.k ?? 1, stride: r.s ?? 1, padding: r.p ?? 0 };
      const wname = name ?? `${base}.${r.op === 'convT2d' || r.op === 'convT3d' ? 'convT' : r.op === 'dense' ? 'dense' : 'conv'}`;
      switch (r.op) {
        case 'conv2d':
          this.layers.push(new Conv2d(wname, { ...geometry, ...common } as ConvOptions<number | Pair>));
          break;
        case 'convT2d':
          this.layers.push(new ConvTranspose2d(wname, { ...geometry, outputSize: r.outSize, ...common } as ConvTransposeOptions<number | Pair>));
          break;
        case 'conv3d':
          this.layers.push(new Conv3d(wname, { ...geometry, ...common } as ConvOptions<number | Triple>));
          break;
        case 'convT3d':
          this.layers.push(new ConvTranspose3d(wname, { ...geometry, outputSize: r.outSize, ...common } as ConvTransposeOptions<number | Triple>));
          break;
        case 'dense':
          this.layers.push(new Dense(wname, { inFeatures: this.channels, outFeatures: r.out, ...common }));
          break;
        default: {
          const never: never = r.op;
          throw new Error(`unknown row op ${String(never)}`);
        }
      }
      this.channels = r.out;
      if (r.bn) this.layers.push(new BatchNorm(`${base}.bn`, { channels: r.out, seed: this.seed }));
      if (r.act) this.layers.push(new Activation(`${base}.act`, r.act, r.slope));
    }
    return this;
  }

  reshape(shape: number[]): this {
    this.layers.push(new Reshape(`${this.prefix}.reshape`, shape));
    this.channels = shape[shape.length - 1];
    return this;
  }

  build(inputShape: number[], name = this.prefix): Sequential {
    return new Sequential(name, this.layers.splice(0), inputShape);
  }
}

function checkExample(x: tf.Tensor, shape: number[], what: string, who: string): void {
  const per = x.shape.slice(1).reduce((a, b) => a * b, 1);
  const want = shape.reduce((a, b) => a * b, 1);
  if (x.rank < 2 || per !== want) {
    throw new Error(`${who}: ${what} must be [N, ${shape.join(', ')}], got [${x.shape.join(', ')}]`);
  }
}

/** A network made of Sequential stacks: its parameters, buffers and disposal are its stacks', in order. */
export abstract class StackModule {
  /** The stacks, in the order of trainable() and buffers(). */
  protected abstract stacks(): Sequential[];

  trainable(): NamedVariable[] {
    return this.stacks().flatMap((m) => m.trainable());
  }

  buffers(): NamedVariable[] {
    return this.stacks().flatMap((m) => m.buffers());
  }

  dispose(): void {
    for (const m of this.stacks()) m.dispose();
  }
}

/** g_θ: a stack ending in tanh, fed z reshaped to the stack's input shape. */
export class NetGenerator extends StackModule implements Generator, Describable {
  constructor(
    readonly name: string,
    readonly net: Sequential,
    readonly latentShape: number[],
    readonly outputShape: number[],
  ) {
    super();
  }

  protected stacks(): Sequential[] {
    return [this.net];
  }

  generate(z: tf.Tensor, training: boolean): tf.Tensor {
    checkExample(z, this.latentShape, 'z', this.name);
    return tf.tidy(() => this.net.apply(tf.reshape(z, [z.shape[0], ...this.latentShape]), training));
  }

  describe(inShape: number[] = this.latentShape): LayerDescription[] {
    return this.net.describe(inShape);
  }
}

/** q_φ(z|x): a shared trunk and two heads of the same geometry, one for μ and one for log σ² (as the authors' conv51/conv52). */
export class NetInference extends StackModule implements InferenceNet, Describable {
  constructor(
    readonly name: string,
    readonly trunk: Sequential,
    readonly muHead: Sequential,
    readonly logvarHead: Sequential,
    readonly inputShape: number[],
    readonly latentShape: number[],
  ) {
    super();
  }

  protected stacks(): Sequential[] {
    return [this.trunk, this.muHead, this.logvarHead];
  }

  encode(x: tf.Tensor, training: boolean): { mu: tf.Tensor; logvar: tf.Tensor } {
    checkExample(x, this.inputShape, 'x', this.name);
    return tf.tidy(() => {
      const n = x.shape[0];
      const h = this.trunk.apply(tf.reshape(x, [n, ...this.inputShape]), training);
      return {
        mu: tf.reshape(this.muHead.apply(h, training), [n, ...this.latentShape]),
        logvar: tf.reshape(this.logvarHead.apply(h, training), [n, ...this.latentShape]),
      };
    });
  }

  describe(inShape: number[] = this.inputShape): LayerDescription[] {
    const h = this.trunk.outputShape(inShape);
    return [...this.trunk.describe(inShape), ...this.muHead.describe(h), ...this.logvarHead.describe(h)];
  }
}

/**
 * f_α(x): a stack whose output is summed over all its positions and channels into the raw scalar r
 * (for the 1×1×1 outputs of Tables 4–6 this is just r; for the texture and dynamic-texture EBMs, whose
 * last layer is a conv map, f is the sum of the map, as in FRAME/STGConvNet), then the energy form.
 */
export class NetEbm extends StackModule implements Ebm, Describable {
  constructor(
    readonly name: string,
    readonly net: Sequential,
    readonly inputShape: number[],
    readonly energyForm: EnergyForm,
  ) {
    super();
  }

  protected stacks(): Sequential[] {
    return [this.net];
  }

  /** r(x) before the energy form, [N]. */
  raw(x: tf.Tensor, training: boolean): tf.Tensor1D {
    checkExample(x, this.inputShape, 'x', this.name);
    return tf.tidy(() => {
      const n = x.shape[0];
      const out = this.net.apply(tf.reshape(x, [n, ...this.inputShape]), training);
      return tf.sum(tf.reshape(out, [n, -1]), 1) as tf.Tensor1D;
    });
  }

  score(x: tf.Tensor, training: boolean): tf.Tensor1D {
    return tf.tidy(() => applyEnergyForm(this.raw(x, training), this.energyForm) as tf.Tensor1D);
  }

  describe(inShape: number[] = this.inputShape): LayerDescription[] {
    return this.net.describe(inShape);
  }
}
