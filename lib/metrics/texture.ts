/**
 * Texture statistics for the synthesis experiments (divergence-triangle §4.1.4–4.1.5), where the paper
 * reports only pictures.
 *
 * Gram-matrix distance: Gatys et al. (2015) describe a texture by the Gram matrices G = FᵀF / (H·W) of
 * convolutional features F; no pretrained VGG is available here, and Ustyuzhaninov et al. (2017, "What
 * does it take to generate natural textures?", ICLR) showed that one layer of *random* multi-scale filters
 * with a ReLU already captures natural textures. So: K zero-mean random filters per scale (seeded),
 * F = ReLU(conv_valid(x, W_s)), and the distance between two images is the relative Frobenius error
 * ‖G_a − G_b‖ / ‖G_b‖ averaged over scales (b is the reference). 0 = same statistics; stationary crops of
 * one texture give small values, a different texture or noise large ones.
 *
 * Nearest-frame MSE: for each generated image, the per-pixel squared error to the closest reference
 * image, a memorisation check (0 means a copy of a training frame).
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';

export interface TextureGramOptions {
  /** Seeds the random filters (the same seed for everything compared). Default 0. */
  seed?: number;
  /** Filters per scale, default 32. */
  filters?: number;
  /** Filter sizes, default [3, 5, 7, 11] (each must fit in the image). */
  scales?: number[];
}

function checkImages(x: tf.Tensor, what: string): void {
  if (x.rank !== 4) throw new UserError(`${what}: images must be [N, H, W, C], got [${x.shape.join(', ')}]`);
}

/** The zero-mean N(0, 1/(k²C)) filters [k, k, C, K] of each scale; the same for the same (seed, C). Caller disposes. */
export function textureFilters(channels: number, opts: TextureGramOptions): tf.Tensor4D[] {
  const seed = opts.seed ?? 0;
  const filters = opts.filters ?? 32;
  return (opts.scales ?? [3, 5, 7, 11]).map((k, i) =>
    tf.tidy(() => {
      const w = tf.randomNormal([k, k, channels, filters], 0, 1 / Math.sqrt(k * k * channels), 'float32', seed * 7919 + i * 104729 + k);
      return tf.sub(w, tf.mean(w, [0, 1, 2], true)) as tf.Tensor4D;
    }),
  );
}

/**
 * Gram matrices of random multi-scale features.
 * @param x [N, H, W, C] in [-1, 1]
 * @returns [N, S, K, K] (S scales, K filters); caller disposes
 */
export function textureGram(x: tf.Tensor, opts: TextureGramOptions = {}): tf.Tensor {
  checkImages(x, 'textureGram');
  const [n, h, w, c] = x.shape as number[];
  const scales = opts.scales ?? [3, 5, 7, 11];
  if (scales.some((k) => !(Number.isInteger(k) && k >= 1 && k <= Math.min(h, w)))) {
    throw new UserError(`textureGram: filter sizes ${scales.join(', ')} must be integers from 1 to the image side ${Math.min(h, w)}`);
  }
  const ws = textureFilters(c, opts);
  try {
    return tf.tidy(() => {
      const grams = ws.map((wk) => {
        const f = tf.relu(tf.conv2d(x as tf.Tensor4D, wk, 1, 'valid'));
        const [, fh, fw, k] = f.shape;
        const flat = tf.reshape(f, [n, fh * fw, k]);
        return tf.div(tf.matMul(flat, flat, true, false), fh * fw); // [N, K, K]
      });
      return tf.stack(grams, 1);
    });
  } finally {
    tf.dispose(ws);
  }
}

/**
 * Relative Gram-matrix distance of each image of `x` to the reference statistics of `reference`
 * (the mean Gram over its images, e.g. the training texture or a clip's frames).
 * @param x [N, H, W, C] @param reference [M, H', W', C] (sizes may differ: Grams are per-pixel averages)
 * @returns one distance per image of x: mean over scales of ‖G_x − G_ref‖_F / ‖G_ref‖_F
 */
