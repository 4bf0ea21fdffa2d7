/**
 * Rows of a tensor written over, in place on the WASM backend's heap when nothing else holds
 * the tensor's values (OVERWRITE_ROWS): for the energy model's replay buffer, whose 2,048
 * MNIST images (6.4 MB) tf.tensorScatterUpdate copied whole at every step to change 64 of
 * them. The caller gives the tensor up (it is disposed here) and keeps the result, which on
 * WASM may be the same values, changed.
 */
import * as tf from '@tensorflow/tfjs';
import { isWordSized, registerWasmKernel, runsOnWasmHeap, wordsOf, type WasmBackend } from './wasm-heap-views';

/** Our kernel's name: inputs x [N, ...], rows [n] (int32, distinct, in [0, N)) and values [n, ...] (x's dtype, 4-byte). */
export const OVERWRITE_ROWS = 'GpOverwriteRows';

/** The tfjs-backend-wasm methods that count and share a tensor's values (the ones reshape uses). */
interface SharingBackend extends WasmBackend {
  refCount(dataId: object): number;
  incRef(dataId: object): void;
}

function overwriteRowsOnHeap({ inputs, backend: anyBackend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const { x, rows, values } = inputs as Record<string, tf.TensorInfo>;
  const backend = anyBackend as SharingBackend;
  // x's values are ours to change only if no other tensor shares them (a reshape, a kept clone)
  const inPlace = backend.refCount(x.dataId) === 1;
  // a new TensorInfo on x's values (the engine would hand back an input Tensor object itself)
  const out = inPlace ? { dataId: x.dataId, shape: x.shape, dtype: x.dtype } : backend.makeOutput(x.shape, x.dtype);
  // views after the allocation above, which may grow the heap
  const [target, source, indices] = [wordsOf(backend, out), wordsOf(backend, values), wordsOf(backend, rows)];
  if (!inPlace) target.set(wordsOf(backend, x));
  const row = x.shape[0] > 0 ? target.length / x.shape[0] : 0;
  indices.forEach((index, i) => target.set(source.subarray(i * row, (i + 1) * row), index * row));
  if (inPlace) backend.incRef(x.dataId);
  return out;
}

/**
 * x with its rows `rows` (distinct) replaced by `values` ([n, ...x.shape[1:]]), as
 * tf.tensorScatterUpdate(x, rows as [n, 1], values); x is disposed. On WASM its values may
 * be changed in place. On the CPU backend TF.js 4.22's tensorScatterUpdate writes into its
 * input's values, which a clone there shares (a checkpoint's copy of the replay buffer), so
 * shared values are copied first.
 */
export function overwriteRows(x: tf.Tensor, rows: tf.Tensor1D, values: tf.Tensor): tf.Tensor {
  const expected = [rows.size, ...x.shape.slice(1)];
  if (rows.rank !== 1 || !tf.util.arraysEqual(values.shape, expected)) throw new Error(`overwriteRows: ${rows.size} rows of [${x.shape}] take values of shape [${expected}], not [${values.shape}]`);
  const fits = x.dtype === values.dtype && isWordSized(x.dtype) && rows.dtype === 'int32';
  const result = fits && runsOnWasmHeap(OVERWRITE_ROWS)
    ? (tf.engine().runKernel(OVERWRITE_ROWS, { x, rows, values }) as tf.Tensor)
    : tf.tidy(() => {
      const shared = (tf.backend() as unknown as { refCount?(dataId: object): number }).refCount?.(x.dataId) ?? 1;
      const own = tf.getBackend() === 'cpu' && shared > 1 ? tf.mul(x, tf.scalar(1, x.dtype)) : x;
      return tf.tensorScatterUpdate(own, rows.reshape([-1, 1]), values);
    });
  x.dispose();
  return result;
}

/** Call after the WASM backend is set; harmless to call twice. */
export function registerOverwriteRows(): void {
  registerWasmKernel(OVERWRITE_ROWS, overwriteRowsOnHeap);
}
