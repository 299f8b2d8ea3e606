/**
 * Checkpoint files: one file, written atomically (lib/train/run-folder.ts writeFileAtomic: every byte
 * written and counted, fsync, rename, fsync of the folder), so a crash, a full disk or a diverging run
 * never leaves a half-written or NaN checkpoint where the last good one was.
 *
 * Layout: "DTRICKPT" (8 bytes) · header length (uint32 LE) · JSON header · zero padding to 8 bytes ·
 * raw little-endian tensor data at the offsets the header lists. The header holds everything that
 * is not a tensor (preset, seed, iteration, epoch, optimizer steps), so `loadTrainedModels` can
 * rebuild the networks from the file alone. Version 2 adds the SHA-256 of every tensor's bytes and the
 * data length, checked on load; version 1 files (no checksums) still load.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import type { ModelOptions } from '../models/architectures';
import { loadModuleState, moduleState, type ModuleState } from '../models/state';
import type { Module } from '../models/types';
import { NonFiniteError } from './optimizer';
import type { TrainPreset } from './presets';
import { CHECKPOINT_FILE, fsUserError, writeFileAtomic, type AtomicWriteOptions } from './run-folder';
import type { Trainer } from './trainer';

export { CHECKPOINT_FILE };

const MAGIC = 'DTRICKPT';
const VERSION = 2;
const DTYPES = ['float32', 'int32'] as const;

export type CheckpointDType = 'float32' | 'int32';

/** A tensor as stored: shape, dtype and a copy of its values. */
export interface StoredTensor {
  shape: number[];
  dtype: CheckpointDType;
  data: Float32Array | Int32Array;
}

interface TensorEntry {
  name: string;
  shape: number[];
  dtype: CheckpointDType;
  offset: number;
  length: number;
  /** SHA-256 (hex) of the tensor's bytes; version 2 on. */
  sha256?: string;
}

interface FileHeader<M> {
  format: 'dtri-checkpoint';
  version: 1 | 2;
  meta: M;
  tensors: TensorEntry[];
  /** Bytes of tensor data after the padded header; version 2 on. */
  dataBytes?: number;
}

function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

