/**
 * `dtri train` and its run folder as a user meets them (issue #18): a finished folder is refused without
 * --resume or --force, resume refuses identity changes, value ranges, one-line errors for bad paths and
 * files, and two real processes: SIGTERM mid-run checkpoints and exits 143, a second run into the same
 * folder is refused by the lock, and --resume continues.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { checkResultsFiles } from '../../lib/cli/results';
import { main, userMessage } from '../../lib/cli/main';
import { isUserError } from '../../lib/errors';
import { readCheckpointFile, type TrainingCheckpointMeta } from '../../lib/train/checkpoint';
import type { TrainingSummary } from '../../lib/train/runner';
import { PRESETS } from '../../lib/train/presets';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-cli-'));
// Decoded image folders are cached; keep the cache out of the project.
const CACHE = tmp();
process.env.DTRI_CACHE_DIR = CACHE;
process.on('exit', () => fs.rmSync(CACHE, { recursive: true, force: true }));
/** toy2d-quick cut to milliseconds per iteration; `--set iterations=N` is appended per call. */
const QUICK = ['--preset', 'toy2d-quick', '--backend', 'cpu', '--set', 'hidden=8,8', '--set', 'batchSize=16', '--set', 'dataLimit=64', '--set', 'logEvery=1'];
const train = (out: string, ...extra: string[]) => main(['train', ...QUICK, '--out', out, ...extra]);

/** The promise rejects with a one-line UserError matching `re`. */
async function refused(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isUserError(e), `not a UserError: ${String(e)}`);
    assert.match((e as Error).message, re);
    assert.ok(!(e as Error).message.includes('\n'), 'one line');
    return true;
  });
}
const summaryOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as TrainingSummary;
const metricsLines = (dir: string) => fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { iteration: number }).iteration);

test('a second dtri train into a finished --out is refused (metrics.jsonl untouched), --force replaces it, --resume continues it', async () => {
  const dir = path.join(tmp(), 'run');
  assert.equal(await train(dir, '--set', 'iterations=3'), 0);
  const metrics = path.join(dir, 'metrics.jsonl');
  const before = { bytes: fs.readFileSync(metrics), mtime: fs.statSync(metrics).mtimeMs, ckpt: fs.readFileSync(path.join(dir, 'checkpoint', 'latest.ckpt')) };
  const holds = /holds another run \(preset toy2d-quick, 3 iterations, completed\): pass --resume to continue it, --force to overwrite it, or another --out$/;
  await refused(train(dir, '--set', 'iterations=3'), holds);
  await refused(main(['train', '--preset', 'toy2d-cpu', '--backend', 'cpu', '--out', dir]), holds);
  assert.deepEqual(fs.readFileSync(metrics), before.bytes);
  assert.equal(fs.statSync(metrics).mtimeMs, before.mtime, 'not even rewritten');
  assert.deepEqual(fs.readFileSync(path.join(dir, 'checkpoint', 'latest.ckpt')), before.ckpt);
  assert.ok(!fs.existsSync(path.join(dir, '.lock')));

  await refused(train(dir, '--resume', '--force'), /--resume continues the run in --out, --force replaces it: pass one of them/);
  assert.equal(await train(dir, '--force', '--set', 'iterations=2'), 0);
  assert.deepEqual(metricsLines(dir), [1, 2]);
  assert.equal(summaryOf(dir).iterations, 2);

  await refused(train(dir, '--resume', '--seed', '7'), new RegExp(`^cannot resume with seed=7: .*latest\\.ckpt was trained with seed=${PRESETS['toy2d-quick'].seed}`));
  await refused(train(dir, '--resume', '--set', 'method=vae'), /^cannot resume with method=vae: .* was trained with method=triangle/);
  await refused(train(dir, '--resume', '--set', 'latentDim=3'), /^cannot resume with latentDim=3/);
  assert.equal(await train(dir, '--resume', '--set', 'iterations=4', '--set', 'lrEbm=0.0005'), 0);
  const s = summaryOf(dir);
  assert.equal(s.resumedFrom, 2);
  assert.deepEqual(s.resumeChanges, ['iterations 2 → 4', 'lrEbm 0.001 → 0.0005']);
  assert.deepEqual(metricsLines(dir), [1, 2, 3, 4]);
  fs.rmSync(path.dirname(dir), { recursive: true });
});

