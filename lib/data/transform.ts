/**
 * Pixel conversions shared by the loaders and by OOD evaluation: uint8 → [-1, 1], grayscale ↔ RGB,
 * and resizing a dataset to another model's input shape (e.g. CelebA 64×64 → CIFAR's 32×32×3).
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { makeImageDataset, type ImageDataset, type RawImages } from './types';

/** ITU-R BT.601 luma, the weights of PIL's convert('L') and of libvips' grayscale. */
export const LUMA = [0.299, 0.587, 0.114] as const;

/** v/127.5 − 1 for every byte value, rounded to float32 once. */
const UNIT_OF_BYTE = Float32Array.from({ length: 256 }, (_, v) => v / 127.5 - 1);

/**
 * Gathers `indices` of `raw` into float32 x/127.5 − 1, converting channels when `channels` differs:
 * gray → RGB repeats the value, RGB → gray takes BT.601 luma.
 */
export function rawToFloat(raw: RawImages, indices: ArrayLike<number>, channels: 1 | 3 = raw.c as 1 | 3): Float32Array {
  const { h, w, c } = raw;
  if (c !== 1 && c !== 3) throw new Error(`rawToFloat: ${c} channels`);
  const plane = h * w;
  const out = new Float32Array(indices.length * plane * channels);
  const src = raw.pixels;
  const unit = UNIT_OF_BYTE;
  for (let k = 0; k < indices.length; k++) {
    const s = indices[k] * plane * c;
    const o = k * plane * channels;
    if (c === channels) {
      for (let p = 0; p < plane * c; p++) out[o + p] = unit[src[s + p]];
    } else if (c === 1) {
      for (let p = 0; p < plane; p++) {
        const v = unit[src[s + p]];
        out[o + 3 * p] = v;
        out[o + 3 * p + 1] = v;
        out[o + 3 * p + 2] = v;
      }
    } else {
      for (let p = 0; p < plane; p++) {
        const y = LUMA[0] * src[s + 3 * p] + LUMA[1] * src[s + 3 * p + 1] + LUMA[2] * src[s + 3 * p + 2];
        out[o + p] = y / 127.5 - 1;
      }
    }
  }
  return out;
}

/** The same conversion on float images in [-1, 1] ([..., C] last). */
export function convertChannels(x: tf.Tensor, channels: 1 | 3): tf.Tensor {
  const c = x.shape[x.rank - 1];
  if (c === channels) return x.clone();
  return tf.tidy(() => {
    if (c === 1 && channels === 3) return tf.concat([x, x, x], x.rank - 1);
    if (c === 3 && channels === 1) {
      const [r, g, b] = tf.split(x, 3, x.rank - 1);
      // Luma of [-1, 1] values: the weights sum to 1, so the affine map commutes with them.
      return r.mul(LUMA[0]).add(g.mul(LUMA[1])).add(b.mul(LUMA[2]));
    }
    throw new UserError(`cannot convert images with ${c} channels to ${channels}: only grayscale (1) and RGB (3) are supported`);
  });
}

/**
 * Resizes [N, h, w, C] float images to [N, H, W, C]: crop the centered region with the target's aspect
 * ratio, average-pool by the integer part of the shrink factor (anti-aliasing), then bilinear with
 * half-pixel centers. Runs in chunks of `chunk` images so the intermediate tensors stay small.
 */
export function resizeImages(x: tf.Tensor4D, H: number, W: number, chunk = 512): tf.Tensor4D {
  const [n, h, w] = x.shape;
  if (h === H && w === W) return x.clone();
  // Largest centered crop with aspect W/H.
  let ch = h;
  let cw = Math.round((h * W) / H);
  if (cw > w) {
    cw = w;
    ch = Math.round((w * H) / W);
  }
  const top = Math.floor((h - ch) / 2);
  const left = Math.floor((w - cw) / 2);
  const pool = Math.max(1, Math.min(Math.floor(ch / H), Math.floor(cw / W)));
  const parts: tf.Tensor4D[] = [];
  try {
    for (let i = 0; i < n; i += chunk) {
      parts.push(
        tf.tidy(() => {
          let y = tf.slice(x, [i, top, left, 0], [Math.min(chunk, n - i), ch, cw, -1]);
          if (pool > 1) y = tf.avgPool(y, pool, pool, 'valid');
          return tf.image.resizeBilinear(y, [H, W], false, true);
        }),
      );
    }
    if (parts.length === 1) return parts.pop()!;
    return tf.concat(parts, 0);
  } finally {
    parts.forEach((p) => p.dispose());
  }
}

/**
 * The dataset resized to [H, W, C] (e.g. an OOD set matched to a model's input). Returns a new
 * dataset with its own tensor; `ds` is left as it was (dispose it yourself if no longer needed).
 * Video [N, T, h, w, c] is resized frame by frame.
 */
export function resizeDataset(ds: ImageDataset, shape: [number, number, number]): ImageDataset {
  const [H, W, C] = shape;
  if (!(C === 1 || C === 3)) throw new UserError(`resizeDataset: channels must be 1 or 3 (got ${C})`);
  if (![H, W].every((v) => Number.isInteger(v) && v > 0)) throw new UserError(`resizeDataset: size must be positive integers (got ${H}×${W})`);
  const x = ds.images;
  if (x.rank !== 4 && x.rank !== 5) throw new UserError(`resizeDataset: ${ds.name} has images of shape [${x.shape}], not [N, H, W, C] or [N, T, H, W, C]: only image and video datasets can be resized`);
  const lead = x.shape.slice(0, x.rank - 3);
  const [h, w, c] = x.shape.slice(x.rank - 3);
  const images = tf.tidy(() => {
    const flat = x.reshape([-1, h, w, c]) as tf.Tensor4D;
    const resized = resizeImages(flat, H, W);
    const converted = convertChannels(resized, C as 1 | 3);
    return converted.reshape([...lead, H, W, C]);
  });
  const what = [h !== H || w !== W ? `resized ${h}×${w} → ${H}×${W}` : '', c !== C ? `${c === 1 ? 'grayscale → RGB' : 'RGB → grayscale'}` : ''].filter(Boolean).join(', ');
  return makeImageDataset({
    name: ds.name,
    images,
    labels: ds.labels,
    classNames: ds.classNames,
    note: what ? `${ds.note} Then ${what}.` : ds.note,
    source: ds.source,
  });
}
