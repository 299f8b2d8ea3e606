/**
 * GIMP patterns (.pat, Debian's gimp-data ships them in /usr/share/gimp/2.0/patterns/): a big-endian
 * header of six uint32 — header size, version (1), width, height, bytes per pixel (1 gray, 2 gray +
 * alpha, 3 RGB, 4 RGBA), magic "GPAT" — then the UTF-8 name, NUL-terminated, up to the header size,
 * then width·height·bytes pixel bytes, row-major. Alpha is dropped here.
 * Format: GIMP devel-docs/pat.txt.
 */
import * as fs from 'node:fs';
import { UserError } from '../errors';
import type { RawImages } from './types';

export interface GimpPattern extends RawImages {
  name: string;
}

export function parsePat(buf: Buffer, file: string): GimpPattern {
  if (buf.length < 24 || buf.toString('latin1', 20, 24) !== 'GPAT') {
    throw new UserError(`${file} is not a GIMP pattern (no "GPAT" magic at byte 20): pass a .pat file from /usr/share/gimp/2.0/patterns or any PNG/JPEG`);
  }
  const headerSize = buf.readUInt32BE(0);
  const version = buf.readUInt32BE(4);
  const w = buf.readUInt32BE(8);
  const h = buf.readUInt32BE(12);
  const bytes = buf.readUInt32BE(16);
  if (version !== 1) throw new UserError(`${file}: GIMP pattern version ${version} is not supported (only version 1)`);
  if (bytes < 1 || bytes > 4 || w === 0 || h === 0 || headerSize < 24 || headerSize > buf.length) {
    throw new UserError(`${file}: bad GIMP pattern header (${w}×${h}, ${bytes} bytes per pixel, header ${headerSize} bytes): the file is corrupted`);
  }
  const need = w * h * bytes;
  if (buf.length - headerSize < need) throw new UserError(`${file} is truncated: a ${w}×${h}×${bytes} pattern needs ${need} pixel bytes, found ${buf.length - headerSize}`);
  const name = buf.toString('utf8', 24, headerSize).replace(/\0+$/, '');
  const c = bytes <= 2 ? 1 : 3;
  const pixels = new Uint8Array(w * h * c);
  const src = buf.subarray(headerSize, headerSize + need);
  for (let p = 0; p < w * h; p++) for (let ch = 0; ch < c; ch++) pixels[p * c + ch] = src[p * bytes + ch];
  return { name, pixels, n: 1, h, w, c };
}

export function readPat(file: string): GimpPattern {
  return parsePat(fs.readFileSync(file), file);
}
