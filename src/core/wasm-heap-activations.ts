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
 * - LEAKY_RELU_GRADIENT: x > 0 ? dy : alpha dy, where tfjs-core's gradient of LeakyRelu makes
 *   three (a comparison, a product and a select: 19 of a GAN step's 220 ms on WASM).
 * - CLIP_GRADIENT: low <= x <= high ? dy : 0, where tfjs-core's gradient of ClipByValue makes
 *   four, which tfjs-backend-wasm takes a number at a time (3 of a PixelCNN++ step's 290 ms,
 *   its log-scales').
 * - LeakyRelu, TF.js's own kernel, four lanes at a time: tfjs-backend-wasm's takes 6 ns a
 *   number, 11 of a GAN step's 220 ms.
 * - EluGrad, TF.js's own kernel, four lanes at a time: tfjs-backend-wasm's takes a number at a
 *   time, 1.3 ns each, 30 of a PixelCNN++ step's 650 ms.
 * - Elu, TF.js's own kernel, four vectors a turn on our exp - 1 (wasm-simd/exp-kernels.ts):
 *   tfjs-backend-wasm's (XNNPACK's) took 0.8 ns a number, 17 of a PixelCNN++ step's 290 ms.
 * And on our own exponential (wasm-simd/exp-kernels.ts), four lanes at a time:
 * - SWISH, Swish's forward pass: sigmoid and product in one pass, where TF.js's take two
 *   (XNNPACK's sigmoid at 1.3 ns a number, the product at 0.5), within 2 units in the last
 *   place of the true sigmoid;
 * - Exp and Softplus, TF.js's own kernels, which tfjs-backend-wasm takes a number at a time
 *   (std::exp: 6.5 ns each at PixelCNN++'s sizes, Softplus 18), within 2 and 3 units in the
 *   last place (tests/unit/exponential.test.ts);
 * - Tanh, TF.js's own kernel (std::tanh a number at a time: 10 ns each in PixelRNN's LSTM
 *   cells), after Cephes' tanhf, within 2 units in the last place.
 */
import * as tf from '@tensorflow/tfjs';
import { float32Bits, heapElementwise, heapElementwiseOutputs, onHeapForFloats, registerWasmKernel, replaceWasmKernel, runsOnWasmHeap } from './wasm-heap-views';

/** Our kernel's name: inputs dy, s = sigmoid(x) and y = x s, float32 of one shape. */
export const SWISH_GRADIENT = 'GpSwishGradient';
/** Our kernel's name: input x, float32; outputs [s, y], s = sigmoid(x) and y = x s, shaped like x. */
export const SWISH = 'GpSwish';
/** Our kernel's name: inputs dy and x (Relu's input), float32 of one shape. */
export const RELU_GRADIENT = 'GpReluGradient';
/** Our kernel's name: inputs dy and x (LeakyRelu's input), float32 of one shape; attribute alpha. */
export const LEAKY_RELU_GRADIENT = 'GpLeakyReluGradient';
/** Our kernel's name: inputs dy and x (ClipByValue's input), float32 of one shape; attributes clipValueMin and clipValueMax. */
export const CLIP_GRADIENT = 'GpClipGradient';

/** Does the current backend run SWISH_GRADIENT (WASM, with our kernels on its heap)? */
export const hasSwishGradient = (): boolean => runsOnWasmHeap(SWISH_GRADIENT);

/** [sigmoid(x), x sigmoid(x)]: on WASM one kernel of ours, within 2 units in the last place of the true values (tests/unit/swish.test.ts), elsewhere TF.js's ops. */
export function sigmoidAndSwish(x: tf.Tensor): [tf.Tensor, tf.Tensor] {
  if (runsOnWasmHeap(SWISH)) return tf.engine().runKernel(SWISH, { x }) as unknown as [tf.Tensor, tf.Tensor];
  const s = tf.sigmoid(x);
  return [s, tf.mul(s, x)];
}

/** dL/dx of Relu, dy step(x): one kernel of ours on WASM, elsewhere tfjs-core's own composition. */
export function reluGradient(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  if (runsOnWasmHeap(RELU_GRADIENT)) return tf.engine().runKernel(RELU_GRADIENT, { dy, x }) as tf.Tensor;
  return tf.mul(dy, tf.cast(tf.step(x), 'float32'));
}

/** dL/dx of LeakyRelu, x > 0 ? dy : alpha dy: one kernel of ours on WASM, elsewhere tfjs-core's own composition. */
export function leakyReluGradient(dy: tf.Tensor, x: tf.Tensor, alpha: number): tf.Tensor {
  if (runsOnWasmHeap(LEAKY_RELU_GRADIENT)) return tf.engine().runKernel(LEAKY_RELU_GRADIENT, { dy, x }, { alpha }) as tf.Tensor;
  return tf.where(tf.greater(x, 0), dy, tf.mul(dy, alpha));
}

/** dL/dx of ClipByValue, low <= x <= high ? dy : 0: one kernel of ours on WASM, elsewhere tfjs-core's own composition. */
export function clipGradient(dy: tf.Tensor, x: tf.Tensor, low: number, high: number): tf.Tensor {
  if (runsOnWasmHeap(CLIP_GRADIENT) && dy.dtype === 'float32' && x.dtype === 'float32') return tf.engine().runKernel(CLIP_GRADIENT, { dy, x }, { clipValueMin: low, clipValueMax: high }) as tf.Tensor;
  return tf.where(tf.logicalAnd(tf.greaterEqual(x, low), tf.lessEqual(x, high)), dy, tf.zerosLike(dy));
}

/**
 * Replaces tfjs-core's gradients of Relu, LeakyRelu and ClipByValue (the same values) by ours, on every
 * backend, and gives our kernels gradients of their own: a penalty on a discriminator's input
 * gradient (the GAN's) differentiates them again. Each is linear in dy with a slope that is
 * constant in x where defined: d/d(dy) is the kernel itself, d/dx is 0. Harmless to call twice.
 */
function registerPiecewiseGradients(): void {
  tf.registerGradient({
    kernelName: RELU_GRADIENT,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ dy: () => reluGradient(dy as tf.Tensor, saved[0]), x: () => tf.zerosLike(saved[0]) }),
  });
  tf.registerGradient({
    kernelName: LEAKY_RELU_GRADIENT,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => ({ dy: () => leakyReluGradient(dy as tf.Tensor, saved[0], (attrs as unknown as { alpha: number }).alpha), x: () => tf.zerosLike(saved[0]) }),
  });
  tf.registerGradient({
    kernelName: CLIP_GRADIENT,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const { clipValueMin, clipValueMax } = attrs as unknown as { clipValueMin: number; clipValueMax: number };
      return { dy: () => clipGradient(dy as tf.Tensor, saved[0], clipValueMin, clipValueMax), x: () => tf.zerosLike(saved[0]) };
    },
  });
  tf.registerGradient({
    kernelName: 'ClipByValue',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const { clipValueMin, clipValueMax } = attrs as unknown as { clipValueMin: number; clipValueMax: number };
      return { x: () => clipGradient(dy as tf.Tensor, saved[0], clipValueMin, clipValueMax) };
    },
  });
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => reluGradient(dy as tf.Tensor, saved[0]) }),
  });
  tf.registerGradient({
    kernelName: 'LeakyRelu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => ({ x: () => leakyReluGradient(dy as tf.Tensor, saved[0], (attrs as unknown as { alpha: number }).alpha) }),
  });
}

