/** Shared test helpers: sessions from configs, fixed batches, held-out figures. */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll } from 'vitest';
import { useNodeBackend, type NodeBackend } from '../../src/cli/node-backend';
import { openNodeDataset } from '../../src/cli/node-datasets';
import type { RunConfig } from '../../src/core/config';
import type { Dataset } from '../../src/core/datasets/dataset';
import type { GenerativeModel, StepTerms } from '../../src/core/models/model';
import { DETACHED_JOB } from '../../src/core/training/jobs';
import { createRandom } from '../../src/core/random';
import { createSession, type TrainingSession } from '../../src/core/training/session';

/** The enclosing suite's tests on `backend` (called inside a describe), the CPU backend after: the other files' default. */
export function onNodeBackend(backend: NodeBackend): void {
  beforeAll(async () => {
    await useNodeBackend(backend);
  });
  afterAll(async () => {
    await useNodeBackend('cpu');
  });
}

export async function sessionFor(config: RunConfig): Promise<TrainingSession> {
  return createSession(config, await openNodeDataset(config.dataset, config.values));
}

/** The dataset, except that every batch it draws is its first `n` training examples: for "the loss falls on a fixed batch". */
export function fixedBatchOf(data: Dataset, n: number): Dataset {
  const fixed = Object.create(data) as Dataset;
  fixed.draw = (() => data.take('train', data.firstIndices(n, 'train'))) as Dataset['draw'];
  return fixed;
}

/** One step of the session's model on `data` (a fixed batch); returns the terms as numbers and frees them. */
export async function stepOn(session: TrainingSession, data: Dataset, phase?: string): Promise<Record<string, number>> {
  const terms: StepTerms = tf.tidy(() => session.model.step({ data, random: createRandom(1), batchSize: session.batchSize, ...(phase ? { phase } : {}) }));
  const names = Object.keys(terms);
  const values = await Promise.all(names.map(async (name) => (await terms[name].data())[0]));
  tf.dispose(Object.values(terms));
  return Object.fromEntries(names.map((name, i) => [name, values[i]]));
}

/** The figures of one of the model's evaluations (the held-out one by default). */
export async function heldOut(session: TrainingSession, id = 'held-out'): Promise<Record<string, number>> {
  const evaluation = session.model.evaluations.find((candidate) => candidate.id === id);
  if (!evaluation) throw new Error(`no evaluation "${id}"`);
  return (await session.evaluate(evaluation)).values;
}

/** Dispatches n steps and reads them back. */
export async function train(session: TrainingSession, steps: number): Promise<Record<string, number>[]> {
  for (let step = 0; step < steps; step++) session.dispatch();
  return (await session.readMetrics()).points.map((point) => point.values);
}

/**
 * Images already in a tensor, served as a dataset: every batch drawn is all of them, and a
 * held-out evaluation reads them by index. For testing a model on inputs no dataset holds.
 */
export function tensorData(images: tf.Tensor4D): Dataset {
  const count = images.shape[0];
  return {
    kind: 'image',
    count: () => count,
    firstIndices: (size: number) => Array.from({ length: Math.min(size, count) }, (_, i) => i),
    draw: () => images.clone(),
    take: (_split: string, indices: readonly number[]) => tf.gather(images, Array.from(indices)),
  } as unknown as Dataset;
}

/** The figures of a model's held-out evaluation on some data, without a session. */
export async function evaluateOn(model: GenerativeModel, data: Dataset, id = 'held-out'): Promise<Record<string, number>> {
  const evaluation = model.evaluations.find((candidate) => candidate.id === id);
  if (!evaluation) throw new Error(`no evaluation "${id}"`);
  return evaluation.run({ data, job: DETACHED_JOB });
}

/** One step of a model on some data; its terms as numbers. */
export async function stepModel(model: GenerativeModel, data: Dataset, batchSize = 16, random = createRandom(1)): Promise<Record<string, number>> {
  const terms = tf.tidy(() => model.step({ data, random, batchSize }));
  const entries = await Promise.all(Object.entries(terms).map(async ([name, tensor]) => [name, (await tensor.data())[0]] as const));
  tf.dispose(Object.values(terms));
  return Object.fromEntries(entries);
}
