import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig, type RunConfig } from '../../src/core/config';
import { reconstructionLoss } from '../../src/core/models/autoencoders/autoencoder';
import type { ImageGridPanel, ScatterPanel, ViewPanel } from '../../src/core/views/panels';
import { loadNodeDataset, readDatasetFile } from '../../src/cli/node-datasets';
import { findDataset, type ImageDataSpec } from '../../src/core/datasets/catalog';
import { ImageDataset } from '../../src/core/datasets/image-dataset';
import { TrainingSession } from '../../src/core/training/session';
import { useNodeBackend } from '../../src/cli/node-backend';
import { createRandom } from '../../src/core/random';
import { fixedBatchOf, heldOut, sessionFor, stepOn, train } from './helpers';

const PIXELS = 784;

/** MNIST with a test split of its first n test images. */
function firstTestImages(n: number): ImageDataset {
  const spec = findDataset('mnist') as ImageDataSpec;
  const split = (name: 'train' | 'test') => ({ images: readDatasetFile('mnist', name, 'images'), labels: readDatasetFile('mnist', name, 'labels') });
  const test = split('test');
  return new ImageDataset({ ...spec, counts: { ...spec.counts, test: n } }, { train: split('train'), test: { images: test.images.subarray(0, n * PIXELS), labels: test.labels.subarray(0, n) } });
}

function tinyConfig(values: Record<string, number | string | number[]> = {}): RunConfig {
  const config = defaultConfig('ae');
  Object.assign(config.values, { hidden: [16], batch: 16, bottleneck: 2 }, values);
  return config;
}

async function scalar(tensor: tf.Scalar): Promise<number> {
  const [value] = await tensor.data();
  tensor.dispose();
  return value;
}

function panel<K extends ViewPanel['kind']>(panels: ViewPanel[], id: string, kind: K): Extract<ViewPanel, { kind: K }> {
  const found = panels.find((candidate) => candidate.id === id);
  expect(found, `panel ${id}`).toBeDefined();
  expect(found!.kind).toBe(kind);
  return found as Extract<ViewPanel, { kind: K }>;
}

beforeAll(async () => {
  await useNodeBackend('cpu');
});

