/**
 * The restricted Boltzmann machine, trained by contrastive divergence.
 *
 * G. E. Hinton, "Training Products of Experts by Minimizing Contrastive Divergence",
 * Neural Computation 2002, https://www.cs.toronto.edu/~hinton/absps/tr00-004.pdf; persistent
 * chains from T. Tieleman, "Training Restricted Boltzmann Machines using Approximations to
 * the Likelihood Gradient", ICML 2008, https://www.cs.toronto.edu/~tijmen/pcd/pcd.pdf.
 *
 * The energy, the Gibbs sampler and the gradient are in ./rbm-energy.ts:
 *   d log p(v) / dW = <v h'>_data - <v h'>_model,
 * written out, not differentiated: the model's statistics come from the end of k Gibbs
 * steps started at the data (CD-k) or from persistent chains (PCD-k). The held-out
 * log-likelihood is estimated by annealed importance sampling (./ais.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { exampleSize, type ImageDataSpec } from '../../datasets/catalog';
import type { Dataset } from '../../datasets/dataset';
import type { ImageDataset, ReadOptions } from '../../datasets/image-dataset';
import type { ParamValue, ParamValues } from '../../params/schema';
import { createRandom, type Random } from '../../random';
import { examplesEvaluated, heldOutMeans } from '../../training/evaluation';
import type { JobContext } from '../../training/jobs';
import { combineParts, randomPart, type StatePart } from '../../training/model-state';
import { AdamOptimizer } from '../../training/optimizer';
import type { ViewPanel } from '../../views/panels';
import { implement, type Evaluation, type GenerativeModel, type ModelContext, type ModelFactory, type SampleOptions, type StepContext, type StepTerms, type ViewContext } from '../model';
import { aisLogPartition, baseRateBiases } from './ais';
import { freeEnergy, gibbsChain, gibbsStep, hiddenInput, hiddenProbabilities, likelihoodGradients, pseudoLikelihood, reconstructionError, type RbmWeights } from './rbm-energy';
import { RBM, RBM_OPTIMIZER, RBM_PARAMS } from './rbm-spec';
import { filmPanel, filtersPanel, runChains, statesPanel } from './rbm-views';
import { chainsPart, flagPart } from './rbm-state';

type RbmValues = ParamValues<typeof RBM_OPTIMIZER> & ParamValues<typeof RBM_PARAMS>;

/** Fixed seed of the held-out binarization and bit flips: successive evaluations read the same test images. */
const EVAL_SEED = 7;
/** The cheap held-out figures (free energy, reconstruction, pseudo-likelihood): refreshed with the views. */
const HELD_OUT = { size: 1000, chunk: 500 };
/** The AIS figure: -F(v) over the whole test set is one matrix product a chunk; log Z is the slow part. */
const AIS_TEST = { size: 10_000, chunk: 1000 };
/** At most this often while training (ms): at the defaults an estimate takes seconds. */
const AIS_CADENCE_MS = 120_000;
const AIS_SEED = 31337;
/** Training images whose pixel means give the base-rate model of AIS, and the visible biases' first values. */
const BASE_RATE_IMAGES = 10_000;
const BIAS_IMAGES = 1000;
/** Views: filters shown, chains in the film (and its columns), samples, reconstructions. */
const FILTERS = 64;
const FILM_CHAINS = 6;
const FILM_COLUMNS = 11;
const VIEW_SAMPLES = 32;
const RECONSTRUCTIONS = 10;
/** Chains drawn at once when sampling many: bounds the memory of a Gibbs step. */
const SAMPLE_CHUNK = 250;
/**
 * Hinton's guide (section 8): initial weights from N(0, 0.01^2), and hidden biases of -4,
 * "a crude way of encouraging sparsity". Sparse at first, the hidden units' input to the
 * pixels stays small while Adam's first steps (about the learning rate for every weight,
 * whatever its gradient) move the weights, so the reconstructions start from the visible
 * biases' and improve from there; with biases of 0 they first grow worse.
 */
const INITIAL_WEIGHT_SCALE = 0.01;
const INITIAL_HIDDEN_BIAS = -4;

class RestrictedBoltzmannMachine implements GenerativeModel {
  readonly weights: tf.Variable<tf.Rank.R2>;
  readonly visibleBias: tf.Variable<tf.Rank.R1>;
  readonly hiddenBias: tf.Variable<tf.Rank.R1>;
  /** PCD's chains, kept on the device from step to step: [chains, D] binary states. */
  private readonly persistent?: tf.Variable<tf.Rank.R2>;
  private readonly optimizer: AdamOptimizer;
  /** The Gibbs sampler's coins during training: part of the state, so a resumed run draws the same. */
  private readonly noise: Random;
  private readonly spec: ImageDataSpec;
  private readonly values: RbmValues;
  private weightDecay: number;
  private sampleSteps: number;
  private baseRate?: tf.Tensor1D;
  /** Whether the visible biases were set from the data (at the first step): kept in checkpoints, so a resumed run does not set them again. */
  private biasesFromData = false;
  readonly evaluations: readonly Evaluation[];
  readonly state: StatePart;

