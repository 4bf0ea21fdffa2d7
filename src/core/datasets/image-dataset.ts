import * as tf from '@tensorflow/tfjs';
import type { Random } from '../random';
import type { DatasetSpec, Split } from './catalog';

/** One split's bytes: images [count, height, width, channels] and labels [count], uint8. */
export interface SplitBytes {
  images: Uint8Array;
  labels: Uint8Array;
}

/**
 * A dataset held as uint8 (one byte a pixel: MNIST's 60,000 images take 47 MB, not the
 * 188 MB a Float32Array would) and turned into float tensors one batch at a time.
 */
export class ImageDataset {
  readonly pixelsPerImage: number;

  constructor(
    readonly spec: DatasetSpec,
    private readonly splits: Readonly<Record<Split, SplitBytes>>,
  ) {
    const [height, width, channels] = spec.shape;
    this.pixelsPerImage = height * width * channels;
    for (const split of ['train', 'test'] as const) {
      const { images, labels } = splits[split];
      const count = spec.counts[split];
      if (labels.length !== count || images.length !== count * this.pixelsPerImage) {
        throw new Error(
          `${spec.id} ${split}: expected ${count} images of ${this.pixelsPerImage} bytes, ` +
            `got ${images.length} image bytes and ${labels.length} labels. Rebuild with "npm run datasets -- --force".`,
        );
      }
    }
  }

  count(split: Split): number {
    return this.spec.counts[split];
  }

  label(split: Split, index: number): number {
    return this.splits[split].labels[index];
  }

  /** Random indices, with replacement across batches (the usual SGD sampling). */
  randomIndices(split: Split, size: number, random: Random): number[] {
    const count = this.count(split);
    return Array.from({ length: size }, () => random.int(count));
  }

  /** The first `size` indices: a fixed held-out subset, the same at every evaluation. */
  firstIndices(size: number, split: Split = 'test'): number[] {
    return Array.from({ length: Math.min(size, this.count(split)) }, (_, index) => index);
  }

  /** Images scaled to [0, 1], shaped [B, height, width, channels]. */
  images(split: Split, indices: readonly number[]): tf.Tensor4D {
    const { images } = this.splits[split];
    const size = this.pixelsPerImage;
    const floats = new Float32Array(indices.length * size);
    indices.forEach((imageIndex, row) => {
      const source = images.subarray(imageIndex * size, (imageIndex + 1) * size);
      for (let i = 0; i < size; i++) floats[row * size + i] = source[i] / 255;
    });
    const [height, width, channels] = this.spec.shape;
    return tf.tensor4d(floats, [indices.length, height, width, channels]);
  }

  labels(split: Split, indices: readonly number[]): Uint8Array {
    const { labels } = this.splits[split];
    return Uint8Array.from(indices, (index) => labels[index]);
  }
}
