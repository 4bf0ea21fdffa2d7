/**
 * Generative Adversarial Nets (Goodfellow et al., 2014), https://arxiv.org/abs/1406.2661,
 * on 2-D points, with the losses and stabilizers that followed it:
 * - non-saturating generator loss: the same paper, section 3;
 * - least squares: Mao et al. 2017, "Least Squares Generative Adversarial Networks", https://arxiv.org/abs/1611.04076;
 * - Wasserstein with gradient penalty: Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", https://arxiv.org/abs/1704.00028;
 * - R1, a gradient penalty on real data: Mescheder et al. 2018, "Which Training Methods for GANs do actually Converge?", https://arxiv.org/abs/1801.04406;
 * - feature matching: Salimans et al. 2016, "Improved Techniques for Training GANs", https://arxiv.org/abs/1606.03498;
 * - minibatch standard deviation: Karras et al. 2018, "Progressive Growing of GANs", https://arxiv.org/abs/1710.10196;
 * - class-conditional: Mirza and Osindero 2014, "Conditional Generative Adversarial Nets", https://arxiv.org/abs/1411.1784.
 *
 * G maps noise z ~ N(0, I) to a point; D maps a point to a logit (the Wasserstein critic
 * to a score). Each network has its own Adam optimizer over its own variables, so a
 * discriminator step never moves the generator.
 */
import * as tf from '@tensorflow/tfjs';
import type { PointsDataset } from '../../datasets/points';
import type { ParamValue, ParamValues } from '../../params/schema';
import { createRandom, type Random } from '../../random';
import { combineParts, nonTrainablePart, randomPart, type StatePart } from '../../training/model-state';
import { AdamOptimizer } from '../../training/optimizer';
import { readAndDispose } from '../../training/readback';
import type { FieldPanel, PointsPanel, ViewPanel } from '../../views/panels';
import { frameOf, gridCentres, POINT_SAMPLES, polylinesAsSegments, samplesPointsPanel, SHOWN } from '../../views/plane-panels';
import { implement, type Evaluation, type GenerativeModel, type ModelContext, type ModelFactory, type SampleOptions, type StepContext, type StepTerms, type ViewContext } from '../model';
import { registerComparisonGradients } from '../../kernel-fixes';
import { seeded, trainingStepBytes, trainableVariables } from '../networks';
import { GAN, GAN_OPTIMIZERS, GAN_PARAMS } from './gan-spec';
import { imageViews } from './gan-image-views';
import { convNetworks, denseNetworks } from './gan-networks';

type GanValues = ParamValues<typeof GAN_OPTIMIZERS> & ParamValues<typeof GAN_PARAMS> & { batch: number };
type GanLoss = 'minimax' | 'non-saturating' | 'least-squares' | 'wasserstein';

/** Heatmap resolution of D's view of the plane, fakes drawn on it, and fakes given an arrow. */
const FIELD_CELLS = 48;
const FIELD_FAKES = 500;
const ARROWS = 80;
/** Noise swept by the warped grid, on each of the first two noise dimensions. */
const NOISE_RANGE = 2.5;
const GRID_LINES = 11;
const GRID_STEPS = 50;
// The gradient penalty differentiates D's input gradient, through LeakyReLU's comparison.
registerComparisonGradients();


/** What D says of a batch: logits (scores) [B] and its last hidden features [B, F]. */
interface Verdict {
  logits: tf.Tensor1D;
  features: tf.Tensor2D;
}

