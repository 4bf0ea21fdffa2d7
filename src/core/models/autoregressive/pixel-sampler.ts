/**
 * Drawing images from an autoregressive model: one value at a time, in raster order and,
 * within a pixel, channel by channel, each value drawn from the model's distribution given
 * every value before it (van den Oord et al. 2016, "Pixel Recurrent Neural Networks",
 * section 2, https://arxiv.org/abs/1601.06759):
 *   x_i ~ p(x_i | x_1, ..., x_{i-1}),  i = 1..H*W*C
 * so an image takes H*W*C network passes. Each pass draws the value at one position in a
 * whole batch of images at once, so many samples cost little more than one.
 *
 * Three ways to run a pass, which draw the same values from the same random numbers:
 * - 'naive': the whole network on the whole image, for every value;
 * - 'cropped': the network on the window the value's prediction can depend on (its
 *   receptive field: `reach.up` rows above, `reach.side` columns either side), and the
 *   output layers on the one pixel. For a 28x28 image and a reach of 8 that is 9 x 17
 *   pixels instead of 784, and one pixel through the head instead of 784. Cropping is
 *   exact: an activation near the window's edge is wrong (zero padding stands in for the
 *   pixels cut off), but the error travels inwards one kernel half-width per layer, and
 *   the reach is the sum of those half-widths;
 * - 'cached': the network's own incremental pass, which keeps the activations that earlier
 *   values left behind and computes only the new pixel's, layer by layer (Ramachandran et
 *   al. 2017, "Fast Generation for Convolutional Autoregressive Models",
 *   https://arxiv.org/abs/1704.06001). Networks without one fall back to 'cropped'.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../random';
import { keepRowsApart } from '../conv-with-bias';
import { drawValues, type Categories } from './pixel-likelihood';

export type SamplingMethod = 'naive' | 'cropped' | 'cached';

/** What the sampler needs of a network. */
export interface PixelSamplingNetwork {
  readonly shape: readonly [number, number, number];
  readonly categories: Categories;
  /** How far back an output depends on the input: rows above, columns either side. */
  readonly reach: { up: number; side: number };
  /** [n, H, W, C] -> [n, H, W, C, K] */
  logits(x: tf.Tensor4D): tf.Tensor5D;
  /** The logits of the pixel at (row, column) of x: [n, h, w, C] -> [n, C, K]. */
  logitsAt(x: tf.Tensor4D, row: number, column: number): tf.Tensor3D;
  /** Its incremental pass over a canvas of `count` images, if it has one. */
  cachedPass?(canvas: Float32Array, count: number): ValuePass;
}

/** One way to compute the logits of the next value to draw. */
export interface ValuePass {
  /** The logits of value `channel` of pixel (row, column) in every image, every value before it drawn: [count, K]. */
  logits(row: number, column: number, channel: number): tf.Tensor2D;
  /** Every value of pixel (row, column) is drawn now (a cache takes in the pixel's activations). */
  pixelDrawn?(row: number, column: number): void;
  /** Frees what the pass keeps. */
  dispose?(): void;
}

export interface SamplingOptions {
  /** Uniform numbers, one per image per value, in the same order whatever the method. */
  random: Random;
  /** Divides the logits; 0 takes the most likely value (argmax). */
  temperature: number;
  method: SamplingMethod;
  /** The network's input for a drawn value v: v * scale (1/255 for 8-bit values, 1 for binary ones). */
  scale: number;
  /** Per image, the first pixel (raster index, row * W + column) to draw: earlier ones are kept as given (a completion). Absent: all drawn. */
  start?: readonly number[];
  /** Called after each row is complete: progress, partial pictures, cancellation (it may throw). */
  afterRow?(row: number): Promise<void>;
}

/**
 * Draws the values of `count` images in place. canvas: [count, H, W, C] network inputs,
 * row-major; values before an image's start are read, the rest are overwritten.
 */
