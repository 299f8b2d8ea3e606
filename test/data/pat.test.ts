import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parsePat, readPat } from '../../lib/data/pat';
import { loadDataset, listTextureFiles } from '../../lib/data/datasets';
import { isUserError } from '../../lib/errors';
import { patBuffer, tmpDir, toUnit } from './helpers';

const LEOPARD = '/usr/share/gimp/2.0/patterns/Animal/leopard.pat';
const BRICK = '/usr/lib/python3/dist-packages/skimage/data/brick.png';

test('GIMP .pat: RGB, gray and RGBA (alpha dropped) decode row-major', () => {
  const rgb = Uint8Array.from({ length: 3 * 2 * 3 }, (_, k) => k * 10);
  const p = parsePat(patBuffer(3, 2, 3, 'Test pattern', rgb), 'x.pat');
  assert.deepEqual([p.n, p.h, p.w, p.c, p.name], [1, 2, 3, 3, 'Test pattern']);
  assert.deepEqual(Array.from(p.pixels), Array.from(rgb));
  const gray = parsePat(patBuffer(2, 2, 1, 'g', Uint8Array.from([1, 2, 3, 4])), 'g.pat');
  assert.deepEqual([gray.c, ...gray.pixels], [1, 1, 2, 3, 4]);
  const rgba = parsePat(patBuffer(1, 2, 4, 'a', Uint8Array.from([1, 2, 3, 255, 4, 5, 6, 0])), 'a.pat');
  assert.deepEqual(Array.from(rgba.pixels), [1, 2, 3, 4, 5, 6]);
});

test('broken .pat files name the file and the problem', () => {
  const good = patBuffer(4, 4, 3, 'p', new Uint8Array(48));
  const bad: [Buffer, RegExp][] = [
    [Buffer.from('GIMP is not GPAT here, no magic'), /is not a GIMP pattern/],
    [good.subarray(0, good.length - 1), /truncated: a 4×4×3 pattern needs 48 pixel bytes, found 47/],
    [Buffer.concat([good.subarray(0, 16), Buffer.from([0, 0, 0, 9]), good.subarray(20)]), /bad GIMP pattern header/],
  ];
  for (const [buf, re] of bad) assert.throws(() => parsePat(buf, 'bad.pat'), (e: Error) => isUserError(e) && re.test(e.message) && e.message.includes('bad.pat'));
});

test('texture:<file.pat> loads one [1, H, W, C] image; imageSize and channels convert', async () => {
  const dir = tmpDir('pat');
  const file = path.join(dir, 'stripes.pat');
  const px = Uint8Array.from({ length: 8 * 8 * 3 }, (_, k) => (Math.floor(k / 3) % 8 < 4 ? 0 : 255));
  fs.writeFileSync(file, patBuffer(8, 8, 3, 'Stripes', px));
  const ds = await loadDataset(`texture:${file}`);
  assert.deepEqual(ds.images.shape, [1, 8, 8, 3]);
  assert.deepEqual(Array.from(ds.images.dataSync().slice(0, 3)), [-1, -1, -1]);
  assert.equal(ds.images.dataSync()[3 * 7], 1);
  assert.match(ds.note, /GIMP pattern "Stripes"/);
  ds.dispose();
  const g = await loadDataset(`texture:${file}`, { channels: 1, imageSize: 4 });
  assert.deepEqual(g.images.shape, [1, 4, 4, 1]);
  g.dispose();
  await assert.rejects(loadDataset(`texture:${path.join(dir, 'missing.pat')}`), /texture file .*missing\.pat not found/);
  await assert.rejects(loadDataset(`texture:${file}`, { split: 'test' }), /has no test split/);
});

test('real GIMP pattern and scikit-image brick load', { skip: !(fs.existsSync(LEOPARD) && fs.existsSync(BRICK)) && 'gimp-data or python3-skimage not installed' }, async () => {
  const p = readPat(LEOPARD);
  assert.equal(p.name, 'Leopard');
  assert.deepEqual([p.w, p.h, p.c], [64, 62, 3]);
  const brick = await loadDataset('texture:brick');
  assert.deepEqual(brick.images.shape, [1, 512, 512, 1]);
  // brick.png pixel (0, 0) is 99 (sharp decodes the 8-bit gray PNG; checked against PIL: Image.open(...).getpixel((0, 0)) == 99)
  assert.ok(Math.abs(brick.images.dataSync()[0] - toUnit(99)) < 1e-6);
  brick.dispose();
  const rgb = await loadDataset('texture:brick', { channels: 3, imageSize: 224 });
  assert.deepEqual(rgb.images.shape, [1, 224, 224, 3]);
  rgb.dispose();
  assert.ok(listTextureFiles().includes(LEOPARD));
});
