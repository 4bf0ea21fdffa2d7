/**
 * PixelRNN's incremental sampling pass: an LSTM's cache is its state. Each pass computes
 * the new pixel's states alone, from the states its neighbours left behind, layer by
 * layer, instead of sweeping the whole image (784 times less work on a 28x28 image).
 *
 * Per layer it keeps the layer's inputs and the LSTM's states at the pixels drawn so far
 * in the current row, and what the row above left:
 * - Row LSTM: the states h_{r-1} and c_{r-1} of the whole row above;
 * - Diagonal BiLSTM: the left-to-right states of the row above (the state above each
 *   pixel; the state to its left is in the current row), and the right-to-left states of
 *   the row above, which are this row's down-shifted output. Those are swept right to left
 *   once the row is done, from the layer's inputs in that row.
 * The type-A layer reads the drawn values themselves, straight from the canvas.
 */
import * as tf from '@tensorflow/tfjs';
import type { DiagonalBiLstm } from './diagonal-bilstm';
import { lstmCell } from './lstm-gates';
import type { PixelSamplingNetwork, ValuePass } from './pixel-sampler';
import type { PixelRnnNetwork } from './pixelrnn-network';
import { RowLstm } from './row-lstm';

/** A layer's input and states at one pixel: u [n, 1, 1, U], h and c [n, U]. */
interface PixelState {
  u: tf.Tensor4D;
  h: tf.Tensor2D;
  c: tf.Tensor2D;
}

/** One LSTM layer's cache. */
interface LayerCache {
  /** The LSTM's output at (row, column) from the layer's input there, u [n, 1, 1, U] -> its state and output [n, U]. */
  step(u: tf.Tensor4D, row: number, column: number): { state: PixelState; out: tf.Tensor2D };
  /** The pixel is drawn: its state joins the row. */
  commit(state: PixelState): void;
  /** The row is done: what the next row needs of it. */
  rowDone(): void;
  /** Frees the states, and the kernels the pass prepared. */
  dispose(): void;
}

export class CachedPixelRnnPass implements ValuePass {
  private readonly firstKernel: tf.Tensor4D;
  private readonly layers: LayerCache[];
  /** The states at the pixel last computed: final once it is drawn. */
  private fresh?: { row: number; column: number; states: PixelState[] };

  constructor(
    private readonly network: PixelRnnNetwork,
    private readonly canvas: Float32Array,
    private readonly count: number,
  ) {
    this.firstKernel = network.first.upperKernel();
    this.layers = network.recurrent.map((lstm) => (lstm instanceof RowLstm ? new RowLstmCache(lstm, count, network.shape[1]) : new DiagonalBiLstmCache(lstm, count, network.shape[1])));
  }

  logits(row: number, column: number, channel: number): tf.Tensor2D {
    const { categories } = this.network;
    const top = this.forward(row, column);
    // [n, 1, 1, C, K] -> [n, C*K] -> [n, K], the logits of this channel
    const logits = tf.tidy(() => this.network.head.apply(top).reshape([this.count, -1]).slice([0, channel * categories], [this.count, categories]) as tf.Tensor2D);
    top.dispose();
    return logits;
  }

  /** relu(h_L) at (row, column), [n, 1, 1, U]; keeps the states it computes on the way for pixelDrawn. */
  private forward(row: number, column: number): tf.Tensor4D {
    const { first, residual } = this.network;
    const n = this.count;
    const states: PixelState[] = [];
    const top = tf.tidy(() => {
      const p = first.reach;
      const window = tf.tensor4d(canvasWindow(this.canvas, this.network, n, row, column, p), [n, p + 1, 2 * p + 1, first.inChannels]);
      // h_0 = conv_A(x) at the pixel
      let h = first.applyToWindow(window, this.firstKernel);
      this.layers.forEach((layer, l) => {
        const { state, out } = layer.step(h, row, column);
        states.push({ u: tf.keep(state.u), h: tf.keep(state.h), c: tf.keep(state.c) });
        // h_l = h_{l-1} + conv_1x1(LSTM_l(h_{l-1}))
        h = h.add(residual[l].apply(out.reshape([n, 1, 1, out.shape[1]]) as tf.Tensor4D));
      });
      return tf.relu(h) as tf.Tensor4D;
    });
    this.dropFresh();
    this.fresh = { row, column, states };
    return top;
  }

