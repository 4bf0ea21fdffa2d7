import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig, type RunConfig } from '../../src/core/config';
import type { MetricPoint } from '../../src/core/training/session';
import { createTrainingHandler } from '../../src/worker/handler';
import type { BackendInfo, FromWorker, ToWorker } from '../../src/worker/protocol';
import { loadNodeDataset } from '../../src/cli/node-datasets';
import { useNodeBackend } from '../../src/cli/node-backend';

const CPU: BackendInfo = { name: 'cpu', adapter: '', isFallbackAdapter: false, skipped: [] };

function tinyConfig(dataset = 'mnist'): RunConfig {
  const config = defaultConfig('ae');
  config.dataset = dataset;
  config.backend = 'cpu';
  Object.assign(config.values, { hidden: [16], batch: 8, bottleneck: 2 });
  return config;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** 'status:paused', 'metrics', ... : a message's type (and state, for a status). */
function tag(message: FromWorker): string {
  return message.type === 'status' ? `status:${message.state}` : message.type;
}

type Metrics = Extract<FromWorker, { type: 'metrics' }>;
type Views = Extract<FromWorker, { type: 'views' }>;
type Status = Extract<FromWorker, { type: 'status' }>;

/** A handler wired to fakes, recording every message it posts. */
function harness() {
  const messages: FromWorker[] = [];
  const backendCalls: string[] = [];
  const handler = createTrainingHandler(
    {
      // As postMessage does: a copy, with every transferred buffer emptied on the sending side.
      post: (message, transfer) => messages.push(structuredClone(message, { transfer })),
      selectBackend: async (choice) => {
        backendCalls.push(choice);
        await useNodeBackend('cpu');
        return CPU;
      },
      loadDataset: async (id) => loadNodeDataset(id),
      now: () => performance.now(),
      yieldToEvents: () => new Promise((resolve) => setTimeout(resolve, 0)),
    },
    { metricsInterval: 0, viewsInterval: 50 },
  );
  const send = (message: ToWorker) => handler(message);
  const of = (runId: number) => messages.filter((message) => 'runId' in message && message.runId === runId);
  const metrics = (runId: number) => of(runId).filter((m): m is Metrics => m.type === 'metrics');
  const trainSteps = (runId: number) => metrics(runId).flatMap((m) => m.train.map((point: MetricPoint) => point.step));
  return { messages, backendCalls, send, of, metrics, trainSteps };
}

let current: ReturnType<typeof harness> | undefined;

beforeAll(async () => {
  await useNodeBackend('cpu');
  loadNodeDataset('mnist'); // read the files once, outside any test's timing
});

afterEach(async () => {
  // never leave a loop running: a reset to a dataset that does not exist disposes the last run
  if (current) await current.send({ type: 'reset', runId: 999, config: tinyConfig('no-such-dataset') });
  current = undefined;
});

describe('training handler', () => {
  it('reset: backend, loading, paused, first metrics with a test point, and views', async () => {
    const h = (current = harness());
    await h.send({ type: 'reset', runId: 1, config: tinyConfig() });
    expect(h.messages.map(tag)).toEqual(['status:loading', 'backend', 'status:paused', 'metrics', 'views']);
    expect(h.messages.every((message) => 'runId' in message && message.runId === 1)).toBe(true);
    expect(h.messages[0]).toEqual({ type: 'status', runId: 1, state: 'loading', step: 0, message: 'Starting the compute backend…' });
    expect(h.messages[1]).toEqual({ type: 'backend', runId: 1, backend: CPU });
    expect(h.messages[2]).toEqual({ type: 'status', runId: 1, state: 'paused', step: 0 });
    const metrics = h.messages[3] as Metrics;
    expect(metrics.train).toEqual([]);
    expect(metrics.test?.step).toBe(0);
    expect(metrics.test?.values.loss).toBeGreaterThan(0);
    expect(metrics.throughput).toEqual({ stepsPerSecond: 0, imagesPerSecond: 0 });
    const views = h.messages[4] as Views;
    expect(views.step).toBe(0);
    expect(views.panels.map((panel) => panel.id)).toEqual(['reconstructions', 'samples', 'latent-scatter', 'interpolation', 'traversal', 'sliders']);
    expect(h.backendCalls).toEqual(['cpu']);

    // a second reset with the same backend choice does not restart the backend
    await h.send({ type: 'reset', runId: 2, config: tinyConfig() });
    expect(h.of(2).map(tag)).toEqual(['status:loading', 'status:paused', 'metrics', 'views']);
    expect(h.backendCalls).toEqual(['cpu']);
  });

  it('start runs steps 1, 2, 3, ... with metrics; pause stops them', async () => {
    const h = (current = harness());
    await h.send({ type: 'reset', runId: 1, config: tinyConfig() });
    const afterReset = h.messages.length;
    await h.send({ type: 'start', runId: 1 });
    expect(h.messages[afterReset]).toEqual({ type: 'status', runId: 1, state: 'running', step: 0 });

    await waitFor(() => h.trainSteps(1).length >= 20, '20 training steps');
    await h.send({ type: 'start', runId: 1 }); // already running: ignored
    await h.send({ type: 'pause', runId: 1 });
    const settled = h.messages.length;
    const steps = h.trainSteps(1);
    // every step reported once, in order
    expect(steps).toEqual(Array.from({ length: steps.length }, (_, index) => index + 1));
    expect(steps.length).toBeGreaterThanOrEqual(20);
    for (const point of h.metrics(1).flatMap((m) => m.train)) expect(point.values.loss).toBeGreaterThan(0);
    expect(h.messages.filter((m) => tag(m) === 'status:running')).toHaveLength(1);
    // the views interval (50 ms) passed during the run: views and test points arrived
    expect(h.of(1).filter((m) => m.type === 'views').length).toBeGreaterThan(1);
    const last = h.metrics(1).at(-1)!;
    expect(last.throughput.stepsPerSecond).toBeGreaterThan(0);
    expect(last.throughput.imagesPerSecond).toBeCloseTo(last.throughput.stepsPerSecond * 8, 6);

    // pausing: fresh metrics with a test point and views for the last step, then 'paused'
    expect(h.messages.at(-1)).toEqual({ type: 'status', runId: 1, state: 'paused', step: steps.length });
    expect(last.test?.step).toBe(steps.length);
    expect((h.of(1).filter((m) => m.type === 'views').at(-1) as Views).step).toBe(steps.length);

    await sleep(150);
    expect(h.messages.length).toBe(settled);
  });

  it('step: exactly one more step, with metrics, views and a paused status', async () => {
    const h = (current = harness());
    await h.send({ type: 'reset', runId: 1, config: tinyConfig() });
    await h.send({ type: 'start', runId: 1 });
    await waitFor(() => h.trainSteps(1).length >= 3, 'a few steps');
    await h.send({ type: 'pause', runId: 1 });
    const stepsBefore = (h.messages.at(-1) as Status).step;
    const from = h.messages.length;

    await h.send({ type: 'step', runId: 1 });
    const stepped = h.messages.slice(from);
    expect(stepped.map(tag)).toEqual(['metrics', 'views', 'status:paused']);
    const metrics = stepped[0] as Metrics;
    expect(metrics.train.map((point) => point.step)).toEqual([stepsBefore + 1]);
    expect(metrics.test?.step).toBe(stepsBefore + 1);
    expect((stepped[1] as Views).step).toBe(stepsBefore + 1);
    expect(stepped[2]).toEqual({ type: 'status', runId: 1, state: 'paused', step: stepsBefore + 1 });

    await h.send({ type: 'step', runId: 1 });
    expect((h.messages.at(-1) as Status).step).toBe(stepsBefore + 2);
    await sleep(100);
    expect(h.messages.length).toBe(from + 6);
  });

  it('decode: answers a scatter point and a slider setting with one decoded image, echoing the query', async () => {
    const h = (current = harness());
    await h.send({ type: 'reset', runId: 1, config: tinyConfig() });
    await waitFor(() => h.of(1).some((m) => m.type === 'views'), 'views');
    await h.send({ type: 'decode', runId: 1, query: { kind: 'point', point: [0.5, -1] } });
    await h.send({ type: 'decode', runId: 1, query: { kind: 'sliders', values: [0, 0] } });
    // The sliders at their starting values decode the image's own code: its reconstruction,
    // even though the views' arrays were transferred away from the worker.
    const views = h.of(1).find((m): m is Views => m.type === 'views')!;
    const sliders = views.panels.find((panel) => panel.kind === 'sliders')!;
    if (sliders.kind !== 'sliders') throw new Error('no sliders panel');
    await h.send({ type: 'decode', runId: 1, query: { kind: 'sliders', values: Array.from(sliders.values) } });
    // a query for a replaced run gets no answer
    await h.send({ type: 'decode', runId: 0, query: { kind: 'point', point: [0, 0] } });
    const decoded = h.messages.filter((m): m is Extract<FromWorker, { type: 'decoded' }> => m.type === 'decoded');
    expect(decoded.map((m) => [m.runId, m.query, m.panel.count, m.panel.id])).toEqual([
      [1, { kind: 'point', point: [0.5, -1] }, 1, 'decoded-point'],
      [1, { kind: 'sliders', values: [0, 0] }, 1, 'decoded-sliders'],
      [1, { kind: 'sliders', values: Array.from(sliders.values) }, 1, 'decoded-sliders'],
    ]);
    expect(Array.from(decoded[2].panel.pixels)).toEqual(Array.from(sliders.images.pixels.subarray(784)));
    // both are the decoder's image of the code (0, 0) and (0.5, -1): different images
    expect(decoded[0].panel.pixels).not.toEqual(decoded[1].panel.pixels);
  });

  it('ignores start, step and refresh-views for a run id that a reset has replaced', async () => {
    const h = (current = harness());
    await h.send({ type: 'reset', runId: 1, config: tinyConfig() });
    await h.send({ type: 'reset', runId: 2, config: tinyConfig() });
    const firstOfRun2 = h.messages.findIndex((m) => 'runId' in m && m.runId === 2);
    const afterReset = h.messages.length;

    await h.send({ type: 'start', runId: 1 });
    await h.send({ type: 'step', runId: 1 });
    await h.send({ type: 'refresh-views', runId: 1 });
    await h.send({ type: 'pause', runId: 1 });
    await sleep(150);

    expect(h.messages.slice(firstOfRun2).filter((m) => 'runId' in m && m.runId === 1)).toEqual([]);
    expect(h.messages.length).toBe(afterReset); // nothing started or stepped
    expect(h.trainSteps(2)).toEqual([]);

    // the current run still answers
    await h.send({ type: 'refresh-views', runId: 2 });
    expect(h.messages.slice(afterReset).map(tag)).toEqual(['views']);
  });

  it('a reset while running stops the old loop: nothing for the old run after the new status', async () => {
    const h = (current = harness());
    await h.send({ type: 'reset', runId: 3, config: tinyConfig() });
    await h.send({ type: 'start', runId: 3 });
    await waitFor(() => h.trainSteps(3).length >= 5, 'run 3 training');

    await h.send({ type: 'reset', runId: 4, config: tinyConfig() });
    const firstOfRun4 = h.messages.findIndex((m) => 'runId' in m && m.runId === 4);
    expect(h.messages[firstOfRun4]).toMatchObject({ type: 'status', runId: 4, state: 'loading' });
    expect(h.of(4).map(tag)).toEqual(['status:loading', 'status:paused', 'metrics', 'views']);

    const count = h.messages.length;
    await sleep(150);
    expect(h.messages.length).toBe(count); // run 4 waits, paused; run 3 is gone
    expect(h.messages.slice(firstOfRun4).filter((m) => 'runId' in m && m.runId === 3)).toEqual([]);
    expect((h.of(4).at(-1) as Views).step).toBe(0);
  });

  it('an unknown dataset in reset gives an error message and status "error" for that run', async () => {
    const h = (current = harness());
    await h.send({ type: 'reset', runId: 7, config: tinyConfig('cifar10') });
    expect(h.messages.map(tag)).toEqual(['status:loading', 'backend', 'error', 'status:error']);
    expect(h.messages[2]).toEqual({ type: 'error', runId: 7, message: 'Unknown dataset "cifar10"' });
    expect(h.messages[3]).toEqual({ type: 'status', runId: 7, state: 'error', step: 0, message: 'Unknown dataset "cifar10"' });

    // there is no run to start
    await h.send({ type: 'start', runId: 7 });
    await sleep(50);
    expect(h.messages).toHaveLength(4);
  });

  it('a lost device restarts the current run from scratch with a notice', async () => {
    const h = (current = harness());
    await h.send({ type: 'reset', runId: 5, config: tinyConfig() });
    await h.send({ type: 'step', runId: 5 });
    const from = h.messages.length;
    await h.send({ type: 'device-lost', reason: 'test' });
    const restarted = h.messages.slice(from);
    expect(restarted.map(tag)).toEqual(['status:loading', 'backend', 'status:paused', 'metrics', 'views']);
    expect(restarted[2]).toEqual({
      type: 'status',
      runId: 5,
      state: 'paused',
      step: 0,
      message: 'The GPU device was lost (test); switched backend and restarted the run.',
    });
    expect(h.backendCalls).toEqual(['cpu', 'cpu']);
    await h.send({ type: 'configure', dataUrl: '/data' }); // handled by the worker entry, not here
    expect(h.messages.length).toBe(from + 5);
  });

  it('frees every tensor of a run once it is replaced', async () => {
    const h = (current = harness());
    await h.send({ type: 'reset', runId: 1, config: tinyConfig('no-such-dataset') });
    const baseline = tf.memory().numTensors;
    await h.send({ type: 'reset', runId: 2, config: tinyConfig() });
    await h.send({ type: 'start', runId: 2 });
    await waitFor(() => h.trainSteps(2).length >= 10, 'run 2 training');
    await h.send({ type: 'reset', runId: 3, config: tinyConfig('no-such-dataset') });
    expect(tf.memory().numTensors).toBe(baseline);
  });
});
