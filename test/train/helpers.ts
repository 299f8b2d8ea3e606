/** Scaffolding shared by the trainer tests (not a test file itself). */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { batchIndices, gatherBatch } from '../../lib/data';
import type { ModelOptions } from '../../lib/models/architectures';
import type { Module } from '../../lib/models/types';
import { readCheckpointFile, restoreTrainingCheckpoint, saveTrainingCheckpoint } from '../../lib/train/checkpoint';
import { NonFiniteError } from '../../lib/train/optimizer';
import { resolvePreset, type TrainingMethod } from '../../lib/train/presets';
import { runTraining } from '../../lib/train/runner';
import type { StepContext, Trainer } from '../../lib/train/trainer';

/** A trainer and what frees it together with its networks. */
export interface Built<T extends Trainer> {
  trainer: T;
  dispose(): void;
}

/**
 * Iterations from..to-1 of `trainer` on batches of `images` (epoch-shuffled with seed 5, the batch of
 * iteration it being batch it % per of epoch ⌊it / per⌋), with the batch's indices in the StepContext.
 * @returns the metrics of each iteration
 */
export function trainIterations(trainer: Trainer, ds: { images: tf.Tensor }, from: number, to: number, batch: number): Record<string, number>[] {
  const n = ds.images.shape[0];
  const per = Math.floor(n / batch);
  const out: Record<string, number>[] = [];
  for (let it = from; it < to; it++) {
    const indices = batchIndices(n, batch, 5, Math.floor(it / per))[it % per];
    const x = gatherBatch(ds as never, indices);
    out.push(trainer.step(x, { indices }));
    x.dispose();
  }
  return out;
}

/** Every metric of `actual` equals `expected`'s to 1e-6 relative; `firstIteration` names the rows in messages. */
export function assertMetricsMatch(expected: Record<string, number>[], actual: Record<string, number>[], firstIteration: number): void {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) => {
    for (const k of Object.keys(e)) assert.ok(Math.abs(e[k] - actual[i][k]) <= 1e-6 * Math.max(1, Math.abs(e[k])), `iteration ${firstIteration + i + 1} ${k}: ${e[k]} vs ${actual[i][k]}`);
  });
}

/** The values of a network's trainable variables, for before/after comparisons. */
export const weightsOf = (m: Module): number[][] => m.trainable().map((v) => Array.from(v.variable.dataSync()));

/**
 * Runs `iterations` calls of `fn` and asserts the tensor count after each is the same as after the first.
 */
export function assertTensorCountFlat(iterations: number, fn: () => void): void {
  const counts: number[] = [];
  for (let i = 0; i < iterations; i++) {
    fn();
    counts.push(tf.memory().numTensors);
  }
  assert.ok(counts.every((c) => c === counts[0]), `tensor count along ${iterations} iterations: ${counts.join(',')}`);
}

/** A step on a batch holding NaN throws NonFiniteError and leaves `network`'s weights unchanged. */
export function assertNaNStopsBeforeUpdate(trainer: Trainer, network: Module, ctx?: StepContext): void {
  const bad = tf.tensor2d([[NaN, 0], [1, 1]]);
  const before = weightsOf(network);
  assert.throws(() => trainer.step(bad, ctx), NonFiniteError);
  assert.deepEqual(weightsOf(network), before);
  bad.dispose();
}

/**
 * Checkpoint → resume against an uninterrupted run: one trainer trains 0..end; another trains 0..stop and
 * is checkpointed (preset `preset`, `modelOptions`) and disposed; a third restores the file and trains
 * stop..end. Asserts the restored counter and that the resumed metrics equal the uninterrupted ones.
 * @param build a fresh trainer for each of the three runs (named, for tests that build them differently)
 * @param train iterations from..to-1 (the same batches in both runs)
 * @returns the uninterrupted and the resumed trainers, for further checks; the caller disposes both
 */
export function assertResumeMatchesUninterrupted<T extends Trainer>(
  build: (run: 'uninterrupted' | 'interrupted' | 'resumed') => Built<T>,
  train: (trainer: T, from: number, to: number) => Record<string, number>[],
  opts: { stop: number; end: number; preset: string; modelOptions: ModelOptions },
): { uninterrupted: Built<T>; resumed: Built<T> } {
  const { stop, end } = opts;
  const uninterrupted = build('uninterrupted');
  const full = train(uninterrupted.trainer, 0, end);
  const interrupted = build('interrupted');
  train(interrupted.trainer, 0, stop);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-resume-'));
  try {
    const file = path.join(dir, 'latest.ckpt');
    saveTrainingCheckpoint(file, interrupted.trainer, { preset: resolvePreset(opts.preset), modelOptions: opts.modelOptions });
    interrupted.dispose();
    const resumed = build('resumed');
    restoreTrainingCheckpoint(resumed.trainer, readCheckpointFile(file), file);
    assert.equal(resumed.trainer.iteration, stop);
    assertMetricsMatch(full.slice(stop), train(resumed.trainer, stop, end), stop);
    return { uninterrupted, resumed };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * runTraining of `preset` (6 iterations, small nets) once through and once aborted after iteration 3 and
 * resumed: the run completes, reports `method`, resumes from 3, and both metrics.jsonl hold the same numbers.
 */
export async function assertRunTrainingResumes(preset: string, method: TrainingMethod): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-run-'));
  const overrides = { iterations: 6, batchSize: 32, hidden: [16, 16], logEvery: 1, checkpointEvery: 0 };
  const full = await runTraining({ preset, outDir: path.join(root, 'a'), overrides });
  assert.equal(full.summary.status, 'completed');
  assert.equal(full.summary.method, method);
  const ctrl = new AbortController();
  const part = await runTraining({
    preset,
    outDir: path.join(root, 'b'),
    overrides,
    signal: ctrl.signal,
    callbacks: { onIteration: ({ iteration }) => void (iteration === 3 && ctrl.abort()) },
  });
  assert.equal(part.summary.status, 'aborted');
  part.dispose();
  const rest = await runTraining({ preset, outDir: path.join(root, 'b'), overrides, resume: true });
  assert.equal(rest.summary.resumedFrom, 3);
  // Wall-clock seconds aside, every logged number must match.
  const lines = (dir: string) =>
    fs.readFileSync(path.join(root, dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
      const { seconds, ...rest } = JSON.parse(l) as Record<string, number>;
      void seconds;
      return rest;
    });
  const lb = lines('b');
  assert.equal(lb.length, 6);
  assertMetricsMatch(lines('a'), lb, 0);
  full.dispose();
  rest.dispose();
  fs.rmSync(root, { recursive: true, force: true });
}