  private dropFresh(): void {
    if (this.fresh) tf.dispose(this.fresh.states.flatMap((state) => [state.u, state.h, state.c]));
    this.fresh = undefined;
  }

  pixelDrawn(row: number, column: number): void {
    // a pixel kept as given (a completion's top half) was never computed
    if (!this.fresh || this.fresh.row !== row || this.fresh.column !== column) this.forward(row, column).dispose();
    this.fresh!.states.forEach((state, l) => this.layers[l].commit(state));
    this.fresh = undefined;
    if (column === this.network.shape[1] - 1) this.layers.forEach((layer) => layer.rowDone());
  }

  dispose(): void {
    this.dropFresh();
    this.firstKernel.dispose();
    this.layers.forEach((layer) => layer.dispose());
  }
}

/** The canvas's values in rows row - p .. row and columns column - p .. column + p, zeros outside the image: [n, p + 1, 2p + 1, C]. */
function canvasWindow(canvas: Float32Array, network: PixelSamplingNetwork, count: number, row: number, column: number, p: number): Float32Array {
  const [height, width, channels] = network.shape;
  const span = 2 * p + 1;
  const window = new Float32Array(count * (p + 1) * span * channels);
  const [from, to] = [Math.max(0, column - p), Math.min(width - 1, column + p)];
  for (let image = 0; image < count; image++) {
    for (let r = 0; r <= p; r++) {
      const imageRow = row - p + r;
      if (imageRow < 0) continue;
      const source = ((image * height + imageRow) * width + from) * channels;
      const target = ((image * (p + 1) + r) * span + (from - (column - p))) * channels;
      window.set(canvas.subarray(source, source + (to - from + 1) * channels), target);
    }
  }
  return window;
}

/** Column `column` of a row of states [n, W, F] -> [n, F]. */
function at(row: tf.Tensor3D, column: number): tf.Tensor2D {
  const [n, , features] = row.shape;
  return row.slice([0, column, 0], [n, 1, features]).reshape([n, features]);
}

class RowLstmCache implements LayerCache {
  private readonly weights: tf.Tensor2D;
  /** The row above: its states h [n, W + 2p, U] (p zero columns either side) and cells c [n, W, U]; zeros and none on the first row. */
  private above: { h: tf.Tensor3D; c?: tf.Tensor3D };
  private row: PixelState[] = [];

  constructor(
    private readonly lstm: RowLstm,
    private readonly count: number,
    width: number,
  ) {
    this.weights = lstm.stepWeights();
    this.above = { h: tf.zeros([count, width + 2 * lstm.reach, lstm.units]) };
  }

  step(u: tf.Tensor4D, _row: number, column: number): { state: PixelState; out: tf.Tensor2D } {
    return tf.tidy(() => {
      const { reach: p, units, kernel } = this.lstm;
      const n = this.count;
      const features = u.shape[3];
      const zero = tf.zeros(u.shape) as tf.Tensor4D;
      // the row's inputs at columns column - p .. column (zeros left of the image): [n, (p + 1) * in]
      const inputs = tf.concat([...Array.from({ length: p }, (_, i) => this.row[column - p + i]?.u ?? zero), u], 2).reshape([n, (p + 1) * features]) as tf.Tensor2D;
      // the states above at columns column - p .. column + p: [n, k * U]
      const above = this.above.h.slice([0, column, 0], [n, kernel, units]).reshape([n, kernel * units]) as tf.Tensor2D;
      const { h, c } = lstmCell(this.lstm.pixelGates(inputs, above, this.weights), this.above.c && at(this.above.c, column), units);
      return { state: { u, h, c }, out: h };
    });
  }

  commit(state: PixelState): void {
    this.row.push(state);
  }

