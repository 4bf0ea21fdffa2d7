/**
 * What the controls do: every configuration change is written to the URL (so the address
 * bar is always a share link) and restarts the run, unless only live settings changed;
 * play, pause, step, reset and jobs go to the worker tagged with the current run id.
 */
import { paramsFor, type RunConfig } from '../core/config';
import { formatParam, type ParamSpec, type ParamValue } from '../core/params/schema';
import { decodeLink, encodeLink } from '../core/url-codec';
import type { ImageGridPanel, LatentQuery } from '../core/views/panels';
import type { Checkpoint } from '../core/training/checkpoint';
import { adoptRun, keepCheckpoint, keepRecord, latestCheckpoint, releaseRun } from './history/keeper';
import { findResumable, getCheckpoint, type RunRecord } from './history/run-records';
import { beginRun, currentCurves, receive, setStoreHooks, useStore, type KeptStart, type PreviousRun } from './store';
import type { WorkerFault } from '../worker/protocol';
import { connectWorker, sendToWorker, terminateWorkerForTest } from './worker-client';

/** Slider drags and typing settle for this long before the run restarts. */
const RESTART_DELAY_MS = 350;
let restartTimer: ReturnType<typeof setTimeout> | undefined;
let lastWrittenHash = '';

function writeLink(config: RunConfig): void {
  lastWrittenHash = `#${encodeLink(config)}`;
  if (window.location.hash !== lastWrittenHash) history.replaceState(null, '', lastWrittenHash);
}

interface RestartOptions {
  notice?: string;
  /** Keeps the replaced run's curves on the chart. */
  compareWith?: PreviousRun;
  /** Starts training as soon as the new run is built. */
  resume?: boolean;
  /** Goes on with a kept run from its checkpoint, rather than a new run from step 0. */
  from?: { start: KeptStart; checkpoint: Checkpoint };
}

/** A new run from `config`, or a kept one resumed; the run the page showed before is released (a reload no longer resumes it). */
function restart(config: RunConfig, { notice, compareWith, resume = false, from }: RestartOptions = {}): void {
  clearTimeout(restartTimer);
  restartTimer = undefined;
  // An answer to a decode request of the old run is dropped as stale: don't wait for it.
  decodeInFlight = undefined;
  waitingQueries.clear();
  const previousKey = useStore.getState().kept.key;
  if (previousKey && previousKey !== from?.start.key) void releaseRun(previousKey);
  const runId = beginRun(config, compareWith, from?.start);
  if (from) adoptRun(from.start.key, from.checkpoint);
  useStore.setState({ resumeWhenReady: resume, ...(notice ? { notice } : {}) });
  // a replaced worker starts at full speed: tell every new run's worker the pace
  sendToWorker({ type: 'pace', slowMotion: useStore.getState().slowMotion });
  sendToWorker({ type: 'reset', runId, config, ...(from ? { resume: from.checkpoint } : {}) });
}

/** The curves and figures of a run up to its checkpoint's step: what a resumed run shows. */
function upTo(step: number, run: Pick<RunRecord, 'train' | 'test' | 'heldOut'>): Pick<KeptStart, 'train' | 'test' | 'heldOut'> {
  return {
    train: run.train.filter((point) => point.step <= step),
    test: run.test.filter((point) => point.step <= step),
    heldOut: Object.fromEntries(Object.entries(run.heldOut).filter(([, figure]) => figure.step <= step)),
  };
}

/** Goes back to the step where the samples were best, and trains on from there under the same kept run. */
export function goBackToBest(describe: (key: string, value: number) => string): void {
  const state = useStore.getState();
  if (!state.best) return;
  const { checkpoint, key, value } = state.best;
  const start: KeptStart = { ...state.kept, savedStep: checkpoint.step, ...upTo(checkpoint.step, state) };
  restart(state.config, {
    from: { start, checkpoint },
    notice: `Went back to step ${checkpoint.step.toLocaleString('en-US')}, where the samples were best so far (${describe(key, value)}). Press Train to go on from there.`,
  });
}