function bytesOf(t: StoredTensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/**
 * Writes `meta` and `tensors` to `file` atomically.
 * @param opts.writer fault injection (short writes, ENOSPC) for tests
 * @throws NonFiniteError if any float tensor holds NaN/Inf (a diverged model is never written)
 * @throws UserError on a full disk or a short write (the previous file stays intact)
 */
export function writeCheckpointFile<M>(file: string, meta: M, tensors: Map<string, StoredTensor>, opts: AtomicWriteOptions = {}): void {
  const entries: TensorEntry[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (t.dtype === 'float32') {
      for (let i = 0; i < t.data.length; i++) {
        if (!Number.isFinite(t.data[i])) throw new NonFiniteError(`checkpoint refused: tensor ${name}`, t.data[i]);
      }
    }
    entries.push({ name, shape: t.shape, dtype: t.dtype, offset, length: t.data.length, sha256: sha256(bytesOf(t)) });
    offset += t.data.length * 4;
  }
  const header: FileHeader<M> = { format: 'dtri-checkpoint', version: VERSION, meta, tensors: entries, dataBytes: offset };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const headEnd = 12 + json.length;
  const dataStart = Math.ceil(headEnd / 8) * 8;
  const head = Buffer.alloc(dataStart);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(json.length, 8);
  json.copy(head, 12);
  // The tensors are written from their own buffers, without a second copy of the whole model.
  writeFileAtomic(file, [head, ...[...tensors.values()].map(bytesOf)], { diskFullFix: 'free space and --resume', ...opts });
}

function validHeader(h: unknown): h is FileHeader<unknown> {
  if (typeof h !== 'object' || h === null) return false;
  const x = h as FileHeader<unknown>;
  const nat = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  return (
    Array.isArray(x.tensors) &&
    typeof x.meta === 'object' &&
    x.meta !== null &&
    x.tensors.every(
      (e) =>
        typeof e === 'object' &&
        e !== null &&
        typeof e.name === 'string' &&
        Array.isArray(e.shape) &&
        e.shape.every(nat) &&
        (DTYPES as readonly string[]).includes(e.dtype) &&
        nat(e.offset) &&
        nat(e.length) &&
        e.shape.reduce((a: number, b: number) => a * b, 1) === e.length &&
        (e.sha256 === undefined || typeof e.sha256 === 'string'),
    )
  );
}

/**
 * Reads a file written by writeCheckpointFile. Missing, unreadable, truncated or corrupted files (a
 * tensor whose bytes do not match its checksum) are one-line UserErrors naming the file.
 */
export function readCheckpointFile<M>(file: string): { meta: M; tensors: Map<string, StoredTensor> } {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT' || (e as { code?: string }).code === 'ENOTDIR') {
      throw new UserError(`checkpoint not found at ${file}: pass a run folder (with checkpoint/${CHECKPOINT_FILE}) or the .ckpt file itself`);
    }
    throw fsUserError(e, file, 'read') ?? e;
  }
  if (st.isDirectory()) throw new UserError(`checkpoint ${file} is a folder, not a file: pass the run folder that holds checkpoint/${CHECKPOINT_FILE}, or the .ckpt file itself`);
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw fsUserError(e, file, 'read') ?? e;
  }
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) {
    throw new UserError(`${file} is not a divergence-triangle checkpoint (bad magic bytes); pass a file written by dtri train`);
  }
  const n = buf.readUInt32LE(8);
  if (12 + n > buf.length) throw new UserError(`${file} is truncated inside its header (${n} header bytes, file has ${buf.length - 12}); resume from another checkpoint or re-run training`);
  let header: unknown;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + n));
  } catch {
    throw new UserError(`${file} has a corrupt header (not JSON); resume from another checkpoint or re-run training`);
  }
  const h = header as FileHeader<M>;
  if (typeof h !== 'object' || h === null || h.format !== 'dtri-checkpoint') throw new UserError(`${file} has a corrupt header (no dtri-checkpoint format field); re-run training or use another checkpoint`);
  if (h.version !== 1 && h.version !== 2) {
    throw new UserError(`${file} has unsupported checkpoint format v${String(h.version)}; this library reads v1 and v2 (a newer dtri wrote it: update this checkout)`);
  }
  if (!validHeader(h)) throw new UserError(`${file} has a malformed header (tensor list or meta missing or mistyped); re-run training or use another checkpoint`);
  const dataStart = Math.ceil((12 + n) / 8) * 8;
  if (h.version === 2 && (h.dataBytes === undefined || buf.length !== dataStart + h.dataBytes)) {
    throw new UserError(`${file} is truncated or has trailing bytes (${buf.length} bytes, header says ${dataStart + (h.dataBytes ?? 0)}); resume from another checkpoint or re-run training`);
  }
  const tensors = new Map<string, StoredTensor>();
  for (const e of h.tensors) {
    const start = dataStart + e.offset;
    const end = start + e.length * 4;
    if (end > buf.length) throw new UserError(`${file} is truncated (tensor ${e.name} ends past the file); re-run training`);
    // Copy into a fresh, aligned buffer.
    const bytes = new Uint8Array(buf.subarray(start, end));
    if (h.version >= 2 && (e.sha256 === undefined || sha256(bytes) !== e.sha256)) {
      throw new UserError(`${file} is corrupted: tensor ${e.name} does not match its checksum; resume from another checkpoint or re-run training`);
    }
    const data = e.dtype === 'int32' ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
    tensors.set(e.name, { shape: e.shape, dtype: e.dtype, data });
  }
  return { meta: h.meta, tensors };
}

/**
 * The checkpoint file for a path that may be a run folder (…/run), its checkpoint folder
 * (…/run/checkpoint) or the file itself.
 */
export function resolveCheckpointPath(p: string): string {
  if (fs.existsSync(p) && fs.statSync(p).isDirectory()) {
    const inDir = path.join(p, CHECKPOINT_FILE);
    if (fs.existsSync(inDir)) return inDir;
    const inRun = path.join(p, 'checkpoint', CHECKPOINT_FILE);
    if (fs.existsSync(inRun)) return inRun;
    throw new UserError(`no checkpoint in ${p}: expected ${inDir} or ${inRun} (train first with dtri train)`);
  }
  return p;
}

/** Everything in a training checkpoint besides tensors. */
export interface TrainingCheckpointMeta {
  /** The resolved preset (overrides applied). */
  preset: TrainPreset;
  /** Options the networks were built with (lib/models ModelOptions), so they can be rebuilt. */
  modelOptions: ModelOptions;
  seed: number;
  /** Iterations completed. */
  iteration: number;
  epoch: number;
  /** Trainable and buffer variable names per module, in Module order. */
  modules: Record<string, { trainable: string[]; buffers: string[] }>;
  /** Adam step, epoch and variable count per optimizer. */
  optimizers: Record<string, { step: number; epoch: number; count: number }>;
  backend: string;
  savedAt: string;
  /** Metrics of the last iteration before saving. */
  metrics?: Record<string, number>;
}

/**
 * Reads a training checkpoint (readCheckpointFile). One written by the progressive runner that lib/train
 * had before issue 14 (meta.kind 'progressive': networks and stage only) is a one-line UserError naming
 * the run to train again.
 */
