import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCheckpointFile, resolveCheckpointPath, writeCheckpointFile, type StoredTensor } from '../../lib/train/checkpoint';
import { isUserError } from '../../lib/errors';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-ckpt-'));

function tensors(): Map<string, StoredTensor> {
  return new Map<string, StoredTensor>([
    ['a', { shape: [2, 3], dtype: 'float32', data: Float32Array.from([1, 2, 3, 4.5, -5, 1e-30]) }],
    ['b', { shape: [1], dtype: 'int32', data: Int32Array.from([-7]) }],
    ['empty', { shape: [0], dtype: 'float32', data: new Float32Array(0) }],
  ]);
}

test('writeCheckpointFile/readCheckpointFile round-trip meta and tensors bit for bit, leaving no temp file', () => {
  const dir = tmp();
  const file = path.join(dir, 'checkpoint', 'latest.ckpt');
  writeCheckpointFile(file, { iteration: 12, note: 'ünïcode' }, tensors());
  const r = readCheckpointFile<{ iteration: number; note: string }>(file);
  assert.deepEqual(r.meta, { iteration: 12, note: 'ünïcode' });
  for (const [k, t] of tensors()) {
    const got = r.tensors.get(k)!;
    assert.deepEqual(got.shape, t.shape);
    assert.equal(got.dtype, t.dtype);
    assert.deepEqual(Array.from(got.data), Array.from(t.data));
  }
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ['latest.ckpt']);
  assert.equal(resolveCheckpointPath(dir), file);
  assert.equal(resolveCheckpointPath(path.dirname(file)), file);
  fs.rmSync(dir, { recursive: true });
});

test('a NaN tensor is refused and the previous checkpoint stays intact', () => {
  const dir = tmp();
  const file = path.join(dir, 'latest.ckpt');
  writeCheckpointFile(file, { iteration: 1 }, tensors());
  const bad = tensors();
  bad.set('a', { shape: [1], dtype: 'float32', data: Float32Array.from([NaN]) });
  assert.throws(() => writeCheckpointFile(file, { iteration: 2 }, bad), /checkpoint refused: tensor a is NaN/);
  assert.equal(readCheckpointFile<{ iteration: number }>(file).meta.iteration, 1);
  assert.deepEqual(fs.readdirSync(dir), ['latest.ckpt']);
  fs.rmSync(dir, { recursive: true });
});

test('missing, foreign and truncated files are one-line UserErrors', () => {
  const dir = tmp();
  const check = (fn: () => unknown, re: RegExp) =>
    assert.throws(fn, (e: unknown) => isUserError(e) && re.test((e as Error).message) && !(e as Error).message.includes('\n'));
  check(() => readCheckpointFile(path.join(dir, 'nope.ckpt')), /checkpoint not found/);
  check(() => resolveCheckpointPath(dir), /no checkpoint in/);
  fs.writeFileSync(path.join(dir, 'x.ckpt'), 'hello world, not a checkpoint');
  check(() => readCheckpointFile(path.join(dir, 'x.ckpt')), /not a divergence-triangle checkpoint/);
  const good = path.join(dir, 'g.ckpt');
  writeCheckpointFile(good, {}, tensors());
  const buf = fs.readFileSync(good);
  fs.writeFileSync(good, buf.subarray(0, buf.length - 8));
  check(() => readCheckpointFile(good), /truncated/);
  fs.rmSync(dir, { recursive: true });
});
