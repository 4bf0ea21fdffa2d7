/**
 * The training loop's state, free of any transport: the worker drives it for the page and
 * the command-line runner drives it in Node. It owns a model (any GenerativeModel: tests
 * pass fakes), the run's seeded random sources, and the terms of steps not yet read back.
 */
import * as tf from '@tensorflow/tfjs';
import { datasetOf, modelOf, modelValues, trainingValues, type RunConfig } from '../config';
import type { Dataset } from '../datasets/dataset';
import type { Evaluation, GenerativeModel, ModelSpec, StepTerms } from '../models/model';
import type { ParamValue } from '../params/schema';
import { createRandom, type Random } from '../random';
import type { ViewPanel } from '../views/panels';
import { sampleQualityEvaluation, type ClassifierSource } from '../metrics/sample-quality';
import type { Checkpoint } from './checkpoint';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint-codec';
import { DETACHED_JOB, type JobContext } from './jobs';
import { disposeState } from './model-state';
import { readAndDispose } from './readback';

export interface MetricPoint {
  step: number;
  /** term name -> value; the names may differ from step to step. */
  values: Record<string, number>;
}

/** A held-out figure set, computed at a step, and what it cost. */
export interface EvaluationPoint extends MetricPoint {
  id: string;
  /** What it was computed on: "1,000 test images". */
  basis: string;
  /** Drawn from the same run as the figures (the classes of the samples). */
  panels?: ViewPanel[];
  /** When training went on while it was computed (a job beside the loop): the step it started at; `step` is where it ended. */
  fromStep?: number;
  ms: number;
}

/** The first term that was not a finite number, and at which step. */
export interface NonFinite {
  step: number;
  term: string;
  value: number;
}

export interface Readout {
  points: MetricPoint[];
  nonFinite?: NonFinite;
}

export interface SessionOptions {
  batchSize: number;
  /** Seeds the batches; the model was seeded by whoever built it. */
  batchSeed: number;
  /** Seeds the views' random draws, the same at every refresh. */
  viewSeed: number;
  /** Reads a clock, for the cost of evaluations (ms). */
  now?: () => number;
}

/** What to tell a person whose loss became NaN or infinite. */
export function nonFiniteMessage(model: ModelSpec, config: RunConfig, { step, term, value }: NonFinite): string {
  const label = model.terms.find((info) => info.key === term)?.label ?? term;
  const what = Number.isNaN(value) ? 'not a number (NaN)' : 'infinite';
  const rate = model.optimizer.some((spec) => spec.key === 'lr') ? ` (now ${config.values.lr})` : '';
  return (
    `Training stopped at step ${step.toLocaleString('en-US')}: the ${label} ("${term}") became ${what}. ` +
    `The updates were too large for this model: lower the learning rate${rate}, then press Reset.`
  );
}

export class TrainingSession {
  private readonly batchRandom: Random;
  private readonly viewSeed: number;
  private readonly now: () => number;
  private pending: { step: number; terms: StepTerms }[] = [];
  private stepCount = 0;
  private disposed = false;
  readonly batchSize: number;
  /** The model's own held-out figures, then those every generating model gets (sample quality). */
  readonly evaluations: Evaluation[];

  constructor(
    readonly model: GenerativeModel,
    readonly data: Dataset,
    options: SessionOptions,
  ) {
    this.batchSize = options.batchSize;
    this.batchRandom = createRandom(options.batchSeed);
    this.viewSeed = options.viewSeed;
    this.now = options.now ?? (() => Date.now());
    this.evaluations = [...model.evaluations];
  }

  get step(): number {
    return this.stepCount;
  }

  /** Steps dispatched whose terms have not been read back: on a GPU, steps the device may still be running. */
  get inFlight(): number {
    return this.pending.length;
  }

  /**
   * Dispatches one training step (or one phase of one). Its terms stay on the device until
   * readMetrics. Everything the step makes besides its terms is freed, also when it throws.
   */
  dispatch(phase?: string): void {
    const terms = tf.tidy(() => this.model.step({ data: this.data, random: this.batchRandom, batchSize: this.batchSize, ...(phase ? { phase } : {}) }));
    this.stepCount += 1;
    this.pending.push({ step: this.stepCount, terms });
  }

