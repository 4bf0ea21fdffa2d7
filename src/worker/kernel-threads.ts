/**
 * Our kernels' threads in the browser (src/core/wasm-simd/kernel-threads.ts): workers made
 * from the pool's source text as blobs (the page's policy allows blob workers: TF.js's own
 * WASM threads are made so), started beside the WASM backend on as many threads as TF.js
 * gave XNNPACK (half the logical cores), so our products use the cores its would have; on two
 * where it took one on a machine of two or three logical cores (defaultKernelThreads).
 */
import * as tf from '@tensorflow/tfjs';
import { kernelThreadCount, onOneThread, startKernelThreads, type WasmBackend } from '../core/wasm-simd/heap';
import type { ThreadStarter } from '../core/wasm-simd/kernel-threads';

/** A kernel thread that has not said it is ready after this long is taken as one that cannot start. */
const START_TIMEOUT_MS = 10_000;

/** Starts a worker from the pool's source text, as a blob, and resolves when it has instantiated our kernels. */
export const startBlobThread: ThreadStarter = (source, init) =>
  new Promise((resolve, reject) => {
    if (typeof Worker === 'undefined') {
      reject(new Error('this browser cannot start a worker inside a worker'));
      return;
    }
    const url = URL.createObjectURL(new Blob([`${source}\nself.onmessage = (event) => serve(event.data, () => self.postMessage('ready'));`], { type: 'text/javascript' }));
    const worker = new Worker(url, { name: `kernel thread ${init.slot}` });
    const settle = (error?: Error) => {
      clearTimeout(timer);
      URL.revokeObjectURL(url);
      worker.onmessage = worker.onerror = null;
      if (error) {
        worker.terminate();
        reject(error);
      } else resolve({ terminate: () => worker.terminate() });
    };
    const timer = setTimeout(() => settle(new Error(`it did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    worker.onmessage = () => settle();
    worker.onerror = (event) => {
      event.preventDefault();
      settle(new Error(event.message || 'it failed to load'));
    };
    worker.postMessage(init);
  });

let wanted: number | undefined;

/** The benchmark's request: our kernels on `count` threads, whatever TF.js starts (undefined: defaultKernelThreads). */
export function setKernelThreadsWanted(count: number | undefined): void {
  wanted = count;
}

/**
 * How many threads our kernels take by default: as many as TF.js gave XNNPACK, or two where
 * it took one on a machine of two or three logical cores (the half it leaves the page). There
 * a training step ran 1.03-1.59x as fast on two (`npm run bench -- --only browser`'s
 * "2 threads" rows, 2026-12-05; docs/performance.md, "Our second thread on a 2-core machine,
 * in the app: taken"). Two things had lost there in the app, and are answered: the
 * views' many small passes, now drawn on one thread (onKernelThreadAlone), and small models'
 * products, each waking a worker asleep between steps (kernel-bands.ts, MIN_PARALLEL_ASLEEP).
 */
export function defaultKernelThreads(tfjsThreads: number, logicalCores: number): number {
  return tfjsThreads < 2 && (logicalCores === 2 || logicalCores === 3) ? 2 : Math.max(1, tfjsThreads);
}

/**
 * Whether our threads outnumber TF.js's (two of ours where it keeps one): only there are the
 * views held to one thread while training runs. Elsewhere they run as before, on as many
 * threads as TF.js's own kernels would take, which this 2-core host cannot measure.
 */
let moreThanTfjs = false;

/**
 * Starts our kernels' threads on the current WASM backend, as many as asked or by
 * defaultKernelThreads; where they cannot start, the kernels stay on one thread and the
 * console says why. Resolves to the count that runs.
 */
export async function startWasmKernelThreads(): Promise<number> {
  const backend = tf.backend() as unknown as WasmBackend;
  const tfjsThreads = (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
  const count = wanted ?? defaultKernelThreads(tfjsThreads, navigator.hardwareConcurrency || 1);
  let running = kernelThreadCount(backend);
  if (running !== count) {
    try {
      running = await startKernelThreads(backend, count, startBlobThread);
    } catch (error) {
      console.warn(`Our WASM kernels stay on one thread: ${error instanceof Error ? error.message : String(error)}`);
      running = 1;
    }
  }
  moreThanTfjs = running > tfjsThreads;
  return running;
}

/** `work` with our WASM kernels on the worker's thread alone (heap.ts's onOneThread) where ours outnumber TF.js's threads; elsewhere, as it is. */
export function onKernelThreadAlone<T>(work: () => Promise<T>): Promise<T> {
  return moreThanTfjs && tf.getBackend() === 'wasm' ? onOneThread(tf.backend() as unknown as WasmBackend, work) : work();
}
