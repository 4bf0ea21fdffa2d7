/**
 * Image views shared by the autoencoders: test images above what the model makes of them,
 * and samples from a Gaussian fitted to the codes.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../../datasets/image-dataset';
import type { Random } from '../../random';
import { imageGridPanel, type ImageGridPanel } from '../../views/panels';
import { fittedGaussianSamples, MAX_CHOLESKY_DIMENSION } from './fitted-gaussian';
import type { CodeSpace } from './latent-explorer';

/** The same 16 test images every time, so a person can watch each one sharpen. */
export const RECONSTRUCTION_INDICES = Array.from({ length: 16 }, (_, index) => index);
const COLUMNS = 8;
const SAMPLE_COUNT = 32;

type GridOptions = Pick<ImageGridPanel, 'id' | 'title' | 'caption'> & { rowLabels: string[] };

/**
 * The 16 fixed test images and what a model makes of them, in interleaved rows of 8: for
 * each group of 8 images, one row per stage (data, then reconstruction, ...).
 * stages maps the images [N, H, W, C] to one [N, H, W, C] tensor per later row label.
 */
export async function testImageRowsPanel(
  dataset: ImageDataset,
  stages: (images: tf.Tensor4D) => tf.Tensor4D[],
  options: GridOptions,
): Promise<ImageGridPanel> {
  const grid = tf.tidy(() => {
    const images = dataset.images('test', RECONSTRUCTION_INDICES);
    const all = [images, ...stages(images)];
    const rows: tf.Tensor4D[] = [];
    for (let start = 0; start < RECONSTRUCTION_INDICES.length; start += COLUMNS) {
      const size = Math.min(COLUMNS, RECONSTRUCTION_INDICES.length - start);
      for (const stage of all) rows.push(stage.slice(start, size));
    }
    return tf.concat(rows) as tf.Tensor4D;
  });
  try {
    return await imageGridPanel(grid, { ...options, columns: COLUMNS });
  } finally {
    grid.dispose();
  }
}

/** Test images above their reconstructions. reconstruct maps [N, H, W, C] to [N, H, W, C]. */
export function reconstructionPanel(dataset: ImageDataset, reconstruct: (images: tf.Tensor4D) => tf.Tensor4D): Promise<ImageGridPanel> {
  return testImageRowsPanel(dataset, (images) => [reconstruct(images)], {
    id: 'reconstructions',
    title: 'Reconstructions',
    caption: 'Held-out test images (rows marked "data") above what the model rebuilds from their codes.',
    rowLabels: ['data', 'recon.'],
  });
}

/** Codes drawn from a Gaussian fitted to training codes, decoded: the plain autoencoder's way to generate. */
export async function fittedSamplesPanel(dataset: ImageDataset, codes: CodeSpace, random: Random): Promise<ImageGridPanel> {
  const { samples, fitSize } = await fittedGaussianSamples(dataset, codes, SAMPLE_COUNT, random);
  const long = codes.dimension > MAX_CHOLESKY_DIMENSION;
  try {
    return await imageGridPanel(samples as tf.Tensor4D, {
      id: 'samples',
      title: 'Generated samples',
      caption:
        `Codes drawn from a Gaussian fitted to the codes of ${fitSize} training images, then decoded.` +
        (long
          ? ` Each code has ${codes.dimension} numbers: one Gaussian keeps only their means and pairwise correlations, a crude model of so many, so samples are rough.`
          : ''),
      columns: 8,
    });
  } finally {
    samples.dispose();
  }
}
