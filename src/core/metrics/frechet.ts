/**
 * The Fréchet distance between two sets of feature vectors: fit a Gaussian to each set (mean
 * and covariance) and take the 2-Wasserstein distance between the two Gaussians,
 *
 *   d^2 = ||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_a S_b)^{1/2}).
 *
 * This is the measure behind FID: Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update
 * Rule Converge to a Local Nash Equilibrium", https://arxiv.org/abs/1706.08500.
 *
 * Here it is computed in the features of a small classifier trained on the same dataset (a
 * "Fréchet classifier distance"), not in Inception-v3 features, so the numbers rank models
 * trained on the same data against each other but are not comparable with published FIDs.
 *
 * Everything is in float64: the trace term is a difference of large, nearly equal numbers, and
 * float32 rounding there would swamp the distance between two good models.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** A Gaussian fitted to `count` feature vectors of length `dim`. */
export interface FeatureStats {
  dim: number;
  count: number;
  mean: Float64Array;
  /** [dim, dim], row-major, unbiased (divided by count - 1). */
  covariance: Float64Array;
}

/** Mean and unbiased covariance of `count` feature vectors of length `dim`, stored row-major in `features`. */
export function featureStats(features: Float32Array | Float64Array, count: number, dim: number): FeatureStats {
  if (!Number.isInteger(count) || !Number.isInteger(dim) || dim < 1) throw new RangeError(`featureStats: bad shape [${count}, ${dim}]`);
  if (features.length !== count * dim) throw new RangeError(`featureStats: ${features.length} values do not make [${count}, ${dim}]`);
  // An unbiased covariance needs at least two vectors.
  if (count < 2) throw new RangeError(`featureStats: need at least 2 vectors, got ${count}`);

  const mean = new Float64Array(dim);
  for (let row = 0; row < count; row++) {
    const offset = row * dim;
    for (let i = 0; i < dim; i++) mean[i] += features[offset + i];
  }
  for (let i = 0; i < dim; i++) mean[i] /= count;

  // Two passes (mean first, then centred products) rather than sum(x x^T) - n mu mu^T, which
  // cancels catastrophically when the features sit far from the origin.
  const covariance = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let row = 0; row < count; row++) {
    const offset = row * dim;
    for (let i = 0; i < dim; i++) centred[i] = features[offset + i] - mean[i];
    // The matrix is symmetric: accumulate the upper triangle only, mirror it below.
    for (let i = 0; i < dim; i++) {
      const ci = centred[i];
      const rowStart = i * dim;
      for (let j = i; j < dim; j++) covariance[rowStart + j] += ci * centred[j];
    }
  }
  // S = sum (x - mu)(x - mu)^T / (n - 1)
  for (let i = 0; i < dim; i++) {
    for (let j = i; j < dim; j++) {
      const value = covariance[i * dim + j] / (count - 1);
      covariance[i * dim + j] = value;
      covariance[j * dim + i] = value;
    }
  }
  return { dim, count, mean, covariance };
}

/**
 * Eigenvalues and eigenvectors of a symmetric matrix. The input is symmetrised first: products
 * such as A^{1/2} S A^{1/2} are symmetric only up to rounding, and the symmetric solver reads one
 * triangle, so a lopsided rounding error would otherwise decide the answer.
 */
function symmetricEigen(matrix: Float64Array, dim: number): { values: number[]; vectors: Matrix } {
  const symmetric = new Matrix(dim, dim);
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < dim; j++) symmetric.set(i, j, 0.5 * (matrix[i * dim + j] + matrix[j * dim + i]));
  }
  const decomposition = new EigenvalueDecomposition(symmetric, { assumeSymmetric: true });
  return { values: decomposition.realEigenvalues, vectors: decomposition.eigenvectorMatrix };
}

/**
 * Square roots of the eigenvalues of a symmetric PSD matrix. A symmetric eigensolver is accurate
 * to about dim * eps * (largest eigenvalue), so anything smaller, negative or not, is a zero
 * eigenvalue blurred by rounding: it is set to 0, since the square root would blow 1e-16 noise up
 * to 1e-8 (and a negative one would give NaN).
 */
function eigenvalueRoots(values: readonly number[], dim: number): number[] {
  const largest = values.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
  const noise = dim * Number.EPSILON * largest;
  return values.map((value) => (value > noise ? Math.sqrt(value) : 0));
}

/**
 * The principal square root of a symmetric positive semi-definite matrix ([dim, dim], row-major):
 * the symmetric PSD R with R R = matrix.
 */
export function sqrtPsd(matrix: Float64Array, dim: number): Float64Array {
  if (matrix.length !== dim * dim) throw new RangeError(`sqrtPsd: ${matrix.length} values do not make [${dim}, ${dim}]`);
  const { values, vectors } = symmetricEigen(matrix, dim);
  const roots = eigenvalueRoots(values, dim);
  // R = V diag(sqrt(lambda)) V^T
  const root = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    for (let j = i; j < dim; j++) {
      let sum = 0;
      for (let k = 0; k < dim; k++) sum += vectors.get(i, k) * roots[k] * vectors.get(j, k);
      root[i * dim + j] = sum;
      root[j * dim + i] = sum;
    }
  }
  return root;
}

/** left * right for [dim, dim] row-major matrices. */
function multiply(left: Float64Array, right: Float64Array, dim: number): Float64Array {
  const product = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    for (let k = 0; k < dim; k++) {
      const lik = left[i * dim + k];
      if (lik === 0) continue;
      for (let j = 0; j < dim; j++) product[i * dim + j] += lik * right[k * dim + j];
    }
  }
  return product;
}

function trace(matrix: Float64Array, dim: number): number {
  let sum = 0;
  for (let i = 0; i < dim; i++) sum += matrix[i * dim + i];
  return sum;
}

/** The Fréchet distance (squared, as FID reports it) between the Gaussians fitted to two feature sets. */
export function frechetDistance(a: FeatureStats, b: FeatureStats): number {
  if (a.dim !== b.dim) throw new RangeError(`frechetDistance: features of ${a.dim} and ${b.dim} dimensions`);
  const dim = a.dim;

  let meanTerm = 0;
  for (let i = 0; i < dim; i++) {
    const difference = a.mean[i] - b.mean[i];
    meanTerm += difference * difference;
  }

  // S_a S_b is not symmetric, so its square root needs a general (complex-capable) solver. It is
  // similar to S_a^{1/2} S_b S_a^{1/2}, which is symmetric PSD: same eigenvalues, all real and
  // >= 0, so tr((S_a S_b)^{1/2}) = sum sqrt(eig(S_a^{1/2} S_b S_a^{1/2})) with a symmetric solver.
  const rootA = sqrtPsd(a.covariance, dim);
  const sandwich = multiply(multiply(rootA, b.covariance, dim), rootA, dim);
  const { values } = symmetricEigen(sandwich, dim);
  const traceOfRoot = eigenvalueRoots(values, dim).reduce((sum, root) => sum + root, 0);

  // d^2 = ||mu_a - mu_b||^2 + tr(S_a) + tr(S_b) - 2 tr((S_a S_b)^{1/2})
  const distance = meanTerm + trace(a.covariance, dim) + trace(b.covariance, dim) - 2 * traceOfRoot;
  // The true value is >= 0; for two nearly equal sets rounding can push it a hair below.
  return Math.max(distance, 0);
}
