/**
 * Backend selection. (Foundation stub: the backends issue replaces this with the full selector,
 * wasm kernels and the native engine; the signature stays.)
 */
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'node-gpu' | 'node' | 'native' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;

export interface BackendReport {
  /** The backend now active in tf. */
  name: BackendName;
  /** One line per backend tried before it, with why it was skipped. */
  skipped: { name: BackendName; reason: string }[];
}

export async function initBackend(opts: { prefer?: BackendPreference } = {}): Promise<BackendReport> {
  void opts;
  await tf.setBackend('cpu');
  await tf.ready();
  return { name: 'cpu', skipped: [] };
}
