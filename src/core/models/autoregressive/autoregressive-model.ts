/**
 * The model around any autoregressive image network (PixelCNN, gated PixelCNN, PixelCNN++,
 * PixelRNN): what is shared once the network defines p(x).
 *
 * Paper: A. van den Oord, N. Kalchbrenner and K. Kavukcuoglu, "Pixel Recurrent Neural
 * Networks", ICML 2016. https://arxiv.org/abs/1601.06759
 *
 * By the chain rule, the probability of an image of n values (pixels times colours, in
 * raster order, R before G before B within a pixel) is a product of conditionals,
 *   p(x) = prod_i p(x_i | x_1, ..., x_{i-1}),
 * each predicted by a network that sees only the values before x_i. Training minimizes
 * the exact negative log-likelihood, all n conditionals in one pass; sampling draws the n
 * values one after another (./pixel-sampler.ts). The held-out figure is exact too, in
 * bits per dimension and nats per image.
 */
import * as tf from '@tensorflow/tfjs';
import { exampleSize, type ImageDataSpec } from '../../datasets/catalog';
import type { Dataset } from '../../datasets/dataset';
import type { ImageDataset, ReadOptions } from '../../datasets/image-dataset';
import type { ParamValue } from '../../params/schema';
import { createRandom, type Random } from '../../random';
import { examplesEvaluated, heldOutMeans } from '../../training/evaluation';
import { combineParts, type StatePart } from '../../training/model-state';
import { AdamOptimizer } from '../../training/optimizer';
import type { ImageGridPanel, ViewPanel } from '../../views/panels';
import type { Action, Evaluation, GenerativeModel, ModelContext, SampleOptions, StepContext, StepTerms, ViewContext } from '../model';
import { COMPARE_TEMPERATURES, WATCH_SAMPLING } from './autoregressive-spec';
import type { AutoregressiveNetwork } from './autoregressive-network';
import type { Categories } from './pixel-likelihood';
import { samplePixels, type SamplingMethod } from './pixel-sampler';
import { receptiveFieldPanel } from './receptive-field';
import { compareTemperatures, filmOneImage, type DrawingSetup } from './sampling-film';

/** How images are read: 8-bit values, or binarized by a fixed threshold or by sampling. */
export type PixelData = 'bytes' | 'threshold' | 'sampled';

/** The settings every autoregressive model reads (its spec adds the network's own). */
export type AutoregressiveValues = Readonly<Record<string, ParamValue>> & {
  /** Absent: 8-bit values (a model with no `data` setting, such as PixelCNN++). */
  readonly data?: PixelData;
  readonly temperature: number;
  /** Train on the first this many training images only (0 or absent: all of them). */
  readonly train_images?: number;
};

/** Builds the network for images of `shape` with K scores per value. */
export type NetworkFactory = (shape: readonly [number, number, number], categories: Categories, random: Random) => AutoregressiveNetwork;

/** An autoregressive model of images around the network `createNetwork` builds. */
export function autoregressiveModel(values: AutoregressiveValues, context: ModelContext, createNetwork: NetworkFactory): GenerativeModel {
  return new AutoregressiveImageModel(values, context, createNetwork);
}

/** The colours of a pixel, in the order they are drawn. */
const CHANNEL_NAMES = ['R', 'G', 'B'];
/** Fixed seed of the held-out binarization, so successive evaluations read the same binary images. */
const EVAL_SEED = 7;
/**
 * Test images of the held-out likelihood, and at most how often it is computed while
 * training. 200, not the usual 1,000: the page's refreshes share a fifth of the time, the
 * views (a sampling run) take it as soon as it accrues, and a figure that costs more than
 * they do would never get its turn (on MNIST the views take about 0.7 s, 1,000 test
 * images 4 s). The mean over 200 images is within about 0.02 bits/dim of the mean over 1,000.
 */
const HELD_OUT_SIZE = 200;
const HELD_OUT_CADENCE_MS = 10_000;
/** Bytes a training step may take: a larger batch is trained in parts (stepInParts). */
const STEP_BYTES = 512 * 2 ** 20;
/** Bytes the logits of one held-out chunk may take (K floats per value). */
const CHUNK_LOGIT_BYTES = 32 * 2 ** 20;
/** Images drawn in one batch of passes: memory of the windows stays small, and a long request still shows progress. */
const SAMPLE_BATCH = 256;
/** The views: fresh samples, and completions of the first test images (their top half kept). */
const VIEW_SAMPLES = 16;
const VIEW_COMPLETIONS = 8;
const COLUMNS = 8;
/** Test images whose gradients make the receptive-field view. */
const FIELD_IMAGES = 8;
/** The film of one image shows a frame at most this often, and its n-th run draws from seed FILM_SEED + n. */
const FILM_FRAME_MS = 150;
const FILM_SEED = 101;

