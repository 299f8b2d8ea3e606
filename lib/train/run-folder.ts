/**
 * The one owner of a run folder: where its files live, the lock that keeps two runs out of one folder,
 * the refusal of a folder that holds another run, and every write into it (metrics.jsonl appended,
 * truncated by an atomic rewrite; summary.json and checkpoints written atomically).
 *
 *   DIR/.lock                   {"pid", "host", "startedAt"}, created with O_EXCL; a dead pid's lock is taken over
 *   DIR/metrics.jsonl           one JSON line per logged iteration
 *   DIR/summary.json            written at the end of every session
 *   DIR/checkpoint/latest.ckpt  lib/train/checkpoint.ts
 *
 * Atomic write (writeFileAtomic): a temp file beside the target (NAME.tmp-PID-N, opened O_EXCL), every
 * byte written in a loop, its size checked with fstat, fsync, rename over the target, fsync of the folder.
 * A crash, a full disk or a short write leaves the previous file untouched; the temp file is removed, or
 * cleaned up by the next run that takes the folder's lock.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError, isUserError } from '../errors';
import type { PresetKey, TrainPreset } from './presets';

export const CHECKPOINT_FILE = 'latest.ckpt';
const LOCK_FILE = '.lock';
/** NAME.tmp-PID or NAME.tmp-PID-N (older runners wrote the first form). */
const TEMP_RE = /\.tmp-\d+(-\d+)*$/;

/** `fs.writeSync`'s signature: returns the bytes written, which may be fewer than asked. */
export type FileWriter = (fd: number, buf: Uint8Array, offset: number, length: number) => number;

const defaultWriter: FileWriter = (fd, buf, offset, length) => fs.writeSync(fd, buf, offset, length);

export interface AtomicWriteOptions {
  /** Replaces fs.writeSync (fault injection in tests: short writes, ENOSPC). */
  writer?: FileWriter;
  /** The fix a full disk's message names (default: "free space and run again"). */
  diskFullFix?: string;
}

function errno(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

/**
 * A file-system error as a one-line UserError naming `file` and the fix, or undefined when `e` is not
 * one a user can fix (then it stays a bug with its stack).
 */
export function fsUserError(e: unknown, file: string, action: 'write' | 'read' | 'create' | 'access' = 'write', diskFullFix = 'free space and run again'): UserError | undefined {
  if (isUserError(e)) return e;
  const code = errno(e);
  const where = (e as { path?: string }).path ?? file;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new UserError(`disk full writing ${file}; ${diskFullFix}`);
    case 'EACCES':
    case 'EPERM':
      return new UserError(`cannot ${action} ${file}: permission denied on ${where} (${code}); fix its permissions (chmod/chown) or use another path`);
    case 'EROFS':
      return new UserError(`cannot ${action} ${file}: ${where} is on a read-only file system (EROFS); use a path on a writable disk`);
    case 'ENOTDIR':
      return new UserError(`cannot ${action} ${file}: a part of ${where} is a file, not a folder (ENOTDIR); use a path under a folder`);
    case 'EISDIR':
      return new UserError(`cannot ${action} ${file}: it is a folder, not a file (EISDIR); pass the file inside it or another path`);
    case 'ENOENT':
      return new UserError(`cannot ${action} ${file}: ${where} does not exist (ENOENT); check the path`);
    case 'EMFILE':
    case 'ENFILE':
      return new UserError(`cannot ${action} ${file}: too many open files (${code}); close other programs or raise ulimit -n`);
    case 'EIO':
      return new UserError(`cannot ${action} ${file}: input/output error (EIO); check the disk`);
    default:
      return undefined;
  }
}

function rethrow(e: unknown, file: string, action: 'write' | 'read' | 'create' | 'access', diskFullFix?: string): never {
  throw fsUserError(e, file, action, diskFullFix) ?? e;
}

let tempCounter = 0;

