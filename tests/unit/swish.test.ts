/**
 * Swish with its gradient written out (src/core/models/swish.ts), and on WASM that gradient as
 * one kernel of ours (src/core/wasm-heap-activations.ts): the same values as tfjs-layers' swish, a
 * gradient that is the calculus' one, the same bits from our kernel as from TF.js's ops.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { traceKernels } from '../../src/core/kernel-trace';
import { swish, swishGradient } from '../../src/core/models/swish';
import { hasSwishGradient, SWISH_GRADIENT } from '../../src/core/wasm-heap-activations';
import { seededValues } from './wasm-simd-helpers';
import { onNodeBackend } from './helpers';

/** tfjs-layers' own swish activation. */
const layersSwish = (x: tf.Tensor) => (tf.layers.activation({ activation: 'swish' }).apply(x) as tf.Tensor);

/** d/dx x sigmoid(x) in float64: sigmoid(x) (1 + x (1 - sigmoid(x))). */
const exactGradient = (x: number) => {
  const s = 1 / (1 + Math.exp(-x));
  return s * (1 + x * (1 - s));
};

/** Inputs across swish's shape: its minimum near -1.28, both tails, exact zeros and large values. */
const inputs = (n: number, seed: number) => Float32Array.from(seededValues(n, seed), (v, i) => (i % 17 === 0 ? 0 : i % 13 === 0 ? v * 40 : v * 6));

describe.each(['wasm', 'cpu'] as const)('Swish with its gradient written out (%s)', (backend) => {
  onNodeBackend(backend);

  it('computes the values of tfjs-layers\' swish to the bit, and the gradient of x sigmoid(x)', async () => {
    const x = tf.tensor(inputs(1000, 3), [10, 100]);
    const dy = tf.tensor(seededValues(1000, 4), [10, 100]);
    const [ours, theirs] = [swish(x), layersSwish(x)];
    expect(Array.from(await ours.data())).toEqual(Array.from(await theirs.data()));
    // dL/dx for L = sum(dy * swish(x)): dy times the derivative
    const gradient = tf.grad((input: tf.Tensor) => swish(input).mul(dy).sum())(x);
    const [g, xs, ds] = [await gradient.data(), await x.data(), await dy.data()];
    g.forEach((value, i) => expect(Math.abs(value - ds[i] * exactGradient(xs[i])), `x = ${xs[i]}`).toBeLessThan(1e-6 * (1 + Math.abs(xs[i]))));
    // and TF.js's gradient of tfjs-layers' composition, to float32 rounding
    const layersGradient = await tf.grad((input: tf.Tensor) => layersSwish(input).mul(dy).sum())(x).data();
    g.forEach((value, i) => expect(Math.abs(value - layersGradient[i])).toBeLessThan(1e-6 * (1 + Math.abs(xs[i]))));
    tf.dispose([x, dy, ours, theirs, gradient]);
  });

  it('leaves no tensor behind, forwards and backwards', () => {
    const x = tf.tensor(inputs(64, 5), [8, 8]);
    const before = tf.memory().numTensors;
    tf.tidy(() => void tf.grad((input: tf.Tensor) => swish(input).sum())(x));
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe('Swish\'s gradient as one WASM kernel', () => {
  onNodeBackend('wasm');

  it('gives the bits of TF.js\'s ops, at every length (vectors of 4 and the tail), with infinities and NaN', async () => {
    expect(hasSwishGradient()).toBe(true);
    for (const n of [1, 2, 3, 4, 5, 7, 8, 13, 64, 1001]) {
      const xs = inputs(n, n);
      if (n > 8) xs.set([Infinity, -Infinity, NaN, 1e30], 3);
      const x = tf.tensor1d(xs);
      const [s, y, dy] = [tf.sigmoid(x), swish(x), tf.tensor1d(seededValues(n, n + 1))];
      const [ours, theirs] = [swishGradient(dy, s, y), tf.mul(dy, tf.add(s, tf.mul(y, tf.sub(1, s))))];
      // compared as bit patterns (NaN == NaN)
      const bits = async (t: tf.Tensor) => Array.from(new Uint32Array((await t.data()).buffer));
      expect(await bits(ours), `length ${n}`).toEqual(await bits(theirs));
      tf.dispose([x, s, y, dy, ours, theirs]);
    }
  });

  it('is what the energy network\'s input gradient runs: one kernel per layer, no casts', async () => {
    const x = tf.tensor(inputs(2 * 8 * 8, 9), [2, 8, 8, 1]);
    const trace = await traceKernels(async () => {
      const gradient = tf.grad((input: tf.Tensor) => swish(input).sum())(x);
      await gradient.data();
      gradient.dispose();
    });
    const calls = (name: string) => trace.kernels.find((kernel) => kernel.name === name)?.calls ?? 0;
    expect([calls(SWISH_GRADIENT), calls('Cast'), calls('Sub')]).toEqual([1, 0, 0]);
    x.dispose();
  });
});
