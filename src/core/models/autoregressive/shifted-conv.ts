/**
 * The shifted convolutions of PixelCNN++: causality by where the window sits, not by a mask.
 *
 * Paper: T. Salimans, A. Karpathy, X. Chen and D. P. Kingma, "PixelCNN++", ICLR 2017,
 * sections 2.3-2.4 and figure 2. https://arxiv.org/abs/1701.05517 (the layers as in the
 * authors' code, github.com/openai/pixel-cnn).
 *
 * Two streams, as in the gated PixelCNN but without its blind spot:
 * - 'down' (the vertical stream, u): a 2 x 3 window whose lower row is the output's own
 *   row: zero padding of 1 row on top and 1 column either side. If its input at row r
 *   depends only on rows above r, so does its output;
 * - 'down-right' (the horizontal stream, ul): a 2 x 2 window ending at the output's own
 *   pixel: 1 row on top, 1 column on the left. If its input at a pixel depends only on
 *   pixels before it in raster order, so does its output.
 * The first layers see the image itself and are shifted one row down (or one column
 * right) so the pixel's own value is never read.
 *
 * With stride 2 the same windows halve the image: output (i, j) reads input rows 2i - 1
 * and 2i (columns 2j - 1 .. 2j + 1, or 2j - 1 .. 2j), so it depends on what input pixel
 * (2i, 2j) depends on. The transposed convolutions that double it back put low-resolution
 * pixel (i, j) at output (2i + p, 2j + q), p, q in {0, 1}, later than (2i, 2j): the
 * streams stay causal through every scale.
 */
import * as tf from '@tensorflow/tfjs';
import { convolveWithBias } from '../conv-with-bias';
import type { Random } from '../../random';

export type ShiftDirection = 'down' | 'down-right';

/** A 'same'-sized (or, at stride 2, halved) convolution with its window shifted up (and left). */
export class ShiftedConv2d {
  readonly kernel: tf.Variable<tf.Rank.R4>;
  readonly bias: tf.Variable<tf.Rank.R1>;

  /**
   * window: [rows, columns] (the paper: [2, 3] down, [2, 2] down-right); transposed: a
   * transposed convolution that doubles height and width (stride 2 only).
   */
  constructor(
    readonly direction: ShiftDirection,
    readonly window: readonly [number, number],
    readonly inChannels: number,
    readonly outChannels: number,
    readonly stride: 1 | 2,
    random: Random,
    readonly transposed = false,
    initScale = 1,
  ) {
    const [rows, columns] = window;
    // the kernel of a transposed convolution is [rows, columns, out, in]
    const shape: [number, number, number, number] = transposed ? [rows, columns, outChannels, inChannels] : [rows, columns, inChannels, outChannels];
    // Glorot, times initScale: a residual branch starts small, as in the authors' code
    const limit = initScale * Math.sqrt(6 / (rows * columns * (inChannels + outChannels)));
    this.kernel = tf.tidy(() => tf.variable(tf.randomUniform(shape, -limit, limit, 'float32', random.seed()))) as tf.Variable<tf.Rank.R4>;
    this.bias = tf.tidy(() => tf.variable(tf.zeros([outChannels]))) as tf.Variable<tf.Rank.R1>;
  }

  get variables(): tf.Variable[] {
    return [this.kernel, this.bias];
  }

