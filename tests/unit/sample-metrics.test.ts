import { describe, expect, it } from 'vitest';
import { findDataset, type PointsDataSpec } from '../../src/core/datasets/catalog';
import { generatePoints } from '../../src/core/datasets/points';
import { classCoverage, COVERAGE_SHARE } from '../../src/core/metrics/class-coverage';
import { featureStats, frechetDistance, sqrtPsd, type FeatureStats } from '../../src/core/metrics/frechet';
import { MODE_SAMPLES, modeCoverage } from '../../src/core/metrics/modes';
import { precisionRecall } from '../../src/core/metrics/precision-recall';
import { createRandom, type Random } from '../../src/core/random';

const pointsSpec = (id: string) => findDataset(id) as PointsDataSpec;

/** A FeatureStats from an explicit mean and covariance (given as rows). */
function gaussian(mean: number[], covarianceRows: number[][]): FeatureStats {
  return { dim: mean.length, count: 1000, mean: Float64Array.from(mean), covariance: Float64Array.from(covarianceRows.flat()) };
}

/** left * right for [dim, dim] row-major matrices. */
function multiply(left: Float64Array, right: Float64Array, dim: number): Float64Array {
  const product = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < dim; j++) {
      for (let k = 0; k < dim; k++) product[i * dim + j] += left[i * dim + k] * right[k * dim + j];
    }
  }
  return product;
}

function transpose(matrix: Float64Array, dim: number): Float64Array {
  const result = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) result[j * dim + i] = matrix[i * dim + j];
  return result;
}

/** A random symmetric positive definite matrix: R R^T + 0.1 I. */
function randomSpd(dim: number, random: Random): Float64Array {
  const factor = Float64Array.from({ length: dim * dim }, () => random.normal());
  const spd = multiply(factor, transpose(factor, dim), dim);
  for (let i = 0; i < dim; i++) spd[i * dim + i] += 0.1;
  return spd;
}

/** A random orthogonal matrix: Gram-Schmidt on Gaussian columns. */
function randomRotation(dim: number, random: Random): Float64Array {
  const columns = Array.from({ length: dim }, () => Array.from({ length: dim }, () => random.normal()));
  for (let c = 0; c < dim; c++) {
    for (let p = 0; p < c; p++) {
      const dot = columns[c].reduce((sum, value, i) => sum + value * columns[p][i], 0);
      columns[c] = columns[c].map((value, i) => value - dot * columns[p][i]);
    }
    const norm = Math.hypot(...columns[c]);
    columns[c] = columns[c].map((value) => value / norm);
  }
  const rotation = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) for (let c = 0; c < dim; c++) rotation[i * dim + c] = columns[c][i];
  return rotation;
}

/** Q diag(values) Q^T */
function withEigenvalues(rotation: Float64Array, values: number[]): Float64Array {
  const dim = values.length;
  const scaled = rotation.map((value, index) => value * values[index % dim]);
  return multiply(scaled, transpose(rotation, dim), dim);
}

function maxAbsDifference(left: ArrayLike<number>, right: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < left.length; i++) max = Math.max(max, Math.abs(left[i] - right[i]));
  return max;
}

/** n rows of dim features drawn around the given cluster centres (each row picks a cluster at random). */
function clusters(centres: number[][], n: number, spread: number, random: Random): Float32Array {
  const dim = centres[0].length;
  const values = new Float32Array(n * dim);
  for (let row = 0; row < n; row++) {
    const centre = centres[random.int(centres.length)];
    for (let d = 0; d < dim; d++) values[row * dim + d] = centre[d] + spread * random.normal();
  }
  return values;
}

