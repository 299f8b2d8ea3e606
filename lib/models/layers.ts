/**
 * A small layer toolkit on plain tfjs ops (so every backend, including the native oneDNN one, runs it).
 *
 * Layout: activations are channels-last, NHWC for images and NDHWC ([N, T, H, W, C]) for videos;
 * filters are tfjs's own layouts: conv2d [kh, kw, in, out], conv2dTranspose [kh, kw, out, in],
 * conv3d [kd, kh, kw, in, out], conv3dTranspose [kd, kh, kw, out, in], dense [in, out].
 *
 * Memory: `apply` does not open its own tidy scope; the tensors it makes belong to the caller's scope
 * (the models in this folder wrap every forward in `tf.tidy`, and `tf.variableGrads` opens one too).
 *
 * Training-mode side effects (batch-norm running statistics, the spectral-norm vector u) are written
 * with `Variable.assign` during the forward pass. That is safe inside `tf.variableGrads`: the buffers are
 * non-trainable variables, so they get no gradient, and the ops that compute their new values are not on
 * the path from the trainable variables to the loss, so the tape drops them. One forward in training
 * mode = one update, as in PyTorch (a trainer that calls a network twice in a step updates twice).
 */
import * as tf from '@tensorflow/tfjs';
import type { Module, NamedVariable } from './types';

/** Standard deviation of every weight initializer (both papers, §4: "zero-mean Gaussian with standard deviation 0.02"). */
export const INIT_STD = 0.02;

/**
 * A 32-bit seed for one tensor, from the model seed and the tensor's full name (FNV-1a), so a tensor's
 * initial value depends on (seed, name) only: adding or reordering layers leaves the others unchanged.
 */
