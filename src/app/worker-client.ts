/**
 * The page's training worker, supervised. A heartbeat asks it every second whether it is
 * alive and which run it holds; a worker that is dead (closed, terminated, crashed) or
 * wedged (no answer for far longer than a training step takes), or that reports running
 * out of memory, is replaced by a new one, and the page rebuilds its run there.
 */
import type { FromWorker, ToWorker } from '../worker/protocol';

/** What the supervisor needs from the rest of the page. */
export interface WorkerEvents {
  /** Every message but the heartbeat's. */
  message(message: FromWorker): void;
  /** The heartbeat's answer: the run the worker holds. */
  pong(runId: number, state: string): void;
  /** A new worker is up: the run must be rebuilt there. `reason` says why, for the person. */
  replaced(reason: string): void;
  /** A worker failed in a way a new one would repeat: nothing is rebuilt. */
  givenUp(reason: string): void;
  /** How long the worker may go without answering, given what it is doing (ms). */
  patience(): number;
}

const HEARTBEAT_MS = 1000;
/** Replacements this close together mean the fault follows the run: stop and say so. */
const REPEAT_WINDOW_MS = 30_000;

let worker: Worker | undefined;
let events: WorkerEvents | undefined;
let heartbeat: ReturnType<typeof setInterval> | undefined;
let lastHeard = 0;
let pingId = 0;
let replacements: number[] = [];

function spawn(): void {
  worker = new Worker(new URL('../worker/training.worker.ts', import.meta.url), { type: 'module', name: 'training' });
  lastHeard = performance.now();
  worker.onmessage = (event: MessageEvent<FromWorker>) => {
    lastHeard = performance.now();
    const message = event.data;
    if (message.type === 'pong') events?.pong(message.runId, message.state);
    else if (message.type === 'fatal') replace(`${message.message} The page started a new training worker; choose a smaller setting before training again.`);
    else events?.message(message);
  };
  // A script that cannot load at all; an exception inside the worker arrives as an 'error' message instead.
  worker.onerror = (event) => {
    event.preventDefault();
    replace(`The training worker failed${event.message ? ` (${event.message})` : ''}; the page started a new one.`);
  };
  // The fault tests shorten the download stall timeout, so a stalled download fails in seconds.
  // The backend timing test has the automatic choice time a software GPU as it would a real one.
  const overrides = (window as { playgroundTestOverrides?: { downloadStallMs?: number; checkpointMs?: number; timeSoftwareGpu?: boolean } }).playgroundTestOverrides;
  worker.postMessage({
    type: 'configure',
    dataUrl: new URL(`${import.meta.env.BASE_URL}data/`, document.baseURI).href,
    ...(overrides?.downloadStallMs ? { downloadStallMs: overrides.downloadStallMs } : {}),
    ...(overrides?.checkpointMs ? { checkpointMs: overrides.checkpointMs } : {}),
    ...(overrides?.timeSoftwareGpu ? { timeSoftwareGpu: true } : {}),
  } satisfies ToWorker);
}

function replace(reason: string): void {
  worker?.terminate();
  const now = performance.now();
  replacements = [...replacements.filter((time) => now - time < REPEAT_WINDOW_MS), now];
  if (replacements.length > 2) {
    worker = undefined;
    events?.givenUp(`${reason} It failed again right away, so the page stopped here: reload it, and choose a smaller setting.`);
    return;
  }
  spawn();
  events?.replaced(reason);
}

export function connectWorker(next: WorkerEvents): void {
  events = next;
  spawn();
  clearInterval(heartbeat);
  heartbeat = setInterval(() => {
    if (!worker) return;
    if (performance.now() - lastHeard > next.patience()) {
      replace('The training worker stopped answering; the page started a new one.');
      return;
    }
    worker.postMessage({ type: 'ping', id: ++pingId } satisfies ToWorker);
  }, HEARTBEAT_MS);
}

export function sendToWorker(message: ToWorker): void {
  worker?.postMessage(message);
}

/** For the fault tests (and a curious person in the console): end the worker as a browser might. */
export function terminateWorkerForTest(): void {
  worker?.terminate();
}
