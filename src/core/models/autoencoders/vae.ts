/**
 * The variational autoencoder.
 *
 * Paper: D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes", ICLR 2014.
 * https://arxiv.org/abs/1312.6114
 *
 * The encoder outputs the mean mu and log-variance log sigma^2 of a Gaussian q(z|x); a code
 * is drawn by the reparameterization trick, z = mu + sigma * eps with eps ~ N(0, I), so
 * gradients reach mu and sigma through a deterministic path. The decoder gives p(x|z).
 * Training maximizes the evidence lower bound; we minimize its negative, per example,
 *   L = E_q[-log p(x|z)] + beta * KL(q(z|x) || N(0, I))     (beta = 1: the true -ELBO)
 * and because q is pushed towards N(0, I), decoding z ~ N(0, I) generates new examples.
 *
 * p(x|z) is Bernoulli for images (on grey levels, or on images binarized afresh at every
 * read; in colour, each red, green and blue level of a pixel is one Bernoulli value: the
 * same sum over 3x the terms), and for 2-D points a Gaussian N(x; mu(z), sigma_x^2) whose
 * variance, one per coordinate, is learned with the rest; squared error is offered on both.
 */
import * as tf from '@tensorflow/tfjs';
import { exampleSize, type DataSpec } from '../../datasets/catalog';
import type { Dataset } from '../../datasets/dataset';
import type { ReadOptions } from '../../datasets/image-dataset';
import type { ADAM_OPTIMIZER } from '../../params/optimizer-params';
import type { ParamValue, ParamValues } from '../../params/schema';
import { createRandom, type Random } from '../../random';
import { examplesEvaluated, HELD_OUT_PLAN, heldOutMeans } from '../../training/evaluation';
import { combineParts, randomPart, type StatePart } from '../../training/model-state';
import { AdamOptimizer } from '../../training/optimizer';
import { readAndDispose } from '../../training/readback';
import type { ViewPanel } from '../../views/panels';
import { implement, type Action, type Evaluation, type ModelFactory, type GenerativeModel, type ModelContext, type SampleOptions, type StepContext, type StepTerms, type ViewContext } from '../model';
import { convDecoder, convEncoder, denseDecoder, denseEncoder, examplesPerChunk, trainableVariables, trainingStepBytes, type Activation } from '../networks';
import { klPerDimension, reparameterize } from './gaussian-posterior';
import { LatentExplorer, type CodeSpace } from './latent-explorer';
import { learnedManifoldPanel, POINT_SAMPLES, samplesPointsPanel } from './points-views';
import { VAE, VAE_PARAMS } from './vae-spec';
import { klBarsPanel, priorValues, vaeImageViews } from './vae-views';

type VaeValues = ParamValues<typeof VAE_PARAMS> & ParamValues<typeof ADAM_OPTIMIZER>;
export type Likelihood = 'bernoulli' | 'binarized' | 'mse' | 'gaussian';

const LOG_2PI = Math.log(2 * Math.PI);
/** Held-out examples for the importance-weighted bound (it decodes k times each). */
const IWAE_SIZE = 100;
/** Decodes per chunk of the importance-weighted bound, at most (fewer for a large decoder). */
const IWAE_DECODES = 2000;
/** Fixed seeds for held-out evaluation, so successive evaluations are comparable. */
const EVAL_SEED = 7;
/**
 * log sigma_x^2 of the learned point likelihood at the start. Starting at 0 (sigma_x = 1,
 * as wide as the data itself), the decoder explains every point as noise around the
 * centre before the encoder has learned anything, and the KL term then keeps the codes
 * uninformative: the posterior collapses, for good. Starting narrow makes the codes pay
 * from the first step.
 */
const INITIAL_LOG_VAR = Math.log(0.01);
/** The prior's span drawn for 2-D points: +-3 standard deviations. */
const PRIOR_RANGE = [-3, 3] as const;

/** -log p(x|z) per image under a pixel likelihood, from the decoder's logits: [B, H, W, C] -> [B]. */
export function reconstructionTerm(x: tf.Tensor4D, logits: tf.Tensor4D, likelihood: 'bernoulli' | 'binarized' | 'mse'): tf.Tensor1D {
  return tf.tidy(() => {
    if (likelihood === 'mse') return x.sub(tf.sigmoid(logits)).square().sum([1, 2, 3]) as tf.Tensor1D;
    // -log Bernoulli(x; sigmoid(l)) = softplus(l) - x * l, stable for large |l|
    return tf.softplus(logits).sub(x.mul(logits)).sum([1, 2, 3]) as tf.Tensor1D;
  });
}

