/**
 * The page's state: the configuration being edited, and what the worker last reported.
 * Messages tagged with an old run id are dropped here, so a reset never shows stale data.
 */
import { create } from 'zustand';
import type { RunConfig } from '../core/config';
import { findDataset } from '../core/datasets/catalog';
import { findModel } from '../core/models';
import type { Checkpoint } from '../core/training/checkpoint';
import type { ImageGridPanel, ViewPanel } from '../core/views/panels';
import { addFrame, type ViewFrame } from './view-history';
import type { BackendInfo, FromWorker, JobState, RunState, Throughput } from '../worker/protocol';
import { appendCapped, mergeHeldOut, smooth, smoothedKey, smoothedOnly, type ChartPoint, type HeldOutFigure } from './series';

export type { HeldOutFigure } from './series';

export interface Progress {
  label: string;
  loaded: number;
  total: number;
}

/** The latest job the page started under a name (a newer one cancels the older): its state, progress and latest panel. */
export interface JobView {
  jobId: string;
  state: JobState;
  progress?: number;
  panel?: ViewPanel;
  message?: string;
}

export interface PlaygroundState {
  config: RunConfig;
  /** What the share link had that could not be used. */
  linkWarnings: string[];
  runId: number;
  runState: RunState;
  statusMessage?: string;
  step: number;
  backend?: BackendInfo;
  progress?: Progress;
  train: ChartPoint[];
  /** Each term's moving average so far: carried over steps that do not report the term (a GAN's one-phase steps). */
  smoothing: Record<string, number>;
  /** Held-out figures by step, every evaluation's figures merged into the point of their step. */
  test: ChartPoint[];
  /** The latest value of each held-out figure. */
  heldOut: Record<string, HeldOutFigure>;
  throughput: Throughput;
  panels: ViewPanel[];
  panelsStep: number;
  /** The views of earlier steps, for the replay slider. */
  frames: ViewFrame[];
  /** The step the replay shows; undefined: the live views. */
  replayStep?: number;
  /** Slow motion: the worker takes a few steps a second and shows the views of each. */
  slowMotion: boolean;
  /** Panels an evaluation drew (the classes of the samples), by panel id, with the step of its figures. */
  evaluationPanels: Record<string, { panel: ViewPanel; step: number }>;
  /** By job name. */
  jobs: Record<string, JobView>;
  /** The latent explorer: the point chosen on the scatter, and its decoded image. */
  explorer?: { point: [number, number]; panel?: ImageGridPanel };
  /** The latent sliders, once moved: their values, the panel they belong to, and the decoded image. */
  sliders?: { panelTitle: string; values: number[]; panel?: ImageGridPanel };
  error?: string;
  /** One line on something the page did for the person (a worker replaced, a run rebuilt). */
  notice?: string;
  /** Runs a setting change replaced, newest first: their smoothed curves stay on the chart, faded and labelled. */
  previousRuns: PreviousRun[];
  /** Start training as soon as the run is built: it was training when a setting rebuilt it. */
  resumeWhenReady: boolean;
  /** The settings drawer is open (on small screens it covers the results). */
  settingsOpen: boolean;
  /** The run as the browser keeps it: a key that survives reloads, its name, and its latest checkpoint's step. */
  kept: KeptIdentity;
  /** The run list (and comparison) is open. */
  historyOpen: boolean;
  /** The run at its best sample quality so far, to go back to. */
  best?: { key: string; value: number; checkpoint: Checkpoint };
}

export interface KeptIdentity {
  key: string;
  name: string;
  created: number;
  /** The step of the latest checkpoint the page holds (and has asked the browser to keep). */
  savedStep?: number;
}

/** Where a resumed run starts: its identity, and its curves and figures up to its checkpoint. */
export interface KeptStart extends KeptIdentity {
  train: ChartPoint[];
  test: ChartPoint[];
  heldOut: Record<string, HeldOutFigure>;
}

/** A new identity: a run starts being kept once it has trained. */
export function newIdentity(config: RunConfig): KeptIdentity {
  return { key: newRunKey(), name: defaultRunName(config), created: Date.now() };
}

