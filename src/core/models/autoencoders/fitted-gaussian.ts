/**
 * Samples for autoencoders whose codes have no prior (the plain and the convolutional
 * autoencoder): draws from a Gaussian fitted to the codes of training examples, decoded.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../../datasets/dataset';
import type { Random } from '../../random';
import { fitGaussian, sampleGaussian } from '../../training/gaussian';
import { readAndDispose } from '../../training/readback';
import type { CodeSpace } from './latent-explorer';

/** How many training codes the Gaussian is fitted to, at most. */
const GAUSSIAN_FIT_SIZE = 1000;
/**
 * Up to this code length the d x d covariance is formed and factored on the CPU. Beyond
 * it (a convolutional feature map used as the code: 7 x 7 x 32 = 1568 numbers) that costs
 * O(n d^2) in JS and d^2 floats, so draws are made from the training codes themselves.
 */
export const MAX_CHOLESKY_DIMENSION = 256;
/** Floats of training codes held at once: long codes are fitted to fewer examples. */
const CODE_BUDGET = 4_000_000;
const MIN_FIT_SIZE = 100;

export interface FittedSamples {
  /** [n, ...example shape] */
  samples: tf.Tensor;
  /** Training examples the Gaussian was fitted to. */
  fitSize: number;
}

/**
 * Fits N(mu, Sigma) to the codes of training examples and decodes n draws, z = mu + L eps
 * for short codes. For long ones, z = mu + C^T eps / sqrt(m - 1) with C the [m, d]
 * centred training codes and eps ~ N(0, I_m): the same Gaussian (its covariance
 * C^T C / (m - 1) is the fitted Sigma), drawn without forming Sigma.
 */
export async function fittedGaussianSamples(data: Dataset, codes: CodeSpace, n: number, random: Random): Promise<FittedSamples> {
  const { dimension } = codes;
  const fitSize = Math.min(GAUSSIAN_FIT_SIZE, Math.max(MIN_FIT_SIZE, Math.floor(CODE_BUDGET / dimension)));
  const trainCodes = tf.tidy(() => codes.encode(data.take('train', data.firstIndices(fitSize, 'train'))));
  const m = trainCodes.shape[0];

  if (dimension <= MAX_CHOLESKY_DIMENSION) {
    const [codeValues] = await readAndDispose(trainCodes);
    const draws = sampleGaussian(fitGaussian(codeValues, m, dimension), n, random);
    return { samples: tf.tidy(() => codes.decode(tf.tensor2d(draws, [n, dimension]))), fitSize: m };
  }
  const eps = Float32Array.from({ length: n * m }, () => random.normal());
  const samples = tf.tidy(() => {
    const mean = trainCodes.mean(0, true); // [1, d]
    const centred = trainCodes.sub(mean); // [m, d]
    // [n, m] x [m, d] -> [n, d]
    const draws = tf.tensor2d(eps, [n, m]).div(Math.sqrt(m - 1)).matMul(centred).add(mean) as tf.Tensor2D;
    return codes.decode(draws);
  });
  trainCodes.dispose();
  return { samples, fitSize: m };
}
