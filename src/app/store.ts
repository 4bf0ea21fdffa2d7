/**
 * The page's state: the configuration being edited, and what the worker last reported.
 * Messages tagged with an old run id are dropped here, so a reset never shows stale data.
 */
import { create } from 'zustand';
import type { RunConfig } from '../core/config';
import type { ImageGridPanel, ViewPanel } from '../core/views/panels';
import type { BackendInfo, FromWorker, RunState, Throughput } from '../worker/protocol';
import { appendCapped, smooth, smoothedKey, type ChartPoint } from './series';

export interface Progress {
  label: string;
  loaded: number;
  total: number;
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
  test: ChartPoint[];
  throughput: Throughput;
  panels: ViewPanel[];
  panelsStep: number;
  /** The latent explorer: the point chosen on the scatter, and its decoded image. */
  explorer?: { point: [number, number]; panel?: ImageGridPanel };
  /** The latent sliders, once moved: their values, the panel they belong to, and the decoded image. */
  sliders?: { panelTitle: string; values: number[]; panel?: ImageGridPanel };
  error?: string;
}

export const useStore = create<PlaygroundState>(() => ({
  config: { model: 'ae', dataset: 'mnist', backend: 'auto', values: {} },
  linkWarnings: [],
  runId: 0,
  runState: 'loading',
  step: 0,
  train: [],
  test: [],
  throughput: { stepsPerSecond: 0, imagesPerSecond: 0 },
  panels: [],
  panelsStep: 0,
}));

/** A fresh run: new id, empty charts. Returns the id to tag messages with. */
export function beginRun(config: RunConfig): number {
  const runId = useStore.getState().runId + 1;
  useStore.setState({
    config,
    runId,
    runState: 'loading',
    statusMessage: undefined,
    step: 0,
    train: [],
    test: [],
    panels: [],
    panelsStep: 0,
    explorer: undefined,
    sliders: undefined,
    progress: undefined,
    error: undefined,
    throughput: { stepsPerSecond: 0, imagesPerSecond: 0 },
  });
  return runId;
}

/** Each term's value, and beside it `<term>_smooth`, its moving average. */
function toChartPoints(points: { step: number; values: Record<string, number> }[], previous?: ChartPoint): ChartPoint[] {
  let last: ChartPoint | undefined = previous;
  return points.map(({ step, values }) => {
    const point: ChartPoint = { step, ...values };
    for (const [name, value] of Object.entries(values)) point[smoothedKey(name)] = smooth(last?.[smoothedKey(name)], value);
    last = point;
    return point;
  });
}

/** What the controller does when a decode request is answered, and when views refresh. */
let hooks = { decoded: () => {}, views: () => {} };
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
      return;
    case 'backend':
      useStore.setState({ backend: message.backend });
      return;
    case 'progress':
      useStore.setState({ progress: { label: message.label, loaded: message.loaded, total: message.total } });
      return;
    case 'metrics': {
      const train = appendCapped(state.train, toChartPoints(message.train, state.train[state.train.length - 1]));
      const test = message.test ? appendCapped(state.test, [{ step: message.test.step, ...message.test.values }]) : state.test;
      const lastStep = message.train[message.train.length - 1]?.step ?? message.test?.step ?? state.step;
      useStore.setState({ train, test, throughput: message.throughput, step: Math.max(state.step, lastStep) });
      return;
    }
    case 'views':
      useStore.setState({ panels: message.panels, panelsStep: message.step });
      hooks.views();
      return;
    case 'decoded':
      if (message.query.kind === 'point') useStore.setState({ explorer: { point: message.query.point, panel: message.panel } });
      // Sliders reset while this was decoded stay reset.
      else if (state.sliders) useStore.setState({ sliders: { ...state.sliders, panel: message.panel } });
      hooks.decoded();
      return;
    case 'error':
      useStore.setState({ error: message.message });
      // A decode request that failed is never answered: don't leave the explorer waiting for it.
      hooks.decoded();
      return;
  }
}
