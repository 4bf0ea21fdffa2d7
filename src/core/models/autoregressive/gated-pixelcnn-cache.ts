/**
 * The gated PixelCNN's incremental sampling pass (after Ramachandran et al. 2017, "Fast
 * Generation for Convolutional Autoregressive Models", https://arxiv.org/abs/1704.06001),
 * for the network of ./gated-pixelcnn-network.ts.
 *
 * The two stacks split the work as they split the image:
 * - the vertical stack at row r sees rows up to r and is read a row down, so it is
 *   computed once per row, a whole row at a time, when the row's last pixel is drawn: each
 *   layer from the last k/2 rows of the layer below (kept) and the row just finished;
 * - the horizontal stack at pixel (r, c) reads the k/2 pixels to its left in the row
 *   (kept as they are drawn) and the vertical stack's row r - 1 (through the link, kept),
 *   so a value costs one pixel of each layer.
 * An activation at a pixel depends only on values before it, and on none of the pixel's
 * last channel, so once the pixel is drawn it never changes and keeping it is exact.
 */
import * as tf from '@tensorflow/tfjs';
import type { MaskedHead } from './masked-head';
import { gate, type GatePair, type WindowConv } from './gated-pixelcnn-convs';
import type { ValuePass } from './pixel-sampler';

/** What the pass needs of the network. */
export interface CachedGatedLayers {
  readonly shape: readonly [number, number, number];
  readonly categories: number;
  readonly layers: readonly { vertical: GatePair; horizontal: GatePair; link: GatePair; residual?: WindowConv }[];
  /** The masked 1x1 layers to the logits. */
  readonly head: Pick<MaskedHead, 'apply'>;
}

/** Rows (and columns either side) a window convolution reads back: k/2 of a k-wide vertical window, [k/2 + 1, k, in, out]. */
const halfOf = (conv: WindowConv) => conv.shape[0] - 1;
const channelsIn = (conv: WindowConv) => conv.shape[2];

export class CachedGatedPass implements ValuePass {
  /** Per layer l, the last k_l/2 finished rows of its vertical input (v_{l-1}, or the image), k_l/2 zero columns either side: [n, k_l/2, W + k_l, in]. */
  private readonly rowsAbove: tf.Tensor4D[];
  /** Per layer, the link's f and g from the vertical stack's row above: [n, 1, W, F] each. */
  private fromAbove: [tf.Tensor4D, tf.Tensor4D][];
  /** Per layer l < L, h_l at the pixels of the current row drawn so far, [n, 1, 1, F] each. */
  private readonly row: tf.Tensor4D[][];
  /** h_0 .. h_{L-1} at the pixel last computed: final once the pixel is drawn. */
  private fresh?: { row: number; column: number; hidden: tf.Tensor4D[] };

  constructor(
    private readonly network: CachedGatedLayers,
    private readonly canvas: Float32Array,
    private readonly count: number,
  ) {
    const width = network.shape[1];
    this.rowsAbove = network.layers.map(({ vertical }) => tf.zeros([count, halfOf(vertical.f), width + 2 * halfOf(vertical.f), channelsIn(vertical.f)]));
    // above the first row the shifted vertical stack is zero, and the link gives its biases
    this.fromAbove = network.layers.map(({ link }) => tf.tidy(() => link.apply(tf.zeros([count, 1, width, channelsIn(link.f)]))));
    this.row = network.layers.slice(1).map(() => []);
  }

  logits(row: number, column: number, channel: number): tf.Tensor2D {
    return tf.tidy(() => {
      const logits = this.network.head.apply(tf.relu(this.forward(row, column)));
      // [n, 1, 1, C, K] -> [n, C*K] -> [n, K], the logits of this channel
      return logits.reshape([this.count, -1]).slice([0, channel * this.network.categories], [this.count, this.network.categories]) as tf.Tensor2D;
    });
  }

