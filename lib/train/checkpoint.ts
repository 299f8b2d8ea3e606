/**
 * Checkpoint files: one file, written atomically (temp file in the same folder, fsync, rename), so a
 * crash or a diverging run never leaves a half-written or NaN checkpoint where the last good one was.
 *
 * Layout: "DTRICKPT" (8 bytes) · header length (uint32 LE) · JSON header · zero padding to 8 bytes ·
 * raw little-endian tensor data at the offsets the header lists. The header holds everything that
 * is not a tensor (preset, seed, iteration, epoch, optimizer steps), so `loadTrainedModels` can
 * rebuild the networks from the file alone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import type { ModelOptions } from '../models/architectures';
import { loadModuleState, moduleState, type ModuleState } from '../models/state';
import type { Module } from '../models/types';
import { NonFiniteError } from './optimizer';
import type { TrainPreset } from './presets';
import type { Trainer } from './trainer';

const MAGIC = 'DTRICKPT';
export const CHECKPOINT_FILE = 'latest.ckpt';

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
}

interface FileHeader<M> {
  format: 'dtri-checkpoint';
  version: 1;
  meta: M;
  tensors: TensorEntry[];
}

/**
 * Writes `meta` and `tensors` to `file` atomically.
 * @throws NonFiniteError if any float tensor holds NaN/Inf (a diverged model is never written)
 */
export function writeCheckpointFile<M>(file: string, meta: M, tensors: Map<string, StoredTensor>): void {
  const entries: TensorEntry[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (t.dtype === 'float32') {
      for (let i = 0; i < t.data.length; i++) {
        if (!Number.isFinite(t.data[i])) throw new NonFiniteError(`checkpoint refused: tensor ${name}`, t.data[i]);
      }
    }
    entries.push({ name, shape: t.shape, dtype: t.dtype, offset, length: t.data.length });
    offset += t.data.length * 4;
  }
  const header: FileHeader<M> = { format: 'dtri-checkpoint', version: 1, meta, tensors: entries };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const headEnd = 12 + json.length;
  const dataStart = Math.ceil(headEnd / 8) * 8;
  const buf = Buffer.alloc(dataStart + offset);
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32LE(json.length, 8);
  json.copy(buf, 12);
  for (const e of entries) {
    const t = tensors.get(e.name)!;
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(buf, dataStart + e.offset);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, buf);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** Reads a file written by writeCheckpointFile. Missing or corrupt files are UserErrors. */
export function readCheckpointFile<M>(file: string): { meta: M; tensors: Map<string, StoredTensor> } {
  if (!fs.existsSync(file)) {
    throw new UserError(`checkpoint not found at ${file}: pass a run folder (with checkpoint/${CHECKPOINT_FILE}) or the .ckpt file itself`);
  }
  const buf = fs.readFileSync(file);
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) {
    throw new UserError(`${file} is not a divergence-triangle checkpoint (bad magic bytes); pass a file written by dtri train`);
  }
  const n = buf.readUInt32LE(8);
  let header: FileHeader<M>;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + n)) as FileHeader<M>;
  } catch {
    throw new UserError(`${file} has a corrupt header; re-run training or use another checkpoint`);
  }
  if (header.format !== 'dtri-checkpoint' || header.version !== 1) {
    throw new UserError(`${file} has unsupported checkpoint format ${header.format} v${header.version}; this library reads v1`);
  }
  const dataStart = Math.ceil((12 + n) / 8) * 8;
  const tensors = new Map<string, StoredTensor>();
  for (const e of header.tensors) {
    const start = dataStart + e.offset;
    const end = start + e.length * 4;
    if (end > buf.length) throw new UserError(`${file} is truncated (tensor ${e.name} ends past the file); re-run training`);
    // Copy into a fresh, aligned buffer.
    const bytes = new Uint8Array(buf.subarray(start, end));
    const data = e.dtype === 'int32' ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
    tensors.set(e.name, { shape: e.shape, dtype: e.dtype, data });
  }
  return { meta: header.meta, tensors };
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
 * Saves a trainer's networks (weights and buffers), optimizer state and counters atomically.
 * @throws NonFiniteError (and leaves the previous file intact) if any weight is NaN/Inf
 */
export function saveTrainingCheckpoint(
  file: string,
  trainer: Trainer,
  info: { preset: TrainPreset; modelOptions: ModelOptions; metrics?: Record<string, number> },
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
  writeCheckpointFile(file, meta, tensors);
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

/** Restores networks, optimizer state and counters into a trainer built with the checkpoint's preset. */
export function restoreTrainingCheckpoint(trainer: Trainer, ckpt: { meta: TrainingCheckpointMeta; tensors: Map<string, StoredTensor> }, file: string): void {
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
  trainer.restoreProgress(ckpt.meta.iteration, ckpt.meta.epoch);
}
