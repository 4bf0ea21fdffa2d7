/**
 * The energy-based model: Langevin dynamics samples the Gaussian of a quadratic energy;
 * the replay buffer keeps and restarts chains; contour lines and the grid densities are
 * right on known fields; the EBM trains on points and images without leaking tensors, its
 * views show the landscape, and a checkpoint (replay buffer included) resumes exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { defaultConfig, type RunConfig } from '../../src/core/config';
import { boltzmannDensity, gridKl, kernelDensity } from '../../src/core/metrics/grid-density';
import { langevinNow } from '../../src/core/models/energy/langevin';
import { ReplayBuffer } from '../../src/core/models/energy/replay-buffer';
import { createRandom } from '../../src/core/random';
import { DETACHED_JOB } from '../../src/core/training/jobs';
import { contourSegments } from '../../src/core/views/contours';
import { panelBuffers, type FieldPanel, type ImageGridPanel, type ViewPanel } from '../../src/core/views/panels';
import { gridCentres } from '../../src/core/views/plane-panels';
import { sessionFor, train } from './helpers';

beforeAll(async () => {
  await useNodeBackend('wasm');
});

function ebm(dataset = 'ring', values: Record<string, unknown> = {}): RunConfig {
  const config = defaultConfig('ebm', dataset);
  config.backend = 'wasm';
  Object.assign(config.values, dataset === 'ring' ? { hidden: [16, 16], buffer: 256, langevin_steps: 5, batch: 16 } : { channels: [4, 8], buffer: 64, langevin_steps: 2, batch: 4 }, values);
  return config;
}

describe('Langevin dynamics', () => {
  it('on a quadratic energy (x - mu)^2 / (2 sigma^2) samples N(mu, sigma^2): mean and variance within a few percent', () => {
    const [mu, sigma] = [tf.tensor1d([1, -2]), tf.tensor1d([0.5, 1.5])];
    const energy = (x: tf.Tensor) => x.sub(mu).div(sigma).square().sum(1).div(2) as tf.Tensor1D;
    // noise = sqrt(2 step): the discretisation whose stationary law is exp(-E), up to O(step)
    const step = 0.01;
    const end = langevinNow(energy, tf.zeros([4000, 2]), { steps: 1500, stepSize: step, noise: Math.sqrt(2 * step), clip: 0 }, createRandom(7));
    const { mean, variance } = tf.moments(end, 0);
    const [m, v] = [mean.arraySync() as number[], variance.arraySync() as number[]];
    expect(m[0]).toBeCloseTo(1, 1);
    expect(m[1]).toBeCloseTo(-2, 1);
    expect(v[0] / 0.25).toBeGreaterThan(0.93);
    expect(v[0] / 0.25).toBeLessThan(1.07);
    expect(v[1] / 2.25).toBeGreaterThan(0.93);
    expect(v[1] / 2.25).toBeLessThan(1.07);
    tf.dispose([mu, sigma, end, mean, variance]);
  });

  it('with one coordinate held fixed, samples the other from its conditional Gaussian', () => {
    // E = x' A x / 2, precision A = [[2, -1.2], [-1.2, 1]]: given x1 = 1, x2 ~ N(-A21 x1 / A22, 1 / A22) = N(1.2, 1)
    const energy = (x: tf.Tensor) => {
      const [x1, x2] = tf.split(x, 2, 1);
      return x1.square().mul(2).add(x2.square()).sub(x1.mul(x2).mul(2.4)).div(2).reshape([-1]) as tf.Tensor1D;
    };
    const step = 0.01;
    const n = 4000;
    const clamp = { values: tf.tile(tf.tensor2d([[1, 0]]), [n, 1]), keep: tf.tile(tf.tensor2d([[1, 0]]), [n, 1]) };
    const end = langevinNow(energy, tf.zeros([n, 2]), { steps: 1500, stepSize: step, noise: Math.sqrt(2 * step), clip: 0 }, createRandom(8), clamp);
    const [x1, x2] = tf.split(end, 2, 1);
    expect(Array.from(x1.dataSync()).every((value) => value === 1)).toBe(true);
    const { mean, variance } = tf.moments(x2);
    expect(mean.dataSync()[0]).toBeCloseTo(1.2, 1);
    expect(variance.dataSync()[0]).toBeGreaterThan(0.93);
    expect(variance.dataSync()[0]).toBeLessThan(1.07);
    tf.dispose([clamp.values, clamp.keep, end, x1, x2, mean, variance]);
  });

  it('clips the gradient and keeps values within bounds', () => {
    const steep = (x: tf.Tensor) => x.mul(1000).sum(1) as tf.Tensor1D;
    const end = langevinNow(steep, tf.fill([3, 2], 0.5), { steps: 1, stepSize: 1, noise: 0, clip: 0.1 }, createRandom(1));
    expect(Array.from(end.dataSync())).toEqual(new Array(6).fill(0.5 - 0.1).map((v) => Math.fround(v)));
    const bounded = langevinNow(steep, tf.fill([3, 2], 0.5), { steps: 3, stepSize: 1, noise: 0, clip: 0.3, bounds: [0, 1] }, createRandom(1));
    expect(Array.from(bounded.dataSync()).every((value) => value === 0)).toBe(true);
    tf.dispose([end, bounded]);
  });
});

describe('the replay buffer', () => {
  it('draws distinct rows, restarts the asked share from noise, and takes the chains back', () => {
    const random = createRandom(3);
    const buffer = new ReplayBuffer(8, (n) => tf.fill([n, 2], 5), random);
    const { rows, start } = buffer.draw(8, 0, random);
    expect(new Set(rows.dataSync()).size).toBe(8);
    buffer.store(rows, tf.tidy(() => start.mul(0).add(tf.range(0, 8).reshape([8, 1]))));
    const peek = buffer.peek(8);
    // row r now holds the chain that started there: each row's value is its position in the draw
    const drawn = Array.from(rows.dataSync());
    const stored = peek.arraySync() as number[][];
    drawn.forEach((row, i) => expect(stored[row]).toEqual([i, i]));
    const restarted = buffer.draw(8, 1, random);
    expect(Array.from(restarted.start.dataSync()).every((value) => value === 5)).toBe(true);
    // half: each chain starts from its own row (its value there) or from the noise (5), in its place in the batch
    const half = buffer.draw(8, 0.5, random);
    const [halfRows, halfStart] = [Array.from(half.rows.dataSync()), half.start.arraySync() as number[][]];
    const fromNoise = halfStart.filter(([value]) => value === 5).length;
    expect(fromNoise).toBeGreaterThan(0);
    expect(fromNoise).toBeLessThan(8);
    halfStart.forEach((values, i) => expect([[5, 5], [drawn.indexOf(halfRows[i]), drawn.indexOf(halfRows[i])]]).toContainEqual(values));
    tf.dispose([rows, start, peek, restarted.rows, restarted.start, half.rows, half.start]);
    buffer.dispose();
  });
});

describe('contour lines and grid densities', () => {
  it('contours of x^2 + y^2 at level 1 lie on the unit circle', () => {
    const cells = 40;
    const extent = [-2, 2, -2, 2] as const;
    const grid = gridCentres(extent, cells);
    const values = Float32Array.from({ length: cells * cells }, (_, i) => grid[2 * i] ** 2 + grid[2 * i + 1] ** 2);
    const segments = contourSegments(values, cells, cells, extent, [1]);
    expect(segments.length).toBeGreaterThan(4 * 20);
    for (let i = 0; i < segments.length; i += 2) expect(Math.hypot(segments[i], segments[i + 1])).toBeCloseTo(1, 1);
  });

  it('exp(-E)/Z sums to 1 and orders cells by energy; the KL of a density to itself is 0 and grows as they part', () => {
    const density = boltzmannDensity(Float32Array.from([0, 1, 2, 1000]));
    expect(density.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(density[0] / density[1]).toBeCloseTo(Math.E, 4);
    const grid = gridCentres([-1, 1, -1, 1], 10);
    const near = kernelDensity(Float32Array.from([0.5, 0.5]), grid, 0.2);
    const far = kernelDensity(Float32Array.from([-0.5, -0.5]), grid, 0.2);
    expect(gridKl(near, near)).toBeCloseTo(0, 6);
    expect(gridKl(near, far)).toBeGreaterThan(1);
  });
});

describe('the EBM', () => {
  for (const dataset of ['ring', 'mnist']) {
    it(`trains on ${dataset}: finite terms, the views, samples in range, nothing leaks`, async () => {
      const before = tf.memory().numTensors;
      const session = await sessionFor(ebm(dataset));
      for (const values of await train(session, 3)) {
        expect(Object.keys(values).sort()).toEqual(['energy_data', 'energy_samples', 'loss']);
        Object.values(values).forEach((value) => expect(Number.isFinite(value)).toBe(true));
      }
      const panels = await session.views();
      expect(panels.map((panel) => panel.id)).toEqual(dataset === 'ring' ? ['energy', 'model-density', 'data-density', 'samples'] : ['buffer']);
      if (dataset === 'ring') {
        const field = panels[0] as FieldPanel;
        expect(field.series!.map((series) => series.label)).toContain('contour lines of E');
        const density = (panels[1] as FieldPanel).values;
        expect(density.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      }
      const samples = await session.sample(5, createRandom(2));
      const values = await samples.data();
      const [low, high] = dataset === 'ring' ? [-1.5, 1.5] : [0, 1];
      expect(Array.from(values).every((value) => value >= low && value <= high)).toBe(true);
      samples.dispose();
      session.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('its views hand over their arrays: after the page takes them (transferred), the next views and the grid KL are whole', async () => {
    const session = await sessionFor(ebm());
    await train(session, 2);
    const grid = session.evaluations.find((evaluation) => evaluation.id === 'grid-density')!;
    const before = (await session.evaluate(grid)).values.grid_kl;
    const panels = await session.views();
    structuredClone(panels, { transfer: panelBuffers(panels) });
    expect((await session.evaluate(grid)).values.grid_kl).toBe(before);
    expect(before).toBeGreaterThan(0);
    const again = await session.views();
    expect((again[2] as FieldPanel).values.length).toBe(48 * 48);
    session.dispose();
  });

  it('drawing samples while a person watches animates the chains on the landscape, every frame whole', async () => {
    const session = await sessionFor(ebm());
    await train(session, 2);
    const frames: FieldPanel[] = [];
    // as the worker posts them: each frame's arrays transferred to the page
    const job = { ...DETACHED_JOB, emit: (panel: ViewPanel) => void frames.push(structuredClone(panel, { transfer: panelBuffers([panel]) }) as FieldPanel) };
    const samples = await session.sample(50, createRandom(4), job, true);
    expect(samples.shape).toEqual([50, 2]);
    samples.dispose();
    // 5 Langevin steps in training, three times that from noise: frames at steps 0 to 15
    expect(frames[0].caption).toContain('step 0 of 15');
    expect(frames.at(-1)!.caption).toContain('step 15 of 15');
    expect(frames.every((frame) => frame.values.length === 48 * 48)).toBe(true);
    const pathLength = (frame: FieldPanel) => frame.series![0].points.length;
    expect(pathLength(frames.at(-1)!)).toBeGreaterThan(pathLength(frames[1]));
    session.dispose();
  });

  it('drawing images while watched shows each chain from noise to sample, a row per chain, and leaks nothing', async () => {
    const session = await sessionFor(ebm('mnist'));
    await train(session, 1);
    const before = tf.memory().numTensors;
    const frames: ImageGridPanel[] = [];
    const job = { ...DETACHED_JOB, emit: (panel: ViewPanel) => void frames.push(panel as ImageGridPanel) };
    const samples = await session.sample(10, createRandom(4), job, true);
    expect(samples.shape).toEqual([10, 28, 28, 1]);
    samples.dispose();
    // 2 Langevin steps in training, 6 from noise: a column at the start and after every step
    const last = frames.at(-1)!;
    expect(last.caption).toContain('step 6 of 6');
    expect([last.count, last.columns]).toEqual([8 * 7, 7]);
    expect(tf.memory().numTensors).toBe(before);
    session.dispose();
  });

  it('fills in half of test images: the top half stays as it was, the bottom walks from noise, and nothing leaks', async () => {
    const session = await sessionFor(ebm('mnist'));
    await train(session, 1);
    const before = tf.memory().numTensors;
    const frames: ImageGridPanel[] = [];
    const job = { ...DETACHED_JOB, emit: (panel: ViewPanel) => void frames.push(panel as ImageGridPanel) };
    await session.model.actions!.inpaint(undefined, job, { data: session.data });
    expect(tf.memory().numTensors).toBe(before);
    const last = frames.at(-1)!;
    // a row per image: the test image, the start (top kept, bottom noise), then a column after each of the 6 steps
    expect([last.count, last.columns]).toEqual([8 * 8, 8]);
    expect(last.caption).toContain('step 6 of 6');
    const image = (row: number, column: number) => last.pixels.subarray((row * 8 + column) * 784, (row * 8 + column + 1) * 784);
    for (let row = 0; row < 8; row++) {
      expect(Array.from(image(row, 7).subarray(0, 14 * 28))).toEqual(Array.from(image(row, 0).subarray(0, 14 * 28)));
      // the bottom half moved from its noise
      expect(Array.from(image(row, 7).subarray(14 * 28))).not.toEqual(Array.from(image(row, 1).subarray(14 * 28)));
    }
    session.dispose();
  });

  it('resumes from a checkpoint exactly: the replay buffer and the noise source come back too', async () => {
    const original = await sessionFor(ebm());
    await train(original, 4);
    const checkpoint = (await original.checkpoint())!;
    const next = async (session: Awaited<ReturnType<typeof sessionFor>>) => (await train(session, 2)).at(-1)!;
    const expected = await next(original);
    const resumed = await sessionFor(ebm());
    await resumed.restore(checkpoint);
    expect(await next(resumed)).toEqual(expected);
    original.dispose();
    resumed.dispose();
  });
});