/** -log N(x; mu, sigma^2) per point = 1/2 sum_j [log 2 pi + log sigma_j^2 + (x_j - mu_j)^2 / sigma_j^2]: [B, D] -> [B]. */
export function gaussianNll(x: tf.Tensor2D, mu: tf.Tensor2D, logVar: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => x.sub(mu).square().div(logVar.exp()).add(logVar).add(LOG_2PI).sum(1).mul(0.5) as tf.Tensor1D);
}

class VariationalAutoencoder implements GenerativeModel {
  readonly latent: number;
  readonly encoder: tf.Sequential;
  readonly decoder: tf.Sequential;
  /** log sigma_x^2 of the Gaussian likelihood on points, one per coordinate. */
  private readonly outputLogVar?: tf.Variable<tf.Rank.R1>;
  private readonly optimizer: AdamOptimizer;
  private readonly noise: Random;
  private readonly likelihood: Likelihood;
  private readonly onImages: boolean;
  private readonly explorer?: LatentExplorer;
  private readonly codes: CodeSpace;
  /** Values per example: pixels, or a point's coordinates. */
  readonly dimensions: number;
  readonly evaluations: readonly Evaluation[];
  readonly actions: Readonly<Record<string, Action>>;
  readonly state: StatePart;

  /** The KL weight, which the page may change mid-run. */
  private beta: number;

  constructor(values: VaeValues, context: ModelContext) {
    const { data, random } = context;
    this.beta = values.beta;
    this.latent = values.latent;
    this.onImages = data.kind === 'image';
    this.likelihood = values.likelihood as Likelihood;
    const activation: Activation = 'relu';
    const conv = data.kind === 'image' && values.arch === 'conv';
    // Encoder: [B, ...example] -> [B, 2d], the concatenation [mu, log sigma^2]
    this.encoder = conv ? convEncoder(data.shape, values.channels, 2 * this.latent, activation, random) : denseEncoder(data.shape, values.hidden, 2 * this.latent, activation, random);
    // Decoder: [B, d] -> [B, H, W, C] Bernoulli logits, or [B, D] the mean of a point
    const output = this.onImages ? 'logits' : 'linear';
    this.decoder = conv
      ? convDecoder(data.shape, values.channels, this.latent, activation, 'nearest', random, output)
      : denseDecoder(data.shape, values.hidden, this.latent, activation, random, output);
    const variables = trainableVariables(this.encoder, this.decoder);
    if (this.likelihood === 'gaussian') {
      this.outputLogVar = tf.tidy(() => tf.variable(tf.fill([data.shape[0]], INITIAL_LOG_VAR))) as tf.Variable<tf.Rank.R1>;
      variables.push(this.outputLogVar);
    }
    this.optimizer = new AdamOptimizer(variables, values);
    // The views and the explorer work on the posterior means mu(x): the codes with the noise taken out.
    this.codes = { dimension: this.latent, encode: (x) => this.posterior(x).mu, decode: (z) => this.decodeMean(z) };
    if (data.kind === 'image') this.explorer = new LatentExplorer(this.codes, { gaussianPrior: true, codeName: 'latent means' }, [values.from, values.to]);
    this.actions = this.explorer ? { 'decode-latent': this.explorer.decodeAction } : {};
    this.noise = createRandom(random.seed());
    this.state = combineParts({ network: this.optimizer, noise: randomPart(this.noise) });
    this.dimensions = exampleSize(data.shape);
    this.evaluations = this.heldOutEvaluations(values.k, data.kind === 'image' ? 'test images' : 'test points', data.counts);
  }

