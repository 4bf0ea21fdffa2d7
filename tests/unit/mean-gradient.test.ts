import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { registerMeanGradient } from '../../src/core/kernel-fixes';
import { seededValues } from './wasm-simd-helpers';

/**
 * Our gradient of tf.mean (src/core/kernel-fixes.ts, registerMeanGradient): (dy / n) times
 * the backend's ones, against TF.js 4.22's formula, dy * ones(x.shape) / n, written out here:
 * the same float32 numbers, bit for bit, on the CPU and WASM backends, over every kind of axes,
 * and a second-order gradient through it (a gradient penalty's).
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
      // second order, through the gradient's own ops (a gradient penalty on a batch mean): z = mean_b x[b, f],
      // g = d/dx sum_f z_f^2 = 2 z_f / n at every b, P = sum g^2 = (4 / n) sum_f z_f^2, dP/dx[b, f] = 8 z_f / n^2
      const values = [[1, -2, 3], [0.5, 4, -1], [2, 2, 0], [-3, 1, 5], [1.5, -0.5, 2]];
      const x = tf.tensor2d(values);
      const profile = await tf.profile(() => tf.grad((input: tf.Tensor) => tf.grad((y: tf.Tensor) => tf.mean(y, 0).square().sum())(input).square().sum())(x));
      const second = profile.result as tf.Tensor;
      const n = values.length;
      const z = [0, 1, 2].map((f) => values.reduce((sum, row) => sum + row[f], 0) / n);
      Array.from(await second.data()).forEach((value, i) => expect(value).toBeCloseTo((8 * z[i % 3]) / n ** 2, 5));
      // no broadcast by Tile, whose gradient is a slice and a sum per repetition
      expect(profile.kernels.map((kernel) => kernel.name)).not.toContain('Tile');
      tf.dispose([x, second]);
    });
  }
});
