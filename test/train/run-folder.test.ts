/**
 * Run folders that cannot be lost (issue #18): atomic writes under injected faults (short writes, a full
 * disk), a real full tmpfs where this machine allows mounting one, the lock, the refusal of a folder holding
 * another run, stale temp files, and what a resumed run may change.
 */
import { PRESETS } from '../../lib/train/presets';
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { isUserError } from '../../lib/errors';
import { readCheckpointFile, type TrainingCheckpointMeta } from '../../lib/train/checkpoint';
import { resolvePreset, type PresetOverrides } from '../../lib/train/presets';
import { checkResumeChanges, fsUserError, prepareOutputDir, RunFolder, writeFileAtomic, type FileWriter } from '../../lib/train/run-folder';
import { runTraining, type MetricsRecord, type TrainingSummary } from '../../lib/train/runner';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-folder-'));
/** Tiny nets and data: a toy2d-quick iteration takes milliseconds. */
const SMALL = { hidden: [8, 8], batchSize: 16, dataLimit: 64, logEvery: 1 };

/** `fn` throws a UserError whose message is one line matching `re`. */
function oneLine(re: RegExp) {
  return (e: unknown) => {
    assert.ok(isUserError(e), `not a UserError: ${String(e)}`);
    assert.match((e as Error).message, re);
    assert.ok(!(e as Error).message.includes('\n'), 'one line');
    return true;
  };
}

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
const real: FileWriter = (fd, buf, off, len) => fs.writeSync(fd, buf, off, len);
/** Writes half of what it is asked (at least one byte): a disk that accepts short writes. */
const halfWriter: FileWriter = (fd, buf, off, len) => real(fd, buf, off, Math.max(1, len >> 1));
/** Writes half of the first request, then nothing more fits (write returns 0). */
function halfThenFull(): FileWriter {
  let calls = 0;
  return (fd, buf, off, len) => (calls++ === 0 ? real(fd, buf, off, len >> 1) : 0);
}
/** Writes half and claims it wrote everything: only the size check catches it. */
const lyingWriter: FileWriter = (fd, buf, off, len) => {
  real(fd, buf, off, len >> 1);
  return len;
};
const noTemps = (dir: string) => fs.readdirSync(dir).filter((f) => /\.tmp-/.test(f));

test('writeFileAtomic loops over short writes until every byte is written', () => {
  const dir = tmp();
  const file = path.join(dir, 'a.bin');
  const data = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) % 251);
  writeFileAtomic(file, [data.subarray(0, 3333), data.subarray(3333)], { writer: halfWriter });
  assert.deepEqual(new Uint8Array(fs.readFileSync(file)), data);
  assert.deepEqual(noTemps(dir), []);
  fs.rmSync(dir, { recursive: true });
});

test('writeFileAtomic: a write that stops short, a lying writer and ENOSPC leave the old file intact and no temp file', () => {
  const dir = tmp();
  const file = path.join(dir, 'summary.json');
  fs.writeFileSync(file, 'old content\n');
  const big = Buffer.alloc(5000, 'x');
  const throwsEnospc: FileWriter = () => {
    throw enospc();
  };
  const cases: [FileWriter, string | undefined, RegExp][] = [
    [halfThenFull(), undefined, /^disk full writing .*summary\.json; free space and run again$/],
    [lyingWriter, undefined, /^short write to .*summary\.json: 2500 of 5000 bytes reached the disk; .*previous file is unchanged/],
    [throwsEnospc, 'free space and resume', /^disk full writing .*summary\.json; free space and resume$/],
  ];
  for (const [writer, diskFullFix, re] of cases) {
    assert.throws(() => writeFileAtomic(file, big, { writer, diskFullFix }), oneLine(re));
    assert.equal(fs.readFileSync(file, 'utf8'), 'old content\n');
    assert.deepEqual(fs.readdirSync(dir), ['summary.json'], 'temp file removed');
  }
  fs.rmSync(dir, { recursive: true });
});

