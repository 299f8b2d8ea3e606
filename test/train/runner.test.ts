import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { isUserError } from '../../lib/errors';
import { loadTrainedModels, runTraining, type MetricsRecord, type TrainingRun, type TrainingSummary } from '../../lib/train/runner';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-run-'));
/** Tiny nets and data so every run takes well under a second per iteration on the cpu backend. */
const SMALL = { hidden: [8, 8], batchSize: 16, dataLimit: 64, logEvery: 1, lrDecay: 0.9 };

const weights = (run: TrainingRun) =>
  Object.entries(run.models).flatMap(([k, m]) => [...m!.trainable(), ...m!.buffers()].map((v) => [`${k}/${v.name}`, Array.from(v.variable.dataSync())] as const));
const readMetrics = (dir: string) =>
  fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricsRecord);
const withoutTime = (r: MetricsRecord) => {
  const { seconds, ...rest } = r;
  void seconds;
  return rest;
};

test('runTraining writes metrics.jsonl, checkpoint and summary, reports progress, and frees everything on dispose', async () => {
  const dir = tmp();
  const before = tf.memory().numTensors;
  const progress: number[] = [];
  const run = await runTraining({ preset: 'toy2d-quick', overrides: { ...SMALL, iterations: 5 }, outDir: dir, onProgress: (p) => progress.push(p.iteration) });
  assert.deepEqual(progress, [1, 2, 3, 4, 5]);
  assert.equal(readMetrics(dir).length, 5);
  assert.equal(run.history.length, 5);
  const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as TrainingSummary;
  assert.equal(summary.status, 'completed');
  assert.equal(summary.iterations, 5);
  assert.equal(summary.preset, 'toy2d-quick');
  assert.equal(summary.backend, tf.getBackend());
  assert.ok(Number.isFinite(summary.finalMetrics.D));
  assert.ok(fs.existsSync(path.join(dir, 'checkpoint', 'latest.ckpt')));
  // loadTrainedModels rebuilds the same networks.
  const loaded = loadTrainedModels(dir);
  assert.equal(loaded.iteration, 5);
  const a = run.trainer.sample(4, 1);
  const b = tf.tidy(() => loaded.models.generator!.generate(tf.randomNormal([4, 2], 0, 1, 'float32', 1), false));
  assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
  tf.dispose([a, b]);
  Object.values(loaded.models).forEach((m) => m!.dispose());
  run.dispose();
  assert.equal(tf.memory().numTensors, before);
  fs.rmSync(dir, { recursive: true });
});

for (const [preset, extra] of [
  ['toy2d-quick', {}],
  ['toy2d-quick', { method: 'vae' }],
  ['toy2d-quick', { method: 'wake-sleep' }],
] as const) {
  test(`checkpoint → resume gives bit-identical weights and metrics (${'method' in extra ? extra.method : 'triangle'})`, async () => {
    const full = tmp();
    const half = tmp();
    const a = await runTraining({ preset, overrides: { ...SMALL, ...extra, iterations: 6, checkpointEvery: 2 }, outDir: full });
    const b1 = await runTraining({ preset, overrides: { ...SMALL, ...extra, iterations: 3 }, outDir: half });
    b1.dispose();
    const b2 = await runTraining({ preset, overrides: { ...SMALL, ...extra, iterations: 6 }, outDir: half, resume: true });
    assert.equal(b2.summary.resumedFrom, 3);
    assert.equal(b2.history[0].iteration, 4);
    assert.deepEqual(weights(b2), weights(a));
    assert.deepEqual(readMetrics(half).map(withoutTime), readMetrics(full).map(withoutTime));
    a.dispose();
    b2.dispose();
    fs.rmSync(full, { recursive: true });
    fs.rmSync(half, { recursive: true });
  });
}

test('an AbortSignal stops between iterations, checkpoints, and returns status aborted', async () => {
  const dir = tmp();
  const ac = new AbortController();
  const run = await runTraining({
    preset: 'toy2d-quick',
    overrides: { ...SMALL, iterations: 50 },
    outDir: dir,
    signal: ac.signal,
    callbacks: { onIteration: ({ iteration }) => void (iteration === 2 && ac.abort()) },
  });
  assert.equal(run.summary.status, 'aborted');
  assert.equal(run.trainer.iteration, 2);
  assert.equal(loadTrainedModels(dir).iteration, 2);
  run.dispose();
  fs.rmSync(dir, { recursive: true });
});

test('a non-finite loss stops with a one-line UserError and the last good checkpoint intact', async () => {
  const dir = tmp();
  const before = tf.memory().numTensors;
  await assert.rejects(
    runTraining({
      preset: 'toy2d-quick',
      overrides: { ...SMALL, iterations: 10, checkpointEvery: 2 },
      outDir: dir,
      callbacks: {
        onIteration: ({ iteration, trainer }) => {
          if (iteration !== 3) return;
          const w = trainer.modules().generator.trainable()[0].variable;
          tf.tidy(() => w.assign(tf.fill(w.shape, NaN)));
        },
      },
    }),
    (e: unknown) =>
      isUserError(e) &&
      /diverged at iteration 4: loss of ebm is NaN.*last good checkpoint \(iteration 2\)/.test((e as Error).message) &&
      !(e as Error).message.includes('\n'),
  );
  assert.equal(tf.memory().numTensors, before);
  const loaded = loadTrainedModels(path.join(dir, 'checkpoint'));
  assert.equal(loaded.iteration, 2);
  for (const m of Object.values(loaded.models)) for (const v of m!.trainable()) assert.ok(Array.from(v.variable.dataSync()).every(Number.isFinite));
  Object.values(loaded.models).forEach((m) => m!.dispose());
  assert.equal((JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as TrainingSummary).status, 'diverged');
  fs.rmSync(dir, { recursive: true });
});

test('resuming a run folder with another preset is a UserError', async () => {
  const dir = tmp();
  const run = await runTraining({ preset: 'toy2d-quick', overrides: { ...SMALL, iterations: 1 }, outDir: dir });
  run.dispose();
  await assert.rejects(runTraining({ preset: 'toy2d-cpu', outDir: dir, resume: true }), (e: unknown) => isUserError(e) && /trained with toy2d-quick/.test((e as Error).message));
  fs.rmSync(dir, { recursive: true });
});
