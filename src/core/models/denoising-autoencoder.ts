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
import { defineParams, type ParamValue, type ParamValues } from '../params/schema';
import { createRandom, type Random } from '../random';
import type { ImageGridPanel, LatentQuery, ViewPanel } from '../views/panels';
import { AUTOENCODER_PARAMS, reconstructionLoss } from './autoencoder';
import { testImageRowsPanel } from './autoencoder-views';
import { EXPLORER_PARAMS, LatentExplorer } from './latent-explorer';
import { defineModel, type GenerativeModel, type LossTerms, type ModelContext, type ViewData } from './model';
import { denseDecoder, denseEncoder, trainableVariables, type Activation } from './networks';
import { corrupt, type NoiseKind } from './noise';

/** The dense autoencoder's activation and loss controls, so the two read (and link) alike. */
const [, , ACTIVATION_PARAM, RECON_PARAM] = AUTOENCODER_PARAMS;

export const DAE_PARAMS = defineParams([
  {
    kind: 'choice',
    key: 'noise',
    live: true,
    label: 'Noise',
    help: 'How inputs are corrupted: pixels set to 0 (masking, as in the paper), pixels set to 0 or 1 (salt and pepper), or Gaussian noise added to every pixel.',
    default: 'masking',
    choices: [
      { value: 'masking', label: 'Masking' },
      { value: 'salt-pepper', label: 'Salt and pepper' },
      { value: 'gaussian', label: 'Gaussian' },
    ],
  },
  {
    kind: 'number',
    key: 'level',
    live: true,
    label: 'Noise level',
    help: 'The fraction of pixels hit (masking, salt and pepper), or the standard deviation of the Gaussian noise. At 0 this is a plain autoencoder.',
    default: 0.3,
    min: 0,
    max: 1,
    step: 0.01,
  },
  {
    kind: 'int-list',
    key: 'hidden',
    label: 'Hidden widths',
    help: 'Widths of the encoder\'s layers, comma-separated; the last is the code, and the decoder mirrors the others. Wider than the 784 pixels, only the noise stops the network from copying its input.',
    default: [1024],
    min: 4,
    max: 2048,
    minLength: 1,
    maxLength: 3,
  },
  ACTIVATION_PARAM,
  RECON_PARAM,
  ...EXPLORER_PARAMS,
]);

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

export const DENOISING_AUTOENCODER = defineModel({
  id: 'dae',
  name: 'Denoising autoencoder',
  family: 'Autoencoders',
  paper: {
    title: 'Extracting and Composing Robust Features with Denoising Autoencoders',
    authors: 'P. Vincent, H. Larochelle, Y. Bengio and P.-A. Manzagol',
    year: 2008,
    url: 'https://www.cs.toronto.edu/~larocheh/publications/icml-2008-denoising-autoencoders.pdf',
  },
  card: {
    summary:
      'An autoencoder that sees a corrupted image (some pixels erased, or noise added) and must rebuild the clean one. ' +
      'Its code can be wider than the image: a plain autoencoder that wide could just copy its input and learn nothing, ' +
      'but copying a noisy input does not give back the clean image, so the network has to learn what images look like.',
    objectiveTex: '\\mathcal{L}(x, \\hat{x}) = \\sum_i (x_i - \\hat{x}_i)^2, \\quad \\hat{x} = g(f(\\tilde{x})), \\quad \\tilde{x} \\sim q(\\tilde{x} \\mid x)',
    objectiveText:
      'Loss equals the sum over pixels of (x_i minus x-hat_i) squared, where x-hat is the decoder applied to the code of a corrupted copy x-tilde of x, and the target x is the clean image.',
    watchFor: [
      'The held-out "denoising gain": how much closer the reconstruction is to the clean image than the noisy input was. It starts below zero and climbs above it as the model learns to fill in erased strokes.',
      'At noise level 0 the same wide network is a plain autoencoder: its loss falls lower, because copying the input is now the right answer, ' +
        'and nothing makes it learn more than that.',
      'Masked pixels come back, but the reconstructions are smoother than the clean images: squared error averages over the strokes the noise could have hidden.',
    ],
  },
  terms: [
    { key: 'loss', label: 'reconstruction error', unit: 'per image', help: 'Squared error or cross-entropy between the clean image and the reconstruction of its corrupted copy, summed over the pixels of an image.' },
    {
      key: 'denoise_gain',
      label: 'denoising gain',
      unit: 'squared error per image',
      help: 'Held-out only: squared error of the noisy input minus that of the reconstruction, both against the clean image. Above 0 the model removes noise.',
    },
  ],
  params: DAE_PARAMS,
  create: (params, context) => new DenoisingAutoencoder(params, context),
});
