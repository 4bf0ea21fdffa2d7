/**
 * Samples for autoencoders whose codes have no prior (the plain and the convolutional
 * autoencoder): draws from a Gaussian fitted to the codes of training images, decoded.
 */
import * as tf from '@tensorflow/tfjs';
import { fitGaussian, sampleGaussian } from '../training/gaussian';
import { imageGridPanel, type ImageGridPanel } from '../views/panels';
import type { CodeSpace } from './latent-explorer';
import type { ViewData } from './model';

/** How many training codes the Gaussian is fitted to, at most, and how many draws are decoded. */
const GAUSSIAN_FIT_SIZE = 1000;
const SAMPLE_COUNT = 32;
/**
 * Up to this code length the d x d covariance is formed and factored on the CPU. Beyond
 * it (a convolutional feature map used as the code: 7 x 7 x 32 = 1568 numbers) that costs
 * O(n d^2) in JS and d^2 floats, so draws are made from the training codes themselves.
 */
const MAX_CHOLESKY_DIMENSION = 256;
/** Floats of training codes held at once: long codes are fitted to fewer images. */
const CODE_BUDGET = 4_000_000;
const MIN_FIT_SIZE = 100;

/**
 * Fits N(mu, Sigma) to the codes of training images and decodes SAMPLE_COUNT draws,
 * z = mu + L eps for short codes. For long ones, z = mu + C^T eps / sqrt(n - 1) with
 * C the [n, d] centred training codes and eps ~ N(0, I_n): the same Gaussian (its
 * covariance C^T C / (n - 1) is the fitted Sigma), drawn without forming Sigma.
 */
export async function gaussianSamplesPanel({ dataset, random }: ViewData, codes: CodeSpace): Promise<ImageGridPanel> {
  const { dimension } = codes;
  const fitSize = Math.min(GAUSSIAN_FIT_SIZE, Math.max(MIN_FIT_SIZE, Math.floor(CODE_BUDGET / dimension)));
  const fitImages = dataset.images('train', dataset.firstIndices(fitSize, 'train'));
  const trainCodes = tf.tidy(() => codes.encode(fitImages));
  fitImages.dispose();
  const n = trainCodes.shape[0];

  let samples: tf.Tensor4D;
  if (dimension <= MAX_CHOLESKY_DIMENSION) {
    const codeValues = await trainCodes.data();
    trainCodes.dispose();
    const draws = sampleGaussian(fitGaussian(codeValues, n, dimension), SAMPLE_COUNT, random);
    samples = tf.tidy(() => codes.decode(tf.tensor2d(draws, [SAMPLE_COUNT, dimension])));
  } else {
    const eps = Float32Array.from({ length: SAMPLE_COUNT * n }, () => random.normal());
    samples = tf.tidy(() => {
      const mean = trainCodes.mean(0, true); // [1, d]
      const centred = trainCodes.sub(mean); // [n, d]
      // [S, n] x [n, d] -> [S, d]
      const draws = tf.tensor2d(eps, [SAMPLE_COUNT, n]).div(Math.sqrt(n - 1)).matMul(centred).add(mean) as tf.Tensor2D;
      return codes.decode(draws);
    });
    trainCodes.dispose();
  }

  const long = dimension > MAX_CHOLESKY_DIMENSION;
  try {
    return await imageGridPanel(samples, {
      id: 'samples',
      title: 'Generated samples',
      caption:
        `Codes drawn from a Gaussian fitted to the codes of ${n} training images, then decoded.` +
        (long
          ? ` Each code has ${dimension} numbers: one Gaussian keeps only their means and pairwise correlations, a crude model of so many, so samples are rough.`
          : ''),
      columns: 8,
    });
  } finally {
    samples.dispose();
  }
}
