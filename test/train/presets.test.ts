import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { isUserError } from '../../lib/errors';
import { applyOverrides, METHOD_FIELDS, parseOverrides, PRESET_FIELDS, PRESET_LIST, PRESETS, presetAs, resolvePreset, validatePreset, type AcdPreset, type PresetArch, type PresetOverrides, type TrainingMethod, type TrainPreset, type VaePreset } from '../../lib/train/presets';

const userError = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (e: unknown) => isUserError(e) && re.test((e as Error).message) && !(e as Error).message.includes('\n'), `expected ${re}`);

test('every required preset exists, at three scales where the brief asks, with every field typed', () => {
  const names = Object.keys(PRESETS);
  for (const fam of ['mnist', 'fashion-mnist', 'mnist-vae', 'mnist-wake-sleep', 'cifar10', 'celeba']) {
    for (const s of ['quick', 'cpu', 'paper']) assert.ok(names.includes(`${fam}-${s}`), `${fam}-${s}`);
  }
  assert.ok(names.includes('toy2d-quick') && names.includes('toy2d-cpu'));
  assert.equal(new Set(names).size, PRESET_LIST.length);
  for (const p of PRESET_LIST) {
    for (const key of Object.keys(p)) assert.ok(key in PRESET_FIELDS, `${p.name}.${key} has no field spec`);
    assert.ok(p.name.endsWith(`-${p.scale}`), p.name);
  }
});

test('resolvePreset takes typed overrides of every field kind: numbers, booleans, string unions, strings, lists', () => {
  const classes = [1, 7];
  const p = resolvePreset('mnist-quick', { batchSize: 8, lrEbm: 2e-4, spectralNorm: true, classes, hidden: [16, 16] as const, scaling: 'paper', method: 'vae', dataset: 'fashion-mnist', sigma: 0.3 });
  assert.equal(p.batchSize, 8);
  assert.equal(p.lrEbm, 2e-4);
  assert.equal(p.spectralNorm, true);
  assert.deepEqual(p.classes, [1, 7]);
  assert.notEqual(p.classes, classes, 'the preset holds a copy of a list');
  assert.deepEqual(p.hidden, [16, 16]);
  assert.equal(p.scaling, 'paper');
  assert.equal(p.method, 'vae');
  assert.equal(p.dataset, 'fashion-mnist');
  assert.equal(p.sigma, 0.3);
  // undefined on an optional field: back to its default (unset), as --set sigma=default
  assert.equal(PRESETS['toy2d-quick'].sigma, 0.4);
  const unset = resolvePreset('toy2d-quick', { sigma: undefined, noisySamples: undefined });
  assert.equal(unset.sigma, undefined);
  assert.equal(presetAs(unset, 'triangle').noisySamples, undefined);
  userError(() => resolvePreset('toy2d-quick', { iterations: undefined }), /^preset toy2d-quick: iterations=undefined: only optional fields go back to their default; give iterations a value or leave it out$/);
  assert.deepEqual(PRESETS['mnist-quick'].classes, []); // the registry is not mutated
  assert.equal(PRESETS['mnist-quick'].method, 'triangle');
});