let ourElu = true;

/** Turns our Elu off (TF.js's runs) and on: for measuring one against the other. */
export function useEluKernel(on: boolean): void {
  ourElu = on;
}

/** Call after the WASM backend is set; harmless to call twice. */
export function registerActivationKernels(): void {
  // s and y written in one pass of our WebAssembly (wasm-simd/exp-kernels.ts)
  registerWasmKernel(SWISH, heapElementwiseOutputs(SWISH, ['x'], 2, (kernels, [x, s, y], count) => kernels.swishForward(x, s, y, count)));
  registerWasmKernel(SWISH_GRADIENT, heapElementwise(SWISH_GRADIENT, ['dy', 's', 'y'], (kernels, [dy, s, y, out], count) => kernels.swishGradient(dy, s, y, out, count)));
  registerWasmKernel(RELU_GRADIENT, heapElementwise(RELU_GRADIENT, ['dy', 'x'], (kernels, [dy, x, out], count) => kernels.reluGradient(dy, x, out, count)));
  registerWasmKernel(CLIP_GRADIENT, heapElementwise(CLIP_GRADIENT, ['dy', 'x'], (kernels, [dy, x, out], count, attrs) => {
    const { clipValueMin, clipValueMax } = attrs as unknown as { clipValueMin: number; clipValueMax: number };
    kernels.clipGradient(dy, x, out, count, float32Bits(clipValueMin), float32Bits(clipValueMax));
  }));
  registerWasmKernel(LEAKY_RELU_GRADIENT, heapElementwise(LEAKY_RELU_GRADIENT, ['dy', 'x'], (kernels, [dy, x, out], count, attrs) => kernels.leakyReluGradient(dy, x, out, count, float32Bits((attrs as unknown as { alpha: number }).alpha))));
  replaceWasmKernel('EluGrad', onHeapForFloats('EluGrad', ['dy', 'y'], (kernels, [dy, y, out], count) => kernels.eluGradient(dy, y, out, count)));
  replaceWasmKernel('LeakyRelu', onHeapForFloats('LeakyRelu', ['x'], (kernels, [x, out], count, attrs) => kernels.leakyRelu(x, out, count, float32Bits((attrs as unknown as { alpha: number }).alpha))));
  replaceWasmKernel('Elu', (original) => {
    const ours = onHeapForFloats('Elu', ['x'], (kernels, [x, out], count) => kernels.eluForward(x, out, count))(original);
    return (args) => (ourElu ? ours(args) : original.kernelFunc(args));
  });
  replaceWasmKernel('Exp', onHeapForFloats('Exp', ['x'], (kernels, [x, out], count) => kernels.exponential(x, out, count)));
  replaceWasmKernel('Softplus', onHeapForFloats('Softplus', ['x'], (kernels, [x, out], count) => kernels.softplus(x, out, count)));
  replaceWasmKernel('Tanh', onHeapForFloats('Tanh', ['x'], (kernels, [x, out], count) => kernels.hyperbolicTangent(x, out, count)));
  registerPiecewiseGradients();
}
