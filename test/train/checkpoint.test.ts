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

const oneLine = (re: RegExp) => (e: unknown) => isUserError(e) && re.test((e as Error).message) && !(e as Error).message.includes('\n');

/** A checkpoint file laid out by hand: magic, header length, JSON header, padding to 8, `data`. */
function rawCheckpoint(header: unknown, data: Uint8Array = new Uint8Array(0)): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const start = Math.ceil((12 + json.length) / 8) * 8;
  const buf = Buffer.alloc(start + data.length);
  buf.write('DTRICKPT', 0, 'latin1');
  buf.writeUInt32LE(json.length, 8);
  json.copy(buf, 12);
  Buffer.from(data).copy(buf, start);
  return buf;
}

test('a short write or a full disk while checkpointing is one line and leaves the previous checkpoint intact and loadable', () => {
  const dir = tmp();
  const file = path.join(dir, 'latest.ckpt');
  writeCheckpointFile(file, { iteration: 1 }, tensors());
  const good = fs.readFileSync(file);
  let calls = 0;
  // Half of the first write lands, then nothing more fits (write(2) returning 0).
  const halfThenNothing = (fd: number, buf: Uint8Array, off: number, len: number) => (calls++ === 0 ? fs.writeSync(fd, buf, off, len >> 1) : 0);
  assert.throws(() => writeCheckpointFile(file, { iteration: 2 }, tensors(), { writer: halfThenNothing }), oneLine(/^disk full writing .*latest\.ckpt; free space and --resume$/));
  // A writer that reports every byte written but writes half: caught by the size check before the rename.
  const liar = (fd: number, buf: Uint8Array, off: number, len: number) => (fs.writeSync(fd, buf, off, len >> 1), len);
  assert.throws(() => writeCheckpointFile(file, { iteration: 2 }, tensors(), { writer: liar }), oneLine(/^short write to .*latest\.ckpt: \d+ of \d+ bytes reached the disk/));
  const enospc = () => {
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  };
  assert.throws(() => writeCheckpointFile(file, { iteration: 2 }, tensors(), { writer: enospc }), oneLine(/^disk full writing .*latest\.ckpt/));
  assert.deepEqual(fs.readFileSync(file), good);
  assert.equal(readCheckpointFile<{ iteration: number }>(file).meta.iteration, 1);
  assert.deepEqual(fs.readdirSync(dir), ['latest.ckpt'], 'no temp file left');
  fs.rmSync(dir, { recursive: true });
});

test('a flipped byte in any tensor fails its checksum: load refuses in one line naming the tensor', () => {
  const dir = tmp();
  const file = path.join(dir, 'latest.ckpt');
  writeCheckpointFile(file, {}, tensors());
  const good = fs.readFileSync(file);
  const dataStart = Math.ceil((12 + good.readUInt32LE(8)) / 8) * 8;
  // Tensor a holds bytes [0, 24) of the data, b [24, 28).
  for (const [offset, name] of [[0, 'a'], [23, 'a'], [25, 'b']] as const) {
    const bad = Buffer.from(good);
    bad[dataStart + offset] ^= 0x01;
    fs.writeFileSync(file, bad);
    assert.throws(() => readCheckpointFile(file), oneLine(new RegExp(`is corrupted: tensor ${name} does not match its checksum; resume from another checkpoint or re-run training$`)));
  }
  fs.writeFileSync(file, Buffer.concat([good, Buffer.from([0])]));
  assert.throws(() => readCheckpointFile(file), oneLine(/truncated or has trailing bytes/));
  fs.rmSync(dir, { recursive: true });
});

test('malformed headers, a folder in place of the file and unknown versions are one-line UserErrors; version 1 files still load', () => {
  const dir = tmp();
  const file = path.join(dir, 'x.ckpt');
  const entry = { name: 'a', shape: [2], dtype: 'float32', offset: 0, length: 2 };
  const cases: [Buffer, RegExp][] = [
    [rawCheckpoint('{"format": "dtri-checkpoint", '), /has a corrupt header \(not JSON\)/],
    [rawCheckpoint({ hello: 1 }), /has a corrupt header \(no dtri-checkpoint format field\)/],
    [rawCheckpoint({ format: 'dtri-checkpoint', version: 3, meta: {}, tensors: [] }), /unsupported checkpoint format v3; this library reads v1 and v2/],
    [rawCheckpoint({ format: 'dtri-checkpoint', version: 2, meta: {}, tensors: 'all of them' }), /has a malformed header/],
    [rawCheckpoint({ format: 'dtri-checkpoint', version: 2, meta: {}, tensors: [{ ...entry, shape: [3] }] }), /has a malformed header/],
    [rawCheckpoint({ format: 'dtri-checkpoint', version: 2, meta: {}, tensors: [{ ...entry, dtype: 'float64' }] }), /has a malformed header/],
    [rawCheckpoint({ format: 'dtri-checkpoint', version: 2, tensors: [] }), /has a malformed header/],
    [rawCheckpoint({ format: 'dtri-checkpoint', version: 2, meta: {}, tensors: [{ ...entry, sha256: 'ab' }], dataBytes: 8 }, new Uint8Array(8)), /tensor a does not match its checksum/],
    [Buffer.concat([rawCheckpoint('{}').subarray(0, 8), Buffer.from([255, 0, 0, 0]), Buffer.from('{}')]), /truncated inside its header/],
  ];
  for (const [buf, re] of cases) {
    fs.writeFileSync(file, buf);
    assert.throws(() => readCheckpointFile(file), oneLine(re), String(re));
  }
  const folder = path.join(dir, 'latest.ckpt');
  fs.mkdirSync(folder);
  assert.throws(() => readCheckpointFile(folder), oneLine(/checkpoint .*latest\.ckpt is a folder, not a file/));
  // Version 1 (before checksums): no sha256, no dataBytes.
  fs.writeFileSync(file, rawCheckpoint({ format: 'dtri-checkpoint', version: 1, meta: { iteration: 4 }, tensors: [entry] }, new Uint8Array(Float32Array.from([1.5, -2]).buffer)));
  const v1 = readCheckpointFile<{ iteration: number }>(file);
  assert.equal(v1.meta.iteration, 4);
  assert.deepEqual(Array.from(v1.tensors.get('a')!.data), [1.5, -2]);
  fs.rmSync(dir, { recursive: true });
});
