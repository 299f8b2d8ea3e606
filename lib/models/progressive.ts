/**
 * Progressive growing for high-resolution synthesis (divergence-triangle paper §4.1.3, after Karras et al.
 * 2018, "Progressive Growing of GANs"): training starts at 4×4 and the generator, inference net and EBM grow
 * in synchrony by one resolution stage at a time; 1×1 convolutions project between RGB and features, and a
 * new stage is faded in with α ∈ [0, 1]:
 *   generator: x = tanh(α·toRGB_S(h_S) + (1 − α)·up2(toRGB_{S−1}(h_{S−1})))
 *   inference / EBM: h = α·block_S(fromRGB_S(x)) + (1 − α)·fromRGB_{S−1}(down2(x)), then blocks S−1 … 1.
 * Blocks are DCGAN-style, as Tables 4–6 (our choice where §4.1.3 is silent):
 *   generator stage 0: 4×4 convT 1→4 + BN + ReLU, 3×3 conv + BN + ReLU; stage s: 4×4 convT stride 2 + BN +
 *   ReLU, 3×3 conv + BN + ReLU. Inference / EBM stage s: 3×3 conv + LReLU, 4×4 conv stride 2 + LReLU;
 *   stage 0: 3×3 conv + LReLU, then the 4×4 valid heads (μ and log σ², or the EBM's scalar r).
 * Channels at resolution r: min(512, 16384 / r)·width (PGGAN's: 512 up to 32×32, then halving).
 *
 * Every stage's variables exist from the start, so `trainable()` is the same list at every stage
 * (checkpoints and optimizers see one set); `activeTrainable()` lists only those the current (stage, α)
 * uses; gradients of the others are absent from tf.variableGrads' result.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { ENERGY_FORMS, applyEnergyForm } from './energy';
import type { Describable, LayerDescription, Sequential } from './layers';
import { type RowSpec, StackBuilder, StackModule } from './nets';
import type { EnergyForm, Ebm, Generator, InferenceNet, NamedVariable } from './types';

export interface ProgressiveOptions {
  /** Final resolution, a power of two ≥ startSize (1024 for CelebA-HQ). */
  maxSize: number;
  /** First resolution; 4 as in §4.1.3 (the only value supported). */
  startSize?: 4;
  /** Image channels, default 3. */
  channels?: number;
  /** Default 512 (§4.1.3: "512-dimensional latent vector"). */
  latentDim?: number;
  seed: number;
  /** Channel multiplier, default 1. */
  width?: number;
  /** EBM energy form, default 'identity'. */
  energyForm?: EnergyForm;
  /** Spectral norm on the EBM's weights, default false. */
  spectralNorm?: boolean;
}

const PROGRESSIVE_KEYS = ['maxSize', 'startSize', 'channels', 'latentDim', 'seed', 'width', 'energyForm', 'spectralNorm'];

/** The current stage and fade-in α, shared by the three networks of one family. */
class StageState {
  stage = 0;
  alpha = 1;
  constructor(readonly stages: number) {}
}

/** 2× nearest-neighbour upsampling from broadcasting (plain ops with gradients on every backend). */
function upsample2(x: tf.Tensor): tf.Tensor {
  const [n, h, w, c] = x.shape;
  return tf.reshape(tf.mul(tf.reshape(x, [n, h, 1, w, 1, c]), tf.ones([1, 1, 2, 1, 2, 1])), [n, 2 * h, 2 * w, c]);
}

/** 2× average-pool downsampling (the inverse of upsample2 on piecewise-constant images). */
function downsample2(x: tf.Tensor): tf.Tensor {
  const [n, h, w, c] = x.shape;
  return tf.mean(tf.reshape(x, [n, h / 2, 2, w / 2, 2, c]), [2, 4]);
}

function lerp(a: tf.Tensor, b: tf.Tensor, alpha: number): tf.Tensor {
  // α·a + (1 − α)·b
  return tf.add(tf.mul(a, alpha), tf.mul(b, 1 - alpha));
}

abstract class ProgressiveNet extends StackModule implements Describable {
  constructor(
    readonly name: string,
    protected readonly state: StageState,
    protected readonly startSize: number,
    protected readonly channels: number,
  ) {
    super();
  }

  /** Current resolution. */
  get size(): number {
    return this.startSize * 2 ** this.state.stage;
  }

  protected get fading(): boolean {
    return this.state.stage > 0 && this.state.alpha < 1;
  }

  abstract modules(): Sequential[];
  abstract activeModules(): Sequential[];
  abstract describe(inShape?: number[]): LayerDescription[];

  /** Every stage's stacks: trainable(), buffers() and dispose() cover them all. */
  protected stacks(): Sequential[] {
    return this.modules();
  }

