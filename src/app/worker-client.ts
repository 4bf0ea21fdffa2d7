/** The page's one training worker. */
import type { FromWorker, ToWorker } from '../worker/protocol';

let worker: Worker | undefined;

export function connectWorker(onMessage: (message: FromWorker) => void, onCrash: (text: string) => void): void {
  worker = new Worker(new URL('../worker/training.worker.ts', import.meta.url), { type: 'module', name: 'training' });
  worker.onmessage = (event: MessageEvent<FromWorker>) => onMessage(event.data);
  worker.onerror = (event) => onCrash(event.message || 'the training worker failed to start');
  worker.postMessage({ type: 'configure', dataUrl: new URL(`${import.meta.env.BASE_URL}data/`, document.baseURI).href } satisfies ToWorker);
}

export function sendToWorker(message: ToWorker): void {
  worker?.postMessage(message);
}