class GenerativeAdversarialNetwork implements GenerativeModel {
  /** G: [B, noise] -> [B, 2]. */
  readonly generator: tf.Sequential;
  /** D's hidden layers: [B, 2] -> [B, F]. */
  readonly body: tf.Sequential;
  /** D's output: [B, F (+1 with the minibatch standard deviation)] -> [B, 1]. */
  readonly head: tf.Sequential;
  private readonly optimizerD: AdamOptimizer;
  private readonly optimizerG: AdamOptimizer;
  private readonly noiseRandom: Random;
  private readonly loss: GanLoss;
  private readonly dSteps: number;
  private readonly noiseSize: number;
  private readonly minibatchStd: boolean;
  private readonly penalty: number;
  /** Classes G and D are told (0: unconditional); a class is a one-hot vector appended to their inputs. */
  private readonly classes: number;
  private featureMatching: number;
  private realPenalty: number;
  readonly state: StatePart;
  readonly evaluations: readonly Evaluation[] = [];

  constructor(values: GanValues, context: ModelContext) {
    const { random, data } = context;
    this.loss = values.loss as GanLoss;
    this.dSteps = values.d_steps;
    this.noiseSize = values.noise;
    this.minibatchStd = values.mbstd === 'on';
    this.penalty = values.gp;
    this.featureMatching = values.feature_matching;
    this.realPenalty = values.r1;
    this.classes = values.conditional === 'on' ? (data.classNames?.length ?? 0) : 0;
    const networks =
      data.kind === 'image'
        ? convNetworks(data.shape, this.noiseSize, this.classes, values.channels, random)
        : denseNetworks(this.noiseSize, this.classes, values.hidden, values.activation as 'relu' | 'tanh', random);
    this.generator = networks.generator;
    this.body = networks.body;
    const featureSize = networks.featureSize;
    this.head = tf.sequential();
    this.head.add(tf.layers.dense({ units: 1, inputShape: [featureSize + (this.minibatchStd ? 1 : 0)], kernelInitializer: seeded(random) }));

    this.optimizerD = new AdamOptimizer(trainableVariables(this.body, this.head), values, { lr: 'lr_d', beta1: 'beta1_d' });
    this.optimizerG = new AdamOptimizer(trainableVariables(this.generator), values, { lr: 'lr_g', beta1: 'beta1_g' });
    this.noiseRandom = createRandom(random.seed());
    // batch normalization's moving statistics are state no optimizer holds
    this.state = combineParts({ discriminator: this.optimizerD, generator: this.optimizerG, statistics: nonTrainablePart(this.generator), noise: randomPart(this.noiseRandom) });
  }

  /** G(z) (G(z, y) when conditional): in training, batch normalization uses the batch's statistics (and updates its moving ones); otherwise the moving ones. */
  private generate(z: tf.Tensor2D, labels?: tf.Tensor1D, training = false): tf.Tensor {
    // [B, noise] -> [B, noise + classes]
    const input = labels ? tf.concat([z, this.oneHot(labels)], 1) : z;
    return this.generator.apply(input, { training }) as tf.Tensor;
  }

  /** y -> one-hot rows, [B] -> [B, classes]. */
  private oneHot(labels: tf.Tensor1D): tf.Tensor2D {
    return tf.oneHot(labels, this.classes).toFloat() as tf.Tensor2D;
  }

  /** An example with its class appended: a point [B, 2] -> [B, 2 + C]; an image [B, H, W, c] -> [B, H, W, c + C], the class constant over the pixels. */
  private withClass(x: tf.Tensor, labels?: tf.Tensor1D): tf.Tensor {
    if (!labels) return x;
    const codes = this.oneHot(labels);
    if (x.rank === 2) return tf.concat([x, codes], 1);
    const [batch, height, width] = x.shape;
    // [B, C] -> [B, 1, 1, C] -> [B, H, W, C]
    return tf.concat([x, codes.reshape([batch, 1, 1, this.classes]).tile([1, height, width, 1])], 3);
  }

  /** Classes for n fakes, drawn uniformly (undefined when unconditional): [n]. */
  private fakeLabels(n: number, random: Random = this.noiseRandom): tf.Tensor1D | undefined {
    if (!this.classes) return undefined;
    return tf.tensor1d(Int32Array.from({ length: n }, () => random.int(this.classes)), 'int32');
  }

