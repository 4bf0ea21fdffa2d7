/**
 * normalNoise (./normal-noise.ts) drawn on the WASM backend's heap, into the tensor's own
 * memory: our WebAssembly draws the ziggurat's common case (wasm-simd/noise-kernel.ts), and
 * JavaScript finishes the 3% it lists. The same numbers as the JavaScript alone
 * (tests/unit/normal-noise.test.ts), in a third of its time: 0.22 ms for the 50,176 numbers
 * the EBM draws at every Langevin step (the JavaScript 0.7 ms, tf.randomNormal 1.3) on the
 * Xeon; on the AMD EPYC, with the common case four numbers at a time, 0.11 ms for the
 * WebAssembly and 0.05 for the JavaScript's slow draws.
 */
import * as tf from '@tensorflow/tfjs';
import { fillNormal, finishSlowDraws, NORMAL_NOISE, zigguratTables } from './normal-noise';
import { NOISE_TABLES } from './wasm-simd/noise-kernel';
import { kernelsOn, scratchOn } from './wasm-simd/heap';
import { registerWasmKernel, type WasmBackend } from './wasm-heap-views';

function normalNoiseOnHeap({ attrs, backend: anyBackend }: { attrs: tf.NamedAttrMap; backend: unknown }): tf.TensorInfo {
  const { shape, std, seed } = attrs as unknown as { shape: number[]; std: number; seed: number };
  const backend = anyBackend as WasmBackend;
  const kernels = kernelsOn(backend);
  const count = tf.util.sizeFromShape(shape);
  // allocations first: growing the heap leaves earlier views empty
  const out = backend.makeOutput(shape, 'float32');
  if (!kernels) {
    // no heap for our WebAssembly: the JavaScript alone, into the tensor
    fillNormal(backend.typedArrayFromHeap(out) as Float32Array, seed, std);
    return out;
  }
  const [tables, slow] = scratchOn(backend).regions([NOISE_TABLES.bytes, 4 * (count + 1)]);
  const heap = backend.typedArrayFromHeap(out).buffer;
  new Int32Array(heap, tables + NOISE_TABLES.bounds, 128).set(zigguratTables.bounds);
  new Float64Array(heap, tables + NOISE_TABLES.widths, 128).set(zigguratTables.widths);
  new Float64Array(heap, tables + NOISE_TABLES.scale, 1)[0] = std;
  const values = backend.typedArrayFromHeap(out) as Float32Array;
  kernels.normalFast(values.byteOffset, count, seed | 0, tables, slow);
  const listed = new Int32Array(heap, slow, 1)[0];
  finishSlowDraws(values, new Int32Array(heap, slow + 4, listed), seed, std);
  return out;
}

/** Call after the WASM backend is set; harmless to call twice. */
export function registerNormalNoise(): void {
  registerWasmKernel(NORMAL_NOISE, normalNoiseOnHeap);
}
