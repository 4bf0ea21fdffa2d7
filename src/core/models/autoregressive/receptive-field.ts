/**
 * Which input pixels one prediction depends on, found from gradients: the gradient of
 * log p(x_i | x_<i) with respect to every input value is non-zero only where the network
 * can see. For a PixelCNN it shows the cone that stacked masked convolutions grow, and the
 * blind spot up and to the right of the pixel that they never reach (van den Oord et al.
 * 2016b, "Conditional Image Generation with PixelCNN Decoders", figure 1,
 * https://arxiv.org/abs/1606.05328).
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageGridPanel } from '../../views/panels';
import { keepRowsApart } from '../conv-with-bias';
import { negLogLikelihood } from './pixel-likelihood';

export interface FieldNetwork {
  readonly shape: readonly [number, number, number];
  readonly reach: { up: number; side: number };
  /** The logits of the pixel at (row, column) of x alone through the head: [B, H, W, C] -> [B, C, K]. */
  logitsAt(x: tf.Tensor4D, row: number, column: number): tf.Tensor3D;
}

/**
 * sum over images b and input channels of |d log p(x_b[row, column, c] | ...) / d input_b|,
 * for each channel c of the pixel (or those asked for): [C, H, W]. inputs: the network's inputs [B, H, W, C];
 * values: what it predicts (bytes as int32, or 0/1). Its convolutions sum every output as
 * the direct convolution does (keepRowsApart): Winograd's F(4, 3) and F(4, 5) along a row
 * (../../wasm-simd/winograd.ts) take an output's sum through columns its window leaves out,
 * which cancel only up to rounding (a few millionths), and a zero here must mean unseen.
 * Only the one pixel goes through the head (logitsAt): through every pixel's, a colour
 * PixelCNN++'s logistic mixtures over all 256 values of all 2,352 values of 8 images took
 * most of its views' time, forwards and back, for a gradient that is zero from all but one.
 */
export async function gradientField(
  network: FieldNetwork,
  inputs: tf.Tensor4D,
  values: tf.Tensor4D,
  row: number,
  column: number,
  channels: readonly number[] = Array.from({ length: inputs.shape[3] }, (_, channel) => channel),
): Promise<Float32Array[]> {
  const batch = inputs.shape[0];
  const fields: Float32Array[] = [];
  for (const channel of channels) {
    const field = keepRowsApart(() => tf.tidy(() => {
      const logLikelihood = (x: tf.Tensor) => {
        const logits = network.logitsAt(x as tf.Tensor4D, row, column);
        // [B, C, K] -> [B, 1, 1, 1, K]: the distribution of this one value
        const categories = logits.shape[2];
        const one = logits.slice([0, channel, 0], [batch, 1, categories]).reshape([batch, 1, 1, 1, categories]) as tf.Tensor5D;
        const value = values.slice([0, row, column, channel], [batch, 1, 1, 1]);
        return negLogLikelihood(one, value).sum().neg() as tf.Scalar;
      };
      // [B, H, W, C] -> [H, W]: magnitudes summed over the images and the input channels
      return tf.grad(logLikelihood)(inputs).abs().sum([0, 3]) as tf.Tensor2D;
    }));
    fields.push((await field.data()) as Float32Array);
    field.dispose();
  }
  return fields;
}

const WHITE = [255, 255, 255];
const TARGET = [214, 39, 40];
const BLIND = [253, 174, 97];
const BEYOND = [226, 226, 226];
const LIGHT_BLUE = [198, 219, 239];
const DARK_BLUE = [8, 48, 107];

/**
 * The fields as RGB pictures, one per channel: the pixel in red; pixels it depends on in
 * blue (darker: larger gradient, on a log scale); earlier pixels within the network's
 * reach that it does not depend on in amber (the blind spot); earlier pixels beyond the
 * reach in grey; later pixels white.
 */
export function fieldPicture(fields: readonly Float32Array[], shape: readonly [number, number, number], reach: { up: number; side: number }, row: number, column: number): Uint8ClampedArray {
  const [height, width] = shape;
  const pixels = new Uint8ClampedArray(fields.length * height * width * 3);
  fields.forEach((field, picture) => {
    const seen = Array.from(field).filter((value) => value > 0);
    const [low, high] = [Math.log(Math.min(...seen, 1)), Math.log(Math.max(...seen, 1))];
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const i = r * width + c;
        let colour: number[];
        if (r === row && c === column) colour = TARGET;
        else if (r > row || (r === row && c > column)) colour = WHITE;
        else if (field[i] > 0) {
          const t = high > low ? (Math.log(field[i]) - low) / (high - low) : 1;
          colour = LIGHT_BLUE.map((light, k) => light + t * (DARK_BLUE[k] - light));
        } else if (row - r <= reach.up && Math.abs(c - column) <= reach.side) colour = BLIND;
        else colour = BEYOND;
        pixels.set(colour, (picture * height * width + i) * 3);
      }
    }
  });
  return pixels;
}

/** The receptive-field view of one pixel, each of its channels in turn: an RGB grid panel. */
export async function receptiveFieldPanel(network: FieldNetwork, inputs: tf.Tensor4D, values: tf.Tensor4D, channelNames: readonly string[]): Promise<ImageGridPanel> {
  const [height, width, channels] = network.shape;
  const [row, column] = [Math.floor(height / 2), Math.floor(width / 2)];
  const fields = await gradientField(network, inputs, values, row, column);
  const which = channels > 1 ? `Left to right: the prediction of its ${channelNames.join(', ')} value (G's and B's also see the values of the pixel before them). ` : '';
  return {
    kind: 'image-grid',
    id: 'receptive-field',
    title: 'What one prediction can see',
    caption:
      `The pixel in red (row ${row + 1}, column ${column + 1}) and, in blue, the pixels its prediction depends on: the gradient of its log-likelihood ` +
      `on ${inputs.shape[0]} test images (darker: larger). ${which}` +
      'Amber: earlier pixels within reach of the layers that it cannot see, the blind spot of stacked masked convolutions. Grey: earlier pixels beyond their reach. White: later pixels, which it must not see.',
    pixels: fieldPicture(fields, network.shape, network.reach, row, column),
    count: channels,
    height,
    width,
    channels: 3,
    columns: channels,
  };
}
