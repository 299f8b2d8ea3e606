/**
 * Image grids as PNG (sharp): samples, reconstructions beside originals, interpolations, and the
 * occluded/recovered rows of divergence-triangle Figure 16. Pixels are upscaled by nearest neighbour
 * (no blur on 28×28 digits); row and column labels are SVG text composited on the grid.
 */
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { UserError } from '../errors';
import type { PixelRange } from '../metrics/reconstruction';
import { escapeHtml } from './plotly';

/** Images as a [N, H, W, C] tensor (C = 1 or 3) or as N flat H·W·C arrays (then pass `shape`). */
export type GridImages = tf.Tensor | readonly Float32Array[];

export interface ImageGridOptions {
  /** images per row (default ceil(√N)) */
  cols?: number;
  /** gap between cells, in output pixels (default 2) */
  padding?: number;
  /** integer upscaling of every pixel (default: enough for cells of at least 56 px, at most 4) */
  scale?: number;
  /** pixel range of the input (default [-1, 1]); values outside are clipped */
  range?: PixelRange;
  /** one label per row, drawn to the left */
  labels?: readonly string[];
  /** one label per column, drawn above */
  colLabels?: readonly string[];
  /** [H, W, C] of one image when images are flat arrays (default: square and gray) */
  shape?: readonly [number, number, number];
  /** 1 = observed, 0 = missing, [N, H, W, 1] or flat H·W arrays: missing pixels are painted `maskColor` */
  masks?: GridImages;
  /** RGB of missing pixels (default [213, 94, 0], vermilion) */
  maskColor?: readonly [number, number, number];
  /** gray level 0–255 of padding and margins (default 255) */
  background?: number;
  /** label font size in px (default 12) */
  fontSize?: number;
}

interface Pixels {
  data: Float32Array;
  n: number;
  h: number;
  w: number;
  c: number;
}

function readImages(images: GridImages, shape: ImageGridOptions['shape'], what: string): Pixels {
  if (images instanceof tf.Tensor) {
    if (images.rank === 3) {
      const [n, h, w] = images.shape as [number, number, number];
      return { data: images.dataSync() as Float32Array, n, h, w, c: 1 };
    }
    if (images.rank !== 4 || (images.shape[3] !== 1 && images.shape[3] !== 3)) {
      throw new UserError(`${what}: images must be [N, H, W, 1 or 3] (got [${images.shape}])`);
    }
    const [n, h, w, c] = images.shape as [number, number, number, number];
    return { data: images.dataSync() as Float32Array, n, h, w, c };
  }
  const n = images.length;
  if (n === 0) return { data: new Float32Array(0), n: 0, h: 0, w: 0, c: 1 };
  let [h, w, c] = shape ?? [0, 0, 1];
  if (!shape) {
    h = w = Math.round(Math.sqrt(images[0].length));
    if (h * w !== images[0].length) throw new UserError(`${what}: images of ${images[0].length} values are not square; pass shape [H, W, C]`);
  }
  const size = h * w * c;
  const data = new Float32Array(n * size);
  images.forEach((img, i) => {
    if (img.length !== size) throw new UserError(`${what}: image ${i} has ${img.length} values, expected ${h}×${w}×${c}`);
    data.set(img, i * size);
  });
  return { data, n, h, w, c };
}

function textWidth(s: string, fontSize: number): number {
  return Math.ceil(s.length * fontSize * 0.6);
}

/**
 * Lays images out row by row into one PNG.
 * @returns the PNG bytes (grayscale PNG when every image is gray and there is no mask colour)
 */
