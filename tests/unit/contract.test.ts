/**
 * The model contract, proven with fake models: phases, terms that change between steps,
 * points data, jobs, unsupported actions, a throwing step, a NaN loss, back-pressure and
 * evaluation cadence. The fakes are plain objects, so the tests see the contract itself,
 * not one family's code.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { openNodeDataset } from '../../src/cli/node-datasets';
import type { RunConfig } from '../../src/core/config';
import type { Evaluation, GenerativeModel, ModelSpec, StepContext, StepTerms } from '../../src/core/models/model';
import { createRandom } from '../../src/core/random';
import { cancellable, JobCancelled, JobRunner, type JobContext } from '../../src/core/training/jobs';
import { TrainingSession } from '../../src/core/training/session';
import type { ImageGridPanel } from '../../src/core/views/panels';
import { isMemoryFailure } from '../../src/worker/failures';
import { MAX_IN_FLIGHT } from '../../src/worker/handler';
import { harness, sleep, tag, waitFor, type Harness } from './handler-harness';

/** A spec for a fake model: the factory returns whatever `build` makes. */
/** Work of `ms` in chunks, each ending at a checkpoint (where a start, step or reset cancels it): PixelCNN++'s samples, drawn pixel by pixel. */
async function busyFor(ms: number, job: JobContext): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) await job.checkpoint();
}

function fakeSpec(id: string, build: () => Partial<GenerativeModel>, extra: Partial<ModelSpec> = {}): ModelSpec {
  const spec: ModelSpec = {
    id,
    name: `Fake ${id}`,
    family: 'Fakes',
    paper: { title: 'none', authors: 'none', year: 2026, url: 'https://example.org' },
    card: { summary: '', objectiveTex: 'x', objectiveText: 'x', watchFor: [] },
    dataKinds: ['points', 'image'],
    generates: false,
    firstResults: {},
    terms: [{ key: 'loss', plain: 'the fake loss', label: 'fake loss', unit: 'nats' }],
    charts: [{ id: 'loss', title: 'Loss', terms: ['loss'] }],
    optimizer: [],
    params: [],
    load: async () => ({
      spec,
      create: () => ({ evaluations: [], views: async () => [], dispose: () => {}, step: () => ({ loss: tf.scalar(1) }), ...build() }) as GenerativeModel,
    }),
    ...extra,
  } as ModelSpec;
  return spec;
}

const config = (model: string, dataset = 'ring'): RunConfig => ({ model, dataset, backend: 'cpu', values: { batch: 4, seed: 1 } });

/** A session around a fake model, without the registry. */
async function fakeSession(spec: ModelSpec, dataset = 'ring'): Promise<TrainingSession> {
  const factory = await spec.load();
  const data = await openNodeDataset(dataset, {});
  return new TrainingSession(factory.create({}, { data: data.spec, random: createRandom(1) }), data, { batchSize: 4, batchSeed: 2, viewSeed: 3 });
}

/** A two-phase model, GAN-shaped: k = 2 discriminator updates then one generator update per whole step. */
function twoPhase(calls: (string | undefined)[]) {
  return fakeSpec(
    'fake-gan',
    () => ({
      step: ({ phase, data, random, batchSize }: StepContext): StepTerms => {
        calls.push(phase);
        const batch = data.draw(batchSize, random); // a points batch, [4, 2]
        const d = () => tf.scalar(1).add(batch.sum().mul(0)) as tf.Scalar;
        if (phase === 'discriminator') return { d_loss: d() };
        if (phase === 'generator') return { g_loss: tf.scalar(-2) };
        calls.push('discriminator', 'discriminator', 'generator');
        return { d_loss: d(), g_loss: tf.scalar(-2) };
      },
    }),
    {
      phases: [
        { id: 'discriminator', label: 'discriminator' },
        { id: 'generator', label: 'generator' },
      ],
      terms: [
        { key: 'd_loss', plain: 'how well D tells real from fake', label: 'discriminator loss', unit: 'nats' },
        { key: 'g_loss', plain: 'how well G fools D', label: 'generator loss', unit: 'nats' },
      ],
      charts: [{ id: 'losses', title: 'Losses', terms: ['d_loss', 'g_loss'] }],
    },
  );
}

let current: Harness | undefined;

beforeAll(async () => {
  await useNodeBackend('cpu');
});

afterEach(async () => {
  if (current) await current.send({ type: 'reset', runId: 999, config: config('no-such-model') });
  current = undefined;
});

