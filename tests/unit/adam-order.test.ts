import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { MOMENTS_IN_VARIABLE_ORDER } from '../../src/core/training/checkpoint';
import type { ModelState } from '../../src/core/training/model-state';
import { AdamOptimizer } from '../../src/core/training/optimizer';

/**
 * A network that lists its variables in another order than it made them (PixelCNN++'s
 * blocks do): TF.js's Adam keeps its moments in creation order (its variables' names are
 * whole numbers, which JavaScript orders first), the checkpoint keeps them in the list's.
 */
function network(seed: number) {
  // made a, b, c; listed c, a, b
  const a = tf.variable(tf.randomNormal([2, 3], 0, 1, 'float32', seed));
  const b = tf.variable(tf.randomNormal([4], 0, 1, 'float32', seed + 1));
  const c = tf.variable(tf.randomNormal([5, 1], 0, 1, 'float32', seed + 2));
  const variables = [c, a, b];
  const loss = () => tf.tidy(() => a.square().sum().add(b.sin().sum()).add(c.mul(2).exp().mean()) as tf.Scalar);
  return { variables, loss };
}

const values = async (variables: tf.Variable[]) => (await Promise.all(variables.map(async (v) => Array.from(await v.data())))).flat();

/**
 * The same update up to float rounding: TF.js's Adam recomputes beta^t on loading where the
 * running one multiplied it step by step (a few 1e-7); a moment at the wrong variable moves
 * a weight by a good part of the learning rate.
 */
async function expectSameWeights(resumed: tf.Variable[], original: tf.Variable[]) {
  const [ours, theirs] = [await values(resumed), await values(original)];
  expect(ours.length).toBe(theirs.length);
  expect(Math.max(...ours.map((value, i) => Math.abs(value - theirs[i])))).toBeLessThan(1e-5);
}

describe('Adam state in the variables\' order', () => {
  beforeAll(async () => {
    await useNodeBackend('cpu');
  });

  /** Three steps as a model training in parts takes them: gradients computed, then applied. */
  const inParts = (optimizer: AdamOptimizer, net: ReturnType<typeof network>) => {
    const { value, grads } = tf.variableGrads(net.loss, net.variables);
    optimizer.applyGradients(grads);
    tf.dispose([value, ...Object.values(grads)]);
  };

  it('applied gradients keep the moments in the variables\' order, as minimize does; a loaded state takes the very next update the original takes', async () => {
    const original = network(1);
    const optimizer = new AdamOptimizer(original.variables, { lr: 0.1 });
    for (let i = 0; i < 3; i++) inParts(optimizer, original);
    const state = await optimizer.save();
    expect(state.numbers[MOMENTS_IN_VARIABLE_ORDER]).toBe(1);
    // adam/1 + i is variable i's first moment, adam/1 + n + i its second (c, a, b: all of different shapes)
    original.variables.forEach((variable, i) => {
      expect(state.tensors[`adam/${1 + i}`].shape).toEqual(variable.shape);
      expect(state.tensors[`adam/${1 + 3 + i}`].shape).toEqual(variable.shape);
    });
    const resumed = network(7);
    const loaded = new AdamOptimizer(resumed.variables, { lr: 0.1 });
    await loaded.load(state);
    inParts(optimizer, original);
    optimizer.minimize(original.loss).dispose();
    inParts(loaded, resumed);
    loaded.minimize(resumed.loss).dispose();
    await expectSameWeights(resumed.variables, original.variables);
    tf.dispose([...Object.values(state.tensors), ...original.variables, ...resumed.variables]);
    optimizer.dispose();
    loaded.dispose();
  });

  it('reads a state saved before the note in the order of a gradient map\'s keys (creation order), told by the shapes', async () => {
    const original = network(2);
    const optimizer = new AdamOptimizer(original.variables, { lr: 0.1 });
    for (let i = 0; i < 2; i++) inParts(optimizer, original);
    const state = await optimizer.save();
    // the old layout of a model trained in parts: moments in creation order (a, b, c = list positions 1, 2, 0), no note
    const creation = [1, 2, 0];
    const old: ModelState = { tensors: { ...state.tensors }, numbers: {} };
    creation.forEach((variable, k) => {
      old.tensors[`adam/${1 + k}`] = state.tensors[`adam/${1 + variable}`];
      old.tensors[`adam/${4 + k}`] = state.tensors[`adam/${4 + variable}`];
    });
    const resumed = network(9);
    const loaded = new AdamOptimizer(resumed.variables, { lr: 0.1 });
    await loaded.load(old);
    inParts(optimizer, original);
    inParts(loaded, resumed);
    await expectSameWeights(resumed.variables, original.variables);
    tf.dispose([...Object.values(state.tensors), ...original.variables, ...resumed.variables]);
    optimizer.dispose();
    loaded.dispose();
  });

  it('refuses moments that do not fit their variables', async () => {
    const original = network(3);
    const optimizer = new AdamOptimizer(original.variables, { lr: 0.1 });
    optimizer.minimize(original.loss).dispose();
    const state = await optimizer.save();
    const swapped: ModelState = { tensors: { ...state.tensors, 'adam/1': state.tensors['adam/2'], 'adam/2': state.tensors['adam/1'] }, numbers: state.numbers };
    const other = network(4);
    const loaded = new AdamOptimizer(other.variables, { lr: 0.1 });
    await expect(loaded.load(swapped)).rejects.toThrow(/moments of variable 0/);
    tf.dispose([...Object.values(state.tensors), ...original.variables, ...other.variables]);
    optimizer.dispose();
    loaded.dispose();
  });
});
