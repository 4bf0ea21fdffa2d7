/**
 * The gated PixelCNN network: causality by gradients (grey and colour, 8-bit and binary),
 * its receptive field against the rectangle its two stacks cover (no blind spot, where the
 * plain PixelCNN with the same layers has one), the cropped and cached samplers against the naive one,
 * a falling loss on a fixed batch, and no tensor leaks. All on tiny networks.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { horizontalMask } from '../../src/core/models/autoregressive/gated-pixelcnn-convs';
import { GatedPixelCnnNetwork } from '../../src/core/models/autoregressive/gated-pixelcnn-network';
import type { Categories } from '../../src/core/models/autoregressive/pixel-likelihood';
import { PixelCnnNetwork, type PixelCnnSize } from '../../src/core/models/autoregressive/pixelcnn-network';
import { gradientField } from '../../src/core/models/autoregressive/receptive-field';
import { createRandom } from '../../src/core/random';
import type { ImageGridPanel } from '../../src/core/views/panels';
import { sessionFor, train } from './helpers';
import { checkCausality, expectSamplersAgree, onWasmBackend, randomize, seesValueBefore, tinyConfig, type Shape } from './autoregressive-test-helpers';

onWasmBackend();

/** A tiny gated network with visible weights (randomize's). */
function network(shape: Shape, categories: Categories, size: Partial<PixelCnnSize> = {}, scale = 1): GatedPixelCnnNetwork {
  const net = new GatedPixelCnnNetwork(shape, { layers: 2, filters: 12, kernel: 3, firstKernel: 5, ...size }, categories, createRandom(5));
  randomize(net.variables, scale);
  return net;
}

describe('the horizontal mask', () => {
  it('keeps the pixels to the left, and at the pixel itself splits channels into colour groups', () => {
    // grey, 1 x 3, type A: the last column (the pixel) is dropped; type B keeps it
    expect(Array.from(horizontalMask(3, 1, 1, 'A', 1))).toEqual([1, 1, 0]);
    expect(Array.from(horizontalMask(3, 1, 2, 'B', 1))).toEqual([1, 1, 1, 1, 1, 1]);
    // colour 1 x 2, input channel i (rows) to output channel o (columns), groups of two: the left pixel whole, then A strictly earlier colours
    const expected = [...Array(36).fill(1), ...[0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]];
    expect(Array.from(horizontalMask(2, 6, 6, 'A', 3))).toEqual(expected);
    expect(Array.from(horizontalMask(1, 3, 3, 'B', 3))).toEqual([1, 1, 1, 0, 1, 1, 0, 0, 1]);
  });
});

