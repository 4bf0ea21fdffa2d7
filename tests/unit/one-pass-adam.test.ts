import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { onePassAdam } from '../../src/core/training/one-pass-adam';
import { ADAM_UPDATE } from '../../src/core/wasm-heap-adam';
import { runsOnWasmHeap } from '../../src/core/wasm-heap-views';
import { seededValues, float32Bits } from './wasm-simd-helpers';

/**
 * Adam with each variable's update as one kernel of ours on WASM
 * (src/core/training/one-pass-adam.ts) against TF.js's own Adam on the same backend: the same
 * weights and moments, bit for bit, over several steps, with settings changed between them.
 */

/** Bits of float32 values (NaN as one pattern). */
const bits = (data: tf.TypedArray) => float32Bits(data as ArrayLike<number>, true);

// a scalar, the SIMD tail lengths, a vector's, and a filter's shape
const SHAPES = [[1], [3], [4], [5], [17], [2, 3, 4, 5]];

/** Gradients of step `step`: seeded, with zeros, a huge value (its square overflows) and a subnormal among them. */
function gradients(step: number): Float32Array[] {
  return SHAPES.map((shape, i) => {
    const values = Float32Array.from(seededValues(shape.reduce((a, b) => a * b, 1), 100 * step + i), (value) => value * 10 ** (i - 3));
    if (values.length > 4) [values[0], values[1], values[2]] = [0, 3e25, 1e-42];
    return values;
  });
}

/** Trains fresh variables for `steps` steps with `optimizer`, the variable at `skip` given no gradient in step 1; returns the weights and Adam's state as bits. */
async function train(makeOptimizer: () => tf.AdamOptimizer, steps: number, skip: number): Promise<number[][]> {
  const variables = SHAPES.map((shape, i) => tf.variable(tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), 7 + i), shape)));
  const optimizer = makeOptimizer();
  const fields = optimizer as unknown as { learningRate: number; beta1: number };
  for (let step = 0; step < steps; step++) {
    // the page changes these mid-run (src/core/training/optimizer.ts, setParams)
    if (step === 2) [fields.learningRate, fields.beta1] = [0.03, 0.5];
    // a missing gradient is a null tensor in its place: Adam keeps its moments by position in the list
    const list = gradients(step).map((values, i) => ({ name: variables[i].name, tensor: step === 1 && i === skip ? (null as unknown as tf.Tensor) : tf.tensor(values, SHAPES[i]) }));
    const before = tf.memory().numTensors;
    optimizer.applyGradients(list);
    // the moments are made at the first step: two per variable, and Adam's step count
    if (step > 0) expect(tf.memory().numTensors, 'tensors after a step').toBe(before);
    tf.dispose(list.map((entry) => entry.tensor).filter((tensor) => tensor !== null));
  }
  const state = await optimizer.getWeights();
  const result = [...(await Promise.all(variables.map((v) => v.data()))), ...(await Promise.all(state.map((entry) => entry.tensor.data())))].map(bits);
  optimizer.dispose();
  tf.dispose(variables);
  return result;
}

describe('Adam with one kernel per variable on WASM', () => {
  beforeAll(async () => {
    await useNodeBackend('wasm');
  });

  it('gives TF.js\'s Adam\'s weights, moments and step count bit for bit, settings changed mid-run and a variable without a gradient included', async () => {
    expect(runsOnWasmHeap(ADAM_UPDATE)).toBe(true);
    for (const [steps, skip] of [[1, 0], [4, 3]]) {
      const theirs = await train(() => tf.train.adam(0.01, 0.9, 0.999), steps, skip);
      const ours = await train(() => onePassAdam(0.01, 0.9, 0.999), steps, skip);
      expect(ours.length).toBe(theirs.length);
      ours.forEach((values, i) => expect(values, `tensor ${i} after ${steps} steps`).toEqual(theirs[i]));
    }
  });

  it('runs one kernel per variable where TF.js\'s Adam runs fourteen', async () => {
    const variables = SHAPES.map((shape) => tf.variable(tf.zeros(shape)));
    const list = variables.map((variable) => ({ name: variable.name, tensor: tf.onesLike(variable) }));
    const counts: number[] = [];
    for (const optimizer of [onePassAdam(), tf.train.adam()]) {
      // the first update makes the moments (zeros like each variable); count the second's kernels
      optimizer.applyGradients(list);
      const profile = await tf.profile(() => optimizer.applyGradients(list));
      counts.push(profile.kernels.filter((kernel) => kernel.name === ADAM_UPDATE).length, profile.kernels.length);
      optimizer.dispose();
    }
    // ours: one update per variable, and the two 1 - beta^t and two beta^t products; TF.js's: none of ours
    expect(counts).toEqual([SHAPES.length, SHAPES.length + 4, 0, 14 * SHAPES.length + 4]);
    tf.dispose([...variables, ...list.map((entry) => entry.tensor)]);
  });
});
