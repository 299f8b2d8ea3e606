/**
 * CIFAR-10 binary version (cifar-10-binary.tar.gz → cifar-10-batches-bin/): records of 1 label byte
 * followed by 3072 pixel bytes, the 1024 red values of the 32×32 image row-major, then green, then
 * blue. data_batch_1..5.bin are the 50,000 training images, test_batch.bin the 10,000 test images.
 * Format: https://www.cs.toronto.edu/~kriz/cifar.html ("Binary version").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';
import type { RawImages } from './types';

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const SIDE = 32;
const PLANE = SIDE * SIDE;
const RECORD = 1 + 3 * PLANE;

export const CIFAR10_FILES = {
  train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
  test: ['test_batch.bin'],
};

/** Converts channel-planar images (N × [C planes of H×W]) to [N, H, W, C]. */
export function planarToNhwc(src: Uint8Array, srcStride: number, srcOffset: number, n: number, h: number, w: number, c: number, out: Uint8Array, outOffset: number): void {
  const plane = h * w;
  for (let i = 0; i < n; i++) {
    const s = srcOffset + i * srcStride;
    const o = outOffset + i * plane * c;
    for (let p = 0; p < plane; p++) for (let ch = 0; ch < c; ch++) out[o + p * c + ch] = src[s + ch * plane + p];
  }
}

/** Reads CIFAR-10 binary batch files (in order) into one RawImages. */
export function readCifarBatches(files: string[]): RawImages {
  const bufs = files.map((f) => {
    const b = fs.readFileSync(f);
    if (b.length === 0 || b.length % RECORD !== 0) {
      throw new UserError(`${f} is not a CIFAR-10 binary batch (${b.length} bytes is not a multiple of the 3073-byte record): delete it and fetch cifar-10-binary.tar.gz again`);
    }
    return b;
  });
  const n = bufs.reduce((a, b) => a + b.length / RECORD, 0);
  const pixels = new Uint8Array(n * 3 * PLANE);
  const labels = new Int32Array(n);
  let k = 0;
  bufs.forEach((b, fi) => {
    const m = b.length / RECORD;
    for (let i = 0; i < m; i++) {
      const label = b[i * RECORD];
      if (label > 9) throw new UserError(`${files[fi]}: record ${i} has label ${label} (CIFAR-10 labels are 0-9): the file is corrupted or from CIFAR-100; fetch cifar-10-binary.tar.gz again`);
      labels[k + i] = label;
    }
    planarToNhwc(b, RECORD, 1, m, SIDE, SIDE, 3, pixels, k * 3 * PLANE);
    k += m;
  });
  return { pixels, n, h: SIDE, w: SIDE, c: 3, labels, classNames: CIFAR10_CLASSES };
}

/** The folder holding the .bin batches: `dir` itself or dir/cifar-10-batches-bin. */
export function findCifarDir(dir: string): string | undefined {
  for (const d of [dir, path.join(dir, 'cifar-10-batches-bin')]) {
    if (fs.existsSync(path.join(d, 'test_batch.bin')) || fs.existsSync(path.join(d, 'data_batch_1.bin'))) return d;
  }
  return undefined;
}

export function readCifar10(dir: string, split: 'train' | 'test'): RawImages {
  const files = CIFAR10_FILES[split].map((f) => path.join(dir, f));
  const missing = files.filter((f) => !fs.existsSync(f));
  if (missing.length) throw new UserError(`CIFAR-10 ${split} split incomplete in ${dir}: missing ${missing.map((m) => path.basename(m)).join(', ')}; re-extract cifar-10-binary.tar.gz or run: node -r ts-node/register/transpile-only data/fetch.ts cifar10`);
  const raw = readCifarBatches(files);
  const meta = path.join(dir, 'batches.meta.txt');
  if (fs.existsSync(meta)) {
    const names = fs.readFileSync(meta, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
    if (names.length === 10) raw.classNames = names;
  }
  return raw;
}
