/**
 * The variational autoencoder.
 *
 * Paper: D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes", ICLR 2014.
 * https://arxiv.org/abs/1312.6114
 *
 * The encoder outputs the mean mu and log-variance log sigma^2 of a Gaussian q(z|x); a code
 * is drawn by the reparameterization trick, z = mu + sigma * eps with eps ~ N(0, I), so
 * gradients reach mu and sigma through a deterministic path. The decoder gives p(x|z).
 * Training maximizes the evidence lower bound; we minimize its negative, per image,
 *   L = E_q[-log p(x|z)] + beta * KL(q(z|x) || N(0, I))     (beta = 1: the true -ELBO)
 * and because q is pushed towards N(0, I), decoding z ~ N(0, I) generates new images.
 */
import * as tf from '@tensorflow/tfjs';
import type { ParamValue, ParamValues } from '../params/schema';
import { createRandom, type Random } from '../random';
import type { ImageGridPanel, LatentQuery, ViewPanel } from '../views/panels';
import { implement, type GenerativeModel, type LossTerms, type ModelContext, type ViewData } from './model';
import { VAE, VAE_PARAMS } from './specs/vae';
import { convDecoder, convEncoder, denseDecoder, denseEncoder, trainableVariables, type Activation } from './networks';
import { klPerDimension, reparameterize } from './gaussian-posterior';
import { LatentExplorer } from './latent-explorer';
import { vaeViews } from './vae-views';

type VaeParams = ParamValues<typeof VAE_PARAMS>;
type Likelihood = 'bernoulli' | 'binarized' | 'mse';

const LOG_2PI = Math.log(2 * Math.PI);
/** Held-out images for the importance-weighted bound (it decodes k times each). */
const IWAE_SIZE = 100;
/** Fixed seeds for held-out evaluation, so successive evaluations are comparable. */
const EVAL_SEED = 7;

/** -log p(x|z) per image under the chosen likelihood; logits: [B, H, W, C] -> [B]. */
export function reconstructionTerm(x: tf.Tensor4D, logits: tf.Tensor4D, likelihood: Likelihood): tf.Tensor1D {
  return tf.tidy(() => {
    if (likelihood === 'mse') return x.sub(tf.sigmoid(logits)).square().sum([1, 2, 3]) as tf.Tensor1D;
    // -log Bernoulli(x; sigmoid(l)) = softplus(l) - x * l, stable for large |l|
    return tf.softplus(logits).sub(x.mul(logits)).sum([1, 2, 3]) as tf.Tensor1D;
  });
}

class VariationalAutoencoder implements GenerativeModel {
  readonly latent: number;
  readonly encoder: tf.Sequential;
  readonly decoder: tf.Sequential;
  private readonly optimizer: tf.Optimizer;
  private readonly variables: tf.Variable[];
  private readonly noise: Random;
  private readonly likelihood: Likelihood;
  private readonly explorer: LatentExplorer;
  readonly pixels: number;

  /** The KL weight, which the page may change mid-run. */
  private beta: number;

  constructor(
    readonly params: VaeParams,
    context: ModelContext,
  ) {
    this.beta = params.beta;
    const shape: [number, number, number] = [...context.dataset.shape];
    const activation: Activation = 'relu';
    const { latent, random } = { latent: params.latent, random: context.random };
    // Encoder: [B, H, W, C] -> [B, 2d], the concatenation [mu, log sigma^2]
    this.encoder =
      params.arch === 'conv'
        ? convEncoder(shape, params.channels, 2 * latent, activation, random)
        : denseEncoder(shape, params.hidden, 2 * latent, activation, random);
    // Decoder: [B, d] -> [B, H, W, C] Bernoulli logits
    this.decoder =
      params.arch === 'conv'
        ? convDecoder(shape, params.channels, latent, activation, 'nearest', random, 'logits')
        : denseDecoder(shape, params.hidden, latent, activation, random, 'logits');
    this.optimizer = tf.train.adam(context.learningRate);
    this.variables = trainableVariables(this.encoder, this.decoder);
    // The explorer works on the posterior means mu(x): the codes with the noise taken out.
    const codes = { dimension: latent, encode: (x: tf.Tensor4D) => this.posterior(x).mu, decode: (z: tf.Tensor2D) => this.decodeMean(z) };
    this.explorer = new LatentExplorer(codes, { gaussianPrior: true, codeName: 'latent means' }, [params.from, params.to]);
    this.noise = createRandom(random.seed());
    this.likelihood = params.likelihood as Likelihood;
    this.pixels = shape[0] * shape[1] * shape[2];
    this.latent = latent;
  }

