/**
 * A minimal ZIP reader (the container of .npz files and of CelebA's img_align_celeba.zip): the central
 * directory, stored (method 0) and deflated (method 8) entries, ZIP64 sizes and offsets. It reads
 * through a file descriptor, so archives larger than memory are fine as long as each entry fits.
 * Format: PKWARE APPNOTE.TXT §4.3 (https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT).
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { UserError } from '../errors';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

function u64(b: Buffer, off: number): number {
  return Number(b.readBigUInt64LE(off));
}

export class ZipReader {
  readonly entries: ZipEntry[];
  private readonly fd: number;

  private constructor(readonly file: string, fd: number, entries: ZipEntry[]) {
    this.fd = fd;
    this.entries = entries;
  }

  static open(file: string): ZipReader {
    const fd = fs.openSync(file, 'r');
    try {
      return new ZipReader(file, fd, readCentralDirectory(file, fd));
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  entry(name: string): ZipEntry | undefined {
    return this.entries.find((e) => e.name === name);
  }

  /** The uncompressed bytes of one entry, checked against its size and CRC-32. */
  read(entry: ZipEntry): Buffer {
    const local = readAt(this.fd, entry.localHeaderOffset, 30);
    if (local.length < 30 || local.readUInt32LE(0) !== LOCAL_SIG) {
      throw new UserError(`${this.file}: entry ${entry.name} has no local header at ${entry.localHeaderOffset}: the archive is damaged; download it again`);
    }
    const dataStart = entry.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    const comp = readAt(this.fd, dataStart, entry.compressedSize);
    if (comp.length < entry.compressedSize) throw new UserError(`${this.file} is truncated inside entry ${entry.name}: download it again`);
    let out: Buffer;
    if (entry.method === 0) out = comp;
    else if (entry.method === 8) {
      try {
        out = zlib.inflateRawSync(comp);
      } catch (e) {
        throw new UserError(`${this.file}: entry ${entry.name} does not inflate (${(e as Error).message}): the archive is damaged; download it again`);
      }
    } else throw new UserError(`${this.file}: entry ${entry.name} uses compression method ${entry.method}; only stored (0) and deflate (8) are supported: re-create the archive with zip -Z deflate`);
    if (out.length !== entry.size) throw new UserError(`${this.file}: entry ${entry.name} has ${out.length} bytes, expected ${entry.size}: the archive is damaged; download it again`);
    if (typeof zlib.crc32 === 'function' && zlib.crc32(out) !== entry.crc32) throw new UserError(`${this.file}: entry ${entry.name} fails its CRC-32 check: the archive is damaged; download it again`);
    return out;
  }
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const k = fs.readSync(fd, b, got, length - got, offset + got);
    if (k === 0) break;
    got += k;
  }
  return got === length ? b : b.subarray(0, got);
}

function readCentralDirectory(file: string, fd: number): ZipEntry[] {
  const size = fs.fstatSync(fd).size;
  const damaged = `${file} is not a ZIP archive or is truncated (no end-of-central-directory record): download it again`;
  if (size < 22) throw new UserError(damaged);
  const tailLen = Math.min(size, 22 + 65535);
  const tail = readAt(fd, size - tailLen, tailLen);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) if (tail.readUInt32LE(i) === EOCD_SIG) { eocd = i; break; }
  if (eocd < 0) throw new UserError(damaged);
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  const loc = eocd - 20;
  if (loc >= 0 && tail.readUInt32LE(loc) === ZIP64_LOCATOR_SIG) {
    const z = readAt(fd, u64(tail, loc + 8), 56);
    if (z.length < 56 || z.readUInt32LE(0) !== ZIP64_EOCD_SIG) throw new UserError(damaged);
    count = u64(z, 32);
    cdSize = u64(z, 40);
    cdOffset = u64(z, 48);
  }
  const cd = readAt(fd, cdOffset, cdSize);
  if (cd.length < cdSize) throw new UserError(damaged);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL_SIG) throw new UserError(`${file}: central directory entry ${i} is damaged: download the archive again`);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const e: ZipEntry = {
      name: cd.toString('utf8', p + 46, p + 46 + nameLen),
      method: cd.readUInt16LE(p + 10),
      crc32: cd.readUInt32LE(p + 16),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localHeaderOffset: cd.readUInt32LE(p + 42),
    };
    // ZIP64 extended information (header id 1) holds, in this order, whichever fields are 0xFFFFFFFF.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = cd.readUInt16LE(x);
      const len = cd.readUInt16LE(x + 2);
      if (id === 1) {
        let q = x + 4;
        if (e.size === 0xffffffff) { e.size = u64(cd, q); q += 8; }
        if (e.compressedSize === 0xffffffff) { e.compressedSize = u64(cd, q); q += 8; }
        if (e.localHeaderOffset === 0xffffffff) { e.localHeaderOffset = u64(cd, q); q += 8; }
      }
      x += 4 + len;
    }
    entries.push(e);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}