  constructor(values: RbmValues, { data, random }: ModelContext) {
    if (data.kind !== 'image') throw new Error('The RBM trains on images');
    this.spec = data;
    this.values = values;
    const size = exampleSize(data.shape);
    // in a tidy: a variable holds its own reference, and the initial values are freed
    [this.weights, this.visibleBias, this.hiddenBias, this.persistent] = tf.tidy(() => [
      tf.variable(tf.randomNormal([size, values.hidden_units], 0, INITIAL_WEIGHT_SCALE, 'float32', random.seed()) as tf.Tensor2D),
      tf.variable(tf.zeros([size]) as tf.Tensor1D),
      tf.variable(tf.fill([values.hidden_units], INITIAL_HIDDEN_BIAS) as tf.Tensor1D),
      // PCD's chains start from random pixels
      values.training === 'pcd' ? tf.variable(tf.randomUniform([values.chains, size], 0, 1, 'float32', random.seed()).less(0.5).toFloat() as tf.Tensor2D, false) : undefined,
    ]);
    this.noise = createRandom(random.seed());
    this.optimizer = new AdamOptimizer([this.weights, this.visibleBias, this.hiddenBias], values);
    this.weightDecay = values.weight_decay;
    this.sampleSteps = values.sample_steps;
    const started = flagPart(() => this.biasesFromData, (value) => (this.biasesFromData = value));
    this.state = combineParts({ rbm: this.optimizer, noise: randomPart(this.noise), started, ...(this.persistent ? { chains: chainsPart(this.persistent) } : {}) });
    this.evaluations = [this.heldOutEvaluation(), this.aisEvaluation()];
  }

  get rbm(): RbmWeights {
    return { weights: this.weights, visibleBias: this.visibleBias, hiddenBias: this.hiddenBias };
  }

  private readOptions(coins: { random: Random } | { seed: number }): ReadOptions {
    return this.values.data === 'threshold' ? { encoding: 'binary-threshold' } : { encoding: 'binary-sampled', ...coins };
  }

  /** Binary images as rows: [B, H, W, C] -> [B, D]. */
  private flat(x: tf.Tensor4D): tf.Tensor2D {
    const rows = x.reshape([x.shape[0], -1]) as tf.Tensor2D;
    x.dispose();
    return rows;
  }

  step({ data, random, batchSize }: StepContext): StepTerms {
    if (!this.biasesFromData) this.setVisibleBiases(images(data), random);
    const v0 = this.flat(images(data).draw(batchSize, random, this.readOptions({ random })));
    try {
      return this.stepOn(v0);
    } finally {
      v0.dispose();
    }
  }

  /**
   * Hinton's guide (section 8): visible biases start at log(p_i / (1 - p_i)), p_i the
   * share of training images with pixel i on. From 0, Adam would move them at most the
   * learning rate a step, and the border pixels' biases need about -5: for thousands of
   * steps the hidden units would spend themselves on switching the border off.
   */
  private setVisibleBiases(data: ImageDataset, random: Random): void {
    const v = this.flat(data.draw(BIAS_IMAGES, random, this.readOptions({ random })));
    this.visibleBias.assign(tf.tidy(() => baseRateBiases(v.mean(0) as tf.Tensor1D, BIAS_IMAGES)));
    v.dispose();
    this.biasesFromData = true;
  }

  /** One update from a batch of binary images [B, D]; the terms are measured before it. */
  private stepOn(v0: tf.Tensor2D): StepTerms {
    return tf.tidy(() => {
      const rbm = this.rbm;
      // c + v'W once for the data: p(h | v), F(v) and the pseudo-likelihood share it
      const input = hiddenInput(rbm, v0);
      const hData = hiddenProbabilities(rbm, v0, input);
      const first = gibbsStep(rbm, v0, this.noise, hData);
      const terms = {
        reconstruction_error: v0.sub(first.visibleMean).square().sum(1).mean() as tf.Scalar,
        free_energy: freeEnergy(rbm, v0, input).mean() as tf.Scalar,
        pseudo_likelihood: pseudoLikelihood(rbm, v0, this.noise.seed(), input).mean() as tf.Scalar,
      };
      // the model's side: CD-k continues the chain started at the data, PCD-k the persistent chains
      let negative: tf.Tensor2D;
      if (this.persistent) {
        negative = gibbsChain(rbm, this.persistent, this.values.k, this.noise).visible;
        this.persistent.assign(negative);
      } else {
        negative = this.values.k > 1 ? gibbsChain(rbm, first.visible, this.values.k - 1, this.noise).visible : first.visible;
      }
      const gradients = likelihoodGradients(rbm, v0, negative, hData);
      // weight decay: the gradient of (lambda / 2) ||W||^2 added to W's
      this.optimizer.applyGradients({
        [this.weights.name]: gradients.weights.add(this.weights.mul(this.weightDecay)),
        [this.visibleBias.name]: gradients.visibleBias,
        [this.hiddenBias.name]: gradients.hiddenBias,
      });
      return terms;
    });
  }