class AutoregressiveImageModel implements GenerativeModel {
  readonly network: AutoregressiveNetwork;
  private readonly optimizer: AdamOptimizer;
  private readonly pixelData: PixelData;
  private readonly spec: ImageDataSpec;
  /** Training batches come from the first this many training images (undefined: all). */
  private readonly trainImages?: number;
  /** Values per image: H * W * C. */
  readonly dimensions: number;
  /** The network's input for a value v: v * scale. */
  readonly scale: number;
  private temperature: number;
  readonly evaluations: readonly Evaluation[];
  readonly state: StatePart;
  /** The page's films of the sampler (the spec's AUTOREGRESSIVE_JOBS). */
  readonly actions: Readonly<Record<string, Action>>;
  private filmsShown = 0;

  constructor(values: AutoregressiveValues, { data, random }: ModelContext, createNetwork: NetworkFactory) {
    if (data.kind !== 'image') throw new Error('An autoregressive model trains on images');
    this.spec = data;
    this.pixelData = values.data ?? 'bytes';
    this.temperature = values.temperature;
    this.trainImages = values.train_images ? values.train_images : undefined;
    this.scale = this.pixelData === 'bytes' ? 1 / 255 : 1;
    this.network = createNetwork(data.shape, this.pixelData === 'bytes' ? 256 : 1, random);
    this.optimizer = new AdamOptimizer(this.network.variables, values);
    // Sampling draws from the caller's random source, and binarization from the batch's: the network is the whole state.
    this.state = combineParts({ network: this.optimizer });
    this.dimensions = exampleSize(data.shape);
    this.evaluations = [this.heldOutEvaluation()];
    this.actions = {
      [WATCH_SAMPLING]: async (_payload, job) => void (await filmOneImage(this.drawingSetup(), createRandom(FILM_SEED + this.filmsShown++), job, FILM_FRAME_MS)),
      [COMPARE_TEMPERATURES]: async (_payload, job) => job.emit(await compareTemperatures(this.drawingSetup(), FILM_SEED + this.filmsShown++, job), 1),
    };
  }

  /** How images are read: bytes, or binarized (by `coins`' random source, or each image by its index and seed). */
  private readOptions(coins: { random: Random } | { seed: number }): ReadOptions {
    if (this.pixelData === 'bytes') return { encoding: 'bytes' };
    if (this.pixelData === 'threshold') return { encoding: 'binary-threshold' };
    return { encoding: 'binary-sampled', ...coins };
  }

  /** The network's input for images as read: bytes / 255, or the binary values themselves. [B, H, W, C] */
  private input(x: tf.Tensor4D): tf.Tensor4D {
    return this.pixelData === 'bytes' ? (x.toFloat().mul(this.scale) as tf.Tensor4D) : x;
  }

  /** -log p(x) per image, in nats: [B, H, W, C] as read -> [B]. training: dropout on, where the network has any. */
  negLogLikelihood(x: tf.Tensor4D, training = false): tf.Tensor1D {
    return tf.tidy(() => this.network.negLogLikelihood(this.input(x), x, training));
  }

  /** nats -> bits per dimension: nats / (n ln 2). */
  private bitsPerDim(nats: tf.Tensor): tf.Tensor {
    return nats.div(this.dimensions * Math.LN2);
  }

  step({ data, random, batchSize }: StepContext): StepTerms {
    const x = images(data).draw(batchSize, random, { ...this.readOptions({ random }), first: this.trainImages });
    const part = this.examplesPerPart(batchSize);
    // L = mean over the batch of -log p(x), in nats per image
    const nats = part >= batchSize ? this.optimizer.minimize(() => this.negLogLikelihood(x, true).mean() as tf.Scalar) : this.stepInParts(x, part);
    return { nats, bits_per_dim: this.bitsPerDim(nats) as tf.Scalar };
  }

  /** Examples of a batch whose training step fits in STEP_BYTES: on colour 8-bit data the 3 x 256 logits a pixel make a batch of 64 too big for a tab. */
  private examplesPerPart(batchSize: number): number {
    const most = Math.max(1, Math.floor(STEP_BYTES / (4 * this.network.floatsPerExample)));
    // parts of equal size: 64 in two of 32, not 62 and 2
    return Math.ceil(batchSize / Math.ceil(batchSize / most));
  }

