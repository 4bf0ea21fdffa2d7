import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { createRandom } from '../../src/core/random';
import { principalComponents, project } from '../../src/core/training/pca';

describe('principal components', () => {
  beforeAll(async () => {
    await useNodeBackend('cpu');
  });

  it('recovers the axes and variances of a known 3-D Gaussian', async () => {
    // Independent axes with standard deviations 3, 1 and 0.2, rotated 30 degrees in the x-y plane.
    const random = createRandom(11);
    const n = 20000;
    const angle = Math.PI / 6;
    const points = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      const [a, b, c] = [3 * random.normal(), random.normal(), 0.2 * random.normal()];
      points.set([5 + a * Math.cos(angle) - b * Math.sin(angle), -1 + a * Math.sin(angle) + b * Math.cos(angle), c], i * 3);
    }
    const tensor = tf.tensor2d(points, [n, 3]);
    const pca = await principalComponents(tensor);
    tensor.dispose();
    expect(pca.variances[0]).toBeCloseTo(9, 0);
    expect(pca.variances[1]).toBeCloseTo(1, 1);
    // The first component is +-(cos 30, sin 30, 0), the second +-(-sin 30, cos 30, 0).
    const first = Array.from(pca.components.slice(0, 3));
    const second = Array.from(pca.components.slice(3, 6));
    expect(Math.abs(first[0] * Math.cos(angle) + first[1] * Math.sin(angle))).toBeCloseTo(1, 2);
    expect(Math.abs(-second[0] * Math.sin(angle) + second[1] * Math.cos(angle))).toBeCloseTo(1, 2);
    expect(Math.abs(first[0] * second[0] + first[1] * second[1] + first[2] * second[2])).toBeLessThan(1e-5);
    expect(pca.mean[0]).toBeCloseTo(5, 1);

    // Projected coordinates have the component variances, and mean 0.
    const coordinates = project(pca, points, n);
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < n; i++) {
      sum += coordinates[2 * i];
      squares += coordinates[2 * i] ** 2;
    }
    expect(sum / n).toBeCloseTo(0, 2);
    expect(squares / n).toBeCloseTo(9, 0);
  });

  it('finds planted directions in 1000-D codes with fewer points than dimensions, without leaking tensors', async () => {
    // x = 4 a u + 2 b w + small isotropic noise, with u, w orthonormal directions spread over all 1000 axes.
    const random = createRandom(5);
    const [n, d] = [300, 1000];
    const u = Float32Array.from({ length: d }, (_, j) => Math.cos(j) / Math.sqrt(d / 2));
    const w = Float32Array.from({ length: d }, (_, j) => ((j % 2) * 2 - 1) / Math.sqrt(d));
    const points = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const [a, b] = [4 * random.normal(), 2 * random.normal()];
      for (let j = 0; j < d; j++) points[i * d + j] = a * u[j] + b * w[j] + 0.01 * random.normal();
    }
    const before = tf.memory().numTensors;
    const tensor = tf.tensor2d(points, [n, d]);
    const pca = await principalComponents(tensor, 3);
    tensor.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const dot = (x: ArrayLike<number>, y: ArrayLike<number>) => {
      let sum = 0;
      for (let j = 0; j < x.length; j++) sum += x[j] * y[j];
      return sum;
    };
    const norm = Math.sqrt(dot(u, u));
    expect(Math.abs(dot(pca.components.subarray(0, d), u)) / norm).toBeCloseTo(1, 3);
    expect(Math.abs(dot(pca.components.subarray(d, 2 * d), w))).toBeCloseTo(1, 3);
    expect(pca.variances[0] / pca.variances[1]).toBeGreaterThan(2);
    // The third component is noise only: variance ~ 0.01^2.
    expect(pca.variances[2]).toBeLessThan(1e-3);
  });
});
