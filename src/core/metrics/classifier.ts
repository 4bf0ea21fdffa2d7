/**
 * The evaluation classifier: a small convolutional network trained once per labelled image
 * dataset (scripts/build-classifiers.ts) and shipped with the app, in whose penultimate
 * layer every generative model's samples are judged: a Frechet distance between the
 * feature statistics of samples and of real images, precision and recall of the sample
 * cloud against the real one, and how the samples spread over the classes.
 *
 * Why our own network and not Inception: Inception's features know nothing of 28 x 28 grey
 * digits and cost ~100 MB; a classifier trained on the dataset itself sees what separates
 * its classes, is a few hundred KB, and runs in the worker in milliseconds a batch.
 *
 *   [n, H, W, C] -> conv 3x3 (32) ReLU -> maxpool 2 -> conv 3x3 (64) ReLU -> maxpool 2
 *                -> conv 3x3 (64) ReLU -> maxpool 2 -> flatten -> dense 128 ReLU = features
 *                -> dropout 0.2 (training only) -> dense (classes) = logits
 *
 * A third conv + pool block rather than a wider dense layer: on 28 x 28 it shrinks the map
 * to 3 x 3 x 64 = 576 values, so the dense layer (the bulk of the weights) stays at 74k
 * parameters and the whole file near 0.5 MB, while the extra convolution helps accuracy.
 * Raw variables with fixed names rather than tf.layers: layer names carry a process-wide
 * counter, and the names in the shipped file must be the same in every process.
 */
import * as tf from '@tensorflow/tfjs';

/** Width of the features layer (the penultimate, post-ReLU activations). */
export const FEATURE_SIZE = 128;

/** Channels of the three convolution blocks. */
const CONV_CHANNELS = [32, 64, 64] as const;
const KERNEL = 3;
/** Dropout between the features and the logits: it spreads the evidence for a class over many features, which keeps the feature space smooth. */
const DROPOUT = 0.2;
/** Adam's step size at the start of training; setLearningRate anneals it. */
export const LEARNING_RATE = 2e-3;

export interface ClassifierInfo {
  dataset: string;
  classes: number;
  featureSize: number;
  /** Fraction of the whole test split classified correctly. */
  accuracy: number;
  testExamples: number;
  trainSteps: number;
  epochs: number;
}

/** The .json beside the .bin: what the weights are and how well they classify. */
export interface ClassifierFile {
  info: ClassifierInfo;
  specs: tf.io.WeightsManifestEntry[];
}

export function classifierFileName(datasetId: string, part: 'json' | 'bin'): string {
  return `${datasetId}.classifier.${part}`;
}

type ImageShape = readonly [number, number, number];

/** Every weight's name and shape, in file order, for images of `shape` and `classes` labels. */
function weightShapes(shape: ImageShape, classes: number): [string, number[]][] {
  const [height, width, channels] = shape;
  const shapes: [string, number[]][] = [];
  let inChannels = channels;
  CONV_CHANNELS.forEach((outChannels, index) => {
    shapes.push([`conv${index + 1}/kernel`, [KERNEL, KERNEL, inChannels, outChannels]], [`conv${index + 1}/bias`, [outChannels]]);
    inChannels = outChannels;
  });
  // 'same' convolutions keep the size; each valid 2x2 pool floors it by half: 28 -> 14 -> 7 -> 3, 32 -> 16 -> 8 -> 4.
  const pooled = (size: number) => CONV_CHANNELS.reduce((current) => Math.floor(current / 2), size);
  if (pooled(height) < 1 || pooled(width) < 1) throw new Error(`Images of ${height} x ${width} are too small for the evaluation classifier (8 x 8 at least)`);
  const flat = pooled(height) * pooled(width) * inChannels;
  shapes.push(['features/kernel', [flat, FEATURE_SIZE]], ['features/bias', [FEATURE_SIZE]]);
  shapes.push(['logits/kernel', [FEATURE_SIZE, classes]], ['logits/bias', [classes]]);
  return shapes;
}

const BYTES_PER_VALUE: Record<string, number> = { float32: 4, int32: 4, bool: 1, float16: 2, uint16: 2, uint8: 1 };

