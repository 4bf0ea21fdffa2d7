/**
 * Bringing a run's held-out figures and views up to date: while it trains (when they are
 * due), and after it stops (the "settle" beside the message queue, which the next start,
 * step or reset cancels).
 */
import type { Evaluation } from '../core/models/model';
import { cancellable, JobCancelled, type JobContext } from '../core/training/jobs';
import type { EvaluationPoint } from '../core/training/session';
import { panelBuffers } from '../core/views/panels';
import { errorText, isMemoryFailure } from './failures';
import type { RefreshMode } from './refresh-schedule';
import { fail, throughput, type HandlerState, type Run } from './run-state';

/** Posts an evaluation's figures, and keeps the run's checkpoint if they are its best yet. */
export async function postEvaluation(state: HandlerState, target: Run, point: EvaluationPoint): Promise<void> {
  if (state.run !== target) return;
  state.deps.post({ type: 'metrics', runId: target.id, train: [], evaluations: [point], throughput: throughput(state, target) });
  await state.keeping.keepIfBest(target, point);
}

/**
 * Held-out figures and views that are due (training) or out of date (settled): the cheap
 * figures, then the views, then the costly figures, so the pictures never wait for a
 * slow estimate. A figure or view that fails is reported and tried again at its next
 * turn; training goes on.
 */
export async function refresh(state: HandlerState, target: Run, job: JobContext, mode: RefreshMode, { force = false, evaluations = true } = {}): Promise<void> {
  const { deps } = state;
  const { session, schedule } = target;
  const attempt = async (what: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      if (error instanceof JobCancelled || state.run !== target || isMemoryFailure(error)) throw error;
      deps.post({ type: 'error', runId: target.id, message: `Could not compute ${what}: ${errorText(error)}` });
    }
  };
  /** `work`; when a start, step or reset cancels it, `cancelled` first (the schedule keeps what it cost so far). */
  const costKeptOnCancel = async (cancelled: () => void, work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      if (error instanceof JobCancelled) cancelled();
      throw error;
    }
  };
  const due = evaluations ? schedule.dueEvaluations(session.evaluations, session.step, mode, force) : [];
  const evaluate = async (list: Evaluation[]) => {
    for (const evaluation of list) {
      if (state.run !== target) return;
      const started = deps.now();
      await costKeptOnCancel(
        () => schedule.cancelledEvaluation(evaluation.id, started),
        () => attempt(`the figures on ${evaluation.basis}`, async () => await postEvaluation(state, target, await session.evaluate(evaluation, job))),
      );
      schedule.ranEvaluation(evaluation.id, session.step, started, mode);
    }
  };
  await evaluate(due.filter((evaluation) => evaluation.cadence === 'refresh'));
  if (state.run === target && schedule.viewsDue(session.step, mode, force)) {
    const [started, step] = [deps.now(), session.step];
    await costKeptOnCancel(
      () => schedule.cancelledViews(started),
      () =>
        attempt('the views', async () => {
          const panels = await session.views(job);
          if (state.run === target) deps.post({ type: 'views', runId: target.id, step, panels }, panelBuffers(panels));
        }),
    );
    schedule.ranViews(step, started, mode);
  }
  await evaluate(due.filter((evaluation) => evaluation.cadence !== 'refresh'));
}

/** Brings figures and views up to date beside the queue; the next start, step or reset cancels it. */
export function settle(state: HandlerState, target: Run, options: { force?: boolean; evaluations?: boolean } = {}): void {
  const previous = target.background;
  previous?.cancel('superseded');
  const { job, cancel } = cancellable(state.deps.yieldToEvents);
  const done = (async () => {
    await previous?.done;
    await refresh(state, target, job, 'settled', options);
  })().catch((error) => {
    if (!(error instanceof JobCancelled) && state.run === target) fail(state, target.id, error);
  });
  target.background = { cancel, done };
}