/** Shows a kept run again, from its checkpoint (or from step 0 if it has none), with its link in the address bar. */
export async function openRun(run: RunRecord, notice?: (step: number) => string): Promise<void> {
  const checkpoint = run.checkpointStep !== undefined ? await getCheckpoint(run.key) : undefined;
  writeLink(run.config);
  useStore.setState({ linkWarnings: [] });
  if (!checkpoint) {
    restart(run.config, { notice: `"${run.name}" has no saved weights, so it starts again from step 0.` });
    return;
  }
  const start: KeptStart = { key: run.key, name: run.name, created: run.created, savedStep: checkpoint.step, ...upTo(checkpoint.step, run) };
  restart(run.config, { from: { start, checkpoint }, resume: run.training, notice: notice?.(checkpoint.step) ?? `Opened "${run.name}" at step ${checkpoint.step.toLocaleString('en-US')}.` });
}

/** The settings of `after`'s model and data whose values differ between two configurations. */
function changedSettings(before: RunConfig, after: RunConfig): ParamSpec[] {
  return paramsFor(after.model, after.dataset).filter(
    (spec) => formatParam(spec, before.values[spec.key] ?? spec.default) !== formatParam(spec, after.values[spec.key] ?? spec.default),
  );
}

/** "before: hidden widths 256,64": what a rebuild replaced, in a few words. */
function describeChange(before: RunConfig, after: RunConfig): string {
  const changed = changedSettings(before, after);
  if (changed.length === 0) return 'the run before';
  return `before: ${changed
    .slice(0, 2)
    .map((spec) => `${spec.label.toLowerCase()} ${formatParam(spec, before.values[spec.key] ?? spec.default)}`)
    .join(', ')}${changed.length > 2 ? '…' : ''}`;
}

/** How long the worker may go without answering the heartbeat: 20 steps' time, 15 s at least; a minute before its first step (shaders compile). */
function patience(): number {
  const { stepsPerSecond } = useStore.getState().throughput;
  return stepsPerSecond > 0 ? Math.max(15_000, 20_000 / stepsPerSecond) : 60_000;
}

/** Builds the link's run; a run of this link that the page was showing when it closed or reloaded goes on from its checkpoint. */
async function loadFromLink(): Promise<void> {
  const { config, warnings } = decodeLink(window.location.hash);
  useStore.setState({ linkWarnings: warnings });
  writeLink(config);
  const kept = await findResumable(encodeLink(config)).catch(() => undefined);
  if (!kept) {
    restart(config);
    return;
  }
  const lost = kept.step - (kept.checkpointStep ?? 0);
  await openRun(kept, (step) => `Welcome back: "${kept.name}" goes on from its checkpoint at step ${step.toLocaleString('en-US')}${lost > 0 ? ` (the last ${lost.toLocaleString('en-US')} steps before the page closed were lost)` : ''}.`).catch(() => restart(config));
}