  /** q(z|x): [B, ...example] -> mu, log sigma^2, each [B, d]. */
  posterior(x: tf.Tensor): { mu: tf.Tensor2D; logVar: tf.Tensor2D } {
    const [mu, logVar] = tf.split(this.encoder.apply(x) as tf.Tensor2D, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    return { mu, logVar };
  }

  /** The mean of p(x|z): pixels in [0, 1] (sigmoid of the logits), or the decoded point. [n, d] -> [n, ...example]. */
  decodeMean(z: tf.Tensor2D): tf.Tensor {
    const output = this.decoder.apply(z) as tf.Tensor;
    return this.onImages ? tf.sigmoid(output) : output;
  }

  /** -log p(x|z) per example, from the decoder's output for z: [B] */
  private negLogLikelihood(x: tf.Tensor, output: tf.Tensor): tf.Tensor1D {
    if (this.likelihood === 'gaussian') return gaussianNll(x as tf.Tensor2D, output as tf.Tensor2D, this.outputLogVar!);
    if (this.onImages) return reconstructionTerm(x as tf.Tensor4D, output as tf.Tensor4D, this.likelihood as 'bernoulli' | 'binarized' | 'mse');
    return x.sub(output).square().sum(1) as tf.Tensor1D;
  }

  /** How images are read: binarized afresh for the binarized likelihood (by `random`, or each image by its index and `seed`). */
  private readOptions(coins: { random: Random } | { seed: number }): ReadOptions {
    return this.likelihood === 'binarized' ? { encoding: 'binary-sampled', ...coins } : {};
  }

  /** Per-example terms of the bound on x, with noise from `seed`: recon [B], kl [B]. */
  private bound(x: tf.Tensor, seed: number): { recon: tf.Tensor1D; kl: tf.Tensor1D } {
    const { mu, logVar } = this.posterior(x);
    // eps ~ N(0, I), [B, d]
    const eps = tf.randomNormal(mu.shape, 0, 1, 'float32', seed + 1) as tf.Tensor2D;
    const output = this.decoder.apply(reparameterize(mu, logVar, eps)) as tf.Tensor;
    return { recon: this.negLogLikelihood(x, output), kl: klPerDimension(mu, logVar).sum(1) as tf.Tensor1D };
  }

  step({ data, random, batchSize }: StepContext): StepTerms {
    const x = data.kind === 'image' ? data.draw(batchSize, random, this.readOptions({ random })) : data.draw(batchSize, random);
    const seed = this.noise.seed();
    let recon: tf.Scalar | undefined;
    let kl: tf.Scalar | undefined;
    try {
      // L = mean over the batch of [ -log p(x|z) + beta * KL ]
      const loss = this.optimizer.minimize(() => {
        const terms = this.bound(x, seed);
        // kept: the optimizer frees everything its loss function makes but the loss
        recon = tf.keep(terms.recon.mean() as tf.Scalar);
        kl = tf.keep(terms.kl.mean() as tf.Scalar);
        return terms.recon.add(terms.kl.mul(this.beta)).mean() as tf.Scalar;
      });
      return { loss, recon: recon!, kl: kl! };
    } catch (error) {
      tf.dispose([recon, kl].filter((term): term is tf.Scalar => term !== undefined));
      throw error;
    }
  }

  /** Held-out examples as the likelihood reads them: each image binarized the same way at every evaluation, in every figure. */
  private heldOut(data: Dataset, indices: number[]): tf.Tensor {
    return data.kind === 'image' ? data.take('test', indices, this.readOptions({ seed: EVAL_SEED })) : data.take('test', indices);
  }

  private heldOutEvaluations(k: number, examples: string, counts: DataSpec['counts']): Evaluation[] {
    const isLikelihood = this.likelihood !== 'mse';
    const elbo: Evaluation = {
      id: 'held-out',
      basis: `${examplesEvaluated(counts, HELD_OUT_PLAN)} ${examples}`,
      cadence: 'refresh',
      run: (evaluation) =>
        heldOutMeans(evaluation, HELD_OUT_PLAN, (indices) => {
          const { recon, kl } = this.bound(this.heldOut(evaluation.data, indices), EVAL_SEED);
          const terms: Record<string, tf.Tensor1D> = { loss: recon.add(kl.mul(this.beta)), recon, kl };
          if (isLikelihood) {
            // -ELBO in nats per example, and for images per dimension in bits: nats / (D ln 2)
            terms.neg_elbo = recon.add(kl);
            if (this.onImages) terms.bits_per_dim = terms.neg_elbo.div(this.dimensions * Math.LN2);
          }
          return terms;
        }),
    };
    if (!isLikelihood) return [elbo];
    const iwae: Evaluation = {
      id: 'importance-weighted',
      basis: `${IWAE_SIZE} ${examples}, ${k} samples each`,
      // k decodes an example: rarely, and within the refresh budget
      cadence: 15000,
      run: (evaluation) => {
        // Decodes at once, bounded by memory: a large decoder and k = 200 take one example, in groups of samples.
        const decodes = examplesPerChunk(IWAE_DECODES, this.decoder);
        return heldOutMeans(evaluation, { size: IWAE_SIZE, chunk: Math.max(1, Math.floor(decodes / k)) }, (indices) => ({
          nll_iwae: this.importanceWeightedNll(this.heldOut(evaluation.data, indices), k, Math.max(1, Math.floor(decodes / indices.length))),
        }));
      },
    };
    return [elbo, iwae];
  }

  /**
   * Importance-weighted estimate of -log p(x) (Burda et al. 2016), in nats per example:
   *   log p(x) >= log 1/k sum_i p(x|z_i) p(z_i) / q(z_i|x),  z_i ~ q(z|x)
   * It tightens towards -log p(x) as k grows; k = 1 is the ELBO. x: [B, ...] -> [B].
   * The k samples are decoded `group` at a time, so memory stays that of `group` decodes.
   */
  importanceWeightedNll(x: tf.Tensor, k: number, group = k): tf.Tensor1D {
    const batch = x.shape[0];
    const posterior = tf.tidy(() => this.posterior(x));
    const { mu, logVar } = posterior;
    const d = mu.shape[1];
    const parts: tf.Tensor2D[] = [];
    try {
      for (let first = 0; first < k; first += group) {
        const g = Math.min(group, k - first);
        // [g, B]: the log weights of samples first .. first + g - 1
        parts.push(
          tf.tidy(() => {
            // [B, d] -> [g*B, d]: g copies of the batch, sample-major
            const muG = tf.tile(mu, [g, 1]) as tf.Tensor2D;
            const logVarG = tf.tile(logVar, [g, 1]) as tf.Tensor2D;
            const eps = tf.randomNormal([g * batch, d], 0, 1, 'float32', EVAL_SEED + 2 + first) as tf.Tensor2D;
            const z = reparameterize(muG, logVarG, eps);
            const xG = tf.tile(x, [g, ...x.shape.slice(1).map(() => 1)]);
            const logPxGivenZ = this.negLogLikelihood(xG, this.decoder.apply(z) as tf.Tensor).neg();
            // log N(z; 0, I) and log N(z; mu, sigma^2), each [g*B]
            const logPz = z.square().sum(1).add(d * LOG_2PI).mul(-0.5);
            const logQz = eps.square().add(logVarG).sum(1).add(d * LOG_2PI).mul(-0.5);
            return logPxGivenZ.add(logPz).sub(logQz).reshape([g, batch]) as tf.Tensor2D;
          }),
        );
      }
      // [k, B], then log-mean-exp over the k samples
      return tf.tidy(() => tf.logSumExp(tf.concat(parts, 0), 0).sub(Math.log(k)).neg() as tf.Tensor1D);
    } finally {
      tf.dispose([mu, logVar, ...parts]);
    }
  }

  /** x ~ p(x|z), z ~ N(0, I): for images the Bernoulli means (a grey image is the usual picture), for points the mean plus the learned noise. */
  async sample(n: number, { random }: SampleOptions): Promise<tf.Tensor> {
    // z first, then the noise: the same draws for the same random source
    const zValues = priorValues(n, this.latent, random);
    const noise = this.outputLogVar ? Float32Array.from({ length: n * this.dimensions }, () => random.normal()) : undefined;
    return tf.tidy(() => {
      const mean = this.decodeMean(tf.tensor2d(zValues, [n, this.latent]));
      // x = mu(z) + sigma_x * eps
      return noise ? mean.add(this.outputLogVar!.mul(0.5).exp().mul(tf.tensor2d(noise, [n, this.dimensions]))) : mean;
    });
  }

  memoryEstimate(batchSize: number): number {
    return trainingStepBytes(batchSize, this.encoder, this.decoder);
  }

  setParams(values: Readonly<Record<string, ParamValue>>): void {
    if (typeof values.beta === 'number') this.beta = values.beta;
    this.optimizer.setParams(values);
    this.explorer?.setParams(values);
  }

  async views({ data, random, job }: ViewContext): Promise<ViewPanel[]> {
    if (data.kind === 'image') {
      const own = await vaeImageViews(this, data, random);
      await job.checkpoint();
      return [...own, ...(await this.explorer!.panels(data, job))];
    }
    const learned = await learnedManifoldPanel(data, this.codes, {
      title: 'What the VAE learned',
      caption:
        'Test points, each joined to the decoded mean of its code. ' +
        (this.latent <= 2 ? `The ${this.latent === 1 ? 'curve' : 'grid'} is what the decoder makes of codes from ${PRIOR_RANGE[0]} to ${PRIOR_RANGE[1]} on each axis of z, where the prior N(0, 1) puts nearly all its mass.` : ''),
      codeRange: PRIOR_RANGE,
      manifoldLabel: this.latent === 1 ? 'decoded curve (z from -3 to 3)' : 'decoded grid of z',
    });
    const samples = await this.sample(POINT_SAMPLES, { random, data });
    const [values] = await readAndDispose(samples);
    const how = this.outputLogVar ? 'z drawn from N(0, 1), decoded, plus the learned noise of p(x|z)' : 'z drawn from N(0, 1), decoded (the means of p(x|z))';
    return [learned, samplesPointsPanel(data, values, `Samples: ${how}. The same draws at every refresh.`), await klBarsPanel(this, data)];
  }

  dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
    this.outputLogVar?.dispose();
    this.optimizer.dispose();
  }
}

export const VAE_FACTORY: ModelFactory = implement<typeof VAE_PARAMS>(VAE, (values, context) => new VariationalAutoencoder(values as VaeValues, context));
