/** Writers of small files in the real formats, for the lib/data tests (not a test file itself). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';

export const FIXTURES = path.join(__dirname, 'fixtures');

/** A fresh temporary folder, removed at process exit. */
export function tmpDir(tag: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `dtri-data-${tag}-`));
  process.on('exit', () => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** IDX of unsigned bytes: 00 00 08 ndim, big-endian sizes, data. */
export function idxBuffer(shape: number[], data: Uint8Array | number[]): Buffer {
  const head = Buffer.alloc(4 + 4 * shape.length);
  head[2] = 0x08;
  head[3] = shape.length;
  shape.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

export function writeIdx(file: string, shape: number[], data: Uint8Array | number[], gzip = false): void {
  const b = idxBuffer(shape, data);
  fs.writeFileSync(file, gzip ? zlib.gzipSync(b) : b);
}

/** One CIFAR-10 binary record: label, then R, G, B planes of 32×32. pixel(c, p) gives each value. */
export function cifarRecord(label: number, pixel: (c: number, p: number) => number): Buffer {
  const b = Buffer.alloc(3073);
  b[0] = label;
  for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) b[1 + c * 1024 + p] = pixel(c, p);
  return b;
}

/** A minimal .npy (version 1.0) of a little-endian array. */
export function npyBuffer(descr: string, shape: number[], bytes: Buffer | Uint8Array): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const h = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(h);
  h.writeUInt16LE(header.length, 8);
  return Buffer.concat([h, Buffer.from(header, 'latin1'), Buffer.from(bytes)]);
}

/** A ZIP of stored (method 0) or deflated (method 8) entries, written by hand. */
export function zipBuffer(entries: { name: string; data: Buffer; deflate?: boolean }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const body = e.deflate ? zlib.deflateRawSync(e.data) : e.data;
    const crc = zlib.crc32(e.data);
    // The fields both headers share: version needed (20), then from the method at `at` on (time and
    // date left 0) crc, sizes and name length; the central header's "version made by" puts them 2 later.
    const header = (bytes: number, signature: number, at: number): Buffer => {
      const h = Buffer.alloc(bytes);
      h.writeUInt32LE(signature, 0);
      h.writeUInt16LE(20, at - 4);
      h.writeUInt16LE(e.deflate ? 8 : 0, at);
      h.writeUInt32LE(crc, at + 6);
      h.writeUInt32LE(body.length, at + 10);
      h.writeUInt32LE(e.data.length, at + 14);
      h.writeUInt16LE(name.length, at + 18);
      return h;
    };
    const local = header(30, 0x04034b50, 8);
    const central = header(46, 0x02014b50, 10);
    central.writeUInt16LE(20, 4);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

// MAT v5 pieces (little-endian). Types: miINT8 1, miUINT8 2, miINT32 5, miUINT32 6, miDOUBLE 9, miMATRIX 14, miCOMPRESSED 15.
function matElement(type: number, data: Buffer): Buffer {
  const tag = Buffer.alloc(8);
  tag.writeUInt32LE(type, 0);
  tag.writeUInt32LE(data.length, 4);
  const pad = Buffer.alloc((8 - (data.length % 8)) % 8);
  return Buffer.concat([tag, data, pad]);
}

/** A numeric miMATRIX element: class 9 (uint8) stored as miUINT8, or class 6 (double) stored as miDOUBLE. */
export function matMatrix(name: string, dims: number[], values: Uint8Array | Float64Array): Buffer {
  const flags = Buffer.alloc(8);
  flags.writeUInt32LE(values instanceof Uint8Array ? 9 : 6, 0);
  const dimBuf = Buffer.alloc(4 * dims.length);
  dims.forEach((d, i) => dimBuf.writeInt32LE(d, 4 * i));
  const real = values instanceof Uint8Array ? matElement(2, Buffer.from(values)) : matElement(9, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
  const payload = Buffer.concat([matElement(6, flags), matElement(5, dimBuf), matElement(1, Buffer.from(name, 'latin1')), real]);
  return matElement(14, payload);
}

/** miCOMPRESSED: a zlib stream holding one element (no padding after it, as MATLAB writes it). */
export function matCompressed(element: Buffer): Buffer {
  const z = zlib.deflateSync(element);
  const tag = Buffer.alloc(8);
  tag.writeUInt32LE(15, 0);
  tag.writeUInt32LE(z.length, 4);
  return Buffer.concat([tag, z]);
}

export function matFile(elements: Buffer[], headerText = 'MATLAB 5.0 MAT-file, written by the divergence-triangle tests'): Buffer {
  const header = Buffer.alloc(128, 0x20);
  header.write(headerText, 0, 'latin1');
  header.fill(0, 116, 124);
  header.writeUInt16LE(0x0100, 124);
  header.write('IM', 126, 'latin1');
  return Buffer.concat([header, ...elements]);
}

/** A GIMP .pat: big-endian header (size, version 1, w, h, bytes, "GPAT"), NUL-terminated name, pixels. */
export function patBuffer(w: number, h: number, bytes: number, name: string, pixels: Uint8Array): Buffer {
  const nameBuf = Buffer.from(`${name}\0`, 'utf8');
  const head = Buffer.alloc(24);
  head.writeUInt32BE(24 + nameBuf.length, 0);
  head.writeUInt32BE(1, 4);
  head.writeUInt32BE(w, 8);
  head.writeUInt32BE(h, 12);
  head.writeUInt32BE(bytes, 16);
  head.write('GPAT', 20, 'latin1');
  return Buffer.concat([head, nameBuf, Buffer.from(pixels)]);
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Expected [-1, 1] value of an 8-bit pixel. */
export function toUnit(v: number): number {
  return v / 127.5 - 1;
}
