/**
 * The PixelCNN++ network.
 *
 * Paper: T. Salimans, A. Karpathy, X. Chen and D. P. Kingma, "PixelCNN++: Improving the
 * PixelCNN with Discretized Logistic Mixture Likelihood and Other Modifications", ICLR
 * 2017, section 2 and figure 2. https://arxiv.org/abs/1701.05517
 *
 * Two streams of shifted convolutions (./shifted-conv.ts): u sees the rows above a pixel,
 * ul the pixels before it in its row too (ul takes u in at every block). Their residual
 * blocks (./gated-resnet.ts) run at three scales, as a U-net:
 *   up pass:   R blocks at H x W, stride 2 down, R blocks at H/2, stride 2 down, R at H/4
 *   down pass: R blocks at H/4, transposed conv up, R + 1 at H/2, up, R + 1 at H x W
 * each down-pass block taking, by a short-cut connection, the up pass's output of the same
 * place in the stack (what downsampling would otherwise lose). Then a 1x1 head gives each
 * pixel's distribution: the discretized logistic mixture (./logistic-mixture.ts) or a
 * 256-way softmax per channel.
 *
 * Every change the paper makes is a switch (PixelCnnPlusPlusOptions), so that each can be
 * turned off and compared. Within a pixel, the channels are ordered either by the mixture
 * (whole-pixel conditioning: G's mean linear in R, B's in R and G) or, as in PixelCNN, by
 * masks: the head sees the pixel's own earlier channels through a type-A masked 1x1
 * convolution (./masked-conv.ts), so G's distribution is a function of R, B's of R and G.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../random';
import type { AutoregressiveNetwork } from './autoregressive-network';
import { ResidualBlock } from './gated-resnet';
import { channelMixtures, mixtureLogProbabilities, mixtureLogProbability, mixtureParameterCount } from './logistic-mixture';
import { MaskedConv2d } from './masked-conv';
import { negLogLikelihood as softmaxNegLogLikelihood } from './pixel-likelihood';
import type { ValuePass } from './pixel-sampler';
import { CachedPixelCnnPlusPlusPass } from './pixelcnnpp-cache';
import { PixelDense, ShiftedConv2d, shiftDown, shiftRight } from './shifted-conv';

export interface PixelCnnPlusPlusOptions {
  /** Feature maps of every layer of both streams. */
  filters: number;
  /** Residual blocks per scale in the up pass (R; the down pass has R, R + 1, R + 1). */
  blocks: number;
  /** 'mixture': the discretized logistic mixture; 'softmax': 256 logits per value. */
  likelihood: 'mixture' | 'softmax';
  /** K: logistics in the mixture. */
  components: number;
  /** Channels of a pixel ordered by the mixture's linear means (true) or by masks (false). A softmax always uses masks. */
  wholePixel: boolean;
  /** Stride-2 convolutions down, transposed ones up (true); or every layer at full resolution. */
  downsample: boolean;
  /** Short-cut connections from the up pass to the down pass. */
  shortcuts: boolean;
  /** Gated residual blocks (true) or plain ones. */
  gated: boolean;
  /** Dropout rate on the residual path while training. */
  dropout: number;
}

/** Scales of the U-net: H, H/2, H/4. */
const SCALES = 3;

export class PixelCnnPlusPlusNetwork implements AutoregressiveNetwork {
  readonly categories = 256 as const;
  readonly reach: { up: number; side: number };
  private readonly wholePixel: boolean;
  /** Numbers the head gives each pixel: mixture parameters, or C x 256 logits. */
  private readonly parameterCount: number;
  private readonly firstUp: ShiftedConv2d;
  private readonly firstLeft: ShiftedConv2d;
  private readonly firstUpLeft: ShiftedConv2d;
  private readonly upPass: { u: ResidualBlock[]; ul: ResidualBlock[] }[];
  private readonly downPass: { u: ResidualBlock[]; ul: ResidualBlock[] }[];
  /** Between the scales: down in the up pass, up in the down pass ([u, ul] each). */
  private readonly shrink: [ShiftedConv2d, ShiftedConv2d][];
  private readonly grow: [ShiftedConv2d, ShiftedConv2d][];
  private readonly hidden: PixelDense;
  /** With masks: the pixel's own earlier channels into the head (type A), and the head's output kept in colour groups (type B). */
  private readonly ownChannels?: MaskedConv2d;
  private readonly output: PixelDense | MaskedConv2d;

