/**
 * What the Row LSTM and the Diagonal BiLSTM share (van den Oord et al. 2016, "Pixel
 * Recurrent Neural Networks", section 3.1, https://arxiv.org/abs/1601.06759): the LSTM
 * cell, and its masked input-to-state convolution.
 *
 * The four gates of the cell come from two convolutions, one of the layer's input
 * (input-to-state, masked, over the whole map at once) and one of the previous step's
 * hidden state (state-to-state, a loop over rows or diagonals):
 *   [o, f, i, g] = [sigma, sigma, sigma, tanh](K_ss * h_{i-1} + K_is * x_i)
 *   c_i = f . c_{i-1} + i . g
 *   h_i = o . tanh(c_i)
 * On colour images the hidden units are split into colour groups as the feature maps are
 * (./masked-conv.ts), and all four gates of unit j belong to unit j's group: the mask of
 * input-to-state output gate * U + j is the mask of group(j). The state-to-state
 * convolution needs no mask: it reads states of pixels that are wholly before this one.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../random';
import { hasLstmCell, lstmCellOnHeap } from '../../wasm-heap-lstm';
import { channelGroup, type MaskType } from './masked-conv';

/** Gates per hidden unit: o, f, i (sigmoids) and g (tanh), in that order along the last axis. */
export const GATES = 4;

/**
 * The 0/1 mask of an input-to-state kernel [1, k, in, 4U] (k odd) along a row: the pixels
 * left of the centre are kept, the right ones zeroed, and at the centre input group g' may
 * reach gate group g if g' < g (type A) or g' <= g (type B).
 */
export function gateMask(width: number, inChannels: number, units: number, type: MaskType, groups: number): Float32Array {
  const outChannels = GATES * units;
  const mask = new Float32Array(width * inChannels * outChannels);
  const centre = (width - 1) / 2;
  for (let column = 0; column <= centre; column++) {
    for (let i = 0; i < inChannels; i++) {
      for (let o = 0; o < outChannels; o++) {
        const [from, to] = [channelGroup(i, inChannels, groups), channelGroup(o % units, units, groups)];
        const keep = column < centre || (type === 'A' ? from < to : from <= to);
        // [1, k, in, 4U], row-major like the kernel
        if (keep) mask[(column * inChannels + i) * outChannels + o] = 1;
      }
    }
  }
  return mask;
}

/** Glorot-uniform weights of a given shape, over `fanIn` inputs and `fanOut` outputs. */
export function glorot(shape: number[], fanIn: number, fanOut: number, random: Random): tf.Variable {
  const limit = Math.sqrt(6 / Math.max(1, fanIn + fanOut));
  return tf.tidy(() => tf.variable(tf.randomUniform(shape, -limit, limit, 'float32', random.seed())));
}

/** Gate biases [4U]: 0, except 1 on the forget gate, so that early in training a state is kept rather than forgotten. */
export function gateBias(units: number): tf.Variable<tf.Rank.R1> {
  return tf.tidy(() => tf.variable(tf.concat([tf.zeros([units]), tf.ones([units]), tf.zeros([2 * units])]))) as tf.Variable<tf.Rank.R1>;
}

/** The input-to-state convolution: 1 x k along the row, masked, with the gates' bias (applied as a product of matrices: maskedRows). */
export class InputToState {
  readonly kernel: tf.Variable<tf.Rank.R4>;
  readonly bias: tf.Variable<tf.Rank.R1>;
  private readonly mask: tf.Tensor4D;

  constructor(
    readonly width: number,
    readonly inChannels: number,
    readonly units: number,
    type: MaskType,
    groups: number,
    random: Random,
  ) {
    if (width % 2 !== 1) throw new Error(`An input-to-state convolution needs an odd width, not ${width}`);
    const shape: [number, number, number, number] = [1, width, inChannels, GATES * units];
    this.mask = tf.tensor4d(gateMask(width, inChannels, units, type, groups), shape);
    const kept = ((width + 1) / 2) * inChannels;
    this.kernel = glorot(shape, kept, units, random) as tf.Variable<tf.Rank.R4>;
    this.bias = gateBias(units);
  }

