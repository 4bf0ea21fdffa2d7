/**
 * PixelCNN++'s row-by-row sampling pass (pixelcnnpp-cache.ts) against the naive pass, which
 * runs the whole network for every value: the same values drawn from the same random
 * numbers for every combination of the switches that changes the wiring, grey and colour,
 * downsampling through all three scales, completions (rows kept as given), and no tensor
 * left behind. All on tiny networks.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { PixelCnnPlusPlusNetwork, type PixelCnnPlusPlusOptions } from '../../src/core/models/autoregressive/pixelcnnpp-network';
import { samplePixels, type SamplingMethod } from '../../src/core/models/autoregressive/pixel-sampler';
import { createRandom } from '../../src/core/random';

beforeAll(async () => {
  await useNodeBackend('wasm');
});
afterAll(async () => {
  await useNodeBackend('cpu');
});

type Shape = [number, number, number];

const DEFAULTS: PixelCnnPlusPlusOptions = { filters: 6, blocks: 1, likelihood: 'mixture', components: 3, wholePixel: true, downsample: true, shortcuts: true, gated: true, dropout: 0 };

/** A tiny network with biases away from 0, so that every output depends visibly on what it may see. */
function network(shape: Shape, options: Partial<PixelCnnPlusPlusOptions>): PixelCnnPlusPlusNetwork {
  const net = new PixelCnnPlusPlusNetwork(shape, { ...DEFAULTS, ...options }, createRandom(5));
  net.variables.forEach((variable, i) => variable.rank === 1 && variable.assign(tf.randomNormal(variable.shape, 0, 0.3, 'float32', 100 + i)));
  return net;
}

/** 3 images drawn by `method` from the same random numbers, the third a completion from value `start` (values before it kept as the fill gives them); no tensor left behind. */
async function draw(net: PixelCnnPlusPlusNetwork, method: SamplingMethod, start: number): Promise<number[]> {
  const size = net.shape[0] * net.shape[1] * net.shape[2];
  const canvas = Float32Array.from({ length: 3 * size }, (_, i) => (i % 7) / 6);
  const before = tf.memory().numTensors;
  await samplePixels(net, canvas, 3, { random: createRandom(11), temperature: 1, method, scale: 1 / 255, start: [0, 0, start] });
  expect(tf.memory().numTensors, method).toBe(before);
  return Array.from(canvas);
}

async function checkCached(shape: Shape, options: Partial<PixelCnnPlusPlusOptions>, start: number): Promise<void> {
  const net = network(shape, options);
  const [naive, cached] = [await draw(net, 'naive', start), await draw(net, 'cached', start)];
  expect(cached).toEqual(naive);
  // the draws vary, so that the comparison can fail
  expect(new Set(naive.slice(0, 2 * shape[0] * shape[1] * shape[2])).size).toBeGreaterThan(10);
  net.dispose();
}

/** Every combination of the switches that changes the streams' wiring, each with one of the three heads in turn. */
const HEADS = [{ likelihood: 'mixture', wholePixel: true }, { likelihood: 'mixture', wholePixel: false }, { likelihood: 'softmax', wholePixel: false }] as const;
const SWITCHES: [string, Partial<PixelCnnPlusPlusOptions>][] = [];
for (const downsample of [true, false]) {
  for (const shortcuts of [true, false]) {
    for (const gated of [true, false]) {
      const head = HEADS[SWITCHES.length % 3];
      SWITCHES.push([`${downsample ? 'stride 2' : 'full size'}, ${shortcuts ? 'short-cuts' : 'none'}, ${gated ? 'gated' : 'plain'}, ${head.likelihood}${head.wholePixel ? ' (whole pixels)' : ' (masks)'}`, { ...head, downsample, shortcuts, gated }]);
    }
  }
}

describe('the cached PixelCNN++ pass', () => {
  it.each(SWITCHES)('colour 4x4, %s: draws what the naive pass draws, a completion too, and leaks nothing', async (_, options) => {
    await checkCached([4, 4, 3], options, 5);
  });

  it.each([
    ['stride 2, two blocks a scale', { blocks: 2 }],
    ['full size, two blocks a scale', { blocks: 2, downsample: false }],
    ['stride 2, no short-cuts, plain', { shortcuts: false, gated: false }],
  ] as [string, Partial<PixelCnnPlusPlusOptions>][])('grey 8x8 (every row of every scale), %s: draws what the naive pass draws', async (_, options) => {
    // the third image keeps rows 0..4 and two pixels of row 5 as given: the kept rows of every scale come from pixels never drawn
    await checkCached([8, 8, 1], options, 42);
  });
});
