/**
 * Reading tensors back to the CPU, always awaited (a synchronous readback can lose a WebGPU
 * device) and always freeing them, also when the read fails (a lost device, a cancelled run).
 */
import * as tf from '@tensorflow/tfjs';

/** The values of each tensor, as Float32Arrays, then frees them all. */
export async function readAndDispose(...tensors: tf.Tensor[]): Promise<Float32Array[]> {
  try {
    return (await Promise.all(tensors.map((tensor) => tensor.data()))).map((values) => (values instanceof Float32Array ? values : Float32Array.from(values)));
  } finally {
    tf.dispose(tensors);
  }
}
