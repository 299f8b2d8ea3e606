import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { isUserError } from '../../lib/errors';
import {
  BACKEND_ORDER, availableBackends, initBackend, loadBackend, registerWasmTrainingKernels, tfBackendName, withBackend,
} from '../../lib/backend/index';

async function withEnv<T>(value: string | undefined, f: () => Promise<T>): Promise<T> {
  const prev = process.env.DTRI_BACKEND;
  if (value === undefined) delete process.env.DTRI_BACKEND;
  else process.env.DTRI_BACKEND = value;
  try {
    return await f();
  } finally {
    if (prev === undefined) delete process.env.DTRI_BACKEND;
    else process.env.DTRI_BACKEND = prev;
  }
}

test('initBackend auto: the first backend that loads, with a reason for each one skipped', async () => {
  await withEnv(undefined, async () => {
    const r = await initBackend();
    const avail = await availableBackends();
    assert.equal(r.name, avail[0]);
    assert.equal(tf.getBackend(), tfBackendName(r.name));
    assert.deepEqual(r.skipped.map((s) => s.name), BACKEND_ORDER.slice(0, BACKEND_ORDER.indexOf(r.name)));
    for (const s of r.skipped) assert.ok(s.reason.length > 0 && !s.reason.includes('\n'));
    // tfjs-node cannot install offline (ENVIRONMENT.md): both are reported as such.
    if (!avail.includes('node')) assert.equal(r.skipped.find((s) => s.name === 'node')?.reason, 'not installed');
    assert.match(r.describe, new RegExp(`^backend: ${r.name}`));
    for (const s of r.skipped) assert.ok(r.describe.includes(`${s.name}: ${s.reason}`), r.describe);
    assert.ok(!r.describe.includes('\n'));
  });
});

test('initBackend is idempotent: same report, no re-registration', async () => {
  await withEnv(undefined, async () => {
    const a = await initBackend();
    const k = tf.getKernel('Conv2DBackpropFilter', 'wasm');
    registerWasmTrainingKernels();
    const b = await initBackend();
    assert.equal(a, b);
    assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm'), k);
  });
});

test('initBackend wasm: SIMD on, one thread under Node, training kernels registered', async () => {
  await withEnv(undefined, async () => {
    const r = await initBackend({ prefer: 'wasm' });
    assert.equal(r.name, 'wasm');
    assert.deepEqual(r.skipped, []);
    assert.equal(r.wasm?.simd, true);
    assert.equal(r.wasm?.threads, 1);
    assert.equal(r.describe, 'backend: wasm, SIMD on, 1 thread');
    assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'));
  });
});

test('DTRI_BACKEND overrides prefer', async () => {
  await withEnv('cpu', async () => {
    const r = await initBackend({ prefer: 'wasm' });
    assert.equal(r.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
  });
});

test('an explicit backend that cannot load is a UserError naming the fix', async () => {
  await withEnv(undefined, async () => {
    if ((await loadBackend('node')).ok) return; // tfjs-node installed here after all
    await assert.rejects(initBackend({ prefer: 'node' }), (e: unknown) => {
      assert.ok(isUserError(e));
      assert.match((e as Error).message, /^backend 'node' cannot load \(not installed\): install @tensorflow\/tfjs-node .* or use --backend auto$/);
      return true;
    });
  });
});

test('an unknown backend name is a UserError listing the valid ones', async () => {
  await withEnv('gpu', async () => {
    await assert.rejects(initBackend(), (e: unknown) => {
      assert.ok(isUserError(e));
      assert.match((e as Error).message, /unknown backend 'gpu'.*auto, node-gpu, node, native, wasm, cpu/);
      return true;
    });
  });
});

test('withBackend runs on the given backend and restores the previous one, also on error', async () => {
  await withEnv(undefined, async () => {
    await initBackend({ prefer: 'wasm' });
    const seen = await withBackend('cpu', () => tf.getBackend());
    assert.equal(seen, 'cpu');
    assert.equal(tf.getBackend(), 'wasm');
    await assert.rejects(withBackend('cpu', () => {
      throw new Error('boom');
    }), /boom/);
    assert.equal(tf.getBackend(), 'wasm');
  });
});