  constructor(
    readonly shape: readonly [number, number, number],
    readonly options: PixelCnnPlusPlusOptions,
    private readonly random: Random,
  ) {
    const [height, width, channels] = shape;
    const { filters: F, blocks: R, downsample, shortcuts } = options;
    if (downsample && (height % 4 !== 0 || width % 4 !== 0)) throw new Error(`Downsampling twice needs a height and width divisible by 4, not ${height}x${width}`);
    this.wholePixel = options.likelihood === 'mixture' && options.wholePixel && channels > 1;
    const perChannel = options.likelihood === 'softmax' ? 256 : 3 * options.components;
    this.parameterCount = this.wholePixel ? mixtureParameterCount(channels, options.components, true) : channels * perChannel;
    // the image in [-1, 1] and a channel of ones, which tells the image from the zero padding (the authors' trick)
    const inputs = channels + 1;
    this.firstUp = new ShiftedConv2d('down', [2, 3], inputs, F, 1, random);
    this.firstLeft = new ShiftedConv2d('down', [1, 3], inputs, F, 1, random);
    this.firstUpLeft = new ShiftedConv2d('down-right', [2, 1], inputs, F, 1, random);
    const block = { gated: options.gated, dropout: options.dropout };
    const stream = (count: number, uShortcut: number, ulShortcut: number) => ({
      u: Array.from({ length: count }, () => new ResidualBlock('down', F, uShortcut, block, random)),
      ul: Array.from({ length: count }, () => new ResidualBlock('down-right', F, ulShortcut, block, random)),
    });
    // up pass: ul takes u in; down pass: u takes the up pass's u, ul takes [u, the up pass's ul]
    this.upPass = Array.from({ length: SCALES }, () => stream(R, 0, F));
    this.downPass = Array.from({ length: SCALES }, (_, scale) => stream(scale === SCALES - 1 ? R : R + 1, shortcuts ? F : 0, shortcuts ? 2 * F : F));
    const stride = downsample ? 2 : 1;
    this.shrink = Array.from({ length: SCALES - 1 }, () => [new ShiftedConv2d('down', [2, 3], F, F, stride, random), new ShiftedConv2d('down-right', [2, 2], F, F, stride, random)]);
    this.grow = Array.from({ length: SCALES - 1 }, () => [
      new ShiftedConv2d('down', [2, 3], F, F, stride, random, downsample),
      new ShiftedConv2d('down-right', [2, 2], F, F, stride, random, downsample),
    ]);
    this.hidden = new PixelDense(F, F, random);
    if (this.wholePixel || channels === 1) {
      this.output = new PixelDense(F, this.parameterCount, random);
    } else {
      this.ownChannels = new MaskedConv2d(1, channels, F, 'A', channels, random);
      // output o belongs to channel floor(o * C / (C * perChannel)): a block of parameters per colour
      this.output = new MaskedConv2d(1, F, this.parameterCount, 'B', channels, random);
    }
    this.reach = downsample ? { up: height, side: width } : fullResolutionReach(R);
  }

  private get layers(): { variables: tf.Variable[]; dispose(): void }[] {
    const blocks = [...this.upPass, ...this.downPass].flatMap((scale) => [...scale.u, ...scale.ul]);
    return [this.firstUp, this.firstLeft, this.firstUpLeft, ...blocks, ...this.shrink.flat(), ...this.grow.flat(), this.hidden, ...(this.ownChannels ? [this.ownChannels] : []), this.output];
  }