export function startPlayground(): void {
  // A wide screen has room for the settings beside the results; a projector or a phone shows results first.
  useStore.setState({ settingsOpen: window.matchMedia('(min-width: 1280px)').matches });
  connectWorker({
    message: receive,
    patience,
    // A new worker: the run is built again there, from its latest checkpoint if it has one.
    replaced: (reason) => {
      const state = useStore.getState();
      const checkpoint = latestCheckpoint(state.kept.key);
      if (!checkpoint) {
        restart(state.config, { notice: `${reason} The run starts again from step 0.` });
        return;
      }
      const start: KeptStart = { ...state.kept, savedStep: checkpoint.step, ...upTo(checkpoint.step, state) };
      const lost = state.step - checkpoint.step;
      restart(state.config, {
        from: { start, checkpoint },
        resume: state.runState === 'running' || state.resumeWhenReady,
        notice: `${reason} The run goes on from its checkpoint at step ${checkpoint.step.toLocaleString('en-US')}${lost > 0 ? ` (${lost.toLocaleString('en-US')} steps after it were lost)` : ''}.`,
      });
    },
    givenUp: (reason) => useStore.setState({ error: reason, runState: 'error' }),
    // The worker holds another run than the page shows (a reset the page did not send): build the page's again.
    pong: (runId, state) => {
      const { runId: shown, runState } = useStore.getState();
      if (runId !== shown && state !== 'loading' && runState !== 'loading') restart(useStore.getState().config, { notice: 'The training worker had lost this run; it was built again.' });
    },
  });
  void loadFromLink();
  // The fault tests' handle (and a curious person's, in the console): fail the worker the ways real ones fail.
  Object.assign(window, {
    playgroundDiagnostics: { terminateWorker: terminateWorkerForTest, fault: (fault: WorkerFault) => sendToWorker({ type: 'diagnose', fault }) },
  });
  // A link pasted into the address bar of an open page, or back/forward.
  window.addEventListener('hashchange', () => {
    if (window.location.hash !== lastWrittenHash) void loadFromLink();
  });
}

/** The keys whose values differ between two configurations of the same model, if only live parameters changed. */
function liveChanges(before: RunConfig, after: RunConfig): Record<string, ParamValue> | undefined {
  if (before.model !== after.model || before.dataset !== after.dataset || before.backend !== after.backend) return undefined;
  const changed = changedSettings(before, after);
  if (!changed.every((spec) => spec.live)) return undefined;
  return Object.fromEntries(changed.map((spec) => [spec.key, after.values[spec.key]]));
}

/**
 * Applies a new configuration now in the page. Live settings (a learning rate, a VAE's
 * beta, a DAE's noise) go to the running model at once. Any other change rebuilds the run
 * once edits settle: for the same model and data the old run's curves stay on the chart,
 * faded and labelled, and training goes on if it was running.
 */
export function changeConfig(config: RunConfig, { immediate = false } = {}): void {
  const { config: previous, runState } = useStore.getState();
  useStore.setState({ config });
  writeLink(config);
  const live = liveChanges(previous, config);
  if (live && !restartTimer) {
    if (Object.keys(live).length > 0) sendToWorker({ type: 'set-params', runId: useStore.getState().runId, values: live });
    return;
  }
  const sameTask = previous.model === config.model && previous.dataset === config.dataset;
  const rebuild = () =>
    restart(config, {
      ...(sameTask ? { compareWith: currentCurves(describeChange(previous, config)) } : {}),
      resume: sameTask && (runState === 'running' || useStore.getState().resumeWhenReady),
    });
  clearTimeout(restartTimer);
  if (immediate) rebuild();
  else restartTimer = setTimeout(rebuild, RESTART_DELAY_MS);
}

let jobCounter = 0;

/** Starts a job in the worker: one of the model's actions, or `evaluate`. Returns its id. */
export function startJob(name: string, payload?: unknown): string {
  const { runId, jobs } = useStore.getState();
  const jobId = `${runId}-${++jobCounter}`;
  useStore.setState({ jobs: { ...jobs, [name]: { jobId, state: 'running' } } });
  sendToWorker({ type: 'action', runId, jobId, name, payload });
  return jobId;
}

export function cancelJob(jobId: string): void {
  sendToWorker({ type: 'cancel', runId: useStore.getState().runId, jobId });
}

/** Computes one of the model's held-out evaluations now, beside training. */
export const evaluateNow = (id: string) => startJob('evaluate', { id });

/**
 * The latent explorer: one decode job in flight at a time; while one is, only the latest
 * query of each kind (a scatter point, a slider setting) waits, so dragging never floods
 * the worker.
 */
const DECODE = 'decode-latent';
let decodeInFlight: { jobId: string; query: LatentQuery } | undefined;
const waitingQueries = new Map<LatentQuery['kind'], LatentQuery>();

function requestDecode(query: LatentQuery): void {
  if (decodeInFlight) {
    waitingQueries.set(query.kind, query);
    return;
  }
  decodeInFlight = { jobId: startJob(DECODE, query), query };
}

