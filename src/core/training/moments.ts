/** Mean and sample covariance of a cloud of points, shared by the Gaussian fit and PCA. */

export interface Moments {
  mean: Float64Array;
  /** Row-major [d, d], symmetric: 1/(n-1) sum_i (x_i - mu)(x_i - mu)^T. */
  covariance: Float64Array;
}

/** points: [count, dimension] row-major. */
export function sampleMoments(points: ArrayLike<number>, count: number, dimension: number): Moments {
  const mean = new Float64Array(dimension);
  for (let i = 0; i < count; i++) for (let j = 0; j < dimension; j++) mean[j] += points[i * dimension + j] / count;
  const covariance = new Float64Array(dimension * dimension);
  const denominator = Math.max(1, count - 1);
  for (let i = 0; i < count; i++) {
    for (let a = 0; a < dimension; a++) {
      const da = points[i * dimension + a] - mean[a];
      for (let b = 0; b <= a; b++) covariance[a * dimension + b] += (da * (points[i * dimension + b] - mean[b])) / denominator;
    }
  }
  for (let a = 0; a < dimension; a++) for (let b = 0; b < a; b++) covariance[b * dimension + a] = covariance[a * dimension + b];
  return { mean, covariance };
}
