import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { deriveNoiseSeed, SeededRng } from '../../lib/random';

test('deriveNoiseSeed is deterministic, order-sensitive and spreads nearby inputs', () => {
  assert.equal(deriveNoiseSeed(1, 2, 3), deriveNoiseSeed(1, 2, 3));
  assert.notEqual(deriveNoiseSeed(1, 2, 3), deriveNoiseSeed(1, 3, 2));
  const seen = new Set<number>();
  for (let it = 0; it < 1000; it++) for (const s of [1, 2]) seen.add(deriveNoiseSeed(7, it, s));
  assert.equal(seen.size, 2000);
  assert.notEqual(deriveNoiseSeed(2 ** 40), deriveNoiseSeed(0));
  assert.throws(() => deriveNoiseSeed(NaN), /non-finite/);
});

test('SeededRng: uniform moments, normal moments, and state round-trip continues the stream', () => {
  const r = new SeededRng(5);
  let s = 0;
  let s2 = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const u = r.next();
    assert.ok(u >= 0 && u < 1);
    s += u;
  }
  assert.ok(Math.abs(s / n - 0.5) < 0.01);
  s = 0;
  for (let i = 0; i < n; i++) {
    const z = r.normal();
    s += z;
    s2 += z * z;
  }
  assert.ok(Math.abs(s / n) < 0.03 && Math.abs(s2 / n - 1) < 0.04);
  const copy = SeededRng.fromState(r.state);
  for (let i = 0; i < 10; i++) assert.equal(copy.next(), r.next());
});
