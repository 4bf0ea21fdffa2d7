/**
 * Activation gradients on the WASM backend's heap, each one kernel of ours in one pass over
 * the numbers, with the same float32 operations as TF.js's ops, so the same numbers
 * (tests/unit/swish.test.ts, tests/unit/relu-gradient.test.ts):
 * - SWISH_GRADIENT: dy (s + y (1 - s)), where TF.js's ops make four passes (a subtraction,
 *   two products and a sum, each writing a whole activation). The energy-based model runs
 *   it for every layer of every Langevin step.
 * - RELU_GRADIENT: dy step(x), where tfjs-core's gradient of Relu makes two (a step and a
 *   product; a third, a cast, shares its buffer). PixelCNN's residual layers run it for each
 *   layer of every step: 29 of its 873 ms went to the two.
 */
import * as tf from '@tensorflow/tfjs';
import { kernelsOn } from './wasm-simd/heap';
import { heapElementwise, registerWasmKernel, runsOnWasmHeap, type WasmBackend } from './wasm-heap-views';

/** Our kernel's name: inputs dy, s = sigmoid(x) and y = x s, float32 of one shape. */
export const SWISH_GRADIENT = 'GpSwishGradient';
/** Our kernel's name: input x, float32; outputs [s, y], s = sigmoid(x) and y = x s, shaped like x. */
export const SWISH = 'GpSwish';
/** Our kernel's name: inputs dy and x (Relu's input), float32 of one shape. */
export const RELU_GRADIENT = 'GpReluGradient';

/** Does the current backend run SWISH_GRADIENT (WASM, with our kernels on its heap)? */
export const hasSwishGradient = (): boolean => runsOnWasmHeap(SWISH_GRADIENT);

/** [sigmoid(x), x sigmoid(x)]: on WASM one kernel of ours, within 2 units in the last place of the true values (tests/unit/swish.test.ts), elsewhere TF.js's ops. */
export function sigmoidAndSwish(x: tf.Tensor): [tf.Tensor, tf.Tensor] {
  if (runsOnWasmHeap(SWISH)) return tf.engine().runKernel(SWISH, { x }) as unknown as [tf.Tensor, tf.Tensor];
  const s = tf.sigmoid(x);
  return [s, tf.mul(s, x)];
}

/** SWISH: s and y written in one pass of our WebAssembly (wasm-simd/exp-kernels.ts). */
function swishOnHeap({ inputs, backend: anyBackend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo[] {
  const backend = anyBackend as WasmBackend;
  const kernels = kernelsOn(backend);
  if (!kernels) throw new Error(`${SWISH} needs our WebAssembly kernels: ask runsOnWasmHeap('${SWISH}') first`);
  const x = inputs.x as tf.TensorInfo;
  // allocations first: growing the heap leaves earlier views empty
  const [s, y] = [backend.makeOutput(x.shape, 'float32'), backend.makeOutput(x.shape, 'float32')];
  const at = (info: tf.TensorInfo) => backend.typedArrayFromHeap(info).byteOffset;
  kernels.swishForward(at(x), at(s), at(y), tf.util.sizeFromShape(x.shape));
  return [s, y];
}

/** dL/dx of Relu, dy step(x): one kernel of ours on WASM, elsewhere tfjs-core's own composition. */
export function reluGradient(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  if (runsOnWasmHeap(RELU_GRADIENT)) return tf.engine().runKernel(RELU_GRADIENT, { dy, x }) as tf.Tensor;
  return tf.mul(dy, tf.cast(tf.step(x), 'float32'));
}

/**
 * Replaces tfjs-core's gradient of Relu (the same values) by one that runs reluGradient:
 * every model's tf.relu, on every backend. Harmless to call twice.
 */
function registerReluGradient(): void {
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => reluGradient(dy as tf.Tensor, saved[0]) }),
  });
}

/** Call after the WASM backend is set; harmless to call twice. */
export function registerActivationGradients(): void {
  registerWasmKernel(SWISH, swishOnHeap as unknown as Parameters<typeof registerWasmKernel>[1]);
  registerWasmKernel(SWISH_GRADIENT, heapElementwise(SWISH_GRADIENT, ['dy', 's', 'y'], (kernels, [dy, s, y, out], count) => kernels.swishGradient(dy, s, y, out, count)));
  registerWasmKernel(RELU_GRADIENT, heapElementwise(RELU_GRADIENT, ['dy', 'x'], (kernels, [dy, x, out], count) => kernels.reluGradient(dy, x, out, count)));
  registerReluGradient();
}