describe('featureStats', () => {
  it('gives the mean and the unbiased (n - 1) covariance of a tiny set exactly', () => {
    // rows (1, 2) and (3, 6): mean (2, 4); deviations +-(1, 2), summed outer products / (2 - 1)
    const stats = featureStats(Float32Array.from([1, 2, 3, 6]), 2, 2);
    expect(Array.from(stats.mean)).toEqual([2, 4]);
    expect(Array.from(stats.covariance)).toEqual([2, 4, 4, 8]);
    expect(stats).toMatchObject({ dim: 2, count: 2 });
  });

  it('approaches the true mean and covariance of a seeded Gaussian', () => {
    // x = mu + L z with L lower triangular: covariance L L^T
    const mu = [1, -2, 0.5];
    const lower = [
      [1, 0, 0],
      [0.5, 2, 0],
      [-0.3, 0.4, 0.7],
    ];
    const trueCovariance = multiply(Float64Array.from(lower.flat()), transpose(Float64Array.from(lower.flat()), 3), 3);
    const random = createRandom(7);
    const count = 40000;
    const features = new Float64Array(count * 3);
    for (let row = 0; row < count; row++) {
      const z = [random.normal(), random.normal(), random.normal()];
      for (let i = 0; i < 3; i++) features[row * 3 + i] = mu[i] + lower[i].reduce((sum, l, k) => sum + l * z[k], 0);
    }
    const stats = featureStats(features, count, 3);
    expect(maxAbsDifference(stats.mean, mu)).toBeLessThan(0.04);
    expect(maxAbsDifference(stats.covariance, trueCovariance)).toBeLessThan(0.08);
  });
});

describe('sqrtPsd', () => {
  it('finds a known root: [[5, 4], [4, 5]] = [[2, 1], [1, 2]]^2', () => {
    const root = sqrtPsd(Float64Array.from([5, 4, 4, 5]), 2);
    expect(maxAbsDifference(root, [2, 1, 1, 2])).toBeLessThan(1e-12);
  });

  it('squares back to a random 8 x 8 SPD matrix', () => {
    const spd = randomSpd(8, createRandom(3));
    const root = sqrtPsd(spd, 8);
    expect(maxAbsDifference(multiply(root, root, 8), spd)).toBeLessThan(1e-9);
    expect(maxAbsDifference(root, transpose(root, 8))).toBeLessThan(1e-12);
  });

  it('handles a singular matrix: [[1, 1], [1, 1]] has root [[1, 1], [1, 1]] / sqrt 2', () => {
    const root = sqrtPsd(Float64Array.from([1, 1, 1, 1]), 2);
    expect(root.every(Number.isFinite)).toBe(true);
    expect(maxAbsDifference(root, [1, 1, 1, 1].map((value) => value / Math.SQRT2))).toBeLessThan(1e-12);
  });
});

describe('frechetDistance', () => {
  const random = createRandom(11);
  const dim = 6;
  const setA = featureStats(clusters([[0, 0, 0, 0, 0, 0], [3, 1, 0, -1, 2, 0]], 500, 1, random), 500, dim);
  const setB = featureStats(clusters([[1, 0, 0, 0, 0, 0], [0, 2, 2, 0, 0, 1]], 400, 0.6, random), 400, dim);

  it('is 0 between a set and itself', () => {
    const scale = setA.covariance.reduce((sum, value, index) => (index % (dim + 1) === 0 ? sum + value : sum), 0);
    expect(frechetDistance(setA, setA)).toBeLessThanOrEqual(1e-9 * scale);
  });

  it('is symmetric', () => {
    const ab = frechetDistance(setA, setB);
    const ba = frechetDistance(setB, setA);
    expect(ab).toBeGreaterThan(0.5);
    expect(Math.abs(ab - ba)).toBeLessThan(1e-9 * ab);
  });

  it('matches the closed form for diagonal covariances: sum (mu_a - mu_b)^2 + sum (sqrt s_a - sqrt s_b)^2', () => {
    const meanA = [0, 1, 2, -1];
    const meanB = [0.5, 1, 0, 1];
    const varianceA = [1, 4, 0.25, 2];
    const varianceB = [4, 1, 0.25, 0.5];
    const diagonal = (values: number[]) => values.map((value, i) => values.map((_, j) => (i === j ? value : 0)));
    const expected =
      meanA.reduce((sum, value, i) => sum + (value - meanB[i]) ** 2, 0) +
      varianceA.reduce((sum, value, i) => sum + (Math.sqrt(value) - Math.sqrt(varianceB[i])) ** 2, 0);
    const distance = frechetDistance(gaussian(meanA, diagonal(varianceA)), gaussian(meanB, diagonal(varianceB)));
    expect(distance).toBeCloseTo(expected, 10);
  });

  it('matches the closed form for commuting non-diagonal covariances Q diag(a) Q^T and Q diag(b) Q^T', () => {
    const rotation = randomRotation(5, createRandom(5));
    const eigenA = [0.5, 1, 2, 3, 9];
    const eigenB = [2, 1, 0.1, 4, 1];
    const toRows = (matrix: Float64Array) => Array.from({ length: 5 }, (_, i) => Array.from(matrix.subarray(5 * i, 5 * i + 5)));
    const a = gaussian([0, 0, 0, 0, 0], toRows(withEigenvalues(rotation, eigenA)));
    const b = gaussian([1, 0, 0, 0, 2], toRows(withEigenvalues(rotation, eigenB)));
    const expected = 5 + eigenA.reduce((sum, value, i) => sum + (Math.sqrt(value) - Math.sqrt(eigenB[i])) ** 2, 0);
    expect(frechetDistance(a, b)).toBeCloseTo(expected, 9);
  });

  it('matches a hand computation for non-commuting 2 x 2 covariances', () => {
    // S_a = diag(4, 1), S_b = [[2, 1], [1, 2]]: S_a S_b = [[8, 4], [1, 2]], trace 10, determinant 12.
    // For a 2 x 2 matrix with eigenvalues l1, l2 >= 0: tr(M^{1/2}) = sqrt(l1) + sqrt(l2) = sqrt(tr M + 2 sqrt(det M)).
    const expected = 5 + 4 - 2 * Math.sqrt(10 + 2 * Math.sqrt(12));
    const distance = frechetDistance(
      gaussian([0, 0], [
        [4, 0],
        [0, 1],
      ]),
      gaussian([0, 0], [
        [2, 1],
        [1, 2],
      ]),
    );
    expect(distance).toBeCloseTo(expected, 12);
  });
});

