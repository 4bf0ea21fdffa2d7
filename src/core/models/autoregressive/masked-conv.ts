/**
 * The masked convolution of PixelCNN.
 *
 * Paper: A. van den Oord, N. Kalchbrenner and K. Kavukcuoglu, "Pixel Recurrent Neural
 * Networks", ICML 2016, section 3.4 and figure 4. https://arxiv.org/abs/1601.06759
 *
 * Pixels are read in raster order (row by row, left to right) and, within a pixel, channel
 * by channel (R, then G, then B). A prediction for value i may depend only on values
 * before i, so every kernel is multiplied by a constant 0/1 mask: the rows above the
 * centre and the pixels left of it in the centre row are kept, the rest of the window is
 * zeroed. At the centre pixel itself, channels are split into as many groups as the image
 * has channels (the feature maps too), and
 *   mask 'A' (first layer): group g may read only groups g' < g of the same pixel,
 *   mask 'B' (later layers): group g may read groups g' <= g,
 * so R's features never see the pixel's own values, G's see its R, B's see its R and G.
 * On grey images there is one group: 'A' removes the centre, 'B' keeps it.
 *
 * The mask multiplies the kernel inside the forward pass, so the gradient of a masked
 * weight is exactly zero and autodiff needs no custom backward pass.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../random';
import { convolveWithBias } from '../conv-with-bias';

export type MaskType = 'A' | 'B';

/** Which of `groups` channel groups channel `index` of `count` belongs to: consecutive blocks of (nearly) equal size. */
export function channelGroup(index: number, count: number, groups: number): number {
  return Math.floor((index * groups) / count);
}

/**
 * The 0/1 mask of a kernel [k, k, inChannels, outChannels] (k odd), in raster order with
 * channels split into `groups` (1 for grey images, 3 for colour).
 */
export function maskValues(kernel: number, inChannels: number, outChannels: number, type: MaskType, groups: number): Float32Array {
  const mask = new Float32Array(kernel * kernel * inChannels * outChannels);
  const centre = (kernel - 1) / 2;
  for (let row = 0; row < kernel; row++) {
    for (let column = 0; column < kernel; column++) {
      for (let i = 0; i < inChannels; i++) {
        for (let o = 0; o < outChannels; o++) {
          let keep: boolean;
          if (row !== centre) keep = row < centre;
          else if (column !== centre) keep = column < centre;
          else {
            const [from, to] = [channelGroup(i, inChannels, groups), channelGroup(o, outChannels, groups)];
            keep = type === 'A' ? from < to : from <= to;
          }
          // [k, k, in, out], row-major like the kernel
          if (keep) mask[((row * kernel + column) * inChannels + i) * outChannels + o] = 1;
        }
      }
    }
  }
  return mask;
}

/**
 * A stride-1, 'same'-padded convolution whose kernel is masked for raster-order causality.
 *
 * The rows of the window below the centre are wholly masked, so the convolution runs over
 * the rows down to the centre only, [reach + 1, k], with `reach` rows of padding above the
 * image and none below: the same sums without the masked taps' zero products, which in a
 * 5 x 5 window are 10 of 25 (40% of the work, forward and backward).
 */
export class MaskedConv2d {
  readonly kernel: tf.Variable<tf.Rank.R4>;
  readonly bias: tf.Variable<tf.Rank.R1>;
  /** The mask of the rows down to the centre, [reach + 1, k, in, out]: below them it is all zero. */
  private readonly upperMask: tf.Tensor4D;

  constructor(
    readonly size: number,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly type: MaskType,
    groups: number,
    random: Random,
  ) {
    if (size % 2 !== 1) throw new Error(`A masked convolution needs an odd kernel size, not ${size}`);
    const shape: [number, number, number, number] = [size, size, inChannels, outChannels];
    const mask = maskValues(size, inChannels, outChannels, type, groups);
    // [k, k, in, out] row-major: the first reach + 1 rows are a prefix of the values
    this.upperMask = tf.tensor4d(mask.subarray(0, (this.reach + 1) * size * inChannels * outChannels), [this.reach + 1, size, inChannels, outChannels]);
    // Glorot over the weights the mask keeps: a type-A 3x3 window keeps 4 of its 9 pixels, and the full window's fan-in would start it too small.
    const kept = mask.reduce((sum, value) => sum + value, 0);
    const limit = Math.sqrt(6 / Math.max(1, kept / outChannels + kept / inChannels));
    this.kernel = tf.tidy(() => tf.variable(tf.randomUniform(shape, -limit, limit, 'float32', random.seed()))) as tf.Variable<tf.Rank.R4>;
    this.bias = tf.tidy(() => tf.variable(tf.zeros([outChannels]))) as tf.Variable<tf.Rank.R1>;
  }

  get variables(): tf.Variable[] {
    return [this.kernel, this.bias];
  }

  /** [B, H, W, in] -> [B, H, W, out] */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      // y = (W * M) conv x + b: the masked weights get a zero gradient through the product
      const upper = this.upperKernel();
      if (this.size === 1) {
        // A 1x1 convolution is a product of matrices over the pixels, and on WASM its backward pass is 3x faster as one.
        const [batch, height, width] = x.shape;
        // [B, H, W, in] -> [B*H*W, in] -> [B*H*W, out] -> [B, H, W, out]
        // the bias fused in: one [B*H*W, out] tensor fewer, and for 3 x 256 logits a pixel that is most of a step's memory
        const flat = tf.fused.matMul({ a: x.reshape([batch * height * width, this.inChannels]), b: upper.reshape([this.inChannels, this.outChannels]), bias: this.bias });
        return flat.reshape([batch, height, width, this.outChannels]) as tf.Tensor4D;
      }
      // 'same' for the full window is `reach` on every side; the window cut at its centre row needs none below
      const padding: tf.backend_util.ExplicitPadding = [[0, 0], [this.reach, 0], [this.reach, this.reach], [0, 0]];
      // the bias added as the output is stored (one pass over the activation fewer); the
      // masked centre row never combined with the rows above (Winograd's, on WASM), which
      // would leak the pixels it masks by rounding
      return convolveWithBias(x, upper, this.bias, [1, 1], padding, [1, 1], { lastRowApart: true });
    });
  }

  /** Rows above (and columns either side) that one output reaches back to: the window's half-width. */
  get reach(): number {
    return (this.size - 1) / 2;
  }

  /**
   * The rows of W * M down to the centre row, [reach + 1, k, in, out]: the rest is masked,
   * so an output is this kernel over the window that ends at its row (training, and the
   * cached sampler).
   */
  upperKernel(): tf.Tensor4D {
    return tf.tidy(() => this.kernel.slice([0, 0, 0, 0], [this.reach + 1, this.size, this.inChannels, this.outChannels]).mul(this.upperMask) as tf.Tensor4D);
  }

  /** One output pixel from the window that ends at its row, [B, reach + 1, k, in] -> [B, 1, 1, out], with `upper` from upperKernel(). */
  applyToWindow(window: tf.Tensor4D, upper: tf.Tensor4D): tf.Tensor4D {
    // one output row: no Winograd rows apply on WASM (they need two or more), so no attribute is needed to keep them causal
    return tf.tidy(() => tf.conv2d(window, upper, 1, 'valid').add(this.bias) as tf.Tensor4D);
  }

  dispose(): void {
    tf.dispose([this.kernel, this.bias, this.upperMask]);
  }
}
