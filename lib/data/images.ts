/**
 * Decoding image files with sharp (libvips): many files at once (each decode runs on libuv's thread
 * pool, so several are in flight together), center-crop + resize, channel conversion, and a binary
 * cache of the decoded uint8 pixels in data/cache/ keyed by every file's path, size and mtime plus the
 * decode options, so a second load of the same folder reads one file instead of decoding thousands.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { UserError } from '../errors';
import { dataCacheDir, formatBytes } from './files';
import { LUMA } from './transform';
import type { RawImages } from './types';

/** A file (optionally one page of an animated GIF/WebP/TIFF) or pixels already in memory. */
export type ImageInput =
  | { file: string; page?: number }
  | { raw: Uint8Array; width: number; height: number; channels: 1 | 2 | 3 | 4; name: string };

export interface DecodeOptions {
  /** Output side: crop the centered square, then resize to imageSize×imageSize. Default: native size (all images must agree). */
  imageSize?: number;
  /** Before resizing, crop the centered crop×crop square (when the image is at least that big), e.g. 140 for CelebA faces. */
  crop?: number;
  /** Output channels; default: the first image's (grayscale 1, color 3). Alpha is always dropped. */
  channels?: 1 | 3;
  /** Read/write the decoded cache (file inputs only). Default true. */
  cache?: boolean;
  /** Refuse (UserError) when the images would need more than this many bytes as float32. */
  maxFloatBytes?: number;
}

const CACHE_MAGIC = 'DTRIIMG1';
const CACHE_VERSION = 2;

function inputName(x: ImageInput): string {
  return 'file' in x ? (x.page !== undefined ? `${x.file} (frame ${x.page})` : x.file) : x.name;
}

/** Files are read into memory first: metadata and decode then parse one buffer instead of opening the file twice. */
async function open(x: ImageInput): Promise<sharp.Sharp> {
  if ('file' in x) return sharp(await fs.promises.readFile(x.file), x.page !== undefined ? { page: x.page, pages: 1 } : {});
  return sharp(x.raw, { raw: { width: x.width, height: x.height, channels: x.channels } });
}

function nativeChannels(m: sharp.Metadata): 1 | 3 {
  return m.space === 'b-w' || m.space === 'grey16' || (m.channels ?? 3) <= 2 ? 1 : 3;
}

function decodeError(x: ImageInput, e: unknown): UserError {
  const msg = String((e as Error).message ?? e).split('\n')[0];
  return new UserError(`cannot decode image ${inputName(x)} (${msg}): the file is truncated, corrupted or not an image; remove or replace it`);
}

/** The height of one frame: sharp reports the whole animation's height unless asked for one page. */
function frameSize(m: sharp.Metadata): { w: number; h: number } {
  return { w: m.width ?? 0, h: m.pageHeight ?? m.height ?? 0 };
}