export async function samplePixels(network: PixelSamplingNetwork, canvas: Float32Array, count: number, options: SamplingOptions): Promise<void> {
  const [height, width, channels] = network.shape;
  const { random, temperature, method, scale } = options;
  const start = options.start ?? new Array<number>(count).fill(0);
  if (canvas.length !== count * height * width * channels) throw new Error(`The canvas holds ${canvas.length} values, not ${count} images of ${height}x${width}x${channels}`);
  const at = (image: number, row: number, column: number, channel: number) => ((image * height + row) * width + column) * channels + channel;
  const earliest = Math.min(...start);
  const pass = openPass(network, canvas, count, method);
  try {
    for (let pixel = 0; pixel < height * width; pixel++) {
      const [row, column] = [Math.floor(pixel / width), pixel % width];
      // before every image's start nothing is drawn: a pass only if a cache must take the pixel in
      if (pixel < earliest) {
        pass.pixelDrawn?.(row, column);
        continue;
      }
      for (let channel = 0; channel < channels; channel++) {
        const u = Float32Array.from({ length: count }, () => random.next());
        // [count]: this value in every image
        const drawn = tf.tidy(() => drawValues(pass.logits(row, column, channel), tf.tensor1d(u), temperature));
        const values = await drawn.data();
        drawn.dispose();
        for (let image = 0; image < count; image++) if (pixel >= start[image]) canvas[at(image, row, column, channel)] = values[image] * scale;
      }
      pass.pixelDrawn?.(row, column);
      if (column === width - 1) await options.afterRow?.(row);
    }
  } finally {
    pass.dispose?.();
  }
}

/**
 * A pass of `method` over a canvas of `count` images (the network's own cache, where it has
 * one, for 'cached'), its convolutions summing as the direct ones do (keepRowsApart), so that
 * every method draws the same values to the bit.
 */
export function openPass(network: PixelSamplingNetwork, canvas: Float32Array, count: number, method: SamplingMethod): ValuePass {
  const pass = keepRowsApart(() => (method === 'cached' && network.cachedPass ? network.cachedPass(canvas, count) : stateless(network, canvas, count, method)));
  const { pixelDrawn, dispose } = pass;
  return {
    logits: (row, column, channel) => keepRowsApart(() => pass.logits(row, column, channel)),
    ...(pixelDrawn ? { pixelDrawn: (row: number, column: number) => keepRowsApart(() => pixelDrawn.call(pass, row, column)) } : {}),
    ...(dispose ? { dispose: () => dispose.call(pass) } : {}),
  };
}

/** The naive and the cropped pass, which keep nothing between values. */
function stateless(network: PixelSamplingNetwork, canvas: Float32Array, count: number, method: SamplingMethod): ValuePass {
  return {
    logits: (row, column, channel) =>
      method === 'naive' ? wholeImageLogits(network, canvas, count, row, column, channel) : windowLogits(network, canvas, count, row, column, channel),
  };
}

/** The whole network on the whole canvas, then one value picked out: [count, K]. */
function wholeImageLogits(network: PixelSamplingNetwork, canvas: Float32Array, count: number, row: number, column: number, channel: number): tf.Tensor2D {
  const [height, width, channels] = network.shape;
  const logits = network.logits(tf.tensor4d(canvas, [count, height, width, channels]));
  // [count, H, W, C, K] -> [count, 1, 1, 1, K] -> [count, K]
  return logits.slice([0, row, column, channel, 0], [count, 1, 1, 1, network.categories]).reshape([count, network.categories]);
}

/** The network on the window the value depends on, the head on its pixel: [count, K]. */
function windowLogits(network: PixelSamplingNetwork, canvas: Float32Array, count: number, row: number, column: number, channel: number): tf.Tensor2D {
  const [height, width, channels] = network.shape;
  const { up, side } = network.reach;
  // rows top..row and columns left..right (inclusive), clipped to the image, where padding is the truth
  const top = Math.max(0, row - up);
  const [left, right] = [Math.max(0, column - side), Math.min(width - 1, column + side)];
  const [rows, columns] = [row - top + 1, right - left + 1];
  const window = new Float32Array(count * rows * columns * channels);
  const span = columns * channels;
  for (let image = 0; image < count; image++) {
    for (let r = 0; r < rows; r++) {
      const from = ((image * height + top + r) * width + left) * channels;
      window.set(canvas.subarray(from, from + span), (image * rows + r) * span);
    }
  }
  // [count, rows, columns, C] -> [count, C, K] -> [count, C*K] -> [count, K]
  const logits = network.logitsAt(tf.tensor4d(window, [count, rows, columns, channels]), row - top, column - left);
  return logits.reshape([count, -1]).slice([0, channel * network.categories], [count, network.categories]) as tf.Tensor2D;
}