  /** [B, H, W, in] -> [B, H, W, out], or [B, H/2, W/2, out] at stride 2, or [B, 2H, 2W, out] transposed. */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => (this.transposed ? this.upsample(x).add(this.bias) : this.convolve(x)) as tf.Tensor4D);
  }

  private convolve(x: tf.Tensor4D): tf.Tensor4D {
    const [rows, columns] = this.window;
    // zeros above (rows - 1), and either side ('down') or on the left only ('down-right'): none below, none right of a 'down-right' window
    const [left, right] = this.direction === 'down' ? [(columns - 1) / 2, (columns - 1) / 2] : [columns - 1, 0];
    // the zeros as the convolution's own padding, not a padded copy: one map written and read fewer, and no slice in the backward pass
    const padding: tf.backend_util.ExplicitPadding = [[0, 0], [rows - 1, 0], [left, right], [0, 0]];
    // the bias added as the convolution stores its output, not in a pass of its own (the same
    // sums); its rows combined where our WASM kernels may (Winograd's F(2, 2): each output
    // still touches only its own window's rows; a 2 x 3 window over columns in fours takes
    // F(4, 3) along them too, whose sums pass through the next columns, which cancel only up
    // to rounding: causal still, since this stream's row r holds only rows above r), except
    // in a sampler's passes (keepRowsApart)
    return convolveWithBias(x, this.kernel, this.bias, [this.stride, this.stride], padding);
  }

  /** The transposed convolution, stride 2: low-resolution pixel (i, j) spreads to rows 2i, 2i + 1 and, 'down', columns 2j - 1 .. 2j + 1 (else 2j, 2j + 1). */
  private upsample(x: tf.Tensor4D): tf.Tensor4D {
    const [batch, height, width] = x.shape;
    const columns = this.window[1];
    // The transpose of a stride-2 convolution from [2H, 2W] to [H, W] whose windows start `side` columns left of 2j:
    // 'valid' would make 2W + columns - 2 columns, of which the first `side` are cut off ('down', the window
    // centred as a 'same' one would be) and so are the last columns - 2 - side. The 2 rows of a window fill 2H exactly.
    const side = this.direction === 'down' ? (columns - 1) / 2 : 0;
    const padding: tf.backend_util.ExplicitPadding = [[0, 0], [0, 0], [side, columns - 2 - side], [0, 0]];
    return tf.conv2dTranspose(x, this.kernel, [batch, 2 * height, 2 * width, this.outChannels], 2, padding);
  }

  dispose(): void {
    tf.dispose([this.kernel, this.bias]);
  }
}

/** [B, H, W, C] -> the same, moved down a row: row 0 zeros, row r what row r - 1 held. */
export function shiftDown(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, height, width, channels] = x.shape;
    return x.slice([0, 0, 0, 0], [batch, height - 1, width, channels]).pad([[0, 0], [1, 0], [0, 0], [0, 0]]);
  });
}

/** [B, H, W, C] -> the same, moved right a column: column 0 zeros. */
export function shiftRight(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, height, width, channels] = x.shape;
    return x.slice([0, 0, 0, 0], [batch, height, width - 1, channels]).pad([[0, 0], [0, 0], [1, 0], [0, 0]]);
  });
}

/** A 1x1 convolution (the paper's "network in network"): a product of matrices over the pixels, [B, H, W, in] -> [B, H, W, out]. */
export class PixelDense {
  readonly weights: tf.Variable<tf.Rank.R2>;
  readonly bias: tf.Variable<tf.Rank.R1>;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    random: Random,
    initScale = 1,
  ) {
    const limit = initScale * Math.sqrt(6 / (inChannels + outChannels));
    this.weights = tf.tidy(() => tf.variable(tf.randomUniform([inChannels, outChannels], -limit, limit, 'float32', random.seed()))) as tf.Variable<tf.Rank.R2>;
    this.bias = tf.tidy(() => tf.variable(tf.zeros([outChannels]))) as tf.Variable<tf.Rank.R1>;
  }

  get variables(): tf.Variable[] {
    return [this.weights, this.bias];
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [batch, height, width] = x.shape;
      // [B, H, W, in] -> [B*H*W, in] -> [B*H*W, out] -> [B, H, W, out]
      const flat = tf.fused.matMul({ a: x.reshape([batch * height * width, this.inChannels]), b: this.weights, bias: this.bias });
      return flat.reshape([batch, height, width, this.outChannels]) as tf.Tensor4D;
    });
  }

  dispose(): void {
    tf.dispose([this.weights, this.bias]);
  }
}
