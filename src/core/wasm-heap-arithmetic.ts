/**
 * TF.js's Add, Sub and Multiply on the WASM backend's heap, for two float32 tensors of one
 * shape (residual connections, gates, their gradients), four lanes at a time
 * (wasm-simd/elementwise-kernels.ts, `binary`). tfjs-backend-wasm 4.22 takes 0.6-0.8 ns a
 * number for them even in cache, a scalar loop's pace: 120 products and 96 sums of a
 * PixelCNN++ step took 49 of its ms. One float32 operation per number, rounded once, so
 * the same bits (tests/unit/wasm-heap-arithmetic.test.ts); broadcasting and other types go to
 * TF.js's kernels.
 */
import { onHeapForFloats, replaceWasmKernel } from './wasm-heap-views';

/** Call after the WASM backend is set; harmless to call twice. */
export function registerArithmeticKernels(): void {
  replaceWasmKernel('Add', onHeapForFloats('Add', ['a', 'b'], (kernels, [a, b, out], count) => kernels.add(a, b, out, count)));
  replaceWasmKernel('Sub', onHeapForFloats('Sub', ['a', 'b'], (kernels, [a, b, out], count) => kernels.subtract(a, b, out, count)));
  replaceWasmKernel('Multiply', onHeapForFloats('Multiply', ['a', 'b'], (kernels, [a, b, out], count) => kernels.multiply(a, b, out, count)));
}
