/**
 * A new run in place of the old: the old one quieted, its jobs cancelled and its model
 * freed; then the backend started (and timed for this model), the data loaded, the model
 * built (refused if it would not fit in memory) and, when resuming, put where its
 * checkpoint left it. A reset that a newer one overtakes stops at its next await.
 */
import { datasetOf, type BackendChoice, type RunConfig } from '../core/config';
import { openDataset, type Dataset } from '../core/datasets/dataset';
import { findModel } from '../core/models';
import type { ModelSpec } from '../core/models/model';
import { quote } from '../core/quote';
import type { Checkpoint } from '../core/training/checkpoint';
import { createSession, type TrainingSession } from '../core/training/session';
import { newJobRunner } from './actions';
import { RunRefused } from './backend-probe';
import { errorText, isMemoryFailure, memoryRefusal } from './failures';
import { RefreshSchedule } from './refresh-schedule';
import { settle } from './refresh';
import { status, stopWithError, type HandlerState } from './run-state';
import { quiet } from './training-loop';

async function ensureBackend(state: HandlerState, choice: BackendChoice, runId: number): Promise<void> {
  const { backend, brokenBackends } = state;
  if (backend && backend.choice === choice && !brokenBackends.includes(backend.info.name)) return;
  const info = await state.deps.selectBackend(choice, brokenBackends);
  state.backend = { choice, selected: info, info };
  state.deps.post({ type: 'backend', runId, backend: info });
}

/** Times the run's model on each candidate backend (or recalls the verdict) and tells the page if the choice changed. */
async function measureBackend(state: HandlerState, runId: number, config: RunConfig, spec: ModelSpec, dataset: Dataset, onTiming: () => void): Promise<void> {
  const { deps, backend } = state;
  if (!deps.measureBackend || !backend) return;
  const build = async () => {
    const session = await createSession(config, dataset, { spec, now: deps.now });
    const refusal = memoryRefusal(spec, config, session.model.memoryEstimate?.(session.batchSize));
    if (!refusal) return session;
    session.dispose();
    throw new RunRefused(refusal);
  };
  const info = await deps.measureBackend(backend.selected, { config, spec, exclude: state.brokenBackends, build, onTiming });
  if (info === backend.info) return;
  backend.info = info;
  deps.post({ type: 'backend', runId, backend: info });
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

export async function reset(
  state: HandlerState,
  runId: number,
  config: RunConfig,
  { notice, serial = state.resets, resume }: { notice?: string; serial?: number; resume?: Checkpoint } = {},
): Promise<void> {
  const { deps } = state;
  if (serial !== state.resets) return; // a newer reset is queued: build that one only
  const previous = state.run;
  state.run = undefined;
  if (previous) {
    await quiet(previous, 'reset');
    await previous.jobs.cancelAll('the run was reset');
    previous.session.dispose();
  }
  state.meter.reset();
  const pending = { id: runId };
  status(state, pending, 'loading', 'Starting the compute backend…');
  try {
    await ensureBackend(state, config.backend, runId);
    const dataSpec = datasetOf(config);
    if (dataSpec.kind === 'image') status(state, pending, 'loading', `Loading ${dataSpec.name}…`);
    const dataset = await openDataset(dataSpec, config.values, (spec) =>
      deps.loadDataset(spec, (label, loaded, total) => deps.post({ type: 'progress', runId, label, loaded, total })),
    );
    if (serial !== state.resets) return; // a newer reset arrived while it loaded
    const spec = (deps.findModel ?? findModel)(config.model);
    if (!spec) throw new Error(`Unknown model ${quote(config.model)}`);
    await measureBackend(state, runId, config, spec, dataset, () => status(state, pending, 'loading', 'Timing this model on each backend to pick the fastest…'));
    if (serial !== state.resets) return;
    status(state, pending, 'loading', 'Building the model…');
    const session = await createSession(config, dataset, { spec, now: deps.now, ...(deps.loadClassifier ? { classifiers: deps.loadClassifier } : {}) });
    const refusal = memoryRefusal(spec, config, session.model.memoryEstimate?.(session.batchSize));
    if (refusal) {
      session.dispose();
      throw new Error(refusal);
    }
    const { failure } = resume ? await resumeFrom(session, resume) : {};
    const saved = { at: deps.now(), ...(resume && !failure ? { checkpoint: resume } : {}) };
    const run = { id: runId, config, spec, session, running: false, jobs: newJobRunner(state, runId), schedule: new RefreshSchedule(state.timing, deps.now), unsent: [], saved };
    state.run = run;
    if (failure) deps.post({ type: 'error', runId, message: failure });
    status(state, run, 'paused', notice);
    settle(state, run);
  } catch (error) {
    stopWithError(state, pending, error);
  }
}
