import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { isUserError } from '../../lib/errors';
import { parseOverrides, PRESET_FIELDS, PRESET_LIST, PRESETS, resolvePreset } from '../../lib/train/presets';

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