/** The bytes one manifest entry takes in the .bin (quantized entries store fewer per value). */
function entryBytes(spec: tf.io.WeightsManifestEntry): number {
  const values = spec.shape.reduce((product, size) => product * size, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const bytes = BYTES_PER_VALUE[dtype];
  if (bytes === undefined) throw new Error(`Evaluation classifier weight ${spec.name}: unsupported dtype ${dtype}`);
  return values * bytes;
}

export class EvaluationClassifier {
  private readonly optimizer = tf.train.adam(LEARNING_RATE);
  /** Counts training steps, so that each step's dropout mask has its own seed and a rebuild repeats them all. */
  private steps = 0;

  private constructor(
    readonly shape: ImageShape,
    readonly classes: number,
    private readonly weights: ReadonlyMap<string, tf.Variable>,
    private readonly seed: number,
  ) {}

  /** An untrained classifier, its initial weights fixed by `seed`. */
  static create(shape: ImageShape, classes: number, seed: number): EvaluationClassifier {
    const weights = new Map<string, tf.Variable>();
    weightShapes(shape, classes).forEach(([name, weightShape], index) => {
      const initial = tf.tidy(() =>
        name.endsWith('/bias') ? tf.zeros(weightShape) : tf.initializers.glorotUniform({ seed: seed + index }).apply(weightShape),
      );
      weights.set(name, tf.variable(initial, true));
      initial.dispose();
    });
    return new EvaluationClassifier(shape, classes, weights, seed);
  }

  /**
   * A trained classifier from a .json's specs and its .bin, frozen (its variables are not
   * trainable, so no other model's optimizer can reach them); throws if they do not
   * describe this network for this shape and these classes.
   */
  static fromWeights(shape: ImageShape, classes: number, specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer): EvaluationClassifier {
    const expected = weightShapes(shape, classes);
    const problem = (detail: string) => new Error(`Evaluation classifier weights for [${shape.join(', ')}] images and ${classes} classes do not fit: ${detail}`);
    const byName = new Map(specs.map((spec) => [spec.name, spec]));
    for (const [name, weightShape] of expected) {
      const spec = byName.get(name);
      if (!spec) throw problem(`weight ${name} is missing`);
      if (spec.shape.join(',') !== weightShape.join(',')) throw problem(`weight ${name} is [${spec.shape.join(', ')}], expected [${weightShape.join(', ')}]`);
    }
    const extra = specs.filter((spec) => !expected.some(([name]) => name === spec.name));
    if (extra.length > 0) throw problem(`unexpected weights ${extra.map((spec) => spec.name).join(', ')}`);
    // decodeWeights reads past a short buffer without complaint (it would give a typed-array error or garbage), so check the length first.
    const bytes = specs.reduce((total, spec) => total + entryBytes(spec), 0);
    if (data.byteLength !== bytes) throw problem(`the weights file has ${data.byteLength} bytes, the specs need ${bytes}`);
    const weights = new Map<string, tf.Variable>();
    tf.tidy(() => {
      const decoded = tf.io.decodeWeights(data, specs);
      // A variable shares its initial tensor's data, which the tidy then lets go of.
      for (const [name] of expected) weights.set(name, tf.variable(decoded[name].toFloat(), false));
    });
    return new EvaluationClassifier(shape, classes, weights, 0);
  }

  private weight(name: string): tf.Variable {
    return this.weights.get(name)!;
  }

  /** [n, H, W, C] -> features [n, FEATURE_SIZE] and logits [n, classes]; dropout only when `training`. */
  private forward(images: tf.Tensor4D, training: boolean): { features: tf.Tensor2D; logits: tf.Tensor2D } {
    let x: tf.Tensor4D = images;
    CONV_CHANNELS.forEach((_, index) => {
      const layer = `conv${index + 1}`;
      const convolved = tf.conv2d(x, this.weight(`${layer}/kernel`) as tf.Tensor4D, 1, 'same');
      x = tf.maxPool(tf.relu(tf.add(convolved, this.weight(`${layer}/bias`))) as tf.Tensor4D, 2, 2, 'valid');
    });
    // [n, h, w, 64] -> [n, h * w * 64]
    const flat = x.reshape([x.shape[0], -1]) as tf.Tensor2D;
    const features = tf.relu(tf.add(tf.matMul(flat, this.weight('features/kernel')), this.weight('features/bias'))) as tf.Tensor2D;
    const kept = training ? tf.dropout(features, DROPOUT, undefined, this.seed * 7919 + this.steps) : features;
    const logits = tf.add(tf.matMul(kept, this.weight('logits/kernel')), this.weight('logits/bias')) as tf.Tensor2D;
    return { features, logits };
  }

  /** [n, H, W, C] in [0, 1] -> { features: [n, FEATURE_SIZE], logits: [n, classes] } (inference mode, no dropout). */
  embed(images: tf.Tensor4D): { features: tf.Tensor2D; logits: tf.Tensor2D } {
    this.checkImages(images);
    return tf.tidy(() => this.forward(images, false));
  }

  /** One Adam step on a labelled batch; returns the mean cross-entropy. */
  trainStep(images: tf.Tensor4D, labels: tf.Tensor1D): tf.Scalar {
    this.checkImages(images);
    const variables = [...this.weights.values()];
    if (!variables[0].trainable) throw new Error('This evaluation classifier was loaded from its weights file, frozen for evaluation: train one made by EvaluationClassifier.create');
    const loss = tf.tidy(() => {
      // [n] class ids -> [n, classes]
      const targets = tf.oneHot(labels.toInt(), this.classes);
      return this.optimizer.minimize(() => tf.losses.softmaxCrossEntropy(targets, this.forward(images, true).logits) as tf.Scalar, true, variables)!;
    });
    this.steps++;
    return loss;
  }

  /**
   * Sets the step size of the following Adam steps, for a schedule that anneals it: a short
   * run can then start with a large step and still end at a small one (on Fashion-MNIST, two
   * epochs annealed from 2e-3 reached 90.6% where a constant 1e-3 reached 89.5%).
   * tf.train.adam takes no schedule, and its `learningRate`, though protected in the
   * typings, is read afresh at every step (TF.js 4.22).
   */
  setLearningRate(rate: number): void {
    (this.optimizer as unknown as { learningRate: number }).learningRate = rate;
  }

  /** Weights in TF.js's own binary format, in a fixed order. */
  encode(): Promise<{ specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer }> {
    return tf.io.encodeWeights([...this.weights].map(([name, tensor]) => ({ name, tensor })));
  }

  dispose(): void {
    tf.dispose([...this.weights.values()]);
    this.optimizer.dispose();
  }

  private checkImages(images: tf.Tensor4D): void {
    const [, height, width, channels] = images.shape;
    if (height !== this.shape[0] || width !== this.shape[1] || channels !== this.shape[2]) {
      throw new Error(`The evaluation classifier takes [n, ${this.shape.join(', ')}] images, got [${images.shape.join(', ')}]`);
    }
  }
}