  rowDone(): void {
    const p = this.lstm.reach;
    const above = tf.tidy(() => ({
      // W x [n, U] -> [n, W, U], padded with p columns of zeros either side
      h: tf.stack(this.row.map((state) => state.h), 1).pad([[0, 0], [p, p], [0, 0]]) as tf.Tensor3D,
      c: tf.stack(this.row.map((state) => state.c), 1) as tf.Tensor3D,
    }));
    this.forgetStates();
    this.above = above;
  }

  private forgetStates(): void {
    tf.dispose([...this.row.flatMap((state) => [state.u, state.h, state.c]), this.above.h, ...(this.above.c ? [this.above.c] : [])]);
    this.row = [];
  }

  dispose(): void {
    this.forgetStates();
    this.weights.dispose();
  }
}

class DiagonalBiLstmCache implements LayerCache {
  /** Per direction, the input-to-state and state-to-state kernels as one [in + 2U, 4U], and the gates' bias [4U]. */
  private readonly weights: { weights: tf.Tensor2D; bias: tf.Tensor1D }[];
  /** The row above: left-to-right and right-to-left states [n, W, U]; absent on the first row. */
  private above?: { forward: tf.Tensor3D; reverse: tf.Tensor3D };
  private row: PixelState[] = [];

  constructor(
    private readonly lstm: DiagonalBiLstm,
    private readonly count: number,
    private readonly width: number,
  ) {
    this.weights = lstm.stepWeights();
  }

  /** One cell of direction d: the input u [n, 1, 1, in], the state above and the state before it in the sweep (zeros at an edge). */
  private cell(direction: number, u: tf.Tensor4D, above: tf.Tensor2D | undefined, before: PixelState | undefined): { h: tf.Tensor2D; c: tf.Tensor2D } {
    return tf.tidy(() => {
      const zero = tf.zeros([this.count, this.lstm.units]);
      // [n, in + 2U] x [in + 2U, 4U]: gates = K_is * x + K_ss * [h(r - 1, c); h(r, c - 1)] + b
      const joined = tf.concat([u.reshape([this.count, -1]), above ?? zero, before?.h ?? zero], 1);
      const { weights, bias } = this.weights[direction];
      return lstmCell(tf.fused.matMul({ a: joined, b: weights, bias }) as tf.Tensor2D, before?.c, this.lstm.units);
    });
  }

  step(u: tf.Tensor4D, _row: number, column: number): { state: PixelState; out: tf.Tensor2D } {
    return tf.tidy(() => {
      const { h, c } = this.cell(0, u, this.above && at(this.above.forward, column), this.row[column - 1]);
      // out(r, c) = h_fwd(r, c) + h_rev(r - 1, c)
      const out = this.above ? h.add(at(this.above.reverse, column)) : h;
      return { state: { u, h, c }, out: out as tf.Tensor2D };
    });
  }

  commit(state: PixelState): void {
    this.row.push(state);
  }

  rowDone(): void {
    const above = tf.tidy(() => {
      // the right-to-left sweep of the finished row, from its right end: the state before a pixel is the one to its right
      const reverse: PixelState[] = new Array<PixelState>(this.width);
      for (let column = this.width - 1; column >= 0; column--) {
        const { h, c } = this.cell(1, this.row[column].u, this.above && at(this.above.reverse, column), reverse[column + 1]);
        reverse[column] = { u: this.row[column].u, h, c };
      }
      return { forward: tf.stack(this.row.map((state) => state.h), 1) as tf.Tensor3D, reverse: tf.stack(reverse.map((state) => state.h), 1) as tf.Tensor3D };
    });
    this.forgetStates();
    this.above = above;
  }

  private forgetStates(): void {
    tf.dispose([...this.row.flatMap((state) => [state.u, state.h, state.c]), ...(this.above ? [this.above.forward, this.above.reverse] : [])]);
    this.row = [];
    this.above = undefined;
  }

  dispose(): void {
    this.forgetStates();
    tf.dispose(this.weights.flatMap(({ weights, bias }) => [weights, bias]));
  }
}
