/**
 * The training worker's logic as a plain function, so that Node tests can drive it with a
 * fake `post`. The worker entry file only wires it to `self`.
 *
 * Messages are handled one at a time, in order. Beside that queue run the training loop,
 * the refresh that follows a stop (held-out figures and views, cancellable), and the jobs
 * the page starts (actions). A reset cancels all three before the model is freed.
 */
import { datasetOf, type BackendChoice, type RunConfig } from '../core/config';
import type { ImageDataSpec } from '../core/datasets/catalog';
import { openDataset, type Dataset } from '../core/datasets/dataset';
import type { ImageDataset } from '../core/datasets/image-dataset';
import { findModel } from '../core/models';
import type { Action, Evaluation, ModelSpec } from '../core/models/model';
import { quote } from '../core/quote';
import { createRandom, itemSeed } from '../core/random';
import type { ClassifierSource } from '../core/metrics/sample-quality';
import type { Checkpoint } from '../core/training/checkpoint';
import { cancellable, JobCancelled, JobRunner, type JobContext } from '../core/training/jobs';
import { drawSamples } from '../core/training/sampling-job';
import { createSession, nonFiniteMessage, type EvaluationPoint, type MetricPoint, type TrainingSession } from '../core/training/session';
import { ThroughputMeter } from '../core/training/throughput';
import { panelBuffers, type ViewPanel } from '../core/views/panels';
import type { BackendInfo, FromWorker, RunState, ToWorker } from './protocol';
import { RunRefused, type BackendRun } from './backend-probe';
import { errorText, failureReport, isMemoryFailure, memoryRefusal } from './failures';
import { createKeeping, type KeptRun } from './keeping';
import { DEFAULT_TIMING, RefreshSchedule, type RefreshMode, type RefreshTiming } from './refresh-schedule';

export interface HandlerDeps {
  post(message: FromWorker, transfer?: ArrayBuffer[]): void;
  /** Chooses and starts a TF.js backend; `exclude` lists backends known to be broken. */
  selectBackend(choice: BackendChoice, exclude: readonly string[]): Promise<BackendInfo>;
  /** The backend this run's model trains fastest on, timed or remembered, left current (backend-timing); absent: the selected one. */
  measureBackend?(selected: BackendInfo, run: BackendRun): Promise<BackendInfo>;
  /** An image dataset's bytes (points sets are generated, not loaded). */
  loadDataset(spec: ImageDataSpec, onProgress: (label: string, loaded: number, total: number) => void): Promise<ImageDataset>;
  now(): number;
  /** Lets queued messages (pause, reset) in between steps. */
  yieldToEvents(): Promise<void>;
  /** Resolves after ms milliseconds (slow motion's wait between steps); absent: setTimeout. */
  wait?(ms: number): Promise<void>;
  /** The model registry (tests add fakes). */
  findModel?(id: string): ModelSpec | undefined;
  /** A labelled image set's evaluation classifier, for the sample-quality figures; absent: images get none. */
  loadClassifier?: ClassifierSource;
}

/** Slow motion's pace: a person can follow each move of the model (a GAN's D step, then G's). */
export const SLOW_STEPS_PER_SECOND = 4;

/** Steps dispatched and not yet read back, at most: on a GPU, a pause stops the device within a few steps. */
export const MAX_IN_FLIGHT = 4;

interface Background {
  cancel(reason: string): void;
  done: Promise<void>;
}

type LoopEnd = 'stopped' | 'halted' | 'failed';

interface Run extends KeptRun {
  config: RunConfig;
  spec: ModelSpec;
  session: TrainingSession;
  running: boolean;
  loop?: Promise<LoopEnd>;
  /** Cancels the refresh the loop is awaiting, so a pause never waits for a whole evaluation. */
  stopLoopWork?: (reason: string) => void;
  jobs: JobRunner;
  schedule: RefreshSchedule;
  /** The refresh after a stop, which brings figures and views up to date beside the queue. */
  background?: Background;
  /** Terms read back and not yet posted. */
  unsent: MetricPoint[];
}

