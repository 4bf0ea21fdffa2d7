/**
 * Row-wise kernels on the WASM backend's heap, for the 256-way softmax of PixelCNN and
 * PixelRNN on 8-bit images: one row of 256 logits per value, 50,176 rows in a step of
 * MNIST at batch 64 (12.8 million numbers, most of the step's memory traffic).
 *
 * - Max over the innermost axes: TF.js's kernel walks a scalar loop (16 ms for those rows,
 *   twice a step in the log-sum-exp); ours keeps four running maxima in SIMD lanes
 *   (src/core/wasm-simd/row-kernels.ts, maxRows), with TF.js's rule for NaN.
 * - The softmax cross-entropy gradient, (p - onehot(v)) * g per row (ONE_HOT_DIFFERENCE):
 *   TF.js's composition makes a one-hot, casts it, subtracts and multiplies (39 ms); ours
 *   writes each number once, with the same float32 operations.
 * Tested against TF.js's own kernels and ops (tests/unit/wasm-heap-rows.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { kernelsOn } from './wasm-simd/heap';
import { registerWasmKernel, replaceWasmKernel, runsOnWasmHeap, type WasmBackend } from './wasm-heap-views';

/** Our kernel's name: inputs p [rows, columns] (float32), values [rows] (int32), gradients [rows] (float32). */
export const ONE_HOT_DIFFERENCE = 'GpOneHotDifference';

/** Max over a trailing block of axes of a float32 tensor, in our WebAssembly; anything else to TF.js's kernel. */
function fastMax(original: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { reductionIndices, keepDims } = args.attrs as unknown as { reductionIndices: number | number[]; keepDims: boolean };
    const backend = args.backend as unknown as WasmBackend;
    const kernels = kernelsOn(backend);
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(reductionIndices, x.shape).sort((a, b) => a - b);
    const trailing = axes.length > 0 && axes.every((axis, i) => axis === rank - axes.length + i);
    const size = tf.util.sizeFromShape(x.shape);
    if (!kernels || x.dtype !== 'float32' || !trailing || size === 0) return original.kernelFunc(args);
    const kept = x.shape.slice(0, rank - axes.length);
    // The output first: making it may grow the heap, and views taken before would go stale.
    const out = backend.makeOutput(keepDims ? [...kept, ...axes.map(() => 1)] : kept, 'float32');
    const columns = tf.util.sizeFromShape(x.shape.slice(rank - axes.length));
    kernels.maxRows(backend.typedArrayFromHeap(x).byteOffset, size / columns, columns, backend.typedArrayFromHeap(out).byteOffset);
    return out;
  };
}

/** (p - onehot(v)) * g row by row, in our WebAssembly. */
function oneHotDifference({ inputs, backend: anyBackend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const { p, values, gradients } = inputs as { p: tf.TensorInfo; values: tf.TensorInfo; gradients: tf.TensorInfo };
  const backend = anyBackend as WasmBackend;
  const kernels = kernelsOn(backend);
  if (!kernels) throw new Error(`${ONE_HOT_DIFFERENCE} needs our WebAssembly kernels: ask hasOneHotDifference() first`);
  const [rows, columns] = p.shape;
  const out = backend.makeOutput([rows, columns], 'float32');
  const at = (info: tf.TensorInfo) => backend.typedArrayFromHeap(info).byteOffset;
  kernels.oneHotDifference(at(p), at(values), at(gradients), at(out), rows, columns);
  return out;
}

/** Does the current backend run ONE_HOT_DIFFERENCE (WASM, with our kernels on its heap)? */
export const hasOneHotDifference = (): boolean => runsOnWasmHeap(ONE_HOT_DIFFERENCE);

/** Call after the WASM backend is set; harmless to call twice. */
export function speedUpWasmRows(): void {
  replaceWasmKernel('Max', fastMax);
  registerWasmKernel(ONE_HOT_DIFFERENCE, oneHotDifference);
}
