/** TF.js backends in Node: the pure-JS CPU backend, or WASM (much faster, same results). */
import v8 from 'node:v8';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { fixResizeNearestGradient, registerMeanGradient, registerWasmGradientKernels, speedUpCpuFilterGradient } from '../core/kernel-fixes';

export const NODE_BACKENDS = ['cpu', 'wasm'] as const;
export type NodeBackend = (typeof NODE_BACKENDS)[number];

/**
 * Lets our WASM kernels use relaxed SIMD's fused multiply-add, as Chrome does (on since 114;
 * behind a flag in Node 20): the command-line runner and the benchmark, which should train
 * as the page does. Tests do not: relaxed SIMD may round differently on different
 * processors, and seeded tests must give the same run everywhere (without it our products
 * add in XNNPACK's order and agree with TF.js's own kernels bit for bit). Call before the
 * first WASM step: kernels compile once.
 */
export function allowRelaxedSimd(): void {
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
}

export async function useNodeBackend(name: NodeBackend): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`The ${name} backend failed to start`);
  await tf.ready();
  // gradients are every backend's: the same on each
  registerMeanGradient();
  if (name === 'wasm') registerWasmGradientKernels();
  if (name === 'cpu') {
    fixResizeNearestGradient('cpu');
    speedUpCpuFilterGradient();
  }
}
