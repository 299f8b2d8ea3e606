import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { isUserError } from '../../lib/errors';
import { applyOverrides, METHOD_FIELDS, parseOverrides, PRESET_FIELDS, PRESET_LIST, PRESETS, presetAs, resolvePreset, validatePreset, type AcdPreset, type TrainPreset, type VaePreset } from '../../lib/train/presets';

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

test('resolvePreset coerces --set strings to the field types', () => {
  const p = resolvePreset('mnist-quick', { batchSize: '8', lrEbm: '2e-4', spectralNorm: 'true', classes: '1, 7', scaling: 'paper', method: 'vae', sigma: '0.3' });
  assert.equal(p.batchSize, 8);
  assert.equal(p.lrEbm, 2e-4);
  assert.equal(p.spectralNorm, true);
  assert.deepEqual(p.classes, [1, 7]);
  assert.equal(p.scaling, 'paper');
  assert.equal(p.method, 'vae');
  assert.equal(p.sigma, 0.3);
  assert.equal(resolvePreset('mnist-quick', { sigma: 'default' }).sigma, undefined);
  assert.deepEqual(PRESETS['mnist-quick'].classes, []); // the registry is not mutated
});

test('unknown presets, unknown keys and wrong types are one-line UserErrors listing the choices', () => {
  userError(() => resolvePreset('mnist-fast'), /unknown preset "mnist-fast"; valid presets: .*mnist-quick/);
  userError(() => resolvePreset('mnist-quick', { batchsize: '8' }), /unknown key "batchsize".*valid keys: .*batchSize/);
  userError(() => resolvePreset('mnist-quick', { batchSize: 'eight' }), /batchSize must be a number/);
  userError(() => resolvePreset('mnist-quick', { batchSize: '2.5' }), /batchSize must be a whole number/);
  userError(() => resolvePreset('mnist-quick', { batchSize: '0' }), /batchSize must be ≥ 1/);
  userError(() => resolvePreset('mnist-quick', { spectralNorm: 'yes' }), /spectralNorm must be true or false/);
  userError(() => resolvePreset('mnist-quick', { method: 'gan' }), /method must be one of triangle, vae, wake-sleep/);
  userError(() => resolvePreset('mnist-quick', { arch: 'resnet' }), /arch must be one of mnist, cifar/);
  userError(() => resolvePreset('mnist-quick', { classes: '1,a' }), /comma-separated list of whole numbers/);
  userError(() => resolvePreset('mnist-quick', { name: 'x' }), /name cannot be overridden/);
  userError(() => parseOverrides(['batchSize']), /expected key=value/);
  assert.deepEqual(parseOverrides(['a=1', 'b=x=y']), { a: '1', b: 'x=y' });
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

test('--set method=… drops the old method\'s own fields, keeps those set with it, and refuses strays', () => {
  const toy = presetAs(PRESETS['toy2d-quick'], 'triangle');
  assert.equal(toy.noisySamples, true);
  const vae = applyOverrides(toy, { method: 'vae' });
  assert.equal(vae.method, 'vae');
  assert.equal('noisySamples' in vae, false);
  const abp = presetAs(applyOverrides(toy, { method: 'abp', langevinSteps: '5' }), 'abp');
  assert.equal(abp.langevinSteps, 5);
  userError(() => applyOverrides(toy, { method: 'vae', noisySamples: 'true' }), /noisySamples belongs to method triangle or progressive, not vae/);
  userError(() => applyOverrides(toy, { langevinSteps: '5' }), /langevinSteps belongs to method abp, not triangle/);
  assert.throws(() => presetAs(toy, 'vae'), /internal: preset toy2d-quick is of method triangle, not vae/);
});
