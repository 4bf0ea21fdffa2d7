/** TF.js backends in Node: the pure-JS CPU backend, or WASM (much faster, same results). */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { fixResizeNearestGradient, registerWasmGradientKernels, speedUpCpuFilterGradient } from '../core/kernel-fixes';

export const NODE_BACKENDS = ['cpu', 'wasm'] as const;
export type NodeBackend = (typeof NODE_BACKENDS)[number];

export async function useNodeBackend(name: NodeBackend): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`The ${name} backend failed to start`);
  await tf.ready();
  if (name === 'wasm') registerWasmGradientKernels();
  if (name === 'cpu') {
    fixResizeNearestGradient('cpu');
    speedUpCpuFilterGradient();
  }
}
