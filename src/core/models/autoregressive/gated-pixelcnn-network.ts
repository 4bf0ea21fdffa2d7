/**
 * The gated PixelCNN network.
 *
 * Paper: A. van den Oord, N. Kalchbrenner, O. Vinyals, L. Espeholt, A. Graves and
 * K. Kavukcuoglu, "Conditional Image Generation with PixelCNN Decoders", NeurIPS 2016,
 * section 2.2 and figure 2. https://arxiv.org/abs/1606.05328
 *
 * Stacked masked convolutions (./pixelcnn-network.ts) never reach the pixels up and to the
 * right of the cone their windows grow: a blind spot. Two stacks remove it:
 * - the vertical stack v reads a (k/2 + 1) x k window ending at its own row: its features
 *   at row r see rows up to r, the whole width of the window. They may see the future of
 *   row r, so nothing reads them at row r: the horizontal stack reads them shifted down
 *   one row, where everything they saw lies in the past;
 * - the horizontal stack h reads a 1 x (k/2 + 1) window ending at its own pixel (masked
 *   type A at the pixel in the first layer, type B after), plus the shifted vertical stack.
 * Per layer l = 1..L, each gate's two halves f and g with their own weights:
 *   v_l = tanh(W^v_{f,l} * v_{l-1}) ⊙ σ(W^v_{g,l} * v_{l-1})
 *   a_l = W^h_{a,l} * h_{l-1} + W^link_{a,l} · down(v_l),   a = f, g
 *   h_l = h_{l-1} + W^res_l · (tanh(f_l) ⊙ σ(g_l))
 *   logits = W^out · relu(W^hidden · relu(h_L))
 * and a first layer (k = the type-A kernel) on the image itself, h_0 = tanh(f_0) ⊙ σ(g_0),
 * without a residual (the image has C channels, not F). `*`: a window convolution (./gated-pixelcnn-convs.ts),
 * `·`: a 1x1 convolution. The link reads the vertical stack's output v_l, where the
 * paper's figure 2 reads its 2F features before the gate: half the link's weights, and the
 * same view of the rows above. On colour images the horizontal stack keeps R, G and B's
 * features apart as PixelCNN does; the vertical stack, only ever read a row down, may mix them.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../random';
import type { AutoregressiveNetwork } from './autoregressive-network';
import { MaskedHead } from './masked-head';
import { CachedGatedPass } from './gated-pixelcnn-cache';
import { gate, GatePair, horizontalMask, shiftDown, WindowConv } from './gated-pixelcnn-convs';
import type { MaskType } from './masked-conv';
import type { Categories } from './pixel-likelihood';
import type { ValuePass } from './pixel-sampler';
import type { PixelCnnSize } from './pixelcnn-network';

/** One gated layer: both stacks' convolutions, the link between them and the residual 1x1 (absent in the first layer). */
interface GatedLayer {
  vertical: GatePair;
  horizontal: GatePair;
  link: GatePair;
  residual?: WindowConv;
}

export class GatedPixelCnnNetwork implements AutoregressiveNetwork {
  readonly channels: number;
  readonly layers: GatedLayer[];
  /** The two masked 1x1 layers to K logits per value, as in the plain network. */
  readonly head: MaskedHead;
  /**
   * How far back an output reaches: each layer's window k/2 rows up and k/2 columns either
   * side, and one row more for the shift. Cropping an image to it is exact (./pixel-sampler.ts).
   */
  readonly reach: { up: number; side: number };

