/**
 * A full-covariance Gaussian fitted to a cloud of points: the plain autoencoder has no
 * prior over its codes, so to generate we draw codes from the Gaussian that best fits the
 * training codes and decode them.
 */
import type { Random } from '../random';
import { sampleMoments } from './moments';

export interface GaussianFit {
  mean: Float64Array;
  /** Lower-triangular Cholesky factor L of the covariance, row-major [d, d]: Sigma = L L^T. */
  choleskyLower: Float64Array;
  dimension: number;
}

/** points: [n, d] row-major. */
export function fitGaussian(points: ArrayLike<number>, count: number, dimension: number): GaussianFit {
  const { mean, covariance } = sampleMoments(points, count, dimension);
  return { mean, choleskyLower: cholesky(covariance, dimension), dimension };
}

/**
 * Cholesky factor of a symmetric positive semi-definite matrix. A small ridge keeps it
 * defined when codes are degenerate (a dead code dimension has zero variance).
 */
export function cholesky(matrix: ArrayLike<number>, dimension: number): Float64Array {
  let trace = 0;
  for (let i = 0; i < dimension; i++) trace += matrix[i * dimension + i];
  const ridge = 1e-9 * Math.max(trace / dimension, 1e-12);
  const lower = new Float64Array(dimension * dimension);
  for (let i = 0; i < dimension; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = matrix[i * dimension + j] + (i === j ? ridge : 0);
      for (let k = 0; k < j; k++) sum -= lower[i * dimension + k] * lower[j * dimension + k];
      lower[i * dimension + j] = i === j ? Math.sqrt(Math.max(sum, 0)) : lower[j * dimension + j] > 0 ? sum / lower[j * dimension + j] : 0;
    }
  }
  return lower;
}

/** n draws z = mu + L eps, eps ~ N(0, I); returns [n, d] row-major. */
export function sampleGaussian(fit: GaussianFit, count: number, random: Random): Float32Array {
  const { dimension, mean, choleskyLower } = fit;
  const samples = new Float32Array(count * dimension);
  const noise = new Float64Array(dimension);
  for (let n = 0; n < count; n++) {
    for (let j = 0; j < dimension; j++) noise[j] = random.normal();
    for (let i = 0; i < dimension; i++) {
      let value = mean[i];
      for (let k = 0; k <= i; k++) value += choleskyLower[i * dimension + k] * noise[k];
      samples[n * dimension + i] = value;
    }
  }
  return samples;
}