export function readTrainingCheckpoint(file: string): { meta: TrainingCheckpointMeta; tensors: Map<string, StoredTensor> } {
  const ckpt = readCheckpointFile<TrainingCheckpointMeta & { kind?: string }>(file);
  if (ckpt.meta.kind === 'progressive') {
    const name = typeof ckpt.meta.preset?.name === 'string' ? ckpt.meta.preset.name : 'hires-<scale>';
    throw new UserError(`${file} is a progressive-growing checkpoint of the old format (kind 'progressive', without optimizer state), which this version cannot load or resume: re-train it with dtri train --preset ${name} --out DIR`);
  }
  return ckpt;
}

/**
 * Saves a trainer's networks (weights and buffers), optimizer state and counters atomically.
 * @param opts fault injection and the disk-full fix (writeCheckpointFile)
 * @throws NonFiniteError (and leaves the previous file intact) if any weight is NaN/Inf
 */
export function saveTrainingCheckpoint(
  file: string,
  trainer: Trainer,
  info: { preset: TrainPreset; modelOptions: ModelOptions; metrics?: Record<string, number> },
  opts: AtomicWriteOptions = {},
): void {
  const tensors = new Map<string, StoredTensor>();
  const modules: TrainingCheckpointMeta['modules'] = {};
  for (const [key, m] of Object.entries(trainer.modules())) {
    modules[key] = { trainable: m.trainable().map((v) => v.name), buffers: m.buffers().map((v) => v.name) };
    for (const [name, t] of Object.entries(moduleState(m))) tensors.set(`module/${key}/${name}`, { shape: t.shape, dtype: 'float32', data: t.values });
  }
  const optimizers: TrainingCheckpointMeta['optimizers'] = {};
  for (const [key, o] of Object.entries(trainer.optimizers())) {
    const s = o.getState();
    optimizers[key] = { step: s.step, epoch: s.epoch, count: s.m.length };
    const shapes = o.variables.map((v) => v.shape.slice());
    s.m.forEach((d, i) => tensors.set(`optim/${key}/m/${i}`, { shape: shapes[i], dtype: 'float32', data: d }));
    s.v.forEach((d, i) => tensors.set(`optim/${key}/v/${i}`, { shape: shapes[i], dtype: 'float32', data: d }));
  }
  const meta: TrainingCheckpointMeta = {
    preset: info.preset,
    modelOptions: info.modelOptions,
    seed: trainer.seed,
    iteration: trainer.iteration,
    epoch: trainer.epoch,
    modules,
    optimizers,
    backend: tf.getBackend(),
    savedAt: new Date().toISOString(),
    metrics: info.metrics,
  };
  writeCheckpointFile(file, meta, tensors, opts);
}

/** Loads the weights and buffers of `modules` (keyed as in the checkpoint) from a read checkpoint. */
export function loadModulesFromCheckpoint(
  modules: Record<string, Module>,
  ckpt: { meta: TrainingCheckpointMeta; tensors: Map<string, StoredTensor> },
  file: string,
): void {
  for (const [key, m] of Object.entries(modules)) {
    if (!ckpt.meta.modules[key]) throw new UserError(`${file} has no network "${key}" (it has ${Object.keys(ckpt.meta.modules).join(', ')})`);
    const prefix = `module/${key}/`;
    const state: ModuleState = {};
    for (const [name, t] of ckpt.tensors) {
      if (name.startsWith(prefix)) state[name.slice(prefix.length)] = { shape: t.shape, values: t.data as Float32Array };
    }
    loadModuleState(m, state);
  }
}

/**
 * Restores counters, networks and optimizer state into a trainer built with the checkpoint's preset. The
 * counters come first: a trainer whose optimizers depend on the iteration (progressive growing's one per
 * stage) sets up that iteration's there, and the state is loaded into those.
 */
export function restoreTrainingCheckpoint(trainer: Trainer, ckpt: { meta: TrainingCheckpointMeta; tensors: Map<string, StoredTensor> }, file: string): void {
  trainer.restoreProgress(ckpt.meta.iteration, ckpt.meta.epoch);
  loadModulesFromCheckpoint(trainer.modules(), ckpt, file);
  for (const [key, o] of Object.entries(trainer.optimizers())) {
    const info = ckpt.meta.optimizers[key];
    if (!info || info.count !== o.variables.length) throw new UserError(`${file}: optimizer state of "${key}" does not match this network; resume with the checkpoint's preset`);
    const take = (kind: 'm' | 'v') =>
      Array.from({ length: info.count }, (_, i) => {
        const t = ckpt.tensors.get(`optim/${key}/${kind}/${i}`);
        if (!t) throw new UserError(`${file} is missing optimizer tensor ${key}/${kind}/${i}; re-run training`);
        return t.data as Float32Array;
      });
    o.setState({ step: info.step, epoch: info.epoch, m: take('m'), v: take('v') });
  }
}
