/**
 * The checks the autoregressive models' tests (PixelCNN, gated PixelCNN, PixelRNN,
 * PixelCNN++) run alike: tiny networks with visible weights, causality by gradients, the
 * samplers against the naive one, a falling loss on a fixed batch, and runs of the model
 * that leak no tensor. Built on ./autoregressive-helpers.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { defaultConfig, type RunConfig } from '../../src/core/config';
import type { PixelSamplingNetwork } from '../../src/core/models/autoregressive/pixel-sampler';
import type { TrainingSession } from '../../src/core/training/session';
import { drawnByEachMethod, valueGradient } from './autoregressive-helpers';
import { fixedBatchOf, heldOut, onNodeBackend, sessionFor, stepOn, train } from './helpers';

/** An image's [height, width, channels]. */
export type Shape = [number, number, number];

/** The file's tests on WASM (fast on convolutions, with our kernel for their filter gradients), the CPU backend after. */
export function onWasmBackend(): void {
  onNodeBackend('wasm');
}

/** A tiny run of `model` on the WASM backend: its defaults, then `values`. */
export function tinyConfig(model: string, values: Record<string, number | string>, dataset = 'mnist'): RunConfig {
  const config = defaultConfig(model, dataset);
  config.backend = 'wasm';
  Object.assign(config.values, values);
  return config;
}

/**
 * Weights large enough that outputs depend visibly on inputs (normal, standard deviation
 * `scale`, seed 100 + i); biases 0, so with inputs of either sign each unit is on for about
 * half the images and no path is dead for all of them.
 */
export function randomize(variables: tf.Variable[], scale = 1): void {
  tf.tidy(() => variables.forEach((variable, i) => variable.assign(variable.rank === 1 ? tf.zeros(variable.shape) : tf.randomNormal(variable.shape, 0, scale, 'float32', 100 + i))));
}

/** One predicted value: where it is, its flat index, and the value the model must see before it. */
export interface ValueAt {
  row: number;
  column: number;
  channel: number;
  /** Its index in raster-and-channel order. */
  i: number;
  /** The value just before it in the pixel or the row; at the start of a row, the pixel above (the row's end may lie beyond the reach); -1 for the first. */
  before: number;
  /** The flat index of (row, column, channel). */
  order(row: number, column: number, channel: number): number;
}

/**
 * For every predicted value of `images` random inputs (normal, or uniform on [0, 1)): the
 * gradient of a random projection of its `categories` scores against every input, which
 * must be zero at and after the value itself; then `check` asserts what the model must see.
 * Leaks no tensor.
 */
export async function checkCausality(
  net: { logits(x: tf.Tensor4D): tf.Tensor5D },
  shape: Shape,
  options: { images: number; categories: number; inputs?: 'normal' | 'uniform' },
  check: (values: Float32Array, at: ValueAt) => void,
): Promise<void> {
  const [height, width, channels] = shape;
  const x = (options.inputs === 'uniform' ? tf.randomUniform([options.images, ...shape], 0, 1, 'float32', 9) : tf.randomNormal([options.images, ...shape], 0, 1, 'float32', 9)) as tf.Tensor4D;
  // a random projection of the K scores, so no output is a constant of the inputs by accident
  const projection = tf.randomNormal([options.categories], 0, 1, 'float32', 4);
  const order = (row: number, column: number, channel: number) => (row * width + column) * channels + channel;
  let checked = 0;
  for (let row = 0; row < height; row++) {
    for (let column = 0; column < width; column++) {
      for (let channel = 0; channel < channels; channel++) {
        const values = await valueGradient(net, x, projection, row, column, channel);
        const i = order(row, column, channel);
        // [H, W, C] row-major is raster-and-channel order: flat index j is value j
        values.forEach((value, j) => {
          if (j >= i) expect(value, `d out(${row},${column},${channel}) / d in #${j}`).toBe(0);
        });
        const before = channel > 0 || column > 0 ? i - 1 : row > 0 ? order(row - 1, 0, 0) : -1;
        check(values, { row, column, channel, i, before, order });
        checked += 1;
      }
    }
  }
  expect(checked).toBe(height * width * channels);
  tf.dispose([x, projection]);
}

