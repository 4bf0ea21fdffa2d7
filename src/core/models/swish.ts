/**
 * Swish, y = x sigmoid(x) (Ramachandran, Zoph and Le, "Searching for Activation Functions",
 * 2017, https://arxiv.org/abs/1710.05941; SiLU in PyTorch), with its gradient written out.
 *
 * tfjs-layers computes it as sigmoid(x * 1) * x and lets TF.js differentiate each op: ten
 * kernels on the way back (three of them casts), for every layer of every Langevin step of
 * the energy-based model. Written out, the gradient is four ops, or one kernel on WASM:
 *   dy/dx = s + x s (1 - s) = s + y (1 - s),  s = sigmoid(x).
 * The forward pass is one kernel on WASM too: sigmoid and product in one pass of our
 * WebAssembly, four lanes at a time, within 2 units in the last place of tfjs-layers' values;
 * elsewhere it computes what tfjs-layers' does, to the bit.
 */
import * as tf from '@tensorflow/tfjs';
import { hasSwishGradient, sigmoidAndSwish, SWISH_GRADIENT } from '../wasm-heap-activations';

/** dL/dx = dL/dy (s + y (1 - s)): on WASM one kernel of ours (../wasm-heap-activations.ts), elsewhere TF.js's ops; the same numbers. */
export function swishGradient(dy: tf.Tensor, s: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (hasSwishGradient()) return tf.engine().runKernel(SWISH_GRADIENT, { dy, s, y }) as tf.Tensor;
  return tf.mul(dy, tf.add(s, tf.mul(y, tf.sub(1, s))));
}

export const swish: (x: tf.Tensor) => tf.Tensor = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const [s, y] = sigmoidAndSwish(x);
  save([s, y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, [savedS, savedY]: tf.Tensor[]) => swishGradient(dy, savedS, savedY),
  };
}) as (x: tf.Tensor) => tf.Tensor;
