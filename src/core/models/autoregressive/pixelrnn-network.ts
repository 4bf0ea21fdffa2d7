/**
 * The PixelRNN network (van den Oord et al. 2016, "Pixel Recurrent Neural Networks",
 * sections 3.1-3.4 and table 1, https://arxiv.org/abs/1601.06759): a 7x7 masked
 * convolution of type A, a stack of LSTM layers (Row LSTM or Diagonal BiLSTM) with
 * residual connections, then two masked 1x1 convolutions to K logits per value.
 *
 *   h_0 = conv_A(x)
 *   h_l = h_{l-1} + conv_1x1(LSTM_l(h_{l-1})),   l = 1..L
 *   logits = conv_1x1(relu(conv_1x1(relu(h_L))))
 *
 * Every convolution is masked by colour group (./masked-conv.ts) and so are the LSTM's
 * gates (./lstm-gates.ts): R's features never see the pixel's own values, G's see its R,
 * B's its R and G.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../random';
import { hasLstmCell } from '../../wasm-heap-lstm';
import { hasRowNeighbours } from '../../wasm-heap-neighbours';
import type { AutoregressiveNetwork } from './autoregressive-network';
import { DiagonalBiLstm } from './diagonal-bilstm';
import { MaskedConv2d } from './masked-conv';
import { MaskedHead } from './masked-head';
import type { Categories } from './pixel-likelihood';
import type { ValuePass } from './pixel-sampler';
import { CachedPixelRnnPass } from './pixelrnn-cache';
import { RowLstm } from './row-lstm';

export type RecurrentLayer = 'row' | 'diagonal';

export interface PixelRnnSize {
  /** Row LSTM or Diagonal BiLSTM. */
  layer: RecurrentLayer;
  /** LSTM layers, each with a residual connection. */
  layers: number;
  /** Hidden units of every LSTM, and feature maps between them. */
  units: number;
  /** Kernel size of the type-A convolution (odd). */
  firstKernel: number;
}

/** Width of the Row LSTM's input-to-state and state-to-state convolutions (the paper's k = 3). */
export const ROW_KERNEL = 3;

export class PixelRnnNetwork implements AutoregressiveNetwork {
  readonly channels: number;
  readonly first: MaskedConv2d;
  readonly recurrent: (RowLstm | DiagonalBiLstm)[];
  /** The 1x1 convolution of each residual connection, LSTM states to features. */
  readonly residual: MaskedConv2d[];
  /** The two masked 1x1 layers to K logits per value, as in PixelCNN. */
  readonly head: MaskedHead;
  /**
   * How far back an output reaches: an LSTM carries its state down every row above, and
   * (the Diagonal BiLSTM) to both ends of the row above. With the whole width and every
   * row above, the sampler's window (rows 0..r) gives exactly what the whole image gives.
   */
  readonly reach: { up: number; side: number };

  constructor(
    readonly shape: readonly [number, number, number],
    readonly size: PixelRnnSize,
    readonly categories: Categories,
    random: Random,
  ) {
    const [height, width, channels] = shape;
    this.channels = channels;
    // one channel group per colour
    const groups = channels;
    const units = size.units;
    this.first = new MaskedConv2d(size.firstKernel, channels, units, 'A', groups, random);
    this.recurrent = Array.from({ length: size.layers }, () =>
      size.layer === 'row' ? new RowLstm(units, units, ROW_KERNEL, groups, random) : new DiagonalBiLstm(units, units, groups, random),
    );
    this.residual = Array.from({ length: size.layers }, () => new MaskedConv2d(1, units, units, 'B', groups, random));
    this.head = new MaskedHead(units, channels, categories, random);
    this.reach = { up: height, side: width };
  }

  private get layersInOrder(): { variables: tf.Variable[]; dispose(): void }[] {
    return [this.first, ...this.recurrent, ...this.residual, this.head];
  }

  get variables(): tf.Variable[] {
    return this.layersInOrder.flatMap((layer) => layer.variables);
  }

  /** The features every output is computed from: [B, h, W, C] -> [B, h, W, U]. */
  features(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let h = this.first.apply(x);
      // h_l = h_{l-1} + conv_1x1(LSTM_l(h_{l-1}))
      this.recurrent.forEach((lstm, l) => {
        h = h.add(this.residual[l].apply(lstm.apply(h)));
      });
      return tf.relu(h);
    });
  }

  logits(x: tf.Tensor4D): tf.Tensor5D {
    return tf.tidy(() => this.head.apply(this.features(x)));
  }

  negLogLikelihood(input: tf.Tensor4D, values: tf.Tensor4D): tf.Tensor1D {
    return tf.tidy(() => this.head.negLogLikelihood(this.features(input), values));
  }

  /** The logits of the pixel at (row, column) of x, the head on that pixel alone: [B, h, W, C] -> [B, C, K]. */
  logitsAt(x: tf.Tensor4D, row: number, column: number): tf.Tensor3D {
    return tf.tidy(() => this.head.at(this.features(x), row, column));
  }

  /** The sampler's fast pass: the LSTMs' states carried from pixel to pixel, one pixel computed per value. */
  cachedPass(canvas: Float32Array, count: number): ValuePass {
    return new CachedPixelRnnPass(this, canvas, count);
  }

  /**
   * Floats one example holds at the peak of a training step, as measured with tf.profile on
   * WASM (TF.js keeps every activation and gradient of the loop until the backward pass
   * ends): per pixel, layer and hidden unit, about 165 for the Row LSTM by TF.js's ops (its
   * per-row gates, products and gradients), 100 with our kernels for its cell and its
   * neighbours on WASM (91 measured: the growth of tf.profile's peak from 4 to 13 images; 22
   * default MNIST images peaked at 462 MB), and 125 per sweep of the Diagonal BiLSTM over its skewed map, which is
   * (W + H - 1) / W times as wide, twice. Then the head's floatsPerPixel, as in PixelCNN.
   */
  get floatsPerExample(): number {
    const [height, width] = this.shape;
    const { layers, units, layer } = this.size;
    const rowPerUnit = hasLstmCell(units) && hasRowNeighbours() ? 100 : 165;
    const perUnit = layer === 'row' ? rowPerUnit : (125 * 2 * (width + height - 1)) / width;
    return Math.ceil(height * width * (layers * units * perUnit + 20 * units + this.head.floatsPerPixel));
  }

  dispose(): void {
    this.layersInOrder.forEach((layer) => layer.dispose());
  }
}
