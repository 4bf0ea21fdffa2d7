/// <reference lib="webworker" />
// The worker entry: wires the training handler to this worker's message port, and reports
// what escapes it (an uncaught exception, a rejected promise) instead of dying silently.
import * as tf from '@tensorflow/tfjs';
import { failureReport } from './failures';
import { createTrainingHandler } from './handler';
import { selectBrowserBackend } from './backend';
import { createBackendTimer } from './backend-timing';
import { browserVerdictCache } from './verdict-store';
import { BROWSER_POLICY, loadBrowserDataset, type DownloadPolicy } from './dataset-fetch';
import { DEFAULT_TIMING } from './refresh-schedule';
import { CLASSIFIER_DATASETS, loadBrowserClassifier } from './classifier-fetch';
import type { EvaluationClassifier } from '../core/metrics/classifier';
import type { FromWorker, ToWorker, WorkerFault } from './protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => scope.postMessage(message, transfer);

// A MessageChannel round trip yields to queued messages without setTimeout's 4 ms clamp.
const channel = new MessageChannel();
const waiting: (() => void)[] = [];
channel.port1.onmessage = () => waiting.shift()?.();

let dataUrl = new URL(`${import.meta.env.BASE_URL}data/`, self.location.href).href;
let downloads: DownloadPolicy = BROWSER_POLICY;
/** The run the page last asked for: what an escaped error is reported against. */
let latestRunId = -1;

/** Evaluation classifiers by dataset, loaded once per worker and kept: every run on the set uses the same one. */
const classifiers = new Map<string, Promise<EvaluationClassifier>>();

/** Read by the handler at every use: the page's configure message may shorten the checkpoint interval (the reload test does). */
const timing = { ...DEFAULT_TIMING };


const onDeviceLost = (reason: string) => void handle({ type: 'device-lost', reason });

/** Test hook (configure): the automatic choice takes a software GPU and times it against WebAssembly, as it would a real one. */
let timeSoftwareGpu = false;

const yieldToEvents = () =>
  new Promise<void>((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(null);
  });

const handle = createTrainingHandler({
  post,
  selectBackend: (choice, exclude) => selectBrowserBackend(choice, exclude, onDeviceLost, timeSoftwareGpu),
  measureBackend: createBackendTimer({ onDeviceLost, cache: browserVerdictCache(), yieldToEvents, allowSoftware: () => timeSoftwareGpu }),
  loadDataset: (spec, onProgress) => loadBrowserDataset(spec, dataUrl, onProgress, downloads),
  loadClassifier: {
    has: (datasetId) => CLASSIFIER_DATASETS.includes(datasetId),
    load: (datasetId) => {
      let loading = classifiers.get(datasetId);
      if (!loading) {
        loading = loadBrowserClassifier(datasetId, new URL('../classifiers/', dataUrl).href);
        // a failed download is tried again at the next evaluation, not remembered
        loading.catch(() => classifiers.delete(datasetId));
        classifiers.set(datasetId, loading);
      }
      return loading;
    },
  },
  now: () => performance.now(),
  yieldToEvents,
}, timing);

function reportEscaped(error: unknown): void {
  post(failureReport(latestRunId, error, 'Something went wrong in the training worker: '));
}

scope.addEventListener('error', (event) => {
  event.preventDefault();
  reportEscaped(event.error ?? event.message);
});
scope.addEventListener('unhandledrejection', (event) => {
  event.preventDefault();
  reportEscaped(event.reason);
});

/** The fault tests' hooks: each fails the way a real fault does. */
function diagnose(fault: WorkerFault): void {
  switch (fault) {
    case 'throw':
      setTimeout(() => {
        throw new Error('a test fault thrown outside any handler');
      });
      return;
    case 'reject':
      void Promise.reject(new Error('a test fault rejected'));
      return;
    case 'close':
      scope.close();
      return;
    case 'exhaust-memory': {
      // Grow the backend's memory until it gives out, as an over-large model does.
      const held: tf.Tensor[] = [];
      try {
        for (let i = 0; i < 64; i++) held.push(tf.fill([64 * 2 ** 20], 1));
      } catch (error) {
        reportEscaped(error);
      } finally {
        tf.dispose(held);
      }
      return;
    }
    case 'foreign-reset':
      void handle({ type: 'reset', runId: 2 ** 30, config: { model: 'no-such-model', dataset: 'mnist', backend: 'auto', values: {} } });
      return;
    case 'hang': {
      const until = performance.now() + 120_000;
      while (performance.now() < until) {
        /* busy: no message is handled */
      }
      return;
    }
  }
}

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === 'configure') {
    dataUrl = message.dataUrl;
    if (message.downloadStallMs) downloads = { ...BROWSER_POLICY, stallMs: message.downloadStallMs };
    if (message.checkpointMs) timing.checkpointInterval = message.checkpointMs;
    if (message.timeSoftwareGpu) timeSoftwareGpu = true;
  }
  else if (message.type === 'diagnose') diagnose(message.fault);
  else {
    if (message.type === 'reset') latestRunId = message.runId;
    void handle(message);
  }
};
