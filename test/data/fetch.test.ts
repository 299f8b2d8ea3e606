import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { extractTarGz, extractZip, fetchDataset, FETCH_RECIPES, fileDigest, verifyChecksum } from '../../lib/data/fetch';
import { loadDataset } from '../../lib/data/datasets';
import { isUserError } from '../../lib/errors';
import { FIXTURES, cifarRecord, hasCommand, idxBuffer, tmpDir, zipBuffer } from './helpers';

// Reference digests of "abc" (FIPS 180-2 appendix B.1; RFC 1321 appendix A.5).
const ABC_MD5 = '900150983cd24fb0d6963f7d28e17f72';
const ABC_SHA256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

test('checksums: published test vectors, size check, mismatch names the file and the fix', async () => {
  const dir = tmpDir('sum');
  const f = path.join(dir, 'abc');
  fs.writeFileSync(f, 'abc');
  assert.equal(await fileDigest(f, 'md5'), ABC_MD5);
  assert.equal(await fileDigest(f, 'sha256'), ABC_SHA256);
  await verifyChecksum(f, { md5: ABC_MD5.toUpperCase(), sha256: ABC_SHA256, bytes: 3 });
  await assert.rejects(verifyChecksum(f, { md5: ABC_MD5.replace('9', '8') }), (e: Error) => isUserError(e) && e.message.includes(f) && /checksum mismatch .*md5 is 9001.*expected 8001.*delete .* and fetch it again/.test(e.message));
  await assert.rejects(verifyChecksum(f, { bytes: 4 }), /has 3 bytes, expected 4 \(incomplete download\?\)/);
});

/** A ustar header block for a regular file (name < 100 bytes). */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h[156] = 0x30;
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

function tarGz(entries: { name: string; data: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) parts.push(tarHeader(e.name, e.data.length), e.data, Buffer.alloc((512 - (e.data.length % 512)) % 512));
  parts.push(Buffer.alloc(1024));
  return zlib.gzipSync(Buffer.concat(parts));
}

test('extractTarGz: archives written by GNU tar (gnu long names and pax), by hand, truncated, and path escapes', async () => {
  const dir = tmpDir('tar');
  const src = path.join(dir, 'src');
  const long = `${'d'.repeat(60)}/${'f'.repeat(70)}.bin`;
  fs.mkdirSync(path.join(src, 'cifar-10-batches-bin'), { recursive: true });
  fs.mkdirSync(path.join(src, path.dirname(long)), { recursive: true });
  fs.writeFileSync(path.join(src, 'cifar-10-batches-bin', 'test_batch.bin'), cifarRecord(4, (c, p) => (c + p) % 256));
  fs.writeFileSync(path.join(src, long), Buffer.alloc(1500, 7));
  if (hasCommand('tar')) {
    for (const format of ['gnu', 'pax']) {
      const archive = path.join(dir, `${format}.tar.gz`);
      assert.equal(spawnSync('tar', [`--format=${format}`, '-czf', archive, '-C', src, 'cifar-10-batches-bin', long.split('/')[0]]).status, 0);
      const out = path.join(dir, `out-${format}`);
      const written = await extractTarGz(archive, out);
      assert.deepEqual(written.sort(), ['cifar-10-batches-bin/test_batch.bin', long].sort());
      assert.deepEqual(fs.readFileSync(path.join(out, long)), Buffer.alloc(1500, 7));
      // The unpacked CIFAR batch loads.
      const ds = await loadDataset('cifar10', { dataDir: out, split: 'test' });
      assert.deepEqual(Array.from(ds.labels!), [4]);
      ds.dispose();
    }
  }
  const hand = path.join(dir, 'hand.tar.gz');
  fs.writeFileSync(hand, tarGz([{ name: 'a/b.txt', data: Buffer.from('hello') }, { name: 'c.txt', data: Buffer.alloc(513, 1) }]));
  const out = path.join(dir, 'out-hand');
  assert.deepEqual(await extractTarGz(hand, out), ['a/b.txt', 'c.txt']);
  assert.equal(fs.readFileSync(path.join(out, 'a', 'b.txt'), 'utf8'), 'hello');
  assert.equal(fs.statSync(path.join(out, 'c.txt')).size, 513);

  const bytes = fs.readFileSync(hand);
  const cut = path.join(dir, 'cut.tar.gz');
  fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 12));
  await assert.rejects(extractTarGz(cut, path.join(dir, 'out-cut')), (e: Error) => isUserError(e) && e.message.includes(cut) && /is damaged/.test(e.message));
  const evil = path.join(dir, 'evil.tar.gz');
  fs.writeFileSync(evil, tarGz([{ name: '../escaped.txt', data: Buffer.from('x') }]));
  await assert.rejects(extractTarGz(evil, path.join(dir, 'out-evil')), /entry "\.\.\/escaped\.txt" would be written outside/);
  assert.ok(!fs.existsSync(path.join(dir, 'escaped.txt')));
  const badSum = tarGz([{ name: 'x', data: Buffer.from('y') }]);
  const raw = zlib.gunzipSync(badSum);
  raw[0] = 0x79; // change the name without fixing the header checksum
  fs.writeFileSync(path.join(dir, 'badsum.tar.gz'), zlib.gzipSync(raw));
  await assert.rejects(extractTarGz(path.join(dir, 'badsum.tar.gz'), path.join(dir, 'out-bad')), /bad tar header checksum/);
});

