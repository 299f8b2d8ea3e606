/**
 * IDX files (MNIST, Fashion-MNIST): magic 00 00 <type> <ndim>, ndim big-endian uint32 sizes, then the
 * data row-major. Only type 0x08 (unsigned byte) is used by either dataset. Gzipped or not.
 * Format: http://yann.lecun.com/exdb/mnist/ ("FILE FORMATS FOR THE MNIST DATABASE").
 */
import { UserError } from '../errors';
import { readMaybeGzip } from './files';
import type { RawImages } from './types';

export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

/** Parses an IDX buffer of unsigned bytes. `file` names it in error messages. */
export function parseIdx(buf: Buffer, file: string): IdxArray {
  const fix = 'delete it and fetch the dataset again';
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) {
    throw new UserError(`${file} is not an IDX file (magic ${buf.subarray(0, 4).toString('hex')}, expected 0000 08 0n): ${fix}`);
  }
  if (buf[2] !== 0x08) throw new UserError(`${file}: IDX element type 0x${buf[2].toString(16)} is not unsigned byte (0x08): only uint8 IDX files are supported`);
  const ndim = buf[3];
  if (ndim < 1 || ndim > 4 || buf.length < 4 + 4 * ndim) throw new UserError(`${file}: bad IDX header (${ndim} dimensions): ${fix}`);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(buf.readUInt32BE(4 + 4 * i));
  const count = shape.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * ndim;
  if (buf.length - start < count) {
    throw new UserError(`${file} is truncated: header says ${shape.join('×')} = ${count} bytes, file has ${buf.length - start}: ${fix}`);
  }
  return { shape, data: new Uint8Array(buf.buffer, buf.byteOffset + start, count) };
}

/** Reads an IDX file; an unreadable file (permissions, a folder in its place) is a one-line UserError. */
export function readIdx(file: string): IdxArray {
  let buf: Buffer;
  try {
    buf = readMaybeGzip(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'EACCES' || code === 'EPERM') throw new UserError(`cannot read ${file}: permission denied (${code}); fix its permissions (chmod a+r ${file})`);
    if (code === 'EISDIR') throw new UserError(`${file} is a folder, not an IDX file: remove it and fetch the dataset again`);
    if (code === 'ENOENT') throw new UserError(`${file} not found: fetch the dataset again`);
    if (code === 'EIO') throw new UserError(`cannot read ${file}: input/output error (EIO); check the disk`);
    throw e;
  }
  return parseIdx(buf, file);
}

/**
 * An images file ([N, H, W]) and its labels file ([N]) as grayscale RawImages.
 * @param classCount when given, every label must be in 0..classCount−1 (MNIST and Fashion-MNIST: 10)
 */
export function readIdxImages(imagesFile: string, labelsFile: string | undefined, classCount?: number): RawImages {
  const im = readIdx(imagesFile);
  if (im.shape.length !== 3) throw new UserError(`${imagesFile}: expected an IDX image file [N, H, W], got shape [${im.shape}]: pass the *-images-idx3-ubyte file`);
  const [n, h, w] = im.shape;
  let labels: Int32Array | undefined;
  if (labelsFile) {
    const lb = readIdx(labelsFile);
    if (lb.shape.length !== 1 || lb.shape[0] !== n) {
      throw new UserError(`${labelsFile}: ${lb.shape.join('×')} labels for ${n} images in ${imagesFile}: the two files are from different splits or datasets`);
    }
    labels = Int32Array.from(lb.data);
    if (classCount !== undefined) {
      const bad = labels.findIndex((l) => l >= classCount);
      if (bad >= 0) throw new UserError(`${labelsFile}: label ${labels[bad]} of image ${bad} is outside the ${classCount} classes 0..${classCount - 1}: the labels file is corrupt or from another dataset; fetch it again`);
    }
  }
  return { pixels: im.data, n, h, w, c: 1, labels };
}