/**
 * Work of `spec`'s that takes 3 s (calls() counts its starts), cancelled by a start after
 * at least 1 s of it: it cost at least 1 s, so at most a fifth of the training time, and it
 * does not run again before 5 s of training.
 */
async function expectCancelledCostKept(spec: ModelSpec, calls: () => number, underWay: string): Promise<void> {
  const h = (current = harness({ models: [spec], timing: { metricsInterval: 0, viewsInterval: 10, checkpointInterval: 1e9 } }));
  await h.send({ type: 'reset', runId: 1, config: config(spec.id) });
  await waitFor(() => calls() === 1, underWay);
  await sleep(1000);
  await h.send({ type: 'start', runId: 1 });
  await sleep(1000);
  expect(h.trainSteps(1).length).toBeGreaterThan(10);
  expect(calls()).toBe(1);
}

describe('the session, with fake models', () => {
  it('a two-phase model is stepped a phase at a time, or whole; each phase reports its own terms, merged by name', async () => {
    const calls: (string | undefined)[] = [];
    const session = await fakeSession(twoPhase(calls));
    session.dispatch('discriminator');
    session.dispatch('generator');
    session.dispatch();
    const { points } = await session.readMetrics();
    expect(points).toEqual([
      { step: 1, values: { d_loss: 1 } },
      { step: 2, values: { g_loss: -2 } },
      { step: 3, values: { d_loss: 1, g_loss: -2 } },
    ]);
    expect(calls).toEqual(['discriminator', 'generator', undefined, 'discriminator', 'discriminator', 'generator']);
    session.dispose();
  });

  it('terms may change from step to step: each step keeps exactly the terms it reported', async () => {
    let n = 0;
    const session = await fakeSession(
      fakeSpec('fake-terms', () => ({
        step: (): StepTerms => {
          n += 1;
          return n === 1 ? { a: tf.scalar(1) } : n === 2 ? { a: tf.scalar(2), b: tf.scalar(20) } : { b: tf.scalar(30) };
        },
      })),
    );
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) session.dispatch();
    expect((await session.readMetrics()).points.map((point) => point.values)).toEqual([{ a: 1 }, { a: 2, b: 20 }, { b: 30 }]);
    expect(tf.memory().numTensors).toBe(before);
    session.dispose();
  });

  it('a model on points data draws its own batches, [batch, 2], from the run\'s seeded source', async () => {
    const seen: number[][] = [];
    const session = await fakeSession(
      fakeSpec('fake-points', () => ({
        step: ({ data, random, batchSize }) => {
          expect(data.kind).toBe('points');
          const batch = data.draw(batchSize, random);
          seen.push(batch.shape);
          return { loss: batch.square().sum(1).mean() as tf.Scalar };
        },
      })),
    );
    session.dispatch();
    session.dispatch();
    const [first, second] = (await session.readMetrics()).points.map((point) => point.values.loss);
    expect(seen).toEqual([
      [4, 2],
      [4, 2],
    ]);
    // points on the unit circle: a squared radius near 1, a fresh batch each step
    expect(first).toBeCloseTo(1, 1);
    expect(second).not.toBe(first);
    session.dispose();
  });

  it('a step that throws leaks no tensor and counts no step', async () => {
    const session = await fakeSession(
      fakeSpec('fake-throw', () => ({
        step: () => {
          tf.ones([100, 100]).mul(2);
          throw new Error('the fake step failed');
        },
      })),
    );
    const before = tf.memory().numTensors;
    expect(() => session.dispatch()).toThrow('the fake step failed');
    expect(tf.memory().numTensors).toBe(before);
    expect(session.step).toBe(0);
    session.dispose();
  });

  it('names the first term that is not a finite number, and its step', async () => {
    let n = 0;
    const session = await fakeSession(fakeSpec('fake-nan', () => ({ step: () => ({ loss: tf.scalar(++n === 3 ? NaN : n === 4 ? Infinity : 1) }) })));
    for (let i = 0; i < 4; i++) session.dispatch();
    const { points, nonFinite } = await session.readMetrics();
    expect(points).toHaveLength(4);
    expect(nonFinite).toEqual({ step: 3, term: 'loss', value: NaN });
    session.dispose();
  });
});

