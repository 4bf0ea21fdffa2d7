/**
 * The latent explorer's map from the scatter's plane back to codes. A 2-D code is its own
 * plane; a wider one is drawn on its first two principal components, and a point (a, b)
 * of that plane stands for the code z = mean + a * pc1 + b * pc2 (the other components at
 * their mean).
 */
import * as tf from '@tensorflow/tfjs';
import type { Projection } from '../training/pca';
import { imageGridPanel, type ImageGridPanel } from './panels';

export class LatentPlane {
  constructor(
    readonly dimension: number,
    /** Absent when the codes are 2-D and drawn as they are. */
    readonly projection?: Projection,
  ) {}

  /** The code a point of the plane stands for: [d]. */
  codeAt([a, b]: readonly [number, number]): Float32Array {
    // No projection: the first two dimensions are the plane, the others stay at 0 (the prior's mean).
    if (!this.projection) return Float32Array.from({ length: this.dimension }, (_, j) => (j === 0 ? a : j === 1 ? b : 0));
    const { mean, components, dimension } = this.projection;
    return Float32Array.from({ length: dimension }, (_, j) => mean[j] + a * components[j] + b * components[dimension + j]);
  }

  /** decode: [1, d] -> [1, H, W, C] in [0, 1]. */
  async decode(point: readonly [number, number], decode: (codes: tf.Tensor2D) => tf.Tensor4D): Promise<ImageGridPanel> {
    const image = tf.tidy(() => decode(tf.tensor2d(this.codeAt(point), [1, this.dimension])));
    try {
      return await imageGridPanel(image, {
        id: 'decoded-point',
        title: 'Decoded point',
        caption: `The image decoded from the code at (${point[0].toFixed(2)}, ${point[1].toFixed(2)}).`,
        columns: 1,
      });
    } finally {
      image.dispose();
    }
  }
}
