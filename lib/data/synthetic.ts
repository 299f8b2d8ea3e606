/**
 * Generated datasets: the 2-D Gaussian mixtures of the mode-coverage experiments and the OOD sets
 * 'uniform-noise' and 'constant' of the VAE + latent-EBM paper's §5.3 (Table 3).
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { SeededRng, deriveNoiseSeed as deriveSeed } from '../random';
import { makeImageDataset, type DatasetSplit, type ImageDataset } from './types';

export type Toy2dName = 'toy2d-ring8' | 'toy2d-grid25';
export const TOY2D_NAMES: readonly Toy2dName[] = ['toy2d-ring8', 'toy2d-grid25'];

export interface Toy2dSpec {
  /** Mode centers [K][2]. */
  modes: number[][];
  /** Isotropic standard deviation of every component. */
  std: number;
  description: string;
}

/**
 * The two standard mixtures of the GAN mode-collapse literature: 8 Gaussians on a circle of radius 2
 * with std 0.02 (Metz et al. 2017, unrolled GANs) and a 5×5 grid at {−4, −2, 0, 2, 4}² with std 0.05
 * (Srivastava et al. 2017, VEEGAN). Equal weights.
 */
export function toy2dSpec(name: Toy2dName): Toy2dSpec {
  switch (name) {
    case 'toy2d-ring8':
      return {
        modes: Array.from({ length: 8 }, (_, k) => [2 * Math.cos((2 * Math.PI * k) / 8), 2 * Math.sin((2 * Math.PI * k) / 8)]),
        std: 0.02,
        description: '8 equal Gaussians, std 0.02, centers on a circle of radius 2',
      };
    case 'toy2d-grid25': {
      const modes: number[][] = [];
      for (const a of [-4, -2, 0, 2, 4]) for (const b of [-4, -2, 0, 2, 4]) modes.push([a, b]);
      return { modes, std: 0.05, description: '25 equal Gaussians, std 0.05, centers on the grid {-4,-2,0,2,4}²' };
    }
    default: {
      const never: never = name;
      throw new UserError(`unknown 2-D toy set "${never as string}": use one of ${TOY2D_NAMES.join(', ')}`);
    }
  }
}

/** The mode centers [K][2] of a 2-D toy set. */
export function toy2dModes(name: Toy2dName): number[][] {
  return toy2dSpec(name).modes;
}

/** Different streams per split, so train and test samples are independent draws. */
function splitSeed(seed: number, split: DatasetSplit, stream: number): number {
  return deriveSeed(seed, stream, split === 'train' ? 0 : 1);
}

/** [N, 2] samples; labels = index of the component each sample came from. */
export function loadToy2d(name: Toy2dName, n: number, seed: number, split: DatasetSplit): ImageDataset {
  const spec = toy2dSpec(name);
  const rng = new SeededRng(splitSeed(seed, split, 0x7042d));
  const xy = new Float32Array(2 * n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = rng.int(spec.modes.length);
    labels[i] = k;
    xy[2 * i] = spec.modes[k][0] + spec.std * rng.normal();
    xy[2 * i + 1] = spec.modes[k][1] + spec.std * rng.normal();
  }
  return makeImageDataset({
    name,
    images: tf.tensor2d(xy, [n, 2]),
    labels,
    classNames: spec.modes.map((m) => `(${m[0].toFixed(2)}, ${m[1].toFixed(2)})`),
    note: `${n} samples of a 2-D mixture: ${spec.description} (not images: [N, 2], not scaled to [-1, 1]).`,
    source: 'generated',
  });
}

export type NoiseSetName = 'uniform-noise' | 'constant';

/**
 * OOD sets: 'uniform-noise' draws every pixel uniformly in [-1, 1]; 'constant' gives each image one
 * random solid color (each channel uniform in [-1, 1], the same at every pixel).
 */
export function loadNoiseSet(name: NoiseSetName, n: number, size: number, channels: 1 | 3, seed: number, split: DatasetSplit): ImageDataset {
  const rng = new SeededRng(splitSeed(seed, split, name === 'uniform-noise' ? 0x0dd1 : 0x0dd2));
  const plane = size * size;
  const x = new Float32Array(n * plane * channels);
  if (name === 'uniform-noise') {
    for (let i = 0; i < x.length; i++) x[i] = 2 * rng.next() - 1;
  } else {
    for (let i = 0; i < n; i++) {
      const color = Array.from({ length: channels }, () => 2 * rng.next() - 1);
      for (let p = 0; p < plane; p++) for (let c = 0; c < channels; c++) x[(i * plane + p) * channels + c] = color[c];
    }
  }
  const what = name === 'uniform-noise' ? 'every pixel uniform in [-1, 1]' : 'each image one random color, channels uniform in [-1, 1]';
  return makeImageDataset({
    name,
    images: tf.tensor4d(x, [n, size, size, channels]),
    note: `${n} generated ${size}×${size}×${channels} OOD images: ${what}.`,
    source: 'generated',
  });
}