test('unknown presets, unknown keys, fixed fields and wrong types are one-line UserErrors listing the choices', () => {
  userError(() => resolvePreset('mnist-fast'), /unknown preset "mnist-fast"; valid presets: .*mnist-quick/);
  // keys and fixed fields are the compiler's to refuse; casts and untyped (notebook) callers meet the run-time check
  userError(() => resolvePreset('mnist-quick', { batchsize: 8 } as PresetOverrides), /^preset mnist-quick: unknown key "batchsize" in overrides; valid keys: method, dataset, dataLimit, .*batchSize/);
  // @ts-expect-error the fixed fields (name, scale, description) are not overridable
  userError(() => resolvePreset('mnist-quick', { name: 'x' }), /^preset mnist-quick: name cannot be overridden; pick another preset instead$/);
  // @ts-expect-error likewise
  userError(() => applyOverrides(PRESETS['mnist-quick'], { scale: 'paper' }), /^preset mnist-quick: scale cannot be overridden; pick another preset instead$/);
  userError(() => resolvePreset('mnist-quick', { description: 'x' } as PresetOverrides), /^preset mnist-quick: description cannot be overridden/);
  // types and ranges: validatePreset, for overrides and built-in values alike
  userError(() => resolvePreset('mnist-quick', { batchSize: 0 }), /^preset mnist-quick: batchSize=0 is out of range: batchSize must be ≥ 1$/);
  userError(() => resolvePreset('mnist-quick', { batchSize: 2.5 }), /batchSize=2\.5 is out of range: batchSize must be a whole number/);
  userError(() => resolvePreset('mnist-quick', { method: 'gan' as TrainingMethod }), /method=gan is out of range: method must be one of triangle, vae, wake-sleep/);
  userError(() => resolvePreset('mnist-quick', { arch: 'resnet' as PresetArch }), /arch must be one of mnist, cifar/);
  userError(() => resolvePreset('mnist-quick', { classes: [1, -1] }), /classes=1,-1 is out of range: classes must be a list of whole numbers ≥ 0/);
  // a string where a number, boolean or list belongs (a caller that has not been converted) is named as such
  const untyped = (o: Record<string, unknown>) => o as PresetOverrides;
  userError(() => resolvePreset('mnist-quick', untyped({ batchSize: '8' })), /^preset mnist-quick: batchSize="8" holds a string: batchSize must be a number \(overrides take typed values; parseOverrides parses --set strings\)$/);
  userError(() => resolvePreset('mnist-quick', untyped({ spectralNorm: 'yes' })), /spectralNorm="yes" holds a string: spectralNorm must be true or false/);
  userError(() => resolvePreset('mnist-quick', untyped({ classes: '1,7' })), /classes="1,7" holds a string: classes must be a list of whole numbers ≥ 0/);
});

test('parseOverrides turns --set strings into typed overrides, the same as writing them typed', () => {
  const entries = ['batchSize=8', 'lrEbm=2e-4', 'spectralNorm=true', 'classes=1, 7', 'hidden=16,16', 'scaling=paper', 'method=vae', 'dataset=fashion-mnist', 'sigma= 0.3'];
  const typed: PresetOverrides = { batchSize: 8, lrEbm: 2e-4, spectralNorm: true, classes: [1, 7], hidden: [16, 16], scaling: 'paper', method: 'vae', dataset: 'fashion-mnist', sigma: 0.3 };
  assert.deepEqual(parseOverrides(entries), typed);
  assert.deepEqual(resolvePreset('toy2d-quick', parseOverrides(entries)), resolvePreset('toy2d-quick', typed));
  assert.deepEqual(parseOverrides(['noisySamples=0', 'abpPersistent=1', 'batchNorm=false']), { noisySamples: false, abpPersistent: true, batchNorm: false });
  // default (or nothing) on an optional field → undefined: back to the default
  assert.deepEqual(parseOverrides(['sigma=default', 'batchNorm=', 'inferenceRule=default']), { sigma: undefined, batchNorm: undefined, inferenceRule: undefined });
  assert.equal(resolvePreset('toy2d-quick', parseOverrides(['sigma=default'])).sigma, undefined);
  assert.deepEqual(parseOverrides(['classes=']), { classes: [] });
  // the value is everything after the first "="; a later entry of a key wins
  assert.deepEqual(parseOverrides(['dataset=folder:a=b', 'iterations=1', 'iterations=2']), { dataset: 'folder:a=b', iterations: 2 });
  // ranges are checked when the overrides are applied
  assert.deepEqual(parseOverrides(['batchSize=0']), { batchSize: 0 });
  userError(() => resolvePreset('mnist-quick', parseOverrides(['batchSize=0'])), /batchSize must be ≥ 1/);
});