export function gramDistance(x: tf.Tensor, reference: tf.Tensor, opts: TextureGramOptions = {}): number[] {
  checkImages(x, 'gramDistance');
  checkImages(reference, 'gramDistance reference');
  if (x.shape[3] !== reference.shape[3]) throw new UserError(`gramDistance: ${x.shape[3]} channels vs the reference's ${reference.shape[3]}`);
  const d = tf.tidy(() => {
    const gx = textureGram(x, opts);
    const gr = tf.mean(textureGram(reference, opts), 0, true); // [1, S, K, K]
    const num = tf.sqrt(tf.sum(tf.square(tf.sub(gx, gr)), [2, 3])); // [N, S]
    const den = tf.sqrt(tf.sum(tf.square(gr), [2, 3]));
    return tf.mean(tf.div(num, den), 1);
  });
  try {
    return Array.from(d.dataSync());
  } finally {
    d.dispose();
  }
}

/**
 * For each image of `x`, the mean squared error per pixel to its nearest image in `reference`
 * (same shape), in the images' units ([-1, 1] → squared error on a range of 2).
 * @param x [N, ...] @param reference [M, ...] @returns N values and the index of each nearest reference
 */
export function nearestNeighbourMse(x: tf.Tensor, reference: tf.Tensor): { mse: number[]; index: number[] } {
  if (x.shape.slice(1).join() !== reference.shape.slice(1).join()) {
    throw new UserError(`nearestNeighbourMse: images [${x.shape.slice(1).join(', ')}] and reference [${reference.shape.slice(1).join(', ')}] differ`);
  }
  const d = x.shape.slice(1).reduce((a, b) => a * b, 1);
  const dist = tf.tidy(() => {
    const a = tf.reshape(x, [x.shape[0], d]);
    const b = tf.reshape(reference, [reference.shape[0], d]);
    // ‖a − b‖² = ‖a‖² − 2ab + ‖b‖², per pixel
    const sq = tf.add(tf.sub(tf.sum(tf.square(a), 1, true), tf.mul(tf.matMul(a, b, false, true), 2)), tf.reshape(tf.sum(tf.square(b), 1), [1, -1]));
    return tf.div(tf.relu(sq), d); // relu: rounding can make a 0 slightly negative
  });
  try {
    const v = dist.arraySync() as number[][];
    const index = v.map((row) => row.reduce((best, val, j) => (val < row[best] ? j : best), 0));
    return { mse: v.map((row, i) => row[index[i]]), index };
  } finally {
    dist.dispose();
  }
}

/** Gaussian noise of x's shape with x's per-channel mean and standard deviation: a reference with no structure. */
function matchedNoise(x: tf.Tensor, seed: number): tf.Tensor {
  return tf.tidy(() => {
    const m = tf.moments(x, [0, 1, 2]);
    return tf.add(m.mean, tf.mul(tf.sqrt(m.variance), tf.randomNormal(x.shape, 0, 1, 'float32', seed)));
  });
}

/** Where a sample's Gram distance to its one training image stands (see textureStatistics). */
export interface TextureStatistics {
  /** Mean Gram distance of the samples to the training image. */
  samples: number;
  /** Between the halves of the training image (left/right and top/bottom, averaged): its own variation. */
  halves: number;
  /** Of Gaussian noise with the image's per-channel mean and standard deviation: no structure at all. */
  noise: number;
  /** Mean per-pixel MSE of each sample to the training image (≈ 0 would be a copy). */
  copyMse: number;
}

/**
 * The texture experiments' measure with its two references: the samples' Gram distance to the single
 * training image, the distance between the image's own halves (what a good sample approaches) and that
 * of matched noise (what a structureless one scores), and the copy check.
 * @param samples [N, H, W, C] @param original [1, H, W, C] (neither disposed)
 */