/** The check of most networks: each value sees the value before it. */
export function seesValueBefore(values: Float32Array, { row, column, channel, before }: ValueAt): void {
  if (before >= 0) expect(values[before], `out(${row},${column},${channel}) sees value #${before}`).toBeGreaterThan(0);
}

/**
 * Images drawn by each pass method from the same random numbers: one per entry of `start`,
 * those from 0 fresh samples and the others completions kept up to that pixel, on canvases
 * that start as `fill` gives. The cropped and the cached pass draw exactly what the naive
 * one draws; the values are valid and more than `distinct` of them differ among the fresh
 * samples (the test would pass on a constant); a completion keeps what came before its start.
 */
export async function expectSamplersAgree(net: PixelSamplingNetwork, start: number[], fill = (i: number) => (i % 5) * 0.25, distinct = 1): Promise<void> {
  const size = net.shape[0] * net.shape[1] * net.shape[2];
  const scale = net.categories === 256 ? 1 / 255 : 1;
  const drawn = await drawnByEachMethod(net, start.length, { scale, start, fill });
  expect(Array.from(drawn.cropped)).toEqual(Array.from(drawn.naive));
  expect(Array.from(drawn.cached)).toEqual(Array.from(drawn.naive));
  const values = Array.from(drawn.naive, (value) => Math.round(value / scale));
  for (const value of values) expect(value >= 0 && value <= (net.categories === 256 ? 255 : 1) && Number.isInteger(value)).toBe(true);
  const fresh = start.filter((pixel) => pixel === 0).length;
  expect(new Set(values.slice(0, fresh * size)).size).toBeGreaterThan(distinct);
  start.forEach((pixel, image) => {
    // the canvas holds float32: what it keeps is fill's value rounded to float32
    for (let j = 0; j < pixel * net.shape[2]; j++) expect(drawn.naive[image * size + j], `image ${image}, value ${j}`).toBe(Math.fround(fill(image * size + j)));
  });
}

/** Samples of `shape`, each value in [0, 1] and a whole number of 1 / levels (to 1e-3 of a step); disposes them. */
export async function expectValidSamples(samples: tf.Tensor, shape: number[], levels: number): Promise<void> {
  expect(samples.shape).toEqual(shape);
  const values = Array.from(await samples.data());
  samples.dispose();
  for (const value of values) expect(Number.isInteger(Math.round(value * levels * 1e3) / 1e3) && value >= 0 && value <= 1).toBe(true);
}

/**
 * 20 steps on a fixed batch of 4 MNIST images: bits/dim = nats / (784 ln 2) at every step and
 * held out; from a uniform guess's 8 bits (8-bit data: above 7.5) or 1 bit (binarized: above
 * 0.5) at the start to below `fall` times that at the end.
 */
export async function expectFallingLoss(config: RunConfig, fall: number): Promise<void> {
  const data = String(config.values.data);
  const session = await sessionFor(config);
  const fixed = fixedBatchOf(session.data, 4);
  const losses: number[] = [];
  for (let step = 0; step < 20; step++) {
    const terms = await stepOn(session, fixed);
    expect(terms.bits_per_dim).toBeCloseTo(terms.nats / (784 * Math.LN2), 4);
    losses.push(terms.bits_per_dim);
  }
  expect(losses[0], data).toBeGreaterThan(data === 'bytes' ? 7.5 : 0.5);
  expect(losses[19], data).toBeLessThan(losses[0] * fall);
  const figures = await heldOut(session);
  expect(figures.bits_per_dim).toBeCloseTo(figures.nats / (784 * Math.LN2), 4);
  session.dispose();
}

/**
 * A session of `config` whose tensors are counted: `use` runs after the first step (which
 * creates Adam's moments) and must leave as many tensors as it found; disposing the session
 * must leave as many as there were before it.
 */
export async function withoutLeaks(config: RunConfig, use: (session: TrainingSession) => Promise<void>, label = ''): Promise<void> {
  const before = tf.memory().numTensors;
  const session = await sessionFor(config);
  await train(session, 1);
  const settled = tf.memory().numTensors;
  await use(session);
  expect(tf.memory().numTensors, label).toBe(settled);
  session.dispose();
  expect(tf.memory().numTensors, label).toBe(before);
}
