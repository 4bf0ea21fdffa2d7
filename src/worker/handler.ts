/**
 * The training worker's logic as a plain function, so that Node tests can drive it with a
 * fake `post`. The worker entry file only wires it to `self`.
 */
import type { BackendChoice, RunConfig } from '../core/config';
import type { ImageDataset } from '../core/datasets/image-dataset';
import { TrainingSession } from '../core/training/session';
import { ThroughputMeter } from '../core/training/throughput';
import { panelBuffers } from '../core/views/panels';
import type { BackendInfo, FromWorker, RunState, ToWorker } from './protocol';

export interface HandlerDeps {
  post(message: FromWorker, transfer?: ArrayBuffer[]): void;
  /** Chooses and starts a TF.js backend; `exclude` lists backends known to be broken. */
  selectBackend(choice: BackendChoice, exclude: readonly string[]): Promise<BackendInfo>;
  loadDataset(id: string, onProgress: (label: string, loaded: number, total: number) => void): Promise<ImageDataset>;
  now(): number;
  /** Lets queued messages (pause, reset) in between steps. */
  yieldToEvents(): Promise<void>;
}

export interface HandlerTiming {
  /** Losses are sent at most this often (ms). */
  metricsInterval: number;
  /** Views and the held-out loss are refreshed at most this often (ms). */
  viewsInterval: number;
}

const DEFAULT_TIMING: HandlerTiming = { metricsInterval: 100, viewsInterval: 1500 };
/** Refresh no more often than every REFRESH_SHARE times its own cost: at most 1/5 of the time. */
const REFRESH_SHARE = 5;

