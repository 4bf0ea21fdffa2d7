/**
 * What the parity tests of the autoregressive exports share: one TF.js step of a model on a
 * served batch, from a state a step in, then samples drawn with recorded uniforms, written
 * as a project and inputs.npz for tests/unit/export-parity.py.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { join } from 'node:path';
import { openNodeDataset } from '../../src/cli/node-datasets';
import { datasetOf, modelValues, type RunConfig } from '../../src/core/config';
import type { ImageDataset, ReadOptions } from '../../src/core/datasets/image-dataset';
import { findModel } from '../../src/core/models';
import { createRandom, type Random } from '../../src/core/random';
import { encodeCheckpoint } from '../../src/core/training/checkpoint-codec';
import { disposeState } from '../../src/core/training/model-state';
import type { NamedArray } from '../../src/export/npy';
import { answers, arrayOf, npz, serving, stepTerms, writeProject } from './export-helpers';

/** The batch as the model's step reads it: bytes (int32), or binary values. */
function readOptions(config: RunConfig): ReadOptions {
  if (config.values.data === 'threshold') return { encoding: 'binary-threshold' };
  if (config.values.data === 'sampled') return { encoding: 'binary-sampled', seed: 5 };
  return { encoding: 'bytes' };
}

/** A random source that keeps every number it gives. */
export function recording(seed: number): { random: Random; numbers: number[] } {
  const source = createRandom(seed);
  const numbers: number[] = [];
  return { random: { ...source, next: () => numbers[numbers.push(source.next()) - 1] }, numbers };
}

/**
 * One TF.js step (batch `batch`) from a state a step in, then `samples` images drawn with
 * recorded uniforms ([H, W, C, n]); written to root/name as a project and inputs.npz.
 */
export async function pixelCase(root: string, name: string, config: RunConfig, samples: number, batch: number): Promise<string> {
  const data = (await openNodeDataset(config.dataset, config.values)) as ImageDataset;
  const factory = await findModel(config.model)!.load();
  const model = factory.create(modelValues(config), { data: datasetOf(config), random: createRandom(3) });
  const [first, second] = [0, 1].map((k) => data.take('train', Array.from({ length: batch }, (_, i) => 40 * k + 3 * i), readOptions(config)));
  stepTerms(model, serving('image', first), batch);
  const saved = await model.state!.save();
  const before = await encodeCheckpoint(1, saved);
  disposeState(saved);
  const terms = stepTerms(model, serving('image', second), batch);
  const savedAfter = await model.state!.save();
  const after = await encodeCheckpoint(2, savedAfter);
  disposeState(savedAfter);
  const inputs: Record<string, NamedArray> = { x: await arrayOf(second), ...answers(config, terms, after) };
  // the sampler's uniforms: one per image per value, pixel by pixel, channel by channel -> [H, W, C, n]
  const { random, numbers } = recording(11);
  const drawn = await model.sample!(samples, { random, data });
  inputs.samples = await arrayOf(drawn);
  inputs.uniforms = { shape: [...datasetOf(config).shape, samples], values: Float32Array.from(numbers) };
  inputs.temperature = { shape: [1], values: Float32Array.of(Number(config.values.temperature)) };
  tf.dispose([first, second, drawn]);
  model.dispose();
  const project = join(root, name);
  await writeProject(project, config, before, async () => new Uint8Array(), { 'inputs.npz': npz(inputs) });
  return project;
}

/**
 * What the parity harness must find for an autoregressive case: nats and bits/dim within 1e-5
 * (relative), gradients and Adam's moments within 1e-4 of each tensor's largest value, the
 * weights after the step within 3e-4 learning rates, two Adam steps, every sampled value the same.
 */
export function expectPixelParity(result: Record<string, unknown>): void {
  expect(result.terms).toBeLessThan(1e-5);
  expect(result.grad).toBeLessThan(1e-4);
  expect(result.m).toBeLessThan(1e-4);
  expect(result.v).toBeLessThan(1e-4);
  expect(result.weights).toBeLessThan(3e-4);
  expect(result.adam_steps).toEqual([2]);
  expect(result.samples_differing).toBe(0);
}