describe('causality by gradients', () => {
  const cases: [string, Shape, Categories, number, number][] = [
    ['grey, 8-bit, 3x3 after 5x5', [5, 6, 1], 256, 3, 5],
    ['grey, binary, 5x5 after 3x3', [6, 5, 1], 1, 5, 3],
    ['colour, 8-bit, 3x3 after 3x3', [4, 5, 3], 256, 3, 3],
    ['colour, binary, 3x3 after 5x5', [4, 4, 3], 1, 3, 5],
  ];
  it.each(cases)('%s: output i never depends on input i or later, and does depend on the value before it', async (_, shape, categories, kernel, firstKernel) => {
    const before = tf.memory().numTensors;
    const net = network(shape, categories, { kernel, firstKernel });
    await checkCausality(net, shape, { images: 8, categories }, seesValueBefore);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('the receptive field', () => {
  it('is the whole rectangle the two stacks reach, with no blind spot, where the plain PixelCNN with the same layers misses (r-1, c+2)', async () => {
    const shape: Shape = [8, 10, 1];
    const size = { layers: 2, filters: 12, kernel: 3, firstKernel: 3 };
    const gated = network(shape, 256, size);
    const plain = new PixelCnnNetwork(shape, size, 256, createRandom(5));
    randomize(plain.variables, 1);
    const inputs = tf.randomNormal([8, ...shape], 0, 1, 'float32', 3) as tf.Tensor4D;
    const values = tf.randomUniform([8, ...shape], 0, 256, 'int32', 4) as tf.Tensor4D;
    const [row, column] = [5, 4];
    const [gatedField] = await gradientField(gated, inputs, values, row, column);
    const [plainField] = await gradientField(plain, inputs, values, row, column);
    const at = (r: number, c: number) => r * shape[1] + c;
    // up and to the right: seen by the gated network only
    expect(gatedField[at(row - 1, column + 2)]).toBeGreaterThan(0);
    expect(plainField[at(row - 1, column + 2)]).toBe(0);
    // reach: 1 (3x3 first layer) + 2 x 1 columns either side; rows: one more, for the shift down
    expect(gated.reach).toEqual({ up: 4, side: 3 });
    for (let r = 0; r < shape[0]; r++) {
      for (let c = 0; c < shape[1]; c++) {
        // the rows above within reach, the whole width of the window; the pixels to the left in its own row
        const above = r < row && row - r <= gated.reach.up && Math.abs(c - column) <= gated.reach.side;
        const left = r === row && c < column && column - c <= gated.reach.side;
        expect(gatedField[at(r, c)] > 0, `d log p(x[${row},${column}]) / d x[${r},${c}]`).toBe(above || left);
      }
    }
    gated.dispose();
    plain.dispose();
    tf.dispose([inputs, values]);
  });
});

describe('sampling', () => {
  const cases: [string, Shape, Categories, Partial<PixelCnnSize>][] = [
    ['grey, 8-bit, 3x3 after 5x5', [7, 9, 1], 256, { kernel: 3, firstKernel: 5, layers: 2 }],
    ['colour, 8-bit, 3x3 after 3x3', [5, 5, 3], 256, { kernel: 3, firstKernel: 3, layers: 1 }],
    ['grey, binary, 5x5 after 3x3', [6, 8, 1], 1, { kernel: 5, firstKernel: 3, layers: 2 }],
    ['colour, binary, 3x3 after 5x5', [5, 4, 3], 1, { kernel: 3, firstKernel: 5, layers: 1 }],
  ];
  it.each(cases)('%s: the cropped and the cached sampler draw exactly what the naive one draws, completions too, and leak nothing', async (_, shape, categories, layers) => {
    // weights small enough that the draws vary (large ones make every Bernoulli certain)
    const net = network(shape, categories, layers, 0.5);
    // the last two images are completions, kept up to pixel 9 and 17
    await expectSamplersAgree(net, [0, 0, 0, 9, 17]);
    net.dispose();
  });
});

describe('training', () => {
  it('the loss falls on a fixed batch, 8-bit and binary, with no tensor left behind by steps or dispose', async () => {
    for (const categories of [256, 1] as const) {
      const before = tf.memory().numTensors;
      const shape: Shape = [8, 8, 1];
      const net = new GatedPixelCnnNetwork(shape, { layers: 2, filters: 8, kernel: 3, firstKernel: 3 }, categories, createRandom(2));
      // four images of diagonal stripes, each at its own offset: structure the network can learn
      const bytes = Array.from({ length: 4 * 64 }, (_, i) => ((Math.floor(i / 64) + (i % 64) % 8 + Math.floor((i % 64) / 8)) % 4) * 80);
      const values = categories === 256 ? tf.tensor4d(bytes, [4, ...shape], 'int32') : tf.tensor4d(bytes.map((v) => (v > 127 ? 1 : 0)), [4, ...shape]);
      const input = categories === 256 ? tf.tidy(() => values.toFloat().div(255) as tf.Tensor4D) : values;
      const optimizer = tf.train.adam(0.01);
      const losses: number[] = [];
      let settled = 0;
      for (let step = 0; step < 25; step++) {
        const loss = optimizer.minimize(() => net.negLogLikelihood(input, values, true).mean() as tf.Scalar, true, net.variables)!;
        losses.push((await loss.data())[0]);
        loss.dispose();
        // the first step creates Adam's moments: count from after it
        if (step === 0) settled = tf.memory().numTensors;
        else expect(tf.memory().numTensors).toBe(settled);
      }
      expect(losses[24], `K = ${categories}`).toBeLessThan(losses[0] * 0.6);
      optimizer.dispose();
      net.dispose();
      tf.dispose([values, input]);
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});

describe('the PixelCNN model with architecture=gated', () => {
  it('trains, and its receptive-field view shows no blind spot where the plain one shows one; leaks nothing', async () => {
    const amber = [253, 174, 97];
    const blindSpots: Record<string, number> = {};
    for (const architecture of ['plain', 'gated']) {
      const before = tf.memory().numTensors;
      const session = await sessionFor(tinyConfig('pixelcnn', { architecture, filters: 6, layers: 2, kernel: '3', first_kernel: '3', batch: 4 }));
      const [metrics] = await train(session, 1);
      expect(Number.isFinite(metrics.bits_per_dim), architecture).toBe(true);
      const field = (await session.views()).find((panel) => panel.id === 'receptive-field') as ImageGridPanel;
      blindSpots[architecture] = Array.from({ length: field.height * field.width }, (_, i) => Array.from(field.pixels.subarray(3 * i, 3 * i + 3))).filter((colour) => colour.every((value, k) => value === amber[k])).length;
      session.dispose();
      expect(tf.memory().numTensors, architecture).toBe(before);
    }
    expect(blindSpots.plain).toBeGreaterThan(0);
    expect(blindSpots.gated).toBe(0);
  });
});
