/**
 * Jobs the page starts beside training: the model's own actions, and the built-in
 * `evaluate` (one held-out evaluation now) and `sample` (new samples). They run beside the
 * message queue; their panels and ends go to the page as `job` messages.
 */
import type { Action } from '../core/models/model';
import { quote } from '../core/quote';
import { createRandom, itemSeed } from '../core/random';
import { JobRunner } from '../core/training/jobs';
import { drawSamples } from '../core/training/sampling-job';
import { panelBuffers, type ViewPanel } from '../core/views/panels';
import { postEvaluation } from './refresh';
import type { HandlerState, Run } from './run-state';

export function newJobRunner(state: HandlerState, runId: number): JobRunner {
  const { deps } = state;
  return new JobRunner({
    yieldToEvents: deps.yieldToEvents,
    wait: state.wait,
    panel: (jobId: string, name: string, panel: ViewPanel, progress?: number) =>
      deps.post({ type: 'job', runId, jobId, name, state: 'running', panel, ...(progress !== undefined ? { progress } : {}) }, panelBuffers([panel])),
    end: (jobId, name, end) =>
      deps.post({ type: 'job', runId, jobId, name, state: end.state, ...(end.state === 'error' ? { message: end.message } : end.state === 'cancelled' ? { message: end.reason } : {}) }),
  });
}

/** The work of an action (the model's own, or the built-in `evaluate` and `sample`), or why it cannot be done. */
export function actionWork(state: HandlerState, target: Run, name: string, payload: unknown): Action | string {
  if (name === 'evaluate') {
    const id = (payload as { id?: unknown } | undefined)?.id;
    const evaluation = target.session.evaluations.find((candidate) => candidate.id === id);
    if (!evaluation) return `${target.spec.name} has no evaluation ${quote(id)}`;
    return async (_, job) => {
      const started = state.deps.now();
      await postEvaluation(state, target, await target.session.evaluate(evaluation, job));
      target.schedule.ranEvaluation(evaluation.id, target.session.step, started, target.running ? 'training' : 'settled');
    };
  }
  if (name === 'sample') {
    if (!target.session.model.sample) return `${target.spec.name} does not generate samples`;
    const count = Number((payload as { count?: unknown } | undefined)?.count ?? 64);
    // every request draws new samples, the same ones again for the same request in a new run
    const random = createRandom(itemSeed(target.session.step + 1, ++state.sampleRequests));
    return (_, job) => drawSamples(target.session, count, random, job);
  }
  const action = target.session.model.actions?.[name];
  return action ?? `${target.spec.name} has no action ${quote(name)}`;
}