/** Decodes every input to uint8 [N, H, W, C], in input order. */
export async function decodeImages(inputs: ImageInput[], opts: DecodeOptions = {}): Promise<RawImages> {
  if (inputs.length === 0) throw new Error('decodeImages: no inputs');
  const useCache = opts.cache !== false && inputs.every((x) => 'file' in x);
  const cacheFile = useCache ? cachePath(inputs as { file: string; page?: number }[], opts) : undefined;
  if (cacheFile) {
    const hit = readCache(cacheFile, inputs.length);
    if (hit) return hit;
  }

  // The first image fixes the output size and channels when the options leave them open.
  const first = inputs[0];
  let firstMeta: sharp.Metadata;
  try {
    firstMeta = await (await open(first)).metadata();
  } catch (e) {
    throw decodeError(first, e);
  }
  const c: 1 | 3 = opts.channels ?? nativeChannels(firstMeta);
  const size0 = frameSize(firstMeta);
  const h = opts.imageSize ?? size0.h;
  const w = opts.imageSize ?? size0.w;
  const floatBytes = inputs.length * h * w * c * 4;
  if (opts.maxFloatBytes !== undefined && floatBytes > opts.maxFloatBytes) {
    throw new UserError(`${inputs.length} images of ${w}×${h}×${c} (size of ${inputName(first)}) need ${formatBytes(floatBytes)} as float32, over the ${formatBytes(opts.maxFloatBytes)} limit: pass imageSize (dtri train --set imageSize=N) or limit (dtri train --set dataLimit=N), or raise maxBytes`);
  }
  const pixels = new Uint8Array(inputs.length * h * w * c);
  const per = h * w * c;

  let failure: unknown;
  let next = 0;
  const worker = async () => {
    while (failure === undefined && next < inputs.length) {
      const i = next++;
      const x = inputs[i];
      try {
        let img = await open(x);
        const m = i === 0 ? firstMeta : await img.metadata();
        const size = frameSize(m);
        if (opts.channels === undefined && nativeChannels(m) !== c) {
          const kinds = (k: number) => (k === 1 ? 'grayscale' : 'color');
          throw new UserError(`${inputName(x)} is ${kinds(nativeChannels(m))} but ${inputName(first)} is ${kinds(c)}: the folder mixes grayscale and color images: convert them to one kind (e.g. ImageMagick: mogrify -type TrueColor FILES for color), or, from code, load with loadDataset(name, { channels: 3 }) (1 for grayscale)`);
        }
        if (opts.imageSize === undefined && (size.w !== w || size.h !== h)) {
          throw new UserError(`${inputName(x)} is ${size.w}×${size.h} but ${inputName(first)} is ${w}×${h}: pass imageSize (dtri train --set imageSize=N) to center-crop and resize every image to N×N`);
        }
        if (opts.imageSize !== undefined) {
          const crop = opts.crop;
          if (crop && size.w >= crop && size.h >= crop) {
            img = img.extract({ left: Math.floor((size.w - crop) / 2), top: Math.floor((size.h - crop) / 2), width: crop, height: crop });
          }
          img = img.resize(w, h, { fit: 'cover', position: 'centre' });
        }
        // Color → gray is done here with BT.601 luma, the same formula as the in-memory loaders
        // (libvips would weigh linear light instead); gray → RGB replicates exactly.
        const decodeC = nativeChannels(m) === 1 && c === 1 ? 1 : 3;
        img = decodeC === 1 ? img.grayscale() : img.toColourspace('srgb');
        const { data, info } = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true });
        if (info.width !== w || info.height !== h || info.channels !== decodeC || data.length !== h * w * decodeC) {
          throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}, expected ${w}×${h}×${decodeC}`);
        }
        if (decodeC === c) pixels.set(data, i * per);
        else for (let p = 0, o = i * per; p < h * w; p++) pixels[o + p] = Math.round(LUMA[0] * data[3 * p] + LUMA[1] * data[3 * p + 1] + LUMA[2] * data[3 * p + 2]);
      } catch (e) {
        if (failure === undefined) failure = e instanceof UserError ? e : decodeError(x, e);
      }
    }
  };
  const parallel = Math.max(4, Math.min(16, 2 * (os.availableParallelism?.() ?? os.cpus().length)));
  await Promise.all(Array.from({ length: Math.min(parallel, inputs.length) }, worker));
  if (failure !== undefined) throw failure;

  const out: RawImages = { pixels, n: inputs.length, h, w, c };
  if (cacheFile) writeCache(cacheFile, out);
  return out;
}

/** The cache key covers what changes the pixels: each file's path, size and mtime, and the options. */
function cachePath(inputs: { file: string; page?: number }[], opts: DecodeOptions): string | undefined {
  const hash = crypto.createHash('sha1');
  hash.update(JSON.stringify({ v: CACHE_VERSION, imageSize: opts.imageSize, crop: opts.crop, channels: opts.channels }));
  for (const x of inputs) {
    let st: fs.Stats;
    try {
      st = fs.statSync(x.file);
    } catch {
      return undefined; // a missing file will fail the decode with its own message
    }
    hash.update(`${path.resolve(x.file)}\0${x.page ?? ''}\0${st.size}\0${Math.round(st.mtimeMs)}\n`);
  }
  return path.join(dataCacheDir(), `images-${hash.digest('hex')}.bin`);
}

function readCache(file: string, n: number): RawImages | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const head = Buffer.alloc(12);
    fs.readSync(fd, head, 0, 12, 0);
    if (head.toString('latin1', 0, 8) !== CACHE_MAGIC) return undefined;
    const jsonLen = head.readUInt32LE(8);
    const jsonBuf = Buffer.alloc(jsonLen);
    fs.readSync(fd, jsonBuf, 0, jsonLen, 12);
    const meta = JSON.parse(jsonBuf.toString('utf8')) as { n: number; h: number; w: number; c: 1 | 3 };
    const size = meta.n * meta.h * meta.w * meta.c;
    if (meta.n !== n || fs.fstatSync(fd).size !== 12 + jsonLen + size) return undefined;
    const pixels = new Uint8Array(size);
    let got = 0;
    while (got < size) {
      const k = fs.readSync(fd, pixels, got, Math.min(size - got, 1 << 30), 12 + jsonLen + got);
      if (k === 0) return undefined;
      got += k;
    }
    return { pixels, n: meta.n, h: meta.h, w: meta.w, c: meta.c };
  } catch {
    return undefined; // an unreadable cache is only a slower load
  } finally {
    fs.closeSync(fd);
  }
}

/** Written to a temporary name and renamed, so a crash never leaves a half cache behind. */
function writeCache(file: string, raw: RawImages): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const json = Buffer.from(JSON.stringify({ n: raw.n, h: raw.h, w: raw.w, c: raw.c }), 'utf8');
    const head = Buffer.alloc(12);
    head.write(CACHE_MAGIC, 0, 'latin1');
    head.writeUInt32LE(json.length, 8);
    const tmp = `${file}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      for (const part of [head, json, raw.pixels]) {
        for (let off = 0; off < part.length; ) off += fs.writeSync(fd, part, off, Math.min(part.length - off, 1 << 30));
      }
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch {
    // A read-only data/cache only costs speed.
  }
}
