/**
 * The plain (bottleneck) autoencoder, with dense or convolutional networks.
 *
 * Papers: G. E. Hinton and R. R. Salakhutdinov, "Reducing the Dimensionality of Data with
 * Neural Networks", Science 313 (2006), https://www.science.org/doi/10.1126/science.1127647;
 * J. Masci, U. Meier, D. Cireşan and J. Schmidhuber, "Stacked Convolutional Auto-Encoders
 * for Hierarchical Feature Extraction", ICANN 2011,
 * https://link.springer.com/chapter/10.1007/978-3-642-21735-7_7
 *
 * An encoder squeezes each example x into a short code z = f(x); a decoder maps it back,
 * x_hat = g(z). Both are trained together to minimize the reconstruction error
 *   L(x, x_hat) = sum_i (x_i - x_hat_i)^2          (per example, averaged over the batch)
 * or, as an option on images, the Bernoulli cross-entropy of the pixels. The narrow code is
 * what stops the network from copying its input.
 *
 * The convolutional version halves the resolution with 3x3 stride-2 convolutions
 * (28 -> 14 -> 7) and doubles it back with upsampling + a 3x3 convolution (or a transposed
 * convolution): each filter is shared by every position, so it has far fewer weights. Masci
 * et al. train one layer at a time and downsample by max-pooling; we train the whole stack
 * at once with strided convolutions, as is usual today. Its optional dense bottleneck turns
 * the smallest feature map into a short code; without it (bottleneck 0) the map is the code.
 *
 * To generate, the plain autoencoder has no prior over codes: we fit a Gaussian to the
 * codes of training examples and decode draws from it.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../../datasets/dataset';
import type { ParamValue, ParamValues } from '../../params/schema';
import type { ADAM_OPTIMIZER } from '../../params/optimizer-params';
import { examplesEvaluated, HELD_OUT_PLAN, heldOutMeans } from '../../training/evaluation';
import type { StatePart } from '../../training/model-state';
import { AdamOptimizer } from '../../training/optimizer';
import { readAndDispose } from '../../training/readback';
import type { ViewPanel } from '../../views/panels';
import { implement, type Action, type Evaluation, type ModelFactory, type GenerativeModel, type ModelContext, type SampleOptions, type StepContext, type StepTerms, type ViewContext } from '../model';
import {
  convDecoder,
  convEncoder,
  denseDecoder,
  denseEncoder,
  downsampledSize,
  examplesPerChunk,
  trainableVariables,
  trainingStepBytes,
  type Activation,
  type Upsampling,
} from '../networks';
import { AUTOENCODER, type AUTOENCODER_PARAMS } from './ae-spec';
import { CONV_AUTOENCODER, type CONV_AUTOENCODER_PARAMS } from './conv-ae-spec';
import { fittedGaussianSamples } from './fitted-gaussian';
import { LatentExplorer, type CodeSpace } from './latent-explorer';
import { learnedManifoldPanel, POINT_SAMPLES, samplesPointsPanel } from './points-views';
import { fittedSamplesPanel, reconstructionPanel } from './views';

export type ReconstructionKind = 'mse' | 'bce';

/** Per-example reconstruction error, x and x_hat [B, ...] -> [B]. */
export function reconstructionErrors(x: tf.Tensor, xHat: tf.Tensor, kind: ReconstructionKind): tf.Tensor1D {
  return tf.tidy(() => {
    const batch = x.shape[0];
    // sum_i (x_i - x_hat_i)^2 over the values of each example
    if (kind === 'mse') return x.sub(xHat).square().reshape([batch, -1]).sum(1) as tf.Tensor1D;
    // -sum_i [x_i log x_hat_i + (1 - x_i) log(1 - x_hat_i)], clipped away from log 0
    const p = xHat.clipByValue(1e-6, 1 - 1e-6);
    const logLikelihood = x.mul(p.log()).add(tf.scalar(1).sub(x).mul(tf.scalar(1).sub(p).log()));
    return logLikelihood.reshape([batch, -1]).sum(1).neg() as tf.Tensor1D;
  });
}

/** The reconstruction error averaged over the batch. */
export function reconstructionLoss(x: tf.Tensor, xHat: tf.Tensor, kind: ReconstructionKind): tf.Scalar {
  return tf.tidy(() => reconstructionErrors(x, xHat, kind).mean() as tf.Scalar);
}