  /** n classes in turn, 0, 1, ..., C - 1, 0, ...: every class its share of a sample (undefined when unconditional). */
  private balancedLabels(n: number): tf.Tensor1D | undefined {
    if (!this.classes) return undefined;
    return tf.tensor1d(Int32Array.from({ length: n }, (_, i) => i % this.classes), 'int32');
  }

  /** A real batch and, when conditional, its classes. */
  private realBatch(data: StepContext['data'], batchSize: number, random: Random): { real: tf.Tensor; labels?: tf.Tensor1D } {
    if (!this.classes) return { real: data.draw(batchSize, random) };
    const { examples, labels } = data.drawLabelled(batchSize, random);
    return { real: examples, labels: tf.tensor1d(Int32Array.from(labels), 'int32') };
  }

  /** z ~ N(0, I): [n, noise]. */
  private noise(n: number, random: Random = this.noiseRandom): tf.Tensor2D {
    return tf.randomNormal([n, this.noiseSize], 0, 1, 'float32', random.seed());
  }

  /**
   * D's verdict on a batch. With the minibatch standard deviation, the head also sees the
   * spread of the features across the batch, averaged to one number: `spread` fixes it
   * (D's view of the plane uses that of a batch of fakes, not of the grid it scores).
   */
  private discriminate(x: tf.Tensor, labels?: tf.Tensor1D, spread?: tf.Scalar): Verdict {
    const features = this.body.apply(this.withClass(x, labels)) as tf.Tensor2D;
    let input: tf.Tensor2D = features;
    if (this.minibatchStd) {
      // s = mean_f sqrt(Var_batch[features_f] + 1e-8): one number for the batch, appended to each example: [B, F] -> [B, F + 1]
      const s = spread ?? batchSpread(features);
      input = tf.concat([features, tf.fill([x.shape[0], 1], 1).mul(s)], 1) as tf.Tensor2D;
    }
    // [B, 1] -> [B]
    const logits = (this.head.apply(input) as tf.Tensor2D).reshape([x.shape[0]]) as tf.Tensor1D;
    return { logits, features };
  }

  /** The discriminator's loss on a real and a fake batch (of the same classes, when conditional), by the chosen loss. */
  private discriminatorLoss(real: tf.Tensor, fake: tf.Tensor, labels: tf.Tensor1D | undefined, random: Random): { loss: tf.Scalar; onReal: tf.Tensor1D; onFake: tf.Tensor1D } {
    const { logits: onReal } = this.discriminate(real, labels);
    const { logits: onFake } = this.discriminate(fake, labels);
    let loss: tf.Scalar;
    if (this.loss === 'least-squares') {
      // L_D = 1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2], on D's raw output
      loss = onReal.sub(1).square().mean().add(onFake.square().mean()).mul(0.5) as tf.Scalar;
    } else if (this.loss === 'wasserstein') {
      // L_D = E[D(G(z))] - E[D(x)] + lambda E[(||grad_x^ D(x^)|| - 1)^2], x^ = e x + (1 - e) G(z), e ~ U(0, 1)
      // e: [B, 1] for points, [B, 1, 1, 1] for images
      const epsilon = tf.randomUniform([real.shape[0], ...real.shape.slice(1).map(() => 1)], 0, 1, 'float32', random.seed());
      const between = real.mul(epsilon).add(fake.mul(tf.sub(1, epsilon)));
      const gradient = tf.grad((x: tf.Tensor) => this.discriminate(x, labels).logits.sum())(between);
      // ||grad|| over each example's values: [B, ...] -> [B]; the 1e-12 keeps the square root's own gradient finite at 0
      const norm = gradient.reshape([real.shape[0], -1]).square().sum(1).add(1e-12).sqrt();
      loss = onFake.mean().sub(onReal.mean()).add(norm.sub(1).square().mean().mul(this.penalty)) as tf.Scalar;
    } else {
      // L_D = -E[log D(x)] - E[log(1 - D(G(z)))], with D = sigmoid(l): -log sigmoid(l) = softplus(-l), -log(1 - sigmoid(l)) = softplus(l)
      loss = tf.softplus(onReal.neg()).mean().add(tf.softplus(onFake).mean()) as tf.Scalar;
    }
    if (this.realPenalty > 0) {
      // R1: (gamma / 2) E[||grad_x D(x)||^2] over real x, on D's logit (the critic's score)
      const gradient = tf.grad((x: tf.Tensor) => this.discriminate(x, labels).logits.sum())(real);
      loss = loss.add(gradient.reshape([real.shape[0], -1]).square().sum(1).mean().mul(this.realPenalty / 2)) as tf.Scalar;
    }
    return { loss, onReal, onFake };
  }

