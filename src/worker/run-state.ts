/**
 * What the training handler's parts share: the page-facing dependencies, the run the
 * worker holds, the backend it runs on, and the few ways a run's state is reported.
 * Everything is one mutable record, read through `state.run` at every await: a reset
 * replaces the run, and work of the old one then stops posting.
 */
import type { BackendChoice, RunConfig } from '../core/config';
import type { ImageDataSpec } from '../core/datasets/catalog';
import type { ImageDataset } from '../core/datasets/image-dataset';
import type { ClassifierSource } from '../core/metrics/sample-quality';
import type { ModelSpec } from '../core/models/model';
import type { JobRunner } from '../core/training/jobs';
import type { MetricPoint, TrainingSession } from '../core/training/session';
import { ThroughputMeter } from '../core/training/throughput';
import type { BackendRun } from './backend-probe';
import { errorText, failureReport } from './failures';
import { createKeeping, type KeptRun } from './keeping';
import type { BackendInfo, FromWorker, RunState } from './protocol';
import type { RefreshSchedule, RefreshTiming } from './refresh-schedule';

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

export interface Background {
  cancel(reason: string): void;
  done: Promise<void>;
}

export type LoopEnd = 'stopped' | 'halted' | 'failed';

export interface Run extends KeptRun {
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

/** Something a status can be reported for: a run, or one still being built. */
export interface Reported {
  id: number;
  session?: TrainingSession;
}

export interface HandlerState {
  deps: HandlerDeps;
  timing: RefreshTiming;
  run?: Run;
  /** `selected`: what selectBackend started; `info`: what runs now (the timing's verdict for the current model). */
  backend?: { choice: BackendChoice; selected: BackendInfo; info: BackendInfo };
  brokenBackends: string[];
  meter: ThroughputMeter;
  /** The run the worker last reported on, and its state: what a pong answers. */
  current: { runId: number; state: RunState };
  /** Counts the resets received: one still queued when a newer one arrives is skipped (a burst of link changes builds one run). */
  resets: number;
  /** Slow motion: every step's views are shown, and steps wait for each other (the page's switch, for any run). */
  slowMotion: boolean;
  /** Sample requests so far: each draws new samples. */
  sampleRequests: number;
  wait(ms: number): Promise<void>;
  keeping: ReturnType<typeof createKeeping>;
}

export function createHandlerState(deps: HandlerDeps, timing: RefreshTiming): HandlerState {
  const state: HandlerState = {
    deps,
    timing,
    brokenBackends: [],
    meter: new ThroughputMeter(deps.now),
    current: { runId: -1, state: 'loading' },
    resets: 0,
    slowMotion: false,
    sampleRequests: 0,
    wait: deps.wait ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    keeping: createKeeping({ post: deps.post, now: deps.now, isCurrent: (target) => state.run === target }),
  };
  return state;
}

export function status(state: HandlerState, target: Reported, runState: RunState, message?: string): void {
  state.current = { runId: target.id, state: runState };
  state.deps.post({ type: 'status', runId: target.id, state: runState, step: target.session?.step ?? 0, ...(message ? { message } : {}) });
}

/** Reports a failure of a run: a memory failure is fatal (the page replaces this worker), anything else an error. True if fatal. */
export function fail(state: HandlerState, runId: number, error: unknown, prefix = ''): boolean {
  const report = failureReport(runId, error, prefix);
  state.deps.post(report);
  return report.type === 'fatal';
}

/** A failure that stops the run: reported, and unless fatal the run's state becomes 'error'. */
export function stopWithError(state: HandlerState, target: Reported, error: unknown, prefix = ''): void {
  if (!fail(state, target.id, error, prefix)) status(state, target, 'error', errorText(error));
}

export function throughput(state: HandlerState, target: Run): { stepsPerSecond: number; imagesPerSecond: number } {
  const stepsPerSecond = state.meter.stepsPerSecond();
  return { stepsPerSecond, imagesPerSecond: stepsPerSecond * target.session.batchSize };
}
