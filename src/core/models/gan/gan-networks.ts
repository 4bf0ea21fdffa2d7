/**
 * The two networks of a GAN, for 2-D points and for images.
 *
 * Points: dense layers; D with LeakyReLU, so a fake in a region D has flattened still gets
 * a gradient.
 *
 * Images: DCGAN (Radford et al. 2016, "Unsupervised Representation Learning with Deep
 * Convolutional Generative Adversarial Networks", https://arxiv.org/abs/1511.06434). G
 * grows a 4x smaller map to the image, doubling it twice by upsampling and a 3x3
 * convolution (which avoids the checkerboard of transposed convolutions), with batch
 * normalization and ReLU between; D halves the image twice with stride-2 convolutions and
 * LeakyReLU. D has no batch normalization, so the Wasserstein critic's gradient penalty
 * stays per example.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../random';
import { lazyConv2d } from '../lazy-layers';
import { seeded } from '../networks';


/** LeakyReLU slope in D. */
const LEAKY_SLOPE = 0.2;


/**
 * With `classes` > 0 the GAN is class-conditional (Mirza and Osindero 2014, "Conditional
 * Generative Adversarial Nets", https://arxiv.org/abs/1411.1784): G reads the noise with a
 * one-hot class appended, and D reads the example with the class appended (a point gets C
 * more coordinates, an image C more channels, constant over its pixels).
 */
export interface GanNetworks {
  /** [B, noise + classes] -> [B, 2] or [B, H, W, C] in [0, 1]. */
  generator: tf.Sequential;
  /** D's hidden layers: an example (with its class) to its features, [B, ...] -> [B, featureSize]. */
  body: tf.Sequential;
  featureSize: number;
}

export function denseNetworks(noise: number, classes: number, hidden: readonly number[], activation: 'relu' | 'tanh', random: Random): GanNetworks {
  const generator = tf.sequential();
  generator.add(tf.layers.inputLayer({ inputShape: [noise + classes] }));
  for (const units of hidden) generator.add(tf.layers.dense({ units, activation, kernelInitializer: seeded(random) }));
  generator.add(tf.layers.dense({ units: 2, kernelInitializer: seeded(random) }));

  const body = tf.sequential();
  body.add(tf.layers.inputLayer({ inputShape: [2 + classes] }));
  for (const units of hidden) {
    body.add(tf.layers.dense({ units, kernelInitializer: seeded(random) }));
    body.add(tf.layers.leakyReLU({ alpha: LEAKY_SLOPE }));
  }
  return { generator, body, featureSize: hidden[hidden.length - 1] };
}

/** channels: D's two convolutions' widths, [c1, c2]; G mirrors them, c2 then c1. */
export function convNetworks(shape: readonly [number, number, number], noise: number, classes: number, channels: readonly number[], random: Random): GanNetworks {
  const [height, width, depth] = shape;
  const [narrow, wide] = [channels[0], channels[channels.length - 1]];
  // the map G starts from: a quarter of the image, rounded up (28 -> 7, 32 -> 8)
  const [baseH, baseW] = [Math.ceil(height / 4), Math.ceil(width / 4)];

  const generator = tf.sequential();
  generator.add(tf.layers.dense({ units: baseH * baseW * wide, inputShape: [noise + classes], useBias: false, kernelInitializer: seeded(random) }));
  generator.add(tf.layers.batchNormalization());
  generator.add(tf.layers.reLU());
  // [B, baseH * baseW * wide] -> [B, baseH, baseW, wide]
  generator.add(tf.layers.reshape({ targetShape: [baseH, baseW, wide] }));
  generator.add(tf.layers.upSampling2d({ size: [2, 2] }));
  generator.add(tf.layers.conv2d({ filters: narrow, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: seeded(random) }));
  generator.add(tf.layers.batchNormalization());
  generator.add(tf.layers.reLU());
  generator.add(tf.layers.upSampling2d({ size: [2, 2] }));
  // sigmoid: pixels in [0, 1], like the data
  generator.add(tf.layers.conv2d({ filters: depth, kernelSize: 3, padding: 'same', activation: 'sigmoid', kernelInitializer: seeded(random) }));
  // [B, 4 baseH, 4 baseW, C] -> [B, H, W, C] when the size is not a multiple of 4
  if (4 * baseH !== height || 4 * baseW !== width) generator.add(tf.layers.cropping2D({ cropping: [[0, 4 * baseH - height], [0, 4 * baseW - width]] }));

  const body = tf.sequential();
  // lazily differentiated: the generator's step needs D's input gradient only (../lazy-layers.ts)
  body.add(lazyConv2d({ filters: narrow, kernelSize: 3, strides: 2, padding: 'same', inputShape: [height, width, depth + classes], kernelInitializer: seeded(random) }));
  body.add(tf.layers.leakyReLU({ alpha: LEAKY_SLOPE }));
  body.add(lazyConv2d({ filters: wide, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: seeded(random) }));
  body.add(tf.layers.leakyReLU({ alpha: LEAKY_SLOPE }));
  // [B, H/4, W/4, wide] -> [B, H/4 * W/4 * wide]
  body.add(tf.layers.flatten());
  return { generator, body, featureSize: baseH * baseW * wide };
}
