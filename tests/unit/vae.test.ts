import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { loadNodeDataset } from '../../src/cli/node-datasets';
import { defaultConfig } from '../../src/core/config';
import { klPerDimension, reparameterize } from '../../src/core/models/autoencoders/gaussian-posterior';
import { gaussianNll, reconstructionTerm } from '../../src/core/models/autoencoders/vae';
import { heldOut, sessionFor, train } from './helpers';

const values = async (tensor: tf.Tensor) => Array.from(await tensor.data());

describe('VAE mathematics', () => {
  beforeAll(async () => {
    await useNodeBackend('cpu');
  });

  it('KL(N(mu, sigma^2) || N(0, 1)) equals the closed form, dimension by dimension', async () => {
    const mu = [0, 1, -2, 0.5];
    const sigma = [1, 1, 0.5, 2];
    const kl = klPerDimension(tf.tensor2d([mu]), tf.tensor2d([sigma.map((s) => Math.log(s * s))]));
    // KL = log(1/sigma) + (sigma^2 + mu^2) / 2 - 1/2
    const expected = mu.map((m, i) => Math.log(1 / sigma[i]) + (sigma[i] ** 2 + m ** 2) / 2 - 0.5);
    const computed = await values(kl);
    computed.forEach((value, i) => expect(value).toBeCloseTo(expected[i], 5));
    expect(computed[0]).toBe(0); // the prior itself costs nothing, exactly
  });

  it('the KL gradient matches central finite differences', async () => {
    const mu = tf.tensor2d([[0.3, -1.2]]);
    const logVar = tf.tensor2d([[0.4, -0.7]]);
    const f = (m: tf.Tensor, l: tf.Tensor) => klPerDimension(m as tf.Tensor2D, l as tf.Tensor2D).sum() as tf.Scalar;
    const [dMu, dLogVar] = tf.grads(f)([mu, logVar]);
    const h = 1e-2;
    for (const [which, analytic] of [[0, dMu], [1, dLogVar]] as const) {
      const base = [await values(mu), await values(logVar)];
      const grad = await values(analytic);
      for (let j = 0; j < 2; j++) {
        const plus = base.map((row) => [...row]);
        const minus = base.map((row) => [...row]);
        plus[which][j] += h;
        minus[which][j] -= h;
        const numeric =
          ((await values(f(tf.tensor2d([plus[0]]), tf.tensor2d([plus[1]])))))[0] / (2 * h) -
          ((await values(f(tf.tensor2d([minus[0]]), tf.tensor2d([minus[1]])))))[0] / (2 * h);
        expect(grad[j]).toBeCloseTo(numeric, 3);
      }
    }
    // Closed forms: dKL/dmu = mu, dKL/dlogvar = (exp(logvar) - 1) / 2
    expect((await values(dMu))[0]).toBeCloseTo(0.3, 5);
    expect((await values(dLogVar))[1]).toBeCloseTo((Math.exp(-0.7) - 1) / 2, 5);
  });

  it('the reparameterized sample has the requested mean and variance, and gradients reach mu and sigma', async () => {
    const n = 20000;
    const mu = tf.fill([n, 1], 1.5) as tf.Tensor2D;
    const logVar = tf.fill([n, 1], Math.log(0.25)) as tf.Tensor2D; // sigma = 0.5
    const eps = tf.randomNormal([n, 1], 0, 1, 'float32', 42) as tf.Tensor2D;
    const { mean, variance } = tf.moments(reparameterize(mu, logVar, eps));
    expect((await values(mean))[0]).toBeCloseTo(1.5, 1);
    expect((await values(variance))[0]).toBeCloseTo(0.25, 1);
    // d/dmu sum z = n; d/dlogvar sum z = sum sigma * eps / 2
    const [dMu, dLogVar] = tf.grads((m: tf.Tensor, l: tf.Tensor) => reparameterize(m as tf.Tensor2D, l as tf.Tensor2D, eps).sum() as tf.Scalar)([mu, logVar]);
    expect((await values(dMu.sum()))[0]).toBeCloseTo(n, 0);
    const expected = (await values(eps.sum()))[0] * 0.5 * 0.5;
    expect((await values(dLogVar.sum()))[0]).toBeCloseTo(expected, 1);
  });

  it('the Bernoulli term is the cross-entropy, computed stably from logits', async () => {
    const x = tf.tensor4d([0, 1, 1, 0], [1, 2, 2, 1]);
    const logits = tf.tensor4d([-2, 3, 50, -50], [1, 2, 2, 1]);
    const p = [-2, 3, 50, -50].map((l) => 1 / (1 + Math.exp(-l)));
    const expected = -(Math.log(1 - p[0]) + Math.log(p[1]) + Math.log(p[2]) + Math.log(1 - Math.min(p[3], 1 - 1e-300)));
    expect((await values(reconstructionTerm(x, logits, 'bernoulli')))[0]).toBeCloseTo(expected, 4);
    const mse = (await values(reconstructionTerm(x, logits, 'mse')))[0];
    expect(mse).toBeCloseTo(p[0] ** 2 + (1 - p[1]) ** 2 + (1 - p[2]) ** 2 + p[3] ** 2, 5);
  });

  it('the Gaussian term of 2-D points is -log N(x; mu, sigma^2), summed over the coordinates', async () => {
    const x = tf.tensor2d([[0.5, -1], [2, 0]]);
    const mu = tf.tensor2d([[0, 0], [2, 1]]);
    const logVar = tf.tensor1d([Math.log(0.25), Math.log(4)]);
    const logNormal = (v: number, m: number, variance: number) => -0.5 * Math.log(2 * Math.PI * variance) - (v - m) ** 2 / (2 * variance);
    const expected = [-(logNormal(0.5, 0, 0.25) + logNormal(-1, 0, 4)), -(logNormal(2, 2, 0.25) + logNormal(0, 1, 4))];
    (await values(gaussianNll(x, mu, logVar))).forEach((value, i) => expect(value).toBeCloseTo(expected[i], 5));
  });
});

