import { Worker } from 'node:worker_threads';
import type * as tf from '@tensorflow/tfjs';
import type { ThreadStarter } from '../core/wasm-simd/kernel-threads';
import type { WasmBackend } from '../core/wasm-simd/heap';

/**
 * What the tests of our kernel threads and bench-pass-threads.ts share: a worker made from
 * the pool's source text, as the browser's starter makes one from a blob (Node's
 * worker_threads), and a stand-in for TF.js's threaded WASM backend, whose heap is shared
 * memory (in Node, TF.js's own WASM backend has one thread and a heap that is not shared,
 * tfjs#3830).
 */
export const startNodeThread: ThreadStarter = (source, init) =>
  new Promise((resolve, reject) => {
    const code = `${source}\nconst { workerData, parentPort } = require('node:worker_threads');\nserve(workerData, () => parentPort.postMessage('ready'));`;
    const worker = new Worker(code, { eval: true, workerData: init });
    worker.once('message', () => resolve({ terminate: () => void worker.terminate() }));
    worker.once('error', reject);
  });

/**
 * The parts of TF.js's WASM backend our passes use, over a shared WebAssembly.Memory of
 * `pages` 64 kB pages: malloc as a bump allocator that never frees (scratch is kept and
 * regrown rarely), tensors as float32 arrays placed on it, and `place`/`read` for a test's values.
 */
export function sharedHeapBackend(pages = 2048) {
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  let next = 64;
  const malloc = (bytes: number) => {
    const at = Math.ceil(next / 16) * 16;
    next = at + bytes;
    if (next > memory.buffer.byteLength) throw new Error(`the test heap is full (${next} bytes)`);
    return at;
  };
  const addresses = new WeakMap<object, { at: number; size: number }>();
  const tensor = (shape: number[], at: number): tf.TensorInfo => {
    const info = { dataId: {}, shape, dtype: 'float32' as const };
    addresses.set(info.dataId, { at, size: shape.reduce((a, b) => a * b, 1) });
    return info;
  };
  const backend: WasmBackend = {
    wasm: { _malloc: malloc, _free: () => {}, wasmMemory: memory, _get_threads_count: () => 1 },
    makeOutput: (shape) => {
      const size = shape.reduce((a, b) => a * b, 1);
      return tensor(shape, malloc(size * 4 + 16));
    },
    typedArrayFromHeap: (info) => {
      const { at, size } = addresses.get(info.dataId)!;
      return new Float32Array(memory.buffer, at, size);
    },
  };
  /** A float32 tensor of `shape` holding `values`. */
  const place = (shape: number[], values: Float32Array): tf.TensorInfo => {
    const info = backend.makeOutput(shape, 'float32');
    (backend.typedArrayFromHeap(info) as Float32Array).set(values);
    return info;
  };
  const read = (info: tf.TensorInfo) => Float32Array.from(backend.typedArrayFromHeap(info));
  /** Where the next allocation goes, and a way back there (what was allocated since is then reused). */
  const mark = () => next;
  const release = (to: number) => void (next = to);
  return { backend, memory, place, read, mark, release };
}

/** Reproducible values in [-1, 1) (a linear congruential sequence): the same inputs on two heaps, or in a test and its reference. */
export function seededValues(length: number, seed: number): Float32Array {
  // a plain loop: Float32Array.from with a function took 150 ns a number, a hundred milliseconds for the larger tests' inputs
  const values = new Float32Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    values[i] = (state / 2147483648) * 2 - 1;
  }
  return values;
}
