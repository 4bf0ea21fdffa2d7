import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../datasets/image-dataset';
import { imageGridPanel, type ImageGridPanel } from '../views/panels';

/** The same 16 test images every time, so a person can watch each one sharpen. */
export const RECONSTRUCTION_INDICES = Array.from({ length: 16 }, (_, index) => index);
const COLUMNS = 8;

/**
 * Test images above their reconstructions: rows alternate data / reconstruction, 8 a row.
 * reconstruct maps [N, H, W, C] to [N, H, W, C].
 */
export async function reconstructionPanel(
  dataset: ImageDataset,
  reconstruct: (images: tf.Tensor4D) => tf.Tensor4D,
): Promise<ImageGridPanel> {
  const images = dataset.images('test', RECONSTRUCTION_INDICES);
  const grid = tf.tidy(() => {
    const reconstructed = reconstruct(images);
    const rows: tf.Tensor4D[] = [];
    for (let start = 0; start < RECONSTRUCTION_INDICES.length; start += COLUMNS) {
      const size = Math.min(COLUMNS, RECONSTRUCTION_INDICES.length - start);
      rows.push(images.slice(start, size), reconstructed.slice(start, size));
    }
    return tf.concat(rows) as tf.Tensor4D;
  });
  images.dispose();
  try {
    return await imageGridPanel(grid, {
      id: 'reconstructions',
      title: 'Reconstructions',
      caption: 'Held-out test images (rows marked "data") above what the model rebuilds from their codes.',
      columns: COLUMNS,
      rowLabels: ['data', 'recon.'],
    });
  } finally {
    grid.dispose();
  }
}