  /** The same test images every time: binary as the training data reads them. [n, D] */
  private testImages(data: Dataset, indices: readonly number[]): tf.Tensor2D {
    return this.flat(images(data).take('test', indices, this.readOptions({ seed: EVAL_SEED })));
  }

  private heldOutEvaluation(): Evaluation {
    return {
      id: 'held-out',
      basis: `${examplesEvaluated(this.spec.counts, HELD_OUT)} test images`,
      cadence: 'refresh',
      run: (evaluation) =>
        heldOutMeans(evaluation, HELD_OUT, (indices) => {
          const v = this.testImages(evaluation.data, indices);
          const seed = EVAL_SEED + indices[0];
          return { free_energy: freeEnergy(this.rbm, v), reconstruction_error: reconstructionError(this.rbm, v, createRandom(seed)), pseudo_likelihood: pseudoLikelihood(this.rbm, v, seed) };
        }),
    };
  }

  /**
   * log p(v) = -F(v) - log Z over the test set, log Z by AIS (Salakhutdinov and Murray
   * 2008). It works on a copy of the weights: training may go on between its chunks.
   * When the page asks for it, the annealing runs are shown as they go.
   */
  private aisEvaluation(): Evaluation {
    const { ais_runs: runs, ais_temperatures: temperatures } = this.values;
    return {
      id: 'ais',
      basis: `${examplesEvaluated(this.spec.counts, AIS_TEST)} test images, log Z from ${runs} AIS runs through ${temperatures.toLocaleString('en-US')} temperatures`,
      cadence: AIS_CADENCE_MS,
      waitsForTraining: true,
      ownNames: true,
      run: async ({ data, job }) => {
        const frozen: RbmWeights = tf.tidy(() => ({ weights: this.weights.clone(), visibleBias: this.visibleBias.clone(), hiddenBias: this.hiddenBias.clone() }));
        try {
          const { logZ } = await aisLogPartition(frozen, this.baseRateOf(images(data)), { runs, temperatures }, createRandom(AIS_SEED), async (done, states, beta) => {
            job.emit(await this.aisPanel(states, beta, done), done);
            await job.checkpoint();
          });
          const { free_energy } = await heldOutMeans({ data, job }, AIS_TEST, (indices) => ({ free_energy: freeEnergy(frozen, this.testImages(data, indices)) }));
          return { ais_log_likelihood: -free_energy - logZ, ais_log_z: logZ };
        } finally {
          tf.dispose([frozen.weights, frozen.visibleBias, frozen.hiddenBias]);
        }
      },
    };
  }

  /** The base-rate model's visible biases, from the mean of the first training images as read (computed once). */
  private baseRateOf(data: ImageDataset): tf.Tensor1D {
    if (!this.baseRate) {
      const indices = data.firstIndices(BASE_RATE_IMAGES, 'train');
      const v = this.flat(data.take('train', indices, this.readOptions({ seed: EVAL_SEED })));
      this.baseRate = tf.tidy(() => baseRateBiases(v.mean(0) as tf.Tensor1D, indices.length));
      v.dispose();
    }
    return this.baseRate;
  }

  private aisPanel(states: tf.Tensor2D, beta: number, done: number): Promise<ViewPanel> {
    return statesPanel(states, this.spec.shape, 16, {
      id: 'ais-runs',
      title: 'Annealed importance sampling',
      caption: `16 of the annealing runs, from independent pixels (inverse temperature 0) to the RBM (1): now at ${beta.toFixed(3)}, ${Math.round(100 * done)}% of the temperatures.`,
      columns: 8,
    });
  }

  /** n samples: Gibbs chains from random pixels, sample_steps steps each; their last p(v | h). Watched, the first chains are shown as a film. */
  async sample(n: number, { random, job, watched }: SampleOptions): Promise<tf.Tensor> {
    const parts: tf.Tensor[] = [];
    try {
      for (let done = 0; done < n; done += SAMPLE_CHUNK) {
        const count = Math.min(SAMPLE_CHUNK, n - done);
        const film = watched && job && done === 0;
        const run = await runChains(this.rbm, count, this.sampleSteps, random, this.filmRecord(Math.min(FILM_CHAINS, count), film ? job : undefined, 'new-samples'), job);
        tf.dispose(run.columns);
        parts.push(run.visibleMean);
      }
      return tf.tidy(() => tf.concat(parts).reshape([n, ...this.spec.shape]));
    } finally {
      tf.dispose(parts);
    }
  }

