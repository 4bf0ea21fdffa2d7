/**
 * The films of an autoregressive sampler: one image drawn value by value with what each
 * prediction sees and draws from, and the same random numbers at several temperatures.
 * Reference: the sampler itself (./pixel-sampler.ts), which the films must match value
 * for value, and distributions that sum to 1.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import type { Categories } from '../../src/core/models/autoregressive/pixel-likelihood';
import { samplePixels } from '../../src/core/models/autoregressive/pixel-sampler';
import { PixelCnnNetwork } from '../../src/core/models/autoregressive/pixelcnn-network';
import { compareTemperatures, COMPARED_TEMPERATURES, filmOneImage, meanPairDifference, type DrawingSetup } from '../../src/core/models/autoregressive/sampling-film';
import { createRandom } from '../../src/core/random';
import { DETACHED_JOB, type JobContext } from '../../src/core/training/jobs';
import type { BarsPanel, HistogramPanel, ImageGridPanel, PanelGroup, ViewPanel } from '../../src/core/views/panels';

beforeAll(async () => {
  await useNodeBackend('wasm');
});
afterAll(async () => {
  await useNodeBackend('cpu');
});

function setup(shape: [number, number, number], categories: Categories, temperature = 1): DrawingSetup {
  const network = new PixelCnnNetwork(shape, { layers: 1, filters: 6, kernel: 3, firstKernel: 3 }, categories, createRandom(3));
  network.variables.forEach((variable, i) => variable.assign(variable.rank === 1 ? tf.zeros(variable.shape) : tf.randomNormal(variable.shape, 0, 0.5, 'float32', 30 + i)));
  return { network, scale: categories === 256 ? 1 / 255 : 1, temperature, channelNames: ['R', 'G', 'B'] };
}

function recording(): { job: JobContext; frames: { panel: ViewPanel; progress?: number }[] } {
  const frames: { panel: ViewPanel; progress?: number }[] = [];
  return { job: { ...DETACHED_JOB, emit: (panel, progress) => void frames.push({ panel, progress }) }, frames };
}

const part = <K extends ViewPanel['kind']>(group: ViewPanel, kind: K) => (group as PanelGroup).panels.find((panel) => panel.kind === kind) as Extract<ViewPanel, { kind: K }>;

describe('the film of one image', () => {
  it.each([
    ['grey, 8-bit', [5, 5, 1], 256, 1],
    ['colour, 8-bit, at temperature 0.7', [3, 4, 3], 256, 0.7],
    ['grey, binary, argmax', [4, 4, 1], 1, 0],
  ] as const)('draws what the sampler draws from the same random numbers, showing each distribution (%s)', async (_name, shape, categories, temperature) => {
    const drawing = setup([...shape], categories, temperature);
    const before = tf.memory().numTensors;
    const { job, frames } = recording();
    const filmed = await filmOneImage(drawing, createRandom(9), job, 0);
    const sampled = new Float32Array(filmed.length);
    await samplePixels(drawing.network, sampled, 1, { random: createRandom(9), temperature, method: 'naive', scale: drawing.scale });
    expect(Array.from(filmed)).toEqual(Array.from(sampled));
    expect(tf.memory().numTensors).toBe(before);

    // a frame every few values, then the finished image
    const total = shape[0] * shape[1] * shape[2];
    expect(frames.length).toBeGreaterThan(Math.min(total, 100));
    const last = frames.at(-1)!;
    expect(last.progress).toBe(1);
    expect((last.panel as PanelGroup).panels).toHaveLength(1);
    const progress = frames.map((frame) => frame.progress!);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    for (const { panel } of frames.slice(0, -1)) {
      const chart = part(panel, 'histogram') as HistogramPanel;
      const p = Array.from(chart.series[0].counts);
      expect(p).toHaveLength(categories === 256 ? 256 : 2);
      expect(p.reduce((sum, value) => sum + value, 0)).toBeCloseTo(1, 4);
      const images = part(panel, 'image-grid') as ImageGridPanel;
      expect(images.count).toBe(2);
      expect(images.pixels).toHaveLength(2 * shape[0] * shape[1] * 3);
    }
    // the second frame's pixel (index 1 of a grey image, or the first pixel's G) sees the first pixel: blue, not amber or white
    const field = (part(frames[1].panel, 'image-grid') as ImageGridPanel).pixels.subarray(shape[0] * shape[1] * 3);
    if (shape[2] === 1) expect(field[2]).toBeGreaterThan(field[0]);
    drawing.network.dispose();
  });
});

describe('temperature and diversity', () => {
  it('draws each row from the same random numbers; argmax makes one image eight times', async () => {
    const drawing = setup([4, 4, 1], 256);
    const before = tf.memory().numTensors;
    const { job, frames } = recording();
    const result = await compareTemperatures(drawing, 21, job);
    expect(tf.memory().numTensors).toBe(before);
    expect(frames.length).toBe(COMPARED_TEMPERATURES.length * 4);
    const grid = part(result, 'image-grid') as ImageGridPanel;
    const bars = part(result, 'bars') as BarsPanel;
    const size = 16;
    expect(grid.count).toBe(COMPARED_TEMPERATURES.length * 8);
    for (const [row, temperature] of COMPARED_TEMPERATURES.entries()) {
      const expected = new Float32Array(8 * size);
      await samplePixels(drawing.network, expected, 8, { random: createRandom(21), temperature, method: 'naive', scale: drawing.scale });
      expect(Array.from(grid.pixels.subarray(row * 8 * size, (row + 1) * 8 * size))).toEqual(Array.from(expected, (value) => Math.round(value * 255)));
      expect(bars.values[row]).toBeCloseTo(meanPairDifference(expected, 8, size), 6);
    }
    expect(bars.values[0]).toBe(0);
    expect(bars.values[2]).toBeGreaterThan(0.05);
    drawing.network.dispose();
  });

  it('measures diversity as the mean difference of two images, per value', () => {
    // pairs: (a, b) differ by 1 in one of 2 values, (a, c) by 1 in both, (b, c) by 1 in one
    const canvas = Float32Array.from([0, 0, 1, 0, 1, 1]);
    expect(meanPairDifference(canvas, 3, 2)).toBeCloseTo((0.5 + 1 + 0.5) / 3, 6);
    expect(meanPairDifference(Float32Array.from([0.2, 0.4, 0.2, 0.4]), 2, 2)).toBe(0);
  });
});