  /** The variables the current (stage, α) uses. */
  activeTrainable(): NamedVariable[] {
    return this.activeModules().flatMap((m) => m.trainable());
  }
}

export class ProgressiveGenerator extends ProgressiveNet implements Generator {
  constructor(
    name: string,
    state: StageState,
    startSize: number,
    channels: number,
    readonly latentDim: number,
    private readonly blocks: Sequential[],
    private readonly toRgb: Sequential[],
  ) {
    super(name, state, startSize, channels);
  }

  get latentShape(): number[] {
    return [this.latentDim];
  }

  get outputShape(): number[] {
    return [this.size, this.size, this.channels];
  }

  generate(z: tf.Tensor, training: boolean): tf.Tensor {
    const { stage, alpha } = this.state;
    return tf.tidy(() => {
      let h = tf.reshape(z, [z.shape[0], 1, 1, this.latentDim]);
      let prev: tf.Tensor | null = null;
      for (let s = 0; s <= stage; s++) {
        if (s === stage) prev = h;
        h = this.blocks[s].apply(h, training);
      }
      let rgb = this.toRgb[stage].apply(h, training);
      if (this.fading && prev) rgb = lerp(rgb, upsample2(this.toRgb[stage - 1].apply(prev, training)), alpha);
      return tf.tanh(rgb);
    });
  }

  modules(): Sequential[] {
    return [...this.blocks, ...this.toRgb];
  }

  activeModules(): Sequential[] {
    const s = this.state.stage;
    return [...this.blocks.slice(0, s + 1), this.toRgb[s], ...(this.fading ? [this.toRgb[s - 1]] : [])];
  }

  describe(inShape: number[] = this.latentShape): LayerDescription[] {
    let shape = [1, 1, inShape.reduce((a, b) => a * b, 1)];
    const rows: LayerDescription[] = [];
    let prev = shape;
    for (let s = 0; s <= this.state.stage; s++) {
      prev = shape;
      rows.push(...this.blocks[s].describe(shape));
      shape = this.blocks[s].outputShape(shape);
    }
    rows.push(...this.toRgb[this.state.stage].describe(shape));
    if (this.fading) rows.push(...this.toRgb[this.state.stage - 1].describe(prev));
    return rows;
  }
}

/** The shared encoder path of the progressive inference net and EBM: fromRGB, blocks S…1, base block. */
abstract class ProgressiveEncoder extends ProgressiveNet {
  constructor(
    name: string,
    state: StageState,
    startSize: number,
    channels: number,
    protected readonly blocks: Sequential[],
    protected readonly fromRgb: Sequential[],
  ) {
    super(name, state, startSize, channels);
  }

  get inputShape(): number[] {
    return [this.size, this.size, this.channels];
  }

  /** Features at 4×4 after the base block. */
  protected features(x: tf.Tensor, training: boolean): tf.Tensor {
    const { stage, alpha } = this.state;
    const n = x.shape[0];
    const xs = tf.reshape(x, [n, ...this.inputShape]);
    let h = this.blocks[stage].apply(this.fromRgb[stage].apply(xs, training), training);
    if (this.fading) {
      h = lerp(h, this.fromRgb[stage - 1].apply(downsample2(xs), training), alpha);
    }
    for (let s = stage - 1; s >= 0; s--) h = this.blocks[s].apply(h, training);
    return h;
  }

  protected encoderModules(): Sequential[] {
    return [...this.blocks, ...this.fromRgb];
  }

  protected activeEncoderModules(): Sequential[] {
    const s = this.state.stage;
    return [...this.blocks.slice(0, s + 1), this.fromRgb[s], ...(this.fading ? [this.fromRgb[s - 1]] : [])];
  }

  protected describeEncoder(inShape: number[]): { rows: LayerDescription[]; out: number[] } {
    const s = this.state.stage;
    const rows = [...this.fromRgb[s].describe(inShape)];
    let shape = this.fromRgb[s].outputShape(inShape);
    if (this.fading) rows.push(...this.fromRgb[s - 1].describe([inShape[0] / 2, inShape[1] / 2, inShape[2]]));
    for (let k = s; k >= 0; k--) {
      rows.push(...this.blocks[k].describe(shape));
      shape = this.blocks[k].outputShape(shape);
    }
    return { rows, out: shape };
  }
}

export class ProgressiveInference extends ProgressiveEncoder implements InferenceNet {
  constructor(
    name: string,
    state: StageState,
    startSize: number,
    channels: number,
    blocks: Sequential[],
    fromRgb: Sequential[],
    readonly latentDim: number,
    private readonly muHead: Sequential,
    private readonly logvarHead: Sequential,
  ) {
    super(name, state, startSize, channels, blocks, fromRgb);
  }

