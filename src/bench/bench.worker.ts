/**
 * The benchmark's measurement: one model on one TF.js backend, with the same core, backend
 * selection and dataset loading as the app. It runs in a worker, as the app's training
 * does, and for the same reason as there: the threaded WASM backend needs an unminified
 * bundle (vite.config.ts), and only worker bundles are built that way.
 */
import * as tf from '@tensorflow/tfjs';
import { BACKEND_CHOICES, defaultConfig, type BackendChoice } from '../core/config';
import { findDataset } from '../core/datasets/catalog';
import { findModel } from '../core/models';
import { kernelsPerStep, traceKernels } from '../core/kernel-trace';
import { createSession } from '../core/training/session';
import { selectBrowserBackend } from '../worker/backend';
import { setKernelThreadsWanted } from '../worker/kernel-threads';
import { kernelThreadCount, kernelThreadStats, type WasmBackend } from '../core/wasm-simd/heap';
import { loadBrowserDataset } from '../worker/dataset-fetch';
import type { BenchRequest, BrowserBenchResult, FromBenchWorker } from './protocol';

// This file is type-checked with the page's DOM types; a worker scope only needs these.
const scope = self as unknown as {
  postMessage(message: FromBenchWorker): void;
  onmessage: ((event: MessageEvent<BenchRequest>) => void) | null;
  crossOriginIsolated: boolean;
};

/** Untimed steps traced after the timed ones. */
const TRACED_STEPS = 2;

const status = (text: string) => scope.postMessage({ type: 'status', text });

async function measure(request: BenchRequest, result: BrowserBenchResult): Promise<BrowserBenchResult> {
  if (!(BACKEND_CHOICES as readonly string[]).includes(request.backend) || request.backend === 'auto') {
    return { ...result, reason: `unknown backend "${request.backend}"` };
  }
  const model = findModel(request.model);
  if (!model) return { ...result, reason: `unknown model "${request.model}"` };
  if (!findDataset(request.dataset)) return { ...result, reason: `unknown dataset "${request.dataset}"` };

  status(`starting ${request.backend}`);
  // the thread count is fixed when the WASM backend starts
  // a stand-in for a machine with more cores: TF.js sizes its thread pool by this (half of it)
  if (request.cores) Object.defineProperty(navigator, 'hardwareConcurrency', { value: request.cores });
  if (request.backend === 'wasm' && request.threads) (await import('@tensorflow/tfjs-backend-wasm')).setThreadsCount(request.threads);
  // ours follow the request even where TF.js starts fewer (tfjs#6081)
  setKernelThreadsWanted(request.kernelThreads ?? request.threads);
  const info = await selectBrowserBackend(request.backend as BackendChoice, [], (reason) => status(`device lost: ${reason}`));
  // A forced backend that cannot start falls back to the next one; that is not a measurement of it.
  if (info.name !== request.backend) {
    const why = info.skipped.find((entry) => entry.name === request.backend)?.reason ?? `fell back to ${info.name}`;
    return { ...result, status: 'unavailable', backend: info.name, reason: why };
  }
  const measured: BrowserBenchResult = { ...result, backend: tf.getBackend(), adapter: info.adapter, isFallbackAdapter: info.isFallbackAdapter };
  if (info.name === 'wasm') {
    measured.wasmThreads = (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
    measured.kernelThreads = kernelThreadCount(tf.backend() as unknown as WasmBackend);
    measured.wasmMultithreadSupport = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  }

  status(`loading ${request.dataset}`);
  const dataSpec = findDataset(request.dataset)!;
  if (dataSpec.kind !== 'image') return { ...measured, reason: `the browser benchmark runs on image datasets, not ${dataSpec.id}` };
  const dataset = await loadBrowserDataset(dataSpec, request.dataUrl, () => {});
  const config = { ...defaultConfig(model.id, dataSpec.id), backend: info.name };
  const session = await createSession(config, dataset);
  try {
    status(`warming up (${request.warmupSteps} steps)`);
    const warmStart = performance.now();
    for (let i = 0; i < request.warmupSteps; i += 1) session.dispatch();
    await session.readMetrics();
    measured.warmupMs = performance.now() - warmStart;

    status(`timing ${request.steps} steps`);
    const start = performance.now();
    for (let i = 0; i < request.steps; i += 1) session.dispatch();
    // Steps are only dispatched until their losses are read back; this waits for all of them.
    const { points } = await session.readMetrics();
    const elapsed = performance.now() - start;
    measured.batch = session.batchSize;
    measured.msPerStep = elapsed / request.steps;
    measured.imagesPerSecond = (session.batchSize * 1000) / measured.msPerStep;
    const last = points.at(-1)?.values;
    // the autoregressive models name theirs nats and bits_per_dim
    measured.loss = last && (last.loss ?? Object.values(last)[0]);
    // Untimed: steps only dispatched should need no read-backs (each one makes a GPU wait).
    const tracedStart = performance.now();
    const trace = await traceKernels(() => {
      for (let i = 0; i < TRACED_STEPS; i += 1) session.dispatch();
    });
    measured.tracedMsPerStep = (performance.now() - tracedStart) / TRACED_STEPS;
    const threadStats = kernelThreadStats(tf.backend() as unknown as WasmBackend);
    if (threadStats) measured.kernelThreadStats = threadStats;
    await session.readMetrics();
    measured.readsPerStep = trace.reads / TRACED_STEPS;
    // where the page's step goes, beside Node's (npm run bench -- --profile)
    measured.kernels = kernelsPerStep(trace, TRACED_STEPS);
    return { ...measured, status: 'ok' };
  } finally {
    session.dispose();
  }
}

scope.onmessage = async ({ data: request }) => {
  const base: BrowserBenchResult = {
    status: 'error',
    requested: request.backend,
    model: request.model,
    dataset: request.dataset,
    warmupSteps: request.warmupSteps,
    steps: request.steps,
    crossOriginIsolated: scope.crossOriginIsolated,
  };
  let result: BrowserBenchResult;
  try {
    result = await measure(request, base);
  } catch (error) {
    result = { ...base, status: 'error', reason: error instanceof Error ? error.message : String(error) };
  }
  scope.postMessage({ type: 'result', result });
};