  /** What runChains records: FILM_COLUMNS moments of the first chains; shown through `job` as they come, if given. */
  private filmRecord(shown: number, job: JobContext | undefined, id: string) {
    const steps = this.sampleSteps;
    const every = Math.max(1, Math.ceil(steps / (FILM_COLUMNS - 1)));
    const onColumn = job ? async (columns: tf.Tensor2D[], step: number) => job.emit(await filmPanel(columns, this.spec.shape, every, step, steps, id), step / steps) : undefined;
    return { shown, every, ...(onColumn ? { onColumn } : {}) };
  }

  async views({ data, random, job }: ViewContext): Promise<ViewPanel[]> {
    const panels: ViewPanel[] = [await filtersPanel(this.weights, this.spec.shape, FILTERS)];
    const record = this.filmRecord(FILM_CHAINS, undefined, 'gibbs-chain');
    const run = await runChains(this.rbm, VIEW_SAMPLES, this.sampleSteps, random, record, job);
    try {
      panels.push(await filmPanel(run.columns, this.spec.shape, record.every, this.sampleSteps, this.sampleSteps, 'gibbs-chain'));
      const caption = `p(v | h) at the end of ${VIEW_SAMPLES} Gibbs chains of ${this.sampleSteps} steps from random pixels; the same random numbers at every refresh, so what changes is the model.`;
      panels.push(await statesPanel(run.visibleMean, this.spec.shape, VIEW_SAMPLES, { id: 'samples', title: 'Samples', caption, columns: 8 }));
    } finally {
      tf.dispose([run.visibleMean, ...run.columns]);
    }
    panels.push(await this.reconstructions(data, random));
    if (this.persistent) panels.push(await this.persistentPanel(this.persistent));
    return panels;
  }

  private async reconstructions(data: Dataset, random: Random): Promise<ViewPanel> {
    const indices = data.firstIndices(RECONSTRUCTIONS, 'test');
    const v = this.testImages(data, indices);
    // rows: test images, then p(v | h) with h ~ p(h | v)
    const pairs = tf.tidy(() => tf.concat([v, gibbsStep(this.rbm, v, random).visibleMean]) as tf.Tensor2D);
    v.dispose();
    return statesPanel(pairs, this.spec.shape, 2 * indices.length, {
      id: 'reconstructions',
      title: 'Reconstructions',
      caption: "Binary test images (top row), and below each p(v | h) after one Gibbs step: the hidden units drawn from the image, the pixels' probabilities from them.",
      columns: indices.length,
      rowLabels: ['test image', 'reconstruction'],
    }).finally(() => pairs.dispose());
  }

  private persistentPanel(chains: tf.Tensor2D): Promise<ViewPanel> {
    return statesPanel(chains, this.spec.shape, 32, {
      id: 'persistent-chains',
      title: 'The persistent chains',
      caption: "Where the persistent chains stand now: the binary states whose statistics are the model's side of the gradient. They never restart, and keep moving as the model changes.",
      columns: 8,
    });
  }

  setParams(values: Readonly<Record<string, ParamValue>>): void {
    this.optimizer.setParams(values);
    if (typeof values.weight_decay === 'number') this.weightDecay = values.weight_decay;
    if (typeof values.sample_steps === 'number') this.sampleSteps = values.sample_steps;
  }

  memoryEstimate(batchSize: number): number {
    const [size, hidden] = this.weights.shape;
    // W with its gradient, the statistics and Adam's two moments; a Gibbs step's activations for the batch and the chains
    const chains = this.persistent ? this.values.chains : 0;
    return 4 * (5 * size * hidden + 4 * (batchSize + chains + this.values.ais_runs) * (size + hidden));
  }

  dispose(): void {
    tf.dispose([this.weights, this.visibleBias, this.hiddenBias]);
    this.persistent?.dispose();
    this.baseRate?.dispose();
    this.optimizer.dispose();
  }
}

/** The run's data as images (the spec accepts nothing else). */
function images(data: Dataset): ImageDataset {
  if (data.kind !== 'image') throw new Error('The RBM trains on images');
  return data;
}

export const RBM_FACTORY: ModelFactory = implement<typeof RBM_PARAMS>(RBM, (values, context) => new RestrictedBoltzmannMachine(values as unknown as RbmValues, context));