/** fsync of a folder, so a rename in it survives a power cut (not supported everywhere: then skipped). */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (e) {
    if (!['EISDIR', 'EINVAL', 'EPERM', 'EBADF', 'ENOTSUP'].includes(errno(e) ?? '')) throw e;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Writes every byte of `parts` to `fd`, looping over short writes.
 * @throws an ENOSPC error when `write` returns 0 (nothing more fits: a full disk that reports no error)
 */
function writeAll(fd: number, parts: readonly Uint8Array[], write: FileWriter): void {
  for (const part of parts) {
    for (let off = 0; off < part.byteLength; ) {
      const n = write(fd, part, off, Math.min(part.byteLength - off, 1 << 30));
      if (!(n > 0)) throw Object.assign(new Error(`short write: 0 of ${part.byteLength - off} bytes`), { code: 'ENOSPC' });
      off += n;
    }
  }
}

/**
 * Writes `parts` (concatenated) to `file` atomically; see the module comment.
 * @throws UserError on a full disk, a permission problem or a short write, with the previous file intact
 */
export function writeFileAtomic(file: string, parts: Uint8Array | readonly Uint8Array[], opts: AtomicWriteOptions = {}): void {
  const list = parts instanceof Uint8Array ? [parts] : parts;
  const write = opts.writer ?? defaultWriter;
  const expected = list.reduce((a, p) => a + p.byteLength, 0);
  const dir = path.dirname(file);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    rethrow(e, file, 'create', opts.diskFullFix);
  }
  const tmp = `${file}.tmp-${process.pid}-${++tempCounter}`;
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx');
    writeAll(fd, list, write);
    const size = fs.fstatSync(fd).size;
    if (size !== expected) throw new UserError(`short write to ${file}: ${size} of ${expected} bytes reached the disk; check free space and the disk, then run again (the previous file is unchanged)`);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing; the first error is the one to report
      }
    }
    fs.rmSync(tmp, { force: true });
    rethrow(e, file, 'write', opts.diskFullFix);
  }
  fsyncDir(dir);
}

/** Text or JSON (pretty, newline-terminated) written atomically. */
export function writeJsonAtomic(file: string, value: unknown, opts: AtomicWriteOptions = {}): void {
  writeFileAtomic(file, Buffer.from(JSON.stringify(value, null, 2) + '\n', 'utf8'), opts);
}

/**
 * Checks that `dir` can be a run or output folder and creates it: not empty, not a file, not under a
 * file, in a writable place.
 * @param flag how the user passed it, for the messages (e.g. '--out')
 * @returns the absolute path
 */
export function prepareOutputDir(dir: string, flag = '--out'): string {
  if (dir.trim() === '') throw new UserError(`${flag} is empty: pass a folder name, e.g. ${flag} runs/my-run`);
  const abs = path.resolve(dir);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(abs);
  } catch (e) {
    if (errno(e) !== 'ENOENT' && errno(e) !== 'ENOTDIR') rethrow(e, abs, 'create');
  }
  if (st && !st.isDirectory()) throw new UserError(`${flag} ${abs} is an existing file, not a folder: pass a new folder name or the folder that holds the run`);
  if (!st) {
    // The nearest existing ancestor must be a writable folder.
    let up = path.dirname(abs);
    for (;;) {
      let s: fs.Stats | undefined;
      try {
        s = fs.statSync(up);
      } catch {
        s = undefined;
      }
      if (s) {
        if (!s.isDirectory()) throw new UserError(`${flag} ${abs} cannot be created: ${up} is a file, not a folder; pass ${flag} under a folder`);
        break;
      }
      const next = path.dirname(up);
      if (next === up) break;
      up = next;
    }
    try {
      fs.mkdirSync(abs, { recursive: true });
    } catch (e) {
      // A recursive mkdir on a read-only file system reports ENOENT: ask the nearest existing folder instead.
      let code = errno(e);
      try {
        fs.accessSync(up, fs.constants.W_OK);
      } catch (e2) {
        code = errno(e2) ?? code;
      }
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
        throw new UserError(`${flag} ${abs} cannot be created: ${up} is not writable (${code}${code === 'EROFS' ? ', a read-only file system' : ''}); pass ${flag} in a folder you can write, or fix its permissions`);
      }
      rethrow(e, abs, 'create');
    }
  }
  try {
    fs.accessSync(abs, fs.constants.W_OK | fs.constants.X_OK);
  } catch (e) {
    if (errno(e) === 'EACCES' || errno(e) === 'EPERM' || errno(e) === 'EROFS') {
      throw new UserError(`${flag} ${abs} is not writable (${errno(e)}): fix its permissions or pass another ${flag}`);
    }
    rethrow(e, abs, 'write');
  }
  return abs;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errno(e) === 'EPERM'; // exists, owned by someone else
  }
}

interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
}

/** What an existing run folder holds, read from its summary (or metrics when it has no summary). */
export interface ExistingRun {
  preset?: string;
  iterations?: number;
  status?: string;
  hasCheckpoint: boolean;
}

/** How a run treats a folder that already holds a run. */
export type ExistingRunPolicy = 'refuse' | 'resume' | 'overwrite';

/**
 * A locked run folder. `RunFolder.open` validates the path, takes the lock, removes stale temp files and
 * refuses a folder holding another run when the policy is 'refuse'. Nothing of an old run is changed
 * until `begin`, which the runner calls once the data, networks and any checkpoint have loaded.
 * `release` (always, in a finally) removes the lock.
 */
export class RunFolder {
  readonly metricsFile: string;
  readonly summaryFile: string;
  readonly checkpointFile: string;
  readonly lockFile: string;
  /** Temp files of interrupted writes removed when the folder was opened. */
  readonly cleaned: string[];
  private released = false;

  private constructor(
    readonly dir: string,
    cleaned: string[],
    /** Fault injection for tests (short writes, ENOSPC); used for every file the run writes. */
    readonly writer: FileWriter | undefined,
  ) {
    this.metricsFile = path.join(dir, 'metrics.jsonl');
    this.summaryFile = path.join(dir, 'summary.json');
    this.checkpointFile = path.join(dir, 'checkpoint', CHECKPOINT_FILE);
    this.lockFile = path.join(dir, LOCK_FILE);
    this.cleaned = cleaned;
  }

  /**
   * @param policy 'refuse': a folder holding a run is a UserError (dtri train without --resume/--force);
   *   'resume': continue it; 'overwrite': replace it (at `begin`)
   * @param opts.flag how the user named the folder, for messages (default '--out')
   * @param opts.writer replaces fs.writeSync for every file of the run (fault injection in tests)
   */
  static open(dir: string, policy: ExistingRunPolicy, opts: { flag?: string; writer?: FileWriter } = {}): RunFolder {
    const flag = opts.flag ?? '--out';
    const abs = prepareOutputDir(dir, flag);
    const lockFile = path.join(abs, LOCK_FILE);
    takeLock(lockFile, abs);
    try {
      const cleaned = removeStaleTemps(abs);
      const folder = new RunFolder(abs, cleaned, opts.writer);
      if (policy === 'refuse') {
        const existing = folder.existingRun();
        if (existing) {
          const what = [existing.preset && `preset ${existing.preset}`, existing.iterations !== undefined && `${existing.iterations} iterations`, existing.status].filter(Boolean).join(', ');
          throw new UserError(`${abs} holds another run (${what || 'metrics or a checkpoint'}): pass --resume to continue it, --force to overwrite it, or another ${flag}`);
        }
      }
      return folder;
    } catch (e) {
      fs.rmSync(lockFile, { force: true });
      throw e;
    }
  }

  /** The run this folder already holds, or undefined when it holds none. */
  existingRun(): ExistingRun | undefined {
    const hasCheckpoint = fs.existsSync(this.checkpointFile);
    const metrics = fs.existsSync(this.metricsFile) && fs.statSync(this.metricsFile).size > 0;
    const summary = fs.existsSync(this.summaryFile);
    if (!hasCheckpoint && !metrics && !summary) return undefined;
    const out: ExistingRun = { hasCheckpoint };
    if (summary) {
      try {
        const s = JSON.parse(fs.readFileSync(this.summaryFile, 'utf8')) as { preset?: string; iterations?: number; status?: string };
        Object.assign(out, { preset: s.preset, iterations: s.iterations, status: s.status });
      } catch {
        // a damaged summary still means the folder holds a run
      }
    }
    return out;
  }

