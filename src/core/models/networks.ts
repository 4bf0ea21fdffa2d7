/**
 * Encoder and decoder stacks, shared by the families. Dense stacks flatten an image (a
 * point is already flat); convolutional stacks halve the resolution with stride-2
 * convolutions on the way down and double it with upsampling + convolution (or a
 * transposed convolution) on the way up. Every initializer is seeded from the run's
 * random source.
 */
import * as tf from '@tensorflow/tfjs';
import { exampleSize } from '../datasets/catalog';
import type { Random } from '../random';
import { lazyConv2d, lazyDense } from './lazy-layers';

export type Activation = 'relu' | 'elu' | 'tanh' | 'swish';
export type Upsampling = 'nearest' | 'bilinear' | 'transpose';
type ImageShape = readonly [number, number, number];
/** [H, W, C] for an image, [2] for a point. */
export type ExampleShape = readonly number[];

/** Glorot-uniform initial weights, seeded from the run's random source. */
export const seeded = (random: Random) => tf.initializers.glorotUniform({ seed: random.seed() });

/** [B, H, W, C] or [B, D] -> [B, outUnits]: flatten, hidden dense layers, a linear output layer. */
export function denseEncoder(shape: ExampleShape, hidden: readonly number[], outUnits: number, activation: Activation, random: Random): tf.Sequential {
  const model = tf.sequential();
  // [B, H, W, C] -> [B, H*W*C]; a point [B, D] is flat already
  if (shape.length > 1) model.add(tf.layers.flatten({ inputShape: [...shape] }));
  else model.add(tf.layers.inputLayer({ inputShape: [...shape] }));
  for (const units of hidden) model.add(tf.layers.dense({ units, activation, kernelInitializer: seeded(random) }));
  model.add(tf.layers.dense({ units: outUnits, kernelInitializer: seeded(random) }));
  return model;
}

/**
 * What a decoder's last layer emits: pixel values in [0, 1] (sigmoid); the logits l of
 * Bernoulli pixels, p = sigmoid(l), from which log-likelihoods are computed stably; or
 * any real value (linear: the coordinates of a point).
 */
export type DecoderOutput = 'sigmoid' | 'logits' | 'linear';
const outputActivation = (output: DecoderOutput) => (output === 'sigmoid' ? 'sigmoid' : 'linear');

/** [B, inUnits] -> [B, H, W, C] (or [B, D]): the hidden widths in reverse, then the output layer. */
export function denseDecoder(
  shape: ExampleShape,
  hidden: readonly number[],
  inUnits: number,
  activation: Activation,
  random: Random,
  output: DecoderOutput = 'sigmoid',
): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.inputLayer({ inputShape: [inUnits] }));
  for (const units of [...hidden].reverse()) model.add(tf.layers.dense({ units, activation, kernelInitializer: seeded(random) }));
  // sigmoid keeps x_hat in [0, 1], the range of the pixels
  model.add(tf.layers.dense({ units: exampleSize(shape), activation: outputActivation(output), kernelInitializer: seeded(random) }));
  // [B, H*W*C] -> [B, H, W, C]
  if (shape.length > 1) model.add(tf.layers.reshape({ targetShape: [...shape] }));
  return model;
}

/**
 * [B, H, W, C] -> [B, outUnits]: 3x3 convolutions of stride 2 (28 -> 14 -> 7 for two
 * layers), then flatten and a linear bottleneck. With outUnits = 0 the feature map itself
 * is the code: no fully connected layer at all.
 */
export function convEncoder(shape: ImageShape, channels: readonly number[], outUnits: number, activation: Activation, random: Random): tf.Sequential {
  const model = tf.sequential();
  channels.forEach((filters, index) =>
    model.add(
      // lazily differentiated: an energy's input gradient (Langevin) needs no filter gradients (./lazy-layers.ts)
      lazyConv2d({
        filters,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation,
        kernelInitializer: seeded(random),
        ...(index === 0 ? { inputShape: [...shape] } : {}),
      }),
    ),
  );
  if (outUnits > 0) {
    // [B, H/2^L, W/2^L, C_L] -> [B, H/2^L * W/2^L * C_L]
    model.add(tf.layers.flatten());
    model.add(lazyDense({ units: outUnits, kernelInitializer: seeded(random) }));
  }
  return model;
}

