/**
 * SVHN cropped digits (Format 2, http://ufldl.stanford.edu/housenumbers/): train_32x32.mat holds
 * X, uint8 [32, 32, 3, N] (MATLAB column-major: row, column, channel, image), and y, [N, 1] with
 * labels 1..10 where 10 stands for the digit 0. Labels here are the digits 0..9.
 */
import { UserError } from '../errors';
import { readMat } from './mat';
import type { RawImages } from './types';

export const SVHN_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

export function readSvhnMat(file: string): RawImages {
  const vars = readMat(file);
  const X = vars.X;
  const y = vars.y;
  if (!X || !y) throw new UserError(`${file} has no X and y arrays (found ${Object.keys(vars).join(', ') || 'none'}): pass SVHN's train_32x32.mat or test_32x32.mat (Format 2, cropped digits)`);
  if (X.dims.length !== 4 || X.dims[2] !== 3 || !(X.data instanceof Uint8Array)) {
    throw new UserError(`${file}: X is ${X.className} [${X.dims.join(', ')}], expected uint8 [H, W, 3, N]: pass SVHN's cropped-digit files (*_32x32.mat)`);
  }
  const [h, w, c, n] = X.dims;
  if (y.data.length !== n) throw new UserError(`${file}: ${y.data.length} labels for ${n} images: the file is corrupted; download it again`);
  const src = X.data;
  const pixels = new Uint8Array(n * h * w * c);
  // out[img][row][col][ch] = X(row, col, ch, img) = src[row + h·(col + w·(ch + c·img))]
  for (let img = 0; img < n; img++) {
    for (let ch = 0; ch < c; ch++) {
      const base = h * w * (ch + c * img);
      for (let col = 0; col < w; col++) {
        const colBase = base + h * col;
        for (let row = 0; row < h; row++) pixels[((img * h + row) * w + col) * c + ch] = src[colBase + row];
      }
    }
  }
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = y.data[i];
    if (!(v >= 0 && v <= 10 && Number.isInteger(v))) throw new UserError(`${file}: label ${v} of image ${i} is outside 1..10: the file is corrupted; download it again`);
    labels[i] = v % 10;
  }
  return { pixels, n, h, w, c, labels, classNames: SVHN_CLASSES };
}
