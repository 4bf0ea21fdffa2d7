/**
 * The training loop's state, free of any transport: the worker drives it for the page and
 * the command-line runner drives it in Node. It owns the model, the batch sampler and the
 * losses not yet read back.
 */
import * as tf from '@tensorflow/tfjs';
import { modelOf, trainingValues, type RunConfig } from '../config';
import { createModel } from '../models/implementations';
import type { ImageDataset } from '../datasets/image-dataset';
import type { GenerativeModel, LossTerms } from '../models/model';
import { createRandom, type Random } from '../random';
import type { ViewPanel } from '../views/panels';

export interface MetricPoint {
  step: number;
  /** loss term name -> value */
  values: Record<string, number>;
}

/** Held-out images used for every evaluation: the first EVAL_SIZE of the test split. */
export const EVAL_SIZE = 1000;

export class TrainingSession {
  readonly model: GenerativeModel;
  private readonly batchRandom: Random;
  private readonly viewSeed: number;
  private pending: { step: number; terms: LossTerms }[] = [];
  private stepCount = 0;
  private disposed = false;

  constructor(
    readonly config: RunConfig,
    readonly dataset: ImageDataset,
  ) {
    const { lr, seed } = trainingValues(config);
    const initRandom = createRandom(seed);
    this.batchRandom = createRandom(initRandom.seed());
    this.viewSeed = initRandom.seed();
    this.model = createModel(modelOf(config).id, config.values as never, { dataset: dataset.spec, learningRate: lr, random: initRandom });
  }

  get step(): number {
    return this.stepCount;
  }

  get batchSize(): number {
    return trainingValues(this.config).batch;
  }

  /** Dispatches one optimizer step. Its losses stay on the device until readMetrics. */
  trainStep(): void {
    const images = this.dataset.images('train', this.dataset.randomIndices('train', this.batchSize, this.batchRandom));
    try {
      const terms = this.model.trainStep(images);
      this.stepCount += 1;
      this.pending.push({ step: this.stepCount, terms });
    } finally {
      images.dispose();
    }
  }

  /**
   * Reads back the losses of the steps since the last call: one awaited readback for many
   * steps, so the device is not stalled after every step.
   */
  async readMetrics(): Promise<MetricPoint[]> {
    const pending = this.pending;
    this.pending = [];
    if (pending.length === 0) return [];
    const names = Object.keys(pending[0].terms);
    // [steps, terms]
    const stacked = tf.tidy(() => tf.stack(pending.flatMap(({ terms }) => names.map((name) => terms[name]))));
    pending.forEach(({ terms }) => Object.values(terms).forEach((tensor) => tensor.dispose()));
    const values = await stacked.data();
    stacked.dispose();
    return pending.map(({ step }, row) => ({
      step,
      values: Object.fromEntries(names.map((name, column) => [name, values[row * names.length + column]])),
    }));
  }

  /** The loss terms on the held-out images, averaged. */
  async evaluate(size = EVAL_SIZE): Promise<MetricPoint> {
    const images = this.dataset.images('test', this.dataset.firstIndices(size));
    const terms = this.model.evaluate(images);
    images.dispose();
    const names = Object.keys(terms);
    const stacked = tf.stack(names.map((name) => terms[name]));
    Object.values(terms).forEach((tensor) => tensor.dispose());
    const values = await stacked.data();
    stacked.dispose();
    return { step: this.stepCount, values: Object.fromEntries(names.map((name, index) => [name, values[index]])) };
  }

  /** The model's views, with samples drawn from the same seed at every refresh so they can be compared. */
  views(): Promise<ViewPanel[]> {
    return this.model.views({ dataset: this.dataset, random: createRandom(this.viewSeed) });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pending.forEach(({ terms }) => Object.values(terms).forEach((tensor) => tensor.dispose()));
    this.pending = [];
    this.model.dispose();
  }
}