interface Run {
  id: number;
  config: RunConfig;
  session: TrainingSession;
  running: boolean;
  loop?: Promise<void>;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createTrainingHandler(deps: HandlerDeps, timing: HandlerTiming = DEFAULT_TIMING) {
  let run: Run | undefined;
  let backend: { choice: BackendChoice; info: BackendInfo } | undefined;
  const brokenBackends: string[] = [];
  const meter = new ThroughputMeter(deps.now);
  // Messages are handled one at a time, in order; the training loop runs beside the queue.
  let queue: Promise<void> = Promise.resolve();

  const status = (target: Run | { id: number; session?: TrainingSession }, state: RunState, message?: string) =>
    deps.post({ type: 'status', runId: target.id, state, step: target.session?.step ?? 0, ...(message ? { message } : {}) });

  async function stopLoop(target: Run | undefined): Promise<void> {
    if (!target) return;
    target.running = false;
    await target.loop;
  }

  async function postMetrics(target: Run, withTest: boolean): Promise<void> {
    const train = await target.session.readMetrics();
    const test = withTest ? await target.session.evaluate() : undefined;
    if (run !== target) return;
    const stepsPerSecond = meter.stepsPerSecond();
    deps.post({
      type: 'metrics',
      runId: target.id,
      train,
      ...(test ? { test } : {}),
      throughput: { stepsPerSecond, imagesPerSecond: stepsPerSecond * target.session.batchSize },
    });
  }

  async function postViews(target: Run): Promise<void> {
    const panels = await target.session.views();
    if (run !== target) return;
    deps.post({ type: 'views', runId: target.id, step: target.session.step, panels }, panelBuffers(panels));
  }

  async function trainLoop(target: Run): Promise<void> {
    let lastMetrics = deps.now();
    let lastViews = deps.now();
    /** How long the last held-out evaluation and views took. */
    let refreshCost = 0;
    try {
      while (target.running && run === target) {
        target.session.trainStep();
        meter.tick();
        const now = deps.now();
        // A big model's views (encoding 1,000 test images, PCA) take long: space them out
        // so that refreshing never takes more than a fifth of the time training could use.
        const viewsDue = now - lastViews >= Math.max(timing.viewsInterval, REFRESH_SHARE * refreshCost);
        if (viewsDue || now - lastMetrics >= timing.metricsInterval) {
          await postMetrics(target, viewsDue);
          lastMetrics = deps.now();
        }
        if (viewsDue) {
          await postViews(target);
          lastViews = deps.now();
          refreshCost = lastViews - now;
        }
        await deps.yieldToEvents();
      }
      if (run === target) {
        await postMetrics(target, true);
        await postViews(target);
      }
    } catch (error) {
      target.running = false;
      if (run === target) {
        deps.post({ type: 'error', runId: target.id, message: `Training stopped: ${errorText(error)}` });
        status(target, 'error', errorText(error));
      }
    }
  }

  async function ensureBackend(choice: BackendChoice, runId: number): Promise<void> {
    if (backend && backend.choice === choice && !brokenBackends.includes(backend.info.name)) return;
    const info = await deps.selectBackend(choice, brokenBackends);
    backend = { choice, info };
    deps.post({ type: 'backend', runId, backend: info });
  }

  async function reset(runId: number, config: RunConfig, notice?: string): Promise<void> {
    const previous = run;
    run = undefined;
    await stopLoop(previous);
    previous?.session.dispose();
    meter.reset();
    const pending = { id: runId };
    status(pending, 'loading', 'Starting the compute backend…');
    try {
      await ensureBackend(config.backend, runId);
      const dataset = await deps.loadDataset(config.dataset, (label, loaded, total) =>
        deps.post({ type: 'progress', runId, label, loaded, total }),
      );
      const session = new TrainingSession(config, dataset);
      run = { id: runId, config, session, running: false };
      const first = run;
      status(first, 'paused', notice);
      await postMetrics(first, true);
      await postViews(first);
    } catch (error) {
      deps.post({ type: 'error', runId, message: errorText(error) });
      status(pending, 'error', errorText(error));
    }
  }

  async function handle(message: ToWorker): Promise<void> {
    if (message.type === 'configure') return; // handled by the worker entry
    if (message.type === 'reset') return reset(message.runId, message.config);
    if (message.type === 'device-lost') {
      if (backend?.info.name === 'webgpu') brokenBackends.push('webgpu');
      backend = undefined;
      if (run) {
        const { id, config } = run;
        await reset(id, config, `The GPU device was lost (${message.reason}); switched backend and restarted the run.`);
      }
      return;
    }
    const target = run;
    if (!target || target.id !== message.runId) return; // stale: a reset has replaced that run
    switch (message.type) {
      case 'start':
        if (target.running) return;
        target.running = true;
        meter.reset();
        status(target, 'running');
        target.loop = trainLoop(target);
        return;
      case 'pause':
        await stopLoop(target);
        if (run === target && target.session) status(target, 'paused');
        return;
      case 'step':
        if (target.running) return;
        try {
          target.session.trainStep();
          await postMetrics(target, true);
          await postViews(target);
          status(target, 'paused');
        } catch (error) {
          deps.post({ type: 'error', runId: target.id, message: errorText(error) });
        }
        return;
      case 'refresh-views':
        if (!target.running) await postViews(target);
        return;
      case 'set-params':
        target.session.model.setParams?.(message.values);
        Object.assign(target.config.values, message.values);
        if (!target.running) await postViews(target);
        return;
      case 'decode': {
        if (!target.session.model.decodeLatent) return;
        const panel = await target.session.model.decodeLatent(message.query);
        if (run === target) deps.post({ type: 'decoded', runId: target.id, query: message.query, panel }, [panel.pixels.buffer as ArrayBuffer]);
        return;
      }
    }
  }

  return (message: ToWorker): Promise<void> => {
    // pause must not wait behind a running loop: it only flips a flag, so handle it at once.
    if (message.type === 'pause' && run?.id === message.runId && run.running) run.running = false;
    queue = queue.then(() => handle(message)).catch((error) => {
      deps.post({ type: 'error', runId: 'runId' in message ? message.runId : -1, message: errorText(error) });
    });
    return queue;
  };
}
