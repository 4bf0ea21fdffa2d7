import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { loadNodeDataset } from '../../src/cli/node-datasets';
import { defaultConfig, type RunConfig } from '../../src/core/config';
import type { ImageGridPanel } from '../../src/core/views/panels';
import type { FromWorker } from '../../src/worker/protocol';
import { SLOW_STEPS_PER_SECOND } from '../../src/worker/handler';
import { CPU, harness, sleep, tag, waitFor, type Harness, type Metrics, type Views } from './handler-harness';

function tinyConfig(dataset = 'mnist', model = 'ae', values: Record<string, unknown> = {}): RunConfig {
  const config = defaultConfig(model, dataset === 'no-such-dataset' || dataset === 'cifar10' ? undefined : dataset);
  config.dataset = dataset;
  config.backend = 'cpu';
  Object.assign(config.values, { hidden: [16], batch: 8, bottleneck: 2 }, values);
  return config;
}

let current: Harness | undefined;

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
  it('reset: each stage named as it starts (backend, data, model), paused; then, beside the queue, held-out figures at step 0 and views', async () => {
    const h = (current = harness());
    await h.send({ type: 'reset', runId: 1, config: tinyConfig() });
    expect(h.messages.slice(0, 5)).toEqual([
      { type: 'status', runId: 1, state: 'loading', step: 0, message: 'Starting the compute backend…' },
      { type: 'backend', runId: 1, backend: CPU },
      { type: 'status', runId: 1, state: 'loading', step: 0, message: 'Loading MNIST digits…' },
      { type: 'status', runId: 1, state: 'loading', step: 0, message: 'Building the model…' },
      { type: 'status', runId: 1, state: 'paused', step: 0 },
    ]);
    await waitFor(() => h.views(1).length > 0, 'views');
    expect(h.messages.map(tag)).toEqual(['status:loading', 'backend', 'status:loading', 'status:loading', 'status:paused', 'metrics', 'views']);
    expect(h.messages.every((message) => 'runId' in message && message.runId === 1)).toBe(true);
    const metrics = h.messages[5] as Metrics;
    expect(metrics.train).toEqual([]);
    expect(metrics.evaluations).toHaveLength(1);
    const [evaluation] = metrics.evaluations!;
    expect([evaluation.id, evaluation.step, evaluation.basis]).toEqual(['held-out', 0, '1,000 test images']);
    expect(evaluation.values.loss).toBeGreaterThan(0);
    expect(evaluation.ms).toBeGreaterThanOrEqual(0);
    expect(metrics.throughput).toEqual({ stepsPerSecond: 0, imagesPerSecond: 0 });
    const views = h.messages[6] as Views;
    expect(views.step).toBe(0);
    expect(views.panels.map((panel) => panel.id)).toEqual(['reconstructions', 'samples', 'latent-scatter', 'interpolation', 'traversal', 'sliders']);
    expect(h.backendCalls).toEqual(['cpu']);

    // a second reset with the same backend choice does not restart the backend
    await h.send({ type: 'reset', runId: 2, config: tinyConfig() });
    await waitFor(() => h.views(2).length > 0, 'views of run 2');
    expect(h.of(2).map(tag)).toEqual(['status:loading', 'status:loading', 'status:loading', 'status:paused', 'metrics', 'views']);
    expect(h.backendCalls).toEqual(['cpu']);
  });

  it('start runs steps 1, 2, 3, ... with metrics; pause stops them and brings figures and views to the last step', async () => {
    const h = (current = harness());
    await h.send({ type: 'reset', runId: 1, config: tinyConfig() });
    const afterReset = h.messages.length;
    await h.send({ type: 'start', runId: 1 });
    expect(h.messages.slice(afterReset).map(tag)).toContain('status:running');

    await waitFor(() => h.trainSteps(1).length >= 20 && h.views(1).length >= 2, '20 training steps and a refresh');
    await h.send({ type: 'start', runId: 1 }); // already running: ignored
    await h.send({ type: 'pause', runId: 1 });
    const steps = h.trainSteps(1);
    // every step reported once, in order
    expect(steps).toEqual(Array.from({ length: steps.length }, (_, index) => index + 1));
    expect(steps.length).toBeGreaterThanOrEqual(20);
    for (const point of h.trainPoints(1)) expect(point.values.loss).toBeGreaterThan(0);
    expect(h.messages.filter((m) => tag(m) === 'status:running')).toHaveLength(1);
    // the views interval (50 ms) passed during the run: views and held-out figures arrived
    expect(h.views(1).length).toBeGreaterThan(1);
    const last = h.metrics(1).filter((m) => m.train.length > 0).at(-1)!;
    expect(last.throughput.stepsPerSecond).toBeGreaterThan(0);
    expect(last.throughput.imagesPerSecond).toBeCloseTo(last.throughput.stepsPerSecond * 8, 6);

    // pausing: 'paused' at the last step at once, then held-out figures and views for that step
    expect(h.lastStatus(1)).toEqual({ type: 'status', runId: 1, state: 'paused', step: steps.length });
    await waitFor(() => h.views(1).at(-1)!.step === steps.length && h.evaluations(1).at(-1)!.step === steps.length, 'figures and views of the last step');
    const settled = h.messages.length;
    await sleep(150);
    expect(h.messages.length).toBe(settled);
  });

  it('step: exactly one more step, its metrics and a paused status, then figures and views of that step', async () => {
    const h = (current = harness());
    await h.send({ type: 'reset', runId: 1, config: tinyConfig() });
    await h.send({ type: 'start', runId: 1 });
    await waitFor(() => h.trainSteps(1).length >= 3, 'a few steps');
    await h.send({ type: 'pause', runId: 1 });
    const stepsBefore = h.lastStatus(1)!.step;
    await waitFor(() => h.views(1).at(-1)?.step === stepsBefore, 'views after the pause');
    const from = h.messages.length;

    await h.send({ type: 'step', runId: 1 });
    await waitFor(() => h.views(1).at(-1)?.step === stepsBefore + 1, 'views of the step');
    const stepped = h.messages.slice(from);
    expect(stepped.map(tag)).toEqual(['metrics', 'status:paused', 'checkpoint', 'metrics', 'views']);
    expect((stepped[0] as Metrics).train.map((point) => point.step)).toEqual([stepsBefore + 1]);
    expect(stepped[1]).toEqual({ type: 'status', runId: 1, state: 'paused', step: stepsBefore + 1 });
    expect((stepped[2] as Extract<FromWorker, { type: 'checkpoint' }>).checkpoint.step).toBe(stepsBefore + 1);
    expect((stepped[3] as Metrics).evaluations?.[0].step).toBe(stepsBefore + 1);

    await h.send({ type: 'step', runId: 1 });
    expect(h.lastStatus(1)!.step).toBe(stepsBefore + 2);
    // an autoencoder's step has no parts: a phase is refused by name
    await h.send({ type: 'step', runId: 1, phase: 'generator' });
    expect(h.messages.at(-1)).toEqual({ type: 'error', runId: 1, message: 'Autoencoder has no phase "generator"' });
  });

  it('decode-latent: a job that answers a scatter point and a slider setting with one decoded image', async () => {
    const h = (current = harness());
    await h.send({ type: 'reset', runId: 1, config: tinyConfig() });
    await waitFor(() => h.views(1).length > 0, 'views');
    // one at a time, as the page sends them: a newer decode cancels an older one still running
    await h.send({ type: 'action', runId: 1, jobId: 'a', name: 'decode-latent', payload: { kind: 'point', point: [0.5, -1] } });
    await waitFor(() => h.jobs(1, 'a').some((m) => m.state === 'done'), 'job a');
    await h.send({ type: 'action', runId: 1, jobId: 'b', name: 'decode-latent', payload: { kind: 'sliders', values: [0, 0] } });
    await waitFor(() => h.jobs(1, 'b').some((m) => m.state === 'done'), 'job b');
    // The sliders at their starting values decode the image's own code: its reconstruction,
    // even though the views' arrays were transferred away from the worker.
    const sliders = h.views(1)[0].panels.find((panel) => panel.kind === 'sliders');
    if (sliders?.kind !== 'sliders') throw new Error('no sliders panel');
    await h.send({ type: 'action', runId: 1, jobId: 'c', name: 'decode-latent', payload: { kind: 'sliders', values: Array.from(sliders.values) } });
    await waitFor(() => h.jobs(1, 'c').some((m) => m.state === 'done'), 'job c');
    // a query for a replaced run is answered with an error and no image; a malformed one too
    await h.send({ type: 'action', runId: 0, jobId: 'd', name: 'decode-latent', payload: { kind: 'point', point: [0, 0] } });
    await h.send({ type: 'action', runId: 1, jobId: 'e', name: 'decode-latent', payload: { kind: 'point', point: ['<b>', 1] } });
    await waitFor(() => h.jobs(1, 'e').some((m) => m.state === 'error'), 'job e');
    expect(h.jobs(1, 'e').at(-1)?.message).toBe('decode-latent needs a point of the scatter or a setting of the sliders');
    expect(h.jobs(0)).toEqual([{ type: 'job', runId: 0, jobId: 'd', name: 'decode-latent', state: 'error', message: 'That run has ended.' }]);

    const decoded = (id: string) => h.jobs(1, id).find((m) => m.panel)!.panel as ImageGridPanel;
    expect(h.jobs(1, 'a').map(tag)).toEqual(['job:running', 'job:done']);
    expect(['a', 'b', 'c'].map((id) => [decoded(id).count, decoded(id).id])).toEqual([
      [1, 'decoded-point'],
      [1, 'decoded-sliders'],
      [1, 'decoded-sliders'],
    ]);
    expect(Array.from(decoded('c').pixels)).toEqual(Array.from(sliders.images.pixels.subarray(784)));
    // the decoder's images of the codes (0.5, -1) and (0, 0): different images
    expect(decoded('a').pixels).not.toEqual(decoded('b').pixels);
  });

  it('sample: new images as a job while training goes on, other ones at every request; refused by a model that does not generate', async () => {
    const h = (current = harness());
    await h.send({ type: 'reset', runId: 1, config: tinyConfig() });
    await h.send({ type: 'start', runId: 1 });
    await h.send({ type: 'action', runId: 1, jobId: 's', name: 'sample', payload: { count: 40 } });
    await waitFor(() => h.jobs(1, 's').some((m) => m.state === 'done'), 'the samples');
    await h.send({ type: 'action', runId: 1, jobId: 't', name: 'sample', payload: { count: 40 } });
    await waitFor(() => h.jobs(1, 't').some((m) => m.state === 'done'), 'more samples');
    await h.send({ type: 'pause', runId: 1 });
    expect(h.jobs(1, 's').map(tag)).toEqual(['job:running', 'job:done']);
    const [first, second] = ['s', 't'].map((id) => h.jobs(1, id)[0]);
    expect(first.progress).toBe(1);
    const grid = first.panel as ImageGridPanel;
    expect([grid.count, grid.height, grid.width, grid.channels, grid.columns]).toEqual([40, 28, 28, 1, 8]);
    expect(new Set(grid.pixels).size).toBeGreaterThan(10);
    expect((second.panel as ImageGridPanel).pixels).not.toEqual(grid.pixels);
    // a model that does not generate says so at once
    await h.send({ type: 'reset', runId: 2, config: tinyConfig('mnist', 'dae', { hidden: [16] }) });
    await h.send({ type: 'action', runId: 2, jobId: 'u', name: 'sample', payload: { count: 8 } });
    expect(h.jobs(2, 'u')).toEqual([{ type: 'job', runId: 2, jobId: 'u', name: 'sample', state: 'error', message: 'Denoising autoencoder does not generate samples' }]);
    // and an action for a run that has ended is answered, so the page never waits for it
    await h.send({ type: 'action', runId: 1, jobId: 'v', name: 'sample', payload: { count: 8 } });
    expect(h.jobs(1, 'v')).toEqual([{ type: 'job', runId: 1, jobId: 'v', name: 'sample', state: 'error', message: 'That run has ended.' }]);
  });

  it('slow motion: the views of every step, no faster than SLOW_STEPS_PER_SECOND; full speed again when it is switched off', async () => {
    const h = (current = harness({ timing: { viewsInterval: 1e9 } }));
    await h.send({ type: 'reset', runId: 1, config: tinyConfig('ring') });
    await h.send({ type: 'pace', slowMotion: true });
    const started = performance.now();
    await h.send({ type: 'start', runId: 1 });
    await waitFor(() => h.trainSteps(1).length >= 3, 'three slow steps');
    const elapsed = performance.now() - started;
    // three steps take at least two waits of a quarter second (the first step starts at once)
    expect(elapsed).toBeGreaterThanOrEqual((2 * 1000) / SLOW_STEPS_PER_SECOND - 20);
    await waitFor(() => h.views(1).some((m) => m.step === 3), 'the views of step 3');
    // with views due only every 1e9 ms at full speed, these came from slow motion: one for each step
    expect(h.views(1).map((m) => m.step).filter((step) => step > 0).slice(0, 3)).toEqual([1, 2, 3]);
    await h.send({ type: 'pace', slowMotion: false });
    const atSwitch = h.trainSteps(1).length;
    await waitFor(() => h.trainSteps(1).length >= atSwitch + 50, 'fifty fast steps', 5000);
    await h.send({ type: 'pause', runId: 1 });
  });

  it('ignores start, step and refresh-views for a run id that a reset has replaced', async () => {
    const h = (current = harness());
    await h.send({ type: 'reset', runId: 1, config: tinyConfig() });
    await h.send({ type: 'reset', runId: 2, config: tinyConfig() });
    await waitFor(() => h.views(2).length > 0, 'views of run 2');
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

    // the current run still answers: views only, no new figures
    await h.send({ type: 'refresh-views', runId: 2 });
    await waitFor(() => h.messages.length > afterReset, 'views');
    await sleep(50);
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
    await waitFor(() => h.views(4).length > 0, 'views of run 4');
    expect(h.of(4).map(tag)).toEqual(['status:loading', 'status:loading', 'status:loading', 'status:paused', 'metrics', 'views']);

    const count = h.messages.length;
    await sleep(150);
    expect(h.messages.length).toBe(count); // run 4 waits, paused; run 3 is gone
    expect(h.messages.slice(firstOfRun4).filter((m) => 'runId' in m && m.runId === 3)).toEqual([]);
    expect(h.views(4).at(-1)!.step).toBe(0);
  });

  it('an unknown dataset or model in reset gives an error message and status "error" for that run', async () => {
    const h = (current = harness());
    await h.send({ type: 'reset', runId: 7, config: tinyConfig('cifar10') });
    expect(h.messages.map(tag)).toEqual(['status:loading', 'backend', 'error', 'status:error']);
    expect(h.messages[2]).toEqual({ type: 'error', runId: 7, message: 'Unknown dataset "cifar10"' });
    expect(h.messages[3]).toEqual({ type: 'status', runId: 7, state: 'error', step: 0, message: 'Unknown dataset "cifar10"' });
    await h.send({ type: 'reset', runId: 8, config: { ...tinyConfig(), model: 'vea' } });
    expect(h.of(8).map(tag)).toEqual(['status:loading', 'status:loading', 'error', 'status:error']);
    expect(h.of(8)[2]).toEqual({ type: 'error', runId: 8, message: 'Unknown model "vea"' });

    // there is no run to start
    await h.send({ type: 'start', runId: 7 });
    await sleep(50);
    expect(h.messages).toHaveLength(8);
  });

  it('a lost device rebuilds the current run on another backend from its last checkpoint, with a notice', async () => {
    const h = (current = harness());
    await h.send({ type: 'reset', runId: 5, config: tinyConfig() });
    await h.send({ type: 'step', runId: 5 });
    await waitFor(() => h.views(5).at(-1)?.step === 1, 'views of step 1');
    const from = h.messages.length;
    await h.send({ type: 'device-lost', reason: 'test' });
    await waitFor(() => h.messages.slice(from).some((m) => m.type === 'views'), 'views of the new run');
    const restarted = h.messages.slice(from);
    expect(restarted.map(tag)).toEqual(['status:loading', 'backend', 'status:loading', 'status:loading', 'status:paused', 'metrics', 'views']);
    expect(restarted[4]).toEqual({
      type: 'status',
      runId: 5,
      state: 'paused',
      step: 1,
      message: 'The GPU device was lost (test); switched backend and went on from the checkpoint at step 1.',
    });
    expect(h.backendCalls).toEqual(['cpu', 'cpu']);
    await h.send({ type: 'configure', dataUrl: '/data' }); // handled by the worker entry, not here
    expect(h.messages.length).toBe(from + 7);
  });

  it('frees every tensor of a run once it is replaced, jobs and refreshes included', async () => {
    const h = (current = harness());
    await h.send({ type: 'reset', runId: 1, config: tinyConfig('no-such-dataset') });
    const baseline = tf.memory().numTensors;
    await h.send({ type: 'reset', runId: 2, config: tinyConfig() });
    await h.send({ type: 'start', runId: 2 });
    await waitFor(() => h.trainSteps(2).length >= 10, 'run 2 training');
    await h.send({ type: 'action', runId: 2, jobId: 'x', name: 'decode-latent', payload: { kind: 'point', point: [0, 0] } });
    await h.send({ type: 'reset', runId: 3, config: tinyConfig('no-such-dataset') });
    expect(tf.memory().numTensors).toBe(baseline);
  });
});