  get latentShape(): number[] {
    return [this.latentDim];
  }

  encode(x: tf.Tensor, training: boolean): { mu: tf.Tensor; logvar: tf.Tensor } {
    return tf.tidy(() => {
      const h = this.features(x, training);
      const n = x.shape[0];
      return {
        mu: tf.reshape(this.muHead.apply(h, training), [n, this.latentDim]),
        logvar: tf.reshape(this.logvarHead.apply(h, training), [n, this.latentDim]),
      };
    });
  }

  modules(): Sequential[] {
    return [...this.encoderModules(), this.muHead, this.logvarHead];
  }

  activeModules(): Sequential[] {
    return [...this.activeEncoderModules(), this.muHead, this.logvarHead];
  }

  describe(inShape: number[] = this.inputShape): LayerDescription[] {
    const { rows, out } = this.describeEncoder(inShape);
    return [...rows, ...this.muHead.describe(out), ...this.logvarHead.describe(out)];
  }
}

export class ProgressiveEbm extends ProgressiveEncoder implements Ebm {
  constructor(
    name: string,
    state: StageState,
    startSize: number,
    channels: number,
    blocks: Sequential[],
    fromRgb: Sequential[],
    private readonly head: Sequential,
    readonly energyForm: EnergyForm,
  ) {
    super(name, state, startSize, channels, blocks, fromRgb);
  }

  score(x: tf.Tensor, training: boolean): tf.Tensor1D {
    return tf.tidy(() => {
      const r = tf.reshape(this.head.apply(this.features(x, training), training), [x.shape[0]]);
      return applyEnergyForm(r, this.energyForm) as tf.Tensor1D;
    });
  }

  modules(): Sequential[] {
    return [...this.encoderModules(), this.head];
  }

  activeModules(): Sequential[] {
    return [...this.activeEncoderModules(), this.head];
  }

  describe(inShape: number[] = this.inputShape): LayerDescription[] {
    const { rows, out } = this.describeEncoder(inShape);
    return [...rows, ...this.head.describe(out)];
  }
}

export interface ProgressiveModels {
  generator: ProgressiveGenerator;
  inference: ProgressiveInference;
  ebm: ProgressiveEbm;
  /** Number of stages: log2(maxSize / startSize) + 1 (9 for 4 → 1024). */
  readonly stages: number;
  /** Resolution of a stage: startSize·2^stage. */
  resolution(stage: number): number;
  /** Current stage and fade-in α of all three networks. */
  readonly stage: number;
  readonly alpha: number;
  /** Switches all three networks to `stage` (0 = 4×4) with the new stage's weight α ∈ [0, 1] (1 = fully grown). */
  setStage(stage: number, alpha: number): void;
  dispose(): void;
}

