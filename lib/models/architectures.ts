/**
 * The architectures of both papers as tables of rows (divergence-triangle paper, appendix Tables 4–6
 * and §4.1.2–4.1.5), and the option resolution shared by every builder.
 *
 * Conventions taken from the authors' CIFAR-10 code (ENVIRONMENT.md, enijkamp/triangle):
 * hidden convolutions have no bias (`bias=False`), output layers have one; dense layers (MLP parts)
 * always have one. Every kernel size/stride/padding below is PyTorch's.
 */
import { UserError } from '../errors';
import { ENERGY_FORMS } from './energy';
import type { RowSpec } from './nets';
import type { EnergyForm } from './types';

export type ArchName = 'mnist' | 'cifar' | 'celeba' | 'large' | 'texture' | 'dyntex' | 'mlp2d';
export const ARCH_NAMES: readonly ArchName[] = ['mnist', 'cifar', 'celeba', 'large', 'texture', 'dyntex', 'mlp2d'];

export interface ModelOptions {
  /** Channel multiplier: every hidden channel count / MLP width n becomes max(1, round(n·width)). Default 1. */
  width?: number;
  /** Latent size: the vector length (mnist, cifar, celeba, large: 100; mlp2d: 2), the latent channels of the
   * 7×7 texture code (5), or the number of 1×1×2 dynamic-texture factors (10). */
  latentDim?: number;
  /** Seeds every initializer; a tensor's init depends only on (seed, its name). */
  seed: number;
  /** Default 'identity' (triangle EBM), 'softplus' (latent EBM, the authors' code). */
  energyForm?: EnergyForm;
  /** Spectral normalization on every weight of the EBM. Default false (triangle), true (latent EBM). */
  spectralNorm?: boolean;
  /** true: BN after every hidden layer of all three nets; false: none; 'table' (default): as the paper's table. */
  batchNorm?: boolean | 'table';
  /** mnist 28, cifar 32, celeba 64, large 32 or 64 (default 32), texture 7·2^L for L = 3, 4, 5 (default 224), dyntex 64. */
  imageSize?: number;
  /** Image channels (default 1 for mnist, 3 otherwise; e.g. 1 for grayscale textures); data dimension for mlp2d (2). */
  channels?: number;
  /** mlp2d hidden widths, default [128, 128]. */
  hidden?: number[];
}

const OPTION_KEYS: readonly (keyof ModelOptions)[] = [
  'width', 'latentDim', 'seed', 'energyForm', 'spectralNorm', 'batchNorm', 'imageSize', 'channels', 'hidden',
];

/** Options after defaults and validation. */
export interface ResolvedOptions {
  arch: ArchName;
  /** Channel scaling c(n) = max(1, round(n·width)) ('large' doubles width). */
  c: (n: number) => number;
  width: number;
  latentDim: number;
  seed: number;
  energyForm: EnergyForm;
  spectralNorm: boolean;
  bn: { gen: boolean; inf: boolean; ebm: boolean };
  imageSize: number;
  channels: number;
  hidden: number[];
}

