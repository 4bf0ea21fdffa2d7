/** Every autoencoder on colour images: it trains, its views are colour grids, it leaks nothing, and no sample-quality figures are asked of a set without a classifier. */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { nodeClassifiers } from '../../src/cli/node-classifiers';
import { openNodeDataset } from '../../src/cli/node-datasets';
import { defaultConfig, type RunConfig } from '../../src/core/config';
import type { ImageDataSpec } from '../../src/core/datasets/catalog';
import { findDataset } from '../../src/core/datasets/catalog';
import type { ParamValue } from '../../src/core/params/schema';
import { createRandom } from '../../src/core/random';
import { createSession } from '../../src/core/training/session';
import type { ImageGridPanel } from '../../src/core/views/panels';
import { heldOut } from './helpers';

/** Each model small enough to take a step in milliseconds. */
const TINY: Record<string, Record<string, ParamValue>> = {
  ae: { hidden: [16], bottleneck: 2, batch: 8 },
  'conv-ae': { channels: [4, 8], bottleneck: 4, batch: 8 },
  dae: { hidden: [16], batch: 8 },
  vae: { arch: 'conv', channels: [4, 8], latent: 2, k: 2, batch: 8 },
};

const CASES: [string, string, Record<string, ParamValue>][] = [
  ...Object.keys(TINY).map((model): [string, string, Record<string, ParamValue>] => [model, 'emoji16', {}]),
  ['vae', 'emoji16', { likelihood: 'binarized', arch: 'dense' }],
  ['conv-ae', 'colored-mnist', {}],
];

function tinyConfig(model: string, dataset: string, values: Record<string, ParamValue>): RunConfig {
  const config = defaultConfig(model, dataset);
  expect(config.dataset).toBe(dataset);
  Object.assign(config.values, TINY[model], values);
  return config;
}

beforeAll(async () => {
  // WASM: fast on convolutions, with our kernel for their filter gradients.
  await useNodeBackend('wasm');
});
afterAll(async () => {
  await useNodeBackend('cpu');
});

describe.each(CASES)('%s on %s %j', (model, dataset, values) => {
  it('trains with finite losses, shows colour grids, samples colour images (if it generates), and leaks no tensor', async () => {
    const config = tinyConfig(model, dataset, values);
    const shape = (findDataset(dataset) as ImageDataSpec).shape;
    const beforeSession = tf.memory().numTensors;
    const session = await createSession(config, await openNodeDataset(dataset, config.values), { classifiers: nodeClassifiers });
    expect(session.evaluations.map((evaluation) => evaluation.id)).not.toContain('sample-quality');
    // the held-out figures say how many images they are over: all 370 of a small test split, not the plan's 1,000
    const tested = Math.min(1000, (findDataset(dataset) as ImageDataSpec).counts.test).toLocaleString('en-US');
    expect(session.evaluations.find((evaluation) => evaluation.id === 'held-out')!.basis).toMatch(new RegExp(`^${tested} test images`));

    // the first step creates Adam's moments: count from after it
    session.dispatch();
    await session.readMetrics();
    const settled = tf.memory().numTensors;
    session.dispatch();
    session.dispatch();
    const { points, nonFinite } = await session.readMetrics();
    expect(nonFinite).toBeUndefined();
    expect(points).toHaveLength(2);
    for (const point of points) expect(Number.isFinite(point.values.loss) && point.values.loss > 0, JSON.stringify(point.values)).toBe(true);
    expect(tf.memory().numTensors).toBe(settled);

    expect(Number.isFinite((await heldOut(session)).loss)).toBe(true);
    const grids = (await session.views()).filter((panel): panel is ImageGridPanel => panel.kind === 'image-grid');
    expect(grids.length).toBeGreaterThan(0);
    for (const grid of grids) expect([grid.height, grid.width, grid.channels], grid.id).toEqual([...shape]);
    if (session.model.sample) {
      const samples = await session.sample(4, createRandom(2));
      expect(samples.shape).toEqual([4, ...shape]);
      samples.dispose();
    }
    expect(tf.memory().numTensors).toBe(settled);

    session.dispose();
    expect(tf.memory().numTensors).toBe(beforeSession);
  });
});

it('a set with a classifier still gets its sample-quality evaluation (the check above is not vacuous)', async () => {
  const config = tinyConfig('ae', 'mnist', {});
  const session = await createSession(config, await openNodeDataset('mnist', config.values), { classifiers: nodeClassifiers });
  expect(session.evaluations.map((evaluation) => evaluation.id)).toContain('sample-quality');
  session.dispose();
});
