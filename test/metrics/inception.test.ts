import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { inceptionFeatures, inceptionFid, loadInceptionModel } from '../../lib/metrics/inception';
import { isUserError } from '../../lib/errors';

const W = [0.5, -1, 2, 0, 1, 1, -0.5, 0.25, 0, 3, 1, -2]; // [3, 4]

/**
 * Writes a tiny TF.js graph model in the converter's format: x [-1, 8, 8, 3] → pool = mean over H, W
 * ([N, 3], stands in for pool3) → logits = pool · W ([N, 4]). Its two weights span two shard files
 * (the split falls inside W), as tensorflowjs_converter shards big models.
 */
function writeToyGraphModel(dir: string): void {
  const dim = (...sizes: number[]) => ({ dim: sizes.map((s) => ({ size: String(s) })) });
  const modelTopology = {
    node: [
      { name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: dim(-1, 8, 8, 3) } } },
      { name: 'axes', op: 'Const', attr: { value: { tensor: { dtype: 'DT_INT32', tensorShape: dim(2) } }, dtype: { type: 'DT_INT32' } } },
      { name: 'w', op: 'Const', attr: { value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dim(3, 4) } }, dtype: { type: 'DT_FLOAT' } } },
      { name: 'pool', op: 'Mean', input: ['x', 'axes'], attr: { keep_dims: { b: false }, T: { type: 'DT_FLOAT' }, Tidx: { type: 'DT_INT32' } } },
      { name: 'logits', op: 'MatMul', input: ['pool', 'w'], attr: { transpose_a: { b: false }, transpose_b: { b: false }, T: { type: 'DT_FLOAT' } } },
    ],
    versions: { producer: 1 },
  };
  const bytes = Buffer.concat([Buffer.from(Int32Array.from([1, 2]).buffer), Buffer.from(Float32Array.from(W).buffer)]);
  fs.writeFileSync(path.join(dir, 'group1-shard1of2.bin'), bytes.subarray(0, 32));
  fs.writeFileSync(path.join(dir, 'group1-shard2of2.bin'), bytes.subarray(32));
  const tensorInfo = (name: string, ...sizes: number[]) => ({ name, dtype: 'DT_FLOAT', tensorShape: dim(...sizes) });
  fs.writeFileSync(
    path.join(dir, 'model.json'),
    JSON.stringify({
      format: 'graph-model',
      generatedBy: 'test',
      convertedBy: 'hand',
      modelTopology,
      signature: { inputs: { x: tensorInfo('x:0', -1, 8, 8, 3) }, outputs: { pool: tensorInfo('pool:0', -1, 3), logits: tensorInfo('logits:0', -1, 4) } },
      weightsManifest: [
        { paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: [{ name: 'axes', shape: [2], dtype: 'int32' }, { name: 'w', shape: [3, 4], dtype: 'float32' }] },
      ],
    }),
  );
}

test('loadInceptionModel reads a sharded graph model from disk and inceptionFeatures runs it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-inception-'));
  writeToyGraphModel(dir);
  const inc = await loadInceptionModel(dir);
  assert.deepEqual(inc.inputSize, [8, 8]);
  assert.equal(inc.featuresOutput, 'pool');
  assert.equal(inc.probabilitiesOutput, 'logits');
  // gray 4×4 images, constant per image: resized and tiled to 8×8×3, mapped [-1,1] → [0,1]
  const images = tf.tensor1d([-1, 0, 1]).reshape([3, 1, 1, 1]).tile([1, 4, 4, 1]);
  const withRange = { ...inc, inputRange: [0, 1] as const };
  const before = tf.memory().numTensors;
  const { features, probabilities } = inceptionFeatures(withRange, images, { batchSize: 2 });
  assert.equal(tf.memory().numTensors, before + 2, 'only the two results survive');
  const f = features.arraySync();
  assert.deepEqual(f.map((r) => r.map((v) => +v.toFixed(5))), [[0, 0, 0], [0.5, 0.5, 0.5], [1, 1, 1]]);
  // probabilities = softmax(pool · W)
  const p = probabilities!.arraySync();
  for (let i = 0; i < 3; i++) {
    const logits = [0, 1, 2, 3].map((j) => f[i].reduce((acc, v, k) => acc + v * W[k * 4 + j], 0));
    const z = logits.map(Math.exp).reduce((a, b) => a + b, 0);
    logits.forEach((l, j) => assert.ok(Math.abs(p[i][j] - Math.exp(l) / z) < 1e-5));
  }
  tf.dispose([features, probabilities!, images]);
  inc.model.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('outputs can be named explicitly; a model without a features output is refused with the outputs listed', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-inception-'));
  writeToyGraphModel(dir);
  const file = path.join(dir, 'model.json');
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  json.signature.outputs = { a: json.signature.outputs.pool, b: json.signature.outputs.logits };
  fs.writeFileSync(file, JSON.stringify(json));
  await assert.rejects(loadInceptionModel(dir), (e) => isUserError(e) && /among \[a, b\]/.test(e.message));
  const inc = await loadInceptionModel(dir, { featuresOutput: 'a', probabilitiesOutput: 'b' });
  const images = tf.zeros([2, 8, 8, 3]);
  const { features, probabilities } = inceptionFeatures(inc, images);
  assert.deepEqual([features.shape, probabilities!.shape], [[2, 3], [2, 4]]);
  tf.dispose([images, features, probabilities!]);
  inc.model.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a missing model or shard is a UserError that says how to get one', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-inception-'));
  await assert.rejects(loadInceptionModel(dir), (e) => isUserError(e) && /tensorflowjs_converter/.test(e.message));
  writeToyGraphModel(dir);
  fs.rmSync(path.join(dir, 'group1-shard2of2.bin'));
  await assert.rejects(loadInceptionModel(path.join(dir, 'model.json')), (e) => isUserError(e) && /shard.*missing/.test(e.message));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('inceptionFid: the Fréchet distance of the pool features, in closed form for rank-one covariances; no tensor left', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-inception-'));
  writeToyGraphModel(dir);
  const inc = { ...(await loadInceptionModel(dir)), inputRange: [0, 1] as const };
  // images constant per image: the toy pool features are (v + 1)/2 in all three channels, so each set's
  // covariance is s²·11ᵀ (s the unbiased std of (v + 1)/2), tr(ΣaΣb)^½ = 3·sa·sb, so FID = 3[(μa − μb)² + (sa − sb)²]
  const a = [-1, -0.5, 0, 0.5];
  const b = [0, 0.2, 0.4, 1, 0.6];
  const set = (v: number[]) => tf.tensor1d(v).reshape([v.length, 1, 1, 1]).tile([1, 4, 4, 1]);
  const stats = (v: number[]) => {
    const f = v.map((x) => (x + 1) / 2);
    const m = f.reduce((s, x) => s + x, 0) / f.length;
    return { m, s: Math.sqrt(f.reduce((s, x) => s + (x - m) ** 2, 0) / (f.length - 1)) };
  };
  const [sa, sb] = [stats(a), stats(b)];
  const expected = 3 * ((sa.m - sb.m) ** 2 + (sa.s - sb.s) ** 2);
  const [xa, xb] = [set(a), set(b)];
  const before = tf.memory().numTensors;
  assert.ok(Math.abs(inceptionFid(inc, xa, xb, { batchSize: 3 }) - expected) < 1e-5, `${inceptionFid(inc, xa, xb)} vs ${expected}`);
  assert.ok(Math.abs(inceptionFid(inc, xa, xa)) < 1e-6);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([xa, xb]);
  inc.model.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});
