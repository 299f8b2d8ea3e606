/**
 * Video clips for dynamic-texture synthesis (divergence-triangle paper §4.1.5: DynTex clips resized to
 * 64×64 pixels × 32 frames). A clip is a folder of frame images (natural order: frame2 before frame10)
 * or one animated GIF/WebP/TIFF. Each clip contributes its first T frames.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { UserError } from '../errors';
import { isImageFile, naturalCompare } from './files';
import { decodeImages, type ImageInput } from './images';
import type { RawImages } from './types';

export interface Clip {
  name: string;
  frames: ImageInput[];
}

function framesIn(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.') && e.isFile() && isImageFile(e.name))
    .map((e) => path.join(dir, e.name))
    .sort(naturalCompare);
}

async function pagesOf(file: string): Promise<number> {
  try {
    return (await sharp(file).metadata()).pages ?? 1;
  } catch (e) {
    throw new UserError(`cannot read ${file} (${(e as Error).message.split('\n')[0]}): remove or replace it`);
  }
}

/**
 * The clips under `dir`: each subfolder of frames is a clip, each animated image file is a clip; a
 * folder holding only still frames (no subfolders) is one clip.
 */
export async function findClips(dir: string): Promise<Clip[]> {
  const entries = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'));
  entries.sort((a, b) => naturalCompare(a.name, b.name));
  const clips: Clip[] = [];
  const stills: string[] = [];
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      const frames = framesIn(p);
      if (frames.length) clips.push({ name: e.name, frames: frames.map((file) => ({ file })) });
    } else if (isImageFile(e.name)) {
      const pages = await pagesOf(p);
      if (pages > 1) clips.push({ name: e.name, frames: Array.from({ length: pages }, (_, page) => ({ file: p, page })) });
      else stills.push(p);
    }
  }
  if (clips.length === 0 && stills.length) clips.push({ name: path.basename(dir), frames: stills.map((file) => ({ file })) });
  return clips;
}

/** Decodes the first `frames` frames of each clip: RawImages with n = clips·frames, clip-major. */
export async function decodeClips(clips: Clip[], frames: number, opts: { imageSize?: number; channels?: 1 | 3; cache?: boolean }): Promise<RawImages> {
  const short = clips.find((c) => c.frames.length < frames);
  if (short) {
    throw new UserError(`clip ${short.name} has ${short.frames.length} frames, fewer than the ${frames} asked for: pass frames: ${short.frames.length} or remove the clip`);
  }
  return decodeImages(clips.flatMap((c) => c.frames.slice(0, frames)), opts);
}