/** A key for a kept run, unique across reloads (a run file imported gets one too). */
export function newRunKey(): string {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

export function defaultRunName(config: RunConfig): string {
  return `${findModel(config.model)?.name ?? config.model} on ${findDataset(config.dataset)?.name ?? config.dataset}`;
}

/** What is kept of a replaced run for comparison. */
export interface PreviousRun {
  /** What changed, for the legend: "before: hidden 256,64". */
  label: string;
  /** Its training points (step and the smoothed terms). */
  train: ChartPoint[];
}

/** Replaced runs kept on the chart, at most. */
export const PREVIOUS_RUNS = 2;

export const useStore = create<PlaygroundState>(() => ({
  config: { model: 'ae', dataset: 'mnist', backend: 'auto', values: {} },
  linkWarnings: [],
  runId: 0,
  runState: 'loading',
  step: 0,
  train: [],
  smoothing: {},
  test: [],
  heldOut: {},
  throughput: { stepsPerSecond: 0, imagesPerSecond: 0 },
  panels: [],
  panelsStep: 0,
  frames: [],
  slowMotion: false,
  evaluationPanels: {},
  jobs: {},
  previousRuns: [],
  resumeWhenReady: false,
  settingsOpen: false,
  kept: { key: '', name: '', created: 0 },
  historyOpen: false,
}));

/** The smoothed training curves of the run now shown: what a comparison keeps of it. */
export function currentCurves(label: string): PreviousRun {
  return { label, train: smoothedOnly(useStore.getState().train) };
}

/**
 * A fresh run: new id, empty charts. `previous`: the run it replaces, kept on the chart
 * for comparison (absent: the comparison is cleared). Returns the id to tag messages with.
 */
export function beginRun(config: RunConfig, previous?: PreviousRun, from?: KeptStart): number {
  const state = useStore.getState();
  const runId = state.runId + 1;
  // No run to compare with clears the comparison; one that never trained leaves it as it was.
  const previousRuns = !previous ? [] : previous.train.length > 0 ? [previous, ...state.previousRuns].slice(0, PREVIOUS_RUNS) : state.previousRuns;
  useStore.setState({
    config,
    runId,
    previousRuns,
    runState: 'loading',
    statusMessage: undefined,
    step: from?.savedStep ?? 0,
    train: from?.train ?? [],
    smoothing: from ? lastSmoothing(from.train) : {},
    test: from?.test ?? [],
    heldOut: from?.heldOut ?? {},
    kept: from ? { key: from.key, name: from.name, created: from.created, ...(from.savedStep !== undefined ? { savedStep: from.savedStep } : {}) } : newIdentity(config),
    panels: [],
    panelsStep: 0,
    frames: [],
    replayStep: undefined,
    evaluationPanels: {},
    best: undefined,
    jobs: {},
    explorer: undefined,
    sliders: undefined,
    progress: undefined,
    error: undefined,
    throughput: { stepsPerSecond: 0, imagesPerSecond: 0 },
  });
  return runId;
}

/** The moving averages a resumed curve goes on from: each term's last smoothed value. */
function lastSmoothing(train: readonly ChartPoint[]): Record<string, number> {
  const smoothing: Record<string, number> = {};
  for (const point of train) {
    for (const [key, value] of Object.entries(point)) if (key !== 'step' && !key.endsWith(smoothedKey(''))) smoothing[key] = point[smoothedKey(key)] ?? value;
  }
  return smoothing;
}

/** Each term's value, and beside it `<term>_smooth`, its moving average, which goes on from `smoothing` and updates it. */
function toChartPoints(points: { step: number; values: Record<string, number> }[], smoothing: Record<string, number>): ChartPoint[] {
  return points.map(({ step, values }) => {
    const point: ChartPoint = { step, ...values };
    for (const [name, value] of Object.entries(values)) point[smoothedKey(name)] = smoothing[name] = smooth(smoothing[name], value);
    return point;
  });
}

/** What the controller does when a job reports, when views refresh, and when a run is ready to train. */
let hooks: {
  job: (jobId: string, message: Extract<FromWorker, { type: 'job' }>) => void;
  views: () => void;
  ready: () => void;
  checkpoint: (checkpoint: Checkpoint) => void;
} = {
  job: () => {},
  views: () => {},
  ready: () => {},
  checkpoint: () => {},
};
export function setStoreHooks(next: typeof hooks): void {
  hooks = next;
}

export function receive(message: FromWorker): void {
  const state = useStore.getState();
  if (message.runId !== state.runId) return; // from a run that a reset replaced
  switch (message.type) {
    case 'status':
      useStore.setState({
        runState: message.state,
        step: message.step,
        statusMessage: message.message,
        ...(message.state !== 'loading' ? { progress: undefined } : {}),
      });
      if (state.runState === 'loading' && message.state === 'paused') hooks.ready();
      return;
    case 'backend':
      useStore.setState({ backend: message.backend });
      return;
    case 'progress':
      useStore.setState({ progress: { label: message.label, loaded: message.loaded, total: message.total } });
      return;
    case 'metrics': {
      const smoothing = { ...state.smoothing };
      const train = message.train.length > 0 ? appendCapped(state.train, toChartPoints(message.train, smoothing)) : state.train;
      let { test, heldOut, evaluationPanels } = state;
      for (const point of message.evaluations ?? []) {
        if (point.panels) evaluationPanels = { ...evaluationPanels, ...Object.fromEntries(point.panels.map((panel) => [panel.id, { panel, step: point.step }])) };
        test = mergeHeldOut(test, point.step, point.values);
        heldOut = { ...heldOut };
        for (const [key, value] of Object.entries(point.values)) heldOut[key] = { value, step: point.step, fromStep: point.fromStep, evaluation: point.id, basis: point.basis };
      }
      const lastStep = message.train[message.train.length - 1]?.step ?? state.step;
      useStore.setState({ train, smoothing, test, heldOut, evaluationPanels, throughput: message.throughput, step: Math.max(state.step, lastStep) });
      return;
    }
    case 'views':
      useStore.setState({ panels: message.panels, panelsStep: message.step, frames: addFrame(state.frames, { step: message.step, panels: message.panels }) });
      hooks.views();
      return;
    case 'job': {
      const previous = state.jobs[message.name];
      if (previous?.jobId === message.jobId) {
        const job: JobView = {
          jobId: message.jobId,
          state: message.state,
          progress: message.progress ?? previous.progress,
          panel: message.panel ?? previous.panel,
          ...(message.message ? { message: message.message } : {}),
        };
        useStore.setState({ jobs: { ...state.jobs, [message.name]: job } });
      }
      hooks.job(message.jobId, message);
      return;
    }
    case 'error':
      useStore.setState({ error: message.message });
      return;
    case 'best':
      useStore.setState({ best: { key: message.key, value: message.value, checkpoint: message.checkpoint } });
      return;
    case 'checkpoint':
      useStore.setState({ kept: { ...state.kept, savedStep: message.checkpoint.step } });
      hooks.checkpoint(message.checkpoint);
      return;
  }
}