  get variables(): tf.Variable[] {
    return [this.kernel, this.bias];
  }

  /** Columns left of the centre that one output reads. */
  get reach(): number {
    return (this.width - 1) / 2;
  }

  /**
   * The kernel as one product of matrices uses it, W * M down to the centre column (the
   * rest is masked): row d * in + i reads input i of the pixel d - reach columns away.
   * [(reach + 1) * in, 4U]
   */
  maskedRows(): tf.Tensor2D {
    return tf.tidy(() => {
      const kept = this.kernel.mul(this.mask).slice([0, 0, 0, 0], [1, this.reach + 1, this.inChannels, GATES * this.units]);
      return kept.reshape([(this.reach + 1) * this.inChannels, GATES * this.units]) as tf.Tensor2D;
    });
  }

  dispose(): void {
    tf.dispose([this.kernel, this.bias, this.mask]);
  }
}

/**
 * One step of the LSTM cell: pre-activation gates [N, 4U] (o, f, i, g) and the previous
 * cell state [N, U] (absent: zeros) -> the hidden state h and the cell state c, [N, U] each.
 * On WASM one kernel of ours each way (../../wasm-heap-lstm.ts), with our sigmoid and tanh
 * (within 2 units in the last place of the true ones, so not TF.js's bits: tests/unit/lstm-cell.test.ts).
 */
export function lstmCell(gates: tf.Tensor2D, previous: tf.Tensor2D | undefined, units: number): { h: tf.Tensor2D; c: tf.Tensor2D } {
  if (hasLstmCell(units)) {
    return tf.tidy(() => {
      const [h, c] = lstmCellOnHeap(gates, previous ?? tf.zeros([gates.shape[0], units]));
      return { h, c };
    });
  }
  return lstmCellByOps(gates, previous, units);
}

/** lstmCell by TF.js's ops: on other backends, and the reference for ours. */
export function lstmCellByOps(gates: tf.Tensor2D, previous: tf.Tensor2D | undefined, units: number): { h: tf.Tensor2D; c: tf.Tensor2D } {
  return tf.tidy(() => {
    const rows = gates.shape[0];
    const sigmoids = tf.sigmoid(gates.slice([0, 0], [rows, 3 * units]));
    const [o, f, i] = tf.split(sigmoids, 3, 1) as tf.Tensor2D[];
    const g = tf.tanh(gates.slice([0, 3 * units], [rows, units]));
    // c_i = f . c_{i-1} + i . g
    const c = (previous ? f.mul(previous).add(i.mul(g)) : i.mul(g)) as tf.Tensor2D;
    // h_i = o . tanh(c_i)
    const h = o.mul(tf.tanh(c)) as tf.Tensor2D;
    return { h, c };
  });
}

/**
 * x [N, ...] -> N tensors [...], as tf.unstack. A slice's gradient is a pad back to its
 * input's whole size (and TF.js's own WASM Slice copied its whole input forwards too, where
 * ours reads it in place), so N slices of x cost N copies of x back (for 28 rows of a batch
 * of 64, once most of a training step): sliced in blocks of about sqrt(N) first, about
 * 2 sqrt(N) copies. Slices, not tf.split or tf.unstack, whose gradients fail when a piece
 * is off the path to the loss (the gradient of one pixel's prediction, as the
 * receptive-field view takes).
 */
export function unstackInBlocks(x: tf.Tensor): tf.Tensor[] {
  const [n, ...rest] = x.shape;
  const size = Math.ceil(Math.sqrt(n));
  const pieces = (tensor: tf.Tensor, count: number, length: number) =>
    Array.from({ length: Math.ceil(count / length) }, (_, i) => tensor.slice([i * length, ...rest.map(() => 0)], [Math.min(length, count - i * length), ...rest]));
  return pieces(x, n, size).flatMap((block) => pieces(block, block.shape[0], 1).map((one) => one.reshape(rest)));
}