function positiveInt(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

/** Validates options strictly (unknown keys and wrong types are UserErrors) and fills the per-table defaults. */
export function resolveModelOptions(arch: ArchName, opts: ModelOptions, defaults: { energyForm: EnergyForm; spectralNorm: boolean }): ResolvedOptions {
  if (!ARCH_NAMES.includes(arch)) throw new UserError(`unknown architecture "${String(arch)}": use one of ${ARCH_NAMES.join(', ')}`);
  if (opts === null || typeof opts !== 'object') throw new UserError('model options must be an object with at least { seed }');
  for (const key of Object.keys(opts)) {
    if (!OPTION_KEYS.includes(key as keyof ModelOptions)) {
      throw new UserError(`unknown model option "${key}": use one of ${OPTION_KEYS.join(', ')}`);
    }
  }
  if (typeof opts.seed !== 'number' || !Number.isFinite(opts.seed)) throw new UserError('model option seed must be a finite number');
  const width = opts.width ?? 1;
  if (typeof width !== 'number' || !(width > 0) || !Number.isFinite(width)) throw new UserError(`model option width must be a positive number, got ${String(opts.width)}`);
  const latentDefault = arch === 'mlp2d' ? 2 : arch === 'texture' ? 5 : arch === 'dyntex' ? 10 : 100;
  const latentDim = opts.latentDim ?? latentDefault;
  if (!positiveInt(latentDim)) throw new UserError(`model option latentDim must be a positive integer, got ${String(opts.latentDim)}`);
  const energyForm = opts.energyForm ?? defaults.energyForm;
  if (!ENERGY_FORMS.includes(energyForm)) throw new UserError(`model option energyForm "${String(energyForm)}" is not one of ${ENERGY_FORMS.join(', ')}`);
  const spectralNorm = opts.spectralNorm ?? defaults.spectralNorm;
  if (typeof spectralNorm !== 'boolean') throw new UserError('model option spectralNorm must be true or false');
  const bnOpt = opts.batchNorm ?? 'table';
  if (bnOpt !== 'table' && typeof bnOpt !== 'boolean') throw new UserError(`model option batchNorm must be true, false or 'table', got ${String(bnOpt)}`);
  const channels = opts.channels ?? (arch === 'mnist' ? 1 : arch === 'mlp2d' ? 2 : 3);
  if (!positiveInt(channels)) throw new UserError(`model option channels must be a positive integer, got ${String(opts.channels)}`);
  const hidden = opts.hidden ?? [128, 128];
  if (!Array.isArray(hidden) || hidden.length === 0 || !hidden.every(positiveInt)) {
    throw new UserError(`model option hidden must be a non-empty list of positive integers, got ${JSON.stringify(opts.hidden)}`);
  }
  if (opts.hidden !== undefined && arch !== 'mlp2d') throw new UserError(`model option hidden applies to 'mlp2d' only, not '${arch}'`);

  const sizes: Record<ArchName, number[]> = {
    mnist: [28], cifar: [32], celeba: [64], large: [32, 64], texture: [224, 112, 56], dyntex: [64], mlp2d: [1],
  };
  const imageSize = opts.imageSize ?? sizes[arch][0];
  if (arch === 'mlp2d' && opts.imageSize !== undefined) throw new UserError("model option imageSize does not apply to 'mlp2d' (use channels for the data dimension)");
  if (!sizes[arch].includes(imageSize)) {
    throw new UserError(`imageSize ${String(opts.imageSize)} is not supported by '${arch}': use ${sizes[arch].join(' or ')}`);
  }

  // Which nets have BN in their hidden layers when batchNorm is 'table'.
  const table: Record<ArchName, { gen: boolean; inf: boolean; ebm: boolean }> = {
    mnist: { gen: true, inf: false, ebm: false }, // Table 6
    cifar: { gen: true, inf: false, ebm: false }, // Table 5
    celeba: { gen: true, inf: true, ebm: true }, // Table 4
    large: { gen: true, inf: true, ebm: true }, // §4.1.2: "batch normalization is used in all three models"
    texture: { gen: true, inf: false, ebm: false }, // §4.1.4 gives none; as Tables 5–6
    dyntex: { gen: true, inf: false, ebm: false }, // §4.1.5 gives none; as Tables 5–6
    mlp2d: { gen: false, inf: false, ebm: false },
  };
  const bn = bnOpt === 'table' ? table[arch] : { gen: bnOpt, inf: bnOpt, ebm: bnOpt };
  const scale = arch === 'large' ? 2 * width : width; // §4.1.2: "twice the number of channels"
  return {
    arch,
    c: (n: number) => Math.max(1, Math.round(n * scale)),
    width,
    latentDim,
    seed: opts.seed,
    energyForm,
    spectralNorm,
    bn,
    imageSize,
    channels,
    hidden,
  };
}

/** One architecture: shapes and the rows of its three nets. */
export interface Layout {
  latentShape: number[];
  imageShape: number[];
  /** Shape the generator stack starts from (z reshaped), e.g. [1, 1, 100]. */
  genInput: number[];
  gen: RowSpec[];
  infTrunk: RowSpec[];
  /** Geometry of each of the two inference heads (μ and log σ²). */
  infHead: RowSpec;
  ebmTrunk: RowSpec[];
  /** Last EBM layer: linear, bias, 1 channel (or a map that is summed, texture/dyntex). */
  ebmHead: RowSpec;
}

const conv = (out: number, k: number, s: number, p: number, bn: boolean, act: RowSpec['act'] = 'lrelu', bias = false): RowSpec =>
  ({ op: 'conv2d', out, k, s, p, bn, act, bias });
const convT = (out: number, k: number, s: number, p: number, bn: boolean, act: RowSpec['act'] = 'relu', outSize?: number, bias = false): RowSpec =>
  ({ op: 'convT2d', out, k, s, p, bn, act, bias, outSize });

/** Rows of every architecture, from the resolved options. */
export function layoutFor(o: ResolvedOptions): Layout {
  const { c, latentDim: d, channels: ch, bn } = o;
  switch (o.arch) {
    case 'mnist':
      // Table 6. The table's last I/E layer reads "4x4 conv" on a 3×3 map giving 1×1, which no padding-free
      // 4×4 conv can do (PyTorch refuses a kernel larger than its input); we use 3×3 valid, the mirror of
      // the generator's first 3×3 convT (1→3).
      return {
        latentShape: [d], imageShape: [28, 28, ch], genInput: [1, 1, d],
        gen: [
          convT(c(1024), 3, 1, 0, bn.gen), // 1 → 3
          convT(c(512), 4, 2, 1, bn.gen, 'relu', 7), // 3 → 7 (output_padding 1)
          convT(c(256), 4, 2, 1, bn.gen), // 7 → 14
          convT(ch, 4, 2, 1, false, 'tanh', undefined, true), // 14 → 28
        ],
        infTrunk: [conv(c(128), 4, 2, 1, bn.inf), conv(c(256), 4, 2, 1, bn.inf), conv(c(512), 4, 2, 1, bn.inf)], // 28→14→7→3
        infHead: conv(d, 3, 1, 0, false, null, true), // 3 → 1
        ebmTrunk: [conv(c(128), 4, 2, 1, bn.ebm), conv(c(256), 4, 2, 1, bn.ebm), conv(c(512), 4, 2, 1, bn.ebm)],
        ebmHead: conv(1, 3, 1, 0, false, null, true),
      };
    case 'cifar':
      return cifarLayout(o);
    case 'celeba':
      return celebaLayout(o);
    case 'large':
      // §4.1.2: the object-generation structures with twice the channels (c() doubles) and BN everywhere.
      return o.imageSize === 32 ? cifarLayout(o) : celebaLayout(o);
    case 'texture': {
      // §4.1.4: z is 7×7×5; five 4×4 stride-2 convTs with 512, 512, 256, 128, 3 filters (7 → 224).
      // Smaller images (112, 56) drop the first layers. Inference: the mirror with convs and LReLU 0.2,
      // its last layer (14 → 7) being the μ / log σ² heads. EBM as the paper: 7×7 stride 2 (100), 7×7
      // stride 2 (70), 5×5 stride 1 (30); padding 3, 3, 2 ("same"), so 224 → 112 → 56 → 56, f = Σ of the map.
      const layers = Math.round(Math.log2(o.imageSize / 7));
      const hiddenCh = [512, 512, 256, 128].slice(5 - layers).map(c);
      return {
        latentShape: [7, 7, d], imageShape: [o.imageSize, o.imageSize, ch], genInput: [7, 7, d],
        gen: [...hiddenCh.map((n) => convT(n, 4, 2, 1, bn.gen)), convT(ch, 4, 2, 1, false, 'tanh', undefined, true)],
        infTrunk: hiddenCh.slice().reverse().map((n) => conv(n, 4, 2, 1, bn.inf)),
        infHead: conv(d, 4, 2, 1, false, null, true),
        ebmTrunk: [conv(c(100), 7, 2, 3, bn.ebm), conv(c(70), 7, 2, 3, bn.ebm)],
        ebmHead: conv(c(30), 5, 1, 2, false, null, true),
      };
    }
    case 'dyntex':
      return dyntexLayout(o);
    case 'mlp2d': {
      // Small MLPs for 2-D toy data. The generator's output is linear (toy data is not confined to [−1, 1]).
      const h = o.hidden.map(c);
      const dense = (out: number, act: RowSpec['act'], useBn: boolean): RowSpec => ({ op: 'dense', out, bn: useBn, act, bias: true });
      return {
        latentShape: [d], imageShape: [ch], genInput: [d],
        gen: [...h.map((n) => dense(n, 'relu', bn.gen)), dense(ch, null, false)],
        infTrunk: h.map((n) => dense(n, 'lrelu', bn.inf)),
        infHead: dense(d, null, false),
        ebmTrunk: h.map((n) => dense(n, 'lrelu', bn.ebm)),
        ebmHead: dense(1, null, false),
      };
    }
    default: {
      const never: never = o.arch;
      throw new Error(`unknown architecture ${String(never)}`);
    }
  }
}

/** Table 5 (CIFAR-10, 32×32), identical to the authors' train_cifar10.py. */
function cifarLayout(o: ResolvedOptions): Layout {
  const { c, latentDim: d, channels: ch, bn } = o;
  return {
    latentShape: [d], imageShape: [32, 32, ch], genInput: [1, 1, d],
    gen: [
      convT(c(512), 4, 1, 0, bn.gen), // 1 → 4
      convT(c(512), 4, 2, 1, bn.gen), // 4 → 8
      convT(c(256), 4, 2, 1, bn.gen), // 8 → 16
      convT(c(128), 4, 2, 1, bn.gen), // 16 → 32
      convT(ch, 3, 1, 1, false, 'tanh', undefined, true), // 32 → 32
    ],
    infTrunk: [conv(c(64), 3, 1, 1, bn.inf), conv(c(128), 4, 2, 1, bn.inf), conv(c(256), 4, 2, 1, bn.inf), conv(c(512), 4, 2, 1, bn.inf)],
    infHead: conv(d, 4, 1, 0, false, null, true), // 4 → 1
    ebmTrunk: [conv(c(64), 3, 1, 1, bn.ebm), conv(c(128), 4, 2, 1, bn.ebm), conv(c(256), 4, 2, 1, bn.ebm), conv(c(256), 4, 2, 1, bn.ebm)],
    ebmHead: conv(1, 4, 1, 0, false, null, true),
  };
}

/**
 * Table 4 (CelebA, 64×64). The table lists "ReLU" after the generator's last layer and "LReLU" after the
 * last I and E layers; we use tanh (images live in [−1, 1], types.ts) and linear outputs (μ, log σ² and r
 * must be unbounded; the energy form is applied to r), as Tables 5–6 do.
 */
function celebaLayout(o: ResolvedOptions): Layout {
  const { c, latentDim: d, channels: ch, bn } = o;
  return {
    latentShape: [d], imageShape: [64, 64, ch], genInput: [1, 1, d],
    gen: [
      convT(c(512), 4, 1, 0, bn.gen), // 1 → 4
      convT(c(512), 4, 2, 1, bn.gen), // 4 → 8
      convT(c(256), 4, 2, 1, bn.gen), // 8 → 16
      convT(c(128), 4, 2, 1, bn.gen), // 16 → 32
      convT(ch, 4, 2, 1, false, 'tanh', undefined, true), // 32 → 64
    ],
    infTrunk: [conv(c(64), 4, 2, 1, bn.inf), conv(c(128), 4, 2, 1, bn.inf), conv(c(256), 4, 2, 1, bn.inf), conv(c(512), 4, 2, 1, bn.inf)],
    infHead: conv(d, 4, 1, 0, false, null, true),
    ebmTrunk: [conv(c(64), 4, 2, 1, bn.ebm), conv(c(128), 4, 2, 1, bn.ebm), conv(c(256), 4, 2, 1, bn.ebm), conv(c(256), 4, 2, 1, bn.ebm)],
    ebmHead: conv(1, 4, 1, 0, false, null, true),
  };
}

/**
 * §4.1.5, videos [T=32, H=64, W=64, C] (NDHWC, time first). The paper gives: z = 10 factors of size
 * 1×1×2 (here [T=2, 1, 1, 10]); the spatio-temporal convT generator of Han et al., WACV 2019 ([53]) with
 * kernel 5 in the second layer; inference of 4 convs (kernel 4, stride 2) + a layer fully connected in
 * space and convolutional in time giving μ, σ of the latent's size; EBM of 3 layers with 64, 128, 128
 * filters, the first two kernel 4 stride 2 everywhere, the last fully connected in space, kernel 4
 * stride 2 in time. Our choices where the paper is silent:
 *  - generator channels 512, 256, 128, 64, C (a DCGAN-style halving);
 *    [2,1,1] →(k4, s(2,1,1), p(1,0,0))→ [4,4,4] →(k5 s2 p2, output_padding 1)→ [8,8,8]
 *    →(k4 s2 p1)→ [16,16,16] →(k4 s2 p1)→ [32,32,32] →(k(3,4,4) s(1,2,2) p1)→ [32,64,64];
 *  - inference channels 64, 128, 256, 512: [32,64,64] → [16,32,32] → [8,16,16] → [4,8,8] → [2,4,4],
 *    heads k(3,4,4) p(1,0,0) → [2,1,1] (temporal kernel 3, "convolutional in time");
 *  - EBM [32,64,64] → [16,32,32,64] → [8,16,16,128] →(k(4,16,16) s(2,1,1) p(1,0,0))→ [4,1,1,128], f = Σ.
 */
function dyntexLayout(o: ResolvedOptions): Layout {
  const { c, latentDim: d, channels: ch, bn } = o;
  const c3 = (out: number, k: number | number[], s: number | number[], p: number | number[], useBn: boolean, act: RowSpec['act'] = 'lrelu', bias = false): RowSpec =>
    ({ op: 'conv3d', out, k, s, p, bn: useBn, act, bias });
  const t3 = (out: number, k: number | number[], s: number | number[], p: number | number[], useBn: boolean, act: RowSpec['act'] = 'relu', outSize?: number[], bias = false): RowSpec =>
    ({ op: 'convT3d', out, k, s, p, bn: useBn, act, bias, outSize });
  return {
    latentShape: [2, 1, 1, d], imageShape: [32, 64, 64, ch], genInput: [2, 1, 1, d],
    gen: [
      t3(c(512), 4, [2, 1, 1], [1, 0, 0], bn.gen),
      t3(c(256), 5, 2, 2, bn.gen, 'relu', [8, 8, 8]),
      t3(c(128), 4, 2, 1, bn.gen),
      t3(c(64), 4, 2, 1, bn.gen),
      t3(ch, [3, 4, 4], [1, 2, 2], 1, false, 'tanh', undefined, true),
    ],
    infTrunk: [c3(c(64), 4, 2, 1, bn.inf), c3(c(128), 4, 2, 1, bn.inf), c3(c(256), 4, 2, 1, bn.inf), c3(c(512), 4, 2, 1, bn.inf)],
    infHead: c3(d, [3, 4, 4], 1, [1, 0, 0], false, null, true),
    ebmTrunk: [c3(c(64), 4, 2, 1, bn.ebm), c3(c(128), 4, 2, 1, bn.ebm)],
    ebmHead: c3(c(128), [4, 16, 16], [2, 1, 1], [1, 0, 0], false, null, true),
  };
}