describe('jobs', () => {
  it('stream panels with progress; a newer job of the same name supersedes the older; cancel ends one quietly', async () => {
    const events: string[] = [];
    const runner = new JobRunner({
      yieldToEvents: () => sleep(1),
      panel: (jobId, _, __, progress) => events.push(`${jobId} ${progress}`),
      end: (jobId, _, end) => events.push(`${jobId} ${end.state}${end.state === 'cancelled' ? ` (${end.reason})` : ''}`),
    });
    const panel = { kind: 'bars', id: 'p', title: '', caption: '', values: new Float32Array(1), labels: ['x'], unit: '' } as const;
    const slow = async (job: Parameters<Parameters<JobRunner['start']>[2]>[0]) => {
      for (let i = 1; i <= 100; i++) {
        job.emit(panel, i / 100);
        await job.checkpoint();
      }
    };
    const first = runner.start('1', 'sample', slow);
    await sleep(5);
    const second = runner.start('2', 'sample', slow); // same name: the first is superseded
    await first;
    expect(events).toContain('1 cancelled (superseded by a newer request)');
    await sleep(5);
    await runner.cancel('2', 'the page asked');
    await second;
    expect(events.at(-1)).toBe('2 cancelled (the page asked)');
    // no panel of a job after its end
    const ends = events.map((event, index) => [event, index] as const).filter(([event]) => event.includes('cancelled'));
    for (const [event, index] of ends) expect(events.slice(index + 1).some((later) => later.startsWith(event.split(' ')[0] + ' 0'))).toBe(false);
    expect(runner.size).toBe(0);
  });

  it('a cancellable context: checkpoint throws JobCancelled once cancelled, and emits nothing after', async () => {
    const emitted: number[] = [];
    const { job, cancel } = cancellable(async () => {}, (_, progress) => emitted.push(progress ?? -1));
    job.emit({ kind: 'bars', id: 'p', title: '', caption: '', values: new Float32Array(1), labels: ['x'], unit: '' }, 0.5);
    cancel('stop');
    job.emit({ kind: 'bars', id: 'p', title: '', caption: '', values: new Float32Array(1), labels: ['x'], unit: '' }, 0.6);
    await expect(job.checkpoint()).rejects.toBeInstanceOf(JobCancelled);
    expect([job.cancelled, emitted]).toEqual([true, [0.5]]);
  });
});

