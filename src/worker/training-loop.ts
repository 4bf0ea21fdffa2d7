/**
 * The training loop: steps dispatched flat out (or a few a second in slow motion), their
 * terms read back every few steps and posted at most every metricsInterval, the figures
 * and views refreshed when due, and a checkpoint now and then.
 */
import { cancellable, JobCancelled, type JobContext } from '../core/training/jobs';
import { nonFiniteMessage } from '../core/training/session';
import { onKernelThreadAlone } from './kernel-threads';
import { refresh } from './refresh';
import { status, stopWithError, throughput, type HandlerState, type LoopEnd, type Run } from './run-state';

/** Slow motion's pace: a person can follow each move of the model (a GAN's D step, then G's). */
export const SLOW_STEPS_PER_SECOND = 4;

/** Steps dispatched and not yet read back, at most: on a GPU, a pause stops the device within a few steps. */
export const MAX_IN_FLIGHT = 4;

/**
 * Reads back the terms of completed steps and, with `send`, posts what has been read so
 * far: reading back every few steps keeps the device close, posting at most every
 * metricsInterval keeps the page's message rate down however fast the steps are. False
 * if a term was not finite (the run is then paused, with a message).
 */
export async function flushMetrics(state: HandlerState, target: Run, send = true): Promise<boolean> {
  const { points, nonFinite } = await target.session.readMetrics();
  if (state.run !== target) return true;
  state.meter.tick(points.length);
  target.unsent.push(...points);
  if ((send || nonFinite) && target.unsent.length > 0) {
    state.deps.post({ type: 'metrics', runId: target.id, train: target.unsent, throughput: throughput(state, target) });
    target.unsent = [];
  }
  if (!nonFinite) return true;
  target.running = false;
  const message = nonFiniteMessage(target.spec, target.config, nonFinite);
  state.deps.post({ type: 'error', runId: target.id, message });
  status(state, target, 'paused', message);
  return false;
}

export async function trainLoop(state: HandlerState, target: Run): Promise<LoopEnd> {
  const { deps, timing } = state;
  const { job, cancel } = cancellable(deps.yieldToEvents);
  target.stopLoopWork = cancel;
  target.schedule.startTraining();
  let lastMetrics = deps.now();
  target.saved.at = deps.now();
  try {
    while (target.running && state.run === target) {
      const started = deps.now();
      target.session.dispatch();
      if (state.slowMotion) {
        if (!(await slowMotionStep(state, target, job, started))) return 'halted';
        continue;
      }
      // Back-pressure: read back before more than a few steps are queued on the device; send at most every metricsInterval.
      const sendDue = deps.now() - lastMetrics >= timing.metricsInterval;
      if (target.session.inFlight >= MAX_IN_FLIGHT || sendDue) {
        if (sendDue) lastMetrics = deps.now();
        if (!(await flushMetrics(state, target, sendDue))) return 'halted';
      }
      // the views' many small passes lost on a second thread of ours where the page shares two cores (kernel-threads.ts)
      await onKernelThreadAlone(() => refresh(state, target, job, 'training'));
      if (deps.now() - target.saved.at >= timing.checkpointInterval) await state.keeping.saveCheckpoint(target);
      await deps.yieldToEvents();
    }
    return 'stopped';
  } catch (error) {
    if (error instanceof JobCancelled) return 'stopped';
    target.running = false;
    if (state.run === target) stopWithError(state, target, error, 'Training stopped: ');
    return 'failed';
  }
}

/**
 * The rest of a step in slow motion: its terms and views at once (held-out figures wait
 * for full speed or a pause), then a wait until the step's share of a second is up, in
 * short slices so a pause or a switch back to full speed acts at once.
 */
async function slowMotionStep(state: HandlerState, target: Run, job: JobContext, started: number): Promise<boolean> {
  const { deps, timing } = state;
  if (!(await flushMetrics(state, target))) return false;
  await refresh(state, target, job, 'settled', { evaluations: false });
  if (deps.now() - target.saved.at >= timing.checkpointInterval) await state.keeping.saveCheckpoint(target);
  const until = started + 1000 / SLOW_STEPS_PER_SECOND;
  while (state.slowMotion && target.running && state.run === target && deps.now() < until) await state.wait(Math.min(50, until - deps.now()));
  return true;
}

export async function stopLoop(target: Run | undefined, reason: string): Promise<LoopEnd | undefined> {
  if (!target?.loop) return undefined;
  target.running = false;
  target.stopLoopWork?.(reason);
  const end = await target.loop;
  target.loop = undefined;
  return end;
}

/** Stops the loop and the refresh after it: nothing runs on the model but jobs. */
export async function quiet(target: Run, reason: string): Promise<void> {
  await stopLoop(target, reason);
  const background = target.background;
  background?.cancel(reason);
  await background?.done;
}