test('fsUserError names the file and the fix for the errors a user can fix, and leaves bugs alone', () => {
  const err = (code: string) => Object.assign(new Error(code), { code, path: '/x/y' });
  const cases: [string, RegExp][] = [
    ['ENOSPC', /^disk full writing \/f; free space and run again$/],
    ['EDQUOT', /^disk full writing \/f/],
    ['EACCES', /^cannot write \/f: permission denied on \/x\/y \(EACCES\); fix its permissions/],
    ['EROFS', /read-only file system \(EROFS\); use a path on a writable disk/],
    ['ENOTDIR', /a part of \/x\/y is a file, not a folder \(ENOTDIR\)/],
    ['EISDIR', /it is a folder, not a file \(EISDIR\)/],
    ['EIO', /input\/output error \(EIO\); check the disk/],
  ];
  for (const [code, re] of cases) oneLine(re)(fsUserError(err(code), '/f'));
  assert.equal(fsUserError(new TypeError('a bug'), '/f'), undefined);
  assert.equal(fsUserError(err('EWHATEVER'), '/f'), undefined);
});

test('prepareOutputDir refuses an empty name, a file, a path under a file; creates nested folders', () => {
  const dir = tmp();
  const file = path.join(dir, 'f.txt');
  fs.writeFileSync(file, 'x');
  assert.throws(() => prepareOutputDir(''), oneLine(/^--out is empty: pass a folder name/));
  assert.throws(() => prepareOutputDir(file), oneLine(/^--out .*f\.txt is an existing file, not a folder/));
  assert.throws(() => prepareOutputDir(path.join(file, 'a', 'b')), oneLine(/^--out .*f\.txt[/\\]a[/\\]b cannot be created: .*f\.txt is a file, not a folder/));
  assert.equal(prepareOutputDir(path.join(dir, 'x', 'y')), path.join(dir, 'x', 'y'));
  assert.ok(fs.statSync(path.join(dir, 'x', 'y')).isDirectory());
  fs.rmSync(dir, { recursive: true });
});

