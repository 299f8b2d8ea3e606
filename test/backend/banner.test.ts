/** lib/backend silences tfjs's "Hi, looks like you are running TensorFlow.js in Node.js" banner (issue #19). */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withBackend } from '../../lib/backend/index';

test('the cpu backend writes its first tensor without the tfjs-node banner, also on a re-created instance', async (t) => {
  const warn = t.mock.method(console, 'warn', () => undefined);
  const log = t.mock.method(console, 'log', () => undefined);
  const said = () => [...warn.mock.calls, ...log.mock.calls].map((c) => c.arguments.join(' ')).filter((s) => /Hi, looks like/.test(s));
  await withBackend('cpu', () => {
    const x = tf.tensor([1, 2, 3]);
    assert.deepEqual(Array.from(x.dataSync()), [1, 2, 3]);
    x.dispose();
  });
  assert.deepEqual(said(), []);
  // a fresh instance from the registry's factory (as after tf.removeBackend) is quiet as well
  const fresh = tf.engine().registryFactory.cpu.factory() as tf.KernelBackend & { firstUse?: boolean };
  assert.equal(fresh.firstUse, false);
  fresh.dispose();
});

test('the native backend (a MathBackendCPU) is quiet on its first tensor too', async (t) => {
  const { loadNativeBackend } = await import('../../lib/backend/native');
  const loaded = loadNativeBackend();
  if (!loaded.ok) return t.skip(`native engine not loadable here (${loaded.reason}; npm run setup builds it)`);
  const warn = t.mock.method(console, 'warn', () => undefined);
  const log = t.mock.method(console, 'log', () => undefined);
  await withBackend('native', () => {
    const x = tf.tensor([1, 2, 3]);
    assert.deepEqual(Array.from(tf.add(x, 1).dataSync()), [2, 3, 4]);
    tf.dispose(x);
  });
  const said = [...warn.mock.calls, ...log.mock.calls].map((c) => c.arguments.join(' ')).filter((s) => /Hi, looks like/.test(s));
  assert.deepEqual(said, []);
});