describe('precisionRecall', () => {
  it('is 1 and 1 for identical sets', () => {
    const points = clusters([[0, 0, 0], [5, 5, 5]], 300, 0.5, createRandom(2));
    expect(precisionRecall(points, points, 3)).toEqual({ precision: 1, recall: 1 });
  });

  it('uses the k-th neighbour other than the point itself (hand-computed, k = 1)', () => {
    // real 0, 1, 2, 3: each ball has radius 1, covering [-1, 4]; generated 1.5 and 10: radius 8.5
    // each, so the ball around 1.5 covers every real point.
    const result = precisionRecall(Float32Array.from([0, 1, 2, 3]), Float32Array.from([1.5, 10]), 1, 1);
    expect(result).toEqual({ precision: 0.5, recall: 1 });
  });

  it('keeps precision and halves recall when the generated set drops 2 of 4 modes', () => {
    const random = createRandom(9);
    const centres = [
      [0, 0, 0, 0],
      [10, 0, 0, 0],
      [0, 10, 0, 0],
      [0, 0, 10, 0],
    ];
    const real = clusters(centres, 1000, 0.3, random);
    const allModes = clusters(centres, 1000, 0.3, random);
    const twoModes = clusters(centres.slice(0, 2), 1000, 0.3, random);

    const full = precisionRecall(real, allModes, 4);
    expect(full.precision).toBeGreaterThan(0.9);
    expect(full.recall).toBeGreaterThan(0.9);

    const dropped = precisionRecall(real, twoModes, 4);
    expect(dropped.precision).toBeGreaterThan(0.9);
    expect(dropped.recall).toBeGreaterThan(0.4);
    expect(dropped.recall).toBeLessThan(0.55);
  });
});

