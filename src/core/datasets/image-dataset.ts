import * as tf from '@tensorflow/tfjs';
import { createRandom, itemSeed, type Random } from '../random';
import { exampleSize, type ImageDataSpec, type Split } from './catalog';
import { Splits } from './splits';

/** One split's bytes: images [count, height, width, channels] and labels [count], uint8. */
export interface SplitBytes {
  images: Uint8Array;
  labels: Uint8Array;
}

/**
 * How a model reads pixels:
 * - `unit`: floats x / 255 in [0, 1] (autoencoders, GANs);
 * - `bytes`: the integers 0..255 themselves, as int32 (a 256-way softmax's targets);
 * - `binary-threshold`: 1 where x / 255 > 0.5, else 0: the same binary image every time;
 * - `binary-sampled`: 1 with probability x / 255, drawn afresh at each read (a "dynamic"
 *   binarization: a model never sees the same binary image twice).
 */
export type ImageEncoding = 'unit' | 'bytes' | 'binary-threshold' | 'binary-sampled';

export interface ReadOptions {
  encoding?: ImageEncoding;
  /** `binary-sampled` needs one of these: the source of its coin flips, */
  random?: Random;
  /** or a seed that fixes each image's coins by its index (the same binary image whichever batch it comes in: for held-out figures). */
  seed?: number;
}

/**
 * A dataset held as uint8 (one byte a pixel: MNIST's 60,000 images take 47 MB, not the
 * 188 MB a Float32Array would) and turned into tensors one batch at a time.
 */
export class ImageDataset extends Splits {
  readonly kind = 'image' as const;
  readonly pixelsPerImage: number;

  constructor(
    readonly spec: ImageDataSpec,
    private readonly splits: Readonly<Record<Split, SplitBytes>>,
  ) {
    super();
    this.pixelsPerImage = exampleSize(spec.shape);
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

  label(split: Split, index: number): number {
    return this.splits[split].labels[index];
  }

  /** Random indices, with replacement across batches (the usual SGD sampling); among the split's first `first` images only, if given. */
  randomIndices(split: Split, size: number, random: Random, first?: number): number[] {
    const count = first === undefined ? this.count(split) : Math.min(first, this.count(split));
    return Array.from({ length: size }, () => random.int(count));
  }

  /** n random training images, [n, H, W, C], read as `options.encoding` (floats in [0, 1] by default); `first`: from the first this many only (a small training set). */
  draw(n: number, random: Random, { first, ...options }: ReadOptions & { first?: number } = {}): tf.Tensor4D {
    return this.take('train', this.randomIndices('train', n, random, first), { random, ...options });
  }

  /** n random training images with their labels: the same draw as `draw` (labels read only here, off every other model's path), for models conditioned on the class. */
  drawLabelled(n: number, random: Random, options: ReadOptions = {}): { examples: tf.Tensor4D; labels: Uint8Array } {
    const indices = this.randomIndices('train', n, random);
    return { examples: this.take('train', indices, { random, ...options }), labels: this.labels('train', indices) };
  }

  /** Images by index, [indices, H, W, C], read as `options.encoding`. */
  take(split: Split, indices: readonly number[], { encoding = 'unit', random, seed }: ReadOptions = {}): tf.Tensor4D {
    const { images } = this.splits[split];
    const size = this.pixelsPerImage;
    const [height, width, channels] = this.spec.shape;
    const shape: [number, number, number, number] = [indices.length, height, width, channels];
    if (encoding === 'bytes') {
      const bytes = new Int32Array(indices.length * size);
      indices.forEach((imageIndex, row) => bytes.set(images.subarray(imageIndex * size, (imageIndex + 1) * size), row * size));
      return tf.tensor4d(bytes, shape, 'int32');
    }
    if (encoding === 'binary-sampled' && !random && seed === undefined) throw new Error('binary-sampled images need a random source or a seed');
    const floats = new Float32Array(indices.length * size);
    indices.forEach((imageIndex, row) => {
      const source = images.subarray(imageIndex * size, (imageIndex + 1) * size);
      const target = row * size;
      if (encoding === 'unit') for (let i = 0; i < size; i++) floats[target + i] = source[i] / 255;
      // x_b = [x / 255 > 1/2]
      else if (encoding === 'binary-threshold') for (let i = 0; i < size; i++) floats[target + i] = source[i] > 127.5 ? 1 : 0;
      else {
        // x_b ~ Bernoulli(x / 255): u < x / 255 with u uniform in [0, 1)
        const coins = seed !== undefined ? createRandom(itemSeed(seed, imageIndex)) : random!;
        for (let i = 0; i < size; i++) floats[target + i] = coins.next() * 255 < source[i] ? 1 : 0;
      }
    });
    return tf.tensor4d(floats, shape);
  }

  /** Images scaled to [0, 1], shaped [B, height, width, channels]. */
  images(split: Split, indices: readonly number[]): tf.Tensor4D {
    return this.take(split, indices);
  }

  labels(split: Split, indices: readonly number[]): Uint8Array {
    const { labels } = this.splits[split];
    return Uint8Array.from(indices, (index) => labels[index]);
  }
}
