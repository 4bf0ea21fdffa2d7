/**
 * The plain (bottleneck) autoencoder.
 *
 * Paper: G. E. Hinton and R. R. Salakhutdinov, "Reducing the Dimensionality of Data with
 * Neural Networks", Science 313 (2006). https://www.science.org/doi/10.1126/science.1127647
 *
 * An encoder squeezes each image x into a short code z = f(x); a decoder maps it back,
 * x_hat = g(z). Both are trained together to minimize the reconstruction error
 *   L(x, x_hat) = sum_i (x_i - x_hat_i)^2          (per image, averaged over the batch)
 * or, as an option, the Bernoulli cross-entropy of the pixels. The narrow code is what
 * stops the network from copying its input.
 *
 * To generate, the plain autoencoder has no prior over codes: we fit a Gaussian to the
 * codes of training images and decode draws from it.
 */
import * as tf from '@tensorflow/tfjs';
import type { ParamValue, ParamValues } from '../params/schema';
import type { ImageGridPanel, LatentQuery, ViewPanel } from '../views/panels';
import { implement, type GenerativeModel, type LossTerms, type ModelContext, type ViewData } from './model';
import { plainAutoencoderViews } from './autoencoder-views';
import { LatentExplorer, type CodeSpace } from './latent-explorer';
import { AUTOENCODER, AUTOENCODER_PARAMS } from './specs/autoencoder';
import { denseDecoder, denseEncoder, trainableVariables, type Activation } from './networks';

type AutoencoderParams = ParamValues<typeof AUTOENCODER_PARAMS>;

/** Per-image reconstruction error, averaged over the batch. x, xHat: [B, H, W, C]. */
export function reconstructionLoss(x: tf.Tensor4D, xHat: tf.Tensor4D, kind: 'mse' | 'bce'): tf.Scalar {
  return tf.tidy(() => {
    if (kind === 'mse') {
      // sum_i (x_i - x_hat_i)^2 over the pixels of each image
      return x.sub(xHat).square().sum([1, 2, 3]).mean() as tf.Scalar;
    }
    // -sum_i [x_i log x_hat_i + (1 - x_i) log(1 - x_hat_i)], clipped away from log 0
    const p = xHat.clipByValue(1e-6, 1 - 1e-6);
    const logLikelihood = x.mul(p.log()).add(tf.scalar(1).sub(x).mul(tf.scalar(1).sub(p).log()));
    return logLikelihood.sum([1, 2, 3]).mean().neg() as tf.Scalar;
  });
}

class Autoencoder implements GenerativeModel {
  private readonly encoder: tf.Sequential;
  private readonly decoder: tf.Sequential;
  private readonly optimizer: tf.Optimizer;
  private readonly variables: tf.Variable[];
  private readonly codes: CodeSpace;
  private readonly explorer: LatentExplorer;

  constructor(
    private readonly params: AutoencoderParams,
    context: ModelContext,
  ) {
    const shape: [number, number, number] = [...context.dataset.shape];
    const activation = params.activation as Activation;
    // z = f(x): [B, H, W, C] -> [B, bottleneck], a linear code free to take any value
    this.encoder = denseEncoder(shape, params.hidden, params.bottleneck, activation, context.random);
    // x_hat = g(z): [B, bottleneck] -> [B, H, W, C]
    this.decoder = denseDecoder(shape, params.hidden, params.bottleneck, activation, context.random);
    this.optimizer = tf.train.adam(context.learningRate);
    this.variables = trainableVariables(this.encoder, this.decoder);
    this.codes = { dimension: params.bottleneck, encode: (x) => this.encode(x), decode: (z) => this.decode(z) };
    this.explorer = new LatentExplorer(this.codes, { gaussianPrior: false, codeName: 'codes' }, [params.from, params.to]);
  }

  encode(images: tf.Tensor4D): tf.Tensor2D {
    return this.encoder.apply(images) as tf.Tensor2D;
  }

  decode(codes: tf.Tensor2D): tf.Tensor4D {
    return this.decoder.apply(codes) as tf.Tensor4D;
  }

  private loss(images: tf.Tensor4D): tf.Scalar {
    return reconstructionLoss(images, this.decode(this.encode(images)), this.params.recon as 'mse' | 'bce');
  }

  trainStep(images: tf.Tensor4D): LossTerms {
    const loss = this.optimizer.minimize(() => this.loss(images), true, this.variables) as tf.Scalar;
    return { loss };
  }

  evaluate(images: tf.Tensor4D): LossTerms {
    return { loss: tf.tidy(() => this.loss(images)) };
  }

  views(data: ViewData): Promise<ViewPanel[]> {
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

export const AUTOENCODER_IMPLEMENTATION = implement<typeof AUTOENCODER_PARAMS>(AUTOENCODER, (params, context) => new Autoencoder(params, context));

