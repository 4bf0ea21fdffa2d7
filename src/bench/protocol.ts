/** Messages between the benchmark page and its worker (src/bench/bench.worker.ts). */
import type { KernelStats } from '../core/kernel-trace';

export interface BenchRequest {
  backend: string;
  model: string;
  dataset: string;
  warmupSteps: number;
  steps: number;
  /** Where the dataset files are served: the worker has no document to resolve it from. */
  dataUrl: string;
  /** WASM threads to ask for (undefined: as many as the backend starts with). */
  threads?: number;
  /** Threads for our kernels' products, where not `threads` (undefined: as many as `threads`, or as TF.js starts). */
  kernelThreads?: number;
  /** The logical cores the worker's navigator reports, where not the machine's (TF.js starts half as many WASM threads). */
  cores?: number;
}

/** What the page publishes as window.__bench; src/cli/bench.ts reads the same shape. */
export interface BrowserBenchResult {
  status: 'ok' | 'unavailable' | 'error';
  requested: string;
  /** The backend TF.js actually ran on; differs from `requested` only when unavailable. */
  backend?: string;
  model: string;
  dataset: string;
  batch?: number;
  warmupSteps: number;
  steps: number;
  /** Warm-up wall time: includes shader compilation and WASM start-up. */
  warmupMs?: number;
  msPerStep?: number;
  imagesPerSecond?: number;
  /** Last loss read back (a model with no term named loss: its first term): a sanity check that the steps did real work. */
  loss?: number;
  adapter?: string;
  isFallbackAdapter?: boolean;
  wasmThreads?: number;
  /** Threads our kernels' matrix products ran on (src/core/wasm-simd/kernel-threads.ts): as many as TF.js started, or as the page asked for. */
  kernelThreads?: number;
  /** With our kernels on more than one thread: calls cut (products and element-wise kernels), the element-wise ones among them, their bands, the bands the training worker ran itself, and the ms in those calls (warm-up, timed and traced steps). */
  kernelThreadStats?: { jobs: number; elementwiseJobs: number; programJobs: number; bands: number; bandsHere: number; ms: number };
  /** Whether TF.js found WASM threads usable here (its WASM_HAS_MULTITHREAD_SUPPORT flag). */
  wasmMultithreadSupport?: boolean;
  /** Values read back from the backend while steps were dispatched, per step (outside kernels). */
  readsPerStep?: number;
  /** The traced steps' kernels, per step: each kernel's own time (exact on WASM and the CPU backend only), calls and FLOPs. */
  kernels?: KernelStats[];
  /** Wall time of a traced step (tracing adds a little). */
  tracedMsPerStep?: number;
  crossOriginIsolated: boolean;
  reason?: string;
}

export type FromBenchWorker = { type: 'status'; text: string } | { type: 'result'; result: BrowserBenchResult };
