/**
 * ReLU's gradient as one WASM kernel of ours (src/core/wasm-heap-activations.ts), in place
 * of tfjs-core's mul(dy, cast(step(x))): the same bits, the same gradient through tf.relu on
 * every backend, one kernel on WASM.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { traceKernels } from '../../src/core/kernel-trace';
import { RELU_GRADIENT, reluGradient } from '../../src/core/wasm-heap-activations';
import { seededValues, tensorBits } from './wasm-simd-helpers';
import { onNodeBackend } from './helpers';

/** Compared as bit patterns (NaN == NaN, and -0 is not 0). */

/** Values either side of 0, exact zeros of both signs, and (past 8) infinities and NaN. */
function values(n: number, seed: number): Float32Array {
  const xs = Float32Array.from(seededValues(n, seed), (v, i) => (i % 7 === 0 ? 0 : i % 11 === 0 ? -0 : v));
  if (n > 8) xs.set([Infinity, -Infinity, NaN, 1e-40], 3);
  return xs;
}

/** dL/dx of relu at x for dL/dy = dy: dy where x > 0, NaN where x is NaN, else dy * 0 (-0 for a negative dy). */
const expected = (x: number, dy: number) => (x > 0 ? dy : Number.isNaN(x) ? NaN : dy * 0);

describe('ReLU\'s gradient as one WASM kernel', () => {
  onNodeBackend('wasm');

  it('gives the bits of tfjs-core\'s gradient (dy times step(x)), at every length, with zeros, infinities and NaN in dy and x', async () => {
    for (const n of [1, 3, 4, 5, 8, 13, 64, 1001]) {
      const [x, dy] = [tf.tensor1d(values(n, n)), tf.tensor1d(values(n, n + 1).reverse())];
      const [ours, theirs] = [reluGradient(dy, x), tf.mul(dy, tf.cast(tf.step(x), 'float32'))];
      expect(await tensorBits(ours), `length ${n}`).toEqual(await tensorBits(theirs));
      tf.dispose([x, dy, ours, theirs]);
    }
  });

  it('is what tf.relu\'s gradient runs: one kernel, no step or product', async () => {
    const x = tf.tensor(values(2 * 8 * 8, 9), [2, 8, 8, 1]);
    const dy = tf.tensor(values(2 * 8 * 8, 10), [2, 8, 8, 1]);
    let gradient: tf.Tensor | undefined;
    const trace = await traceKernels(async () => {
      gradient = tf.grad((input: tf.Tensor) => tf.relu(input).mul(dy).sum())(x);
      await gradient.data();
    });
    const calls = (name: string) => trace.kernels.find((kernel) => kernel.name === name)?.calls ?? 0;
    expect([calls(RELU_GRADIENT), calls('Step')]).toEqual([1, 0]);
    // dL/dx = dy where x > 0, else 0
    const [g, xs, ds] = [await gradient!.data(), await x.data(), await dy.data()];
    g.forEach((value, i) => expect(value).toBe(expected(xs[i], ds[i])));
    tf.dispose([x, dy, gradient!]);
  });
});

describe.each(['wasm', 'cpu'] as const)('tf.relu\'s gradient (%s)', (backend) => {
  onNodeBackend(backend);

  it('passes dy where x > 0 and nothing elsewhere, leaving no tensor behind', async () => {
    const x = tf.tensor(values(100, 3), [10, 10]);
    const dy = tf.tensor(seededValues(100, 4), [10, 10]);
    const before = tf.memory().numTensors;
    const gradient = tf.grad((input: tf.Tensor) => tf.relu(input).mul(dy).sum())(x);
    expect(tf.memory().numTensors).toBe(before + 1);
    const [g, xs, ds] = [await gradient.data(), await x.data(), await dy.data()];
    g.forEach((value, i) => expect(value, `x = ${xs[i]}`).toBe(expected(xs[i], ds[i])));
    tf.dispose([x, dy, gradient]);
  });
});