  /**
   * Reads back the terms of the steps since the last call: one awaited readback for many
   * steps, so the device is not stalled after every step. Names the first term that is
   * not a finite number.
   */
  async readMetrics(): Promise<Readout> {
    const pending = this.pending;
    this.pending = [];
    if (pending.length === 0) return { points: [] };
    const names = pending.map(({ terms }) => Object.keys(terms));
    // [all terms of all steps], in order
    const stacked = tf.tidy(() => tf.stack(pending.flatMap(({ terms }, row) => names[row].map((name) => terms[name]))));
    pending.forEach(({ terms }) => tf.dispose(Object.values(terms)));
    const [values] = await readAndDispose(stacked);
    let offset = 0;
    let nonFinite: NonFinite | undefined;
    const points = pending.map(({ step }, row) => {
      const point: MetricPoint = { step, values: {} };
      for (const name of names[row]) {
        const value = values[offset++];
        point.values[name] = value;
        if (!Number.isFinite(value) && !nonFinite) nonFinite = { step, term: name, value };
      }
      return point;
    });
    return nonFinite ? { points, nonFinite } : { points };
  }

  /** One of the model's evaluations, now. Throws JobCancelled if `job` is cancelled between chunks. */
  async evaluate(evaluation: Evaluation, job: JobContext = DETACHED_JOB): Promise<EvaluationPoint> {
    const [fromStep, start] = [this.stepCount, this.now()];
    const values = await evaluation.run({ data: this.data, job });
    const step = this.stepCount;
    const panels = evaluation.panels?.();
    return { id: evaluation.id, basis: evaluation.basis, step, ...(step !== fromStep ? { fromStep } : {}), values, ...(panels ? { panels } : {}), ms: this.now() - start };
  }

  /** The model's views, with samples drawn from the same seed at every refresh so they can be compared. */
  views(job: JobContext = DETACHED_JOB): Promise<ViewPanel[]> {
    return this.model.views({ data: this.data, random: createRandom(this.viewSeed), job });
  }

  /** n samples, if the model generates. */
  sample(n: number, random: Random, job?: JobContext, watched = false): Promise<tf.Tensor> {
    if (!this.model.sample) throw new Error('This model does not generate samples.');
    return this.model.sample(n, { random, data: this.data, ...(job ? { job } : {}), ...(watched ? { watched } : {}) });
  }

  /** The run's state now, to resume from; undefined if the model cannot save its state. */
  async checkpoint(): Promise<Checkpoint | undefined> {
    if (!this.model.state) return undefined;
    const [step, state] = [this.stepCount, await this.model.state.save()];
    try {
      state.numbers['session/batches'] = this.batchRandom.getState();
      return await encodeCheckpoint(step, state);
    } finally {
      disposeState(state);
    }
  }

  /**
   * Puts the run back where a checkpoint of the same configuration left it: weights,
   * optimizer state, step count and random sources, so the next step is the one the
   * original run would have taken. Throws, changing nothing, if the checkpoint is another
   * model's.
   */
  async restore(checkpoint: Checkpoint): Promise<void> {
    if (!this.model.state) throw new Error('This model cannot resume from a checkpoint');
    const batches = checkpoint.numbers['session/batches'];
    if (typeof batches !== 'number') throw new Error('The checkpoint has no state for the run\'s batches');
    const state = decodeCheckpoint(checkpoint);
    try {
      await this.model.state.load(state);
    } finally {
      disposeState(state);
    }
    this.batchRandom.setState(batches);
    this.stepCount = checkpoint.step;
  }

  setParams(values: Readonly<Record<string, ParamValue>>): void {
    this.model.setParams?.(values);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pending.forEach(({ terms }) => tf.dispose(Object.values(terms)));
    this.pending = [];
    this.model.dispose();
  }
}

/**
 * A session for a run's configuration: imports the model's code (its spec's lazy load),
 * builds it on the dataset, and seeds everything from the run's seed. `spec` defaults to
 * the registry's entry for the run's model (tests pass their own).
 */
export async function createSession(
  config: RunConfig,
  data: Dataset,
  options: { spec?: ModelSpec; now?: () => number; classifiers?: ClassifierSource } = {},
): Promise<TrainingSession> {
  const spec = options.spec ?? modelOf(config);
  const dataSpec = datasetOf(config);
  if (dataSpec.id !== data.spec.id) throw new Error(`The run names ${dataSpec.id} but was given ${data.spec.id}`);
  const factory = await spec.load();
  const { batch, seed } = trainingValues(config);
  // One seed makes the whole run: the batches' seed, the views' seed, then the model's weights.
  const random = createRandom(seed);
  const [batchSeed, viewSeed] = [random.seed(), random.seed()];
  const model = factory.create(modelValues(config, spec), { data: dataSpec, random });
  const session = new TrainingSession(model, data, { batchSize: batch, batchSeed, viewSeed, ...(options.now ? { now: options.now } : {}) });
  const quality = model.sample ? sampleQualityEvaluation(data, (n, random, job) => session.sample(n, random, job), options.classifiers, spec.qualitySamples) : undefined;
  if (quality) session.evaluations.push(quality);
  return session;
}
