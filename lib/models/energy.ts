import * as tf from '@tensorflow/tfjs';
import type { EnergyForm } from './types';

export const ENERGY_FORMS: readonly EnergyForm[] = ['identity', 'softplus', 'tanh', 'sigmoid'];

/**
 * f_α from the network's raw scalar r. The authors' `compute_energy` uses the energy E = φ(−r) for
 * φ ∈ {softplus, tanh, sigmoid}; we return the score f = −E = −φ(−r) (types.ts: π ∝ exp f). For
 * 'identity' this is f = r (the authors use E = r there; the sign is absorbed by the last linear layer).
 *   identity: f = r          softplus: f = −softplus(−r) = log σ(r) ≤ 0
 *   tanh:     f = tanh(r)    sigmoid:  f = −σ(−r) = σ(r) − 1 ∈ (−1, 0)
 * @param raw [N] @returns f, [N]
 */
export function applyEnergyForm(raw: tf.Tensor, form: EnergyForm): tf.Tensor {
  switch (form) {
    case 'identity':
      return raw;
    case 'softplus':
      return tf.neg(tf.softplus(tf.neg(raw)));
    case 'tanh':
      return tf.neg(tf.tanh(tf.neg(raw)));
    case 'sigmoid':
      return tf.neg(tf.sigmoid(tf.neg(raw)));
    default: {
      const never: never = form;
      throw new Error(`unknown energy form ${String(never)}`);
    }
  }
}