  get variables(): tf.Variable[] {
    return this.layers.flatMap((layer) => layer.variables);
  }

  /**
   * Floats one example holds at the peak of a training step: some 12 activations of F per
   * block and stream, about 4 floats each, and 12 per head parameter a pixel. Measured with
   * tf.profile at the defaults (MNIST), per hidden activation: 2.9 on WASM (15.2 MB an image,
   * batch 32 and 64), 3.4 composed of TF.js's ops on the CPU backend (18.0 MB); this takes
   * 20.8 MB, 16% over the composed figure (WebGL and WebGPU not measured), so a batch of 64
   * runs in three parts.
   */
  get floatsPerExample(): number {
    const [height, width] = this.shape;
    const { filters, blocks, downsample } = this.options;
    // blocks per stream at full resolution, counting a block at H/2 as a quarter of one
    const fullResolution = downsample ? 2 * blocks + 1 + (2 * blocks + 1) / 4 + (2 * blocks) / 16 : 6 * blocks + 2;
    return height * width * (4 * filters * (24 * fullResolution + 8) + 12 * this.parameterCount);
  }

  /** What the streams end with at each pixel: [B, H, W, C] inputs (v / 255) -> [B, H, W, F]. */
  private features(input: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tf.tidy(() => {
      const seed = () => this.random.seed();
      // in training, elu(t) once a tensor for every block that reads it (kept past the blocks' own scopes, freed below;
      // the gradient's tape keeps each ELU anyway); held out, each block's own, freed with the block, as memory is tighter there
      const activated = new Map<number, tf.Tensor4D>();
      const elu = !training ? tf.elu : (t: tf.Tensor4D): tf.Tensor4D => {
        if (!activated.has(t.id)) activated.set(t.id, tf.keep(tf.elu(t)));
        return activated.get(t.id)!;
      };
      try {
        // [B, h, w, C] -> [B, h, w, C + 1]: x in [-1, 1], and ones
        let x = tf.concat([input.mul(2).sub(1), tf.onesLike(input.slice([0, 0, 0, 0], [-1, -1, -1, 1]))], 3) as tf.Tensor4D;
        // The sampler's window ends at the row being drawn: zero rows below, up to a multiple of 4, let it halve twice.
        // Nothing reads a row below its own, so the rows above come out as in the whole image.
        const [batch, height] = input.shape;
        const missing = this.options.downsample ? (4 - (height % 4)) % 4 : 0;
        if (missing > 0) x = x.pad([[0, 0], [0, missing], [0, 0], [0, 0]]);
        // u: rows above (a 2x3 window, moved down a row); ul: the row above (1x3, moved down) and the pixels to the left (2x1, moved right)
        let u = shiftDown(this.firstUp.apply(x));
        let ul = shiftDown(this.firstLeft.apply(x)).add(shiftRight(this.firstUpLeft.apply(x))) as tf.Tensor4D;
        const uStack: tf.Tensor4D[] = [u];
        const ulStack: tf.Tensor4D[] = [ul];
        for (let scale = 0; scale < SCALES; scale++) {
          if (scale > 0) {
            const [uConv, ulConv] = this.shrink[scale - 1];
            [u, ul] = [uConv.apply(u), ulConv.apply(ul)];
            uStack.push(u);
            ulStack.push(ul);
          }
          const { u: uBlocks, ul: ulBlocks } = this.upPass[scale];
          for (let i = 0; i < uBlocks.length; i++) {
            u = uBlocks[i].apply(u, undefined, training, seed, elu);
            ul = ulBlocks[i].apply(ul, [u], training, seed, elu);
            uStack.push(u);
            ulStack.push(ul);
          }
        }
        // the down pass takes the up pass's outputs back in the reverse order, one a block (the last is where it starts)
        uStack.pop();
        ulStack.pop();
        for (let scale = SCALES - 1; scale >= 0; scale--) {
          if (scale < SCALES - 1) {
            const [uConv, ulConv] = this.grow[scale];
            [u, ul] = [uConv.apply(u), ulConv.apply(ul)];
          }
          const { u: uBlocks, ul: ulBlocks } = this.downPass[scale];
          for (let i = 0; i < uBlocks.length; i++) {
            const [uShortcut, ulShortcut] = [uStack.pop()!, ulStack.pop()!];
            if (this.options.shortcuts) {
              u = uBlocks[i].apply(u, [uShortcut], training, seed, elu);
              ul = ulBlocks[i].apply(ul, [u, ulShortcut], training, seed, elu);
            } else {
              u = uBlocks[i].apply(u, undefined, training, seed, elu);
              ul = ulBlocks[i].apply(ul, [u], training, seed, elu);
            }
          }
        }
        // [B, h + missing, w, F] -> [B, h, w, F]
        return tf.elu(missing > 0 ? ul.slice([0, 0, 0, 0], [batch, height, -1, -1]) : ul);
      } finally {
        tf.dispose([...activated.values()]);
      }
    });
  }

