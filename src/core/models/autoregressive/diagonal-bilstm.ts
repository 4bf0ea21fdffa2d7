/**
 * The Diagonal BiLSTM layer (van den Oord et al. 2016, "Pixel Recurrent Neural Networks",
 * section 3.2 and figure 3, https://arxiv.org/abs/1601.06759): two LSTMs that sweep the
 * image one diagonal at a time, one from the left and one from the right, so that together
 * a pixel's state sees every pixel before it (no blind spot, unlike the Row LSTM's
 * triangle).
 *   1. skew the map (./skew.ts): diagonal j of the image is column j of the skewed map;
 *   2. input-to-state: a masked 1x1 convolution;
 *   3. state-to-state: a 2 x 1 convolution down the previous column, so the state at
 *      (r, c) reads the states of the pixel above, (r - 1, c), and of the one to its left,
 *      (r, c - 1); the cell state comes from the left;
 *   4. unskew.
 * Both convolutions of a column are one product of matrices.
 * The right-to-left direction is the same on the mirrored image, and its state at (r, c)
 * has seen the rest of row r to the right, which lies in the future: its output is moved
 * down one row before the two are added, so row r receives row r - 1's.
 *   out(r, c) = h_fwd(r, c) + h_rev(r - 1, c)
 * Cells of the skewed map outside the image hold zero states, as zero padding would.
 *
 * One value stays out of reach, as in the paper's design: the last value of the row
 * above. The right-to-left sweep of that row reads the layer's inputs there, and an input
 * at a pixel never holds that pixel's own last value (it is causal), so only the first
 * layer's window sees it, from the pixels within its half-width of the row's end.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../random';
import { GATES, glorot, InputToState, lstmCell, unstackInBlocks } from './lstm-gates';
import { skew, unskew } from './skew';

export class DiagonalBiLstm {
  /** Per direction (left to right, right to left): the 1x1 input-to-state convolution. */
  readonly inputToState: [InputToState, InputToState];
  /** K_ss of both directions: [2, 2U, 4U]; rows 0..U-1 read the state above, U..2U-1 the state before it in the row. */
  readonly stateKernel: tf.Variable<tf.Rank.R3>;

  constructor(
    inChannels: number,
    readonly units: number,
    groups: number,
    random: Random,
  ) {
    this.inputToState = [new InputToState(1, inChannels, units, 'B', groups, random), new InputToState(1, inChannels, units, 'B', groups, random)];
    this.stateKernel = glorot([2, 2 * units, GATES * units], 2 * units, units, random) as tf.Variable<tf.Rank.R3>;
  }

  get variables(): tf.Variable[] {
    return [...this.inputToState.flatMap((conv) => conv.variables), this.stateKernel];
  }

  /**
   * Per direction, both convolutions as one matrix, the masked 1x1 input-to-state kernel
   * then the state-to-state kernel, [in + 2U, 4U], and the gates' bias [4U].
   */
  stepWeights(): { weights: tf.Tensor2D; bias: tf.Tensor1D }[] {
    return tf.tidy(() =>
      this.inputToState.map((conv, d) => ({
        weights: tf.concat([conv.maskedRows(), this.stateKernel.slice([d, 0, 0], [1, 2 * this.units, GATES * this.units]).squeeze([0])], 0) as tf.Tensor2D,
        bias: conv.bias.clone(),
      })),
    );
  }

  /** The hidden states of every pixel, both directions added: [B, H, W, in] -> [B, H, W, U]. */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [batch, height, width] = x.shape;
      const [forward, reverse] = this.stepWeights();
      const leftToRight = this.sweep(x, forward.weights, forward.bias);
      // the right-to-left direction is the same sweep of the mirrored image
      const rightToLeft = this.sweep(x.reverse(2) as tf.Tensor4D, reverse.weights, reverse.bias).reverse(2);
      // out(r, c) = h_fwd(r, c) + h_rev(r - 1, c): the right-to-left states moved down a row
      const shifted = rightToLeft.pad([[0, 0], [1, 0], [0, 0], [0, 0]]).slice([0, 0, 0, 0], [batch, height, width, this.units]);
      return leftToRight.add(shifted) as tf.Tensor4D;
    });
  }

  /** One direction's states, diagonal by diagonal from the left: [B, H, W, in] -> [B, H, W, U]. */
  private sweep(x: tf.Tensor4D, weights: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor4D {
    return tf.tidy(() => {
      const [batch, height, width, inChannels] = x.shape;
      const units = this.units;
      const diagonals = width + height - 1;
      // [B, H, D, in] -> [D, B, H, in] -> D columns of [B * H, in]
      const columns = unstackInBlocks(skew(x).transpose([2, 0, 1, 3]).reshape([diagonals, batch * height, inChannels])) as tf.Tensor2D[];
      // column j of the skewed map holds pixel (r, j - r) where 0 <= j - r < W: D x [1, H, 1]
      const inside = Array.from({ length: diagonals }, (_, j) => tf.tensor3d(Array.from({ length: height }, (_, r) => Number(j - r >= 0 && j - r < width)), [1, height, 1]));
      let previous = tf.zeros([batch, height, units]) as tf.Tensor3D;
      let cell: tf.Tensor2D | undefined;
      const states: tf.Tensor3D[] = [];
      columns.forEach((column, j) => {
        // [B, H, U]: the previous column's states moved down a row (zeros above row 0), the state above each pixel
        const above = previous.pad([[0, 0], [1, 0], [0, 0]]).slice([0, 0, 0], [batch, height, units]);
        // [B * H, in + 2U] x [in + 2U, 4U]: gates = K_is * x + K_ss * [h(r - 1, c); h(r, c - 1)] + b
        const joined = tf.concat([column, above.reshape([batch * height, units]), previous.reshape([batch * height, units])], 1);
        const next = lstmCell(tf.fused.matMul({ a: joined, b: weights, bias }) as tf.Tensor2D, cell, units);
        // states of cells outside the image are zero: [B * H, U] -> [B, H, U]
        previous = next.h.reshape([batch, height, units]).mul(inside[j]);
        states.push(previous);
        cell = next.c.reshape([batch, height, units]).mul(inside[j]).reshape([batch * height, units]) as tf.Tensor2D;
      });
      // D x [B, H, U] -> [B, H, D, U] -> [B, H, W, U]
      return unskew(tf.stack(states, 2) as tf.Tensor4D, width);
    });
  }

  dispose(): void {
    this.inputToState.forEach((conv) => conv.dispose());
    this.stateKernel.dispose();
  }
}
