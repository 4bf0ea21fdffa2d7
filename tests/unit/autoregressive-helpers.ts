/**
 * What the autoregressive networks' tests share: the gradient that shows which inputs one
 * predicted value depends on, and the same images drawn by every way of running a
 * sampling pass.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { samplePixels, type PixelSamplingNetwork, type SamplingMethod } from '../../src/core/models/autoregressive/pixel-sampler';
import { createRandom } from '../../src/core/random';

/**
 * |d (projection . scores of value (row, column, channel)) / d x|, summed over the images:
 * [H * W * C], in raster-and-channel order (flat index j is value j). The projection mixes
 * the K scores at random, so no output is a constant of the inputs by accident.
 */
export async function valueGradient(net: { logits(x: tf.Tensor4D): tf.Tensor5D }, x: tf.Tensor4D, projection: tf.Tensor, row: number, column: number, channel: number): Promise<Float32Array> {
  const [images, categories] = [x.shape[0], projection.size];
  const gradient = tf.tidy(() =>
    tf.grad((input: tf.Tensor) => net.logits(input as tf.Tensor4D).slice([0, row, column, channel, 0], [images, 1, 1, 1, categories]).mul(projection).sum())(x).abs().sum(0),
  );
  const values = (await gradient.data()) as Float32Array;
  gradient.dispose();
  return values;
}

/**
 * `count` images drawn by each pass method from the same random numbers, on canvases that
 * start as `fill` gives (what a completion keeps before its start); each method leaks no tensor.
 */
export async function drawnByEachMethod(
  net: PixelSamplingNetwork,
  count: number,
  options: { scale: number; start: number[]; fill: (index: number) => number },
): Promise<Record<SamplingMethod, Float32Array>> {
  const size = net.shape[0] * net.shape[1] * net.shape[2];
  const drawn = {} as Record<SamplingMethod, Float32Array>;
  for (const method of ['naive', 'cropped', 'cached'] as const) {
    const canvas = Float32Array.from({ length: count * size }, (_, i) => options.fill(i));
    const before = tf.memory().numTensors;
    await samplePixels(net, canvas, count, { random: createRandom(11), temperature: 1, method, scale: options.scale, start: options.start });
    expect(tf.memory().numTensors, method).toBe(before);
    drawn[method] = canvas;
  }
  return drawn;
}