describe('the VAE model', () => {
  beforeAll(async () => {
    await useNodeBackend('cpu');
  });

  it('reports an importance-weighted -log p(x) below its -ELBO, and views with KL bars and a latent plane', async () => {
    const config = defaultConfig('vae');
    Object.assign(config.values, { hidden: [64], batch: 32, lr: 0.003, k: 16, latent: 2 });
    const session = await sessionFor(config);
    await train(session, 40);
    const metrics = { ...(await heldOut(session)), ...(await heldOut(session, 'importance-weighted')) };
    // IWAE with k samples tightens the bound: -log p(x) <= IWAE estimate <= -ELBO (on the same images, up to noise)
    expect(metrics.nll_iwae).toBeLessThan(metrics.neg_elbo);
    expect(metrics.bits_per_dim).toBeCloseTo(metrics.neg_elbo / (784 * Math.LN2), 5);
    expect(metrics.neg_elbo).toBeCloseTo(metrics.recon + metrics.kl, 3);
    const panels = await session.views();
    const ids = panels.map((panel) => panel.id);
    expect(ids).toEqual(['reconstructions', 'samples', 'data-vs-samples', 'kl-per-dimension', 'latent-scatter', 'interpolation', 'traversal', 'sliders']);
    // the decoded plane lies behind the codes: the prior's +-3 at least, 12 x 12 images
    const scatter = panels.find((panel) => panel.kind === 'scatter');
    expect(scatter?.kind === 'scatter' && [scatter.background?.count, scatter.extent![0] <= -3, scatter.extent![1] >= 3]).toEqual([144, true, true]);
    // Interpolation: two rows of [image a, 8 decoded codes, image b], the ends being the test images themselves.
    const interpolation = panels.find((panel) => panel.id === 'interpolation');
    expect(interpolation?.kind).toBe('image-grid');
    if (interpolation?.kind === 'image-grid') {
      expect([interpolation.count, interpolation.columns]).toEqual([20, 10]);
      const pixels = 28 * 28;
      const bytes = loadNodeDataset('mnist').images('test', [3, 2]);
      const expected = Array.from(await bytes.data(), (value) => Math.round(value * 255));
      bytes.dispose();
      expect(Array.from(interpolation.pixels.subarray(0, pixels))).toEqual(expected.slice(0, pixels));
      expect(Array.from(interpolation.pixels.subarray(9 * pixels, 10 * pixels))).toEqual(expected.slice(pixels));
      expect(Array.from(interpolation.pixels.subarray(10 * pixels, 11 * pixels))).toEqual(expected.slice(0, pixels));
    }
    const traversal = panels.find((panel) => panel.id === 'traversal');
    expect(traversal?.kind === 'image-grid' && [traversal.count, traversal.rowLabels]).toEqual([18, ['z1', 'z2']]);
    // Sliders over a Gaussian code reach at least the prior's +-3.
    const sliders = panels.find((panel) => panel.kind === 'sliders');
    expect(sliders?.kind === 'sliders' && Array.from(sliders.ranges).every((value, i) => (i % 2 ? value >= 3 : value <= -3))).toBe(true);
    // The pair is live: a new one changes the interpolation panel without a new model.
    session.setParams({ from: 0, to: 1 });
    const moved = (await session.views()).find((panel) => panel.id === 'interpolation');
    expect(moved?.caption).toContain('From test image 0 (left) to test image 1');
    expect(moved?.caption).toContain('slerp');
    const bars = panels.find((panel) => panel.kind === 'bars');
    expect(bars?.kind === 'bars' && bars.values.length).toBe(2);
    session.dispose();
  });

  it('warns of posterior collapse when beta is large', async () => {
    const config = defaultConfig('vae');
    Object.assign(config.values, { hidden: [32], batch: 32, lr: 0.003, latent: 6, beta: 10 });
    const session = await sessionFor(config);
    await train(session, 150);
    const bars = (await session.views()).find((panel) => panel.kind === 'bars');
    expect(bars?.kind).toBe('bars');
    if (bars?.kind !== 'bars') return;
    const collapsed = Array.from(bars.values).filter((value) => value < 0.02).length;
    expect(collapsed).toBeGreaterThan(0);
    expect(bars.warning).toContain(`${collapsed} of 6 latent dimensions`);
    session.dispose();
  }, 60_000);
});
