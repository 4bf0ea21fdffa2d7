/**
 * Views for autoencoders whose codes have no prior (the plain and the convolutional
 * autoencoder): samples decoded from a Gaussian fitted to the codes of training images,
 * and the scatter of 2-D codes.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../datasets/image-dataset';
import { fitGaussian, sampleGaussian } from '../training/gaussian';
import { imageGridPanel, type ImageGridPanel, type ScatterPanel } from '../views/panels';
import type { ViewData } from './model';

/** How many training codes the Gaussian is fitted to, at most, and how many draws are decoded. */
const GAUSSIAN_FIT_SIZE = 1000;
const SAMPLE_COUNT = 32;
const SCATTER_SIZE = 1000;
/**
 * Up to this code length the d x d covariance is formed and factored on the CPU. Beyond
 * it (a convolutional feature map used as the code: 7 x 7 x 32 = 1568 numbers) that costs
 * O(n d^2) in JS and d^2 floats, so draws are made from the training codes themselves.
 */
const MAX_CHOLESKY_DIMENSION = 256;
/** Floats of training codes held at once: long codes are fitted to fewer images. */
const CODE_BUDGET = 4_000_000;
const MIN_FIT_SIZE = 100;

/** A model's code as a flat vector: encode [N, H, W, C] -> [N, d], decode [N, d] -> [N, H, W, C]. */
export interface FlatCodes {
  dimension: number;
  encode(images: tf.Tensor4D): tf.Tensor2D;
  decode(codes: tf.Tensor2D): tf.Tensor4D;
}

/**
 * Fits N(mu, Sigma) to the codes of training images and decodes SAMPLE_COUNT draws,
 * z = mu + L eps for short codes. For long ones, z = mu + C^T eps / sqrt(n - 1) with
 * C the [n, d] centred training codes and eps ~ N(0, I_n): the same Gaussian (its
 * covariance C^T C / (n - 1) is the fitted Sigma), drawn without forming Sigma.
 */
export async function gaussianSamplesPanel({ dataset, random }: ViewData, codes: FlatCodes): Promise<ImageGridPanel> {
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

/** The 2-D codes of the first SCATTER_SIZE test images, coloured by label. encode: [N, H, W, C] -> [N, 2]. */
export async function codeScatterPanel(dataset: ImageDataset, encode: (images: tf.Tensor4D) => tf.Tensor2D): Promise<ScatterPanel> {
  const indices = dataset.firstIndices(SCATTER_SIZE);
  const images = dataset.images('test', indices);
  const codes = tf.tidy(() => encode(images));
  images.dispose();
  const points = Float32Array.from(await codes.data());
  codes.dispose();
  return {
    kind: 'scatter',
    id: 'latent-scatter',
    title: 'Codes of test images',
    caption: `The 2-D codes of ${indices.length} test images, coloured by their label (which the model never sees).`,
    points,
    labels: dataset.labels('test', indices),
    classNames: dataset.spec.classNames,
    axisLabels: ['z1', 'z2'],
    // Any 2-D code can be decoded: the latent explorer.
    explorable: true,
  };
}
