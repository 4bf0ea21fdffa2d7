/**
 * The PixelCNN network (van den Oord et al. 2016, "Pixel Recurrent Neural Networks",
 * section 3.4, https://arxiv.org/abs/1601.06759): a masked convolution of type A over the
 * image, a stack of type-B masked convolutions with residual connections, then two 1x1
 * convolutions (also masked, so colour groups stay apart) to K logits per value.
 *
 *   h_0 = conv_A(x)
 *   h_l = h_{l-1} + conv_B(relu(h_{l-1})),   l = 1..L
 *   logits = conv_1x1(relu(conv_1x1(relu(h_L))))
 *
 * Every output depends only on values before it in raster and channel order; the cost is
 * a blind spot: stacked masked windows never reach the pixels up and to the right of the
 * cone they grow (the gated PixelCNN's two stacks remove it).
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../random';
import type { AutoregressiveNetwork } from './autoregressive-network';
import { MaskedConv2d } from './masked-conv';
import { MaskedHead } from './masked-head';
import type { Categories } from './pixel-likelihood';
import type { ValuePass } from './pixel-sampler';
import { CachedPixelCnnPass } from './pixelcnn-cache';

export interface PixelCnnSize {
  /** Type-B residual layers after the first (type-A) one. */
  layers: number;
  /** Feature maps of every hidden layer. */
  filters: number;
  /** Kernel size of the type-B layers (odd). */
  kernel: number;
  /** Kernel size of the type-A layer (odd). */
  firstKernel: number;
}

export class PixelCnnNetwork implements AutoregressiveNetwork {
  readonly channels: number;
  readonly first: MaskedConv2d;
  readonly blocks: MaskedConv2d[];
  /** The two masked 1x1 layers to K logits per value. */
  readonly head: MaskedHead;
  /** How far back an output reaches: `up` rows above it, and `side` columns either side of it. */
  readonly reach: { up: number; side: number };

  constructor(
    readonly shape: readonly [number, number, number],
    private readonly size: PixelCnnSize,
    readonly categories: Categories,
    random: Random,
  ) {
    const channels = shape[2];
    this.channels = channels;
    // one channel group per colour: R's features see no value of their own pixel, G's see its R, B's its R and G
    const groups = channels;
    this.first = new MaskedConv2d(size.firstKernel, channels, size.filters, 'A', groups, random);
    this.blocks = Array.from({ length: size.layers }, () => new MaskedConv2d(size.kernel, size.filters, size.filters, 'B', groups, random));
    this.head = new MaskedHead(size.filters, channels, categories, random);
    const reach = this.first.reach + size.layers * ((size.kernel - 1) / 2);
    this.reach = { up: reach, side: reach };
  }

  get variables(): tf.Variable[] {
    return [this.first, ...this.blocks, this.head].flatMap((layer) => layer.variables);
  }

  /** The features every output is computed from: [B, h, w, C] -> [B, h, w, F]. */
  features(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let h = this.first.apply(x);
      // h_l = h_{l-1} + conv_B(relu(h_{l-1})): the identity path is a 1x1 'B' mask, so it keeps causality
      for (const block of this.blocks) h = h.add(block.apply(tf.relu(h)));
      return tf.relu(h);
    });
  }

  /** [B, H, W, C] -> [B, H, W, C, K] */
  logits(x: tf.Tensor4D): tf.Tensor5D {
    return tf.tidy(() => this.head.apply(this.features(x)));
  }

  /** The logits of one pixel, at (row, column) of x, the head on that pixel alone: [B, h, w, C] -> [B, C, K]. */
  logitsAt(x: tf.Tensor4D, row: number, column: number): tf.Tensor3D {
    return tf.tidy(() => this.head.at(this.features(x), row, column));
  }

  /** -log p(x) per image in nats, from the logits of every value: [B, H, W, C] -> [B]. */
  negLogLikelihood(input: tf.Tensor4D, values: tf.Tensor4D): tf.Tensor1D {
    return tf.tidy(() => this.head.negLogLikelihood(this.features(input), values));
  }

  /** The sampler's fast pass: activations of drawn pixels kept, one pixel computed per value. */
  cachedPass(canvas: Float32Array, count: number): ValuePass {
    return new CachedPixelCnnPass(this, canvas, count);
  }

  /**
   * Floats one example holds at the peak of a training step, as measured with tf.profile on
   * WASM (TF.js keeps every activation and every gradient of the backward pass until it
   * ends): about 5 per hidden activation (4.1 measured), and the logits' (the head's
   * floatsPerPixel).
   */
  get floatsPerExample(): number {
    const [height, width] = this.shape;
    const { layers, filters } = this.size;
    // activations a pixel: the first layer, two per residual layer (relu, sum), the final relu and two in the head
    return height * width * (5 * filters * (2 * layers + 4) + this.head.floatsPerPixel);
  }

  dispose(): void {
    [this.first, ...this.blocks, this.head].forEach((layer) => layer.dispose());
  }
}
