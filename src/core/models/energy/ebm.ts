/**
 * Implicit Generation and Generalization in Energy-Based Models (Du and Mordatch, 2019),
 * https://arxiv.org/abs/1903.08689, after LeCun et al.'s "A Tutorial on Energy-Based
 * Learning" (2006): a network E(x) gives each example an energy, and the model's density
 * is p(x) = exp(-E(x)) / Z. The gradient of the log-likelihood is
 *   -grad E(x+) on data + E_{x- ~ p}[grad E(x-)],
 * so training pushes energy down on data and up on samples of the model, drawn by Langevin
 * dynamics from a replay buffer (./langevin.ts, ./replay-buffer.ts). A small penalty on
 * the squared energies keeps them from running off.
 */
import * as tf from '@tensorflow/tfjs';
import type { PointsDataSpec } from '../../datasets/catalog';
import type { ImageDataset } from '../../datasets/image-dataset';
import type { PointsDataset } from '../../datasets/points';
import { boltzmannDensity, gridKl, kernelDensity } from '../../metrics/grid-density';
import type { ParamValue, ParamValues } from '../../params/schema';
import { createRandom, type Random } from '../../random';
import { combineParts, randomPart, type StatePart } from '../../training/model-state';
import { AdamOptimizer } from '../../training/optimizer';
import { readAndDispose } from '../../training/readback';
import { imageGridPanel, type ViewPanel } from '../../views/panels';
import { frameOf, gridCentres } from '../../views/plane-panels';
import { writtenInputGradient } from '../input-gradient';
import { addGradients, writtenParameterGradients, type WrittenPass } from '../parameter-gradients';
import { convEncoder, denseEncoder, trainableVariables, trainingStepBytes } from '../networks';
import { implement, type Action, type Evaluation, type GenerativeModel, type ModelContext, type ModelFactory, type SampleOptions, type StepContext, type StepTerms, type ViewContext } from '../model';
import { EBM, EBM_OPTIMIZER, EBM_PARAMS, INPAINT } from './ebm-spec';
import { inpaint } from './inpainting';
import { langevin, langevinNow, samplingTemperature, type EnergyFunction, type LangevinSettings } from './langevin';
import { ReplayBuffer } from './replay-buffer';
import { chainsPanel, densityPanels, energyField, FIELD_CELLS, samplesPanel } from './energy-views';

type EbmValues = ParamValues<typeof EBM_OPTIMIZER> & ParamValues<typeof EBM_PARAMS> & { batch: number };

/** Fresh chains (new samples, the figures' samples) walk this many times the training chains' steps: they start from noise, not from the buffer. */
const SAMPLE_STEPS_FACTOR = 3;
/** Chains drawn at once when sampling many: bounds the memory of a Langevin step. */
const SAMPLE_CHUNK = 500;
/** Chains drawn in the animation on the plane, and how many frames of their walk it shows. */
const SHOWN_CHAINS = 40;
const FRAMES = 30;
/** Image chains shown from noise to sample, and the columns (moments of the walk) each shows. */
const IMAGE_CHAINS = 8;
const IMAGE_COLUMNS = 8;
/** Training chains drawn on the landscape: enough to see where they gather, few enough to see the valleys. */
const BUFFER_SHOWN = 200;
/** Inpainting's noise: the same at every run, so what changes between runs is the model. */
const INPAINT_SEED = 11;

class EnergyBasedModel implements GenerativeModel {
  /** E: [B, ...example] -> [B, 1]. */
  readonly network: tf.Sequential;
  private readonly optimizer: AdamOptimizer;
  private readonly buffer: ReplayBuffer;
  private readonly noiseRandom: Random;
  private readonly exampleShape: readonly number[];
  /** Where fresh chains start: uniform over the frame of the plane, or over [0, 1] pixels. */
  private readonly range: readonly [number, number];
  private readonly isImage: boolean;
  private settings: LangevinSettings;
  private restart: number;
  private alpha: number;
  private dataNoise: number;
  readonly state: StatePart;
  readonly evaluations: readonly Evaluation[];
  /** On images: filling in half of test images (the spec's INPAINT job). */
  readonly actions: Readonly<Record<string, Action>>;

