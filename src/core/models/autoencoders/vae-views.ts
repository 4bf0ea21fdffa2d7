/**
 * What the VAE shows besides the latent explorer: reconstructions, samples from the prior
 * beside data, and KL per latent dimension (with a posterior-collapse warning). The
 * decoded latent plane is drawn behind the explorer's scatter of codes.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../../datasets/dataset';
import type { ImageDataset } from '../../datasets/image-dataset';
import type { Random } from '../../random';
import { readAndDispose } from '../../training/readback';
import { imageGridPanel, type BarsPanel, type ViewPanel } from '../../views/panels';
import { klPerDimension } from './gaussian-posterior';
import { reconstructionPanel } from './views';

export interface LatentGaussianModel {
  latent: number;
  posterior(x: tf.Tensor): { mu: tf.Tensor2D; logVar: tf.Tensor2D };
  /** The decoder's mean, [n, d] -> [n, ...example]. */
  decodeMean(z: tf.Tensor2D): tf.Tensor;
  /** n samples from the model: decoded draws from the prior. */
  sample(n: number, options: { random: Random }): Promise<tf.Tensor>;
}

const SAMPLE_COUNT = 32;
const KL_SIZE = 1000;
/** A dimension whose average KL is below this carries (almost) no information about x. */
export const COLLAPSE_THRESHOLD = 0.02;

/** n draws of z ~ N(0, I) from the seeded view random source: [n, d]. */
export function priorValues(count: number, latent: number, random: Random): Float32Array {
  return Float32Array.from({ length: count * latent }, () => random.normal());
}

/** KL per latent dimension, averaged over test images, with a warning when dimensions collapse to the prior. */
export async function klBarsPanel(model: LatentGaussianModel, data: Dataset): Promise<BarsPanel> {
  const indices = data.firstIndices(KL_SIZE);
  // mean over test examples of KL per dimension: [B, d] -> [d]
  const klMean = tf.tidy(() => {
    const posterior = model.posterior(data.take('test', indices));
    return klPerDimension(posterior.mu, posterior.logVar).mean(0);
  });
  const [klValues] = await readAndDispose(klMean);

  const collapsed = Array.from(klValues).filter((value) => value < COLLAPSE_THRESHOLD).length;
  return {
    kind: 'bars',
    id: 'kl-per-dimension',
    title: 'KL per latent dimension',
    caption: `How much information each dimension of z carries about the example, averaged over ${indices.length} test examples.`,
    values: Float32Array.from(klValues),
    labels: Array.from({ length: model.latent }, (_, index) => `z${index + 1}`),
    unit: 'nats',
    threshold: COLLAPSE_THRESHOLD,
    ...(collapsed > 0
      ? {
          warning:
            `${collapsed} of ${model.latent} latent dimensions carry almost no information (KL < ${COLLAPSE_THRESHOLD} nats): ` +
            'their posterior has collapsed to the prior and the decoder ignores them.',
        }
      : {}),
  };
}

/** The VAE's own panels; the latent explorer adds the scatter, interpolation, traversal and sliders. */
export async function vaeImageViews(model: LatentGaussianModel, data: ImageDataset, random: Random): Promise<ViewPanel[]> {
  const panels: ViewPanel[] = [await reconstructionPanel(data, (x) => model.decodeMean(model.posterior(x).mu) as tf.Tensor4D)];

  const samples = (await model.sample(SAMPLE_COUNT, { random })) as tf.Tensor4D;
  panels.push(
    await imageGridPanel(samples, {
      id: 'samples',
      title: 'Samples from N(0, 1)',
      caption: 'Codes z drawn from the prior N(0, I) and decoded (the Bernoulli means): the same draws at every refresh.',
      columns: 8,
    }).finally(() => samples.dispose()),
  );

  // Data beside samples, to judge sharpness: a row of test images over a row of samples.
  const eight = await model.sample(8, { random });
  const comparison = tf.tidy(() => tf.concat([data.images('test', Array.from({ length: 8 }, (_, i) => 100 + i)), eight as tf.Tensor4D]) as tf.Tensor4D);
  eight.dispose();
  panels.push(
    await imageGridPanel(comparison, {
      id: 'data-vs-samples',
      title: 'Data vs samples',
      caption: 'Real test images (top) above samples (bottom): samples are smoother than the data.',
      columns: 8,
      rowLabels: ['data', 'samples'],
    }).finally(() => comparison.dispose()),
  );

  panels.push(await klBarsPanel(model, data));
  return panels;
}