export function createTrainingHandler(deps: HandlerDeps, timing: RefreshTiming = DEFAULT_TIMING) {
  let run: Run | undefined;
  /** `selected`: what selectBackend started; `info`: what runs now (the timing's verdict for the current model). */
  let backend: { choice: BackendChoice; selected: BackendInfo; info: BackendInfo } | undefined;
  const brokenBackends: string[] = [];
  const meter = new ThroughputMeter(deps.now);
  let queue: Promise<void> = Promise.resolve();

  /** The run the worker last reported on, and its state: what a pong answers. */
  let current = { runId: -1, state: 'loading' as RunState };
  /** Counts the resets received: one still queued when a newer one arrives is skipped (a burst of link changes builds one run). */
  let resets = 0;
  /** Slow motion: every step's views are shown, and steps wait for each other (the page's switch, for any run). */
  let slowMotion = false;
  const wait = deps.wait ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  const status = (target: { id: number; session?: TrainingSession }, state: RunState, message?: string) => {
    current = { runId: target.id, state };
    deps.post({ type: 'status', runId: target.id, state, step: target.session?.step ?? 0, ...(message ? { message } : {}) });
  };

  /** Reports a failure of a run: a memory failure is fatal (the page replaces this worker), anything else an error. True if fatal. */
  const fail = (runId: number, error: unknown, prefix = '') => {
    const report = failureReport(runId, error, prefix);
    deps.post(report);
    return report.type === 'fatal';
  };

  /** A failure that stops the run: reported, and unless fatal the run's state becomes 'error'. */
  const stopWithError = (target: { id: number; session?: TrainingSession }, error: unknown, prefix = '') => {
    if (!fail(target.id, error, prefix)) status(target, 'error', errorText(error));
  };

  const throughput = (target: Run) => {
    const stepsPerSecond = meter.stepsPerSecond();
    return { stepsPerSecond, imagesPerSecond: stepsPerSecond * target.session.batchSize };
  };

  const { saveCheckpoint, keepIfBest } = createKeeping({ post: deps.post, now: deps.now, isCurrent: (target) => run === target });

  const postEvaluation = async (target: Run, point: EvaluationPoint) => {
    if (run !== target) return;
    deps.post({ type: 'metrics', runId: target.id, train: [], evaluations: [point], throughput: throughput(target) });
    await keepIfBest(target, point);
  };

  /**
   * Reads back the terms of completed steps and, with `send`, posts what has been read so
   * far: reading back every few steps keeps the device close, posting at most every
   * metricsInterval keeps the page's message rate down however fast the steps are. False
   * if a term was not finite (the run is then paused, with a message).
   */
  async function flushMetrics(target: Run, send = true): Promise<boolean> {
    const { points, nonFinite } = await target.session.readMetrics();
    if (run !== target) return true;
    meter.tick(points.length);
    target.unsent.push(...points);
    if ((send || nonFinite) && target.unsent.length > 0) {
      deps.post({ type: 'metrics', runId: target.id, train: target.unsent, throughput: throughput(target) });
      target.unsent = [];
    }
    if (!nonFinite) return true;
    target.running = false;
    const message = nonFiniteMessage(target.spec, target.config, nonFinite);
    deps.post({ type: 'error', runId: target.id, message });
    status(target, 'paused', message);
    return false;
  }

  /**
   * Held-out figures and views that are due (training) or out of date (settled): the cheap
   * figures, then the views, then the costly figures, so the pictures never wait for a
   * slow estimate. A figure or view that fails is reported and tried again at its next
   * turn; training goes on.
   */
  async function refresh(target: Run, job: JobContext, mode: RefreshMode, { force = false, evaluations = true } = {}): Promise<void> {
    const { session, schedule } = target;
    const attempt = async (what: string, work: () => Promise<void>) => {
      try {
        await work();
      } catch (error) {
        if (error instanceof JobCancelled || run !== target || isMemoryFailure(error)) throw error;
        deps.post({ type: 'error', runId: target.id, message: `Could not compute ${what}: ${errorText(error)}` });
      }
    };
    const due = evaluations ? schedule.dueEvaluations(session.evaluations, session.step, mode, force) : [];
    const evaluate = async (list: Evaluation[]) => {
      for (const evaluation of list) {
        if (run !== target) return;
        const started = deps.now();
        await attempt(`the figures on ${evaluation.basis}`, async () => await postEvaluation(target, await session.evaluate(evaluation, job)));
        schedule.ranEvaluation(evaluation.id, session.step, started, mode);
      }
    };
    await evaluate(due.filter((evaluation) => evaluation.cadence === 'refresh'));
    if (run === target && schedule.viewsDue(session.step, mode, force)) {
      const [started, step] = [deps.now(), session.step];
      await attempt('the views', async () => {
        const panels = await session.views(job);
        if (run === target) deps.post({ type: 'views', runId: target.id, step, panels }, panelBuffers(panels));
      });
      schedule.ranViews(step, started, mode);
    }
    await evaluate(due.filter((evaluation) => evaluation.cadence !== 'refresh'));
  }

  /** Brings figures and views up to date beside the queue; the next start, step or reset cancels it. */
  function settle(target: Run, options: { force?: boolean; evaluations?: boolean } = {}): void {
    const previous = target.background;
    previous?.cancel('superseded');
    const { job, cancel } = cancellable(deps.yieldToEvents);
    const done = (async () => {
      await previous?.done;
      await refresh(target, job, 'settled', options);
    })().catch((error) => {
      if (!(error instanceof JobCancelled) && run === target) fail(target.id, error);
    });
    target.background = { cancel, done };
  }

  /** Stops the loop and the refresh after it: nothing runs on the model but jobs. */
  async function quiet(target: Run, reason: string): Promise<void> {
    await stopLoop(target, reason);
    const background = target.background;
    background?.cancel(reason);
    await background?.done;
  }

  async function trainLoop(target: Run): Promise<LoopEnd> {
    const { job, cancel } = cancellable(deps.yieldToEvents);
    target.stopLoopWork = cancel;
    target.schedule.startTraining();
    let lastMetrics = deps.now();
    target.saved.at = deps.now();
    try {
      while (target.running && run === target) {
        const started = deps.now();
        target.session.dispatch();
        if (slowMotion) {
          if (!(await slowMotionStep(target, job, started))) return 'halted';
          continue;
        }
        // Back-pressure: read back before more than a few steps are queued on the device; send at most every metricsInterval.
        const sendDue = deps.now() - lastMetrics >= timing.metricsInterval;
        if (target.session.inFlight >= MAX_IN_FLIGHT || sendDue) {
          if (sendDue) lastMetrics = deps.now();
          if (!(await flushMetrics(target, sendDue))) return 'halted';
        }
        await refresh(target, job, 'training');
        if (deps.now() - target.saved.at >= timing.checkpointInterval) await saveCheckpoint(target);
        await deps.yieldToEvents();
      }
      return 'stopped';
    } catch (error) {
      if (error instanceof JobCancelled) return 'stopped';
      target.running = false;
      if (run === target) stopWithError(target, error, 'Training stopped: ');
      return 'failed';
    }
  }

  /**
   * The rest of a step in slow motion: its terms and views at once (held-out figures wait
   * for full speed or a pause), then a wait until the step's share of a second is up, in
   * short slices so a pause or a switch back to full speed acts at once.
   */
  async function slowMotionStep(target: Run, job: JobContext, started: number): Promise<boolean> {
    if (!(await flushMetrics(target))) return false;
    await refresh(target, job, 'settled', { evaluations: false });
    if (deps.now() - target.saved.at >= timing.checkpointInterval) await saveCheckpoint(target);
    const until = started + 1000 / SLOW_STEPS_PER_SECOND;
    while (slowMotion && target.running && run === target && deps.now() < until) await wait(Math.min(50, until - deps.now()));
    return true;
  }

  async function stopLoop(target: Run | undefined, reason: string): Promise<LoopEnd | undefined> {
    if (!target?.loop) return undefined;
    target.running = false;
    target.stopLoopWork?.(reason);
    const end = await target.loop;
    target.loop = undefined;
    return end;
  }

  async function ensureBackend(choice: BackendChoice, runId: number): Promise<void> {
    if (backend && backend.choice === choice && !brokenBackends.includes(backend.info.name)) return;
    const info = await deps.selectBackend(choice, brokenBackends);
    backend = { choice, selected: info, info };
    deps.post({ type: 'backend', runId, backend: info });
  }

  /** Times the run's model on each candidate backend (or recalls the verdict) and tells the page if the choice changed. */
  async function measureBackend(runId: number, config: RunConfig, spec: ModelSpec, dataset: Dataset, onTiming: () => void): Promise<void> {
    if (!deps.measureBackend || !backend) return;
    const build = async () => {
      const session = await createSession(config, dataset, { spec, now: deps.now });
      const refusal = memoryRefusal(spec, config, session.model.memoryEstimate?.(session.batchSize));
      if (!refusal) return session;
      session.dispose();
      throw new RunRefused(refusal);
    };
    const info = await deps.measureBackend(backend.selected, { config, spec, exclude: brokenBackends, build, onTiming });
    if (info === backend.info) return;
    backend.info = info;
    deps.post({ type: 'backend', runId, backend: info });
  }

  function newJobRunner(runId: number): JobRunner {
    return new JobRunner({
      yieldToEvents: deps.yieldToEvents,
      wait,
      panel: (jobId: string, name: string, panel: ViewPanel, progress?: number) =>
        deps.post({ type: 'job', runId, jobId, name, state: 'running', panel, ...(progress !== undefined ? { progress } : {}) }, panelBuffers([panel])),
      end: (jobId, name, end) =>
        deps.post({ type: 'job', runId, jobId, name, state: end.state, ...(end.state === 'error' ? { message: end.message } : end.state === 'cancelled' ? { message: end.reason } : {}) }),
    });
  }

  async function reset(runId: number, config: RunConfig, { notice, serial = resets, resume }: { notice?: string; serial?: number; resume?: Checkpoint } = {}): Promise<void> {
    if (serial !== resets) return; // a newer reset is queued: build that one only
    const previous = run;
    run = undefined;
    if (previous) {
      await quiet(previous, 'reset');
      await previous.jobs.cancelAll('the run was reset');
      previous.session.dispose();
    }
    meter.reset();
    const pending = { id: runId };
    status(pending, 'loading', 'Starting the compute backend…');
    try {
      await ensureBackend(config.backend, runId);
      const dataSpec = datasetOf(config);
      if (dataSpec.kind === 'image') status(pending, 'loading', `Loading ${dataSpec.name}…`);
      const dataset = await openDataset(dataSpec, config.values, (spec) =>
        deps.loadDataset(spec, (label, loaded, total) => deps.post({ type: 'progress', runId, label, loaded, total })),
      );
      if (serial !== resets) return; // a newer reset arrived while it loaded
      const spec = (deps.findModel ?? findModel)(config.model);
      if (!spec) throw new Error(`Unknown model ${quote(config.model)}`);
      await measureBackend(runId, config, spec, dataset, () => status(pending, 'loading', 'Timing this model on each backend to pick the fastest…'));
      if (serial !== resets) return;
      status(pending, 'loading', 'Building the model…');
      const session = await createSession(config, dataset, { spec, now: deps.now, ...(deps.loadClassifier ? { classifiers: deps.loadClassifier } : {}) });
      const refusal = memoryRefusal(spec, config, session.model.memoryEstimate?.(session.batchSize));
      if (refusal) {
        session.dispose();
        throw new Error(refusal);
      }
      const { failure } = resume ? await resumeFrom(session, resume) : {};
      const saved = { at: deps.now(), ...(resume && !failure ? { checkpoint: resume } : {}) };
      run = { id: runId, config, spec, session, running: false, jobs: newJobRunner(runId), schedule: new RefreshSchedule(timing, deps.now), unsent: [], saved };
      if (failure) deps.post({ type: 'error', runId, message: failure });
      status(run, 'paused', notice);
      settle(run);
    } catch (error) {
      stopWithError(pending, error);
    }
  }

  /** Puts the session where the checkpoint left it; if the checkpoint does not fit, leaves it as built and says why. */
  async function resumeFrom(session: TrainingSession, checkpoint: Checkpoint): Promise<{ failure?: string }> {
    try {
      await session.restore(checkpoint);
      return {};
    } catch (error) {
      if (isMemoryFailure(error)) throw error;
      return { failure: `Could not resume from the checkpoint at step ${checkpoint.step.toLocaleString('en-US')}, so the run starts again from step 0: ${errorText(error)}` };
    }
  }

  let sampleRequests = 0;

  /** The work of an action (the model's own, or the built-in `evaluate` and `sample`), or why it cannot be done. */
  function actionWork(target: Run, name: string, payload: unknown): Action | string {
    if (name === 'evaluate') {
      const id = (payload as { id?: unknown } | undefined)?.id;
      const evaluation = target.session.evaluations.find((candidate) => candidate.id === id);
      if (!evaluation) return `${target.spec.name} has no evaluation ${quote(id)}`;
      return async (_, job) => {
        const started = deps.now();
        await postEvaluation(target, await target.session.evaluate(evaluation, job));
        target.schedule.ranEvaluation(evaluation.id, target.session.step, started, target.running ? 'training' : 'settled');
      };
    }
    if (name === 'sample') {
      if (!target.session.model.sample) return `${target.spec.name} does not generate samples`;
      const count = Number((payload as { count?: unknown } | undefined)?.count ?? 64);
      // every request draws new samples, the same ones again for the same request in a new run
      const random = createRandom(itemSeed(target.session.step + 1, ++sampleRequests));
      return (_, job) => drawSamples(target.session, count, random, job);
    }
    const action = target.session.model.actions?.[name];
    return action ?? `${target.spec.name} has no action ${quote(name)}`;
  }

  async function handle(message: ToWorker, serial: number): Promise<void> {
    if (message.type === 'configure' || message.type === 'diagnose' || message.type === 'ping' || message.type === 'pace') return; // the worker entry's, or answered at once
    if (message.type === 'reset') return reset(message.runId, message.config, { serial, ...(message.resume ? { resume: message.resume } : {}) });
    if (message.type === 'device-lost') {
      // also when the timing left another backend current: WebGPU stays started, and broken
      if (backend?.info.name === 'webgpu' || backend?.selected.name === 'webgpu') brokenBackends.push('webgpu');
      backend = undefined;
      if (run) {
        const resume = run.saved.checkpoint;
        const from = resume ? `went on from the checkpoint at step ${resume.step.toLocaleString('en-US')}` : 'restarted the run';
        await reset(run.id, run.config, { notice: `The GPU device was lost (${message.reason}); switched backend and ${from}.`, ...(resume ? { resume } : {}) });
      }
      return;
    }
    const target = run;
    if (!target || target.id !== message.runId) {
      // Stale: a reset has replaced that run. A job still gets an answer, so nothing on the page waits for it.
      if (message.type === 'action') deps.post({ type: 'job', runId: message.runId, jobId: message.jobId, name: message.name, state: 'error', message: 'That run has ended.' });
      return;
    }
    switch (message.type) {
      case 'start':
        if (target.running) return;
        await quiet(target, 'training resumed'); // a loop that halted on its own has ended already
        target.running = true;
        meter.reset();
        status(target, 'running');
        target.loop = trainLoop(target);
        return;
      case 'pause': {
        const end = await stopLoop(target, 'paused');
        if (end !== 'stopped' || run !== target) return;
        if (await flushMetrics(target)) status(target, 'paused');
        await saveCheckpoint(target);
        settle(target);
        return;
      }
      case 'step': {
        if (target.running) return;
        const phases = target.spec.phases ?? [];
        if (message.phase !== undefined && !phases.some((phase) => phase.id === message.phase)) {
          deps.post({ type: 'error', runId: target.id, message: `${target.spec.name} has no phase ${quote(message.phase)}` });
          return;
        }
        await quiet(target, 'a single step');
        try {
          target.session.dispatch(message.phase);
        } catch (error) {
          stopWithError(target, error, 'Training stopped: ');
          return;
        }
        if (await flushMetrics(target)) status(target, 'paused');
        await saveCheckpoint(target);
        settle(target);
        return;
      }
      case 'refresh-views':
        if (!target.running) settle(target, { force: true, evaluations: false });
        return;
      case 'set-params':
        target.session.setParams(message.values);
        Object.assign(target.config.values, message.values);
        if (!target.running) settle(target, { force: true });
        return;
      case 'action': {
        const work = actionWork(target, message.name, message.payload);
        if (typeof work === 'string') {
          deps.post({ type: 'job', runId: target.id, jobId: message.jobId, name: message.name, state: 'error', message: work });
          return;
        }
        // Beside the queue: training and other messages go on while it runs. A newer job of
        // the same kind supersedes it; each evaluation is a kind of its own.
        const kind = message.name === 'evaluate' ? `evaluate:${String((message.payload as { id?: unknown } | undefined)?.id)}` : message.name;
        void target.jobs.start(message.jobId, message.name, (job) => work(message.payload, job, { data: target.session.data }), kind);
        return;
      }
      case 'cancel':
        void target.jobs.cancel(message.jobId, 'cancelled');
        return;
    }
  }

  return (message: ToWorker): Promise<void> => {
    // The heartbeat is answered at once, between two steps at the latest: a wedged worker is one that cannot.
    if (message.type === 'ping') {
      deps.post({ type: 'pong', id: message.id, ...current });
      return queue;
    }
    if (message.type === 'pace') {
      slowMotion = message.slowMotion;
      return queue;
    }
    const serial = message.type === 'reset' ? ++resets : resets;
    // pause must not wait behind a running loop: flip the flag and cancel its refresh now.
    if (message.type === 'pause' && run?.id === message.runId && run.running) {
      run.running = false;
      run.stopLoopWork?.('paused');
    }
    queue = queue.then(() => handle(message, serial)).catch((error) => {
      fail('runId' in message ? message.runId : -1, error);
    });
    return queue;
  };
}
