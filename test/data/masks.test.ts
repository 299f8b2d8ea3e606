import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { maskDescription, occlusionBlocks, occlusionBlockSide, occlusionMask, occlusionMaskPixels, OCCLUSION_KINDS, type OcclusionKind } from '../../lib/data/masks';
import { isUserError } from '../../lib/errors';

/** Bounding boxes of the 0-regions of one H×W mask, by flood fill (4-connected). */
function zeroComponents(m: Float32Array, off: number, H: number, W: number): { h: number; w: number; size: number }[] {
  const seen = new Uint8Array(H * W);
  const out = [];
  for (let s = 0; s < H * W; s++) {
    if (m[off + s] !== 0 || seen[s]) continue;
    let [r0, r1, c0, c1, size] = [H, -1, W, -1, 0];
    const stack = [s];
    seen[s] = 1;
    while (stack.length) {
      const p = stack.pop()!;
      const r = Math.floor(p / W);
      const c = p % W;
      size++;
      [r0, r1, c0, c1] = [Math.min(r0, r), Math.max(r1, r), Math.min(c0, c), Math.max(c1, c)];
      for (const [dr, dc] of [[1, 0], [-1, 0], [0, 1], [0, -1]]) {
        const rr = r + dr;
        const cc = c + dc;
        const q = rr * W + cc;
        if (rr >= 0 && rr < H && cc >= 0 && cc < W && !seen[q] && m[off + q] === 0) {
          seen[q] = 1;
          stack.push(q);
        }
      }
    }
    out.push({ h: r1 - r0 + 1, w: c1 - c0 + 1, size });
  }
  return out;
}

test('P.5 / P.7 remove exactly 50% / 70% of the pixels of every image', () => {
  for (const [kind, frac] of [['P.5', 0.5], ['P.7', 0.7]] as const) {
    const m = occlusionMaskPixels(kind, 5, 64, 64, 3);
    for (let i = 0; i < 5; i++) {
      let missing = 0;
      for (let p = 0; p < 4096; p++) missing += m[i * 4096 + p] === 0 ? 1 : 0;
      assert.equal(missing, Math.round(frac * 4096));
    }
    // Different images get different patterns.
    assert.notDeepEqual(m.subarray(0, 4096), m.subarray(4096, 8192));
  }
});

test('B20 / B30 are one square block of the paper size at 64×64, fully inside the image', () => {
  for (const [kind, side] of [['B20', 20], ['B30', 30]] as const) {
    const m = occlusionMaskPixels(kind, 20, 64, 64, 11);
    for (let i = 0; i < 20; i++) assert.deepEqual(zeroComponents(m, i * 4096, 64, 64), [{ h: side, w: side, size: side * side }]);
  }
});

test('MB10: 10 blocks of 10×10 per image, uniformly placed inside; the mask is exactly their union', () => {
  const n = 200;
  const blocks = occlusionBlocks('MB10', n, 64, 64, 5);
  const m = occlusionMaskPixels('MB10', n, 64, 64, 5);
  let topSum = 0;
  for (let i = 0; i < n; i++) {
    assert.equal(blocks[i].length, 10);
    const covered = new Uint8Array(4096);
    for (const b of blocks[i]) {
      assert.deepEqual([b.height, b.width], [10, 10]);
      assert.ok(b.top >= 0 && b.left >= 0 && b.top + 10 <= 64 && b.left + 10 <= 64);
      for (let r = b.top; r < b.top + 10; r++) covered.fill(1, r * 64 + b.left, r * 64 + b.left + 10);
      topSum += b.top;
    }
    for (let p = 0; p < 4096; p++) assert.equal(m[i * 4096 + p], covered[p] ? 0 : 1);
    // Overlapping blocks merge, so 100 to 1,000 pixels are missing.
    const missing = covered.reduce((a, v) => a + v, 0);
    assert.ok(missing >= 100 && missing <= 1000);
  }
  // top is uniform on 0..54: mean 27, sd of the mean over 2,000 blocks ≈ 15.9/√2000 ≈ 0.36.
  assert.ok(Math.abs(topSum / (n * 10) - 27) < 1.8);
  assert.deepEqual(occlusionBlocks('B30', 1, 64, 64, 9), occlusionBlocks('B30', 1, 64, 64, 9));
  assert.throws(() => occlusionBlocks('P.5', 1, 8, 8, 0), /salt-and-pepper mask and has no blocks/);
});

test('block sides scale by H/64 (rounded, ≥ 1) and the description says so', () => {
  assert.equal(occlusionBlockSide('B30', 64), 30);
  assert.equal(occlusionBlockSide('B30', 32), 15);
  assert.equal(occlusionBlockSide('B20', 28), 9); // 20·28/64 = 8.75
  assert.equal(occlusionBlockSide('MB10', 28), 4); // 4.375
  assert.equal(occlusionBlockSide('MB10', 4), 1); // 0.625 → 1
  const m = occlusionMaskPixels('B20', 3, 28, 28, 1);
  for (let i = 0; i < 3; i++) assert.deepEqual(zeroComponents(m, i * 784, 28, 28), [{ h: 9, w: 9, size: 81 }]);
  assert.match(maskDescription('B30', 32), /one 15×15 block .*scaled by 32\/64/);
  assert.match(maskDescription('MB10', 64), /10 random 10×10 blocks .*as in the paper/);
  assert.match(maskDescription('P.7', 28), /70% of pixels missing/);
});

test('occlusionMask: [N, H, W, C] tensor, same across channels, deterministic by seed', () => {
  const before = tf.memory().numTensors;
  for (const kind of OCCLUSION_KINDS) {
    const a = occlusionMask(kind, [2, 16, 16, 3], 42);
    const b = occlusionMask(kind, [2, 16, 16, 3], 42);
    const c = occlusionMask(kind, [2, 16, 16, 3], 43);
    assert.deepEqual(a.shape, [2, 16, 16, 3]);
    const av = a.dataSync();
    assert.deepEqual(av, b.dataSync());
    assert.notDeepEqual(av, c.dataSync());
    const px = occlusionMaskPixels(kind, 2, 16, 16, 42);
    for (let p = 0; p < px.length; p++) for (let ch = 0; ch < 3; ch++) assert.equal(av[p * 3 + ch], px[p]);
    tf.dispose([a, b, c]);
  }
  assert.equal(tf.memory().numTensors, before);
  assert.throws(() => occlusionMask('B40' as OcclusionKind, [1, 8, 8, 1], 0), (e: Error) => isUserError(e) && /unknown occlusion mask "B40": use one of P\.5, P\.7, MB10, B20, B30/.test(e.message));
  assert.throws(() => occlusionMask('P.5', [1, 8, 8] as unknown as [number, number, number, number], 0), /shape must be \[N, H, W, C\]/);
});
