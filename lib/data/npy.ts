/**
 * NumPy .npy arrays and .npz archives (a ZIP of .npy files, deflated by np.savez_compressed).
 * .npy: magic "\x93NUMPY", version (1.x: 2-byte header length, 2.x/3.x: 4-byte), an ASCII Python dict
 * {'descr': '<f4', 'fortran_order': False, 'shape': (N, 3072), } padded with spaces, then the data.
 * Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 * Object arrays (pickles) are refused: that is the variant of Downsampled ImageNet this loader does not read.
 */
import * as fs from 'node:fs';
import { UserError } from '../errors';
import { ZipReader } from './zip';

export type NpyData = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

export interface NpyArray {
  /** NumPy dtype string without byte order, e.g. 'u1', 'f4', 'i8'. */
  dtype: string;
  shape: number[];
  /** Row-major values; int64/uint64 are converted to Float64Array (exact up to 2^53). */
  data: NpyData;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/** Parses one .npy buffer; `where` names it in error messages. */
export function parseNpy(buf: Buffer, where: string): NpyArray {
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) {
    throw new UserError(`${where} is not a .npy array (bad magic ${buf.subarray(0, 6).toString('hex')}): re-save it with numpy.save`);
  }
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  if (headerStart + headerLen > buf.length) throw new UserError(`${where} is truncated inside its .npy header: re-save or download it again`);
  const header = buf.toString('latin1', headerStart, headerStart + headerLen);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new UserError(`${where}: unreadable .npy header ${JSON.stringify(header.trim())}: re-save it with numpy.save`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new UserError(`${where}: bad shape (${shapeText}) in .npy header`);
  if (descr.includes('O')) throw new UserError(`${where} holds a pickled object array, which this loader cannot read: save plain numeric arrays (np.savez(file, data=uint8_array, labels=int_array))`);
  if (fortran === 'True' && shape.length > 1) throw new UserError(`${where} is in Fortran order: re-save it with numpy.save(file, np.ascontiguousarray(a))`);
  const m = /^([<>|=])([uifb])(\d+)$/.exec(descr);
  if (!m) throw new UserError(`${where}: unsupported dtype '${descr}' (supported: bool, int8-64, uint8-64, float32, float64)`);
  const bigEndian = m[1] === '>';
  const kind = m[2] === 'b' ? 'u' : m[2];
  const size = Number(m[3]);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLen;
  if (buf.length - dataStart < count * size) {
    throw new UserError(`${where} is truncated: shape (${shape.join(', ')}) of ${descr} needs ${count * size} bytes, found ${buf.length - dataStart}: re-save or download it again`);
  }
  // Copy into a fresh, aligned buffer; DataView handles big-endian sources.
  const bytes = new Uint8Array(count * size);
  bytes.set(buf.subarray(dataStart, dataStart + count * size));
  const dv = new DataView(bytes.buffer);
  const le = !bigEndian;
  const dtype = `${kind}${size}`;
  switch (dtype) {
    case 'u1':
      return { dtype, shape, data: bytes };
    case 'i1':
      return { dtype, shape, data: new Int8Array(bytes.buffer) };
    case 'u2':
      return { dtype, shape, data: le ? new Uint16Array(bytes.buffer) : Uint16Array.from({ length: count }, (_, i) => dv.getUint16(2 * i, false)) };
    case 'i2':
      return { dtype, shape, data: le ? new Int16Array(bytes.buffer) : Int16Array.from({ length: count }, (_, i) => dv.getInt16(2 * i, false)) };
    case 'u4':
      return { dtype, shape, data: le ? new Uint32Array(bytes.buffer) : Uint32Array.from({ length: count }, (_, i) => dv.getUint32(4 * i, false)) };
    case 'i4':
      return { dtype, shape, data: le ? new Int32Array(bytes.buffer) : Int32Array.from({ length: count }, (_, i) => dv.getInt32(4 * i, false)) };
    case 'f4':
      return { dtype, shape, data: le ? new Float32Array(bytes.buffer) : Float32Array.from({ length: count }, (_, i) => dv.getFloat32(4 * i, false)) };
    case 'f8':
      return { dtype, shape, data: le ? new Float64Array(bytes.buffer) : Float64Array.from({ length: count }, (_, i) => dv.getFloat64(8 * i, false)) };
    case 'i8':
      return { dtype, shape, data: Float64Array.from({ length: count }, (_, i) => Number(dv.getBigInt64(8 * i, le))) };
    case 'u8':
      return { dtype, shape, data: Float64Array.from({ length: count }, (_, i) => Number(dv.getBigUint64(8 * i, le))) };
    default:
      throw new UserError(`${where}: unsupported dtype '${descr}' (supported: bool, int8-64, uint8-64, float32, float64)`);
  }
}

export function readNpy(file: string): NpyArray {
  return parseNpy(fs.readFileSync(file), file);
}

/** Reads the named arrays of an .npz (all of them when `keys` is omitted), e.g. readNpz(f, ['data', 'labels']). */
export function readNpz(file: string, keys?: string[]): Record<string, NpyArray> {
  const zip = ZipReader.open(file);
  try {
    const out: Record<string, NpyArray> = {};
    const available = zip.entries.filter((e) => e.name.endsWith('.npy')).map((e) => e.name.slice(0, -4));
    for (const key of keys ?? available) {
      const entry = zip.entry(`${key}.npy`);
      if (!entry) throw new UserError(`${file} has no array '${key}' (it has ${available.join(', ') || 'none'}): pass an .npz saved with np.savez(file, ${key}=...)`);
      out[key] = parseNpy(zip.read(entry), `${file}:${key}.npy`);
    }
    return out;
  } finally {
    zip.close();
  }
}

/**
 * An .npz 'labels' array as 0-based class indices. Downsampled ImageNet's release numbers its classes
 * 1..classCount; arrays saved by np.savez are usually 0-based. A file holding a 0 is 0-based, else 1-based;
 * `base`, when given (the numbering an earlier file of the same folder used), fixes it, so one folder is
 * never read with two numberings.
 * @throws UserError for a non-integer label or one outside the classes
 */
export function npzLabels(arr: NpyArray, where: string, classCount: number, base?: 0 | 1): { labels: Int32Array; base: 0 | 1 } {
  let min = Infinity;
  for (let i = 0; i < arr.data.length; i++) {
    const v = arr.data[i];
    if (!Number.isInteger(v)) throw new UserError(`${where}: label ${v} at index ${i} is not a whole number: save integer class labels`);
    if (v < min) min = v;
  }
  const b: 0 | 1 = base ?? (min === 0 ? 0 : 1);
  const labels = new Int32Array(arr.data.length);
  for (let i = 0; i < arr.data.length; i++) {
    const v = arr.data[i];
    if (v < b || v > classCount - 1 + b) {
      const range = `${b}..${classCount - 1 + b}`;
      const hint = base !== undefined && v === 0 ? ' (an earlier file of this folder numbered its classes from 1: keep one numbering per folder)' : '';
      throw new UserError(`${where}: label ${v} at index ${i} is outside the classes ${range}${hint}: fix the labels array`);
    }
    labels[i] = v - b;
  }
  return { labels, base: b };
}
