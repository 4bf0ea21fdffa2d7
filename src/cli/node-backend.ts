/** TF.js backends in Node: the pure-JS CPU backend, or WASM (much faster, same results). */
import v8 from 'node:v8';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { fixResizeNearestGradient, registerWasmGradientKernels, speedUpCpuFilterGradient } from '../core/kernel-fixes';

export const NODE_BACKENDS = ['cpu', 'wasm'] as const;
export type NodeBackend = (typeof NODE_BACKENDS)[number];

export async function useNodeBackend(name: NodeBackend): Promise<void> {
  // Relaxed SIMD (our convolutions' fused multiply-add) is on in Chrome since 114 and behind
  // this flag in Node 20; it must be set before our kernels are compiled.
  if (name === 'wasm') v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  if (!(await tf.setBackend(name))) throw new Error(`The ${name} backend failed to start`);
  await tf.ready();
  if (name === 'wasm') registerWasmGradientKernels();
  if (name === 'cpu') {
    fixResizeNearestGradient('cpu');
    speedUpCpuFilterGradient();
  }
}