  /**
   * The point of no return: the run is known to proceed. The old summary is removed (a folder without one
   * holds an unfinished session, so a session that dies, e.g. on a full disk, never leaves "completed"
   * behind). Resuming keeps metrics.jsonl's lines up to `resumeFrom`; a new run empties it and removes the
   * old checkpoint. Metrics by an atomic rewrite.
   */
  begin(resumeFrom: number | null): void {
    for (const f of resumeFrom === null ? [this.summaryFile, this.checkpointFile] : [this.summaryFile]) {
      try {
        fs.rmSync(f, { force: true });
      } catch (e) {
        rethrow(e, f, 'write');
      }
    }
    this.truncateMetrics(resumeFrom ?? 0);
  }

  /** Options for writeFileAtomic / writeCheckpointFile of this run's files. */
  writeOptions(diskFullFix: string): AtomicWriteOptions {
    return { diskFullFix, ...(this.writer ? { writer: this.writer } : {}) };
  }

  /** Keeps the metrics lines with iteration ≤ upTo (and drops unparsable ones, e.g. a line cut by a crash). */
  truncateMetrics(upTo: number): void {
    let text = '';
    try {
      text = fs.readFileSync(this.metricsFile, 'utf8');
    } catch (e) {
      if (errno(e) !== 'ENOENT') rethrow(e, this.metricsFile, 'read');
    }
    const keep = text.split('\n').filter((line) => {
      if (!line.trim()) return false;
      try {
        return (JSON.parse(line) as { iteration: number }).iteration <= upTo;
      } catch {
        return false;
      }
    });
    writeFileAtomic(this.metricsFile, Buffer.from(keep.length ? keep.join('\n') + '\n' : '', 'utf8'), this.writeOptions('free space and run again'));
  }

  /** Appends one metrics line; a line cut short by a full disk is dropped by the next truncateMetrics. */
  appendMetrics(record: Record<string, unknown>): void {
    let fd: number | undefined;
    try {
      fd = fs.openSync(this.metricsFile, 'a');
      writeAll(fd, [Buffer.from(JSON.stringify(record) + '\n', 'utf8')], this.writer ?? defaultWriter);
    } catch (e) {
      rethrow(e, this.metricsFile, 'write', 'free space and resume with --resume');
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  writeSummary(summary: unknown): void {
    writeJsonAtomic(this.summaryFile, summary, this.writeOptions('free space and resume with --resume'));
  }

  /** Removes the lock (idempotent; only when it is still this process's). */
  release(): void {
    if (this.released) return;
    this.released = true;
    try {
      const info = JSON.parse(fs.readFileSync(this.lockFile, 'utf8')) as LockInfo;
      if (info.pid === process.pid) fs.rmSync(this.lockFile, { force: true });
    } catch {
      // gone already
    }
  }
}

function takeLock(lockFile: string, dir: string): void {
  const info: LockInfo = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(lockFile, 'wx');
      let written = false;
      try {
        fs.writeSync(fd, JSON.stringify(info) + '\n');
        written = true;
      } finally {
        fs.closeSync(fd);
        if (!written) fs.rmSync(lockFile, { force: true }); // e.g. a full disk: leave no empty lock behind
      }
      return;
    } catch (e) {
      if (errno(e) !== 'EEXIST') {
        if (errno(e) === 'EACCES' || errno(e) === 'EPERM' || errno(e) === 'EROFS') throw new UserError(`${dir} is not writable (${errno(e)}): fix its permissions or pass another --out`);
        rethrow(e, lockFile, 'create');
      }
    }
    let held: LockInfo | undefined;
    try {
      held = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as LockInfo;
    } catch {
      held = undefined; // empty or half-written: its writer died between open and write
    }
    const alive = held !== undefined && Number.isInteger(held.pid) && (held.host !== os.hostname() || pidAlive(held.pid));
    if (alive) {
      throw new UserError(`${dir} is in use by another dtri run (pid ${held!.pid} on ${held!.host}, since ${held!.startedAt}); wait for it to finish or pass another --out (if that process is gone, delete ${lockFile})`);
    }
    fs.rmSync(lockFile, { force: true }); // a dead run's lock: take it over
  }
  throw new UserError(`could not take the lock ${lockFile}: another run keeps creating it; pass another --out`);
}

