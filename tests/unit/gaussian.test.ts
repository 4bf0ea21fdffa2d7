import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/core/random';
import { cholesky, fitGaussian, sampleGaussian, type GaussianFit } from '../../src/core/training/gaussian';

/** Row-major [d, d] product L L^T. */
function timesTranspose(lower: ArrayLike<number>, d: number): number[] {
  const out = new Array<number>(d * d).fill(0);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) out[i * d + j] += lower[i * d + k] * lower[j * d + k];
  return out;
}

/** Sample mean and (1/n) covariance of [n, 2] points: the reference these tests compare with. */
function moments(points: ArrayLike<number>, n: number) {
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += points[2 * i] / n;
    my += points[2 * i + 1] / n;
  }
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = points[2 * i] - mx;
    const dy = points[2 * i + 1] - my;
    sxx += (dx * dx) / n;
    sxy += (dx * dy) / n;
    syy += (dy * dy) / n;
  }
  return { mean: [mx, my], cov: [sxx, sxy, sxy, syy] };
}

function expectAllClose(actual: ArrayLike<number>, expected: readonly number[], tolerance: number) {
  expect(actual.length).toBe(expected.length);
  expected.forEach((value, i) => expect(Math.abs(actual[i] - value), `entry ${i}: ${actual[i]} vs ${value}`).toBeLessThan(tolerance));
}

const MEAN = [1, -2];
const COV = [2, 0.6, 0.6, 0.5];
// Cholesky factor of COV by hand: sqrt(2), 0.6 / sqrt(2), sqrt(0.5 - 0.36 / 2)
const L = [Math.SQRT2, 0, 0.6 / Math.SQRT2, Math.sqrt(0.32)];

describe('cholesky', () => {
  it('factors a known 3x3 SPD matrix into the hand-computed L', () => {
    const matrix = [4, 12, -16, 12, 37, -43, -16, -43, 98];
    const lower = cholesky(matrix, 3);
    // (the 1e-9 relative ridge that keeps degenerate codes factorable moves L by ~1e-6 here)
    expectAllClose(lower, [2, 0, 0, 6, 1, 0, -8, 5, 3], 1e-5);
    expectAllClose(timesTranspose(lower, 3), matrix, 1e-6);
  });

  it('factors the 2x2 covariance used below', () => {
    expectAllClose(cholesky(COV, 2), L, 1e-7);
  });

  it('stays finite on degenerate matrices (a dead dimension, all zeros)', () => {
    const dead = cholesky([1, 0, 0, 0], 2);
    expect(Array.from(dead).every(Number.isFinite)).toBe(true);
    expectAllClose(dead, [1, 0, 0, 0], 1e-4);
    const zero = cholesky([0, 0, 0, 0], 2);
    expect(Array.from(zero).every(Number.isFinite)).toBe(true);
    expectAllClose(zero, [0, 0, 0, 0], 1e-6);
    // rank one: [[1, 1], [1, 1]] = v v^T with v = [1, 1]
    const rankOne = cholesky([1, 1, 1, 1], 2);
    expect(Array.from(rankOne).every(Number.isFinite)).toBe(true);
    expectAllClose(timesTranspose(rankOne, 2), [1, 1, 1, 1], 1e-4);
  });
});

describe('fitGaussian', () => {
  it('gives the exact mean and unbiased (n - 1) covariance of four points', () => {
    // the corners of a square centred on (1, 1): variance 4 / 3 on each axis, no correlation
    const fit = fitGaussian([0, 0, 2, 0, 0, 2, 2, 2], 4, 2);
    expect(fit.dimension).toBe(2);
    expectAllClose(fit.mean, [1, 1], 1e-12);
    expectAllClose(timesTranspose(fit.choleskyLower, 2), [4 / 3, 0, 0, 4 / 3], 1e-8);
    expect(fit.choleskyLower[1]).toBe(0); // upper triangle stays zero
  });

  it('recovers the mean and covariance of 20,000 draws from a known 2-D Gaussian', () => {
    const random = createRandom(2024);
    const n = 20000;
    const points = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const e1 = random.normal();
      const e2 = random.normal();
      points[2 * i] = MEAN[0] + L[0] * e1;
      points[2 * i + 1] = MEAN[1] + L[2] * e1 + L[3] * e2;
    }
    const fit = fitGaussian(points, n, 2);
    expectAllClose(fit.mean, MEAN, 0.04);
    expectAllClose(timesTranspose(fit.choleskyLower, 2), COV, 0.06);
    expectAllClose(fit.choleskyLower, L, 0.04);
  });
});