  constructor(values: EbmValues, { data, random }: ModelContext) {
    this.isImage = data.kind === 'image';
    this.exampleShape = data.shape;
    this.range = data.kind === 'image' ? [0, 1] : (data as PointsDataSpec).extent;
    this.network = data.kind === 'image' ? convEncoder(data.shape, values.channels, 1, 'swish', random) : denseEncoder(data.shape, values.hidden, 1, 'swish', random);
    const energy = (x: tf.Tensor): tf.Tensor1D => (this.network.apply(x) as tf.Tensor2D).reshape([x.shape[0]]) as tf.Tensor1D;
    this.energy = Object.assign(energy, { inputGradient: writtenInputGradient(this.network) });
    this.writtenPass = writtenParameterGradients(this.network);
    this.optimizer = new AdamOptimizer(trainableVariables(this.network), values, { lr: 'lr', beta1: 'beta1' });
    this.settings = {
      steps: values.langevin_steps,
      stepSize: values.step_size,
      noise: values.langevin_noise,
      clip: values.grad_clip,
      // pixels stay pixels; points stay in the frame: where the energy falls away outside it (a network extrapolates linearly), chains would run off for good
      bounds: this.range,
    };
    this.restart = values.restart;
    this.alpha = values.alpha;
    this.dataNoise = values.data_noise;
    this.noiseRandom = createRandom(random.seed());
    this.buffer = new ReplayBuffer(values.buffer, (n, r) => this.fresh(n, r), this.noiseRandom);
    this.state = combineParts({ energy: this.optimizer, buffer: this.buffer, noise: randomPart(this.noiseRandom) });
    this.evaluations = this.isImage ? [] : [this.gridEvaluation()];
    // fresh chains' length: the bottom half starts from noise, as a new sample does
    this.actions = this.isImage ? { [INPAINT]: async (_payload, job, { data }) => void (await inpaint(this.energy, { ...this.settings, steps: SAMPLE_STEPS_FACTOR * this.settings.steps }, data as ImageDataset, createRandom(INPAINT_SEED), job)) } : {};
  }

  /** E(x): [B, ...] -> [B], with grad E written out where ../input-gradient.ts has it (the image network). */
  readonly energy: EnergyFunction;
  /** The energy network's forward pass and weight gradients written out (../parameter-gradients.ts; the image network), else the tape. */
  private readonly writtenPass: ((x: tf.Tensor) => WrittenPass) | undefined;

  /** n starting points, uniform over the data's range: [n, ...example]. */
  private fresh(n: number, random: Random): tf.Tensor {
    return tf.randomUniform([n, ...this.exampleShape], this.range[0], this.range[1], 'float32', random.seed());
  }

  step({ data, random, batchSize }: StepContext): StepTerms {
    // x+ : data, blurred by N(0, data_noise^2)
    const drawn = data.draw(batchSize, random);
    const real = this.dataNoise > 0 ? tf.tidy(() => drawn.add(tf.randomNormal(drawn.shape, 0, this.dataNoise, 'float32', random.seed()))) : drawn;
    // x- : chains from the buffer (a share restarted from noise), walked down the current energy
    const { rows, start } = this.buffer.draw(batchSize, this.restart, this.noiseRandom);
    const samples = langevinNow(this.energy, start, this.settings, this.noiseRandom);
    this.buffer.store(rows, samples);
    let means: tf.Scalar[] = [];
    // L = E[E(x+)] - E[E(x-)] + alpha (E[E(x+)^2] + E[E(x-)^2])
    const objective = (onData: tf.Tensor1D, onSamples: tf.Tensor1D) => {
      means = [tf.keep(onData.mean()), tf.keep(onSamples.mean())];
      return onData.mean().sub(onSamples.mean()).add(onData.square().mean().add(onSamples.square().mean()).mul(this.alpha)) as tf.Scalar;
    };
    const loss = this.writtenPass ? this.writtenStep(this.writtenPass, real, samples, objective) : this.optimizer.minimize(() => objective(this.energy(real), this.energy(samples)));
    return { loss, energy_data: means[0], energy_samples: means[1] };
  }

