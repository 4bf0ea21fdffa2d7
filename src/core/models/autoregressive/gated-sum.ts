/**
 * The gate of PixelCNN++'s residual blocks (Salimans et al. 2017, "PixelCNN++", section 2.4,
 * https://arxiv.org/abs/1701.05517; the gated PixelCNN's, van den Oord et al. 2016):
 *   h' = h + a sigmoid(b),   [a, b] = the 2F channels of the block's last convolution
 * with its gradient written out:
 *   dh = dy,   da = dy s,   db = (dy a) (s (1 - s)),   s = sigmoid(b).
 * On WASM each way is one kernel of ours (../../wasm-heap-gate.ts), which reads a and b where
 * they lie; elsewhere TF.js's ops, as the composition h.add(a.mul(sigmoid(b))) computes it.
 * Ours takes our exponential for the sigmoid, within 2 units in the last place of the true
 * one, so not XNNPACK's bits (tests/unit/gated-sum.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { GATE, GATE_GRADIENT, hasGate } from '../../wasm-heap-gate';

/** TF.js's ops: on other backends, and the reference for ours. */
export function gatedSumByOps(h: tf.Tensor4D, c2: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    // [B, H, W, 2F] -> two [B, H, W, F]: values and gates
    const [values, gates] = tf.split(c2, 2, 3);
    return h.add(values.mul(tf.sigmoid(gates)));
  });
}

const gatedSumOnHeap = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [h, c2, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  const [value, s] = tf.engine().runKernel(GATE, { h, c2 }) as tf.Tensor[];
  save([c2, s]);
  return {
    value,
    gradFunc: (dy: tf.Tensor, [savedC2, savedS]: tf.Tensor[]) => [dy, tf.engine().runKernel(GATE_GRADIENT, { dy, c2: savedC2, s: savedS }) as tf.Tensor],
  };
}) as (h: tf.Tensor, c2: tf.Tensor) => tf.Tensor;

/** h + a sigmoid(b): h [B, H, W, F], c2 = [a, b] [B, H, W, 2F] -> [B, H, W, F]. */
export function gatedSum(h: tf.Tensor4D, c2: tf.Tensor4D): tf.Tensor4D {
  return hasGate(h.shape[3]) ? (gatedSumOnHeap(h, c2) as tf.Tensor4D) : gatedSumByOps(h, c2);
}
