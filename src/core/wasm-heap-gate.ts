/**
 * PixelCNN++'s gate, h + a sigmoid(b) with [a, b] the halves of 2F channels, as one kernel of
 * ours each way on the WASM backend's heap (wasm-simd/gate-kernels.ts), for
 * models/autoregressive/gated-sum.ts. TF.js's ops take a split, a sigmoid, a product and a
 * sum forwards, and eight kernels back (a concatenation among them): each a pass over the
 * maps and a call with its bookkeeping, at every residual block of every step.
 */
import * as tf from '@tensorflow/tfjs';
import { ourHeap, registerWasmKernel, runsOnWasmHeap } from './wasm-heap-views';

/** Our kernel's name: inputs h [..., F] and c2 [..., 2F] (float32); outputs h + a sigmoid(b) and sigmoid(b), shaped like h. */
export const GATE = 'GpGate';
/** Our kernel's name: inputs dy and s [..., F], c2 [..., 2F] (float32); output dc2 = [dy s, (dy a) (s (1 - s))], shaped like c2. */
export const GATE_GRADIENT = 'GpGateGradient';

/** Does the current backend run GATE on F channels (WASM, our kernels on its heap, F in fours)? */
export const hasGate = (channels: number): boolean => channels > 0 && channels % 4 === 0 && runsOnWasmHeap(GATE);

type Args = { inputs: tf.NamedTensorInfoMap; backend: unknown };

/** The backend, our kernels and addresses of a gate kernel's call; its pixels and channels from `narrow` ([..., F]). */
function onHeap(name: string, { backend }: Args, narrow: tf.TensorInfo) {
  const channels = narrow.shape[narrow.shape.length - 1];
  return { ...ourHeap(name, 'hasGate', backend), channels, pixels: tf.util.sizeFromShape(narrow.shape) / channels };
}

function gate(args: Args): tf.TensorInfo[] {
  const { h, c2 } = args.inputs as { h: tf.TensorInfo; c2: tf.TensorInfo };
  const { backend, kernels, channels, pixels, at } = onHeap(GATE, args, h);
  // the outputs first: making them may grow the heap
  const [out, s] = [backend.makeOutput(h.shape, 'float32'), backend.makeOutput(h.shape, 'float32')];
  kernels.gateForward(at(c2), at(h), at(out), at(s), pixels, channels);
  return [out, s];
}

function gateGradient(args: Args): tf.TensorInfo {
  const { dy, c2, s } = args.inputs as { dy: tf.TensorInfo; c2: tf.TensorInfo; s: tf.TensorInfo };
  const { backend, kernels, channels, pixels, at } = onHeap(GATE_GRADIENT, args, dy);
  const dc2 = backend.makeOutput(c2.shape, 'float32');
  kernels.gateGradient(at(dy), at(c2), at(s), at(dc2), pixels, channels);
  return dc2;
}

/** Call after the WASM backend is set; harmless to call twice. */
export function registerGate(): void {
  registerWasmKernel(GATE, gate);
  registerWasmKernel(GATE_GRADIENT, gateGradient);
}
