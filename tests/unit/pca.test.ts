import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/core/random';
import { principalComponents, project } from '../../src/core/training/pca';

describe('principal components', () => {
  it('recovers the axes and variances of a known 3-D Gaussian', () => {
    // Independent axes with standard deviations 3, 1 and 0.2, rotated 30 degrees in the x-y plane.
    const random = createRandom(11);
    const n = 20000;
    const angle = Math.PI / 6;
    const points = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) {
      const [a, b, c] = [3 * random.normal(), random.normal(), 0.2 * random.normal()];
      points.set([5 + a * Math.cos(angle) - b * Math.sin(angle), -1 + a * Math.sin(angle) + b * Math.cos(angle), c], i * 3);
    }
    const pca = principalComponents(points, n, 3);
    expect(pca.variances[0]).toBeCloseTo(9, 0);
    expect(pca.variances[1]).toBeCloseTo(1, 1);
    // The first component is +-(cos 30, sin 30, 0), the second +-(-sin 30, cos 30, 0).
    const first = Array.from(pca.components.slice(0, 3));
    const second = Array.from(pca.components.slice(3, 6));
    expect(Math.abs(first[0] * Math.cos(angle) + first[1] * Math.sin(angle))).toBeCloseTo(1, 2);
    expect(Math.abs(-second[0] * Math.sin(angle) + second[1] * Math.cos(angle))).toBeCloseTo(1, 2);
    expect(Math.abs(first[0] * second[0] + first[1] * second[1] + first[2] * second[2])).toBeLessThan(1e-6);
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
});
