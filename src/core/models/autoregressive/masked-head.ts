/**
 * The output layers that PixelCNN, the gated PixelCNN and PixelRNN share (van den Oord et
 * al. 2016, "Pixel Recurrent Neural Networks", section 3.4, https://arxiv.org/abs/1601.06759):
 * two 1x1 convolutions from the features to K scores per value,
 *   logits = conv_1x1(relu(conv_1x1(features)))
 * masked like the layers below them (type B, one channel group per colour), so colour c's
 * scores read only the features of colours up to c.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../random';
import { MaskedConv2d } from './masked-conv';
import { runsProductSoftmax } from '../../wasm-simd/register';
import { negLogLikelihood, productSoftmaxCrossEntropy, type Categories } from './pixel-likelihood';

export class MaskedHead {
  private readonly hidden: MaskedConv2d;
  private readonly output: MaskedConv2d;

  constructor(
    private readonly features: number,
    private readonly channels: number,
    private readonly categories: Categories,
    random: Random,
  ) {
    this.hidden = new MaskedConv2d(1, features, features, 'B', channels, random);
    // output channel c * K + k is logit k of colour c: a block of K per colour, so group c of the mask is colour c
    this.output = new MaskedConv2d(1, features, channels * categories, 'B', channels, random);
  }

  get variables(): tf.Variable[] {
    return [...this.hidden.variables, ...this.output.variables];
  }

  /**
   * Floats a pixel's logits hold at the peak of a training step (with the networks' own
   * floatsPerExample): composed of TF.js's ops, 12 per logit (the logits, their softmax, the
   * one-hot target and the gradient's terms); in WASM's one pass (negLogLikelihood below) 1, the
   * softmax kept for the gradient, the logits and their gradient living only as chunks. Measured
   * with tf.profile, PixelCNN's defaults take 6.5 MB an image at batch 64 on WASM and 13.4 MB
   * composed (the CPU backend).
   */
  get floatsPerPixel(): number {
    const perLogit = this.categories > 1 && runsProductSoftmax({ features: this.features, categories: this.categories }) ? 1 : 12;
    return perLogit * this.channels * this.categories;
  }

  /** Logits from features, pixel by pixel: [B, h, w, F] -> [B, h, w, C, K]. */
  apply(features: tf.Tensor4D): tf.Tensor5D {
    return tf.tidy(() => {
      const out = this.output.apply(tf.relu(this.hidden.apply(features)));
      const [batch, height, width] = out.shape;
      // [B, h, w, C * K] -> [B, h, w, C, K]
      return out.reshape([batch, height, width, this.channels, this.categories]);
    });
  }

  /**
   * -log p(x) per image in nats, from the features: [B, h, w, F] and the values x [B, h, w,
   * C] -> [B]. As negLogLikelihood(apply(features), x), but for 256-way logits the output
   * layer and its softmax cross-entropy run together, so that on WASM the logits are never
   * written out whole (./pixel-likelihood.ts, productSoftmaxCrossEntropy).
   */
  negLogLikelihood(features: tf.Tensor4D, x: tf.Tensor4D): tf.Tensor1D {
    return tf.tidy(() => {
      if (this.categories === 1) return negLogLikelihood(this.apply(features), x);
      const [batch, height, width] = features.shape;
      const hidden = tf.relu(this.hidden.apply(features));
      const perPixel = hidden.shape[3];
      // [B, h, w, F] -> [B*h*w, F]; the output layer's masked 1x1 kernel [1, 1, F, C*K] -> [F, C*K]
      const rows = hidden.reshape([batch * height * width, perPixel]) as tf.Tensor2D;
      const weights = this.output.upperKernel().reshape([perPixel, this.channels * this.categories]) as tf.Tensor2D;
      // [B, h, w, C] -> [B*h*w*C]: one value per group of K logits, colour c's after those of its pixel's earlier colours
      const perValue = productSoftmaxCrossEntropy(rows, weights, this.output.bias, x.reshape([-1]).toInt() as tf.Tensor1D);
      // [B*h*w*C] -> [B, h*w*C] -> [B]
      return perValue.reshape([batch, -1]).sum(1) as tf.Tensor1D;
    });
  }

  /**
   * The logits of one pixel, at (row, column) of the features: [B, h, w, F] -> [B, C, K].
   * The head runs on that pixel alone, which is what makes a sampling pass cheap: for 8-bit
   * data it holds most of the multiplications.
   */
  at(features: tf.Tensor4D, row: number, column: number): tf.Tensor3D {
    return tf.tidy(() => {
      const [batch, , , width] = features.shape;
      // [B, h, w, F] -> [B, 1, 1, F]
      const pixel = features.slice([0, row, column, 0], [batch, 1, 1, width]);
      // [B, 1, 1, C, K] -> [B, C, K]
      return this.apply(pixel).reshape([batch, this.channels, this.categories]);
    });
  }

  dispose(): void {
    this.hidden.dispose();
    this.output.dispose();
  }
}
