import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { OCCLUSION_KINDS } from '../../lib/data/masks';
import { objectiveScaling } from '../../lib/objectives/scaling';
import { PRESET_FIELDS, PRESETS, presetAs, validatePreset, type TrainPreset } from '../../lib/train/presets';
import { INCOMPLETE_METHODS, INCOMPLETE_THETA_STEPS, INCOMPLETE_VARIANTS, incompletePresetName, maskSlug } from '../../lib/train/presets-incomplete';
import { presetScaling } from '../../lib/train/runner';

const SCALES = ['quick', 'cpu', 'paper'] as const;
const SCALINGS = ['paper', 'authors'] as const;

/** What a comparison "under one scaling" must share: data, networks, schedule, optimizers, objective weights. */
const SAME: (keyof TrainPreset)[] = [
  'dataset', 'dataLimit', 'imageSize', 'classes', 'arch', 'width', 'latentDim', 'batchSize', 'epochs', 'iterations',
  'lrEbm', 'lrGen', 'lrInf', 'beta1', 'beta2', 'lrDecay', 'weightDecayEbm', 'weightDecayGen', 'weightDecayInf', 'clipNorm',
  'scaling', 'sigma', 'klReduction', 'latentNllWeight', 'occlusion', 'occlusionRefills', 'seed',
];

test('one preset per method × mask × scaling × scale, each valid and occluded by its mask', () => {
  for (const method of INCOMPLETE_VARIANTS) {
    for (const mask of OCCLUSION_KINDS) {
      for (const scaling of SCALINGS) {
        for (const scale of SCALES) {
          const name = incompletePresetName(method, mask, scaling, scale);
          const p = PRESETS[name];
          assert.ok(p, `${name} exists`);
          assert.equal(p.method, method === 'triangle-1step' ? 'triangle' : method);
          assert.equal(p.occlusion, mask);
          assert.equal(p.scaling, scaling);
          assert.equal(p.scale, scale);
          assert.deepEqual(validatePreset(p), p);
          for (const key of Object.keys(p)) assert.ok(key in PRESET_FIELDS, `${name}.${key} has no field spec`);
        }
      }
    }
  }
  assert.equal(incompletePresetName('vae', 'P.5', 'paper', 'cpu'), 'mnist-incomplete-vae-p5-paper-scaling-cpu');
  assert.deepEqual(OCCLUSION_KINDS.map(maskSlug), ['p5', 'p7', 'mb10', 'b20', 'b30']);
});

test('under one scaling the three methods share data, schedule, optimizers, weight decay and the KL weight', () => {
  for (const mask of OCCLUSION_KINDS) {
    for (const scaling of SCALINGS) {
      for (const scale of SCALES) {
        const [t, ...others] = INCOMPLETE_VARIANTS.map((m) => PRESETS[incompletePresetName(m, mask, scaling, scale)]);
        for (const o of others) for (const k of SAME) assert.deepEqual(o[k], t[k], `${o.name}.${k} vs ${t.name}`);
        const resolved = INCOMPLETE_METHODS.map((m) => presetScaling(PRESETS[incompletePresetName(m, mask, scaling, scale)]));
        for (const r of resolved) assert.deepEqual(r, objectiveScaling(scaling));
        assert.equal(t.generatorSteps, INCOMPLETE_THETA_STEPS);
        // the θ-step control is the compared triangle but for its θ-steps
        const one = PRESETS[incompletePresetName('triangle-1step', mask, scaling, scale)];
        assert.deepEqual({ ...one, name: '', description: '', generatorSteps: 0 }, { ...t, name: '', description: '', generatorSteps: 0 });
        assert.equal(one.generatorSteps, 1);
      }
    }
  }
  // The two scalings are 100× apart in the KL weight of a 100-dim code: the triangle and VAE see the same one.
  const paper = objectiveScaling(PRESETS[incompletePresetName('vae', 'B30', 'paper', 'cpu')].scaling);
  const authors = objectiveScaling(PRESETS[incompletePresetName('vae', 'B30', 'authors', 'cpu')].scaling);
  assert.equal(paper.klReduction, 'sum');
  assert.equal(authors.klReduction, 'mean');
});

test('ABP keeps its Langevin inference; the scales grow from quick to paper', () => {
  const abp = presetAs(PRESETS[incompletePresetName('abp', 'MB10', 'paper', 'cpu')], 'abp');
  assert.equal(abp.langevinSteps, 10);
  assert.equal(abp.abpPersistent, true);
  assert.equal(abp.sigma, undefined, 'ABP takes σ from the scaling, as the others');
  const [q, c, p] = SCALES.map((s) => PRESETS[incompletePresetName('triangle', 'B20', 'paper', s)]);
  assert.ok(q.iterations < c.iterations && c.dataLimit < p.dataLimit && c.width < p.width);
  assert.equal(p.width, 1);
  assert.equal(p.dataLimit, 10000);
});
