/**
 * Data files a user can get wrong (issue #18): an IDX path that is a folder or unreadable, IDX labels
 * outside the classes, npz labels numbered from 0 or 1, and a dataset folder that cannot be listed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDataset } from '../../lib/data/datasets';
import { readIdx, readIdxImages } from '../../lib/data/idx';
import { npzLabels, type NpyArray } from '../../lib/data/npy';
import { isUserError } from '../../lib/errors';
import { tmpDir, writeIdx } from './helpers';

const oneLine = (re: RegExp) => (e: unknown) => isUserError(e) && re.test((e as Error).message) && !(e as Error).message.includes('\n');
const isRoot = process.getuid?.() === 0;

test('an IDX path that is a folder or missing is one line naming the file', () => {
  const dir = tmpDir('idx-bad');
  const folder = path.join(dir, 'train-images-idx3-ubyte');
  fs.mkdirSync(folder);
  assert.throws(() => readIdx(folder), oneLine(/train-images-idx3-ubyte is a folder, not an IDX file: remove it and fetch the dataset again$/));
  assert.throws(() => readIdx(path.join(dir, 'nope')), oneLine(/nope not found: fetch the dataset again$/));
});

test('an unreadable IDX file is one line naming the file and chmod', (t) => {
  if (isRoot) return t.skip('running as root: permission bits do not apply');
  const dir = tmpDir('idx-locked');
  const file = path.join(dir, 'locked-idx1-ubyte');
  writeIdx(file, [2], [1, 2]);
  fs.chmodSync(file, 0o000);
  assert.throws(() => readIdx(file), oneLine(/cannot read .*locked-idx1-ubyte: permission denied \(EACCES\); fix its permissions/));
});

test('IDX labels outside the 10 classes (a label of 200) are refused, naming the image and the file', () => {
  const dir = tmpDir('idx-labels');
  writeIdx(path.join(dir, 'i'), [3, 2, 2], new Array(12).fill(0));
  writeIdx(path.join(dir, 'l'), [3], [3, 200, 9]);
  assert.throws(() => readIdxImages(path.join(dir, 'i'), path.join(dir, 'l'), 10), oneLine(/[/\\]l: label 200 of image 1 is outside the 10 classes 0\.\.9: the labels file is corrupt or from another dataset/));
  assert.deepEqual(Array.from(readIdxImages(path.join(dir, 'i'), path.join(dir, 'l')).labels!), [3, 200, 9], 'no class count: no check');
});

test('MNIST IDX files with a label of 200 fail at loadDataset, not later', async () => {
  const dir = tmpDir('idx-mnist');
  writeIdx(path.join(dir, 'train-images-idx3-ubyte'), [2, 2, 2], new Array(8).fill(0));
  writeIdx(path.join(dir, 'train-labels-idx1-ubyte'), [2], [1, 200]);
  await assert.rejects(loadDataset('mnist', { dataDir: dir }), oneLine(/label 200 of image 1 is outside the 10 classes/));
});

const labels = (xs: number[]): NpyArray => ({ dtype: 'i8', shape: [xs.length], data: Float64Array.from(xs) });

test('npz labels: 1-based (the release) and 0-based (np.savez) both map to 0..999, one numbering per folder', () => {
  assert.deepEqual(npzLabels(labels([1, 1000, 5]), 'a.npz', 1000), { labels: Int32Array.from([0, 999, 4]), base: 1 });
  const zero = npzLabels(labels([0, 999, 5]), 'b.npz', 1000);
  assert.deepEqual(zero, { labels: Int32Array.from([0, 999, 5]), base: 0 }, 'label 0 is class 0, not −1');
  assert.throws(() => npzLabels(labels([0, 3]), 'c.npz:labels.npy', 1000, 1), oneLine(/c\.npz:labels\.npy: label 0 at index 0 is outside the classes 1\.\.1000 \(an earlier file of this folder numbered its classes from 1: keep one numbering per folder\)/));
  assert.throws(() => npzLabels(labels([0, 1000]), 'd', 1000), oneLine(/label 1000 at index 1 is outside the classes 0\.\.999/));
  assert.throws(() => npzLabels(labels([1, 2.5]), 'e', 1000), oneLine(/label 2\.5 at index 1 is not a whole number/));
});

test('a dataset folder that exists but cannot be listed is "not readable", not "not found"', async (t) => {
  if (isRoot) return t.skip('running as root: permission bits do not apply, so no folder is unreadable');
  const dir = tmpDir('unreadable');
  const data = path.join(dir, 'imgs');
  fs.mkdirSync(data);
  fs.chmodSync(data, 0o000);
  try {
    await assert.rejects(loadDataset(`folder:${data}`), oneLine(/folder .*imgs exists but is not readable \(EACCES\): fix its permissions \(chmod a\+rX/));
    await assert.rejects(loadDataset('fashion-mnist', { dataDir: data }), oneLine(/exists but is not readable \(EACCES\)/));
  } finally {
    fs.chmodSync(data, 0o755);
  }
});