  /** The generator's loss on its fakes, given D's verdict on them (and real features, for feature matching). */
  private generatorLoss(verdict: Verdict, realFeatures?: tf.Tensor2D): tf.Scalar {
    const l = verdict.logits;
    let loss: tf.Scalar;
    // minimax: G minimises E[log(1 - D(G(z)))] = -E[softplus(l)]; it saturates (no gradient) once D rejects the fakes
    if (this.loss === 'minimax') loss = tf.softplus(l).mean().neg() as tf.Scalar;
    // non-saturating: G maximises E[log D(G(z))], i.e. minimises E[softplus(-l)]
    else if (this.loss === 'non-saturating') loss = tf.softplus(l.neg()).mean() as tf.Scalar;
    // least squares: 1/2 E[(D(G(z)) - 1)^2]
    else if (this.loss === 'least-squares') loss = l.sub(1).square().mean().mul(0.5) as tf.Scalar;
    // Wasserstein: -E[D(G(z))]
    else loss = l.mean().neg() as tf.Scalar;
    if (realFeatures && this.featureMatching > 0) {
      // feature matching: || E[f(x)] - E[f(G(z))] ||^2, the real side held fixed
      const gap = realFeatures.mean(0).sub(verdict.features.mean(0));
      loss = loss.add(gap.square().sum().mul(this.featureMatching)) as tf.Scalar;
    }
    return loss;
  }

  /** D's verdict as a probability of being real (the critic's raw score for Wasserstein): [B]. */
  private score(logits: tf.Tensor1D): tf.Tensor1D {
    return this.loss === 'wasserstein' || this.loss === 'least-squares' ? logits : tf.sigmoid(logits);
  }

  private stepDiscriminator({ data, random, batchSize }: StepContext): StepTerms {
    const { real, labels } = this.realBatch(data, batchSize, random);
    // when conditional, the fakes are of the real batch's classes, so D must judge each example against its class
    const fake = this.generate(this.noise(batchSize), labels, true);
    let scores: tf.Scalar[] = [];
    const loss = this.optimizerD.minimize(() => {
      const { loss: value, onReal, onFake } = this.discriminatorLoss(real, fake, labels, random);
      scores = [tf.keep(this.score(onReal).mean()), tf.keep(this.score(onFake).mean())];
      return value;
    });
    return { d_loss: loss, d_real: scores[0], d_fake: scores[1] };
  }

  private stepGenerator({ data, random, batchSize }: StepContext): StepTerms {
    let realFeatures: tf.Tensor2D | undefined;
    if (this.featureMatching > 0) {
      const { real, labels } = this.realBatch(data, batchSize, random);
      realFeatures = this.discriminate(real, labels).features;
    }
    const z = this.noise(batchSize);
    const labels = this.fakeLabels(batchSize);
    const loss = this.optimizerG.minimize(() => this.generatorLoss(this.discriminate(this.generate(z, labels, true), labels), realFeatures));
    return { g_loss: loss };
  }

  /** One phase, or k discriminator steps then one generator step (the paper's Algorithm 1). */
  step(context: StepContext): StepTerms {
    if (context.phase === 'discriminator') return this.stepDiscriminator(context);
    if (context.phase === 'generator') return this.stepGenerator(context);
    let terms: StepTerms = {};
    for (let k = 0; k < this.dSteps; k++) {
      tf.dispose(Object.values(terms));
      terms = this.stepDiscriminator(context);
    }
    return { ...terms, ...this.stepGenerator(context) };
  }