/** The resolution after `layers` stride-2 'same' convolutions: ceil(size / 2) each time. */
export function downsampledSize(size: number, layers: number): number {
  let result = size;
  for (let i = 0; i < layers; i++) result = Math.ceil(result / 2);
  return result;
}

/**
 * [B, inUnits] -> [B, H, W, C]: a dense layer to the smallest feature map (skipped when
 * inUnits = 0 and the code is already that map), then per level an upsampling by 2 and a
 * 3x3 convolution (or one stride-2 transposed convolution), a crop back to the image size
 * (28 is not a power of two), and a sigmoid 3x3 convolution to the image's channels.
 */
export function convDecoder(
  shape: ImageShape,
  channels: readonly number[],
  inUnits: number,
  activation: Activation,
  upsampling: Upsampling,
  random: Random,
  output: DecoderOutput = 'sigmoid',
): tf.Sequential {
  const levels = channels.length;
  const small = [downsampledSize(shape[0], levels), downsampledSize(shape[1], levels)] as const;
  const reversed = [...channels].reverse();
  const model = tf.sequential();
  if (inUnits > 0) {
    model.add(tf.layers.dense({ units: small[0] * small[1] * reversed[0], activation, kernelInitializer: seeded(random), inputShape: [inUnits] }));
    // [B, h*w*C] -> [B, h, w, C]
    model.add(tf.layers.reshape({ targetShape: [small[0], small[1], reversed[0]] }));
  } else {
    model.add(tf.layers.inputLayer({ inputShape: [small[0], small[1], reversed[0]] }));
  }
  reversed.forEach((filters) => {
    if (upsampling === 'transpose') {
      model.add(tf.layers.conv2dTranspose({ filters, kernelSize: 3, strides: 2, padding: 'same', activation, kernelInitializer: seeded(random) }));
    } else {
      model.add(tf.layers.upSampling2d({ size: [2, 2], interpolation: upsampling }));
      model.add(tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation, kernelInitializer: seeded(random) }));
    }
  });
  const [upH, upW] = [small[0] * 2 ** levels, small[1] * 2 ** levels];
  if (upH !== shape[0] || upW !== shape[1]) {
    // e.g. 7 -> 14 -> 28 needs no crop, but 4 -> 8 -> 16 -> 32 must lose 4 rows for 28.
    model.add(tf.layers.cropping2D({ cropping: [[0, upH - shape[0]], [0, upW - shape[1]]] }));
  }
  model.add(tf.layers.conv2d({ filters: shape[2], kernelSize: 3, padding: 'same', activation: outputActivation(output), kernelInitializer: seeded(random) }));
  return model;
}

/** The variables of some layer stacks, for an optimizer's explicit variable list. */
export function trainableVariables(...models: tf.LayersModel[]): tf.Variable[] {
  return models.flatMap((model) => model.trainableWeights.map((weight) => weight.read() as tf.Variable));
}

/** Numbers each example passes through some layer stacks: the sum of their layers' output sizes. */
export function activationsPerExample(...models: tf.LayersModel[]): number {
  let total = 0;
  for (const model of models) {
    for (const layer of model.layers) {
      const shapes = (Array.isArray(layer.outputShape[0]) ? layer.outputShape : [layer.outputShape]) as (number | null)[][];
      for (const shape of shapes) total += shape.reduce<number>((product, size) => product * (size ?? 1), 1);
    }
  }
  return total;
}

/**
 * Bytes a training step of some layer stacks needs at a batch size, from their shapes:
 * every activation is kept for the backward pass and gets a gradient and temporaries
 * (about 3 floats each), and every weight has a gradient and Adam's two moments (4 floats).
 */
export function trainingStepBytes(batchSize: number, ...models: tf.LayersModel[]): number {
  const weights = models.reduce((sum, model) => sum + model.countParams(), 0);
  return 4 * (3 * batchSize * activationsPerExample(...models) + 4 * weights);
}

/** Bytes a held-out chunk may take: examples per chunk follow from the model's size (forward only: about 2 floats an activation). */
export const EVALUATION_CHUNK_BYTES = 128 * 2 ** 20;

/** Examples per chunk so that a forward pass through these stacks stays within EVALUATION_CHUNK_BYTES, at most `most`. */
export function examplesPerChunk(most: number, ...models: tf.LayersModel[]): number {
  return Math.max(1, Math.min(most, Math.floor(EVALUATION_CHUNK_BYTES / (8 * activationsPerExample(...models)))));
}