describe('reconstructionLoss', () => {
  // two 1x2 images: x1 = [0, 1], x_hat1 = [0.5, 0.25]; x2 = [1, 1], x_hat2 = [0.75, 1]
  const x = () => tf.tensor4d([0, 1, 1, 1], [2, 1, 2, 1]);
  const xHat = () => tf.tensor4d([0.5, 0.25, 0.75, 1], [2, 1, 2, 1]);

  it('mse: squared error summed over pixels, averaged over the batch', async () => {
    // image 1: 0.25 + 0.5625 = 0.8125; image 2: 0.0625 + 0 = 0.0625; mean 0.4375
    expect(await scalar(reconstructionLoss(x(), xHat(), 'mse'))).toBeCloseTo(0.4375, 6);
  });

  it('bce: Bernoulli cross-entropy summed over pixels, averaged over the batch', async () => {
    // image 1: -(ln(1 - 0.5) + ln 0.25) = 3 ln 2; image 2: -(ln 0.75 + ln(1 - 1e-6)) (x_hat = 1 is clipped)
    const expected = (3 * Math.LN2 - Math.log(0.75) - Math.log(1 - 1e-6)) / 2;
    expect(await scalar(reconstructionLoss(x(), xHat(), 'bce'))).toBeCloseTo(expected, 5);
  });

  it('bce stays finite when the model is certain and wrong (clipped at 1e-6)', async () => {
    const loss = await scalar(reconstructionLoss(tf.tensor4d([1, 0], [1, 1, 2, 1]), tf.tensor4d([0, 1], [1, 1, 2, 1]), 'bce'));
    // -ln(1e-6) - ln(1 - (1 - 1e-6)), with the clip bounds as float32 holds them
    const expected = -Math.log(Math.fround(1e-6)) - Math.log(1 - Math.fround(1 - 1e-6));
    expect(loss).toBeCloseTo(expected, 3);
    expect(loss).toBeGreaterThan(27);
  });

  it('is zero for a perfect reconstruction (mse) and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const images = tf.tensor4d([0.2, 0.4, 0.6, 0.8], [1, 2, 2, 1]);
    expect(await scalar(reconstructionLoss(images, images, 'mse'))).toBe(0);
    images.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('autoencoder training', () => {
  it('loss falls over 60 steps on a fixed batch of 16 images', async () => {
    const session = await sessionFor(tinyConfig()); // default lr, 0.001
    const fixed = fixedBatchOf(session.data, 16);
    const losses: number[] = [];
    for (let step = 0; step < 60; step++) losses.push((await stepOn(session, fixed)).loss);
    session.dispose();
    // a sigmoid decoder starts near 0.5 everywhere: tens of units of squared error a image
    expect(losses[0]).toBeGreaterThan(40);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[59]).toBeLessThan(0.5 * losses[0]);
    // and it keeps falling: the last ten steps are below the ten before them
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean(losses.slice(50))).toBeLessThan(mean(losses.slice(40, 50)));
  });

  it('the same seed gives identical losses; another seed does not', async () => {
    const run = async (seed: number) => {
      const session = await sessionFor(tinyConfig({ seed }));
      const losses = await train(session, 8);
      const test = await heldOut(session);
      session.dispose();
      return { train: losses.map((values) => values.loss), test: test.loss };
    };
    const first = await run(3);
    expect(first.train).toHaveLength(8);
    expect(await run(3)).toEqual(first);
    expect((await run(4)).train).not.toEqual(first.train);
  });

  it('readMetrics returns each step once, numbered, with the loss term', async () => {
    const session = await sessionFor(tinyConfig());
    expect(await session.readMetrics()).toEqual({ points: [] });
    session.dispatch();
    session.dispatch();
    expect(session.inFlight).toBe(2);
    const { points: metrics } = await session.readMetrics();
    expect(session.inFlight).toBe(0);
    expect(metrics.map((point) => point.step)).toEqual([1, 2]);
    expect(Object.keys(metrics[0].values)).toEqual(['loss']);
    expect(metrics[0].values.loss).toBeGreaterThan(0);
    session.dispatch();
    expect((await session.readMetrics()).points.map((point) => point.step)).toEqual([3]);
    expect(session.step).toBe(3);
    expect(session.batchSize).toBe(16);
    session.dispose();
  });
});

describe('tensor bookkeeping', () => {
  it('steps, evaluate and views leak nothing, and dispose frees the whole session', async () => {
    const beforeSession = tf.memory().numTensors;
    const session = await sessionFor(tinyConfig());
    expect(tf.memory().numTensors).toBeGreaterThan(beforeSession);

    // the first step creates Adam's moment estimates: count from after it
    session.dispatch();
    await session.readMetrics();
    const settled = tf.memory().numTensors;

    for (let step = 0; step < 10; step++) session.dispatch();
    expect(tf.memory().numTensors).toBeGreaterThan(settled); // the losses wait on the device...
    expect((await session.readMetrics()).points).toHaveLength(10);
    expect(tf.memory().numTensors).toBe(settled); // ...until read

    await heldOut(session);
    expect(tf.memory().numTensors).toBe(settled);
    await session.views();
    expect(tf.memory().numTensors).toBe(settled);
    (await session.sample(5, session.data.kind === 'image' ? createRandom(2) : createRandom(2))).dispose();
    expect(tf.memory().numTensors).toBe(settled);

    session.dispatch(); // unread losses are freed by dispose too
    session.dispose();
    expect(tf.memory().numTensors).toBe(beforeSession);
    session.dispose(); // twice is harmless
    expect(tf.memory().numTensors).toBe(beforeSession);
  });
});

describe('autoencoder views', () => {
  const dataset = loadNodeDataset('mnist');
  const testBytes = (index: number) => {
    const images = dataset.images('test', [index]);
    const bytes = Array.from(images.dataSync(), (value) => Math.round(value * 255));
    images.dispose();
    return bytes;
  };

  it('bottleneck 2: reconstructions (data rows alternating with reconstructions), samples and a scatter of 1000 test codes', async () => {
    const session = await sessionFor(tinyConfig({ lr: 0.01 }));
    await train(session, 20);
    const panels = await session.views();
    expect(panels.map((p) => p.id)).toEqual(['reconstructions', 'samples', 'latent-scatter', 'interpolation', 'traversal', 'sliders']);

    const recon = panel(panels, 'reconstructions', 'image-grid') as ImageGridPanel;
    expect([recon.count, recon.height, recon.width, recon.channels, recon.columns]).toEqual([32, 28, 28, 1, 8]);
    expect(recon.rowLabels).toEqual(['data', 'recon.']);
    expect(recon.pixels).toBeInstanceOf(Uint8ClampedArray);
    expect(recon.pixels.length).toBe(32 * PIXELS);
    const cell = (index: number) => Array.from(recon.pixels.subarray(index * PIXELS, (index + 1) * PIXELS));
    // grid rows of 8: data 0-7, recon 0-7, data 8-15, recon 8-15
    const dataCell = (image: number) => Math.floor(image / 8) * 16 + (image % 8);
    for (const image of [0, 7, 8, 15]) {
      expect(cell(dataCell(image)), `data cell of test image ${image}`).toEqual(testBytes(image));
      expect(cell(dataCell(image) + 8), `recon cell of test image ${image}`).not.toEqual(testBytes(image));
    }
    // the reconstruction cells are the model's reconstructions: their squared error is the model's loss
    let squaredError = 0;
    for (let image = 0; image < 16; image++) {
      const data = cell(dataCell(image));
      const reconstruction = cell(dataCell(image) + 8);
      for (let i = 0; i < PIXELS; i++) squaredError += ((data[i] - reconstruction[i]) / 255) ** 2;
    }
    // The held-out loss of the same model, on a test split of just these 16 images (a session takes any model and data).
    const { loss } = await heldOut(new TrainingSession(session.model, firstTestImages(16), { batchSize: 16, batchSeed: 1, viewSeed: 1 }));
    expect(Math.abs(squaredError / 16 - loss) / loss).toBeLessThan(0.01);

    const samples = panel(panels, 'samples', 'image-grid') as ImageGridPanel;
    expect([samples.count, samples.height, samples.width, samples.channels, samples.columns]).toEqual([32, 28, 28, 1, 8]);
    expect(samples.pixels.length).toBe(32 * PIXELS);
    expect(new Set(samples.pixels).size).toBeGreaterThan(10); // not a blank grid

    const scatter = panel(panels, 'latent-scatter', 'scatter') as ScatterPanel;
    expect(scatter.points).toBeInstanceOf(Float32Array);
    expect(scatter.points.length).toBe(2000);
    expect(scatter.points.every(Number.isFinite)).toBe(true);
    expect(new Set(scatter.points).size).toBeGreaterThan(1000); // distinct codes, not one point
    expect(Array.from(scatter.labels)).toEqual(Array.from(dataset.labels('test', dataset.firstIndices(1000))));
    expect(Array.from(scatter.labels.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
    expect(scatter.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

    // the view seed is fixed: a refresh without training draws the very same samples
    const again = await session.views();
    expect((panel(again, 'samples', 'image-grid') as ImageGridPanel).pixels).toEqual(samples.pixels);
    session.dispose();
  });

  it('bottleneck 3: the scatter is a PCA projection', async () => {
    const session = await sessionFor(tinyConfig({ bottleneck: 3 }));
    const panels = await session.views();
    expect(panels.map((p) => [p.id, p.kind])).toEqual([
      ['reconstructions', 'image-grid'],
      ['samples', 'image-grid'],
      ['latent-scatter', 'scatter'],
      ['interpolation', 'image-grid'],
      ['traversal', 'image-grid'],
      ['sliders', 'sliders'],
    ]);
    const scatter = panel(panels, 'latent-scatter', 'scatter');
    expect(scatter.axisLabels).toEqual(['PC1', 'PC2']);
    expect(scatter.title).toContain('(PCA)');
    session.dispose();
  });
});
