import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { isUserError } from '../../lib/errors';
import { startExperiment } from '../../lib/experiments/context';
import { withExperimentDirs } from './helpers';

test("ctx.train: a controlled run with typed overrides trains into its own folder, beside the preset's own run, and reloads there", { timeout: 120_000 }, async () => {
  await withExperimentDirs(async ({ runs }) => {
    const ctx = await startExperiment('00-toy-2d', { scale: 'quick', figuresDir: path.join(runs, 'figures') });
    const small = { hidden: [8, 8], batchSize: 16, dataLimit: 64, logEvery: 1 } as const;
    await assert.rejects(ctx.train('toy2d-quick', 'no folder', { overrides: { iterations: 2 } }), (e: unknown) => isUserError(e) && /needs a folder of its own/.test((e as Error).message));
    assert.ok(!fs.existsSync(path.join(runs, 'toy2d-quick')), 'the refused run touched no folder');
    const before = tf.memory().numTensors;
    const a = await ctx.train('toy2d-quick', 'control', { overrides: { ...small, iterations: 3 }, folder: 'toy2d-quick-3' });
    assert.equal(a.summary.iterations, 3);
    assert.deepEqual([...a.preset.hidden], [8, 8]);
    assert.ok(fs.existsSync(path.join(runs, 'toy2d-quick-3', 'summary.json')));
    assert.ok(!fs.existsSync(path.join(runs, 'toy2d-quick')), "the preset's own folder is untouched");
    a.dispose();
    const again = await ctx.train('toy2d-quick', 'control again', { overrides: { ...small, iterations: 3 }, folder: 'toy2d-quick-3' });
    assert.equal(again.summary.resumedFrom, 3, 'the finished controlled run is reloaded, not retrained');
    assert.ok(again.history.length > 0, "a reloaded run's curves come from its metrics.jsonl");
    again.dispose();
    assert.equal(tf.memory().numTensors, before);
  });
});