  /**
   * The update with the weights' gradients written out (../parameter-gradients.ts), where the
   * tape would record both batches' passes: dL/dE(x+) = (1 + 2 alpha E(x+)) / B and
   * dL/dE(x-) = (-1 + 2 alpha E(x-)) / B, each batch's way back from there, summed.
   */
  private writtenStep(written: (x: tf.Tensor) => WrittenPass, real: tf.Tensor, samples: tf.Tensor, objective: (onData: tf.Tensor1D, onSamples: tf.Tensor1D) => tf.Scalar): tf.Scalar {
    const [onData, onSamples] = [written(real), written(samples)];
    const loss = objective(onData.output.reshape([-1]), onSamples.output.reshape([-1]));
    const upstream = (energies: tf.Tensor2D, sign: number) => energies.mul(2 * this.alpha).add(sign).div(energies.shape[0]) as tf.Tensor2D;
    this.optimizer.applyGradients(addGradients([onData.gradients(upstream(onData.output, 1)), onSamples.gradients(upstream(onSamples.output, -1))]));
    return loss;
  }

  /**
   * n fresh chains from noise, SAMPLE_STEPS_FACTOR times as long as training's. Watched on
   * the plane, the first chains' paths are shown as they go.
   */
  async sample(n: number, { random, job, watched, data }: SampleOptions): Promise<tf.Tensor> {
    const settings = { ...this.settings, steps: SAMPLE_STEPS_FACTOR * this.settings.steps };
    if (watched && job && data.kind === 'points') return this.animatedChains(n, settings, data, random, job);
    if (watched && job && data.kind === 'image') return this.imageChains(n, settings, random, job);
    const parts: tf.Tensor[] = [];
    for (let done = 0; done < n; done += SAMPLE_CHUNK) {
      const start = this.fresh(Math.min(SAMPLE_CHUNK, n - done), random);
      parts.push(await langevin(this.energy, start, settings, random));
      start.dispose();
      await job?.checkpoint();
    }
    const all = tf.concat(parts);
    tf.dispose(parts);
    return all;
  }

  /** Sampling with its chains drawn on the energy landscape every few steps: the page sees points roll downhill. */
  private async animatedChains(n: number, settings: LangevinSettings, data: PointsDataset, random: Random, job: NonNullable<SampleOptions['job']>): Promise<tf.Tensor> {
    const shown = Math.min(SHOWN_CHAINS, n);
    const field = await this.landscape(data);
    const start = this.fresh(n, random);
    const paths: Float32Array[] = Array.from({ length: shown }, () => new Float32Array(0));
    const every = Math.max(1, Math.round(settings.steps / FRAMES));
    const record = async (x: tf.Tensor, step: number) => {
      if (step % every !== 0 && step !== settings.steps) return;
      const [now] = await readAndDispose(tf.tidy(() => x.slice(0, shown)));
      paths.forEach((path, i) => (paths[i] = Float32Array.from([...path, now[2 * i], now[2 * i + 1]])));
      job.emit(chainsPanel(data, field.energies, paths, step, settings.steps), step / settings.steps);
      await job.checkpoint();
    };
    await record(start, 0);
    const end = await langevin(this.energy, start, settings, random, record);
    start.dispose();
    return end;
  }

  /**
   * Images drawn with their chains shown: each row one chain, from noise (left) to the
   * finished sample (right), a column every few Langevin steps, filled in as they go.
   */
  private async imageChains(n: number, settings: LangevinSettings, random: Random, job: NonNullable<SampleOptions['job']>): Promise<tf.Tensor> {
    const rows = Math.min(IMAGE_CHAINS, n);
    const every = Math.max(1, Math.ceil(settings.steps / (IMAGE_COLUMNS - 1)));
    const columns: tf.Tensor[] = [];
    const show = async (step: number) => {
      // [rows, H, W, C] per column -> [rows * columns, H, W, C], row-major: chain by chain
      const grid = tf.tidy(() => tf.stack(columns, 1).reshape([rows * columns.length, ...this.exampleShape]) as tf.Tensor4D);
      const panel = await imageGridPanel(grid, {
        id: 'new-samples',
        title: 'Langevin chains',
        caption: `Each row one chain, from uniform noise (left) down the energy to a sample (right), a column every ${every} of its ${settings.steps} steps: step ${step} of ${settings.steps}.`,
        columns: columns.length,
      }).finally(() => grid.dispose());
      job.emit(panel, step / settings.steps);
      await job.checkpoint();
    };
    const start = this.fresh(n, random);
    try {
      columns.push(tf.tidy(() => start.slice(0, rows)));
      return await langevin(this.energy, start, settings, random, async (x, step) => {
        if (step % every !== 0 && step !== settings.steps) return;
        columns.push(tf.tidy(() => x.slice(0, rows)));
        await show(step);
      });
    } finally {
      start.dispose();
      tf.dispose(columns);
    }
  }