describe('the handler, with fake models', () => {
  it('steps one phase at a time on request, and refuses a phase the model does not have', async () => {
    const calls: (string | undefined)[] = [];
    const h = (current = harness({ models: [twoPhase(calls)] }));
    await h.send({ type: 'reset', runId: 1, config: config('fake-gan') });
    await h.send({ type: 'step', runId: 1, phase: 'discriminator' });
    await h.send({ type: 'step', runId: 1, phase: 'generator' });
    await h.send({ type: 'step', runId: 1 });
    await h.send({ type: 'step', runId: 1, phase: 'critic' });
    expect(calls).toEqual(['discriminator', 'generator', undefined, 'discriminator', 'discriminator', 'generator']);
    expect(h.trainPoints(1).map((point) => point.values)).toEqual([{ d_loss: 1 }, { g_loss: -2 }, { d_loss: 1, g_loss: -2 }]);
    expect(h.of(1).at(-1)).toEqual({ type: 'error', runId: 1, message: 'Fake fake-gan has no phase "critic"' });
  });

  it('a job streams progress while training goes on, and a reset cancels it', async () => {
    const spec = fakeSpec('fake-job', () => ({
      actions: {
        animate: async (_payload, job) => {
          for (let frame = 0; ; frame++) {
            const pixels = new Uint8ClampedArray(4).fill(frame);
            job.emit({ kind: 'image-grid', id: 'frame', title: 'Frame', caption: '', pixels, count: 1, height: 2, width: 2, channels: 1, columns: 1 }, Math.min(frame / 50, 1));
            await job.checkpoint();
          }
        },
      },
    }));
    const h = (current = harness({ models: [spec] }));
    await h.send({ type: 'reset', runId: 1, config: config('fake-job') });
    await h.send({ type: 'action', runId: 1, jobId: 'anim', name: 'animate' });
    await h.send({ type: 'start', runId: 1 });
    await waitFor(() => h.jobs(1, 'anim').length >= 5 && h.trainSteps(1).length >= 5, 'frames and steps together');
    const frames = h.jobs(1, 'anim');
    expect(frames.every((m) => m.state === 'running' && m.panel?.kind === 'image-grid')).toBe(true);
    expect(frames.map((m) => m.progress)).toEqual([...frames.map((m) => m.progress)].sort((a, b) => a! - b!));
    expect((frames[3].panel as ImageGridPanel).pixels[0]).toBe(3);
    await h.send({ type: 'reset', runId: 2, config: config('fake-job') });
    const end = h.jobs(1, 'anim').at(-1)!;
    expect([end.state, end.message]).toEqual(['cancelled', 'the run was reset']);
  });

  it('an action the model does not have is answered with an error at once', async () => {
    const h = (current = harness({ models: [fakeSpec('fake-plain', () => ({}))] }));
    await h.send({ type: 'reset', runId: 1, config: config('fake-plain') });
    await h.send({ type: 'action', runId: 1, jobId: 'j', name: 'decode-latent', payload: { kind: 'point', point: [0, 0] } });
    expect(h.jobs(1, 'j')).toEqual([{ type: 'job', runId: 1, jobId: 'j', name: 'decode-latent', state: 'error', message: 'Fake fake-plain has no action "decode-latent"' }]);
    await h.send({ type: 'action', runId: 1, jobId: 'k', name: 'evaluate', payload: { id: 'nope' } });
    expect(h.jobs(1, 'k').at(-1)?.message).toBe('Fake fake-plain has no evaluation "nope"');
  });

  it('a throwing step stops the run with its message', async () => {
    const h = (current = harness({ models: [fakeSpec('fake-throw', () => ({ step: () => { throw new Error('out of ideas'); } }))] }));
    await h.send({ type: 'reset', runId: 1, config: config('fake-throw') });
    await h.send({ type: 'start', runId: 1 });
    await waitFor(() => h.lastStatus(1)?.state === 'error', 'the error status');
    expect(h.of(1).filter((m) => m.type === 'error')).toEqual([{ type: 'error', runId: 1, message: 'Training stopped: out of ideas' }]);
  });

  it('a NaN loss pauses the run, naming the step and the term, with a hint', async () => {
    let n = 0;
    const spec = fakeSpec('fake-nan', () => ({ step: () => ({ loss: tf.scalar(++n >= 7 ? NaN : 1) }) }), {
      optimizer: [{ kind: 'number', key: 'lr', label: 'Learning rate', help: '', default: 0.1, min: 0, max: 1, step: 0.1 }],
    });
    const h = (current = harness({ models: [spec] }));
    await h.send({ type: 'reset', runId: 1, config: { ...config('fake-nan'), values: { batch: 4, seed: 1, lr: 0.1 } } });
    await h.send({ type: 'start', runId: 1 });
    await waitFor(() => h.lastStatus(1)?.state === 'paused' && h.lastStatus(1)?.message !== undefined, 'the pause');
    const message = 'Training stopped at step 7: the fake loss ("loss") became not a number (NaN). The updates were too large for this model: lower the learning rate (now 0.1), then press Reset.';
    expect(h.lastStatus(1)).toMatchObject({ state: 'paused', message });
    expect(h.of(1).filter((m) => m.type === 'error')).toEqual([{ type: 'error', runId: 1, message }]);
    const steps = n;
    await sleep(100);
    expect(n).toBe(steps); // it really stopped
    expect(Math.max(...h.trainSteps(1))).toBeLessThanOrEqual(7 + MAX_IN_FLIGHT);
  });

  it('back-pressure: at most a few steps in flight between readbacks, few messages however fast the steps, and a pause takes effect within a step', async () => {
    let steps = 0;
    let mostInFlight = 0;
    const terms: tf.Scalar[] = [];
    const spec = fakeSpec('fake-count', () => ({
      step: () => {
        // the terms of earlier steps not yet read back (and freed) are the steps still in flight
        mostInFlight = Math.max(mostInFlight, terms.filter((term) => !term.isDisposed).length + 1);
        const term = tf.scalar(++steps);
        terms.push(term);
        return { loss: term };
      },
    }));
    const h = (current = harness({ models: [spec], timing: { metricsInterval: 100, viewsInterval: 1e9, checkpointInterval: 1e9 } }));
    await h.send({ type: 'reset', runId: 1, config: config('fake-count') });
    await h.send({ type: 'start', runId: 1 });
    const started = performance.now();
    await waitFor(() => h.trainSteps(1).length >= 200, '200 steps');
    const pausedAt = steps;
    await h.send({ type: 'pause', runId: 1 });
    const seconds = (performance.now() - started) / 1000;
    expect(steps - pausedAt).toBeLessThanOrEqual(1);
    expect(mostInFlight).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    // one message per 100 ms at most, plus the one at the pause, however many steps that was
    const messages = h.metrics(1).filter((m) => m.train.length > 0).length;
    expect(messages).toBeLessThanOrEqual(Math.ceil(seconds * 10) + 2);
    expect(h.trainSteps(1)).toEqual(Array.from({ length: steps }, (_, i) => i + 1)); // every completed step reported
  });

  it('evaluations keep their own cadence: frequent ones with the views, rare ones rarely, on-demand ones when asked', async () => {
    const runs = { frequent: 0, rare: 0, asked: 0 };
    const evaluation = (id: keyof typeof runs, cadence: Evaluation['cadence']): Evaluation => ({
      id,
      basis: `${id} examples`,
      cadence,
      run: async () => ({ [id]: ++runs[id] }),
    });
    const spec = fakeSpec('fake-evals', () => ({ evaluations: [evaluation('frequent', 'refresh'), evaluation('rare', 60_000), evaluation('asked', 'on-demand')] }));
    const h = (current = harness({ models: [spec], timing: { metricsInterval: 0, viewsInterval: 20, checkpointInterval: 1e9 } }));
    await h.send({ type: 'reset', runId: 1, config: config('fake-evals') });
    await waitFor(() => h.views(1).length > 0, 'first refresh');
    expect(runs).toEqual({ frequent: 1, rare: 1, asked: 0 }); // both at step 0, the on-demand one not
    await h.send({ type: 'start', runId: 1 });
    await sleep(300);
    await h.send({ type: 'pause', runId: 1 });
    await sleep(50);
    expect(runs.frequent).toBeGreaterThan(3);
    expect(runs.rare).toBe(1);
    expect(runs.asked).toBe(0);
    await h.send({ type: 'action', runId: 1, jobId: 'e', name: 'evaluate', payload: { id: 'asked' } });
    await waitFor(() => h.jobs(1, 'e').some((m) => m.state === 'done'), 'the asked-for evaluation');
    const asked = h.evaluations(1).filter((point) => point.id === 'asked');
    expect(asked).toHaveLength(1);
    expect([asked[0].values, asked[0].basis, asked[0].step]).toEqual([{ asked: 1 }, 'asked examples', h.lastStatus(1)!.step]);
  });

  it('views cancelled by a start count what they cost so far: training goes on before they are drawn again', async () => {
    let viewCalls = 0;
    const spec = fakeSpec('fake-slow-views', () => ({
      // views that take 3 s, in chunks (PixelCNN++'s samples, drawn pixel by pixel, take about 5)
      views: async ({ job }) => {
        viewCalls++;
        await busyFor(3000, job);
        return [];
      },
    }));
    await expectCancelledCostKept(spec, () => viewCalls, 'the views of step 0 under way');
  });

  it('an evaluation cancelled by a start counts what it cost so far: training goes on before it runs again', async () => {
    let calls = 0;
    const spec = fakeSpec('fake-slow-figure', () => ({
      // a held-out figure that takes 3 s, in chunks (PixelCNN++'s on 200 images)
      evaluations: [
        {
          id: 'slow',
          basis: 'held-out images',
          cadence: 'refresh',
          run: async ({ job }) => {
            calls++;
            await busyFor(3000, job);
            return { slow: 1 };
          },
        },
      ],
    }));
    await expectCancelledCostKept(spec, () => calls, 'the figure of step 0 under way');
  });

  it('a pause does not wait for a long evaluation: it stops between chunks', async () => {
    let chunks = 0;
    const spec = fakeSpec('fake-long-eval', () => ({
      evaluations: [
        {
          id: 'long',
          basis: 'many chunks',
          cadence: 'refresh',
          run: async ({ job }) => {
            for (let i = 0; i < 10_000; i++) {
              chunks++;
              await job.checkpoint();
            }
            return { long: 1 };
          },
        },
      ],
    }));
    const h = (current = harness({ models: [spec], timing: { metricsInterval: 0, viewsInterval: 10, checkpointInterval: 1e9 } }));
    await h.send({ type: 'reset', runId: 1, config: config('fake-long-eval') });
    await waitFor(() => chunks > 5, 'the first evaluation under way');
    await h.send({ type: 'start', runId: 1 }); // cancels the refresh after the reset
    await waitFor(() => h.trainSteps(1).length > 0 && chunks > 20, 'an evaluation inside the loop');
    const started = performance.now();
    await h.send({ type: 'pause', runId: 1 });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(h.lastStatus(1)?.state).toBe('paused');
    expect(h.evaluations(1).filter((point) => point.id === 'long')).toEqual([]);
    expect(h.messages.map(tag)).not.toContain('status:error');
  });
});