  async sample(n: number, { random }: SampleOptions): Promise<tf.Tensor> {
    return tf.tidy(() => this.generate(this.noise(n, random), this.balancedLabels(n)));
  }

  async views({ data, random, job }: ViewContext): Promise<ViewPanel[]> {
    if (data.kind === 'image') {
      return imageViews(data, random, job, {
        classNames: this.classes ? data.spec.classNames : undefined,
        generate: (z, labels) => this.generate(z, labels),
        noise: (n, r) => this.noise(n, r),
        scores: (x, labels) => this.score(this.discriminate(x, labels).logits),
      });
    }
    const points = data as PointsDataset;
    const field = await this.discriminatorField(points, random);
    await job.checkpoint();
    const [samples] = await readAndDispose(tf.tidy(() => this.generate(this.noise(POINT_SAMPLES, random), this.balancedLabels(POINT_SAMPLES))));
    const samplesPanel = samplesPointsPanel(
      points,
      samples,
      'Points the generator makes from fresh noise z ~ N(0, I), beside the data. The same noise at every refresh.' + (this.classes ? ' Every class gets its share.' : ''),
    );
    await job.checkpoint();
    return [field, samplesPanel, await this.noiseGrid(points)];
  }

  /** D's opinion of every place in the plane, with the data, fakes, and where the generator pushes its fakes. */
  private async discriminatorField(data: PointsDataset, random: Random): Promise<FieldPanel> {
    const extent = frameOf(data);
    const grid = gridCentres(extent, FIELD_CELLS);
    const [values, fakes, vectors] = tf.tidy(() => {
      const labels = this.balancedLabels(FIELD_FAKES);
      const fake = this.generate(this.noise(FIELD_FAKES, random), labels) as tf.Tensor2D;
      const spread = this.minibatchStd ? batchSpread(this.discriminate(fake, labels).features) : undefined;
      const cells = tf.tensor2d(grid, [FIELD_CELLS * FIELD_CELLS, 2]);
      // conditional: D's verdict for each class, averaged, (1/C) sum_c D(x, c)
      const heat = this.classes
        ? tf.addN(Array.from({ length: this.classes }, (_, c) => this.score(this.discriminate(cells, tf.fill([cells.shape[0]], c, 'int32') as tf.Tensor1D, spread).logits))).div(this.classes)
        : this.score(this.discriminate(cells, undefined, spread).logits);
      // The generator's gradient at its first fakes: -dL_G/dx, the way each fake is pushed
      const pushed = fake.slice([0, 0], [ARROWS, 2]);
      const pushedLabels = labels?.slice(0, ARROWS);
      const gradient = tf.grad((x: tf.Tensor) => this.generatorLoss(this.discriminate(x, pushedLabels, spread)))(pushed);
      return [heat, fake, gradient.neg()];
    });
    const [heat, fakePoints, arrows] = await readAndDispose(values, fakes, vectors);
    const wasserstein = this.loss === 'wasserstein' || this.loss === 'least-squares';
    return {
      kind: 'field',
      id: 'discriminator',
      title: "What the discriminator thinks",
      caption: wasserstein
        ? "The critic's score at every place in the plane (higher: more real), the data, the generator's points, and arrows where the generator is pushing them."
        : "D(x), the probability D gives that a point at x is real (bright: real), the data, the generator's points, and arrows where the generator is pushing them." +
          (this.classes ? " Conditional: D's verdict averaged over the classes." : ''),
      values: heat,
      rows: FIELD_CELLS,
      columns: FIELD_CELLS,
      extent,
      valueLabel: wasserstein ? "the critic's score" : 'D(x), the probability that x is real',
      ...(wasserstein ? {} : { range: [0, 1] as const }),
      arrows: { label: "the generator's push on its points", points: fakePoints.slice(0, 2 * ARROWS), vectors: arrows },
      series: [
        { label: 'data (test points)', points: data.coordinates('test', SHOWN), role: 'data' },
        { label: 'generated points', points: fakePoints },
      ],
      axisLabels: ['x1', 'x2'],
    };
  }