  /** The energy at the centres of the views' grid: [cells^2], row 0 at the top. */
  private async landscape(data: PointsDataset): Promise<{ energies: Float32Array; grid: Float32Array }> {
    const grid = gridCentres(frameOf(data), FIELD_CELLS);
    const [energies] = await readAndDispose(tf.tidy(() => this.energy(tf.tensor2d(grid, [FIELD_CELLS * FIELD_CELLS, 2]))));
    return { energies, grid };
  }

  /** KL(data || model) on the views' grid: cheap (one pass over 2,304 cells), so it refreshes with the views. */
  private gridEvaluation(): Evaluation {
    return {
      id: 'grid-density',
      basis: `a ${FIELD_CELLS} x ${FIELD_CELLS} grid`,
      cadence: 'refresh',
      ownNames: true,
      run: async ({ data }) => {
        const points = data as PointsDataset;
        const { energies, grid } = await this.landscape(points);
        return { grid_kl: gridKl(this.dataDensity(points, grid), boltzmannDensity(energies, samplingTemperature(this.settings))) };
      },
    };
  }

  private cachedDensity?: { grid: Float32Array; density: Float32Array };

  /** The data's density on the grid, from its test points, a kernel as wide as a cell or as the data's noise: fixed for the run, computed once. */
  private dataDensity(data: PointsDataset, grid: Float32Array): Float32Array {
    if (this.cachedDensity?.grid.length !== grid.length) {
      const [low, high] = data.spec.extent;
      const bandwidth = Math.max(data.spread, (high - low) / FIELD_CELLS);
      this.cachedDensity = { grid, density: kernelDensity(data.coordinates('test'), grid, bandwidth) };
    }
    return this.cachedDensity.density;
  }

  async views({ data, random, job }: ViewContext): Promise<ViewPanel[]> {
    if (data.kind === 'image') {
      const held = this.buffer.peek(64);
      try {
        return [
          await imageGridPanel(held as tf.Tensor4D, {
            id: 'buffer',
            title: 'The replay buffer',
            caption: 'Where the Langevin chains stopped at recent steps, and where the next ones start: the samples the model trains against.',
            columns: 8,
          }),
        ];
      } finally {
        held.dispose();
      }
    }
    const points = data as PointsDataset;
    const { energies, grid } = await this.landscape(points);
    await job.checkpoint();
    const [buffered] = await readAndDispose(tf.tidy(() => this.buffer.peek(BUFFER_SHOWN)));
    const samples = await this.sample(1000, { random, data, job });
    const [drawn] = await readAndDispose(samples);
    return [
      energyField(points, energies, buffered),
      // a copy: panels' arrays are transferred to the page, and the data's density is kept for the run
      ...densityPanels(points, boltzmannDensity(energies, samplingTemperature(this.settings)), this.dataDensity(points, grid).slice(), samplingTemperature(this.settings)),
      samplesPanel(points, drawn, SAMPLE_STEPS_FACTOR * this.settings.steps),
    ];
  }

  setParams(values: Readonly<Record<string, ParamValue>>): void {
    this.optimizer.setParams(values);
    const number = (key: string, fallback: number) => (typeof values[key] === 'number' ? (values[key] as number) : fallback);
    this.settings = { ...this.settings, stepSize: number('step_size', this.settings.stepSize), noise: number('langevin_noise', this.settings.noise), clip: number('grad_clip', this.settings.clip) };
    this.alpha = number('alpha', this.alpha);
    this.dataNoise = number('data_noise', this.dataNoise);
  }

  memoryEstimate(batchSize: number): number {
    // a Langevin step and the update each hold one forward and backward pass; the buffer stays
    const bufferBytes = 4 * this.buffer.size * this.exampleShape.reduce((a, b) => a * b, 1);
    return trainingStepBytes(2 * batchSize, this.network) + bufferBytes;
  }

  dispose(): void {
    this.network.dispose();
    this.optimizer.dispose();
    this.buffer.dispose();
  }
}

export const EBM_FACTORY: ModelFactory = implement<typeof EBM_OPTIMIZER>(EBM, (values, context) => new EnergyBasedModel(values as unknown as EbmValues, context));