  /** The same update as minimize over the whole batch, in the memory of one part; returns the batch's mean -log p(x). */
  private stepInParts(x: tf.Tensor4D, part: number): tf.Scalar {
    const { value, grads } = this.gradientsInParts(x, part);
    this.optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
    return value;
  }

  /**
   * L = (1/B) sum_b -log p(x_b) and its gradient, a part of the batch at a time:
   *   grad L = sum over parts P of grad (1/B) sum_{b in P} -log p(x_b)
   * each part's gradient added to the sum and its activations freed before the next.
   */
  gradientsInParts(x: tf.Tensor4D, part: number): { value: tf.Scalar; grads: tf.NamedTensorMap } {
    const batchSize = x.shape[0];
    let value = tf.scalar(0);
    let grads: tf.NamedTensorMap = {};
    for (let first = 0; first < batchSize; first += part) {
      const n = Math.min(part, batchSize - first);
      const [nextValue, nextGrads] = tf.tidy(() => {
        const piece = tf.variableGrads(() => this.negLogLikelihood(x.slice([first], [n]) as tf.Tensor4D, true).sum().div(batchSize) as tf.Scalar, this.network.variables);
        const added = Object.fromEntries(Object.entries(piece.grads).map(([name, gradient]) => [name, grads[name] ? grads[name].add(gradient) : gradient]));
        return [value.add(piece.value), added] as const;
      });
      tf.dispose([value, ...Object.values(grads)]);
      [value, grads] = [nextValue as tf.Scalar, nextGrads];
    }
    return { value, grads };
  }

  private heldOutEvaluation(): Evaluation {
    const [height, width, channels] = this.spec.shape;
    const chunk = Math.max(1, Math.min(250, Math.floor(CHUNK_LOGIT_BYTES / (height * width * channels * this.network.categories * 4))));
    return {
      id: 'held-out',
      basis: `${examplesEvaluated(this.spec.counts, { size: HELD_OUT_SIZE })} test images`,
      // a forward pass over 200 images, about a second on a laptop: not at every refresh
      cadence: HELD_OUT_CADENCE_MS,
      run: (evaluation) =>
        heldOutMeans(evaluation, { size: HELD_OUT_SIZE, chunk }, (indices) => {
          const nats = this.negLogLikelihood(images(evaluation.data).take('test', indices, this.readOptions({ seed: EVAL_SEED })));
          return { nats, bits_per_dim: this.bitsPerDim(nats) as tf.Tensor1D };
        }),
    };
  }

  /**
   * Fills `count` images of the canvas (network inputs, [count, H, W, C]) value by value,
   * from each image's start pixel on. `afterRow` sees each completed row.
   */
  async draw(canvas: Float32Array, count: number, random: Random, options: { method?: SamplingMethod; start?: readonly number[]; afterRow?: (row: number) => Promise<void> } = {}): Promise<void> {
    await samplePixels(this.network, canvas, count, { random, temperature: this.temperature, scale: this.scale, method: options.method ?? 'cached', ...options });
  }

  /** n images drawn pixel by pixel, SAMPLE_BATCH at a time; when watched, the grid fills in on the page row by row. [n, H, W, C] in [0, 1]. */
  async sample(n: number, { random, job, watched }: SampleOptions): Promise<tf.Tensor> {
    const [height, width, channels] = this.spec.shape;
    const size = height * width * channels;
    const canvas = new Float32Array(n * size);
    for (let first = 0; first < n; first += SAMPLE_BATCH) {
      const count = Math.min(SAMPLE_BATCH, n - first);
      const part = canvas.subarray(first * size, (first + count) * size);
      await this.draw(part, count, random, {
        afterRow: async (row) => {
          if (!job) return;
          const done = (first + ((row + 1) / height) * count) / n;
          // the finished grid is the caller's to show (with the step it was drawn at): only work in progress here
          if (watched && done < 1) {
            const which = n > count ? ` of images ${first + 1} to ${first + count}` : '';
            job.emit(this.grid(canvas, n, { id: 'new-samples', title: 'New samples', caption: `Drawing value by value: row ${row + 1} of ${height}${which} done.` }), done);
          }
          await job.checkpoint();
        },
      });
    }
    // the canvas holds v / 255 or binary values: already in [0, 1]
    return tf.tensor4d(canvas, [n, height, width, channels]);
  }