/** An encoder and a decoder, and how their code flattens into a vector. */
export interface Networks {
  encoder: tf.Sequential;
  decoder: tf.Sequential;
  /** Numbers in a code. */
  dimension: number;
  /** The code's own shape, when it is a feature map rather than a vector. */
  mapShape?: [number, number, number];
}

/** What the class itself reads of the values; the networks read the rest. */
type Shared = { recon: string; from?: number; to?: number };

export class Autoencoder implements GenerativeModel {
  private readonly optimizer: AdamOptimizer;
  private readonly codes: CodeSpace;
  /** Images only: its views are images. */
  private readonly explorer?: LatentExplorer;
  private readonly recon: ReconstructionKind;
  readonly evaluations: readonly Evaluation[];
  readonly actions: Readonly<Record<string, Action>>;
  readonly state: StatePart;

  constructor(
    values: Shared & Readonly<Record<string, ParamValue>>,
    context: ModelContext,
    readonly networks: Networks,
  ) {
    this.recon = values.recon as ReconstructionKind;
    this.optimizer = new AdamOptimizer(trainableVariables(networks.encoder, networks.decoder), values);
    this.state = this.optimizer;
    this.codes = { dimension: networks.dimension, encode: (x) => this.encode(x), decode: (z) => this.decode(z) };
    if (context.data.kind === 'image') {
      this.explorer = new LatentExplorer(this.codes, { gaussianPrior: false, codeName: 'codes' }, [values.from ?? 0, values.to ?? 0]);
    }
    this.actions = this.explorer ? { 'decode-latent': this.explorer.decodeAction } : {};
    const basis = `${examplesEvaluated(context.data.counts, HELD_OUT_PLAN)} ${context.data.kind === 'image' ? 'test images' : 'test points'}`;
    this.evaluations = [
      {
        id: 'held-out',
        basis,
        cadence: 'refresh',
        run: (evaluation) =>
          heldOutMeans(evaluation, { ...HELD_OUT_PLAN, chunk: examplesPerChunk(HELD_OUT_PLAN.chunk, networks.encoder, networks.decoder) }, (indices) => {
            const x = evaluation.data.take('test', indices);
            return { loss: reconstructionErrors(x, this.decode(this.encode(x)), this.recon) };
          }),
      },
    ];
  }

  /** Numbers in a code: the bottleneck, or h * w * C_L for a feature map. */
  get codeSize(): number {
    return this.networks.dimension;
  }

  /** [B, ...example] -> [B, d]: a feature-map code flattened, so it can be fitted and drawn. */
  encode(x: tf.Tensor): tf.Tensor2D {
    return (this.networks.encoder.apply(x) as tf.Tensor).reshape([x.shape[0], this.networks.dimension]);
  }

  /** [N, d] -> [N, ...example]. */
  decode(z: tf.Tensor2D): tf.Tensor {
    const { mapShape } = this.networks;
    // [N, h*w*C_L] -> [N, h, w, C_L] when the map is the code
    return this.networks.decoder.apply(mapShape ? z.reshape([z.shape[0], ...mapShape]) : z) as tf.Tensor;
  }

  step({ data, random, batchSize }: StepContext): StepTerms {
    const x = data.draw(batchSize, random);
    return { loss: this.optimizer.minimize(() => reconstructionLoss(x, this.decode(this.encode(x)), this.recon)) };
  }

  async sample(n: number, { data, random }: SampleOptions): Promise<tf.Tensor> {
    return (await fittedGaussianSamples(data, this.codes, n, random)).samples;
  }

  async views({ data, random, job }: ViewContext): Promise<ViewPanel[]> {
    if (data.kind === 'points') return this.pointViews(data, random);
    const reconstructions = await reconstructionPanel(data, (x) => this.decode(this.encode(x)) as tf.Tensor4D);
    // With bottleneck 0 the Gaussian is fitted over the flattened feature map: a poor
    // generator (the caption says so), but set beside a short code's samples it is the lesson.
    const samples = await fittedSamplesPanel(data, this.codes, random);
    await job.checkpoint();
    return [reconstructions, samples, ...(await this.explorer!.panels(data, job))];
  }