describe('classCoverage', () => {
  it('covers all 10 classes with KL near 0 for a near-uniform set', () => {
    const random = createRandom(4);
    const predicted = Array.from({ length: 10000 }, () => random.int(10));
    const { histogram, classesCovered, classKl } = classCoverage(predicted, 10);
    expect(histogram.reduce((sum, share) => sum + share, 0)).toBeCloseTo(1, 12);
    expect(classesCovered).toBe(10);
    expect(classKl).toBeGreaterThanOrEqual(0);
    expect(classKl).toBeLessThan(0.005);
  });

  it('covers 1 class with KL = log 10 when every sample is a 6', () => {
    const { histogram, classesCovered, classKl } = classCoverage(new Array(500).fill(6), 10);
    expect(histogram).toEqual([0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
    expect(classesCovered).toBe(1);
    expect(classKl).toBeCloseTo(Math.log(10), 12);
  });

  it('still covers 1 class when a few strays are read as other digits', () => {
    // 960 sixes and 40 strays, 5 to each of 8 other classes: 0.5% each, under 2.5%.
    const predicted = [...new Array(960).fill(6), ...[0, 1, 2, 3, 4, 5, 7, 8].flatMap((label) => new Array(5).fill(label))];
    expect(classCoverage(predicted, 10).classesCovered).toBe(1);
  });

  it('counts a class as covered exactly from a quarter of its fair share', () => {
    // 1000 samples, 10 classes: the bar is 0.25 * 1000 / 10 = 25 samples.
    expect(COVERAGE_SHARE).toBe(0.25);
    const atBar = [...new Array(975).fill(0), ...new Array(25).fill(1)];
    const belowBar = [...new Array(976).fill(0), ...new Array(24).fill(1)];
    expect(classCoverage(atBar, 10).classesCovered).toBe(2);
    expect(classCoverage(belowBar, 10).classesCovered).toBe(1);
  });
});

describe('modeCoverage', () => {
  it("the catalog's mode centres are where the generator puts its clusters", () => {
    for (const id of ['ring', 'grid']) {
      const spec = pointsSpec(id);
      const { points } = generatePoints(spec, 200, 0, createRandom(5));
      for (let i = 0; i < 200; i++) {
        const distance = Math.min(...spec.modes!.map(([x, y]) => Math.hypot(points[2 * i] - x, points[2 * i + 1] - y)));
        expect(distance).toBeLessThan(1e-6);
      }
    }
  });

  it('ring: 2,500 draws from the data cover 8 of 8, nearly all high quality', () => {
    const { points } = generatePoints(pointsSpec('ring'), MODE_SAMPLES, 0.05, createRandom(21));
    const result = modeCoverage(points, pointsSpec('ring').modes!, 0.05);
    expect(result.modes).toBe(8);
    expect(result.modesCovered).toBe(8);
    expect(result.highQualityShare).toBeGreaterThan(0.95);
    expect(result.perMode.reduce((sum, samples) => sum + samples, 0)).toBe(Math.round(result.highQualityShare * MODE_SAMPLES));
  });

  it('ring: samples from only 3 modes cover 3', () => {
    const { points, labels } = generatePoints(pointsSpec('ring'), 4 * MODE_SAMPLES, 0.05, createRandom(22));
    const kept = Array.from(labels.keys()).filter((i) => labels[i] < 3);
    const threeModes = Float32Array.from(kept.flatMap((i) => [points[2 * i], points[2 * i + 1]]));
    const result = modeCoverage(threeModes, pointsSpec('ring').modes!, 0.05);
    expect(result.modesCovered).toBe(3);
    expect(result.perMode.slice(3).every((samples) => samples === 0)).toBe(true);
  });

  it('points far from every mode are not high quality; the bar is 3 sigma', () => {
    const centres = pointsSpec('ring').modes!;
    const sigma = 0.05;
    const atOrigin = modeCoverage(new Float32Array(2 * 100), centres, sigma);
    expect(atOrigin).toMatchObject({ modesCovered: 0, highQualityShare: 0 });
    // mode 0 sits at (1, 0): one sample 2.9 sigma out, one 3.1 sigma out
    const nearBar = Float32Array.from([1 + 2.9 * sigma, 0, 1 + 3.1 * sigma, 0]);
    expect(modeCoverage(nearBar, centres, sigma)).toEqual({ modesCovered: 1, modes: 8, highQualityShare: 0.5, perMode: [1, 0, 0, 0, 0, 0, 0, 0] });
  });

  it('counts a mode from one high-quality sample (the papers’ rule)', () => {
    const centres = pointsSpec('ring').modes!;
    const collapsed = new Float32Array(2 * MODE_SAMPLES).map((_, i) => (i % 2 === 0 ? 1 : 0));
    expect(modeCoverage(collapsed, centres, 0.05).modesCovered).toBe(1);
    // one stray exactly on mode 2, at (0, 1)
    collapsed[0] = 0;
    collapsed[1] = 1;
    expect(modeCoverage(collapsed, centres, 0.05).modesCovered).toBe(2);
  });

  it('grid: 2,500 draws from the data cover 25 of 25', () => {
    const { points } = generatePoints(pointsSpec('grid'), MODE_SAMPLES, 0.05, createRandom(23));
    const result = modeCoverage(points, pointsSpec('grid').modes!, 0.05);
    expect(result.modesCovered).toBe(25);
    expect(result.highQualityShare).toBeGreaterThan(0.95);
  });
});
