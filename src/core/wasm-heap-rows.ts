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
 * - The softmax and what its cross-entropy needs (SOFTMAX_ROWS): one read of each row from
 *   memory where TF.js's softmax, two maxima and a gather read it four times (on a PixelCNN
 *   batch of 32's 25,088 rows, TF.js's softmax and maxima took 20.7-22.1 ms, ours 13.2-13.7,
 *   side by side), with our exponential: TF.js's softmax to a few units in the last place.
 * Tested against TF.js's own kernels and ops (tests/unit/wasm-heap-rows.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { kernelsOn } from './wasm-simd/heap';
import { ourHeap, registerWasmKernel, replaceWasmKernel, runsOnWasmHeap, type WasmBackend } from './wasm-heap-views';

/** Our kernel's name: inputs p [rows, columns] (float32), values [rows] (int32), gradients [rows] (float32). */
export const ONE_HOT_DIFFERENCE = 'GpOneHotDifference';

/**
 * Our kernel's name: inputs logits [rows, columns] (float32, columns a multiple of 16) and
 * values [rows] (int32); outputs p = softmax(logits) [rows, columns], offsets [rows] = max -
 * the value's logit and sums [rows] = sum exp(logits - max), so that the cross-entropy
 * -log p[v] is offsets + log(sums).
 */
export const SOFTMAX_ROWS = 'GpSoftmaxRows';

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
  const { backend, kernels, at } = ourHeap(ONE_HOT_DIFFERENCE, 'hasOneHotDifference()', anyBackend);
  const [rows, columns] = p.shape;
  const out = backend.makeOutput([rows, columns], 'float32');
  kernels.oneHotDifference(at(p), at(values), at(gradients), at(out), rows, columns);
  return out;
}

/** softmax(l) row by row, with each row's offset and sum (SOFTMAX_ROWS), in our WebAssembly. */
function softmaxRows({ inputs, backend: anyBackend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo[] {
  const { logits, values } = inputs as { logits: tf.TensorInfo; values: tf.TensorInfo };
  const backend = anyBackend as WasmBackend;
  const kernels = kernelsOn(backend);
  const [rows, columns] = logits.shape;
  if (!kernels || columns === 0 || columns % 16 !== 0 || logits.dtype !== 'float32' || values.dtype !== 'int32') throw new Error(`${SOFTMAX_ROWS} takes float32 rows of a multiple of 16 logits and int32 values on our WebAssembly: ask hasSoftmaxRows(columns) first`);
  // the outputs first: making them may grow the heap
  const outputs = [backend.makeOutput([rows, columns], 'float32'), backend.makeOutput([rows], 'float32'), backend.makeOutput([rows], 'float32')];
  const at = (info: tf.TensorInfo) => backend.typedArrayFromHeap(info).byteOffset;
  kernels.softmaxRows(at(logits), at(values), ...(outputs.map(at) as [number, number, number]), rows, columns);
  return outputs;
}

/** Does the current backend run SOFTMAX_ROWS on rows of `columns` logits (WASM, with our kernels on its heap)? */
export const hasSoftmaxRows = (columns: number): boolean => columns > 0 && columns % 16 === 0 && runsOnWasmHeap(SOFTMAX_ROWS);

/** Does the current backend run ONE_HOT_DIFFERENCE (WASM, with our kernels on its heap)? */
export const hasOneHotDifference = (): boolean => runsOnWasmHeap(ONE_HOT_DIFFERENCE);

/** Call after the WASM backend is set; harmless to call twice. */
export function speedUpWasmRows(): void {
  replaceWasmKernel('Max', fastMax);
  registerWasmKernel(ONE_HOT_DIFFERENCE, oneHotDifference);
  registerWasmKernel(SOFTMAX_ROWS, softmaxRows);
}