test('value ranges and flags: beta1=5, beta2=1, sigma=0, a zero learning rate, --seed -1 like --set seed=-1, --resume=maybe, stray arguments, an empty --out', async () => {
  const root = tmp();
  const out = path.join(root, 'never-created');
  const cases: [string[], RegExp][] = [
    [['--set', 'beta1=5'], /^preset toy2d-quick: beta1=5 is out of range: beta1 must be a finite number in \[0, 1\)$/],
    [['--set', 'beta2=1'], /^preset toy2d-quick: beta2=1 is out of range: beta2 must be a finite number in \[0, 1\)$/],
    [['--set', 'sigma=0'], /^preset toy2d-quick: sigma=0 is out of range: sigma must be > 0$/],
    [['--set', 'lrGen=0'], /lrGen=0 is out of range: lrGen must be > 0/],
    [['--set', 'lrDecay=1.5'], /lrDecay=1\.5 is out of range: lrDecay must be a finite number in \(0, 1\]/],
    [['--set', 'langevinDelta=-1'], /langevinDelta=-1 is out of range: langevinDelta must be > 0/],
    [['--set', 'seed=4294967296'], /seed=4294967296 is out of range/],
    [['--set', 'beta1=Infinity'], /beta1 must be a number/],
    [['--resume=maybe'], /^dtri train: --resume takes no value, or =true \/ =false \(got "--resume=maybe"\)$/],
    [['extra'], /^dtri train: unexpected argument "extra": dtri train takes no arguments besides its --options/],
    [['-seed', '7'], /^dtri train: unexpected argument "-seed": options start with two dashes \(--seed\)/],
    [['--seed', '7', '--set', 'seed=8'], /--seed 7 and --set seed=8 disagree: pass one/],
  ];
  for (const [extra, re] of cases) await refused(train(out, ...extra), re);
  const bySeedFlag = await main(['train', ...QUICK, '--out', out, '--seed', '-1']).catch((e: Error) => e.message);
  const bySet = await main(['train', ...QUICK, '--out', out, '--set', 'seed=-1']).catch((e: Error) => e.message);
  assert.equal(bySeedFlag, bySet, '--seed -1 and --set seed=-1 are one check');
  assert.match(String(bySet), /^preset toy2d-quick: seed=-1 is out of range: seed must be a whole number in \[0, 4294967295\]$/);
  await refused(main(['train', ...QUICK, '--out', '']), /^dtri train: --out is empty: pass a folder name/);
  await refused(main(['train', ...QUICK, '--resume']), /^dtri train: --resume needs --out DIR/);
  assert.ok(!fs.existsSync(out), 'a refused command creates no folder');
  fs.rmSync(root, { recursive: true });
});

