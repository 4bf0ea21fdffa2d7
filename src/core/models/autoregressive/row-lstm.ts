/**
 * The Row LSTM layer (van den Oord et al. 2016, "Pixel Recurrent Neural Networks",
 * section 3.1 and figure 2, https://arxiv.org/abs/1601.06759): an LSTM that runs down the
 * image one row at a time, computing a whole row's states at once.
 *   input-to-state:  K_is * x_r, a 1 x k convolution along row r of the layer's input,
 *                    masked (the pixels to the left, and the pixel itself only through the
 *                    colour groups before or at its own);
 *   state-to-state:  K_ss * h_{r-1}, a k x 1 convolution along the previous row's hidden
 *                    states (unmasked: that row is wholly in the past);
 *   c_r, h_r from the LSTM cell (./lstm-gates.ts).
 * Both convolutions of a row are one product of matrices, each pixel's inputs beside its
 * neighbours': on WASM that is faster than two convolutions and their gradients.
 * Each step widens what a state sees by (k - 1) / 2 columns either side, so a pixel's
 * context is a triangle above it (the rest of the rows above is out of its reach).
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../random';
import { rowNeighbours } from '../../wasm-heap-neighbours';
import { GATES, glorot, InputToState, lstmCell, unstackInBlocks } from './lstm-gates';

export class RowLstm {
  readonly inputToState: InputToState;
  /** K_ss: [1, k, U, 4U] */
  readonly stateKernel: tf.Variable<tf.Rank.R4>;

  constructor(
    inChannels: number,
    readonly units: number,
    readonly kernel: number,
    groups: number,
    random: Random,
  ) {
    this.inputToState = new InputToState(kernel, inChannels, units, 'B', groups, random);
    this.stateKernel = glorot([1, kernel, units, GATES * units], kernel * units, units, random) as tf.Variable<tf.Rank.R4>;
  }

  get variables(): tf.Variable[] {
    return [...this.inputToState.variables, this.stateKernel];
  }

  /** Columns either side that the state-to-state convolution reads, and left of the pixel that the input-to-state one reads. */
  get reach(): number {
    return (this.kernel - 1) / 2;
  }

  /**
   * Both convolutions as one matrix, so that a row's gates are one product: the masked
   * input-to-state kernel down to the centre column, then the state-to-state kernel.
   * [(p + 1) * in + k * U, 4U]
   */
  stepWeights(): tf.Tensor2D {
    return tf.tidy(() => tf.concat([this.inputToState.maskedRows(), this.stateKernel.reshape([this.kernel * this.units, GATES * this.units])], 0) as tf.Tensor2D);
  }

  /**
   * The gates of one row, [n * W, 4U]: the row's inputs x_r [n, W, in] and the row above's
   * states h_{r-1} [n, W, U], each pixel beside its neighbours, times stepWeights():
   *   gates = K_is * x_r + K_ss * h_{r-1} + b
   */
  rowGates(inputs: tf.Tensor3D, above: tf.Tensor3D, weights: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      // [n * W, (p + 1) * in + k * U]: pixelGates' two matrices side by side
      const joined = rowNeighbours([{ x: inputs, left: this.reach, right: 0 }, { x: above, left: this.reach, right: this.reach }]);
      return tf.fused.matMul({ a: joined, b: weights, bias: this.inputToState.bias }) as tf.Tensor2D;
    });
  }

  /** The same for pixels on their own: inputs at columns c - p .. c [N, (p + 1) * in], states above at c - p .. c + p [N, k * U] -> [N, 4U]. */
  pixelGates(inputs: tf.Tensor2D, above: tf.Tensor2D, weights: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.fused.matMul({ a: tf.concat([inputs, above], 1), b: weights, bias: this.inputToState.bias }) as tf.Tensor2D);
  }

  /** The hidden states of every pixel: [B, H, W, in] -> [B, H, W, U]. */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [batch, height, width] = x.shape;
      const units = this.units;
      const weights = this.stepWeights();
      // [B, H, W, in] -> [H, B, W, in] -> H rows of [B, W, in]
      const rows = unstackInBlocks(x.transpose([1, 0, 2, 3])) as tf.Tensor3D[];
      // h_{-1} = 0, and c_{-1} = 0
      let above = tf.zeros([batch, width, units]) as tf.Tensor3D;
      let cell: tf.Tensor2D | undefined;
      const states: tf.Tensor2D[] = [];
      for (const row of rows) {
        const next = lstmCell(this.rowGates(row, above, weights), cell, units);
        states.push(next.h);
        cell = next.c;
        above = next.h.reshape([batch, width, units]);
      }
      // H x [B * W, U] -> [H, B, W, U] -> [B, H, W, U]
      return tf.stack(states).reshape([height, batch, width, units]).transpose([1, 0, 2, 3]) as tf.Tensor4D;
    });
  }

  dispose(): void {
    this.inputToState.dispose();
    this.stateKernel.dispose();
  }
}