function removeStaleTemps(dir: string): string[] {
  const removed: string[] = [];
  for (const d of [dir, path.join(dir, 'checkpoint')]) {
    let names: string[];
    try {
      names = fs.readdirSync(d);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!TEMP_RE.test(name)) continue;
      const f = path.join(d, name);
      // The lock is held, so no other run writes here: every temp file is left from an interrupted write.
      fs.rmSync(f, { force: true });
      removed.push(f);
    }
  }
  return removed;
}

/**
 * What a resumed run may change. 'identity': the checkpoint's networks, data or random streams depend on
 * it (a change would load weights into another model, or record a run that never happened); 'schedule':
 * how training continues from here (length, optimizer, objective weights, logging), allowed with a note.
 */
export const RESUME_RULES: { readonly [K in PresetKey]-?: 'identity' | 'schedule' } = {
  name: 'identity',
  scale: 'identity',
  description: 'schedule',
  method: 'identity',
  dataset: 'identity',
  dataLimit: 'identity',
  imageSize: 'identity',
  classes: 'identity',
  arch: 'identity',
  width: 'identity',
  latentDim: 'identity',
  hidden: 'identity',
  energyForm: 'identity',
  batchNorm: 'identity',
  spectralNorm: 'identity',
  // The iteration → (epoch, batch) mapping, and so every later batch and the epoch's learning-rate decay.
  batchSize: 'identity',
  epochs: 'schedule',
  iterations: 'schedule',
  generatorSteps: 'schedule',
  noisySamples: 'schedule',
  lrEbm: 'schedule',
  lrGen: 'schedule',
  lrInf: 'schedule',
  beta1: 'schedule',
  beta2: 'schedule',
  lrDecay: 'schedule',
  weightDecayEbm: 'schedule',
  weightDecayGen: 'schedule',
  weightDecayInf: 'schedule',
  clipNorm: 'schedule',
  scaling: 'schedule',
  sigma: 'schedule',
  klReduction: 'schedule',
  latentNllWeight: 'schedule',
  inferenceRule: 'schedule',
  acdEntropy: 'schedule',
  acdEntropyWeight: 'schedule',
  acdReferenceStd: 'schedule',
  langevinSteps: 'schedule',
  langevinDelta: 'schedule',
  // The persistent per-example z is part of the checkpointed state.
  abpPersistent: 'identity',
  occlusion: 'identity',
  // Recovery's refill count: read after training, not part of the checkpointed state.
  occlusionRefills: 'schedule',
  // Progressive growing: the stage and α of every iteration, and so the networks and the stage's optimizer a checkpoint holds.
  maxSize: 'identity',
  stableIterations: 'identity',
  fadeIterations: 'identity',
  checkpointEvery: 'schedule',
  logEvery: 'schedule',
  seed: 'identity',
};

const show = (v: unknown) => (v === undefined ? 'default' : Array.isArray(v) ? v.join(',') || '[]' : String(v));

/**
 * Compares the preset a resumed run asks for with the one its checkpoint recorded.
 * @returns one note per changed schedule key ("lrGen 0.0003 → 0.0001")
 * @throws UserError for the first changed identity key, naming it and the recorded value
 */
export function checkResumeChanges(recorded: TrainPreset, requested: TrainPreset, file: string): string[] {
  const notes: string[] = [];
  const a = recorded as unknown as Record<string, unknown>;
  const b = requested as unknown as Record<string, unknown>;
  for (const [key, rule] of Object.entries(RESUME_RULES)) {
    if (JSON.stringify(a[key]) === JSON.stringify(b[key])) continue;
    if (rule === 'identity') {
      throw new UserError(`cannot resume with ${key}=${show(b[key])}: ${file} was trained with ${key}=${show(a[key])}; resume without changing ${key}, or start a new run in another --out folder`);
    }
    notes.push(`${key} ${show(a[key])} → ${show(b[key])}`);
  }
  return notes;
}