  private async pointViews(data: Extract<Dataset, { kind: 'points' }>, random: ViewContext['random']): Promise<ViewPanel[]> {
    const d = this.codes.dimension;
    const learned = await learnedManifoldPanel(data, this.codes, {
      title: 'What the autoencoder learned',
      caption:
        'Test points, each joined to its reconstruction. ' +
        (d === 1
          ? 'With a 1-number code every reconstruction lies on one curve: what the decoder draws as the code sweeps the range of the test codes. The network projects each point onto that curve.'
          : d === 2
            ? 'The grid is what the decoder makes of a grid of codes over the range of the test codes: a 2-number code can cover the plane, so reconstructions come close to the points.'
            : `Each code has ${d} numbers, more than the point's 2: the network can copy its input.`),
      codeRange: 'data',
      manifoldLabel: d === 1 ? 'decoded curve (the code swept)' : 'decoded grid of codes',
    });
    const { samples, fitSize } = await fittedGaussianSamples(data, this.codes, POINT_SAMPLES, random);
    const [values] = await readAndDispose(samples);
    return [learned, samplesPointsPanel(data, values, `Codes drawn from a Gaussian fitted to the codes of ${fitSize} training points, then decoded.`)];
  }

  setParams(values: Readonly<Record<string, ParamValue>>): void {
    this.optimizer.setParams(values);
    this.explorer?.setParams(values);
  }

  memoryEstimate(batchSize: number): number {
    return trainingStepBytes(batchSize, this.networks.encoder, this.networks.decoder);
  }

  dispose(): void {
    this.networks.encoder.dispose();
    this.networks.decoder.dispose();
    this.optimizer.dispose();
  }
}

type DenseValues = ParamValues<typeof AUTOENCODER_PARAMS> & ParamValues<typeof ADAM_OPTIMIZER>;
type ConvValues = ParamValues<typeof CONV_AUTOENCODER_PARAMS> & ParamValues<typeof ADAM_OPTIMIZER>;

/** Dense networks: [B, ...example] -> [B, bottleneck] -> [B, ...example]. */
function denseNetworks(values: DenseValues, { data, random }: ModelContext): Networks {
  const activation = values.activation as Activation;
  // pixels come back through a sigmoid, in [0, 1]; a point's coordinates can be anything
  const output = data.kind === 'image' ? 'sigmoid' : 'linear';
  return {
    // z = f(x): a linear code free to take any value
    encoder: denseEncoder(data.shape, values.hidden, values.bottleneck, activation, random),
    // x_hat = g(z)
    decoder: denseDecoder(data.shape, values.hidden, values.bottleneck, activation, random, output),
    dimension: values.bottleneck,
  };
}

/** Convolutional networks: [B, H, W, C] -> [B, bottleneck] (or the map [B, h, w, C_L] when bottleneck = 0) -> [B, H, W, C]. */
function convNetworks(values: ConvValues, { data, random }: ModelContext): Networks {
  if (data.kind !== 'image') throw new Error('The convolutional autoencoder needs images');
  const { channels, bottleneck } = values;
  const activation = values.activation as Activation;
  const levels = channels.length;
  const mapShape: [number, number, number] = [downsampledSize(data.shape[0], levels), downsampledSize(data.shape[1], levels), channels[levels - 1]];
  return {
    encoder: convEncoder(data.shape, channels, bottleneck, activation, random),
    decoder: convDecoder(data.shape, channels, bottleneck, activation, values.upsampling as Upsampling, random),
    dimension: bottleneck > 0 ? bottleneck : mapShape[0] * mapShape[1] * mapShape[2],
    ...(bottleneck > 0 ? {} : { mapShape }),
  };
}

export const AUTOENCODER_FACTORY: ModelFactory = implement<typeof AUTOENCODER_PARAMS>(AUTOENCODER, (values, context) => new Autoencoder(values, context, denseNetworks(values as DenseValues, context)));
export const CONV_AUTOENCODER_FACTORY: ModelFactory = implement<typeof CONV_AUTOENCODER_PARAMS>(
  CONV_AUTOENCODER,
  (values, context) => new Autoencoder(values, context, convNetworks(values as ConvValues, context)),
);
