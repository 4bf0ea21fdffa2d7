/// <reference lib="webworker" />
// The worker entry: wires the training handler to this worker's message port.
import { createTrainingHandler } from './handler';
import { selectBrowserBackend } from './backend';
import { loadBrowserDataset } from './dataset-fetch';
import type { ToWorker } from './protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;

// A MessageChannel round trip yields to queued messages without setTimeout's 4 ms clamp.
const channel = new MessageChannel();
const waiting: (() => void)[] = [];
channel.port1.onmessage = () => waiting.shift()?.();

let dataUrl = new URL(`${import.meta.env.BASE_URL}data/`, self.location.href).href;

const handle = createTrainingHandler({
  post: (message, transfer = []) => scope.postMessage(message, transfer),
  selectBackend: (choice, exclude) =>
    selectBrowserBackend(choice, exclude, (reason) => void handle({ type: 'device-lost', reason })),
  loadDataset: (spec, onProgress) => loadBrowserDataset(spec, dataUrl, onProgress),
  now: () => performance.now(),
  yieldToEvents: () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      channel.port2.postMessage(null);
    }),
});

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  if (event.data.type === 'configure') dataUrl = event.data.dataUrl;
  else void handle(event.data);
};