  /** A grid panel straight from a canvas of network inputs, without a trip through the backend. */
  private grid(canvas: Float32Array, count: number, options: Pick<ImageGridPanel, 'id' | 'title' | 'caption'> & Partial<Pick<ImageGridPanel, 'columns' | 'rowLabels'>>): ImageGridPanel {
    const [height, width, channels] = this.spec.shape;
    const pixels = Uint8ClampedArray.from(canvas.subarray(0, count * height * width * channels), (value) => Math.round(value * 255));
    return { kind: 'image-grid', columns: COLUMNS, ...options, pixels, count, height, width, channels };
  }

  async views({ data, random, job }: ViewContext): Promise<ViewPanel[]> {
    const test = images(data);
    const [height, width, channels] = this.spec.shape;
    const size = height * width * channels;
    const indices = test.firstIndices(Math.max(VIEW_COMPLETIONS, FIELD_IMAGES), 'test');
    const completed = indices.slice(0, VIEW_COMPLETIONS);
    // One run of passes draws both: fresh samples from the first pixel, completions from the middle row on.
    const count = VIEW_SAMPLES + completed.length;
    const canvas = new Float32Array(count * size);
    const originals = await this.inputValues(test.take('test', completed, this.readOptions({ seed: EVAL_SEED })));
    canvas.set(originals, VIEW_SAMPLES * size);
    const half = Math.floor(height / 2) * width;
    await this.draw(canvas, count, random, { start: [...new Array<number>(VIEW_SAMPLES).fill(0), ...new Array<number>(completed.length).fill(half)], afterRow: () => job.checkpoint() });
    const how = this.temperature === 0 ? 'each value the most likely one (temperature 0)' : `each value drawn from the predicted distribution${this.temperature === 1 ? '' : ` at temperature ${this.temperature}`}`;
    const samples = this.grid(canvas, VIEW_SAMPLES, {
      id: 'samples',
      title: 'Samples',
      caption: `${VIEW_SAMPLES} images drawn value by value, row by row from the top left, ${how}; the same random numbers at every refresh, so what changes is the model.`,
    });
    // rows: test images, then their completions
    const pairs = new Float32Array(2 * completed.length * size);
    pairs.set(originals);
    pairs.set(canvas.subarray(VIEW_SAMPLES * size), completed.length * size);
    const completions = this.grid(pairs, 2 * completed.length, {
      id: 'completions',
      title: 'Completions',
      caption: `Test images (top row), and below each what the model draws when it keeps the image's top ${Math.floor(height / 2)} rows and fills in the rest.`,
      columns: completed.length,
      rowLabels: ['test image', 'completed'],
    });
    await job.checkpoint();
    const field = await this.receptiveField(test, indices.slice(0, FIELD_IMAGES));
    return [samples, completions, field];
  }

  /** What the films of the sampler need: the network, how values become inputs, and the temperature now. */
  private drawingSetup(): DrawingSetup {
    return { network: this.network, scale: this.scale, temperature: this.temperature, channelNames: CHANNEL_NAMES };
  }

  /** The network's inputs for images as read, as a flat array. */
  private async inputValues(x: tf.Tensor4D): Promise<Float32Array> {
    // on binary data the input is x itself: read it, then free both (once)
    const input = tf.tidy(() => this.input(x));
    try {
      return (await input.data()) as Float32Array;
    } finally {
      tf.dispose([x, input]);
    }
  }

  private async receptiveField(test: ImageDataset, indices: number[]): Promise<ImageGridPanel> {
    const values = test.take('test', indices, this.readOptions({ seed: EVAL_SEED }));
    const inputs = tf.tidy(() => this.input(values));
    try {
      return await receptiveFieldPanel(this.network, inputs, values, CHANNEL_NAMES);
    } finally {
      tf.dispose([values, inputs]);
    }
  }

  memoryEstimate(batchSize: number): number {
    // a part of the batch at a time (stepInParts); weights with their gradient, its sum over the parts and Adam's two moments
    return 4 * (this.examplesPerPart(batchSize) * this.network.floatsPerExample + 5 * this.network.variables.reduce((sum, variable) => sum + variable.size, 0));
  }

  setParams(values: Readonly<Record<string, ParamValue>>): void {
    if (typeof values.temperature === 'number') this.temperature = values.temperature;
    this.optimizer.setParams(values);
  }

  dispose(): void {
    this.network.dispose();
    this.optimizer.dispose();
  }
}

/** The run's data as images (the spec accepts nothing else). */
function images(data: Dataset): ImageDataset {
  if (data.kind !== 'image') throw new Error('An autoregressive model trains on images');
  return data;
}
