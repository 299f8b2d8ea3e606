/**
 * Enough of the MATLAB 5.0 MAT-file format to read SVHN's train_32x32.mat / test_32x32.mat: the
 * 128-byte header, data elements (with the 4-byte "small element" form), miCOMPRESSED elements
 * (zlib streams holding one element each) and numeric miMATRIX arrays. Cells, structs, sparse and
 * complex arrays are skipped. MATLAB stores arrays column-major: element (i, j, k, l) of an
 * [d0, d1, d2, d3] array is at i + d0·(j + d1·(k + d2·l)).
 * Format: MathWorks, "MAT-File Format" (matfile_format.pdf), chapter 1.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { UserError } from '../errors';

export interface MatArray {
  /** MATLAB class name, e.g. 'uint8', 'double'. */
  className: string;
  /** MATLAB dimensions (column-major). */
  dims: number[];
  /** Values in MATLAB's column-major order; uint8 arrays stay Uint8Array, others become Float64Array. */
  data: Uint8Array | Float64Array;
}

const MI = { INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15, UTF8: 16 } as const;
const MX_CLASS: Record<number, string> = { 6: 'double', 7: 'single', 8: 'int8', 9: 'uint8', 10: 'int16', 11: 'uint16', 12: 'int32', 13: 'uint32', 14: 'int64', 15: 'uint64' };
const MI_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1 };

interface Element {
  type: number;
  data: Buffer;
  /** Offset just past the element (padding included). */
  next: number;
}

class MatParser {
  constructor(private readonly file: string, private readonly le: boolean) {}

  private u32(b: Buffer, off: number): number {
    return this.le ? b.readUInt32LE(off) : b.readUInt32BE(off);
  }

  truncated(): UserError {
    return new UserError(`${this.file} is truncated or corrupted (a MAT data element runs past the end of the file): download it again`);
  }

  element(b: Buffer, off: number): Element {
    if (off + 8 > b.length) throw this.truncated();
    const first = this.u32(b, off);
    // Small data element: the byte count sits in the upper 16 bits and the data in the next 4 bytes.
    if (first >>> 16 !== 0) {
      const n = first >>> 16;
      if (n > 4) throw this.truncated();
      return { type: first & 0xffff, data: b.subarray(off + 4, off + 4 + n), next: off + 8 };
    }
    const n = this.u32(b, off + 4);
    const start = off + 8;
    if (start + n > b.length) throw this.truncated();
    const padded = first === MI.COMPRESSED ? n : Math.ceil(n / 8) * 8;
    return { type: first, data: b.subarray(start, start + n), next: start + padded };
  }

  numbers(el: Element): Float64Array | Uint8Array {
    const b = el.data;
    const size = MI_SIZE[el.type];
    if (!size) throw new UserError(`${this.file}: unexpected MAT data type ${el.type} in a numeric array`);
    const n = b.length / size;
    if (el.type === MI.UINT8) return new Uint8Array(b.buffer, b.byteOffset, b.length);
    const out = new Float64Array(n);
    const le = this.le;
    for (let i = 0; i < n; i++) {
      const o = i * size;
      switch (el.type) {
        case MI.INT8: out[i] = b.readInt8(o); break;
        case MI.INT16: out[i] = le ? b.readInt16LE(o) : b.readInt16BE(o); break;
        case MI.UINT16: out[i] = le ? b.readUInt16LE(o) : b.readUInt16BE(o); break;
        case MI.INT32: out[i] = le ? b.readInt32LE(o) : b.readInt32BE(o); break;
        case MI.UINT32: out[i] = le ? b.readUInt32LE(o) : b.readUInt32BE(o); break;
        case MI.SINGLE: out[i] = le ? b.readFloatLE(o) : b.readFloatBE(o); break;
        case MI.DOUBLE: out[i] = le ? b.readDoubleLE(o) : b.readDoubleBE(o); break;
        case MI.INT64: out[i] = Number(le ? b.readBigInt64LE(o) : b.readBigInt64BE(o)); break;
        case MI.UINT64: out[i] = Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)); break;
        default: out[i] = b[o];
      }
    }
    return out;
  }

  /** Parses an miMATRIX payload; returns undefined for arrays that are not plain real numerics. */
  matrix(payload: Buffer): { name: string; array?: MatArray } {
    const flags = this.element(payload, 0);
    const dimsEl = this.element(payload, flags.next);
    const nameEl = this.element(payload, dimsEl.next);
    const name = nameEl.data.toString('latin1');
    const flagWord = this.u32(flags.data, 0);
    const className = MX_CLASS[flagWord & 0xff];
    const complex = (flagWord & 0x0800) !== 0;
    if (!className || complex) return { name };
    const dims = Array.from(this.numbers(dimsEl));
    const real = this.numbers(this.element(payload, nameEl.next));
    const count = dims.reduce((a, b) => a * b, 1);
    if (real.length !== count) throw new UserError(`${this.file}: array '${name}' has ${real.length} values for dimensions ${dims.join('×')}: the file is corrupted; download it again`);
    const data = className === 'uint8' && real instanceof Uint8Array ? real : real instanceof Uint8Array ? Float64Array.from(real) : real;
    return { name, array: { className, dims, data } };
  }
}

/** Every plain numeric array of a v5 MAT file, by variable name. */
export function readMat(file: string): Record<string, MatArray> {
  return parseMat(fs.readFileSync(file), file);
}

export function parseMat(buf: Buffer, file: string): Record<string, MatArray> {
  const text = buf.toString('latin1', 0, Math.min(116, buf.length));
  if (buf.length < 128 || !text.startsWith('MATLAB')) {
    throw new UserError(`${file} is not a MATLAB 5.0 MAT-file (no "MATLAB" header text): pass SVHN's train_32x32.mat / test_32x32.mat`);
  }
  if (text.includes('7.3')) throw new UserError(`${file} is a MATLAB 7.3 (HDF5) file, which is not supported: re-save it in MATLAB with save(file, '-v7')`);
  const endian = buf.toString('latin1', 126, 128);
  if (endian !== 'IM' && endian !== 'MI') throw new UserError(`${file}: bad MAT endian indicator "${endian}": the file is corrupted; download it again`);
  const p = new MatParser(file, endian === 'IM');
  const out: Record<string, MatArray> = {};
  let off = 128;
  while (off < buf.length) {
    let el = p.element(buf, off);
    off = el.next;
    if (el.type === MI.COMPRESSED) {
      let inner: Buffer;
      try {
        inner = zlib.inflateSync(el.data);
      } catch (e) {
        throw new UserError(`${file}: a compressed MAT element does not inflate (${(e as Error).message}): the file is truncated or corrupted; download it again`);
      }
      el = p.element(inner, 0);
    }
    if (el.type !== MI.MATRIX) continue;
    const { name, array } = p.matrix(el.data);
    if (array) out[name] = array;
  }
  return out;
}