  /** q(z|x): [B, H, W, C] -> mu, log sigma^2, each [B, d]. */
  posterior(x: tf.Tensor4D): { mu: tf.Tensor2D; logVar: tf.Tensor2D } {
    const [mu, logVar] = tf.split(this.encoder.apply(x) as tf.Tensor2D, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    return { mu, logVar };
  }

  /** Decoded images in [0, 1] (the Bernoulli means), [B, d] -> [B, H, W, C]. */
  decodeMean(z: tf.Tensor2D): tf.Tensor4D {
    return tf.sigmoid(this.decoder.apply(z) as tf.Tensor4D);
  }

  /** The targets: binarized images x_b ~ Bernoulli(x) for the binarized likelihood, else x itself. */
  private targets(images: tf.Tensor4D, seed: number): tf.Tensor4D {
    if (this.likelihood !== 'binarized') return images;
    return tf.tidy(() => tf.randomUniform(images.shape, 0, 1, 'float32', seed).less(images).toFloat() as tf.Tensor4D);
  }

  /** Per-image terms of the bound on x, with noise from `seed`: recon [B], kl [B]. */
  private bound(images: tf.Tensor4D, seed: number): { recon: tf.Tensor1D; kl: tf.Tensor1D } {
    const x = this.targets(images, seed);
    const { mu, logVar } = this.posterior(x);
    // eps ~ N(0, I), [B, d]
    const eps = tf.randomNormal(mu.shape, 0, 1, 'float32', seed + 1) as tf.Tensor2D;
    const logits = this.decoder.apply(reparameterize(mu, logVar, eps)) as tf.Tensor4D;
    return { recon: reconstructionTerm(x, logits, this.likelihood), kl: klPerDimension(mu, logVar).sum(1) as tf.Tensor1D };
  }

  trainStep(images: tf.Tensor4D): LossTerms {
    const seed = this.noise.seed();
    let recon: tf.Scalar | undefined;
    let kl: tf.Scalar | undefined;
    // L = mean over the batch of [ -log p(x|z) + beta * KL ]
    const loss = this.optimizer.minimize(
      () => {
        const terms = this.bound(images, seed);
        recon = tf.keep(terms.recon.mean() as tf.Scalar);
        kl = tf.keep(terms.kl.mean() as tf.Scalar);
        return terms.recon.add(terms.kl.mul(this.beta)).mean() as tf.Scalar;
      },
      true,
      this.variables,
    ) as tf.Scalar;
    return { loss, recon: recon!, kl: kl! };
  }

  evaluate(images: tf.Tensor4D): LossTerms {
    return tf.tidy(() => {
      const { recon, kl } = this.bound(images, EVAL_SEED);
      const terms: Record<string, tf.Scalar> = {
        loss: recon.add(kl.mul(this.beta)).mean() as tf.Scalar,
        recon: recon.mean() as tf.Scalar,
        kl: kl.mean() as tf.Scalar,
      };
      if (this.likelihood !== 'mse') {
        // -ELBO in nats per image, and per dimension in bits: nats / (D ln 2)
        terms.neg_elbo = recon.add(kl).mean() as tf.Scalar;
        terms.bits_per_dim = terms.neg_elbo.div(this.pixels * Math.LN2);
        terms.nll_iwae = this.importanceWeightedNll(images.slice(0, Math.min(IWAE_SIZE, images.shape[0])), this.params.k);
      }
      return terms as LossTerms;
    });
  }

  /**
   * Importance-weighted estimate of -log p(x) (Burda et al. 2016), in nats per image:
   *   log p(x) >= log 1/k sum_i p(x|z_i) p(z_i) / q(z_i|x),  z_i ~ q(z|x)
   * It tightens towards -log p(x) as k grows; k = 1 is the ELBO.
   */
  importanceWeightedNll(images: tf.Tensor4D, k: number): tf.Scalar {
    return tf.tidy(() => {
      const batch = images.shape[0];
      const x = this.targets(images, EVAL_SEED);
      const { mu, logVar } = this.posterior(x);
      const d = mu.shape[1];
      // [B, d] -> [k*B, d]: k copies of the batch, sample-major
      const muK = tf.tile(mu, [k, 1]) as tf.Tensor2D;
      const logVarK = tf.tile(logVar, [k, 1]) as tf.Tensor2D;
      const eps = tf.randomNormal([k * batch, d], 0, 1, 'float32', EVAL_SEED + 2) as tf.Tensor2D;
      const z = reparameterize(muK, logVarK, eps);
      const logits = this.decoder.apply(z) as tf.Tensor4D;
      const xK = tf.tile(x, [k, 1, 1, 1]) as tf.Tensor4D;
      const logPxGivenZ = reconstructionTerm(xK, logits, this.likelihood).neg();
      // log N(z; 0, I) and log N(z; mu, sigma^2), each [k*B]
      const logPz = z.square().sum(1).add(d * LOG_2PI).mul(-0.5);
      const logQz = eps.square().add(logVarK).sum(1).add(d * LOG_2PI).mul(-0.5);
      // [k*B] -> [k, B], then log-mean-exp over the k samples
      const logWeights = logPxGivenZ.add(logPz).sub(logQz).reshape([k, batch]);
      return tf.logSumExp(logWeights, 0).sub(Math.log(k)).mean().neg() as tf.Scalar;
    });
  }

  setParams(values: Readonly<Record<string, ParamValue>>): void {
    if (typeof values.beta === 'number') this.beta = values.beta;
    this.explorer.setParams(values);
  }

  async views(data: ViewData): Promise<ViewPanel[]> {
    return [...(await vaeViews(this, data, (x) => this.decodeMean(this.posterior(x).mu))), ...(await this.explorer.panels(data.dataset))];
  }

  decodeLatent(query: LatentQuery): Promise<ImageGridPanel> {
    return this.explorer.decode(query);
  }

  dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
    this.optimizer.dispose();
  }
}


export const VAE_IMPLEMENTATION = implement<typeof VAE_PARAMS>(VAE, (params, context) => new VariationalAutoencoder(params, context));

