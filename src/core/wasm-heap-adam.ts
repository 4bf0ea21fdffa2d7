/**
 * Adam's update of one variable as one kernel on the WASM backend's heap (ADAM_UPDATE), for
 * ./training/one-pass-adam.ts: the new value and both moments from the value, the moments and
 * the gradient, with TF.js's float32 operations in TF.js's order (wasm-simd/adam-kernel.ts),
 * so the same numbers as tf.train.adam (tests/unit/one-pass-adam.test.ts).
 */
import { ADAM_SCALARS } from './wasm-simd/adam-kernel';
import { float32Bits, heapElementwiseOutputs, registerWasmKernel } from './wasm-heap-views';

/**
 * Our kernel's name: inputs x, m, v, g (float32 of one shape) and oneMinusAccBeta1 and
 * oneMinusAccBeta2 (1 - beta^t as float32 scalars, as TF.js's Adam computes them); attributes
 * beta1, beta2, epsilon and learningRate. Outputs the new x, m and v.
 */
export const ADAM_UPDATE = 'GpAdamUpdate';

export interface AdamUpdateAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
}

const adamUpdateOnHeap = heapElementwiseOutputs(ADAM_UPDATE, ['x', 'm', 'v', 'g', 'oneMinusAccBeta1', 'oneMinusAccBeta2'], 3, (kernels, addresses, count, attrs) => {
  const { beta1, beta2, epsilon, learningRate } = attrs as unknown as AdamUpdateAttrs;
  // each a JavaScript number made a float32, as TF.js's Adam makes its scalars
  const scalars: Record<(typeof ADAM_SCALARS)[number], number> = { beta1, oneMinusBeta1: 1 - beta1, beta2, oneMinusBeta2: 1 - beta2, epsilon, negativeRate: -learningRate };
  kernels.adamUpdate(...addresses, count, ...ADAM_SCALARS.map((name) => float32Bits(scalars[name])));
});

/** Call after the WASM backend is set; harmless to call twice. */
export function registerAdamUpdate(): void {
  registerWasmKernel(ADAM_UPDATE, adamUpdateOnHeap);
}