test('one-line errors for --out on or under a file, a malformed or folder checkpoint on --resume, landscape --out on a file, a malformed results JSON', async () => {
  const root = tmp();
  const file = path.join(root, 'file.txt');
  fs.writeFileSync(file, 'x');
  await refused(train(file, '--set', 'iterations=1'), /^--out .*file\.txt is an existing file, not a folder/);
  await refused(train(path.join(file, 'run'), '--set', 'iterations=1'), /^--out .*file\.txt[/\\]run cannot be created: .*file\.txt is a file, not a folder/);

  const dir = path.join(root, 'run');
  assert.equal(await train(dir, '--set', 'iterations=1'), 0);
  const ckpt = path.join(dir, 'checkpoint', 'latest.ckpt');
  const good = fs.readFileSync(ckpt);
  const bad = Buffer.from(good);
  bad.write('[', 12, 'latin1'); // the header's opening brace
  fs.writeFileSync(ckpt, bad);
  await refused(train(dir, '--resume', '--set', 'iterations=2'), /latest\.ckpt has a corrupt header \(not JSON\); resume from another checkpoint or re-run training$/);
  fs.rmSync(ckpt);
  fs.mkdirSync(ckpt);
  await refused(train(dir, '--resume', '--set', 'iterations=2'), /^checkpoint .*latest\.ckpt is a folder, not a file/);
  await refused(main(['landscape', '--checkpoint', dir, '--out', file]), /^--out .*file\.txt is an existing file, not a folder/);
  await refused(main(['landscape', '--checkpoint', path.join(dir, 'checkpoint'), '--backend', 'cpu']), /^checkpoint .*latest\.ckpt is a folder, not a file/);
  await refused(main(['landscape', '--checkpoint', dir, '--support', 'pixels']), /^dtri landscape: --support must be one of all, data \(got "pixels"\)/);
  await refused(main(['landscape', '--checkpoint', dir, '--space', 'codes']), /^dtri landscape: --space must be one of image, latent \(got "codes"\)/);
  await refused(main(['landscape', '--checkpoint', dir, '--space', 'latent', '--support', 'data']), /^dtri landscape: --support data confines pixels of image-space descents; drop it with --space latent$/);

  const results = path.join(root, 'results');
  fs.mkdirSync(results);
  fs.writeFileSync(path.join(results, '06-x.json'), '{"rows": [1, 2,');
  assert.throws(() => checkResultsFiles(results), (e: unknown) => isUserError(e) && /06-x\.json is not a valid results file \(.*\): fix the JSON or re-run its notebook/.test((e as Error).message) && !(e as Error).message.includes('\n'));
  fs.writeFileSync(path.join(results, '06-x.json'), '{"metrics": {}}');
  assert.throws(() => checkResultsFiles(results), (e: unknown) => isUserError(e) && /06-x\.json is not a valid results file \(no "rows" list\)/.test((e as Error).message));
  fs.rmSync(root, { recursive: true });
});

test('images whose shape does not fit the networks (7×7 IDX, an 80×80 folder) are one line naming the fix; --set imageSize=28 then trains', async () => {
  const root = tmp();
  const idx = path.join(root, 'idx');
  fs.mkdirSync(idx);
  const idxFile = (shape: number[], data: number[]) => {
    const head = Buffer.alloc(4 + 4 * shape.length);
    head[2] = 0x08;
    head[3] = shape.length;
    shape.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
    return Buffer.concat([head, Buffer.from(data)]);
  };
  fs.writeFileSync(path.join(idx, 'train-images-idx3-ubyte'), idxFile([4, 7, 7], new Array(4 * 49).fill(9)));
  fs.writeFileSync(path.join(idx, 'train-labels-idx1-ubyte'), idxFile([4], [0, 1, 2, 3]));
  const mnist = ['train', '--preset', 'mnist-quick', '--backend', 'cpu', '--set', 'batchSize=2', '--set', 'iterations=1'];
  const tensors = tf.memory().numTensors;
  await refused(main([...mnist, '--data', idx, '--out', path.join(root, 'a')]), /^dataset mnist \(.*train-images-idx3-ubyte\) has examples of 7×7×1 but the mnist networks of mnist-quick take 28×28×1: pass --set imageSize=28 to resize every image to 28×28, or use data of that size$/);
  const folder = path.join(root, 'imgs');
  fs.mkdirSync(folder);
  for (let i = 0; i < 4; i++) await sharp(Buffer.alloc(80 * 80, 40 * i), { raw: { width: 80, height: 80, channels: 1 } }).png().toFile(path.join(folder, `${i}.png`));
  await refused(main([...mnist, '--set', `dataset=folder:${folder}`, '--out', path.join(root, 'b')]), /^dataset folder:.*imgs .* has examples of 80×80×\d but the mnist networks of mnist-quick take 28×28×\d: pass --set imageSize=28 to resize/);
  assert.equal(tf.memory().numTensors, tensors, 'a refused run leaves no tensors');
  assert.equal(await main([...mnist, '--set', `dataset=folder:${folder}`, '--set', 'imageSize=28', '--out', path.join(root, 'c')]), 0);
  fs.rmSync(root, { recursive: true });
});