export function deriveInitSeed(seed: number, name: string): number {
  const s = `${seed}:${name}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Identity forward, zero gradient (PyTorch's `.detach()`), for the spectral-norm power iteration. */
export const stopGradient: (x: tf.Tensor) => tf.Tensor = tf.customGrad(
  ((x: tf.Tensor) => ({ value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as unknown as Parameters<typeof tf.customGrad>[0],
);

/** A layer: a Module with a forward pass and shape inference (shapes exclude the batch axis). */
export interface Layer extends Module {
  /** Short description for `describeLayers`, e.g. `conv2d 4x4/2 p1 128`. */
  readonly kind: string;
  /** @param x [N, ...inShape] @returns [N, ...outputShape(inShape)] */
  apply(x: tf.Tensor, training: boolean): tf.Tensor;
  /** Output shape for an input shape, without running anything; throws on a shape the layer cannot take. */
  outputShape(inShape: number[]): number[];
}

/** One row of `describeLayers`. */
export interface LayerDescription {
  name: string;
  kind: string;
  /** Output shape without the batch axis. */
  outputShape: number[];
  /** Trainable scalars in this layer. */
  params: number;
}

/** Anything that can list its layers with shapes: every network built in lib/models. */
export interface Describable {
  /** @param inShape input shape without the batch axis; defaults to the network's own input. */
  describe(inShape?: number[]): LayerDescription[];
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

abstract class ParamLayer implements Layer {
  abstract readonly kind: string;
  private readonly params: NamedVariable[] = [];
  private readonly bufs: NamedVariable[] = [];

  constructor(readonly name: string) {}

  abstract apply(x: tf.Tensor, training: boolean): tf.Tensor;
  abstract outputShape(inShape: number[]): number[];

  trainable(): NamedVariable[] {
    return this.params.slice();
  }

  buffers(): NamedVariable[] {
    return this.bufs.slice();
  }

  dispose(): void {
    for (const nv of [...this.params, ...this.bufs]) nv.variable.dispose();
  }

  /** Registers `init` (taken over: the caller must not use it afterwards) as `${name}.${suffix}`. */
  protected addVariable(suffix: string, init: tf.Tensor, trainable: boolean): tf.Variable {
    // No tfjs name: tfjs names are global and must be unique; ours are per model and repeat across models.
    const variable = tf.variable(init, trainable);
    init.dispose();
    (trainable ? this.params : this.bufs).push({ name: `${this.name}.${suffix}`, variable });
    return variable;
  }
}

/**
 * Spectral normalization (Miyato et al. 2018, "Spectral Normalization for GANs", Alg. 1) of one weight,
 * PyTorch's `torch.nn.utils.spectral_norm` semantics: the weight is viewed as a matrix with one column per
 * output channel, M = reshape(W, [rest, out]); the buffer u ∈ R^out holds the power-iteration vector.
 * Training forward: v = M u / ‖M u‖, u ← Mᵀ v / ‖Mᵀ v‖ (one step, u, v without gradient), σ = vᵀ M u,
 * and the layer uses W / σ (σ keeps its gradient through W). Eval forward: u is not updated, σ = ‖M u‖.
 */
export class SpectralNorm {
  private readonly u: tf.Variable;

  /**
   * @param register adds the buffer `${name}.u` to the owning layer
   * @param outAxis axis of W that indexes output channels (last for conv/dense, second to last for the transposes)
   */
  constructor(
    private readonly shape: number[],
    private readonly outAxis: number,
    seed: number,
    register: (suffix: string, init: tf.Tensor, trainable: boolean) => tf.Variable,
    name: string,
  ) {
    const out = shape[outAxis];
    const u0 = tf.tidy(() => {
      const r = tf.randomNormal([out], 0, 1, 'float32', deriveInitSeed(seed, `${name}.u`));
      return tf.div(r, tf.add(tf.norm(r), 1e-12));
    });
    this.u = register('u', u0, false);
  }

  /** M = W with the output axis moved last, as [rest, out]. */
  private matrix(w: tf.Tensor): tf.Tensor2D {
    const rank = this.shape.length;
    const out = this.shape[this.outAxis];
    let m = w;
    if (this.outAxis !== rank - 1) {
      const perm = [...Array(rank).keys()].filter((a) => a !== this.outAxis);
      perm.push(this.outAxis);
      m = tf.transpose(w, perm);
    }
    return tf.reshape(m, [-1, out]) as tf.Tensor2D;
  }

  /** @returns W / σ(W); in training mode also advances u by one power-iteration step. */
  normalize(w: tf.Tensor, training: boolean): tf.Tensor {
    const m = this.matrix(w);
    const mSg = stopGradient(m) as tf.Tensor2D;
    const normalized = (a: tf.Tensor) => tf.div(a, tf.add(tf.norm(a), 1e-12));
    const uOld = tf.reshape(this.u, [-1, 1]);
    let sigma: tf.Tensor;
    if (training) {
      const v = normalized(tf.matMul(mSg, uOld)); // [rest, 1]
      const u = normalized(tf.matMul(mSg, v, true, false)); // [out, 1]
      this.u.assign(tf.reshape(u, [-1]));
      sigma = tf.sum(tf.mul(v, tf.matMul(m, u)));
    } else {
      sigma = tf.norm(tf.matMul(m, uOld));
    }
    return tf.div(w, sigma);
  }

  /** The current estimate σ = ‖M u‖ of the largest singular value (no update). */
  sigma(w: tf.Tensor): number {
    return tf.tidy(() => tf.norm(tf.matMul(this.matrix(w), tf.reshape(this.u, [-1, 1]))).dataSync()[0]);
  }
}

/** Weight + optional bias + optional spectral norm, shared by the conv and dense layers. */
abstract class WeightedLayer extends ParamLayer {
  protected readonly w: tf.Variable;
  protected readonly b: tf.Variable | null;
  protected readonly sn: SpectralNorm | null;

  constructor(name: string, wShape: number[], outAxis: number, o: { bias?: boolean; spectralNorm?: boolean; seed: number }) {
    super(name);
    this.w = this.addVariable('w', tf.randomNormal(wShape, 0, INIT_STD, 'float32', deriveInitSeed(o.seed, `${name}.w`)), true);
    this.b = (o.bias ?? true) ? this.addVariable('b', tf.zeros([wShape[outAxis]]), true) : null;
    this.sn = o.spectralNorm
      ? new SpectralNorm(wShape, outAxis, o.seed, (s, t, tr) => this.addVariable(s, t, tr), name)
      : null;
  }

  /** The weight the forward pass uses: W, or W/σ(W) under spectral norm. */
  protected kernel(training: boolean): tf.Tensor {
    return this.sn ? this.sn.normalize(this.w, training) : this.w;
  }

  /** Current spectral-norm estimate σ of W (for tests and diagnostics); throws without spectral norm. */
  spectralSigma(): number {
    if (!this.sn) throw new Error(`${this.name} has no spectral normalization`);
    return this.sn.sigma(this.w);
  }

  /** Runs `steps` power-iteration steps on u without a forward pass. */
  powerIterate(steps: number): void {
    if (!this.sn) throw new Error(`${this.name} has no spectral normalization`);
    for (let i = 0; i < steps; i++) tf.tidy(() => void this.sn!.normalize(this.w, true));
  }

  get weight(): tf.Variable {
    return this.w;
  }
}

/** tfjs's explicit padding for NHWC: [[0, 0], [top, bottom], [left, right], [0, 0]]. */
type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];
type Pair = [number, number];
type Triple = [number, number, number];
const pair = (v: number | Pair): Pair => (typeof v === 'number' ? [v, v] : v);
const triple = (v: number | Triple): Triple => (typeof v === 'number' ? [v, v, v] : v);

function checkChannels(layer: string, inShape: number[], rank: number, inChannels: number): void {
  if (inShape.length !== rank || inShape[rank - 1] !== inChannels) {
    throw new Error(`${layer}: expected input [${rank === 3 ? 'H, W' : 'T, H, W'}, ${inChannels}], got [${inShape.join(', ')}]`);
  }
}

function convOut(size: number, k: number, s: number, p: number): number {
  return Math.floor((size + 2 * p - k) / s) + 1;
}

/** Output-size arithmetic of PyTorch's ConvTranspose: (in − 1)·s − 2p + k + output_padding. */
function convTransposeOut(size: number, k: number, s: number, p: number): number {
  return (size - 1) * s - 2 * p + k;
}

export interface ConvOptions<K> {
  inChannels: number;
  outChannels: number;
  kernel: K;
  stride?: K;
  /** PyTorch's `padding`: zeros added on both sides of every spatial axis. Default 0. */
  padding?: K;
  /** Default true. The architectures here follow the authors' code: hidden convs bias-free, output layers biased. */
  bias?: boolean;
  spectralNorm?: boolean;
  seed: number;
}

export interface ConvTransposeOptions<K> extends ConvOptions<K> {
  /**
   * Spatial output size, e.g. 7 for Table 6's 3→7. Default (in − 1)·s − 2p + k. The difference from that
   * default is PyTorch's `output_padding` and must lie in [0, stride).
   */
  outputSize?: K;
}

/**
 * What the 2-D and 3-D convolutions and their transposes share: kernel, stride and padding per spatial
 * axis, the weight [...kernel, in, out] ([...kernel, out, in] for a transpose, as PyTorch's
 * ConvTranspose, whose output channels are then the weight's axis kernel.length) and the kind shown.
 */
abstract class ConvLayer<T extends Pair | Triple> extends WeightedLayer {
  readonly kind: string;
  protected readonly k: T;
  protected readonly s: T;
  protected readonly p: T;

  /** @param op the kind's name ('conv2d', 'convT2d', …) @param perAxis a number or one per spatial axis → one per axis */
  constructor(name: string, op: string, o: ConvOptions<number | T>, perAxis: (v: number | T) => T, transpose: boolean) {
    const k = perAxis(o.kernel);
    super(name, transpose ? [...k, o.outChannels, o.inChannels] : [...k, o.inChannels, o.outChannels], transpose ? k.length : k.length + 1, o);
    this.k = k;
    this.s = perAxis(o.stride ?? 1);
    this.p = perAxis(o.padding ?? 0);
    const geometry = k.length === 2 ? `${k[0]}x${k[1]}/${this.s[0]} p${this.p[0]}` : `${k.join('x')}/${this.s.join(',')} p${this.p.join(',')}`;
    this.kind = `${op} ${geometry}${this.sn ? ' SN' : ''} → ${o.outChannels}`;
  }
}

/** 2-D convolution = PyTorch `Conv2d(in, out, kernel, stride, padding)`; runs `tf.fused.conv2d` with the bias. */
export class Conv2d extends ConvLayer<Pair> {
  constructor(name: string, readonly o: ConvOptions<number | Pair>) {
    super(name, 'conv2d', o, pair, false);
  }

  outputShape(inShape: number[]): number[] {
    checkChannels(this.name, inShape, 3, this.o.inChannels);
    const h = convOut(inShape[0], this.k[0], this.s[0], this.p[0]);
    const w = convOut(inShape[1], this.k[1], this.s[1], this.p[1]);
    if (h < 1 || w < 1) throw new Error(`${this.name}: input ${inShape[0]}x${inShape[1]} is smaller than the kernel`);
    return [h, w, this.o.outChannels];
  }

  apply(x: tf.Tensor, training: boolean): tf.Tensor {
    const [ph, pw] = this.p;
    const pad: number | ExplicitPadding = ph === pw ? ph : [[0, 0], [ph, ph], [pw, pw], [0, 0]];
    return tf.fused.conv2d({
      x: x as tf.Tensor4D,
      filter: this.kernel(training) as tf.Tensor4D,
      strides: this.s,
      pad,
      bias: this.b ?? undefined,
    });
  }
}

/**
 * 2-D transposed convolution = PyTorch `ConvTranspose2d(in, out, kernel, stride, padding, output_padding)`
 * with output_padding = outputSize − ((in − 1)·s − 2p + k).
 *
 * Mapping: tfjs's `conv2dTranspose(x, w, outShape, s, pad=p)` is the input gradient of a conv with
 * padding p whose input has size outShape; that conv maps outShape back to `in` exactly when
 * outShape ∈ [(in−1)s − 2p + k, … + s − 1], and the extra output_padding rows/columns land at the
 * bottom/right, as in PyTorch. So Table 6's 3→7 is k4 s2 p1 outputSize 7 (output_padding 1) and 7→14 is
 * k4 s2 p1 (output_padding 0). The tests check this against a direct scatter-add implementation.
 */
export class ConvTranspose2d extends ConvLayer<Pair> {
  constructor(name: string, readonly o: ConvTransposeOptions<number | Pair>) {
    super(name, 'convT2d', o, pair, true);
  }

  outputShape(inShape: number[]): number[] {
    checkChannels(this.name, inShape, 3, this.o.inChannels);
    const want = this.o.outputSize === undefined ? null : pair(this.o.outputSize);
    const size = [0, 1].map((a) => {
      const base = convTransposeOut(inShape[a], this.k[a], this.s[a], this.p[a]);
      const out = want ? want[a] : base;
      if (out - base < 0 || out - base >= this.s[a]) {
        throw new Error(`${this.name}: output size ${out} unreachable from ${inShape[a]} (k${this.k[a]} s${this.s[a]} p${this.p[a]} gives ${base} … ${base + this.s[a] - 1})`);
      }
      return out;
    });
    return [size[0], size[1], this.o.outChannels];
  }

  apply(x: tf.Tensor, training: boolean): tf.Tensor {
    const [h, w, c] = this.outputShape(x.shape.slice(1));
    const [ph, pw] = this.p;
    const pad: number | ExplicitPadding = ph === pw ? ph : [[0, 0], [ph, ph], [pw, pw], [0, 0]];
    const y = tf.conv2dTranspose(x as tf.Tensor4D, this.kernel(training) as tf.Tensor4D, [x.shape[0], h, w, c], this.s, pad);
    return this.b ? tf.add(y, this.b) : y;
  }
}

/**
 * 3-D convolution on [N, T, H, W, C] = PyTorch `Conv3d` (PyTorch's NCDHW, D = time). tfjs's conv3d has
 * only 'valid'/'same', so symmetric padding is done with `tf.pad` first.
 */
export class Conv3d extends ConvLayer<Triple> {
  constructor(name: string, readonly o: ConvOptions<number | Triple>) {
    super(name, 'conv3d', o, triple, false);
  }

  outputShape(inShape: number[]): number[] {
    checkChannels(this.name, inShape, 4, this.o.inChannels);
    const out = [0, 1, 2].map((a) => convOut(inShape[a], this.k[a], this.s[a], this.p[a]));
    if (out.some((v) => v < 1)) throw new Error(`${this.name}: input [${inShape.join(', ')}] is smaller than the kernel`);
    return [...out, this.o.outChannels];
  }

  apply(x: tf.Tensor, training: boolean): tf.Tensor {
    const [pd, ph, pw] = this.p;
    const xp = pd || ph || pw ? tf.pad(x, [[0, 0], [pd, pd], [ph, ph], [pw, pw], [0, 0]]) : x;
    const y = tf.conv3d(xp as tf.Tensor5D, this.kernel(training) as tf.Tensor5D, this.s, 'valid');
    return this.b ? tf.add(y, this.b) : y;
  }
}

/**
 * tf.conv3dTranspose ('valid') with a gradient: tfjs 4.22 registers none for its kernel
 * Conv3DBackpropInputV2. y = Bᵀ(x; W) is the input-gradient of the conv y ↦ conv3d(y, W), so
 * ⟨g, Bᵀ(x; W)⟩ = ⟨conv3d(g, W), x⟩ gives dx = conv3d(g, W) and dW = Conv3DBackpropFilter(input g, dy x),
 * as tfjs does for the 2-D case (Conv2DBackpropInput_grad). Both are kernels the backends implement.
 */
function conv3dTransposeWithGrad(x: tf.Tensor5D, w: tf.Tensor5D, outShape: [number, number, number, number, number], strides: Triple): tf.Tensor5D {
  const op = tf.customGrad(((xx: tf.Tensor5D, ww: tf.Tensor5D, save: tf.GradSaveFunc) => {
    save([xx, ww]);
    return {
      value: tf.conv3dTranspose(xx, ww, outShape, strides, 'valid'),
      gradFunc: (g: tf.Tensor5D, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor5D, tf.Tensor5D];
        const dx = tf.conv3d(g, ws, strides, 'valid');
        const dw = tf.engine().runKernel('Conv3DBackpropFilterV2', { x: g, dy: xs }, { strides, pad: 'valid', filterShape: ws.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
        return [dx, dw];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, w) as tf.Tensor5D;
}

/**
 * 3-D transposed convolution = PyTorch `ConvTranspose3d` with output_padding as in ConvTranspose2d.
 * tfjs's conv3dTranspose has only 'valid'/'same': we compute the un-cropped 'valid' output of size
 * (in − 1)·s + k + output_padding and crop p from each side.
 */
export class ConvTranspose3d extends ConvLayer<Triple> {
  constructor(name: string, readonly o: ConvTransposeOptions<number | Triple>) {
    super(name, 'convT3d', o, triple, true);
  }

  outputShape(inShape: number[]): number[] {
    checkChannels(this.name, inShape, 4, this.o.inChannels);
    const want = this.o.outputSize === undefined ? null : triple(this.o.outputSize);
    const out = [0, 1, 2].map((a) => {
      const base = convTransposeOut(inShape[a], this.k[a], this.s[a], this.p[a]);
      const size = want ? want[a] : base;
      if (size - base < 0 || size - base >= this.s[a]) {
        throw new Error(`${this.name}: output size ${size} unreachable from ${inShape[a]} (k${this.k[a]} s${this.s[a]} p${this.p[a]} gives ${base} … ${base + this.s[a] - 1})`);
      }
      return size;
    });
    return [...out, this.o.outChannels];
  }

  apply(x: tf.Tensor, training: boolean): tf.Tensor {
    const out = this.outputShape(x.shape.slice(1));
    const full = [0, 1, 2].map((a) => out[a] + 2 * this.p[a]);
    const y = conv3dTransposeWithGrad(x as tf.Tensor5D, this.kernel(training) as tf.Tensor5D, [x.shape[0], full[0], full[1], full[2], out[3]], this.s);
    const cropped = this.p.some((v) => v > 0)
      ? tf.slice(y, [0, this.p[0], this.p[1], this.p[2], 0], [-1, out[0], out[1], out[2], -1])
      : y;
    return this.b ? tf.add(cropped, this.b) : cropped;
  }
}

export interface DenseOptions {
  inFeatures: number;
  outFeatures: number;
  bias?: boolean;
  spectralNorm?: boolean;
  seed: number;
}

/** y = x W + b on [N, in] (= a 1×1 conv on a 1×1 map); runs `tf.fused.matMul` with the bias. */
export class Dense extends WeightedLayer {
  readonly kind: string;

  constructor(name: string, readonly o: DenseOptions) {
    super(name, [o.inFeatures, o.outFeatures], 1, o);
    this.kind = `dense${this.sn ? ' SN' : ''} → ${o.outFeatures}`;
  }

  outputShape(inShape: number[]): number[] {
    if (inShape.length !== 1 || inShape[0] !== this.o.inFeatures) {
      throw new Error(`${this.name}: expected input [${this.o.inFeatures}], got [${inShape.join(', ')}]`);
    }
    return [this.o.outFeatures];
  }

  apply(x: tf.Tensor, training: boolean): tf.Tensor {
    return tf.fused.matMul({ a: x as tf.Tensor2D, b: this.kernel(training) as tf.Tensor2D, bias: this.b ?? undefined });
  }
}

export interface BatchNormOptions {
  channels: number;
  seed: number;
  /** Running-average rate: running ← (1 − momentum)·running + momentum·batch (PyTorch's default 0.1). */
  momentum?: number;
  eps?: number;
}

/**
 * Batch normalization over every axis but the last (channels), PyTorch `BatchNorm{1,2,3}d` semantics.
 * gamma ~ N(1, 0.02), beta = 0 (the authors' `weights_init`, as in DCGAN).
 * Training: normalizes with the batch mean and biased variance, and (side effect, see the file comment)
 * updates the buffers `mean` and `var` with the batch mean and the unbiased variance, momentum 0.1.
 * Eval: normalizes with the running buffers.
 */
export class BatchNorm extends ParamLayer {
  readonly kind: string;
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  private readonly momentum: number;
  private readonly eps: number;

  constructor(name: string, readonly o: BatchNormOptions) {
    super(name);
    const c = o.channels;
    this.gamma = this.addVariable('gamma', tf.randomNormal([c], 1, INIT_STD, 'float32', deriveInitSeed(o.seed, `${name}.gamma`)), true);
    this.beta = this.addVariable('beta', tf.zeros([c]), true);
    this.runningMean = this.addVariable('mean', tf.zeros([c]), false);
    this.runningVar = this.addVariable('var', tf.ones([c]), false);
    this.momentum = o.momentum ?? 0.1;
    this.eps = o.eps ?? 1e-5;
    this.kind = `batchnorm ${c}`;
  }

  outputShape(inShape: number[]): number[] {
    if (inShape[inShape.length - 1] !== this.o.channels) {
      throw new Error(`${this.name}: expected ${this.o.channels} channels, got [${inShape.join(', ')}]`);
    }
    return inShape.slice();
  }

  apply(x: tf.Tensor, training: boolean): tf.Tensor {
    const c = this.o.channels;
    const x2 = tf.reshape(x, [-1, c]) as tf.Tensor2D;
    let y: tf.Tensor;
    if (training) {
      const n = x2.shape[0];
      const { mean, variance } = tf.moments(x2, 0);
      y = tf.batchNorm(x2, mean, variance, this.beta, this.gamma, this.eps);
      const m = this.momentum;
      const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(unbiased, m)));
    } else {
      y = tf.batchNorm(x2, this.runningMean, this.runningVar, this.beta, this.gamma, this.eps);
    }
    return tf.reshape(y, x.shape);
  }
}

export type ActivationName = 'relu' | 'lrelu' | 'tanh';

/** A parameter-free nonlinearity: ReLU, LeakyReLU(0.2) (both papers' "LReLU") or Tanh. */
export class Activation implements Layer {
  readonly kind: string;

  constructor(readonly name: string, readonly fn: ActivationName, readonly alpha = 0.2) {
    this.kind = fn === 'lrelu' ? `leakyrelu ${alpha}` : fn;
  }

  outputShape(inShape: number[]): number[] {
    return inShape.slice();
  }

  apply(x: tf.Tensor): tf.Tensor {
    switch (this.fn) {
      case 'relu':
        return tf.relu(x);
      case 'lrelu':
        return tf.leakyRelu(x, this.alpha);
      case 'tanh':
        return tf.tanh(x);
      default: {
        const never: never = this.fn;
        throw new Error(`unknown activation ${String(never)}`);
      }
    }
  }

  trainable(): NamedVariable[] {
    return [];
  }

  buffers(): NamedVariable[] {
    return [];
  }

  dispose(): void {}
}

/** Reshape to a fixed per-example shape (e.g. [100] → [1, 1, 100] in front of a convT stack). */
export class Reshape implements Layer {
  readonly kind: string;

  constructor(readonly name: string, readonly shape: number[]) {
    this.kind = `reshape [${shape.join(', ')}]`;
  }

  outputShape(inShape: number[]): number[] {
    if (sizeOf(inShape) !== sizeOf(this.shape)) {
      throw new Error(`${this.name}: cannot reshape [${inShape.join(', ')}] to [${this.shape.join(', ')}]`);
    }
    return this.shape.slice();
  }

  apply(x: tf.Tensor): tf.Tensor {
    return tf.reshape(x, [x.shape[0], ...this.shape]);
  }

  trainable(): NamedVariable[] {
    return [];
  }

  buffers(): NamedVariable[] {
    return [];
  }

  dispose(): void {}
}

/** Layers applied in order. Also a Layer, so stacks nest. */
export class Sequential implements Layer, Describable {
  readonly kind = 'sequential';

  constructor(readonly name: string, readonly layers: Layer[], private readonly defaultInput?: number[]) {}

  apply(x: tf.Tensor, training: boolean): tf.Tensor {
    let h = x;
    for (const layer of this.layers) h = layer.apply(h, training);
    return h;
  }

  outputShape(inShape: number[]): number[] {
    return this.layers.reduce((s, l) => l.outputShape(s), inShape);
  }

  describe(inShape?: number[]): LayerDescription[] {
    let shape = inShape ?? this.defaultInput;
    if (!shape) throw new Error(`${this.name}: describe() needs an input shape`);
    const rows: LayerDescription[] = [];
    for (const layer of this.layers) {
      if (layer instanceof Sequential) {
        rows.push(...layer.describe(shape));
        shape = layer.outputShape(shape);
        continue;
      }
      shape = layer.outputShape(shape);
      rows.push({ name: layer.name, kind: layer.kind, outputShape: shape, params: layer.trainable().reduce((a, nv) => a + nv.variable.size, 0) });
    }
    return rows;
  }

  trainable(): NamedVariable[] {
    return this.layers.flatMap((l) => l.trainable());
  }

  buffers(): NamedVariable[] {
    return this.layers.flatMap((l) => l.buffers());
  }

  dispose(): void {
    for (const l of this.layers) l.dispose();
  }
}
