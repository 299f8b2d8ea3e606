import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseFlags, formatHelp, type FlagSpec } from '../../lib/cli/args';
import { main } from '../../lib/cli/main';
import { COMMANDS } from '../../lib/cli/commands';
import { isUserError } from '../../lib/errors';
import type { TrainingSummary } from '../../lib/train/runner';

const SPEC: Record<string, FlagSpec> = {
  preset: { type: 'string', help: 'preset' },
  seed: { type: 'int', help: 'seed', default: 1 },
  method: { type: 'string', help: 'm', choices: ['linear', 'ad'] },
  set: { type: 'list', help: 'k=v' },
  resume: { type: 'bool', help: 'r' },
};

test('parseFlags reads values, defaults, repeats, booleans and positionals', () => {
  const { flags, positional } = parseFlags('x', ['run1', '--preset', 'mnist-quick', '--seed=7', '--set', 'a=1', '--set', 'b=2', '--resume'], SPEC, { positional: 1 });
  assert.deepEqual(positional, ['run1']);
  assert.equal(flags.preset, 'mnist-quick');
  assert.equal(flags.seed, 7);
  assert.deepEqual(flags.set, ['a=1', 'b=2']);
  assert.equal(flags.resume, true);
  assert.equal(parseFlags('x', [], SPEC).flags.seed, 1);
});

test('parseFlags refuses unknown options, bad numbers, bad choices and missing values with one line naming the fix', () => {
  const cases: [string[], RegExp][] = [
    [['--bogus', '1'], /unknown option --bogus; valid options: --preset, --seed/],
    [['--seed', 'abc'], /--seed must be a whole number/],
    [['--method', 'exact'], /--method must be one of linear, ad/],
    [['--preset'], /--preset needs a value/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(() => parseFlags('x', argv, SPEC), (e: unknown) => isUserError(e) && re.test((e as Error).message) && !(e as Error).message.includes('\n'));
  }
});

test('formatHelp lists every option with its choices and default', () => {
  const h = formatHelp('Usage: x', 'desc', SPEC);
  assert.match(h, /--method linear\|ad/);
  assert.match(h, /\(default 1\)/);
});

test('dtri: help lists every command; unknown commands and presets are UserErrors', async () => {
  for (const name of ['train', 'start', 'presets', 'data', 'backends', 'report', 'landscape', 'results']) assert.ok(COMMANDS[name], name);
  await assert.rejects(main(['fly']), (e: unknown) => isUserError(e) && /valid commands: .*train/.test((e as Error).message));
  await assert.rejects(main(['train', '--preset', 'nope']), (e: unknown) => isUserError(e) && /valid presets: .*mnist-quick/.test((e as Error).message));
  await assert.rejects(main(['train', '--preset', 'mnist-quick', '--set', 'bogusKey=1']), (e: unknown) => isUserError(e) && /unknown key "bogusKey"/.test((e as Error).message));
  await assert.rejects(main(['report']), (e: unknown) => isUserError(e) && /exactly one run folder/.test((e as Error).message));
});

test('the dtri process prints one line without a stack and exits 2 on a user mistake', () => {
  const r = spawnSync(process.execPath, ['--require', 'ts-node/register/transpile-only', path.join(__dirname, '../../lib/cli/main.ts'), 'train', '--preset', 'nope'], {
    encoding: 'utf8',
    env: { ...process.env, TS_NODE_PROJECT: path.join(__dirname, '../../tsconfig.test.json') },
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^error: unknown preset "nope"; valid presets: /);
  assert.ok(!r.stderr.includes('    at '), 'no stack trace');
});

test('dtri presets lists the hires presets (method progressive); dtri train --preset hires-quick grows a run in its folder and --resume finds it done', async () => {
  const lines: string[] = [];
  const log = console.log;
  console.log = (line: string) => void lines.push(line);
  try {
    assert.equal(await main(['presets']), 0);
  } finally {
    console.log = log;
  }
  for (const s of ['quick', 'cpu', 'paper']) assert.ok(lines.some((l) => new RegExp(`^hires-${s} +progressive `).test(l)), `hires-${s} listed`);
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-cli-hires-')), 'run');
  const train = (...extra: string[]) =>
    main(['train', '--preset', 'hires-quick', '--backend', 'cpu', '--out', dir, ...['maxSize=8', 'dataLimit=16', 'batchSize=4', 'stableIterations=1', 'fadeIterations=1', 'width=0.0078125'].flatMap((kv) => ['--set', kv]), ...extra]);
  assert.equal(await train(), 0);
  const summary = () => JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as TrainingSummary;
  assert.equal(summary().method, 'progressive');
  assert.equal(summary().iterations, 3, 'stage 0: 1 iteration; stage 1: 1 fade-in + 1 stable');
  assert.equal(await train('--resume'), 0);
  assert.equal(summary().resumedFrom, 3);
  assert.equal(summary().iterations, 3);
  fs.rmSync(path.dirname(dir), { recursive: true });
});
