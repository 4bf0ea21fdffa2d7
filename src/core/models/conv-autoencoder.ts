/**
 * The convolutional autoencoder.
 *
 * Paper: J. Masci, U. Meier, D. Cireşan and J. Schmidhuber, "Stacked Convolutional
 * Auto-Encoders for Hierarchical Feature Extraction", ICANN 2011.
 * https://link.springer.com/chapter/10.1007/978-3-642-21735-7_7
 *
 * The autoencoder with its fully connected layers replaced by convolutions. The encoder
 * halves the resolution with 3x3 stride-2 convolutions (28 -> 14 -> 7); the decoder
 * doubles it back with an upsampling followed by a 3x3 convolution (or a transposed
 * convolution). A filter is shared by every position, so the network has far fewer
 * weights than a dense one and knows from the start that images are made of local parts.
 * Both halves are trained together on the reconstruction error
 *   L(x, x_hat) = sum_i (x_i - x_hat_i)^2          (per image, averaged over the batch)
 * or, as an option, the Bernoulli cross-entropy of the pixels.
 *
 * Masci et al. train one layer at a time and downsample by max-pooling; we train the
 * whole stack at once and downsample by strided convolution, as is usual today.
 * An optional dense bottleneck turns the smallest feature map into a short code; without
 * it (bottleneck 0) the feature map itself is the code and there is no dense layer at all.
 */
import * as tf from '@tensorflow/tfjs';
import type { ParamValue, ParamValues } from '../params/schema';
import type { ImageGridPanel, LatentQuery, ViewPanel } from '../views/panels';
import { reconstructionLoss } from './autoencoder';
import { plainAutoencoderViews } from './autoencoder-views';
import { LatentExplorer, type CodeSpace } from './latent-explorer';
import { implement, type GenerativeModel, type LossTerms, type ModelContext, type ViewData } from './model';
import { CONV_AUTOENCODER, CONV_AUTOENCODER_PARAMS } from './specs/conv-autoencoder';
import { convDecoder, convEncoder, downsampledSize, trainableVariables, type Activation, type Upsampling } from './networks';

type ConvAutoencoderParams = ParamValues<typeof CONV_AUTOENCODER_PARAMS>;

export class ConvAutoencoder implements GenerativeModel {
  private readonly encoder: tf.Sequential;
  private readonly decoder: tf.Sequential;
  private readonly optimizer: tf.Optimizer;
  private readonly variables: tf.Variable[];
  /** The smallest feature map, [h, w, C_L]: the code itself when there is no bottleneck. */
  readonly mapShape: [number, number, number];
  private readonly codes: CodeSpace;
  private readonly explorer: LatentExplorer;

  constructor(
    private readonly params: ConvAutoencoderParams,
    context: ModelContext,
  ) {
    const shape: [number, number, number] = [...context.dataset.shape];
    const { channels, bottleneck } = params;
    const activation = params.activation as Activation;
    const levels = channels.length;
    this.mapShape = [downsampledSize(shape[0], levels), downsampledSize(shape[1], levels), channels[levels - 1]];
    // z = f(x): [B, H, W, C] -> [B, bottleneck], or the map [B, h, w, C_L] when bottleneck = 0
    this.encoder = convEncoder(shape, channels, bottleneck, activation, context.random);
    // x_hat = g(z): [B, bottleneck] or [B, h, w, C_L] -> [B, H, W, C]
    this.decoder = convDecoder(shape, channels, bottleneck, activation, params.upsampling as Upsampling, context.random);
    this.optimizer = tf.train.adam(context.learningRate);
    this.variables = trainableVariables(this.encoder, this.decoder);
    this.codes = { dimension: this.codeSize, encode: (x) => this.encodeFlat(x), decode: (z) => this.decodeFlat(z) };
    this.explorer = new LatentExplorer(this.codes, { gaussianPrior: false, codeName: 'codes' }, [params.from, params.to]);
  }

  /** Numbers in a code: the bottleneck, or h * w * C_L for the feature map. */
  get codeSize(): number {
    return this.params.bottleneck > 0 ? this.params.bottleneck : this.mapShape[0] * this.mapShape[1] * this.mapShape[2];
  }

  reconstruct(images: tf.Tensor4D): tf.Tensor4D {
    return this.decoder.apply(this.encoder.apply(images)) as tf.Tensor4D;
  }

  /** [B, H, W, C] -> [B, codeSize]: a feature-map code flattened, so it can be fitted and drawn. */
  encodeFlat(images: tf.Tensor4D): tf.Tensor2D {
    return (this.encoder.apply(images) as tf.Tensor).reshape([images.shape[0], this.codeSize]);
  }

  /** [N, codeSize] -> [N, H, W, C]. */
  decodeFlat(codes: tf.Tensor2D): tf.Tensor4D {
    // [N, h*w*C_L] -> [N, h, w, C_L] when the map is the code
    const input = this.params.bottleneck > 0 ? codes : codes.reshape([codes.shape[0], ...this.mapShape]);
    return this.decoder.apply(input) as tf.Tensor4D;
  }

  private loss(images: tf.Tensor4D): tf.Scalar {
    return reconstructionLoss(images, this.reconstruct(images), this.params.recon as 'mse' | 'bce');
  }

  trainStep(images: tf.Tensor4D): LossTerms {
    const loss = this.optimizer.minimize(() => this.loss(images), true, this.variables) as tf.Scalar;
    return { loss };
  }

  evaluate(images: tf.Tensor4D): LossTerms {
    return { loss: tf.tidy(() => this.loss(images)) };
  }

  views(data: ViewData): Promise<ViewPanel[]> {
    // With bottleneck 0 the Gaussian is fitted over the flattened feature map: a poor
    // generator (the caption says so), but set beside a short code's samples it is the lesson.
    return plainAutoencoderViews(data, this.codes, this.explorer);
  }

  decodeLatent(query: LatentQuery): Promise<ImageGridPanel> {
    return this.explorer.decode(query);
  }

  setParams(values: Readonly<Record<string, ParamValue>>): void {
    this.explorer.setParams(values);
  }

  dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
    this.optimizer.dispose();
  }
}

export const CONV_AUTOENCODER_IMPLEMENTATION = implement<typeof CONV_AUTOENCODER_PARAMS>(CONV_AUTOENCODER, (params, context) => new ConvAutoencoder(params, context));