describe('live settings through the worker (set-params)', () => {
  it("a VAE's beta changes the objective of the running model: at 0 the held-out loss is the reconstruction alone", async () => {
    const h = (current = harness());
    await h.send({ type: 'reset', runId: 1, config: tinyConfig('mnist', 'vae', { hidden: [32], batch: 16 }) });
    await waitFor(() => h.views(1).length > 0, 'first refresh');
    const first = h.evaluations(1).find((point) => point.id === 'held-out')!.values;
    expect(first.loss).toBeCloseTo(first.recon + first.kl, 2);
    const from = h.evaluations(1).length;
    await h.send({ type: 'set-params', runId: 1, values: { beta: 0 } });
    await waitFor(() => h.evaluations(1).slice(from).some((point) => point.id === 'held-out'), 'figures after the change');
    const after = h.evaluations(1).slice(from).find((point) => point.id === 'held-out')!.values;
    expect(after.loss).toBeCloseTo(after.recon, 3);
    expect(after.kl).toBeGreaterThan(0.01);
    expect(h.lastStatus(1)?.step).toBe(0); // no restart
  });

  it('the learning rate is live: at 0 the weights stop moving, and the held-out loss with them', async () => {
    const h = (current = harness());
    await h.send({ type: 'reset', runId: 1, config: tinyConfig('mnist', 'ae', { lr: 0.01 }) });
    await waitFor(() => h.views(1).length > 0, 'figures at step 0');
    await h.send({ type: 'step', runId: 1 });
    await h.send({ type: 'step', runId: 1 });
    await waitFor(() => h.views(1).at(-1)?.step === 2, 'step 2 settled');
    const heldOut = (step: number) => h.evaluations(1).find((point) => point.step === step && point.id === 'held-out')?.values.loss;
    // at 0.01 two steps moved the weights
    expect(heldOut(0)).toBeGreaterThan(0);
    expect(heldOut(2)).not.toBe(heldOut(0));
    await h.send({ type: 'set-params', runId: 1, values: { lr: 0 } });
    for (let step = 0; step < 3; step++) await h.send({ type: 'step', runId: 1 });
    await waitFor(() => heldOut(5) !== undefined, 'figures at step 5');
    expect(heldOut(5)).toBe(heldOut(2));
  });
});