setStoreHooks({
  // A rebuild of a run that was training goes on training.
  ready: () => {
    if (!useStore.getState().resumeWhenReady) return;
    useStore.setState({ resumeWhenReady: false });
    play();
  },
  job: (jobId, message) => {
    if (jobId !== decodeInFlight?.jobId) return;
    const { query } = decodeInFlight;
    if (message.panel?.kind === 'image-grid') showDecoded(query, message.panel);
    if (message.state === 'running') return;
    // Done, failed or cancelled: the next waiting query goes. A failure says why, once.
    if (message.state === 'error') useStore.setState({ error: `The latent explorer could not decode: ${message.message}` });
    decodeInFlight = undefined;
    const [next] = waitingQueries.values();
    if (next) {
      waitingQueries.delete(next.kind);
      requestDecode(next);
    }
  },
  checkpoint: (checkpoint) => void keepCheckpoint(checkpoint),
  // The model has changed since the point or the sliders were decoded: decode them again.
  views: () => {
    if (useStore.getState().runState === 'paused') void keepRecord();
    const { explorer, sliders, panels } = useStore.getState();
    if (explorer) explore(explorer.point);
    if (sliders) {
      const panel = panels.find((candidate) => candidate.kind === 'sliders');
      // Another image (a new `from`), or no sliders any more: the edit no longer applies.
      if (panel?.title === sliders.panelTitle) setSliders(sliders.panelTitle, sliders.values);
      else resetSliders();
    }
  },
});

function showDecoded(query: LatentQuery, panel: ImageGridPanel): void {
  const { sliders } = useStore.getState();
  if (query.kind === 'point') useStore.setState({ explorer: { point: query.point, panel } });
  // Sliders reset while this was decoded stay reset.
  else if (sliders) useStore.setState({ sliders: { ...sliders, panel } });
}

export function explore(point: [number, number]): void {
  const { explorer } = useStore.getState();
  useStore.setState({ explorer: { point, panel: explorer?.panel } });
  requestDecode({ kind: 'point', point });
}

/** The sliders of the panel titled panelTitle were moved to these values. */
export function setSliders(panelTitle: string, values: number[]): void {
  const { sliders } = useStore.getState();
  useStore.setState({ sliders: { panelTitle, values, panel: sliders?.panel } });
  requestDecode({ kind: 'sliders', values });
}

/** Back to the image's own code: its reconstruction, which the panel already shows. */
export function resetSliders(): void {
  waitingQueries.delete('sliders');
  useStore.setState({ sliders: undefined });
}

export const play = () => sendToWorker({ type: 'start', runId: useStore.getState().runId });
export const pause = () => sendToWorker({ type: 'pause', runId: useStore.getState().runId });
/** One training step, or one phase of one (a GAN's discriminator alone). */
export const stepOnce = (phase?: string) => sendToWorker({ type: 'step', runId: useStore.getState().runId, ...(phase ? { phase } : {}) });
export const resetRun = () => restart(useStore.getState().config);
/** A smaller setting of the same model, when the default is slow on this machine. */
export const applyPreset = (values: Readonly<Record<string, ParamValue>>) => {
  const { config } = useStore.getState();
  changeConfig({ ...config, values: { ...config.values, ...values } }, { immediate: true });
};
export const toggleSettings = (open = !useStore.getState().settingsOpen) => useStore.setState({ settingsOpen: open });
export const dismissLinkWarnings = () => useStore.setState({ linkWarnings: [] });
export const dismissError = () => useStore.setState({ error: undefined });

/** Slow motion on or off: a few steps a second with the views of each, or full speed. */
export function setSlowMotion(slowMotion: boolean): void {
  useStore.setState({ slowMotion });
  sendToWorker({ type: 'pace', slowMotion });
}

/** Shows the views of an earlier step (undefined: the live ones again). */
export function replayAt(step: number | undefined): void {
  useStore.setState({ replayStep: step });
}
