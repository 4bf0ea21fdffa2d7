/**
 * The denoising autoencoder.
 *
 * Paper: P. Vincent, H. Larochelle, Y. Bengio and P.-A. Manzagol, "Extracting and
 * Composing Robust Features with Denoising Autoencoders", ICML 2008.
 * https://www.cs.toronto.edu/~larocheh/publications/icml-2008-denoising-autoencoders.pdf
 *
 * Each training image x is corrupted, x~ = q(x) (pixels erased, set to black or white, or
 * jittered by Gaussian noise), and the autoencoder must rebuild the clean image from the corrupted one:
 *   L = sum_i (x_i - g(f(x~))_i)^2                 (per image, averaged over the batch)
 * or the Bernoulli cross-entropy. The code needs no bottleneck: here it is as wide as or
 * wider than the image (overcomplete), where a plain autoencoder could learn the identity
 * and learn nothing. Copying x~ is now a poor answer, because x~ is not the target; the
 * network has to learn what digits look like to fill in what the noise took away.
 */
import * as tf from '@tensorflow/tfjs';
import type { ParamValue, ParamValues } from '../params/schema';
import { createRandom, type Random } from '../random';
import type { ImageGridPanel, LatentQuery, ViewPanel } from '../views/panels';
import { reconstructionLoss } from './autoencoder';
import { testImageRowsPanel } from './autoencoder-views';
import { LatentExplorer } from './latent-explorer';
import { implement, type GenerativeModel, type LossTerms, type ModelContext, type ViewData } from './model';
import { DENOISING_AUTOENCODER, DAE_PARAMS } from './specs/denoising-autoencoder';
import { denseDecoder, denseEncoder, trainableVariables, type Activation } from './networks';
import { corrupt, type NoiseKind } from './noise';

type DaeParams = ParamValues<typeof DAE_PARAMS>;

/** Squared error summed over the pixels of each image, averaged over the batch. */
const squaredError = (x: tf.Tensor4D, y: tf.Tensor4D) => reconstructionLoss(x, y, 'mse');

export class DenoisingAutoencoder implements GenerativeModel {
  private readonly encoder: tf.Sequential;
  private readonly decoder: tf.Sequential;
  private readonly optimizer: tf.Optimizer;
  private readonly variables: tf.Variable[];
  /** A fresh corruption every step, reproducible for the run's seed. */
  private readonly noiseRandom: Random;
  /** Held-out images are corrupted the same way at every evaluation, so the curve shows learning, not noise. */
  private readonly evalSeed: number;
  /** The corruption, which the page may change mid-run: the same network, trained on, with other noise. */
  private noise: { kind: NoiseKind; level: number };
  private readonly explorer: LatentExplorer;

  constructor(
    private readonly params: DaeParams,
    context: ModelContext,
  ) {
    const shape: [number, number, number] = [...context.dataset.shape];
    const activation = params.activation as Activation;
    const inner = params.hidden.slice(0, -1);
    const code = params.hidden[params.hidden.length - 1];
    // y = s(W x~ + b): [B, H, W, C] -> [B, code]. denseEncoder's last layer is linear;
    // the activation after it makes the code a hidden layer like the paper's, not a bottleneck.
    this.encoder = denseEncoder(shape, inner, code, activation, context.random);
    this.encoder.add(tf.layers.activation({ activation }));
    // x_hat = g(y): [B, code] -> [B, H, W, C] in [0, 1]
    this.decoder = denseDecoder(shape, inner, code, activation, context.random);
    this.optimizer = tf.train.adam(context.learningRate);
    this.variables = trainableVariables(this.encoder, this.decoder);
    // drawn after the weights, so the same seed gives the same initial network at any noise level
    this.noiseRandom = createRandom(context.random.seed());
    this.evalSeed = context.random.seed();
    this.noise = { kind: params.noise as NoiseKind, level: params.level };
    const codes = { dimension: code, encode: (x: tf.Tensor4D) => this.encoder.apply(x) as tf.Tensor2D, decode: (z: tf.Tensor2D) => this.decoder.apply(z) as tf.Tensor4D };
    this.explorer = new LatentExplorer(codes, { gaussianPrior: false, codeName: 'hidden codes' }, [params.from, params.to]);
  }

  corrupt(images: tf.Tensor4D, seed: number): tf.Tensor4D {
    return corrupt(this.noise.kind, images, this.noise.level, seed);
  }

  setParams(values: Readonly<Record<string, ParamValue>>): void {
    if (typeof values.noise === 'string') this.noise = { ...this.noise, kind: values.noise as NoiseKind };
    if (typeof values.level === 'number') this.noise = { ...this.noise, level: values.level };
    this.explorer.setParams(values);
  }

  reconstruct(images: tf.Tensor4D): tf.Tensor4D {
    return this.decoder.apply(this.encoder.apply(images)) as tf.Tensor4D;
  }

  trainStep(images: tf.Tensor4D): LossTerms {
    const noisy = this.corrupt(images, this.noiseRandom.seed());
    try {
      // the target is the clean x, the input the corrupted x~
      const loss = this.optimizer.minimize(
        () => reconstructionLoss(images, this.reconstruct(noisy), this.params.recon as 'mse' | 'bce'),
        true,
        this.variables,
      ) as tf.Scalar;
      return { loss };
    } finally {
      noisy.dispose();
    }
  }

  evaluate(images: tf.Tensor4D): LossTerms {
    const noisy = this.corrupt(images, this.evalSeed);
    try {
      return tf.tidy(() => {
        const reconstructed = this.reconstruct(noisy);
        return {
          loss: reconstructionLoss(images, reconstructed, this.params.recon as 'mse' | 'bce'),
          // ||x - x~||^2 - ||x - g(f(x~))||^2: > 0 when the output is closer to the clean
          // image than the noisy input was. Squared error whatever the loss: the cross-entropy
          // of a noisy input read as a prediction is dominated by its exact 0s and 1s.
          denoise_gain: squaredError(images, noisy).sub(squaredError(images, reconstructed)) as tf.Scalar,
        };
      });
    } finally {
      noisy.dispose();
    }
  }

  async views({ dataset, random }: ViewData): Promise<ViewPanel[]> {
    // No samples panel: a DAE has no distribution over codes to draw from, and decoding
    // Gaussian draws would show the plain autoencoder's weakness, not this model's point.
    return [await this.denoisingPanel(dataset, random.seed()), ...(await this.explorer.panels(dataset))];
  }

  /** The explorer reads the codes of clean images. */
  decodeLatent(query: LatentQuery): Promise<ImageGridPanel> {
    return this.explorer.decode(query);
  }

  /** Rows of 8 test images: clean, corrupted, reconstructed from the corrupted. */
  private denoisingPanel(dataset: ViewData['dataset'], seed: number): Promise<ImageGridPanel> {
    return testImageRowsPanel(
      dataset,
      (images) => {
        const noisy = this.corrupt(images, seed);
        return [noisy, this.reconstruct(noisy)];
      },
      {
        id: 'denoising',
        title: 'Denoising',
        caption: 'Held-out test images (clean), the same images corrupted (noisy), and what the model rebuilds from the noisy ones.',
        rowLabels: ['clean', 'noisy', 'recon.'],
      },
    );
  }

  dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
    this.optimizer.dispose();
  }
}

export const DENOISING_AUTOENCODER_IMPLEMENTATION = implement<typeof DAE_PARAMS>(DENOISING_AUTOENCODER, (params, context) => new DenoisingAutoencoder(params, context));