  /** h_L at (row, column), [n, 1, 1, F], from the canvas and the cache; keeps h_0 .. h_{L-1} for pixelDrawn. */
  private forward(row: number, column: number): tf.Tensor4D {
    const n = this.count;
    const hidden: tf.Tensor4D[] = [];
    const top = tf.tidy(() => {
      let h: tf.Tensor4D | undefined;
      this.network.layers.forEach(({ horizontal, residual }, l) => {
        const p = horizontal.f.shape[1] - 1;
        // the 1 x (p + 1) window ending at the pixel: the drawn values, or h_{l-1} to the left (zeros left of the image) and at the pixel
        let window: tf.Tensor4D;
        if (l === 0) window = tf.tensor4d(this.canvasWindow(row, column - p, p + 1), [n, 1, p + 1, channelsIn(horizontal.f)]);
        else {
          const zero = tf.zeros([n, 1, 1, channelsIn(horizontal.f)]) as tf.Tensor4D;
          const left = Array.from({ length: p }, (_, i) => this.row[l - 1][column - p + i] ?? zero);
          window = tf.concat([...left, h!], 2);
        }
        const [f, g] = [horizontal.f.convolve(window), horizontal.g.convolve(window)];
        const [linkF, linkG] = this.fromAbove[l].map((above) => above.slice([0, 0, column, 0], [n, 1, 1, above.shape[3]]));
        const gated = gate(f.add(linkF), g.add(linkG));
        h = residual ? (h!.add(residual.convolve(gated)) as tf.Tensor4D) : gated;
        if (l < this.network.layers.length - 1) hidden.push(tf.keep(h));
      });
      return h!;
    });
    if (this.fresh) tf.dispose(this.fresh.hidden);
    this.fresh = { row, column, hidden };
    return top;
  }

  /** The drawn values of `columns` pixels of a row from column `from` (zeros outside the image): [n, 1, columns, C]. */
  private canvasWindow(row: number, from: number, columns: number): Float32Array {
    const [height, width, channels] = this.network.shape;
    const window = new Float32Array(this.count * columns * channels);
    const [first, last] = [Math.max(0, from), Math.min(width - 1, from + columns - 1)];
    for (let image = 0; image < this.count; image++) {
      const source = ((image * height + row) * width + first) * channels;
      window.set(this.canvas.subarray(source, source + (last - first + 1) * channels), (image * columns + first - from) * channels);
    }
    return window;
  }

  pixelDrawn(row: number, column: number): void {
    const width = this.network.shape[1];
    // a pixel kept as given (a completion's top half) was never computed
    if (!this.fresh || this.fresh.row !== row || this.fresh.column !== column) this.forward(row, column).dispose();
    this.fresh!.hidden.forEach((h, l) => this.row[l].push(h));
    this.fresh = undefined;
    if (column === width - 1) this.rowFinished(row);
  }

  /** The vertical stack over the finished row, layer by layer; the link's view of it is what the next row reads. */
  private rowFinished(row: number): void {
    const width = this.network.shape[1];
    let below: tf.Tensor4D | undefined;
    this.network.layers.forEach(({ vertical, link }, l) => {
      const p = halfOf(vertical.f);
      const [above, previous] = [this.rowsAbove[l], this.fromAbove[l]];
      const [window, v] = tf.tidy(() => {
        // the finished row of this layer's input, [n, 1, W, in]: the drawn values, or v_{l-1}
        const input = below ?? tf.tensor4d(this.canvasWindow(row, 0, width), [this.count, 1, width, channelsIn(vertical.f)]);
        const padded = input.pad([[0, 0], [0, 0], [p, p], [0, 0]]);
        // [n, p + 1, W + 2p, in] -> [n, 1, W, F]
        const rows = p > 0 ? (tf.concat([above, padded], 1) as tf.Tensor4D) : (padded as tf.Tensor4D);
        return [rows, gate(vertical.f.convolve(rows), vertical.g.convolve(rows))];
      });
      this.rowsAbove[l] = tf.tidy(() => window.slice([0, 1, 0, 0], [-1, p, -1, -1]));
      this.fromAbove[l] = tf.tidy(() => link.apply(v));
      tf.dispose([above, window, ...previous, ...(below ? [below] : [])]);
      below = v;
    });
    below?.dispose();
    this.row.forEach((pixels) => tf.dispose(pixels.splice(0)));
  }

  dispose(): void {
    tf.dispose([...this.rowsAbove, ...this.fromAbove.flat(), ...this.row.flat(), ...(this.fresh?.hidden ?? [])]);
    this.fresh = undefined;
  }
}