test('parseOverrides refuses entries without "=", unknown and fixed keys, and values of the wrong type, in one line naming the fix', () => {
  userError(() => parseOverrides(['batchSize']), /^--set batchSize: expected key=value, e\.g\. --set batchSize=64$/);
  userError(() => parseOverrides(['=8']), /^--set =8: expected key=value/);
  userError(() => parseOverrides(['batchsize=8']), /^--set batchsize=8: unknown key "batchsize"; valid keys: method, dataset, .*batchSize/);
  userError(() => parseOverrides(['name=x']), /^--set name=x: name cannot be overridden; pick another preset instead$/);
  userError(() => parseOverrides(['batchSize=eight']), /^--set batchSize=eight: batchSize must be a number$/);
  userError(() => parseOverrides(['batchSize=2.5']), /^--set batchSize=2\.5: batchSize must be a whole number$/);
  userError(() => parseOverrides(['iterations=default']), /^--set iterations=default: iterations must be a number$/);
  userError(() => parseOverrides(['beta1=Infinity']), /^--set beta1=Infinity: beta1 must be a number$/);
  userError(() => parseOverrides(['spectralNorm=yes']), /^--set spectralNorm=yes: spectralNorm must be true or false \(or default\)$/);
  userError(() => parseOverrides(['method=gan']), /^--set method=gan: method must be one of triangle, vae, wake-sleep, /);
  userError(() => parseOverrides(['arch=resnet']), /^--set arch=resnet: arch must be one of mnist, cifar/);
  userError(() => parseOverrides(['klReduction=max']), /^--set klReduction=max: klReduction must be one of sum, mean, default$/);
  userError(() => parseOverrides(['classes=1,a']), /^--set classes=1,a: classes must be a comma-separated list of whole numbers, e\.g\. 0,1,7$/);
});

test('one preset type per method: the compiler refuses a field on the wrong method', () => {
  const vae = PRESETS['mnist-vae-quick'] as VaePreset;
  // @ts-expect-error an ACD entropy estimator is not a field of a VAE preset
  const wrong: VaePreset = { ...vae, acdEntropy: 'nearest-neighbour' };
  const right: AcdPreset = { ...vae, method: 'acd', acdEntropy: 'nearest-neighbour' };
  assert.equal(right.acdEntropy, 'nearest-neighbour');
  // @ts-expect-error a growth schedule needs method progressive
  const noSchedule: TrainPreset = { ...vae, maxSize: 32 };
  // the run-time check refuses what a cast let through, with the fix
  userError(() => validatePreset(wrong), /acdEntropy belongs to method acd, not vae: remove it or set method=acd/);
  userError(() => validatePreset(noSchedule), /maxSize belongs to method progressive, not vae/);
  assert.equal(validatePreset(right as TrainPreset), right);
  // every method-specific key has a field spec, and every preset of the registry passed the check
  for (const key of Object.keys(METHOD_FIELDS)) assert.ok(key in PRESET_FIELDS, key);
  for (const p of PRESET_LIST) {
    for (const [key, methods] of Object.entries(METHOD_FIELDS)) if ((p as unknown as Record<string, unknown>)[key] !== undefined) assert.ok(methods.includes(p.method), `${p.name}.${key}`);
  }
});

test('a change of method drops the old method\'s own fields, keeps those set with it, and refuses strays', () => {
  const toy = presetAs(PRESETS['toy2d-quick'], 'triangle');
  assert.equal(toy.noisySamples, true);
  const vae = applyOverrides(toy, { method: 'vae' });
  assert.equal(vae.method, 'vae');
  assert.equal('noisySamples' in vae, false);
  const abp = presetAs(applyOverrides(toy, { method: 'abp', langevinSteps: 5 }), 'abp');
  assert.equal(abp.langevinSteps, 5);
  userError(() => applyOverrides(toy, { method: 'vae', noisySamples: true }), /noisySamples belongs to method triangle or progressive, not vae/);
  userError(() => applyOverrides(toy, { langevinSteps: 5 }), /langevinSteps belongs to method abp, not triangle/);
  assert.throws(() => presetAs(toy, 'vae'), /internal: preset toy2d-quick is of method triangle, not vae/);
});
