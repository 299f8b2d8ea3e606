/**
 * The `quick` MNIST presets of every trainer actually learn: the per-pixel reconstruction error of
 * held-out digits, g(μ_φ(x)) against x in [-1, 1], drops. Runs on the fastest backend (conv training
 * on the pure-JS cpu backend is too slow for a unit test).
 */
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend/index';
import { loadDataset } from '../../lib/data/datasets';
import type { ImageDataset } from '../../lib/data/types';
import { runTraining } from '../../lib/train/runner';
import type { Trainer } from '../../lib/train/trainer';

let heldOut: ImageDataset;

before(async () => {
  await initBackend();
  heldOut = await loadDataset('mnist', { split: 'test', limit: 64 });
});

const reconMse = (trainer: Trainer) =>
  tf.tidy(() => tf.mean(tf.squaredDifference(trainer.reconstruct(heldOut.images), heldOut.images)).dataSync()[0]);

for (const preset of ['mnist-quick', 'mnist-vae-quick', 'mnist-wake-sleep-quick']) {
  test(`${preset} lowers the held-out reconstruction error`, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-quick-'));
    let first = NaN;
    const run = await runTraining({
      preset,
      outDir: dir,
      callbacks: { onIteration: ({ iteration, trainer }) => void (iteration === 1 && (first = reconMse(trainer))) },
    });
    const last = reconMse(run.trainer);
    t.diagnostic(`${preset}: per-pixel MSE ${first.toFixed(4)} → ${last.toFixed(4)} in ${run.summary.iterations} iterations, ${run.summary.seconds.toFixed(1)} s on ${run.summary.backend}`);
    assert.equal(run.summary.status, 'completed');
    assert.ok(last < 0.8 * first, `per-pixel MSE ${first.toFixed(4)} → ${last.toFixed(4)} after ${run.summary.iterations} iterations`);
    run.dispose();
    fs.rmSync(dir, { recursive: true });
  });
}