test('extractZip unpacks a NumPy-written archive and refuses path escapes', () => {
  const dir = tmpDir('unzip');
  assert.deepEqual(extractZip(path.join(FIXTURES, 'imagenet_like.npz'), dir).sort(), ['data.npy', 'labels.npy', 'mean.npy']);
  const evil = path.join(dir, 'evil.zip');
  fs.writeFileSync(evil, zipBuffer([{ name: '../../evil.txt', data: Buffer.from('x') }]));
  assert.throws(() => extractZip(evil, path.join(dir, 'o')), /would be written outside/);
});

test('fetchDataset: downloads through fetch, verifies, unpacks, skips files already verified; mismatches and manual sets are UserErrors', async () => {
  const dir = tmpDir('fetch');
  const images = idxBuffer([2, 2, 2], [0, 64, 128, 255, 1, 2, 3, 4]);
  const labels = idxBuffer([2], [3, 1]);
  const archive = tarGz([
    { name: 'train-images-idx3-ubyte', data: images },
    { name: 'train-labels-idx1-ubyte', data: labels },
  ]);
  const md5 = (b: Buffer) => require('node:crypto').createHash('md5').update(b).digest('hex') as string;
  FETCH_RECIPES['test-set'] = { title: 'Test set', licence: 'none', files: [{ url: 'https://example.invalid/set.tar.gz', file: 'set.tar.gz', md5: md5(archive), bytes: archive.length, extract: 'tar.gz' }] };
  const served: string[] = [];
  const fakeFetch = (async (url: string | URL | Request) => {
    served.push(String(url));
    return new Response(archive, { status: 200, headers: { 'content-type': 'application/gzip' } });
  }) as typeof fetch;
  try {
    const log: string[] = [];
    const target = await fetchDataset('test-set', dir, { fetchImpl: fakeFetch, keepArchives: true, log: (l) => log.push(l) });
    assert.equal(target, path.join(dir, 'test-set'));
    assert.deepEqual(served, ['https://example.invalid/set.tar.gz']);
    assert.deepEqual(fs.readFileSync(path.join(target, 'train-images-idx3-ubyte')), images);
    const ds = await loadDataset('fashion-mnist', { dataDir: target });
    assert.deepEqual(Array.from(ds.labels!), [3, 1]);
    ds.dispose();
    await fetchDataset('test-set', dir, { fetchImpl: fakeFetch, keepArchives: true, log: (l) => log.push(l) });
    assert.equal(served.length, 1, 'a verified file is not downloaded again');
    assert.ok(log.some((l) => /already present, checksum ok/.test(l)));

    FETCH_RECIPES['test-set'].files[0].md5 = 'f'.repeat(32);
    fs.rmSync(path.join(target, 'set.tar.gz'));
    await assert.rejects(fetchDataset('test-set', dir, { fetchImpl: fakeFetch }), (e: Error) => isUserError(e) && /checksum mismatch for .*set\.tar\.gz/.test(e.message));
    const failing = (async () => new Response('no', { status: 404 })) as typeof fetch;
    await assert.rejects(fetchDataset('test-set', tmpDir('f404'), { fetchImpl: failing }), /failed with HTTP 404/);
  } finally {
    delete FETCH_RECIPES['test-set'];
  }
  await assert.rejects(fetchDataset('imagenet32', '/tmp/x'), /cannot be fetched automatically: download Imagenet32_train_npz\.zip .* into \/tmp\/x\/imagenet32/);
  await assert.rejects(fetchDataset('nope', dir), /no download recipe for "nope"/);
  // Every automatic recipe has a checksum for every file.
  for (const [name, r] of Object.entries(FETCH_RECIPES)) if (!r.manual) for (const f of r.files) assert.ok(f.md5 || f.sha256, `${name}/${f.file}`);
});
