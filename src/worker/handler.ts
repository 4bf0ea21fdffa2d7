/**
 * The training worker's logic as a plain function, so that Node tests can drive it with a
 * fake `post`. The worker entry file only wires it to `self`.
 *
 * Messages are handled one at a time, in order. Beside that queue run the training loop
 * (training-loop.ts), the refresh that follows a stop (held-out figures and views,
 * cancellable: refresh.ts), and the jobs the page starts (actions.ts). A reset (reset.ts)
 * cancels all three before the model is freed.
 */
import { quote } from '../core/quote';
import { actionWork } from './actions';
import type { ToWorker } from './protocol';
import { DEFAULT_TIMING, type RefreshTiming } from './refresh-schedule';
import { settle } from './refresh';
import { reset } from './reset';
import { createHandlerState, fail, status, stopWithError, type HandlerDeps, type HandlerState } from './run-state';
import { flushMetrics, quiet, stopLoop, trainLoop } from './training-loop';

export type { HandlerDeps } from './run-state';
export { MAX_IN_FLIGHT, SLOW_STEPS_PER_SECOND } from './training-loop';

async function handle(state: HandlerState, message: ToWorker, serial: number): Promise<void> {
  const { deps } = state;
  if (message.type === 'configure' || message.type === 'diagnose' || message.type === 'ping' || message.type === 'pace') return; // the worker entry's, or answered at once
  if (message.type === 'reset') return reset(state, message.runId, message.config, { serial, ...(message.resume ? { resume: message.resume } : {}) });
  if (message.type === 'device-lost') {
    // also when the timing left another backend current: WebGPU stays started, and broken
    if (state.backend?.info.name === 'webgpu' || state.backend?.selected.name === 'webgpu') state.brokenBackends.push('webgpu');
    state.backend = undefined;
    const { run } = state;
    if (run) {
      const resume = run.saved.checkpoint;
      const from = resume ? `went on from the checkpoint at step ${resume.step.toLocaleString('en-US')}` : 'restarted the run';
      await reset(state, run.id, run.config, { notice: `The GPU device was lost (${message.reason}); switched backend and ${from}.`, ...(resume ? { resume } : {}) });
    }
    return;
  }
  const target = state.run;
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
      state.meter.reset();
      status(state, target, 'running');
      target.loop = trainLoop(state, target);
      return;
    case 'pause': {
      const end = await stopLoop(target, 'paused');
      if (end !== 'stopped' || state.run !== target) return;
      if (await flushMetrics(state, target)) status(state, target, 'paused');
      await state.keeping.saveCheckpoint(target);
      settle(state, target);
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
        stopWithError(state, target, error, 'Training stopped: ');
        return;
      }
      if (await flushMetrics(state, target)) status(state, target, 'paused');
      await state.keeping.saveCheckpoint(target);
      settle(state, target);
      return;
    }
    case 'refresh-views':
      if (!target.running) settle(state, target, { force: true, evaluations: false });
      return;
    case 'set-params':
      target.session.setParams(message.values);
      Object.assign(target.config.values, message.values);
      if (!target.running) settle(state, target, { force: true });
      return;
    case 'action': {
      const work = actionWork(state, target, message.name, message.payload);
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

export function createTrainingHandler(deps: HandlerDeps, timing: RefreshTiming = DEFAULT_TIMING) {
  const state = createHandlerState(deps, timing);
  let queue: Promise<void> = Promise.resolve();

  return (message: ToWorker): Promise<void> => {
    // The heartbeat is answered at once, between two steps at the latest: a wedged worker is one that cannot.
    if (message.type === 'ping') {
      deps.post({ type: 'pong', id: message.id, ...state.current });
      return queue;
    }
    if (message.type === 'pace') {
      state.slowMotion = message.slowMotion;
      return queue;
    }
    const serial = message.type === 'reset' ? ++state.resets : state.resets;
    // pause must not wait behind a running loop: flip the flag and cancel its refresh now.
    const { run } = state;
    if (message.type === 'pause' && run?.id === message.runId && run.running) {
      run.running = false;
      run.stopLoopWork?.('paused');
    }
    queue = queue
      .then(() => handle(state, message, serial))
      .catch((error) => {
        fail(state, 'runId' in message ? message.runId : -1, error);
      });
    return queue;
  };
}
