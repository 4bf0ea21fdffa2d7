/**
 * The GAN on 2-D points: a discriminator step moves only D and a generator step only G;
 * every loss trains with finite terms (the Wasserstein penalty needs a gradient of a
 * gradient); the default recipe, shrunk, covers the ring's 8 modes; its views show D's
 * opinion of the plane with the generator's push, and the warped noise grid.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { defaultConfig, type RunConfig } from '../../src/core/config';
import type { FieldPanel } from '../../src/core/views/panels';
import { demonstrationLink } from '../../src/core/demonstrations';
import { findModel } from '../../src/core/models';
import { createRandom } from '../../src/core/random';
import { decodeLink } from '../../src/core/url-codec';
import { sessionFor, train } from './helpers';

beforeAll(async () => {
  await useNodeBackend('wasm');
});

function gan(values: Record<string, unknown> = {}): RunConfig {
  const config = defaultConfig('gan', 'ring');
  config.backend = 'wasm';
  Object.assign(config.values, { hidden: [64, 64], lr_d: 0.002, lr_g: 0.002 }, values);
  return config;
}

async function weights(model: tf.LayersModel): Promise<number[]> {
  return Array.from(await tf.concat(model.getWeights().map((weight) => weight.flatten())).data());
}

describe('the GAN', () => {
  it('a discriminator step moves only D, a generator step only G', async () => {
    const session = await sessionFor(gan());
    const model = session.model as unknown as { generator: tf.LayersModel; body: tf.LayersModel; head: tf.LayersModel };
    const before = { g: await weights(model.generator), d: await weights(model.body) };
    session.dispatch('discriminator');
    const afterD = { g: await weights(model.generator), d: await weights(model.body) };
    expect(afterD.g).toEqual(before.g);
    expect(afterD.d).not.toEqual(before.d);
    session.dispatch('generator');
    const afterG = { g: await weights(model.generator), d: await weights(model.body) };
    expect(afterG.d).toEqual(afterD.d);
    expect(afterG.g).not.toEqual(afterD.g);
    const { points } = await session.readMetrics();
    expect(Object.keys(points[0].values).sort()).toEqual(['d_fake', 'd_loss', 'd_real']);
    expect(Object.keys(points[1].values)).toEqual(['g_loss']);
    session.dispose();
  });

  for (const loss of ['minimax', 'non-saturating', 'least-squares', 'wasserstein']) {
    it(`trains with the ${loss} loss: finite terms, k discriminator steps per step, nothing leaks`, async () => {
      const before = tf.memory().numTensors;
      const session = await sessionFor(gan({ loss, d_steps: 2, mbstd: 'on', feature_matching: 1 }));
      const points = await train(session, 5);
      for (const values of points) {
        expect(Object.keys(values).sort()).toEqual(['d_fake', 'd_loss', 'd_real', 'g_loss']);
        Object.values(values).forEach((value) => expect(Number.isFinite(value)).toBe(true));
      }
      session.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  for (const loss of ['non-saturating', 'wasserstein']) {
    it(`trains on images (DCGAN) with the ${loss} loss: finite terms, images in [0, 1], a grid of samples and D's verdicts`, async () => {
      const before = tf.memory().numTensors;
      const config = defaultConfig('gan', 'mnist');
      Object.assign(config.values, { channels: [4, 8], batch: 8, noise: 16, loss, mbstd: 'on', feature_matching: 0.5 });
      const session = await sessionFor(config);
      for (const values of await train(session, 3)) Object.values(values).forEach((value) => expect(Number.isFinite(value)).toBe(true));
      // batch normalization's moving statistics follow training (sampling uses them)
      const statistics = (session.model as unknown as { generator: tf.LayersModel }).generator.nonTrainableWeights;
      expect(statistics.length).toBe(4);
      const movingMean = await statistics[0].read().data();
      expect(Array.from(movingMean).some((value) => value !== 0)).toBe(true);
      const samples = await session.sample(6, createRandom(1));
      expect(samples.shape).toEqual([6, 28, 28, 1]);
      const pixels = await samples.data();
      expect(pixels.every((value) => value >= 0 && value <= 1)).toBe(true);
      samples.dispose();
      const panels = await session.views();
      expect(panels.map((panel) => [panel.id, panel.kind])).toEqual([['samples', 'image-grid'], ['discriminator-scores', 'histogram']]);
      session.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('the default recipe, shrunk, covers the 8 modes of the ring', async () => {
    const session = await sessionFor(gan());
    await train(session, 2000);
    const quality = session.evaluations.find((evaluation) => evaluation.id === 'sample-quality')!;
    const { values } = await session.evaluate(quality);
    expect(values.modes_covered).toBe(8);
    expect(values.high_quality_share).toBeGreaterThan(0.25);
    session.dispose();
  }, 120_000);

  it('the mode-collapse demonstration collapses, and minibatch standard deviation cures it (1,500 steps each)', async () => {
    const model = findModel('gan')!;
    const recallOf = async (id: string) => {
      const { config } = decodeLink(demonstrationLink(model, id));
      const session = await sessionFor({ ...config, backend: 'wasm' });
      await train(session, 1500);
      const { values } = await session.evaluate(session.evaluations.find((evaluation) => evaluation.id === 'sample-quality')!);
      session.dispose();
      return values;
    };
    const collapsed = await recallOf('mode-collapse');
    expect(collapsed.recall).toBeLessThan(0.2);
    expect(collapsed.modes_covered).toBeLessThanOrEqual(2);
    const cured = await recallOf('collapse-cured-mbstd');
    expect(cured.recall).toBeGreaterThan(0.7);
    expect(cured.modes_covered).toBe(8);
  }, 180_000);

  it("shows D's opinion of the plane with the generator's push, its samples, and the warped noise grid", async () => {
    const session = await sessionFor(gan());
    await train(session, 20);
    const panels = await session.views();
    expect(panels.map((panel) => panel.id)).toEqual(['discriminator', 'samples', 'noise-grid']);
    const field = panels[0] as FieldPanel;
    expect(field.values).toHaveLength(field.rows * field.columns);
    expect(Array.from(field.values).every((value) => value >= 0 && value <= 1)).toBe(true);
    expect(field.arrows!.vectors.length).toBe(field.arrows!.points.length);
    expect(Array.from(field.arrows!.vectors).some((value) => value !== 0)).toBe(true);
    session.dispose();
  });
});
