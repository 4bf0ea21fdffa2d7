/** Parts of the RBM's checkpoints beyond its weights and optimizer. */
import * as tf from '@tensorflow/tfjs';
import { assignVariables, type StatePart } from '../../training/model-state';

/**
 * The persistent chains: a resumed PCD run carries on from the very chains it left. Saved
 * as a computed float copy, not a clone: on the CPU backend the chains (a comparison cast to
 * float32, which TF.js does by relabelling) keep one byte a value, and a clone would write
 * those bytes into a checkpoint that then fails its size check.
 */
export function chainsPart(chains: tf.Variable): StatePart {
  return {
    save: async () => ({ tensors: { '0': tf.tidy(() => chains.add(0)) }, numbers: {} }),
    load: async ({ tensors }) => assignVariables([chains], tensors, ''),
  };
}

/** A yes-or-no fact about the run so far (the visible biases were set from the data), so a resumed run does not do it again. */
export function flagPart(get: () => boolean, set: (value: boolean) => void): StatePart {
  return {
    save: async () => ({ tensors: {}, numbers: { flag: get() ? 1 : 0 } }),
    load: async ({ numbers }) => set(numbers.flag === 1),
  };
}
