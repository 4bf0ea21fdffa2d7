/** Checkpoints to and from a model's state: the TF.js half of checkpoint.ts, for the worker, the runner and the tests. */
import * as tf from '@tensorflow/tfjs';
import { weightBytes, type Checkpoint } from './checkpoint';
import type { ModelState } from './model-state';

/** A model's state as a checkpoint at `step`; the state's tensors are read, not freed. */
export async function encodeCheckpoint(step: number, state: ModelState): Promise<Checkpoint> {
  const { data, specs } = await tf.io.encodeWeights(state.tensors);
  return { step, numbers: { ...state.numbers }, specs, data };
}

/** The model state a checkpoint holds: new tensors, the caller's to dispose. */
export function decodeCheckpoint(checkpoint: Checkpoint): ModelState {
  const expected = weightBytes(checkpoint.specs);
  if (checkpoint.data.byteLength !== expected) {
    throw new Error(`The checkpoint's weights are ${checkpoint.data.byteLength.toLocaleString('en-US')} bytes where its manifest says ${expected.toLocaleString('en-US')}: the file is damaged`);
  }
  return { tensors: tf.io.decodeWeights(checkpoint.data, checkpoint.specs), numbers: { ...checkpoint.numbers } };
}