export function textureStatistics(samples: tf.Tensor, original: tf.Tensor, opts: TextureGramOptions & { noiseSeed?: number } = {}): TextureStatistics {
  checkImages(original, 'textureStatistics');
  if (original.shape[0] !== 1) throw new UserError(`textureStatistics: pass the one training image [1, H, W, C], got [${original.shape.join(', ')}]`);
  const [, h, w] = original.shape as number[];
  const [hh, hw] = [Math.floor(h / 2), Math.floor(w / 2)];
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const parts = [
    tf.slice(original, [0, 0, 0, 0], [1, h, hw, -1]),
    tf.slice(original, [0, 0, w - hw, 0], [1, h, hw, -1]),
    tf.slice(original, [0, 0, 0, 0], [1, hh, w, -1]),
    tf.slice(original, [0, h - hh, 0, 0], [1, hh, w, -1]),
  ];
  const noise = matchedNoise(original, opts.noiseSeed ?? 5);
  try {
    return {
      samples: mean(gramDistance(samples, original, opts)),
      halves: mean([gramDistance(parts[0], parts[1], opts)[0], gramDistance(parts[2], parts[3], opts)[0]]),
      noise: gramDistance(noise, original, opts)[0],
      copyMse: mean(nearestNeighbourMse(samples, original).mse),
    };
  } finally {
    tf.dispose([...parts, noise]);
  }
}

/** A dynamic texture's measures (see videoStatistics). */
export interface VideoStatistics {
  /** Mean per-pixel MSE from each generated frame to its nearest training frame (≈ 0: replayed frames). */
  nearestFrameMse: number;
  /** Mean |x_{t+1} − x_t| of the generated clips (0 = frozen). */
  motionGenerated: number;
  /** The same of the training clips. */
  motionTraining: number;
  /** Gram distance of generated frames to the training frames. */
  gramGenerated: number;
  /** Of the first half of the training frames to the second: the clip's own variation. */
  gramHalves: number;
  /** Of frame-matched Gaussian noise: no structure. */
  gramNoise: number;
}

/** Mean |x_{t+1} − x_t| over clips [N, T, H, W, C]. */
export function motionEnergy(video: tf.Tensor): number {
  if (video.rank !== 5 || video.shape[1]! < 2) throw new UserError(`motionEnergy: clips must be [N, T ≥ 2, H, W, C], got [${video.shape.join(', ')}]`);
  const t = video.shape[1]!;
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(tf.slice(video, [0, 1], [-1, t - 1]), tf.slice(video, [0, 0], [-1, t - 1])))).dataSync()[0]);
}

/**
 * §4.1.5's measures of generated clips against the training clip(s): nearest-frame MSE, motion energy,
 * and the frames' Gram distance with its two references (halves of the training frames, matched noise).
 * @param generated [N, T, H, W, C] @param training [M, T, H, W, C] (neither disposed)
 * @param opts.gramStride use every k-th frame for the (convolution-heavy) Gram statistics (default 1)
 */
export function videoStatistics(generated: tf.Tensor, training: tf.Tensor, opts: TextureGramOptions & { gramStride?: number; noiseSeed?: number } = {}): VideoStatistics {
  if (generated.rank !== 5 || training.rank !== 5) throw new UserError(`videoStatistics: clips must be [N, T, H, W, C], got [${generated.shape.join(', ')}] and [${training.shape.join(', ')}]`);
  const stride = opts.gramStride ?? 1;
  if (!(Number.isInteger(stride) && stride >= 1)) throw new UserError(`videoStatistics: gramStride must be a positive integer, got ${stride}`);
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const flat = (v: tf.Tensor) => tf.reshape(v, [-1, ...v.shape.slice(2)]);
  const strided = (frames: tf.Tensor) => tf.gather(frames, Array.from({ length: Math.ceil(frames.shape[0] / stride) }, (_, i) => i * stride));
  const [gen, train] = [flat(generated), flat(training)];
  const [genSub, trainSub] = [strided(gen), strided(train)];
  const half = Math.floor(trainSub.shape[0] / 2);
  if (half < 1) throw new UserError(`videoStatistics: ${trainSub.shape[0]} training frame(s) after the stride of ${stride}; lower gramStride`);
  const first = tf.slice(trainSub, 0, half);
  const second = tf.slice(trainSub, half, half);
  const noise = matchedNoise(trainSub, opts.noiseSeed ?? 5);
  try {
    return {
      nearestFrameMse: mean(nearestNeighbourMse(gen, train).mse),
      motionGenerated: motionEnergy(generated),
      motionTraining: motionEnergy(training),
      gramGenerated: mean(gramDistance(genSub, trainSub, opts)),
      gramHalves: mean(gramDistance(first, second, opts)),
      gramNoise: mean(gramDistance(noise, trainSub, opts)),
    };
  } finally {
    tf.dispose([gen, train, genSub, trainSub, first, second, noise]);
  }
}
