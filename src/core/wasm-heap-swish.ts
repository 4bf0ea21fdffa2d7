/**
 * Swish's gradient on the WASM backend's heap as one kernel (SWISH_GRADIENT): dy (s + y (1 - s))
 * in one pass over the numbers, where TF.js's ops make four (a subtraction, two products and
 * a sum, each writing a whole activation). The energy-based model runs it for every layer of
 * every Langevin step. The same float32 operations as the ops, so the same numbers
 * (tests/unit/swish.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { kernelsOn } from './wasm-simd/heap';
import { registerWasmKernel, runsOnWasmHeap, type WasmBackend } from './wasm-heap-views';

/** Our kernel's name: inputs dy, s = sigmoid(x) and y = x s, float32 of one shape. */
export const SWISH_GRADIENT = 'GpSwishGradient';

function swishGradient({ inputs, backend: anyBackend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const { dy, s, y } = inputs as { dy: tf.TensorInfo; s: tf.TensorInfo; y: tf.TensorInfo };
  const backend = anyBackend as WasmBackend;
  const kernels = kernelsOn(backend);
  if (!kernels) throw new Error(`${SWISH_GRADIENT} needs our WebAssembly kernels: ask hasSwishGradient() first`);
  const out = backend.makeOutput(dy.shape, 'float32');
  const at = (info: tf.TensorInfo) => backend.typedArrayFromHeap(info).byteOffset;
  kernels.swishGradient(at(dy), at(s), at(y), at(out), tf.util.sizeFromShape(dy.shape));
  return out;
}

/** Does the current backend run SWISH_GRADIENT (WASM, with our kernels on its heap)? */
export const hasSwishGradient = (): boolean => runsOnWasmHeap(SWISH_GRADIENT);

/** Call after the WASM backend is set; harmless to call twice. */
export function registerSwishGradient(): void {
  registerWasmKernel(SWISH_GRADIENT, swishGradient);
}
