/** Checkpoint state, parameter counts and layer listings for any Module. */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import type { Describable, LayerDescription } from './layers';
import type { Module, NamedVariable } from './types';

export interface TensorState {
  shape: number[];
  values: Float32Array;
}

/** Every trainable variable and buffer by name. */
export type ModuleState = Record<string, TensorState>;

function allVariables(m: Module): NamedVariable[] {
  const all = [...m.trainable(), ...m.buffers()];
  const seen = new Set<string>();
  for (const nv of all) {
    if (seen.has(nv.name)) throw new Error(`${m.name}: duplicate variable name ${nv.name}`);
    seen.add(nv.name);
  }
  return all;
}

/** A copy of every variable's values (synchronous download). */
export function moduleState(m: Module): ModuleState {
  const state: ModuleState = {};
  for (const nv of allVariables(m)) {
    state[nv.name] = { shape: nv.variable.shape.slice(), values: Float32Array.from(nv.variable.dataSync() as Float32Array) };
  }
  return state;
}

/**
 * Overwrites every variable of `m` from `state`. Checks everything before writing anything: a missing,
 * extra or differently shaped name is a UserError naming it (usually a checkpoint of another architecture,
 * width or latent size).
 */
export function loadModuleState(m: Module, state: ModuleState): void {
  const vars = allVariables(m);
  const names = new Set(vars.map((nv) => nv.name));
  const missing = vars.filter((nv) => !(nv.name in state)).map((nv) => nv.name);
  const extra = Object.keys(state).filter((n) => !names.has(n));
  if (missing.length || extra.length) {
    const parts = [];
    if (missing.length) parts.push(`missing ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` (+${missing.length - 5} more)` : ''}`);
    if (extra.length) parts.push(`unexpected ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ` (+${extra.length - 5} more)` : ''}`);
    throw new UserError(`checkpoint does not match model "${m.name}": ${parts.join('; ')}; load it into a model built with the same architecture and options`);
  }
  for (const nv of vars) {
    const s = state[nv.name];
    const size = s.shape.reduce((a, b) => a * b, 1);
    if (s.shape.join() !== nv.variable.shape.join() || s.values.length !== size) {
      throw new UserError(`checkpoint tensor ${nv.name} has shape [${s.shape.join(', ')}] (${s.values.length} values) but the model expects [${nv.variable.shape.join(', ')}]; build the model with the checkpoint's width, latentDim and imageSize`);
    }
  }
  for (const nv of vars) {
    const s = state[nv.name];
    tf.tidy(() => nv.variable.assign(tf.tensor(s.values, s.shape, 'float32')));
  }
}

/** Number of trainable scalars (buffers excluded). */
export function countParams(m: Module): number {
  return m.trainable().reduce((a, nv) => a + nv.variable.size, 0);
}

/**
 * Per-layer output shapes (without the batch axis) and parameter counts, by shape inference: nothing runs,
 * so it is instant at any width. @param inShape defaults to the network's own input shape.
 */
export function describeLayers(m: Describable, inShape?: number[]): LayerDescription[] {
  return m.describe(inShape);
}

/** describeLayers as an aligned text table (for notebooks and logs). */
export function formatLayers(rows: LayerDescription[]): string {
  const w = Math.max(...rows.map((r) => r.name.length), 4);
  const k = Math.max(...rows.map((r) => r.kind.length), 4);
  const lines = rows.map((r) => `${r.name.padEnd(w)}  ${r.kind.padEnd(k)}  [${r.outputShape.join(', ')}]${r.params ? `  ${r.params}` : ''}`);
  const total = rows.reduce((a, r) => a + r.params, 0);
  return [...lines, `${'total'.padEnd(w)}  ${''.padEnd(k)}  ${total} parameters`].join('\n');
}
