/**
 * The convolutions of the gated PixelCNN's two stacks, and its gate.
 *
 * Paper: A. van den Oord, N. Kalchbrenner, O. Vinyals, L. Espeholt, A. Graves and
 * K. Kavukcuoglu, "Conditional Image Generation with PixelCNN Decoders", NeurIPS 2016,
 * section 2.2 and figure 2. https://arxiv.org/abs/1606.05328
 *
 * Instead of a k x k window with its lower half masked, each stack's window is cut to the
 * part it may read, and the input is zero-padded only on the sides the window reaches to:
 * - vertical: a (k/2 + 1) x k window whose last row is the output's own row (padding k/2
 *   rows on top, k/2 columns either side, none below);
 * - horizontal: a 1 x (k/2 + 1) window whose last column is the output's own pixel
 *   (padding k/2 columns on the left), where colour groups are masked as in
 *   ./masked-conv.ts ('A': group g reads groups g' < g of the pixel, 'B': g' <= g).
 * So no output ever reads a row below its own, and a horizontal output nothing right of it.
 */
import * as tf from '@tensorflow/tfjs';
import { convolveWithBias } from '../conv-with-bias';
import type { Random } from '../../random';
import { channelGroup, type MaskType } from './masked-conv';

/** Zeros added around the input before a 'valid' convolution: none below, so no output reads a later row. */
export interface WindowPadding {
  top: number;
  left: number;
  right: number;
}

/**
 * The 0/1 mask of a horizontal kernel [1, width, in, out]: the columns left of the last are
 * kept, and at the last (the pixel itself) input group g' reaches output group g only if
 * g' < g ('A') or g' <= g ('B'), the groups consecutive blocks as in ./masked-conv.ts.
 */
export function horizontalMask(width: number, inChannels: number, outChannels: number, type: MaskType, groups: number): Float32Array {
  const mask = new Float32Array(width * inChannels * outChannels);
  for (let column = 0; column < width; column++) {
    for (let i = 0; i < inChannels; i++) {
      for (let o = 0; o < outChannels; o++) {
        const [from, to] = [channelGroup(i, inChannels, groups), channelGroup(o, outChannels, groups)];
        const keep = column < width - 1 || (type === 'A' ? from < to : from <= to);
        // [1, width, in, out], row-major like the kernel
        if (keep) mask[(column * inChannels + i) * outChannels + o] = 1;
      }
    }
  }
  return mask;
}

/** A stride-1 convolution over a window that ends at its output's row (and, horizontally, its pixel), optionally masked. */
export class WindowConv {
  readonly kernel: tf.Variable<tf.Rank.R4>;
  readonly bias: tf.Variable<tf.Rank.R1>;
  private readonly mask?: tf.Tensor4D;

  constructor(
    readonly shape: readonly [number, number, number, number],
    private readonly padding: WindowPadding,
    mask: Float32Array | undefined,
    random: Random,
  ) {
    const [rows, columns, inChannels, outChannels] = shape;
    if (mask) this.mask = tf.tensor4d(mask, [rows, columns, inChannels, outChannels]);
    // Glorot over the weights the mask keeps (a grey type-A window of 1 x 2 keeps 1 of 2)
    const kept = mask ? mask.reduce((sum, value) => sum + value, 0) : rows * columns * inChannels * outChannels;
    const limit = Math.sqrt(6 / Math.max(1, kept / outChannels + kept / inChannels));
    this.kernel = tf.tidy(() => tf.variable(tf.randomUniform([rows, columns, inChannels, outChannels], -limit, limit, 'float32', random.seed()))) as tf.Variable<tf.Rank.R4>;
    this.bias = tf.tidy(() => tf.variable(tf.zeros([outChannels]))) as tf.Variable<tf.Rank.R1>;
  }

  get variables(): tf.Variable[] {
    return [this.kernel, this.bias];
  }

  /** [B, H, W, in] -> [B, H, W, out] */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.convolve(this.pad(x)));
  }

  /** The input with the zeros the window reaches into: [B, H, W, in] -> [B, top + H, left + W + right, in]. */
  pad(x: tf.Tensor4D): tf.Tensor4D {
    const { top, left, right } = this.padding;
    if (top === 0 && left === 0 && right === 0) return x;
    // explicit padding in conv2d itself would miss the WASM gradient kernels (../../kernel-fixes.ts), which know 'same', 'valid' and numbers only
    return tf.tidy(() => x.pad([[0, 0], [top, 0], [left, right], [0, 0]]) as tf.Tensor4D);
  }

  /** The convolution of a padded input: [B, top + H, left + W + right, in] -> [B, H, W, out]. */
  convolve(padded: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [rows, columns, inChannels, outChannels] = this.shape;
      // y = (W * M) conv x + b: a masked weight gets a zero gradient through the product
      const kernel: tf.Tensor4D = this.mask ? this.kernel.mul(this.mask) : this.kernel;
      if (rows === 1 && columns === 1) {
        const [batch, height, width] = padded.shape;
        // [B, H, W, in] -> [B*H*W, in] -> [B*H*W, out] -> [B, H, W, out]: on WASM a 1x1 convolution's backward pass is 3x faster as a product of matrices
        const flat = tf.fused.matMul({ a: padded.reshape([batch * height * width, inChannels]), b: kernel.reshape([inChannels, outChannels]), bias: this.bias });
        return flat.reshape([batch, height, width, outChannels]) as tf.Tensor4D;
      }
      // the bias added as the output is stored. An unmasked window's rows may be combined
      // (Winograd's, on WASM: each output still touches only its own window's rows); a masked
      // one's never. The sampler keeps every window's rows apart (keepRowsApart), so that the
      // whole pass computes each output as the cached sampler's window does, to the bit.
      return convolveWithBias(padded, kernel, this.bias, [1, 1], 'valid', [1, 1], { exactRows: this.mask !== undefined && rows > 1 });
    });
  }

  dispose(): void {
    tf.dispose([this.kernel, this.bias, ...(this.mask ? [this.mask] : [])]);
  }
}

/**
 * The two halves of a gate, f and g, as two convolutions of one window rather than one
 * convolution to 2F channels split in two: on WASM splitting the channels costs more than
 * a layer's convolutions.
 */
export class GatePair {
  constructor(
    readonly f: WindowConv,
    readonly g: WindowConv,
  ) {}

  /** Both halves from one padded copy of x: [B, H, W, in] -> two [B, H, W, F]. */
  apply(x: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D] {
    return tf.tidy(() => {
      const padded = this.f.pad(x);
      return [this.f.convolve(padded), this.g.convolve(padded)];
    });
  }
}

/** The gated activation tanh(f) ⊙ sigmoid(g): [B, H, W, F] twice -> [B, H, W, F]. */
export function gate(f: tf.Tensor4D, g: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.tanh(f).mul(tf.sigmoid(g)) as tf.Tensor4D);
}

/** Every row moved down by one, the top row zero: [B, H, W, F] -> [B, H, W, F], so row r holds what row r - 1 held. */
export function shiftDown(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, height, width, channels] = x.shape;
    return x.pad([[0, 0], [1, 0], [0, 0], [0, 0]]).slice([0, 0, 0, 0], [batch, height, width, channels]) as tf.Tensor4D;
  });
}
