/**
 * A checkpoint's tensors as plain arrays, without TF.js: the page exports a run without
 * loading it. A checkpoint's data is tf.io.encodeWeights' layout: the tensors one after
 * another in the manifest's order, each its values in row-major order, little-endian.
 */
import { weightBytes, type Checkpoint } from '../core/training/checkpoint';
import type { NamedArray } from './npy';

/** Every tensor of the checkpoint by its name, as float32 (an int32 step count too). */
export function checkpointArrays(checkpoint: Checkpoint): Map<string, NamedArray> {
  if (checkpoint.data.byteLength !== weightBytes(checkpoint.specs)) throw new Error('The checkpoint is damaged: its data and its manifest disagree');
  const view = new DataView(checkpoint.data);
  const arrays = new Map<string, NamedArray>();
  let offset = 0;
  for (const spec of checkpoint.specs) {
    const count = spec.shape.reduce((product, size) => product * size, 1);
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      if (spec.dtype === 'float32') values[i] = view.getFloat32(offset + 4 * i, true);
      else if (spec.dtype === 'int32') values[i] = view.getInt32(offset + 4 * i, true);
      else values[i] = view.getUint8(offset + i);
    }
    offset += count * (spec.dtype === 'bool' ? 1 : 4);
    arrays.set(spec.name, { shape: [...spec.shape], values });
  }
  return arrays;
}