describe('the handler when things go wrong', () => {
  it('answers the heartbeat at once with the run it holds, even while a step is queued', async () => {
    const h = (current = harness({ models: [fakeSpec('fake-plain', () => ({}))] }));
    await h.send({ type: 'ping', id: 1 });
    expect(h.messages.at(-1)).toEqual({ type: 'pong', id: 1, runId: -1, state: 'loading' });
    await h.send({ type: 'reset', runId: 4, config: config('fake-plain') });
    await h.send({ type: 'ping', id: 2 });
    expect(h.messages.filter((m) => m.type === 'pong').at(-1)).toEqual({ type: 'pong', id: 2, runId: 4, state: 'paused' });
    // a reset for a run the page never asked for: the pong says what the worker now holds
    await h.send({ type: 'reset', runId: 999, config: config('no-such-model') });
    await h.send({ type: 'ping', id: 3 });
    expect(h.messages.filter((m) => m.type === 'pong').at(-1)).toEqual({ type: 'pong', id: 3, runId: 999, state: 'error' });
  });

  it('a burst of 50 resets builds the last run only', async () => {
    let built = 0;
    const h = (current = harness({ models: [fakeSpec('fake-count-builds', () => (built++, {}))] }));
    const sent = Array.from({ length: 50 }, (_, i) => h.send({ type: 'reset', runId: i + 1, config: config('fake-count-builds') }));
    await Promise.all(sent);
    expect(built).toBeLessThanOrEqual(2); // the first may have started before the others arrived
    expect(h.lastStatus(50)).toMatchObject({ state: 'paused' });
    expect(h.messages.filter((m) => m.type === 'status' && m.state === 'paused').map((m) => m.runId).at(-1)).toBe(50);
  });

  it('a run that would not fit in memory is refused before it starts, naming what to lower', async () => {
    const spec = fakeSpec('fake-huge', () => ({ memoryEstimate: (batch: number) => batch * 2 ** 30 }), {
      name: 'Huge model',
      memoryHints: ['width'],
      params: [{ kind: 'int', key: 'width', label: 'Hidden width', help: '', default: 8, min: 1, max: 9 }],
    });
    const h = (current = harness({ models: [spec] }));
    await h.send({ type: 'reset', runId: 1, config: config('fake-huge') });
    const message = 'This huge model would need about 4.0 GB of memory for a training step, and a browser tab can count on about 1.0 GB. Lower the batch size or the hidden width.';
    expect(h.of(1).filter((m) => m.type === 'error')).toEqual([{ type: 'error', runId: 1, message }]);
    expect(h.lastStatus(1)).toMatchObject({ state: 'error', message });
  });

  it('recognises the ways WebAssembly reports running out of memory', () => {
    for (const text of ['Aborted(). Build with -sASSERTIONS for more info.', 'RangeError: Invalid typed array length: 67108864', 'memory access out of bounds', 'WebAssembly.Memory.grow(): Maximum memory size exceeded']) {
      expect(isMemoryFailure(new Error(text)), text).toBe(true);
    }
    expect(isMemoryFailure(new Error('the fake step failed'))).toBe(false);
  });

  it('running out of WebAssembly memory is fatal: the page is told to replace the worker', async () => {
    const spec = fakeSpec('fake-oom', () => ({
      step: () => {
        throw new Error('Aborted(). Build with -sASSERTIONS for more info.');
      },
    }));
    const h = (current = harness({ models: [spec] }));
    await h.send({ type: 'reset', runId: 1, config: config('fake-oom') });
    await h.send({ type: 'start', runId: 1 });
    await waitFor(() => h.of(1).some((m) => m.type === 'fatal'), 'the fatal report');
    expect(h.of(1).filter((m) => m.type === 'fatal')).toEqual([
      { type: 'fatal', runId: 1, reason: 'out-of-memory', message: 'The run ran out of memory (Aborted(). Build with -sASSERTIONS for more info.).' },
    ]);
    expect(h.of(1).filter((m) => m.type === 'error')).toEqual([]);
  });
});
