/**
 * One Langevin move on the WASM backend's heap, as one kernel (LANGEVIN_MOVE):
 *   x' = bound(x - step * clip(grad E(x)) + noise)
 * where TF.js's ops take five (a clip, a product, a difference, a sum, a clip), each a pass
 * over the chains and a kernel call with its bookkeeping: 10 of each per step of the energy
 * model. Our WebAssembly (wasm-simd/elementwise-kernels.ts) does the same float32
 * operations in the same order, so the same numbers (tests/unit/langevin-move.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { float32Bits, heapElementwise, registerWasmKernel, runsOnWasmHeap } from './wasm-heap-views';

/** Our kernel's name: inputs x, gradient and noise (float32 of one shape); attributes stepSize, clip (0: none), low and high (absent: unbounded). */
export const LANGEVIN_MOVE = 'GpLangevinMove';

export interface LangevinMoveAttrs {
  stepSize: number;
  clip: number;
  low?: number;
  high?: number;
}

/** The kernel on the heap: no clip is a clip at infinity, no bounds infinite ones (min and max leave every finite number as it is). */
const langevinMoveOnHeap = heapElementwise(LANGEVIN_MOVE, ['x', 'gradient', 'noise'], (kernels, [x, gradient, noise, out], count, attrs) => {
  const { stepSize, clip, low, high } = attrs as unknown as LangevinMoveAttrs;
  const [step, bound, lowest, highest] = [stepSize, clip > 0 ? clip : Infinity, low ?? -Infinity, high ?? Infinity].map(float32Bits);
  kernels.langevinMove(x, gradient, noise, out, count, step, bound, lowest, highest);
});

/** The move by TF.js's ops: on other backends, and the reference for ours. */
export function langevinMoveByOps(x: tf.Tensor, gradient: tf.Tensor, noise: tf.Tensor, { stepSize, clip, low, high }: LangevinMoveAttrs): tf.Tensor {
  return tf.tidy(() => {
    const clipped = clip > 0 ? gradient.clipByValue(-clip, clip) : gradient;
    const moved = x.sub(clipped.mul(stepSize)).add(noise);
    return low !== undefined && high !== undefined ? moved.clipByValue(low, high) : moved;
  });
}

/** x' = bound(x - step * clip(gradient) + noise): one kernel of ours on WASM, TF.js's ops elsewhere; the same numbers. */
export function langevinMove(x: tf.Tensor, gradient: tf.Tensor, noise: tf.Tensor, attrs: LangevinMoveAttrs): tf.Tensor {
  if (runsOnWasmHeap(LANGEVIN_MOVE)) return tf.engine().runKernel(LANGEVIN_MOVE, { x, gradient, noise }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  return langevinMoveByOps(x, gradient, noise, attrs);
}

/** Call after the WASM backend is set; harmless to call twice. */
export function registerLangevinMove(): void {
  registerWasmKernel(LANGEVIN_MOVE, langevinMoveOnHeap);
}
