import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { registerMeanGradient } from '../../src/core/kernel-fixes';
import { seededValues } from './wasm-simd-helpers';

/**
 * Our gradient of tf.mean (src/core/kernel-fixes.ts, registerMeanGradient): dy / n broadcast
 * to x's shape, against TF.js 4.22's formula, dy * ones(x.shape) / n, written out here: the
 * same float32 numbers, bit for bit, on the CPU and WASM backends, over every kind of axes.
 */
describe('the gradient of a mean', () => {
  const cases: [number[], number | number[] | undefined, boolean][] = [
    [[4, 3, 5, 6], [0, 1, 2], false], // a bias-like mean over [B, H, W]
    [[4, 3, 5, 6], [0, 1, 2], true], // batch normalisation's moments keep their dims
    [[7, 9], 1, false],
    [[7, 9], -1, true],
    [[2, 3, 4], undefined, false], // every axis: a scalar
    [[5, 6], [0], false],
    [[3, 1, 4], [1], false], // an axis of size 1
  ];

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`agrees with TF.js's own formula bit for bit on ${backend}, for every kind of axes; the gradient itself has a gradient`, async () => {
      await useNodeBackend(backend);
      registerMeanGradient();
      // ours is the one registered (TF.js's gives the same numbers, so agreement alone would not tell)
      expect((tf.getGradient('Mean') as { ours?: boolean }).ours).toBe(true);
      for (const [shape, axis, keepDims] of cases) {
        const x = tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), 3), shape);
        const meanShape = tf.mean(x, axis, keepDims).shape;
        const weights = tf.tensor(seededValues(Math.max(1, meanShape.reduce((a, b) => a * b, 1)), 4), meanShape);
        const ours = tf.grad((input: tf.Tensor) => tf.mean(input, axis, keepDims).mul(weights).sum())(x);
        // TF.js 4.22's: the upstream gradient (the weights) with x's reduced axes as 1, times ones, over n
        const axes = tf.util.parseAxisParam(axis ?? null as never, shape);
        const count = axes.reduce((n, a) => n * shape[a], 1);
        const reference = tf.tidy(() => tf.div(tf.mul(weights.reshape(shape.map((size, a) => (axes.includes(a) ? 1 : size))), tf.ones(shape)), count));
        expect(Array.from(await ours.data()), `${shape} axis ${axis} keepDims ${keepDims}`).toEqual(Array.from(await reference.data()));
        tf.dispose([x, weights, ours, reference]);
      }
      // second order: d/dx sum((d/dx mean(x^2 / 2))^2) = 2 x / n^2, through the gradient's own ops
      const x = tf.tensor1d([1, -2, 3, 0.5]);
      const second = tf.grad((input: tf.Tensor) => tf.grad((y: tf.Tensor) => tf.mean(y.square().div(2)))(input).square().sum())(x);
      Array.from(await second.data()).forEach((value, i) => expect(value).toBeCloseTo((2 * [1, -2, 3, 0.5][i]) / 16, 6));
      tf.dispose([x, second]);
    });
  }
});
