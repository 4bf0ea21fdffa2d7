/**
 * PixelCNN's incremental sampling pass: each layer's activations at earlier pixels are
 * kept, and each pass computes only the new pixel's, layer by layer, from the window of
 * the layer below that ends at its row (the masks zero everything below and to the right).
 *
 * After Ramachandran et al. 2017, "Fast Generation for Convolutional Autoregressive
 * Models", https://arxiv.org/abs/1704.06001: an activation at a pixel depends only on
 * values before it, so once its pixel is drawn it never changes, and a cache of it is
 * exact. A pass does the work of one pixel instead of a whole image: H * W times less than
 * the naive pass, for a 28x28 image 784 times.
 *
 * Per type-B layer l, whose input u_l = relu(h_{l-1}) is read in a window of half-width p:
 *   above_l: [n, p, W + 2p, F], the last p finished rows of u_l, with p columns of zeros at
 *            either side and zero rows above the image, where 'same' padding puts them;
 *   row_l:   the row being drawn, one [n, 1, 1, F] per pixel drawn so far (copying a whole
 *            row tensor for every pixel would cost more than the pass itself).
 * The type-A layer reads the drawn values themselves, straight from the canvas.
 */
import * as tf from '@tensorflow/tfjs';
import type { MaskedHead } from './masked-head';
import type { MaskedConv2d } from './masked-conv';
import type { ValuePass } from './pixel-sampler';

/** What the pass needs of the network. */
export interface CachedLayers {
  readonly shape: readonly [number, number, number];
  readonly categories: number;
  readonly first: MaskedConv2d;
  readonly blocks: readonly MaskedConv2d[];
  /** The masked 1x1 layers to the logits. */
  readonly head: Pick<MaskedHead, 'apply'>;
}

export class CachedPixelCnnPass implements ValuePass {
  private readonly uppers: tf.Tensor4D[];
  private readonly above: tf.Tensor4D[];
  private readonly row: tf.Tensor4D[][];
  /** The block inputs u_l at the pixel last computed, [n, 1, 1, F] each: final once the pixel is drawn. */
  private fresh?: { row: number; column: number; inputs: tf.Tensor4D[] };

  constructor(
    private readonly network: CachedLayers,
    private readonly canvas: Float32Array,
    private readonly count: number,
  ) {
    const width = network.shape[1];
    // W * M down to the centre row, once per sampling run rather than once per pass (a run beside training keeps these kernels; biases and the head follow the updates)
    this.uppers = [network.first, ...network.blocks].map((layer) => layer.upperKernel());
    this.above = network.blocks.map((block) => tf.zeros([count, block.reach, width + 2 * block.reach, block.inChannels]));
    this.row = network.blocks.map(() => []);
  }

  logits(row: number, column: number, channel: number): tf.Tensor2D {
    const { categories } = this.network;
    const top = this.forward(row, column);
    const logits = this.network.head.apply(top);
    // [n, 1, 1, C, K] -> [n, C*K] -> [n, K], the logits of this channel (a rank-5 slice is 20x slower on WASM)
    return logits.reshape([this.count, -1]).slice([0, channel * categories], [this.count, categories]) as tf.Tensor2D;
  }

  /**
   * relu(h_L) at (row, column), [n, 1, 1, F], from the canvas and the cache; keeps the
   * block inputs it computes on the way for pixelDrawn.
   */
  private forward(row: number, column: number): tf.Tensor4D {
    const { first, blocks } = this.network;
    const n = this.count;
    const inputs: tf.Tensor4D[] = [];
    const top = tf.tidy(() => {
      // h_0 from the drawn values in the window [row - p, row] x [column - p, column + p]
      const p0 = first.reach;
      const window = tf.tensor4d(this.firstWindow(row, column, p0), [n, p0 + 1, 2 * p0 + 1, first.inChannels]);
      let h = first.applyToWindow(window, this.uppers[0]);
      blocks.forEach((block, l) => {
        const p = block.reach;
        const u = tf.relu(h) as tf.Tensor4D;
        inputs.push(tf.keep(u));
        // padded columns column .. column + 2p are the image's column - p .. column + p
        const above = this.above[l].slice([0, 0, column, 0], [n, p, 2 * p + 1, block.inChannels]);
        // the current row: p finished pixels to the left (zeros left of the image), this pixel's fresh input, then p masked ones (zeros)
        const zero = tf.zeros([n, 1, 1, block.inChannels]) as tf.Tensor4D;
        const left = Array.from({ length: p }, (_, i) => this.row[l][column - p + i] ?? zero);
        const right = new Array<tf.Tensor4D>(p).fill(zero);
        const current = tf.concat([...left, u, ...right], 2);
        // [n, p + 1, 2p + 1, F] -> [n, 1, 1, F]; h_l = h_{l-1} + conv_B(relu(h_{l-1}))
        h = h.add(block.applyToWindow(tf.concat([above, current], 1) as tf.Tensor4D, this.uppers[l + 1]));
      });
      return tf.relu(h) as tf.Tensor4D;
    });
    if (this.fresh) tf.dispose(this.fresh.inputs);
    this.fresh = { row, column, inputs };
    return top;
  }

  /** The drawn values in rows row - p .. row and columns column - p .. column + p, zeros outside the image: [n, p + 1, 2p + 1, C]. */
  private firstWindow(row: number, column: number, p: number): Float32Array {
    const [height, width, channels] = this.network.shape;
    const span = 2 * p + 1;
    const window = new Float32Array(this.count * (p + 1) * span * channels);
    for (let image = 0; image < this.count; image++) {
      for (let r = 0; r <= p; r++) {
        const imageRow = row - p + r;
        if (imageRow < 0) continue;
        const [from, to] = [Math.max(0, column - p), Math.min(width - 1, column + p)];
        const source = ((image * height + imageRow) * width + from) * channels;
        const target = ((image * (p + 1) + r) * span + (from - (column - p))) * channels;
        window.set(this.canvas.subarray(source, source + (to - from + 1) * channels), target);
      }
    }
    return window;
  }

  pixelDrawn(row: number, column: number): void {
    const width = this.network.shape[1];
    // a pixel kept as given (a completion's top half) was never computed
    if (!this.fresh || this.fresh.row !== row || this.fresh.column !== column) this.forward(row, column).dispose();
    this.fresh!.inputs.forEach((input, l) => this.row[l].push(input));
    this.fresh = undefined;
    if (column < width - 1) return;
    // the row is finished: it joins the rows above, and the next one starts empty
    this.network.blocks.forEach((block, l) => {
      const [above, pixels, p] = [this.above[l], this.row[l], block.reach];
      this.above[l] = tf.tidy(() => {
        const pad = tf.zeros([this.count, 1, p, block.inChannels]);
        // [n, 1, W + 2p, F]
        const finished = tf.concat([pad, ...pixels, pad], 2) as tf.Tensor4D;
        return p > 1 ? tf.concat([above.slice([0, 1, 0, 0], [-1, p - 1, -1, -1]), finished], 1) : finished;
      });
      tf.dispose([above, ...pixels]);
      this.row[l] = [];
    });
  }

  dispose(): void {
    tf.dispose([...this.uppers, ...this.above, ...this.row.flat(), ...(this.fresh?.inputs ?? [])]);
    this.fresh = undefined;
  }
}