export async function imageGrid(images: GridImages, opts: ImageGridOptions = {}): Promise<Buffer> {
  const px = readImages(images, opts.shape, 'imageGrid');
  if (px.n === 0) throw new UserError('imageGrid: no images to draw');
  const cols = Math.max(1, Math.min(opts.cols ?? Math.ceil(Math.sqrt(px.n)), px.n));
  const rows = Math.ceil(px.n / cols);
  const scale = opts.scale ?? Math.max(1, Math.min(4, Math.ceil(56 / Math.max(px.h, px.w))));
  if (!Number.isInteger(scale) || scale < 1) throw new UserError(`imageGrid: scale must be a positive integer (got ${scale})`);
  const pad = opts.padding ?? 2;
  const [lo, hi] = opts.range ?? [-1, 1];
  const fontSize = opts.fontSize ?? 12;
  const labels = opts.labels ?? [];
  const colLabels = opts.colLabels ?? [];
  if (labels.length > 0 && labels.length !== rows) throw new UserError(`imageGrid: ${labels.length} row labels for ${rows} rows`);
  if (colLabels.length > 0 && colLabels.length !== cols) throw new UserError(`imageGrid: ${colLabels.length} column labels for ${cols} columns`);
  const mask = opts.masks ? readImages(opts.masks, opts.shape ? [opts.shape[0], opts.shape[1], 1] : undefined, 'imageGrid masks') : null;
  if (mask && (mask.n !== px.n || mask.h !== px.h || mask.w !== px.w || mask.c !== 1)) {
    throw new UserError(`imageGrid: masks must be [${px.n}, ${px.h}, ${px.w}, 1] like the images`);
  }
  const maskColor = opts.maskColor ?? [213, 94, 0];

  const left = labels.length ? Math.max(...labels.map((l) => textWidth(l, fontSize))) + 10 : 0;
  const top = colLabels.length ? Math.round(fontSize * 1.6) : 0;
  const cw = px.w * scale;
  const ch = px.h * scale;
  const width = left + pad + cols * (cw + pad);
  const height = top + pad + rows * (ch + pad);
  const out = Buffer.alloc(width * height * 3, opts.background ?? 255);
  const toByte = (v: number) => Math.max(0, Math.min(255, Math.round(((v - lo) / (hi - lo)) * 255)));
  const size = px.h * px.w * px.c;
  for (let i = 0; i < px.n; i++) {
    const x0 = left + pad + (i % cols) * (cw + pad);
    const y0 = top + pad + Math.floor(i / cols) * (ch + pad);
    for (let y = 0; y < px.h; y++) {
      for (let x = 0; x < px.w; x++) {
        const src = i * size + (y * px.w + x) * px.c;
        const missing = mask !== null && mask.data[i * px.h * px.w + y * px.w + x] < 0.5;
        const rgb = missing
          ? maskColor
          : px.c === 1
            ? [toByte(px.data[src]), toByte(px.data[src]), toByte(px.data[src])]
            : [toByte(px.data[src]), toByte(px.data[src + 1]), toByte(px.data[src + 2])];
        for (let dy = 0; dy < scale; dy++) {
          let o = ((y0 + y * scale + dy) * width + x0 + x * scale) * 3;
          for (let dx = 0; dx < scale; dx++, o += 3) {
            out[o] = rgb[0];
            out[o + 1] = rgb[1];
            out[o + 2] = rgb[2];
          }
        }
      }
    }
  }
  let img = sharp(out, { raw: { width, height, channels: 3 } });
  if (labels.length || colLabels.length) {
    const font = `font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="${fontSize}" fill="#222"`;
    const texts = [
      ...labels.map((l, r) => {
        const y = top + pad + r * (ch + pad) + ch / 2 + fontSize * 0.35;
        return `<text x="${left - 6}" y="${y.toFixed(1)}" text-anchor="end" ${font}>${escapeHtml(l)}</text>`;
      }),
      ...colLabels.map((l, c) => {
        const x = left + pad + c * (cw + pad) + cw / 2;
        return `<text x="${x.toFixed(1)}" y="${(top - fontSize * 0.45).toFixed(1)}" text-anchor="middle" ${font}>${escapeHtml(l)}</text>`;
      }),
    ];
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${texts.join('')}</svg>`;
    img = sharp(await img.composite([{ input: Buffer.from(svg), top: 0, left: 0 }]).removeAlpha().png().toBuffer());
  }
  const gray = px.c === 1 && !mask;
  return (gray ? img.toColourspace('b-w') : img).png().toBuffer();
}

/** Samples in a near-square grid. @param images [N, H, W, C] in [-1, 1] */
export function samplesGrid(images: GridImages, opts: ImageGridOptions = {}): Promise<Buffer> {
  return imageGrid(images, opts);
}

/**
 * Originals and their reconstructions in alternating rows of `cols` (default 10), labelled.
 * @param originals [N, H, W, C] @param reconstructions [N, H, W, C], same range
 */
export async function reconstructionGrid(
  originals: tf.Tensor,
  reconstructions: tf.Tensor,
  opts: ImageGridOptions = {},
): Promise<Buffer> {
  if (originals.shape.join() !== reconstructions.shape.join()) {
    throw new UserError(`reconstructionGrid: originals [${originals.shape}] and reconstructions [${reconstructions.shape}] differ`);
  }
  const n = originals.shape[0];
  const cols = Math.min(opts.cols ?? 10, n);
  const chunks = Math.ceil(n / cols);
  const labels: string[] = [];
  const stacked = tf.tidy(() => {
    const parts: tf.Tensor[] = [];
    for (let k = 0; k < chunks; k++) {
      const size = Math.min(cols, n - k * cols);
      const pad = cols - size;
      for (const src of [originals, reconstructions]) {
        let part = tf.slice(src, k * cols, size);
        // a short last chunk is padded with blank (background-range) cells so rows stay aligned
        if (pad > 0) part = tf.concat([part, tf.fill([pad, ...src.shape.slice(1)], (opts.range ?? [-1, 1])[1])], 0);
        parts.push(part);
      }
      labels.push('original', 'reconstruction');
    }
    return tf.concat(parts, 0);
  });
  try {
    return await imageGrid(stacked, { ...opts, cols, labels: opts.labels ?? labels });
  } finally {
    stacked.dispose();
  }
}

/**
 * Latent interpolations (1 − α)·z₀ + α·z₁ decoded, one row per pair (divergence-triangle Figure 10).
 * @param frames [R, S, H, W, C] (S steps per row) or [R·S, H, W, C] with `steps`
 */
export function interpolationGrid(frames: tf.Tensor, opts: ImageGridOptions & { steps?: number } = {}): Promise<Buffer> {
  if (frames.rank === 5) {
    const [r, s, h, w, c] = frames.shape as number[];
    const flat = tf.reshape(frames, [r * s, h, w, c]);
    return imageGrid(flat, { ...opts, cols: s }).finally(() => flat.dispose());
  }
  if (!opts.steps) throw new UserError('interpolationGrid: pass frames [R, S, H, W, C] or [R·S, H, W, C] with steps');
  return imageGrid(frames, { ...opts, cols: opts.steps });
}

/**
 * Figure 16 style: row 1 the original images, row 2 what was observed (missing pixels painted in the
 * mask colour), then one row of recovered images per method.
 * @param original [N, H, W, C] @param mask [N, H, W, 1], 1 = observed, 0 = missing
 * @param recovered method name → [N, H, W, C]
 */
export async function recoveryGrid(
  original: tf.Tensor,
  mask: tf.Tensor,
  recovered: Record<string, tf.Tensor>,
  opts: ImageGridOptions = {},
): Promise<Buffer> {
  const n = original.shape[0];
  const names = Object.keys(recovered);
  for (const name of names) {
    if (recovered[name].shape.join() !== original.shape.join()) {
      throw new UserError(`recoveryGrid: "${name}" is [${recovered[name].shape}], the originals [${original.shape}]`);
    }
  }
  const { stacked, masks } = tf.tidy(() => {
    const ones = tf.onesLike(mask);
    return {
      stacked: tf.concat([original, original, ...names.map((k) => recovered[k])], 0),
      masks: tf.concat([ones, mask, ...names.map(() => ones)], 0),
    };
  });
  try {
    return await imageGrid(stacked, { ...opts, cols: n, masks, labels: opts.labels ?? ['original', 'observed', ...names] });
  } finally {
    tf.dispose([stacked, masks]);
  }
}
