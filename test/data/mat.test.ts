import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseMat, readMat } from '../../lib/data/mat';
import { readSvhnMat } from '../../lib/data/svhn';
import { loadDataset } from '../../lib/data/datasets';
import { isUserError } from '../../lib/errors';
import { FIXTURES, matCompressed, matFile, matMatrix, tmpDir, toUnit } from './helpers';

// X(r, w, c, n) = 50·n + 10·c + 2·w + r on a [3, 2, 3, 2] array, as in make_fixtures.py.
const H = 3;
const W = 2;
const N = 2;
const xValue = (r: number, w: number, c: number, n: number) => 50 * n + 10 * c + 2 * w + r;

/** Column-major X and y = [10, 3] (SVHN writes digit 0 as 10). */
function svhnLikeElements(compress: boolean): Buffer[] {
  const X = new Uint8Array(H * W * 3 * N);
  for (let n = 0; n < N; n++) for (let c = 0; c < 3; c++) for (let w = 0; w < W; w++) for (let r = 0; r < H; r++) X[r + H * (w + W * (c + 3 * n))] = xValue(r, w, c, n);
  const els = [matMatrix('X', [H, W, 3, N], X), matMatrix('y', [N, 1], new Float64Array([10, 3]))];
  return compress ? els.map(matCompressed) : els;
}

function checkSvhnLike(file: string): void {
  const raw = readSvhnMat(file);
  assert.deepEqual([raw.n, raw.h, raw.w, raw.c], [N, H, W, 3]);
  assert.deepEqual(Array.from(raw.labels!), [0, 3]);
  for (let n = 0; n < N; n++) for (let r = 0; r < H; r++) for (let w = 0; w < W; w++) for (let c = 0; c < 3; c++) assert.equal(raw.pixels[((n * H + r) * W + w) * 3 + c], xValue(r, w, c, n));
}

test('MAT v5 with miCOMPRESSED elements built with zlib in the test: X column-major → NHWC, y 10 → 0', () => {
  const dir = tmpDir('mat');
  for (const compress of [true, false]) {
    const f = path.join(dir, `svhn-${compress}.mat`);
    fs.writeFileSync(f, matFile(svhnLikeElements(compress)));
    checkSvhnLike(f);
  }
});

test('MAT files written by SciPy (savemat, compressed and not) read the same', () => {
  checkSvhnLike(path.join(FIXTURES, 'svhn_like.mat'));
  checkSvhnLike(path.join(FIXTURES, 'svhn_like_raw.mat'));
  const all = readMat(path.join(FIXTURES, 'svhn_like_raw.mat'));
  assert.deepEqual(Object.keys(all).sort(), ['X', 'y']); // the char array 'note' is skipped
  assert.equal(all.X.className, 'uint8');
  assert.deepEqual(all.y.dims, [2, 1]);
});

test('broken MAT files: not MAT, v7.3 HDF5, truncated compressed element, missing X', () => {
  const dir = tmpDir('mat-bad');
  const good = matFile(svhnLikeElements(true));
  const cases: [string, Buffer, RegExp][] = [
    ['notmat', Buffer.alloc(200, 1), /is not a MATLAB 5\.0 MAT-file/],
    ['v73', matFile([], 'MATLAB 7.3 MAT-file, Platform: GLNXA64'), /7\.3 \(HDF5\)/],
    ['cut', good.subarray(0, good.length - 10), /truncated or corrupted/],
  ];
  for (const [name, buf, re] of cases) {
    const f = path.join(dir, `${name}.mat`);
    fs.writeFileSync(f, buf);
    assert.throws(() => readSvhnMat(f), (e: Error) => isUserError(e) && re.test(e.message) && e.message.includes(f) && !e.message.includes('\n'), name);
  }
  // Corrupt the zlib stream itself (keep the length): inflate fails.
  const corrupt = Buffer.from(good);
  for (let i = 140; i < 150; i++) corrupt[i] ^= 0xff;
  assert.throws(() => parseMat(corrupt, 'c.mat'), /does not inflate|truncated or corrupted/);
  const onlyY = path.join(dir, 'y.mat');
  fs.writeFileSync(onlyY, matFile([matCompressed(matMatrix('y', [1, 1], new Float64Array([1])))]));
  assert.throws(() => readSvhnMat(onlyY), /has no X and y arrays \(found y\)/);
});

test('loadDataset("svhn") reads train_32x32.mat / test_32x32.mat from dataDir', async () => {
  const dir = tmpDir('svhn');
  fs.writeFileSync(path.join(dir, 'train_32x32.mat'), matFile(svhnLikeElements(true)));
  const ds = await loadDataset('svhn', { dataDir: dir });
  assert.deepEqual(ds.images.shape, [2, 3, 2, 3]);
  assert.ok(Math.abs(ds.images.dataSync()[0] - toUnit(xValue(0, 0, 0, 0))) < 1e-6);
  ds.dispose();
  const before = tf.memory().numTensors;
  await assert.rejects(loadDataset('svhn', { dataDir: dir, split: 'test' }), /SVHN test file .*test_32x32\.mat not found/);
  assert.equal(tf.memory().numTensors, before);
});
