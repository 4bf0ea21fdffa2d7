/**
 * The residual block of PixelCNN++ (Salimans et al. 2017, "PixelCNN++", section 2.4 and
 * the authors' gated_resnet, https://arxiv.org/abs/1701.05517):
 *   c1 = elu(conv(elu(h)) + nin(elu(a)))     a: a short-cut input (the other stream, or the up pass's output at this scale)
 *   c1 = dropout(c1)                         on the residual path only: the identity path is never dropped
 *   gated: [c2, g] = conv(c1)   h' = h + c2 * sigmoid(g)
 *   plain:  c2 = conv(c1)       h' = h + c2
 * The gate (from the gated PixelCNN) lets each unit choose how much of the residual to
 * let through. Both convolutions are shifted the same way as the stream, so the block
 * keeps the stream's causality; nin is 1x1 and the short-cut input is causal for this pixel.
 * ELU where the authors use concatenated ELU (ELU of [x, -x], twice the channels): half
 * the multiplications, for the browser.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../random';
import { gatedSum } from './gated-sum';
import { PixelDense, ShiftedConv2d, type ShiftDirection } from './shifted-conv';

const WINDOWS: Record<ShiftDirection, [number, number]> = { down: [2, 3], 'down-right': [2, 2] };

export interface ResidualOptions {
  gated: boolean;
  /** Dropout rate on c1 while training; 0: none. */
  dropout: number;
}

export class ResidualBlock {
  // readable by the sampler's row-by-row pass (./pixelcnnpp-cache.ts)
  readonly first: ShiftedConv2d;
  readonly second: ShiftedConv2d;
  readonly shortcut?: PixelDense;

  /** shortcutChannels: channels of the short-cut input a (0: none). */
  constructor(
    direction: ShiftDirection,
    readonly filters: number,
    shortcutChannels: number,
    private readonly options: ResidualOptions,
    random: Random,
  ) {
    const window = WINDOWS[direction];
    this.first = new ShiftedConv2d(direction, window, filters, filters, 1, random);
    if (shortcutChannels > 0) this.shortcut = new PixelDense(shortcutChannels, filters, random);
    // the residual starts small (the authors' init_scale 0.1): a deep stack begins near the identity
    this.second = new ShiftedConv2d(direction, window, filters, options.gated ? 2 * filters : filters, 1, random, false, 0.1);
  }

  get variables(): tf.Variable[] {
    return [this.first, this.second, ...(this.shortcut ? [this.shortcut] : [])].flatMap((layer) => layer.variables);
  }

  /**
   * h: [B, H, W, F]; a: the short-cut inputs, [B, H, W, *] each, their channels
   * shortcutChannels in all -> [B, H, W, F]; seed: dropout's coins, when training. `activate`
   * takes the ELUs of h and a: in training the network's passes one that takes a tensor's
   * ELU once for all the blocks that read it (a stream's output is the next block's h and
   * another block's short-cut input). elu([a1, a2]) = [elu(a1), elu(a2)].
   */
  apply(h: tf.Tensor4D, a: tf.Tensor4D[] | undefined, training: boolean, seed: () => number, activate: (t: tf.Tensor4D) => tf.Tensor4D = tf.elu): tf.Tensor4D {
    return tf.tidy(() => {
      let c1: tf.Tensor4D = this.first.apply(activate(h));
      if (this.shortcut && a) c1 = c1.add(this.shortcut.apply(a.length === 1 ? activate(a[0]) : (tf.concat(a.map(activate), 3) as tf.Tensor4D)));
      c1 = tf.elu(c1);
      // dropout scales the kept units by 1 / (1 - rate): evaluation needs no rescaling
      if (training && this.options.dropout > 0) c1 = tf.dropout(c1, this.options.dropout, undefined, seed()) as tf.Tensor4D;
      const c2 = this.second.apply(c1);
      if (!this.options.gated) return h.add(c2);
      // h + values sigmoid(gates), the two halves of c2's channels
      return gatedSum(h, c2);
    });
  }

  dispose(): void {
    [this.first, this.second, ...(this.shortcut ? [this.shortcut] : [])].forEach((layer) => layer.dispose());
  }
}
