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
import type { ImageDataset } from '../../datasets/image-dataset';
import type { ADAM_OPTIMIZER } from '../../params/optimizer-params';
import type { ParamValue, ParamValues } from '../../params/schema';
import { createRandom, type Random } from '../../random';
import { examplesEvaluated, HELD_OUT_PLAN, heldOutMeans } from '../../training/evaluation';
import { combineParts, randomPart, type StatePart } from '../../training/model-state';
import { AdamOptimizer } from '../../training/optimizer';
import type { ImageGridPanel, ViewPanel } from '../../views/panels';
import { implement, type Action, type Evaluation, type ModelFactory, type GenerativeModel, type ModelContext, type StepContext, type StepTerms, type ViewContext } from '../model';
import { denseDecoder, denseEncoder, examplesPerChunk, trainableVariables, trainingStepBytes, type Activation } from '../networks';
import { reconstructionErrors, reconstructionLoss, type ReconstructionKind } from './autoencoder';
import { DAE_PARAMS, DENOISING_AUTOENCODER } from './dae-spec';
import { LatentExplorer } from './latent-explorer';
import { corrupt, type NoiseKind } from './noise';
import { testImageRowsPanel } from './views';

type DaeValues = ParamValues<typeof DAE_PARAMS> & ParamValues<typeof ADAM_OPTIMIZER>;

export class DenoisingAutoencoder implements GenerativeModel {
  private readonly encoder: tf.Sequential;
  private readonly decoder: tf.Sequential;
  private readonly optimizer: AdamOptimizer;
  /** A fresh corruption every step, reproducible for the run's seed. */
  private readonly noiseRandom: Random;
  /** Held-out images are corrupted the same way at every evaluation, so the curve shows learning, not noise. */
  private readonly evalSeed: number;
  /** The corruption, which the page may change mid-run: the same network, trained on, with other noise. */
  private noise: { kind: NoiseKind; level: number };
  private readonly explorer: LatentExplorer;
  private readonly recon: ReconstructionKind;
  readonly evaluations: readonly Evaluation[];
  readonly actions: Readonly<Record<string, Action>>;
  readonly state: StatePart;

  constructor(values: DaeValues, context: ModelContext) {
    if (context.data.kind !== 'image') throw new Error('The denoising autoencoder needs images');
    const shape = context.data.shape;
    const activation = values.activation as Activation;
    const inner = values.hidden.slice(0, -1);
    const code = values.hidden[values.hidden.length - 1];
    // y = s(W x~ + b): [B, H, W, C] -> [B, code]. denseEncoder's last layer is linear;
    // the activation after it makes the code a hidden layer like the paper's, not a bottleneck.
    this.encoder = denseEncoder(shape, inner, code, activation, context.random);
    this.encoder.add(tf.layers.activation({ activation }));
    // x_hat = g(y): [B, code] -> [B, H, W, C] in [0, 1]
    this.decoder = denseDecoder(shape, inner, code, activation, context.random);
    this.optimizer = new AdamOptimizer(trainableVariables(this.encoder, this.decoder), values);
    // drawn after the weights, so the same seed gives the same initial network at any noise level
    this.noiseRandom = createRandom(context.random.seed());
    this.state = combineParts({ network: this.optimizer, noise: randomPart(this.noiseRandom) });
    this.evalSeed = context.random.seed();
    this.noise = { kind: values.noise as NoiseKind, level: values.level };
    this.recon = values.recon as ReconstructionKind;
    const codes = { dimension: code, encode: (x: tf.Tensor) => this.encoder.apply(x) as tf.Tensor2D, decode: (z: tf.Tensor2D) => this.decoder.apply(z) as tf.Tensor4D };
    this.explorer = new LatentExplorer(codes, { gaussianPrior: false, codeName: 'hidden codes' }, [values.from, values.to]);
    this.actions = { 'decode-latent': this.explorer.decodeAction };
    this.evaluations = [
      {
        id: 'held-out',
        basis: `${examplesEvaluated(context.data.counts, HELD_OUT_PLAN)} test images, corrupted the same way each time`,
        cadence: 'refresh',
        run: (evaluation) =>
          heldOutMeans(evaluation, { ...HELD_OUT_PLAN, chunk: examplesPerChunk(HELD_OUT_PLAN.chunk, this.encoder, this.decoder) }, (indices) => {
            const x = evaluation.data.take('test', indices) as tf.Tensor4D;
            // the same corruption of each test image at every evaluation: its seed follows the image's position
            const noisy = this.corrupt(x, this.evalSeed + indices[0]);
            const reconstructed = this.reconstruct(noisy);
            return {
              loss: reconstructionErrors(x, reconstructed, this.recon),
              // ||x - x~||^2 - ||x - g(f(x~))||^2: > 0 when the output is closer to the clean
              // image than the noisy input was. Squared error whatever the loss: the cross-entropy
              // of a noisy input read as a prediction is dominated by its exact 0s and 1s.
              denoise_gain: reconstructionErrors(x, noisy, 'mse').sub(reconstructionErrors(x, reconstructed, 'mse')) as tf.Tensor1D,
            };
          }),
      },
    ];
  }

  corrupt(images: tf.Tensor4D, seed: number): tf.Tensor4D {
    return corrupt(this.noise.kind, images, this.noise.level, seed);
  }

  setParams(values: Readonly<Record<string, ParamValue>>): void {
    if (typeof values.noise === 'string') this.noise = { ...this.noise, kind: values.noise as NoiseKind };
    if (typeof values.level === 'number') this.noise = { ...this.noise, level: values.level };
    this.optimizer.setParams(values);
    this.explorer.setParams(values);
  }

  memoryEstimate(batchSize: number): number {
    return trainingStepBytes(batchSize, this.encoder, this.decoder);
  }

  reconstruct(images: tf.Tensor4D): tf.Tensor4D {
    return this.decoder.apply(this.encoder.apply(images)) as tf.Tensor4D;
  }

  step({ data, random, batchSize }: StepContext): StepTerms {
    const x = data.draw(batchSize, random) as tf.Tensor4D;
    const noisy = this.corrupt(x, this.noiseRandom.seed());
    // the target is the clean x, the input the corrupted x~
    return { loss: this.optimizer.minimize(() => reconstructionLoss(x, this.reconstruct(noisy), this.recon)) };
  }

  async views({ data, random, job }: ViewContext): Promise<ViewPanel[]> {
    // No samples panel: a DAE has no distribution over codes to draw from, and decoding
    // Gaussian draws would show the plain autoencoder's weakness, not this model's point.
    const images = data as ImageDataset;
    const denoising = await this.denoisingPanel(images, random.seed());
    await job.checkpoint();
    return [denoising, ...(await this.explorer.panels(images, job))];
  }

  /** Rows of 8 test images: clean, corrupted, reconstructed from the corrupted. */
  private denoisingPanel(dataset: ImageDataset, seed: number): Promise<ImageGridPanel> {
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

export const DENOISING_AUTOENCODER_FACTORY: ModelFactory = implement<typeof DAE_PARAMS>(DENOISING_AUTOENCODER, (values, context) => new DenoisingAutoencoder(values as DaeValues, context));

