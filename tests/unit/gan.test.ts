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
import type { FieldPanel, ImageGridPanel } from '../../src/core/views/panels';
import { findDataset, type PointsDataSpec } from '../../src/core/datasets/catalog';
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

  /** The private loss of D on given batches (the reference checks need fixed inputs). */
  type LossOf = { discriminatorLoss(real: tf.Tensor, fake: tf.Tensor, labels: undefined, random: ReturnType<typeof createRandom>): { loss: tf.Scalar } };
  const dLoss = async (session: Awaited<ReturnType<typeof sessionFor>>, real: number[][], fake: number[][]) => {
    const model = session.model as unknown as LossOf;
    const value = tf.tidy(() => model.discriminatorLoss(tf.tensor2d(real), tf.tensor2d(fake), undefined, createRandom(1)).loss);
    const [result] = await value.data();
    value.dispose();
    return result;
  };
  /** D made linear: one hidden layer whose units pass x1 + 100 and x2 + 100 (positive, so LeakyReLU is the identity), a head a f1 + b f2. D(x) = a x1 + b x2 + 100 (a + b). */
  const makeLinear = (session: Awaited<ReturnType<typeof sessionFor>>, a: number, b: number) => {
    const { body, head } = session.model as unknown as { body: tf.LayersModel; head: tf.LayersModel };
    const dense = (model: tf.LayersModel) => model.layers.find((layer) => layer.getClassName() === 'Dense')!;
    tf.tidy(() => {
      dense(body).setWeights([tf.tensor2d([[1, 0, 0, 0], [0, 1, 0, 0]]), tf.fill([4], 100)]);
      dense(head).setWeights([tf.tensor2d([[a], [b], [0], [0]]), tf.zeros([1])]);
    });
  };
  const real = [[1, 0], [0, 1], [-1, 0.5]];
  const fake = [[0.2, 0.1], [2, -1], [0, 0]];

  it("with D's output at 0.5 everywhere, the minimax and non-saturating discriminator loss is log 4", async () => {
    for (const loss of ['minimax', 'non-saturating']) {
      const session = await sessionFor(gan({ loss, hidden: [4] }));
      makeLinear(session, 0, 0);
      expect(await dLoss(session, real, fake)).toBeCloseTo(Math.log(4), 5);
      session.dispose();
    }
  });

  it('the gradient penalties equal their closed forms for a linear critic: lambda (||w|| - 1)^2 at the interpolates, and R1 = gamma / 2 ||w||^2', async () => {
    const [a, b] = [0.6, -2];
    const critic = (x: number[]) => a * x[0] + b * x[1] + 100 * (a + b);
    const mean = (rows: number[][]) => rows.reduce((sum, x) => sum + critic(x), 0) / rows.length;
    const norm = Math.hypot(a, b);
    const wasserstein = await sessionFor(gan({ loss: 'wasserstein', gp: 10, hidden: [4] }));
    makeLinear(wasserstein, a, b);
    expect(await dLoss(wasserstein, real, fake)).toBeCloseTo(mean(fake) - mean(real) + 10 * (norm - 1) ** 2, 3);
    wasserstein.dispose();
    const r1 = await sessionFor(gan({ loss: 'minimax', r1: 3, hidden: [4] }));
    makeLinear(r1, a, b);
    const softplus = (v: number) => Math.log1p(Math.exp(v));
    const standard = real.reduce((sum, x) => sum + softplus(-critic(x)), 0) / 3 + fake.reduce((sum, x) => sum + softplus(critic(x)), 0) / 3;
    expect(await dLoss(r1, real, fake)).toBeCloseTo(standard + (3 / 2) * norm ** 2, 3);
    r1.dispose();
  });

  for (const loss of ['minimax', 'non-saturating', 'least-squares', 'wasserstein']) {
    it(`trains with the ${loss} loss: finite terms, k discriminator steps per step, nothing leaks`, async () => {
      const before = tf.memory().numTensors;
      const session = await sessionFor(gan({ loss, d_steps: 2, mbstd: 'on', feature_matching: 1, r1: loss === 'wasserstein' ? 0 : 1 }));
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

  it('class-conditional on the ring: asked for mode c, the generator draws near mode c (1,500 steps)', async () => {
    const session = await sessionFor(gan({ conditional: 'on' }));
    await train(session, 1500);
    // sample i is asked for class i mod 8, mode i mod 8 of the ring
    const samples = await session.sample(800, createRandom(3));
    const points = await samples.data();
    samples.dispose();
    const modes = (findDataset('ring') as PointsDataSpec).modes!;
    let onAskedMode = 0;
    for (let i = 0; i < 800; i++) {
      const distances = modes.map(([x, y]) => Math.hypot(points[2 * i] - x, points[2 * i + 1] - y));
      if (distances.indexOf(Math.min(...distances)) === i % 8) onAskedMode++;
    }
    expect(onAskedMode / 800).toBeGreaterThan(0.8);
    const { values } = await session.evaluate(session.evaluations.find((evaluation) => evaluation.id === 'sample-quality')!);
    expect(values.modes_covered).toBe(8);
    session.dispose();
  }, 120_000);

  it('class-conditional on images: one row of samples for each class, finite terms, nothing leaks; offered only where the data has labels', async () => {
    const before = tf.memory().numTensors;
    const config = defaultConfig('gan', 'mnist');
    Object.assign(config.values, { channels: [4, 8], batch: 8, noise: 16, conditional: 'on', feature_matching: 0.5 });
    const session = await sessionFor(config);
    for (const values of await train(session, 3)) Object.values(values).forEach((value) => expect(Number.isFinite(value)).toBe(true));
    const [grid] = (await session.views()) as ImageGridPanel[];
    expect(grid.count).toBe(80);
    expect(grid.rowLabels).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    session.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(defaultConfig('gan', 'ring').values.conditional).toBe('off');
    expect('conditional' in defaultConfig('gan', 'spiral').values).toBe(false);
  });

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
