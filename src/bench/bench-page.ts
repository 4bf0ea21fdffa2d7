/**
 * The benchmark page (bench.html): times training steps of one model on one TF.js backend
 * in this browser. `npm run bench` opens it in headless Chromium once per backend:
 *
 *   bench.html?backend=webgpu&model=ae&steps=5&warmup=2[&dataset=mnist][&threads=1][&kernelThreads=1][&cores=4]
 *
 * The measurement runs in a worker (bench.worker.ts), like the app's training. The result
 * is published as window.__bench and as JSON text in #result.
 */
import { DEFAULT_MODEL } from '../core/config';
import type { BenchRequest, BrowserBenchResult, FromBenchWorker } from './protocol';

declare global {
  interface Window {
    __bench?: BrowserBenchResult;
  }
}

const statusEl = document.getElementById('status')!;
const resultEl = document.getElementById('result')!;

function status(text: string): void {
  statusEl.textContent = text;
  // The runner relays these lines so that a slow backend shows where it is.
  console.log(`bench: ${text}`);
}

function intParam(params: URLSearchParams, key: string, fallback: number, min: number): number {
  const value = Number(params.get(key) ?? fallback);
  return Number.isInteger(value) && value >= min ? value : fallback;
}

function publish(result: BrowserBenchResult): void {
  status(result.status === 'ok' ? 'done' : `${result.status}: ${result.reason}`);
  resultEl.textContent = JSON.stringify(result, null, 2);
  window.__bench = result;
}

const params = new URLSearchParams(location.search);
const request: BenchRequest = {
  backend: params.get('backend') ?? 'wasm',
  model: params.get('model') ?? DEFAULT_MODEL,
  dataset: params.get('dataset') ?? 'mnist',
  warmupSteps: intParam(params, 'warmup', 3, 0),
  steps: intParam(params, 'steps', 10, 1),
  dataUrl: new URL('data/', document.baseURI).href,
  ...(params.has('threads') ? { threads: intParam(params, 'threads', 1, 1) } : {}),
  ...(params.has('kernelThreads') ? { kernelThreads: intParam(params, 'kernelThreads', 1, 1) } : {}),
  ...(params.has('cores') ? { cores: intParam(params, 'cores', 1, 1) } : {}),
};

const worker = new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module' });
worker.onmessage = ({ data }: MessageEvent<FromBenchWorker>) => {
  if (data.type === 'status') status(data.text);
  else publish(data.result);
};
// A worker that fails to load or throws outside the measurement still ends with a result.
worker.onerror = (event) => {
  const { backend, model, dataset, warmupSteps, steps } = request;
  publish({ status: 'error', requested: backend, model, dataset, warmupSteps, steps, crossOriginIsolated, reason: event.message || 'the worker failed' });
};
worker.postMessage(request);
status(`requested ${request.backend}`);