  constructor(
    readonly shape: readonly [number, number, number],
    private readonly size: PixelCnnSize,
    readonly categories: Categories,
    random: Random,
  ) {
    const channels = shape[2];
    this.channels = channels;
    const filters = size.filters;
    // one channel group per colour, in the horizontal stack and the head
    const groups = channels;
    const pair = (make: () => WindowConv) => new GatePair(make(), make());
    const layer = (kernel: number, inChannels: number, type: MaskType, residual: boolean): GatedLayer => {
      const half = (kernel - 1) / 2;
      const pointwise = { top: 0, left: 0, right: 0 };
      return {
        vertical: pair(() => new WindowConv([half + 1, kernel, inChannels, filters], { top: half, left: half, right: half }, undefined, random)),
        horizontal: pair(() => new WindowConv([1, half + 1, inChannels, filters], { top: 0, left: half, right: 0 }, horizontalMask(half + 1, inChannels, filters, type, groups), random)),
        // what the link reads lies in rows above: every colour's features may read all of it
        link: pair(() => new WindowConv([1, 1, filters, filters], pointwise, undefined, random)),
        residual: residual ? new WindowConv([1, 1, filters, filters], pointwise, horizontalMask(1, filters, filters, 'B', groups), random) : undefined,
      };
    };
    for (const kernel of [size.kernel, size.firstKernel]) if (kernel % 2 !== 1) throw new Error(`The gated PixelCNN needs odd kernel sizes, not ${kernel}`);
    this.layers = [layer(size.firstKernel, channels, 'A', false), ...Array.from({ length: size.layers }, () => layer(size.kernel, filters, 'B', true))];
    this.head = new MaskedHead(filters, channels, categories, random);
    const side = (size.firstKernel - 1) / 2 + size.layers * ((size.kernel - 1) / 2);
    this.reach = { up: side + 1, side };
  }

  private get convs(): WindowConv[] {
    return this.layers.flatMap(({ vertical, horizontal, link, residual }) => [vertical.f, vertical.g, horizontal.f, horizontal.g, link.f, link.g, ...(residual ? [residual] : [])]);
  }

  get variables(): tf.Variable[] {
    return [...this.convs.flatMap((conv) => conv.variables), ...this.head.variables];
  }

  /** The features every output is computed from, relu(h_L): [B, h, w, C] -> [B, h, w, F]. */
  features(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let [v, h] = [x, x];
      for (const { vertical, horizontal, link, residual } of this.layers) {
        v = gate(...vertical.apply(v));
        // the vertical stack a row down: row r reads rows above r only, so the horizontal stack never sees its own row's future
        const [fromAbove, [f, g]] = [link.apply(shiftDown(v)), horizontal.apply(h)];
        const [fSum, gSum] = [f.add(fromAbove[0]), g.add(fromAbove[1])] as tf.Tensor4D[];
        // h_l = h_{l-1} + W^res · gate(f, g); the first layer's h_0 = gate(f, g)
        h = residual ? h.add(residual.apply(gate(fSum, gSum))) : gate(fSum, gSum);
      }
      return tf.relu(h);
    });
  }

  /** [B, H, W, C] -> [B, H, W, C, K] */
  logits(x: tf.Tensor4D): tf.Tensor5D {
    return tf.tidy(() => this.head.apply(this.features(x)));
  }

  /** The logits of one pixel, at (row, column) of x, the head on that pixel alone: [B, h, w, C] -> [B, C, K]. */
  logitsAt(x: tf.Tensor4D, row: number, column: number): tf.Tensor3D {
    return tf.tidy(() => this.head.at(this.features(x), row, column));
  }

  /** The sampler's fast pass: the vertical stack a row at a time, the horizontal stack a pixel at a time, earlier activations kept. */
  cachedPass(canvas: Float32Array, count: number): ValuePass {
    return new CachedGatedPass(this, canvas, count);
  }

  /** -log p(x) per image, in nats: [B, H, W, C] -> [B]. No dropout, so `training` changes nothing. */
  negLogLikelihood(input: tf.Tensor4D, values: tf.Tensor4D, _training: boolean): tf.Tensor1D {
    return tf.tidy(() => this.head.negLogLikelihood(this.features(input), values));
  }

  /**
   * Floats one example holds at the peak of a training step, counted as PixelCNN's are
   * (./pixelcnn-network.ts: about 5 per hidden activation, and the head's floatsPerPixel): a gated layer
   * keeps about 16 F-channel activations a pixel (both stacks' padded inputs, f and g,
   * tanh, sigmoid and their products; the shift, the link's f and g and their sums; the
   * residual and the new h). Measured with tf.profile on WASM for the default size, before
   * the head's one pass: 15.1 million floats per 28x28 image, this estimate 15.0 (with that
   * pass, 12.7 million estimated, not measured again).
   */
  get floatsPerExample(): number {
    const [height, width] = this.shape;
    const { layers, filters } = this.size;
    return height * width * (5 * filters * (16 * (layers + 1) + 4) + this.head.floatsPerPixel);
  }

  dispose(): void {
    this.convs.forEach((conv) => conv.dispose());
    this.head.dispose();
  }
}