  /** The generator's mapping: a grid of lines in the first two noise dimensions (the rest at 0), carried into the plane (for the first class, when conditional). */
  private async noiseGrid(data: PointsDataset): Promise<PointsPanel> {
    const swept = Math.min(2, this.noiseSize);
    const codes: number[] = [];
    const at = (i: number, steps: number) => -NOISE_RANGE + (2 * NOISE_RANGE * i) / (steps - 1);
    const line = (fixed: number, along: number) => {
      for (let i = 0; i < GRID_STEPS; i++) {
        const z = new Array(this.noiseSize).fill(0);
        z[along] = at(i, GRID_STEPS);
        if (swept === 2) z[1 - along] = at(fixed, GRID_LINES);
        codes.push(...z);
      }
    };
    const lines = swept === 2 ? 2 * GRID_LINES : 1;
    if (swept === 2) for (let along = 0; along < 2; along++) for (let fixed = 0; fixed < GRID_LINES; fixed++) line(fixed, along);
    else line(0, 0);
    const [mapped] = await readAndDispose(
      tf.tidy(() => this.generate(tf.tensor2d(codes, [lines * GRID_STEPS, this.noiseSize]), this.classes ? (tf.zeros([lines * GRID_STEPS], 'int32') as tf.Tensor1D) : undefined)),
    );
    const polylines = Array.from({ length: lines }, (_, i) => mapped.slice(2 * i * GRID_STEPS, 2 * (i + 1) * GRID_STEPS));
    return {
      kind: 'points',
      id: 'noise-grid',
      title: 'How the generator bends the noise',
      caption:
        swept === 2
          ? `A square grid of noise (z1, z2 from -${NOISE_RANGE} to ${NOISE_RANGE}) after the generator: where it stretches, few samples land; where it folds, many.`
          : `The noise line z from -${NOISE_RANGE} to ${NOISE_RANGE} after the generator.` + (this.classes ? ` For the class "${data.spec.classNames?.[0]}".` : ''),
      series: [{ label: 'data (test points)', points: data.coordinates('test', SHOWN), role: 'data' }, polylinesAsSegments(polylines, 'noise grid, mapped by G')],
      extent: frameOf(data),
      axisLabels: ['x1', 'x2'],
    };
  }

  setParams(values: Readonly<Record<string, ParamValue>>): void {
    this.optimizerD.setParams(values);
    this.optimizerG.setParams(values);
    if (typeof values.feature_matching === 'number') this.featureMatching = values.feature_matching;
    if (typeof values.r1 === 'number') this.realPenalty = values.r1;
  }

  memoryEstimate(batchSize: number): number {
    // a generator step runs both networks; a gradient penalty also a second-order pass through D
    return trainingStepBytes(batchSize, this.generator, this.body, this.head) * (this.loss === 'wasserstein' || this.realPenalty > 0 ? 2 : 1);
  }

  dispose(): void {
    this.generator.dispose();
    this.body.dispose();
    this.head.dispose();
    this.optimizerD.dispose();
    this.optimizerG.dispose();
  }
}

/** mean_f sqrt(Var_batch[features_f] + 1e-8): how different a batch's examples look to D, as one number. */
function batchSpread(features: tf.Tensor2D): tf.Scalar {
  const { variance } = tf.moments(features, 0);
  return variance.add(1e-8).sqrt().mean();
}

export const GAN_FACTORY: ModelFactory = implement<typeof GAN_OPTIMIZERS>(GAN, (values, context) => new GenerativeAdversarialNetwork(values as unknown as GanValues, context));