test('prepareOutputDir refuses a parent it cannot write into', (t) => {
  const dir = tmp();
  try {
    if (process.getuid?.() === 0) {
      // Root ignores permission bits; a read-only tmpfs refuses root too (skipped where mount is not allowed).
      const ro = path.join(dir, 'ro');
      fs.mkdirSync(ro);
      if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=16k', 'tmpfs', ro]).status !== 0) return t.skip('running as root (permission bits do not apply) and mount -t tmpfs is not allowed here');
      try {
        assert.throws(() => prepareOutputDir(path.join(ro, 'run')), oneLine(/^--out .*ro[/\\]run cannot be created: .*ro is not writable \(EROFS, a read-only file system\)/));
      } finally {
        spawnSync('umount', [ro]);
      }
    } else {
      const locked = path.join(dir, 'locked');
      fs.mkdirSync(locked, { mode: 0o555 });
      assert.throws(() => prepareOutputDir(path.join(locked, 'run')), oneLine(/^--out .*run cannot be created: .*locked is not writable \(EACCES\)/));
      fs.chmodSync(locked, 0o755);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** A finished 3-iteration toy2d-quick run in a new folder. */
async function finishedRun(overrides: PresetOverrides = {}): Promise<string> {
  const dir = tmp();
  const run = await runTraining({ preset: 'toy2d-quick', overrides: { ...SMALL, iterations: 3, ...overrides }, outDir: dir });
  run.dispose();
  return dir;
}
const snapshot = (dir: string) =>
  Object.fromEntries(['metrics.jsonl', 'summary.json', 'checkpoint/latest.ckpt'].map((f) => [f, fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f)).toString('base64') : null]));
const readMetrics = (dir: string) =>
  fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricsRecord);
const readSummary = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as TrainingSummary;

test("a folder holding a run is refused under 'refuse' without touching it; the refusal leaves no lock", async () => {
  const dir = await finishedRun();
  const before = snapshot(dir);
  assert.throws(() => RunFolder.open(dir, 'refuse'), oneLine(/holds another run \(preset toy2d-quick, 3 iterations, completed\): pass --resume to continue it, --force to overwrite it, or another --out/));
  await assert.rejects(runTraining({ preset: 'toy2d-quick', overrides: { ...SMALL, iterations: 3 }, outDir: dir, existingRun: 'refuse' }), oneLine(/holds another run/));
  assert.deepEqual(snapshot(dir), before, 'metrics, summary and checkpoint untouched');
  assert.ok(!fs.existsSync(path.join(dir, '.lock')));
  // An empty folder, or one holding only unrelated files, is not a run.
  const empty = tmp();
  fs.writeFileSync(path.join(empty, 'notes.txt'), 'x');
  RunFolder.open(empty, 'refuse').release();
  fs.rmSync(empty, { recursive: true });
  fs.rmSync(dir, { recursive: true });
});

test('a second run into a locked folder is refused while the lock holder lives; a dead or garbled lock is taken over', async () => {
  const dir = await finishedRun();
  const lock = path.join(dir, '.lock');
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  try {
    fs.writeFileSync(lock, JSON.stringify({ pid: holder.pid, host: os.hostname(), startedAt: 'then' }));
    for (const policy of ['refuse', 'resume', 'overwrite'] as const) {
      assert.throws(() => RunFolder.open(dir, policy), oneLine(new RegExp(`is in use by another dtri run \\(pid ${holder.pid} on .*\\); wait for it to finish or pass another --out`)));
    }
    assert.ok(fs.existsSync(lock), "another run's lock is never removed");
    // A lock from another host cannot be checked: refused too.
    fs.writeFileSync(lock, JSON.stringify({ pid: 1, host: 'elsewhere', startedAt: 'then' }));
    assert.throws(() => RunFolder.open(dir, 'resume'), oneLine(/in use by another dtri run \(pid 1 on elsewhere/));
  } finally {
    holder.kill();
  }
  const dead = spawnSync(process.execPath, ['-e', '']).pid;
  for (const content of [JSON.stringify({ pid: dead, host: os.hostname(), startedAt: 'then' }), '{"pid": 12', '']) {
    fs.writeFileSync(lock, content);
    const folder = RunFolder.open(dir, 'resume');
    assert.equal(JSON.parse(fs.readFileSync(lock, 'utf8')).pid, process.pid);
    folder.release();
    assert.ok(!fs.existsSync(lock), 'released');
  }
  fs.rmSync(dir, { recursive: true });
});

test('temp files of interrupted writes are removed when the folder is taken, with a note; other files stay', async () => {
  const dir = await finishedRun();
  const stale = ['metrics.jsonl.tmp-123', 'summary.json.tmp-4242-7', path.join('checkpoint', 'latest.ckpt.tmp-99-1-2')];
  for (const f of stale) fs.writeFileSync(path.join(dir, f), 'half');
  fs.writeFileSync(path.join(dir, 'plan.tmp'), 'mine');
  const notes: string[] = [];
  const run = await runTraining({ preset: 'toy2d-quick', overrides: { ...SMALL, iterations: 4 }, outDir: dir, resume: true, onNote: (l) => notes.push(l) });
  run.dispose();
  for (const f of stale) {
    assert.ok(!fs.existsSync(path.join(dir, f)), f);
    assert.ok(notes.some((n) => n === `removed ${path.join(dir, f)}, left by an interrupted write`), `note for ${f}`);
  }
  assert.ok(fs.existsSync(path.join(dir, 'plan.tmp')));
  fs.rmSync(dir, { recursive: true });
});

test('checkResumeChanges refuses identity keys and notes schedule keys', () => {
  const rec = resolvePreset('toy2d-quick', SMALL);
  const identity: PresetOverrides[] = [{ method: 'vae' }, { width: 2 }, { latentDim: 3 }, { dataset: 'toy2d-grid25' }, { seed: 7 }, { hidden: [16, 16] }, { batchSize: 32 }];
  for (const change of identity) {
    const [k, v] = Object.entries(change)[0];
    assert.throws(() => checkResumeChanges(rec, resolvePreset('toy2d-quick', { ...SMALL, ...change }), 'c.ckpt'), oneLine(new RegExp(`^cannot resume with ${k}=${String(v)}: c\\.ckpt was trained with ${k}=.*; resume without changing ${k}, or start a new run in another --out folder$`)));
  }
  assert.deepEqual(checkResumeChanges(rec, resolvePreset('toy2d-quick', { ...SMALL, iterations: 9000, lrGen: 0.0005, logEvery: 5 }), 'c.ckpt'), ['iterations 4000 → 9000', 'lrGen 0.001 → 0.0005', 'logEvery 1 → 5']);
  assert.deepEqual(checkResumeChanges(rec, rec, 'c.ckpt'), []);
});

test('runTraining --resume refuses method, width, latentDim, dataset and seed changes without touching the folder; allows iterations and learning rates with a note', async () => {
  const dir = await finishedRun();
  const before = snapshot(dir);
  const resume = (overrides: PresetOverrides, seed?: number) => runTraining({ preset: 'toy2d-quick', overrides, outDir: dir, resume: true, ...(seed !== undefined ? { seed } : {}) });
  await assert.rejects(resume({ method: 'vae' }), oneLine(/^cannot resume with method=vae: .*latest\.ckpt was trained with method=triangle/));
  await assert.rejects(resume({ width: 2 }), oneLine(/^cannot resume with width=2: .* was trained with width=1/));
  await assert.rejects(resume({ latentDim: 4 }), oneLine(/^cannot resume with latentDim=4: .* was trained with latentDim=2/));
  await assert.rejects(resume({ dataset: 'toy2d-grid25' }), oneLine(/^cannot resume with dataset=toy2d-grid25: .* was trained with dataset=toy2d-ring8/));
  await assert.rejects(resume({}, 7), oneLine(new RegExp(`^cannot resume with seed=7: .* was trained with seed=${PRESETS['toy2d-quick'].seed}`)));
  await assert.rejects(resume({ seed: 7 }), oneLine(/^cannot resume with seed=7/));
  assert.deepEqual(snapshot(dir), before, 'refused resumes change nothing');
  const notes: string[] = [];
  const tensors = tf.memory().numTensors;
  const run = await runTraining({ preset: 'toy2d-quick', overrides: { iterations: 5, lrGen: 0.0005 }, outDir: dir, resume: true, onNote: (l) => notes.push(l) });
  assert.deepEqual(notes, ['resuming from iteration 3 with changed schedule: iterations 3 → 5, lrGen 0.001 → 0.0005']);
  assert.equal(run.summary.resumedFrom, 3);
  assert.deepEqual(run.summary.resumeChanges, ['iterations 3 → 5', 'lrGen 0.001 → 0.0005']);
  assert.equal(run.preset.lrGen, 0.0005);
  run.dispose();
  assert.equal(tf.memory().numTensors, tensors);
  assert.deepEqual(readMetrics(dir).map((r) => r.iteration), [1, 2, 3, 4, 5]);
  fs.rmSync(dir, { recursive: true });
});

/** Fails every write with ENOSPC once `armed.on` is set. */
function armedEnospc(): { on: boolean; writer: FileWriter } {
  const armed = {
    on: false,
    writer: ((fd, buf, off, len) => {
      if (armed.on) throw enospc();
      return real(fd, buf, off, len);
    }) as FileWriter,
  };
  return armed;
}

for (const [what, fault] of [
  ['ENOSPC', 'enospc'],
  ['a write that stops short', 'short'],
] as const) {
  test(`${what} on the final checkpoint: the run fails in one line, is not 'completed', and the previous checkpoint still loads and resumes`, async () => {
    const dir = await finishedRun();
    const file = path.join(dir, 'checkpoint', 'latest.ckpt');
    const good = fs.readFileSync(file);
    const armed = armedEnospc();
    let stops = 0;
    const writer: FileWriter = fault === 'enospc' ? armed.writer : (fd, buf, off, len) => (armed.on ? (stops++ === 0 ? real(fd, buf, off, len >> 1) : 0) : real(fd, buf, off, len));
    const tensors = tf.memory().numTensors;
    await assert.rejects(
      runTraining({
        preset: 'toy2d-quick',
        overrides: { iterations: 6 },
        outDir: dir,
        resume: true,
        writer,
        // Metrics of iteration 6 are written before this callback: only the checkpoint write fails.
        callbacks: { onIteration: ({ iteration }) => void (iteration === 6 && (armed.on = true)) },
      }),
      oneLine(/^disk full writing .*latest\.ckpt; free space and resume with --resume$/),
    );
    assert.equal(tf.memory().numTensors, tensors);
    assert.ok(!fs.existsSync(path.join(dir, 'summary.json')), 'no summary: the session did not finish (the earlier "completed" is gone)');
    assert.deepEqual(fs.readFileSync(file), good, 'previous checkpoint byte-identical');
    assert.deepEqual(noTemps(path.join(dir, 'checkpoint')), []);
    assert.equal(readCheckpointFile<TrainingCheckpointMeta>(file).meta.iteration, 3);
    const run = await runTraining({ preset: 'toy2d-quick', overrides: { iterations: 6 }, outDir: dir, resume: true });
    assert.equal(run.summary.resumedFrom, 3);
    assert.equal(run.summary.status, 'completed');
    run.dispose();
    assert.deepEqual(readMetrics(dir).map((r) => r.iteration), [1, 2, 3, 4, 5, 6], 'the failed session\'s lines 4..6 were dropped on resume');
    fs.rmSync(dir, { recursive: true });
  });
}

test('ENOSPC on a metrics line stops the run in one line; summary.json is not written', async () => {
  const dir = tmp();
  const armed = armedEnospc();
  await assert.rejects(
    runTraining({ preset: 'toy2d-quick', overrides: { ...SMALL, iterations: 6 }, outDir: dir, writer: armed.writer, callbacks: { onIteration: ({ iteration }) => void (iteration === 2 && (armed.on = true)) } }),
    oneLine(/^disk full writing .*metrics\.jsonl; free space and resume with --resume$/),
  );
  assert.ok(!fs.existsSync(path.join(dir, 'summary.json')));
  assert.deepEqual(readMetrics(dir).map((r) => r.iteration), [1, 2]);
  assert.ok(!fs.existsSync(path.join(dir, '.lock')), 'the lock is released on failure');
  fs.rmSync(dir, { recursive: true });
});

test('a real full disk (a 64 KiB tmpfs): nothing touched when even the lock does not fit; no "completed" when the checkpoint does not; the last good checkpoint loads and resumes', async (t) => {
  const mnt = tmp();
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]).status !== 0) {
    fs.rmSync(mnt, { recursive: true });
    return t.skip('mount -t tmpfs is not allowed here (needs root); the injected-ENOSPC tests above cover the same paths');
  }
  try {
    const dir = path.join(mnt, 'run');
    const first = await runTraining({ preset: 'toy2d-quick', overrides: { ...SMALL, iterations: 3 }, outDir: dir });
    first.dispose();
    const file = path.join(dir, 'checkpoint', 'latest.ckpt');
    const good = fs.readFileSync(file);
    assert.ok(good.length > 8192, `the checkpoint (${good.length} bytes) must not fit in the two pages freed below`);
    const before = snapshot(dir);
    // Fill what is left of the disk.
    const filler = path.join(mnt, 'filler');
    const fd = fs.openSync(filler, 'w');
    const block = Buffer.alloc(1024, 1);
    try {
      for (;;) fs.writeSync(fd, block);
    } catch (e) {
      assert.equal((e as { code?: string }).code, 'ENOSPC');
    } finally {
      fs.closeSync(fd);
    }
    const resume = () => runTraining({ preset: 'toy2d-quick', overrides: { iterations: 6 }, outDir: dir, resume: true });
    const tensors = tf.memory().numTensors;
    await assert.rejects(resume(), oneLine(/^disk full writing .*[/\\]\.lock; free space and run again$/));
    assert.deepEqual(snapshot(dir), before, 'a disk too full for the lock: the folder is untouched');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['checkpoint', 'metrics.jsonl', 'summary.json']);
    // Two 4 KiB pages: the lock and the metrics fit, the checkpoint does not.
    fs.truncateSync(filler, fs.statSync(filler).size - 8192);
    await assert.rejects(resume(), oneLine(/^disk full writing .*latest\.ckpt; free space and resume with --resume$/));
    assert.equal(tf.memory().numTensors, tensors);
    assert.ok(!fs.existsSync(path.join(dir, 'summary.json')), 'no summary: the session did not finish');
    assert.deepEqual(fs.readFileSync(file), good);
    assert.deepEqual([...noTemps(dir), ...noTemps(path.join(dir, 'checkpoint'))], []);
    assert.equal(readCheckpointFile<TrainingCheckpointMeta>(file).meta.iteration, 3);
    fs.rmSync(filler);
    const run = await resume();
    assert.equal(run.summary.status, 'completed');
    assert.equal(run.summary.resumedFrom, 3);
    assert.equal(readSummary(dir).iterations, 6);
    run.dispose();
  } finally {
    spawnSync('umount', [mnt]);
    fs.rmSync(mnt, { recursive: true, force: true });
  }
});
