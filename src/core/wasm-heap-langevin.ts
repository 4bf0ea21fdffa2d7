/**
 * One Langevin move on the WASM backend's heap, as one kernel (LANGEVIN_MOVE):
 *   x' = bound(x - step * clip(grad E(x)) + noise)
 * where TF.js's ops take five (a clip, a product, a difference, a sum, a clip), each a pass
 * over the chains and a kernel call with its bookkeeping: 10 of each per step of the energy
 * model. Our WebAssembly (wasm-simd/elementwise-kernels.ts) does the same float32
 * operations in the same order, so the same numbers (tests/unit/langevin-move.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { kernelsOn } from './wasm-simd/heap';
import { registerWasmKernel, runsOnWasmHeap, type WasmBackend } from './wasm-heap-views';

/** Our kernel's name: inputs x, gradient and noise (float32 of one shape); attributes stepSize, clip (0: none), low and high (absent: unbounded). */
export const LANGEVIN_MOVE = 'GpLangevinMove';

export interface LangevinMoveAttrs {
  stepSize: number;
  clip: number;
  low?: number;
  high?: number;
}

/** A number's float32 bits, as an integer: how the kernel takes its constants. */
function float32Bits(value: number): number {
  const word = new Float32Array([value]);
  return new Int32Array(word.buffer)[0];
}

function langevinMoveOnHeap({ inputs, attrs, backend: anyBackend }: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: unknown }): tf.TensorInfo {
  const { x, gradient, noise } = inputs as { x: tf.TensorInfo; gradient: tf.TensorInfo; noise: tf.TensorInfo };
  const { stepSize, clip, low, high } = attrs as unknown as LangevinMoveAttrs;
  const backend = anyBackend as WasmBackend;
  const kernels = kernelsOn(backend);
  if (!kernels) throw new Error(`${LANGEVIN_MOVE} needs our WebAssembly kernels: ask runsOnWasmHeap('${LANGEVIN_MOVE}') first`);
  const out = backend.makeOutput(x.shape, 'float32');
  const at = (info: tf.TensorInfo) => backend.typedArrayFromHeap(info).byteOffset;
  // no clip is a clip at infinity, no bounds infinite ones (min and max leave every finite number as it is)
  const constants = [stepSize, clip > 0 ? clip : Infinity, low ?? -Infinity, high ?? Infinity].map(float32Bits);
  kernels.langevinMove(at(x), at(gradient), at(noise), at(out), tf.util.sizeFromShape(x.shape), constants[0], constants[1], constants[2], constants[3]);
  return out;
}

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
