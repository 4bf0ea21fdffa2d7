/**
 * The worker's checkpoints: saved every interval of training and at a pause, sent to the
 * page; a reset with one resumes there (the steps go on from it); a checkpoint that does
 * not fit is refused with a message and the run starts from step 0.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { defaultConfig, type RunConfig } from '../../src/core/config';
import type { FromWorker } from '../../src/worker/protocol';
import { harness, waitFor, type Harness } from './handler-harness';

type CheckpointMessage = Extract<FromWorker, { type: 'checkpoint' }>;

function tiny(values: Record<string, unknown> = {}): RunConfig {
  const config = defaultConfig('ae', 'ring');
  config.backend = 'cpu';
  Object.assign(config.values, { hidden: [8], batch: 8 }, values);
  return config;
}

const checkpoints = (h: Harness, runId: number) => h.of(runId).filter((m): m is CheckpointMessage => m.type === 'checkpoint');

let current: Harness | undefined;

beforeAll(async () => {
  await useNodeBackend('cpu');
});

afterEach(async () => {
  if (current) await current.send({ type: 'reset', runId: 999, config: { ...tiny(), dataset: 'no-such-dataset' } });
  current = undefined;
});

describe('checkpoints in the worker', () => {
  it('are saved while training, at every interval, and when it pauses', async () => {
    const h = (current = harness({ timing: { checkpointInterval: 30 } }));
    await h.send({ type: 'reset', runId: 1, config: tiny() });
    await h.send({ type: 'start', runId: 1 });
    await waitFor(() => checkpoints(h, 1).length >= 2, 'two checkpoints while training');
    await h.send({ type: 'pause', runId: 1 });
    const saved = checkpoints(h, 1);
    const last = saved.at(-1)!.checkpoint;
    expect(last.step).toBe(h.lastStatus(1)!.step);
    // steps only go forward, and the buffer came whole (the worker keeps its own copy)
    expect(saved.map((m) => m.checkpoint.step)).toEqual([...saved.map((m) => m.checkpoint.step)].sort((a, b) => a - b));
    expect(last.data.byteLength).toBeGreaterThan(0);
    // a second pause with no step between saves nothing new
    await h.send({ type: 'pause', runId: 1 });
    expect(checkpoints(h, 1)).toHaveLength(saved.length);
  });

  it('a reset with a checkpoint goes on from its step with its weights', async () => {
    const h = (current = harness({ timing: { checkpointInterval: 1e9 } }));
    await h.send({ type: 'reset', runId: 1, config: tiny() });
    for (let i = 0; i < 4; i++) await h.send({ type: 'step', runId: 1 });
    await h.send({ type: 'start', runId: 1 });
    await waitFor(() => h.trainSteps(1).length >= 6, 'a few steps');
    await h.send({ type: 'pause', runId: 1 });
    const { checkpoint } = checkpoints(h, 1).at(-1)!;
    const next = async (runId: number) => {
      await h.send({ type: 'step', runId });
      return h.trainPoints(runId).at(-1)!;
    };
    const original = await next(1);

    await h.send({ type: 'reset', runId: 2, config: tiny(), resume: checkpoint });
    expect(h.lastStatus(2)).toMatchObject({ state: 'paused', step: checkpoint.step });
    const resumed = await next(2);
    expect(resumed.step).toBe(checkpoint.step + 1);
    expect(resumed.values.loss).toBe(original.values.loss);
  });

  it('keeps the run at its best sample quality: a checkpoint of the step whose figures beat all before, and only then', async () => {
    const h = (current = harness({ timing: { checkpointInterval: 1e9 } }));
    await h.send({ type: 'reset', runId: 1, config: tiny() });
    for (let i = 0; i < 3; i++) await h.send({ type: 'step', runId: 1 });
    const evaluate = async (jobId: string) => {
      await h.send({ type: 'action', runId: 1, jobId, name: 'evaluate', payload: { id: 'sample-quality' } });
      await waitFor(() => h.jobs(1, jobId).some((m) => m.state === 'done'), `evaluation ${jobId}`);
    };
    const best = () => h.of(1).filter((m): m is Extract<FromWorker, { type: 'best' }> => m.type === 'best');
    await evaluate('q1');
    expect(best()).toHaveLength(1);
    const [first] = best();
    expect(first.checkpoint.step).toBe(3);
    expect(first.key).toBe('modes_covered');
    const figures = h.evaluations(1).filter((point) => point.id === 'sample-quality').at(-1)!.values;
    expect(first.value).toBe(figures.modes_covered);
    // the same step judged again is not better: nothing new
    await evaluate('q2');
    expect(best()).toHaveLength(1);
    // going back to it: a run built from its checkpoint stands at its step
    await h.send({ type: 'reset', runId: 2, config: tiny(), resume: first.checkpoint });
    expect(h.lastStatus(2)).toMatchObject({ state: 'paused', step: 3 });
  });

  it('a checkpoint of another configuration is refused: a message, and the run starts at step 0', async () => {
    const h = (current = harness({ timing: { checkpointInterval: 1e9 } }));
    await h.send({ type: 'reset', runId: 1, config: tiny() });
    await h.send({ type: 'step', runId: 1 });
    await h.send({ type: 'pause', runId: 1 });
    await waitFor(() => checkpoints(h, 1).length > 0, 'a checkpoint');
    const { checkpoint } = checkpoints(h, 1).at(-1)!;
    await h.send({ type: 'reset', runId: 2, config: tiny({ hidden: [12] }), resume: checkpoint });
    const error = h.of(2).find((m) => m.type === 'error');
    expect(error && 'message' in error && error.message).toMatch(/Could not resume from the checkpoint at step 1, so the run starts again from step 0: .*another configuration/);
    expect(h.lastStatus(2)).toMatchObject({ state: 'paused', step: 0 });
  });
});
