import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../datasets/image-dataset';
import { imageGridPanel, type ImageGridPanel, type ViewPanel } from '../views/panels';
import { gaussianSamplesPanel } from './fitted-gaussian-samples';
import type { CodeSpace, LatentExplorer } from './latent-explorer';
import type { ViewData } from './model';

/** The same 16 test images every time, so a person can watch each one sharpen. */
export const RECONSTRUCTION_INDICES = Array.from({ length: 16 }, (_, index) => index);
const COLUMNS = 8;

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
  const images = dataset.images('test', RECONSTRUCTION_INDICES);
  const grid = tf.tidy(() => {
    const all = [images, ...stages(images)];
    const rows: tf.Tensor4D[] = [];
    for (let start = 0; start < RECONSTRUCTION_INDICES.length; start += COLUMNS) {
      const size = Math.min(COLUMNS, RECONSTRUCTION_INDICES.length - start);
      for (const stage of all) rows.push(stage.slice(start, size));
    }
    return tf.concat(rows) as tf.Tensor4D;
  });
  images.dispose();
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

/**
 * The views of an autoencoder whose codes have no prior (plain, convolutional):
 * reconstructions, samples from a Gaussian fitted to training codes, and the latent explorer.
 */
export async function plainAutoencoderViews(data: ViewData, codes: CodeSpace, explorer: LatentExplorer): Promise<ViewPanel[]> {
  return [
    await reconstructionPanel(data.dataset, (x) => codes.decode(codes.encode(x))),
    await gaussianSamplesPanel(data, codes),
    ...(await explorer.panels(data.dataset)),
  ];
}