test('userMessage: file-system errors that escape as they are become one line naming the file; bugs keep their stack', () => {
  const fsErr = (code: string) => Object.assign(new Error(`${code}: oops`), { code, path: '/data/run/metrics.jsonl' });
  assert.equal(userMessage(fsErr('ENOSPC')), 'disk full writing /data/run/metrics.jsonl; free space and run again');
  assert.match(userMessage(fsErr('EACCES'))!, /^cannot access \/data\/run\/metrics\.jsonl: permission denied .* \(EACCES\)/);
  assert.equal(userMessage(new TypeError('x is undefined')), undefined);
  assert.equal(userMessage(fsErr('EBUSY_UNKNOWN')), undefined);
});

/** `dtri` as a separate process (ts-node: a fresh clone needs no build). */
function dtri(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--require', 'ts-node/register/transpile-only', path.join(__dirname, '../../lib/cli/main.ts'), ...args], {
    env: { ...process.env, TS_NODE_PROJECT: path.join(__dirname, '../../tsconfig.test.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
function finished(p: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  p.stdout!.resume();
  return new Promise((resolve) => p.on('exit', (code, signal) => resolve({ code, signal, stderr })));
}
async function waitFor(cond: () => boolean, what: string, ms = 90_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('SIGTERM mid-run writes a checkpoint and exits 143; a second process on the folder is refused by the lock; --resume continues', { timeout: 240_000 }, async () => {
  const dir = path.join(tmp(), 'run');
  const metrics = path.join(dir, 'metrics.jsonl');
  const hasLine = () => fs.existsSync(metrics) && fs.readFileSync(metrics, 'utf8').includes('\n');
  const a = dtri(['train', ...QUICK, '--out', dir, '--set', 'iterations=1000000']);
  const aDone = finished(a);
  try {
    await waitFor(() => fs.existsSync(path.join(dir, '.lock')), "the first run's lock");
    // The second process, even with --force, is refused while the first holds the lock.
    const b = await finished(dtri(['train', ...QUICK, '--out', dir, '--force', '--set', 'iterations=2']));
    await waitFor(hasLine, 'the first metrics line');
    assert.equal(b.code, 2, b.stderr);
    assert.match(b.stderr, new RegExp(`^error: .*run is in use by another dtri run \\(pid ${a.pid} on .*\\); wait for it to finish or pass another --out`, 'm'));
    assert.ok(!b.stderr.includes('    at '), 'no stack trace');
    assert.equal(a.exitCode, null, 'the first run is still going');
  } finally {
    a.kill('SIGTERM');
  }
  const r = await aDone;
  assert.equal(r.code, 143, r.stderr);
  assert.match(r.stderr, /SIGTERM: finishing the current iteration and writing a checkpoint/);
  const ckpt = readCheckpointFile<TrainingCheckpointMeta>(path.join(dir, 'checkpoint', 'latest.ckpt'));
  const k = ckpt.meta.iteration;
  assert.ok(k >= 1);
  const s = summaryOf(dir);
  assert.equal(s.status, 'aborted');
  assert.equal(s.iterations, k);
  assert.ok(!fs.existsSync(path.join(dir, '.lock')), 'the lock is released on a signal');
  assert.equal(metricsLines(dir).at(-1), k, 'metrics end at the checkpoint');

  // In this process (a third spawn would add seconds): the same command line.
  assert.equal(await train(dir, '--resume', '--set', `iterations=${k + 2}`), 0);
  assert.equal(summaryOf(dir).resumedFrom, k);
  assert.deepEqual(summaryOf(dir).resumeChanges, [`iterations 1000000 → ${k + 2}`]);
  assert.equal(summaryOf(dir).status, 'completed');
  assert.deepEqual(metricsLines(dir), Array.from({ length: k + 2 }, (_, i) => i + 1));
  fs.rmSync(path.dirname(dir), { recursive: true });
});

test('a non-writable --out parent is one line (skipped as root: permission bits do not apply to root; test/train/run-folder.test.ts covers a read-only mount there)', async (t) => {
  if (process.getuid?.() === 0) return t.skip('running as root: permission bits do not apply');
  const root = tmp();
  const locked = path.join(root, 'locked');
  fs.mkdirSync(locked, { mode: 0o555 });
  try {
    await refused(train(path.join(locked, 'run'), '--set', 'iterations=1'), /cannot be created: .*locked is not writable \(EACCES\)/);
  } finally {
    fs.chmodSync(locked, 0o755);
    fs.rmSync(root, { recursive: true });
  }
});
