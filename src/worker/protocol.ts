/**
 * The messages between the page and the training worker. Each carries the run id it
 * belongs to: after a reset the page starts a new run id and drops anything tagged with an
 * older one, so a late message from a run that is gone never reaches the charts.
 */
import type { BackendChoice, RunConfig } from '../core/config';
import type { ParamValue } from '../core/params/schema';
import type { MetricPoint } from '../core/training/session';
import type { ImageGridPanel, LatentQuery, ViewPanel } from '../core/views/panels';

export type ToWorker =
  /** Where the dataset files are served; sent once by the page (a worker resolves relative URLs against its own script). */
  | { type: 'configure'; dataUrl: string }
  /** Build a fresh run from this config (loading the dataset and backend if needed), paused. */
  | { type: 'reset'; runId: number; config: RunConfig }
  | { type: 'start'; runId: number }
  | { type: 'pause'; runId: number }
  /** Exactly one optimizer step, then fresh metrics and views. */
  | { type: 'step'; runId: number }
  /** Views now, without waiting for the next refresh. */
  | { type: 'refresh-views'; runId: number }
  /** New values of live parameters: applied to the running model, no restart. */
  | { type: 'set-params'; runId: number; values: Record<string, ParamValue> }
  /** The latent explorer: decode this point of the latent scatter, or this setting of the sliders. */
  | { type: 'decode'; runId: number; query: LatentQuery }
  /** Sent by the worker's own WebGPU watcher, not by the page. */
  | { type: 'device-lost'; reason: string };

export type RunState = 'loading' | 'paused' | 'running' | 'error';

export interface BackendInfo {
  name: Exclude<BackendChoice, 'auto'>;
  /** GPU adapter, as the browser names it; empty off the GPU. */
  adapter: string;
  /** True on a software adapter (SwiftShader): correct, but slow. */
  isFallbackAdapter: boolean;
  /** Backends tried before this one, and why each was passed over. */
  skipped: { name: string; reason: string }[];
}

export interface Throughput {
  stepsPerSecond: number;
  imagesPerSecond: number;
}

export type FromWorker =
  | { type: 'status'; runId: number; state: RunState; step: number; message?: string }
  | { type: 'backend'; runId: number; backend: BackendInfo }
  | { type: 'progress'; runId: number; label: string; loaded: number; total: number }
  | { type: 'metrics'; runId: number; train: MetricPoint[]; test?: MetricPoint; throughput: Throughput }
  | { type: 'views'; runId: number; step: number; panels: ViewPanel[] }
  | { type: 'decoded'; runId: number; query: LatentQuery; panel: ImageGridPanel }
  | { type: 'error'; runId: number; message: string };