/** Generator, inference net and EBM that grow in synchrony 4 → 8 → … → maxSize (§4.1.3). Starts at stage 0, α = 1. */
export function buildProgressiveModels(opts: ProgressiveOptions): ProgressiveModels {
  for (const key of Object.keys(opts)) {
    if (!PROGRESSIVE_KEYS.includes(key)) throw new UserError(`unknown progressive model option "${key}": use one of ${PROGRESSIVE_KEYS.join(', ')}`);
  }
  const startSize = opts.startSize ?? 4;
  if (startSize !== 4) throw new UserError(`progressive models start at 4×4 (§4.1.3); got startSize ${String(startSize)}`);
  const { maxSize, seed } = opts;
  const stages = Math.log2(maxSize / startSize) + 1;
  if (!Number.isInteger(stages) || stages < 1) throw new UserError(`maxSize must be a power of two ≥ 4 (e.g. 1024), got ${String(maxSize)}`);
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new UserError('progressive model option seed must be a finite number');
  const channels = opts.channels ?? 3;
  const latentDim = opts.latentDim ?? 512;
  const width = opts.width ?? 1;
  const energyForm = opts.energyForm ?? 'identity';
  if (!ENERGY_FORMS.includes(energyForm)) throw new UserError(`energyForm "${String(energyForm)}" is not one of ${ENERGY_FORMS.join(', ')}`);
  if (!(width > 0)) throw new UserError(`width must be a positive number, got ${String(width)}`);
  for (const [k, v] of [['channels', channels], ['latentDim', latentDim]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new UserError(`progressive model option ${k} must be a positive integer, got ${String(v)}`);
  }
  const sn = opts.spectralNorm ?? false;
  const res = (s: number) => startSize * 2 ** s;
  const ch = (s: number) => Math.max(1, Math.round(Math.min(512, 16384 / res(s)) * width));
  const state = new StageState(stages);

  const conv = (out: number, k: number, s: number, p: number, act: RowSpec['act'], bn: boolean, bias = false): RowSpec =>
    ({ op: 'conv2d', out, k, s, p, bn, act, bias });
  const convT = (out: number, k: number, s: number, p: number): RowSpec => ({ op: 'convT2d', out, k, s, p, bn: true, act: 'relu', bias: false });
  const shapeAt = (s: number, c: number) => [res(s), res(s), c];

  const genBlocks: Sequential[] = [];
  const toRgb: Sequential[] = [];
  for (let s = 0; s < stages; s++) {
    const inCh = s === 0 ? latentDim : ch(s - 1);
    const first = s === 0 ? convT(ch(0), 4, 1, 0) : convT(ch(s), 4, 2, 1);
    genBlocks.push(new StackBuilder(`gen.b${s}`, inCh, seed, false).rows([first, conv(ch(s), 3, 1, 1, 'relu', true)]).build(s === 0 ? [1, 1, latentDim] : shapeAt(s - 1, inCh)));
    toRgb.push(new StackBuilder(`gen.rgb${s}`, ch(s), seed, false).rows([conv(channels, 1, 1, 0, null, false, true)], `gen.rgb${s}`).build(shapeAt(s, ch(s))));
  }

  const encoder = (prefix: string, spectral: boolean) => {
    const blocks: Sequential[] = [];
    const fromRgb: Sequential[] = [];
    for (let s = 0; s < stages; s++) {
      const rows = s === 0 ? [conv(ch(0), 3, 1, 1, 'lrelu', false)] : [conv(ch(s), 3, 1, 1, 'lrelu', false), conv(ch(s - 1), 4, 2, 1, 'lrelu', false)];
      blocks.push(new StackBuilder(`${prefix}.b${s}`, ch(s), seed, spectral).rows(rows).build(shapeAt(s, ch(s))));
      fromRgb.push(new StackBuilder(`${prefix}.rgb${s}`, channels, seed, spectral).rows([conv(ch(s), 1, 1, 0, 'lrelu', false)], `${prefix}.rgb${s}`).build(shapeAt(s, channels)));
    }
    return { blocks, fromRgb };
  };
  const head = (name: string, out: number, spectral: boolean) =>
    new StackBuilder(name, ch(0), seed, spectral).rows([conv(out, 4, 1, 0, null, false, true)], name).build(shapeAt(0, ch(0)));

  const inf = encoder('inf', false);
  const ebm = encoder('ebm', sn);
  const generator = new ProgressiveGenerator('gen', state, startSize, channels, latentDim, genBlocks, toRgb);
  const inference = new ProgressiveInference('inf', state, startSize, channels, inf.blocks, inf.fromRgb, latentDim, head('inf.mu', latentDim, false), head('inf.logvar', latentDim, false));
  const ebmNet = new ProgressiveEbm('ebm', state, startSize, channels, ebm.blocks, ebm.fromRgb, head('ebm.head', 1, sn), energyForm);

  const family: ProgressiveModels = {
    generator,
    inference,
    ebm: ebmNet,
    stages,
    resolution: res,
    get stage() {
      return state.stage;
    },
    get alpha() {
      return state.alpha;
    },
    setStage(stage: number, alpha: number) {
      if (!Number.isInteger(stage) || stage < 0 || stage >= stages) {
        throw new UserError(`stage ${stage} is out of range: use 0 (${res(0)}×${res(0)}) … ${stages - 1} (${res(stages - 1)}×${res(stages - 1)})`);
      }
      if (!(alpha >= 0 && alpha <= 1)) throw new UserError(`fade-in alpha must be in [0, 1], got ${alpha}`);
      state.stage = stage;
      state.alpha = alpha;
    },
    dispose() {
      for (const m of [generator, inference, ebmNet]) m.dispose();
    },
  };
  FAMILIES.set(generator, family);
  return family;
}

/** Every family's stage control by its generator, for code that keeps only the three networks (lib/train's runner). */
const FAMILIES = new WeakMap<Generator, ProgressiveModels>();

/**
 * The family, stage control included, that buildProgressiveModels built these networks in.
 * @throws Error when they are not the three networks of one family (a bug: they are only built together)
 */
export function progressiveFamily(nets: { generator?: Generator; inference?: InferenceNet; ebm?: Ebm }): ProgressiveModels {
  const family = nets.generator ? FAMILIES.get(nets.generator) : undefined;
  if (!family || family.inference !== nets.inference || family.ebm !== nets.ebm) throw new Error('internal: these networks are not one buildProgressiveModels family');
  return family;
}