describe('sampleGaussian', () => {
  const fit: GaussianFit = { mean: Float64Array.from(MEAN), choleskyLower: Float64Array.from(L), dimension: 2 };

  it('draws points with the fitted mean and covariance', () => {
    const n = 20000;
    const samples = sampleGaussian(fit, n, createRandom(7));
    expect(samples).toBeInstanceOf(Float32Array);
    expect(samples.length).toBe(2 * n);
    const { mean, cov } = moments(samples, n);
    expectAllClose(mean, MEAN, 0.04);
    expectAllClose(cov, COV, 0.06);
  });

  it('is reproducible for a seed, and a fit to its draws gives the Gaussian back', () => {
    const a = sampleGaussian(fit, 5000, createRandom(11));
    expect(sampleGaussian(fit, 5000, createRandom(11))).toEqual(a);
    expect(sampleGaussian(fit, 5000, createRandom(12))).not.toEqual(a);
    const refit = fitGaussian(a, 5000, 2);
    expectAllClose(refit.mean, MEAN, 0.08);
    expectAllClose(timesTranspose(refit.choleskyLower, 2), COV, 0.12);
  });

  it('with a zero factor returns the mean every time', () => {
    const point: GaussianFit = { mean: Float64Array.from([3, -1, 0.5]), choleskyLower: new Float64Array(9), dimension: 3 };
    const samples = sampleGaussian(point, 4, createRandom(1));
    expect(Array.from(samples)).toEqual([3, -1, 0.5, 3, -1, 0.5, 3, -1, 0.5, 3, -1, 0.5]);
  });
});

describe('createRandom', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const draw = (seed: number) => {
      const random = createRandom(seed);
      return [random.next(), random.next(), random.int(1000), random.normal(), random.seed()];
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(0)).toEqual(draw(2 ** 32)); // the seed is read as a 32-bit unsigned integer
  });

  it('next() is uniform in [0, 1)', () => {
    const random = createRandom(3);
    const bins = new Array<number>(10).fill(0);
    const n = 100_000;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = random.next();
      min = Math.min(min, u);
      max = Math.max(max, u);
      bins[Math.floor(u * 10)] += 1;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    for (const count of bins) expect(Math.abs(count / n - 0.1)).toBeLessThan(0.005);
  });

  it('int(n) covers 0..n-1 evenly; seed() gives 31-bit integers', () => {
    const random = createRandom(4);
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[random.int(6)] += 1;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(400);
    for (let i = 0; i < 1000; i++) {
      const seed = random.seed();
      expect(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 31).toBe(true);
    }
  });

  it('normal() has mean 0, variance 1 and Gaussian tails', () => {
    const random = createRandom(5);
    const n = 100_000;
    let sum = 0;
    let sumSquares = 0;
    let beyondTwo = 0;
    for (let i = 0; i < n; i++) {
      const z = random.normal();
      sum += z;
      sumSquares += z * z;
      if (Math.abs(z) > 2) beyondTwo += 1;
    }
    const mean = sum / n;
    expect(Number.isFinite(sumSquares)).toBe(true);
    expect(Math.abs(mean)).toBeLessThan(0.015);
    expect(Math.abs(sumSquares / n - mean * mean - 1)).toBeLessThan(0.02);
    // P(|Z| > 2) = 0.0455 for a standard normal
    expect(Math.abs(beyondTwo / n - 0.0455)).toBeLessThan(0.004);
  });
});
