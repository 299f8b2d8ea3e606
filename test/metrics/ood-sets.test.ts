import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { loadComparisonSet, textureCropSet, TEXTURE_CROPS_SET } from '../../lib/metrics/ood-sets';
import { listTextureFiles, resolveDataDir } from '../../lib/data/datasets';
import { isUserError } from '../../lib/errors';

const haveTextures = listTextureFiles().length > 0;

test('textureCropSet: seeded crops at the requested shape, in [-1, 1], mixing files', { skip: !haveTextures && 'no texture images (python3-skimage / gimp-data)' }, async () => {
  const a = await textureCropSet({ count: 7, imageSize: 12, channels: 1, seed: 3 });
  const again = await textureCropSet({ count: 7, imageSize: 12, channels: 1, seed: 3 });
  const other = await textureCropSet({ count: 7, imageSize: 12, channels: 3, seed: 4 });
  try {
    assert.deepEqual(a.images.shape, [7, 12, 12, 1]);
    assert.deepEqual(other.images.shape, [7, 12, 12, 3]);
    assert.equal(a.name, TEXTURE_CROPS_SET);
    const v = a.images.dataSync();
    assert.ok(v.every((p) => p >= -1 && p <= 1), 'pixels in [-1, 1]');
    assert.deepEqual(Array.from(v), Array.from(again.images.dataSync()));
    // Crops are not flat: textures have structure (a constant crop would have zero spread).
    const spread = tf.tidy(() => tf.moments(a.images, [1, 2, 3]).variance.min().dataSync()[0]);
    assert.ok(spread > 1e-4, `every crop has texture (min variance ${spread})`);
  } finally {
    a.dispose();
    again.dispose();
    other.dispose();
  }
  await assert.rejects(textureCropSet({ count: 0, imageSize: 8, channels: 1, seed: 0 }), (e: unknown) => isUserError(e) && /count must be a positive whole number/.test((e as Error).message));
});

test('loadComparisonSet: generated sets at the training shape; a missing dataset is reported, not thrown', async () => {
  const u = await loadComparisonSet('uniform-noise', { imageSize: 10, channels: 1, limit: 5, seed: 1 });
  assert.ok(u.dataset);
  try {
    assert.deepEqual(u.dataset.images.shape, [5, 10, 10, 1]);
  } finally {
    u.dataset.dispose();
  }
  if (!resolveDataDir('svhn').dir) {
    const r = await loadComparisonSet('svhn', { imageSize: 10, channels: 1, limit: 5, seed: 1 });
    assert.equal(r.dataset, undefined);
    assert.match(r.missing ?? '', /SVHN.*not found/i);
  }
  const bad = await loadComparisonSet('no-such-set', { imageSize: 10, channels: 1, limit: 5, seed: 1 });
  assert.match(bad.missing ?? '', /unknown dataset "no-such-set"/);
});