  /** The head, pixel by pixel: features [B, h, w, F] and the pixels' inputs [B, h, w, C] -> parameters [B, h, w, P]. */
  private head(features: tf.Tensor4D, input: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let hidden = this.hidden.apply(features);
      // G's units see the pixel's R, B's its R and G: the type-A mask at the pixel itself
      if (this.ownChannels) hidden = hidden.add(this.ownChannels.apply(input.mul(2).sub(1) as tf.Tensor4D));
      return this.output.apply(tf.elu(hidden));
    });
  }

  /** -log p(x) per image, in nats, straight from the parameters (no 256 values a channel): [B, H, W, C] -> [B]. */
  negLogLikelihood(input: tf.Tensor4D, values: tf.Tensor4D, training: boolean): tf.Tensor1D {
    return tf.tidy(() => {
      const params = this.head(this.features(input, training), input);
      const [batch, height, width, channels] = values.shape;
      if (this.options.likelihood === 'softmax') return softmaxNegLogLikelihood(params.reshape([batch, height, width, channels, 256]), values);
      const pixels = batch * height * width;
      // [B, H, W, P] -> [M, P] and [B, H, W, C] -> [M, C], one row per pixel
      const flatValues = values.reshape([pixels, channels]) as tf.Tensor2D;
      const mixtures = channelMixtures(params.reshape([pixels, this.parameterCount]), flatValues, channels, this.options.components, this.wholePixel);
      // log p(x) = sum over pixels and channels of log P(x_c | earlier values), [M, C] -> [B, H*W*C] -> [B]
      return mixtureLogProbability(mixtures, flatValues).reshape([batch, height * width * channels]).sum(1).neg() as tf.Tensor1D;
    });
  }

  /** Log-probabilities of all 256 values from the parameters: [B, h, w, P] and the inputs [B, h, w, C] -> [B, h, w, C, 256]. */
  private valueLogits(params: tf.Tensor4D, input: tf.Tensor4D): tf.Tensor5D {
    return tf.tidy(() => {
      const [batch, height, width, channels] = input.shape;
      if (this.options.likelihood === 'softmax') return params.reshape([batch, height, width, channels, 256]) as tf.Tensor5D;
      // [M*C, 256] -> [B, h, w, C, 256]
      return this.mixtureLogits(params, input, channels - 1, false).reshape([batch, height, width, channels, 256]) as tf.Tensor5D;
    });
  }

  /**
   * One channel's log-probabilities of all 256 values, [B, h, w, P] and [B, h, w, C] -> [B*h*w, 256]:
   * what the sampler asks for, a channel at a time. The mixtures of the channels after it are
   * not made (a colour image's three channels at every channel took three times the work), and
   * each row's numbers are those valueLogits gives, so the ways of drawing still agree.
   */
  private channelLogits(params: tf.Tensor4D, input: tf.Tensor4D, channel: number): tf.Tensor2D {
    return tf.tidy(() => {
      const [batch, height, width, channels] = input.shape;
      const pixels = batch * height * width;
      if (this.options.likelihood === 'softmax') return params.reshape([pixels, channels * 256]).slice([0, channel * 256], [pixels, 256]) as tf.Tensor2D;
      return this.mixtureLogits(params, input, channel, true);
    });
  }

  /** The mixtures' log-probabilities of the 256 values for channels 0..through, [M*(through + 1), 256], or for channel `through` alone, [M, 256]. */
  private mixtureLogits(params: tf.Tensor4D, input: tf.Tensor4D, through: number, alone: boolean): tf.Tensor2D {
    const [batch, height, width, channels] = input.shape;
    const pixels = batch * height * width;
    const K = this.options.components;
    // the earlier channels' values, as drawn or read; their centres stay differentiable, for the receptive-field view
    const values = input.mul(255).round().toInt().reshape([pixels, channels]) as tf.Tensor2D;
    const centres = input.mul(2).sub(1).reshape([pixels, channels]) as tf.Tensor2D;
    const mixture = channelMixtures(params.reshape([pixels, this.parameterCount]), values, channels, K, this.wholePixel, centres, through);
    // [M, through + 1, K] -> [M, K], channel `through`'s, or -> [M*(through + 1), K]
    const rows = (t: tf.Tensor) => (alone ? t.slice([0, through, 0], [pixels, 1, K]).reshape([pixels, K]) : t.reshape([pixels * (through + 1), K])) as tf.Tensor2D;
    return mixtureLogProbabilities(rows(mixture.logWeights), rows(mixture.means), rows(mixture.logScales));
  }

  /** [B, H, W, C] -> [B, H, W, C, 256]: log P(v) of every value v given everything before it. */
  logits(x: tf.Tensor4D): tf.Tensor5D {
    return tf.tidy(() => this.valueLogits(this.head(this.features(x, false), x), x));
  }

  /** The pixel at (row, column) of x alone through the head: [n, h, w, C] -> [n, C, 256]. */
  logitsAt(x: tf.Tensor4D, row: number, column: number): tf.Tensor3D {
    return tf.tidy(() => {
      const [n, , , channels] = x.shape;
      const pixel = (t: tf.Tensor4D) => t.slice([0, row, column, 0], [n, 1, 1, t.shape[3]]);
      const features = pixel(this.features(x, false));
      const input = pixel(x);
      return this.valueLogits(this.head(features, input), input).reshape([n, channels, 256]);
    });
  }

  /** The sampler's pass: the U-net row by row, each scale's finished rows kept (./pixelcnnpp-cache.ts). */
  cachedPass(canvas: Float32Array, count: number): ValuePass {
    const { shape, options, firstUp, firstLeft, firstUpLeft, upPass, downPass, shrink, grow } = this;
    const pixelLogits = (features: tf.Tensor4D, input: tf.Tensor4D, channel: number) => this.channelLogits(this.head(features, input), input, channel);
    return new CachedPixelCnnPlusPlusPass({ shape, options, firstUp, firstLeft, firstUpLeft, upPass, downPass, shrink, grow, pixelLogits }, canvas, count);
  }

  dispose(): void {
    this.layers.forEach((layer) => layer.dispose());
  }
}

/**
 * Without downsampling, how far back an output reaches: every shifted convolution adds at
 * most a row above and a column either side, the first layers 2 rows; on the longest path
 * lie 2 per block (6R + 2 + 2 of them) and the 4 convolutions between the scales.
 */
function fullResolutionReach(blocks: number): { up: number; side: number } {
  const convolutions = 2 * (6 * blocks + 2) + 4;
  return { up: convolutions + 2, side: convolutions + 1 };
}
