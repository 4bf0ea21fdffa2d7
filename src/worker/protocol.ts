/**
 * The messages between the page and the training worker. Each carries the run id it
 * belongs to: after a reset the page starts a new run id and drops anything tagged with an
 * older one, so a late message from a run that is gone never reaches the charts.
 */
import type { BackendChoice, RunConfig } from '../core/config';
import type { ParamValue } from '../core/params/schema';
import type { Checkpoint } from '../core/training/checkpoint';
import type { EvaluationPoint, MetricPoint } from '../core/training/session';
import type { ViewPanel } from '../core/views/panels';

export type ToWorker =
  /** Where the dataset files are served; sent once by the page (a worker resolves relative URLs against its own script). */
  | { type: 'configure'; dataUrl: string; downloadStallMs?: number; checkpointMs?: number; timeSoftwareGpu?: boolean }
  /** Build a fresh run from this config (loading the dataset and backend if needed), paused; `resume`: from this checkpoint of it. */
  | { type: 'reset'; runId: number; config: RunConfig; resume?: Checkpoint }
  | { type: 'start'; runId: number }
  | { type: 'pause'; runId: number }
  /** One training step, or one phase of one (a GAN's discriminator alone), then fresh figures and views. */
  | { type: 'step'; runId: number; phase?: string }
  /** Views now, without waiting for the next refresh. */
  | { type: 'refresh-views'; runId: number }
  /** New values of live settings: applied to the running model, no restart. */
  | { type: 'set-params'; runId: number; values: Record<string, ParamValue> }
  /**
   * Long work, run as a job beside training: one of the model's actions (`decode-latent`...),
   * `evaluate` with `{ id }`, which computes one of its evaluations now, or `sample` with
   * `{ count }`, which draws new samples from any model that generates.
   */
  | { type: 'action'; runId: number; jobId: string; name: string; payload?: unknown }
  | { type: 'cancel'; runId: number; jobId: string }
  /** Slow motion: at most SLOW_STEPS_PER_SECOND steps a second, with the views of every step; or full speed again. */
  | { type: 'pace'; slowMotion: boolean }
  /** The page's heartbeat: answered at once with a pong, between two steps at the latest. */
  | { type: 'ping'; id: number }
  /** Test hooks for the fault tests: make the worker fail the way real ones do. */
  | { type: 'diagnose'; fault: WorkerFault }
  /** Sent by the worker's own WebGPU watcher, not by the page. */
  | { type: 'device-lost'; reason: string };

/**
 * Ways the fault tests make a worker fail: throw outside any handler, reject a promise,
 * close itself, run out of WASM memory, hang, or take a reset the page never sent (for a
 * run of its own, with a model that does not exist).
 */
export type WorkerFault = 'throw' | 'reject' | 'close' | 'exhaust-memory' | 'hang' | 'foreign-reset';

export type RunState = 'loading' | 'paused' | 'running' | 'error';

export interface BackendInfo {
  name: Exclude<BackendChoice, 'auto'>;
  /** GPU adapter, as the browser names it; empty off the GPU. */
  adapter: string;
  /** True on a software adapter (SwiftShader): correct, but slow. */
  isFallbackAdapter: boolean;
  /** Backends tried before this one, and why each was passed over. */
  skipped: { name: string; reason: string }[];
  /**
   * Present when the automatic choice timed this model on a GPU and on WebAssembly and took
   * the fastest: each candidate's milliseconds a step, and whether they were measured now
   * or kept from an earlier start on this device (`at`: when measured, ms since 1970).
   */
  timing?: { source: 'measured' | 'cache'; at: number; measured: { name: string; msPerStep: number }[] };
}

export interface Throughput {
  /** Completed steps (read back from the device) per second. */
  stepsPerSecond: number;
  imagesPerSecond: number;
}

export type JobState = 'running' | 'done' | 'cancelled' | 'error';

export type FromWorker =
  | { type: 'status'; runId: number; state: RunState; step: number; message?: string }
  | { type: 'backend'; runId: number; backend: BackendInfo }
  | { type: 'progress'; runId: number; label: string; loaded: number; total: number }
  /** Training terms of completed steps, and held-out figures as each evaluation finishes. */
  | { type: 'metrics'; runId: number; train: MetricPoint[]; evaluations?: EvaluationPoint[]; throughput: Throughput }
  | { type: 'views'; runId: number; step: number; panels: ViewPanel[] }
  /** A job's panel and progress while it runs, then how it ended. */
  | { type: 'job'; runId: number; jobId: string; name: string; state: JobState; progress?: number; panel?: ViewPanel; message?: string }
  | { type: 'error'; runId: number; message: string }
  /** The run at its best sample quality so far (the lowest Frechet classifier distance, the most modes): the page offers to go back to it. */
  | { type: 'best'; runId: number; key: string; value: number; checkpoint: Checkpoint }
  /** The run's state, saved every checkpoint interval of training and when it pauses: what the page keeps to resume from. */
  | { type: 'checkpoint'; runId: number; checkpoint: Checkpoint }
  /** The heartbeat's answer: which run the worker holds (-1: none) and in what state. */
  | { type: 'pong'; id: number; runId: number; state: RunState }
  /**
   * The worker cannot go on (its WebAssembly memory is exhausted, which breaks the backend
   * for good): the page replaces it.
   */
  | { type: 'fatal'; runId: number; reason: 'out-of-memory'; message: string };
