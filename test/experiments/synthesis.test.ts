/**
 * Experiments 04 (§4.1.4 textures) and 05 (§4.1.5 dynamic textures) at the quick scale, headless as
 * `dtri experiment` runs them: one named preset per texture, the results files hold every measure with
 * its references, figures are written, and no tensor is left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { withExperimentDirs } from './helpers';
import { startExperiment } from '../../lib/experiments/context';
import { TEXTURE_SYNTHESIS, verdict as textureVerdict } from '../../lib/experiments/textures';
import { DYNAMIC_TEXTURE } from '../../lib/experiments/dynamic-texture';
import { PRESETS } from '../../lib/train/presets';
import { TEXTURE_NAMES, texturePresetName } from '../../lib/train/presets-synthesis';

test('texture presets: one per texture and scale, equal to texture-<scale> but for the image', () => {
  for (const scale of ['quick', 'cpu', 'paper'] as const) {
    const base = PRESETS[`texture-${scale}`];
    for (const name of TEXTURE_NAMES) {
      const p = PRESETS[texturePresetName(name, scale)];
      const strip = ({ name: n, description, dataset, ...rest }: typeof p) => (void n, void description, void dataset, rest);
      assert.deepEqual(strip(p), strip(base));
      assert.ok(p.dataset.startsWith('texture:') && p.dataset.includes(name), p.dataset);
    }
  }
  assert.equal(PRESETS['dyntex-real-paper'].dataset, 'dyntex');
});

test('texture verdict: places the samples between the halves\' distance and noise\'s, and calls copies', () => {
  const [line] = textureVerdict(new Map([['brick', { samples: 0.3, halves: 0.1, noise: 0.5, copyMse: 0.2 }]]));
  assert.match(line, /brick: Gram distance 0\.300 \(halves 0\.100, noise 0\.500\): 50% of the way .*\(not a copy\)/);
  assert.match(textureVerdict(new Map([['x', { samples: 0.05, halves: 0.1, noise: 0.5, copyMse: 0.001 }]]))[0], /at or below .*\(a copy\)/);
});

test('experiments 04 and 05 run headless at quick: every measure finite, figures written, no tensor leak', { timeout: 600_000 }, async () => {
  await withExperimentDirs(async (dirs) => {
    const before = tf.memory().numTensors;
    const ctx4 = await startExperiment('04-texture-synthesis', { scale: 'quick' });
    const r4 = JSON.parse(fs.readFileSync(await TEXTURE_SYNTHESIS.run(ctx4), 'utf8'));
    for (const k of ['gram.brick', 'gramHalves.brick', 'gramNoise.brick', 'copyMse.brick']) assert.ok(Number.isFinite(r4.metrics[k]), `${k} = ${r4.metrics[k]}`);
    for (const n of TEXTURE_NAMES) assert.ok(r4.metrics[`gram.${n}`] > 0 && r4.metrics[`copyMse.${n}`] > 0, `${n}: ${r4.metrics[`gram.${n}`]}`);
    assert.ok(fs.readdirSync(ctx4.figuresDir!).includes('figure11-textures.png'));
    assert.ok(fs.readdirSync(dirs.runs).includes(texturePresetName('brick', 'quick')));

    const ctx5 = await startExperiment('05-dynamic-texture', { scale: 'quick' });
    const r5 = JSON.parse(fs.readFileSync(await DYNAMIC_TEXTURE.run(ctx5), 'utf8'));
    for (const k of ['nearestFrameMse', 'motionGenerated', 'motionTraining', 'gramGenerated', 'gramHalves', 'gramNoise', 'reconstructionMse']) assert.ok(Number.isFinite(r5.metrics[k]), `${k} = ${r5.metrics[k]}`);
    assert.equal(r5.metrics.iterations, PRESETS['dyntex-quick'].iterations);
    for (const f of ['training-clip.png', 'figure12-frames.png', 'space-time-slices.png']) assert.ok(fs.readdirSync(ctx5.figuresDir!).includes(f), f);
    assert.ok(tf.memory().numTensors - before <= 0, `${tf.memory().numTensors - before} tensors left`);
  });
});
