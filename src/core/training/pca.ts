/**
 * Principal components by power iteration with deflation: enough to draw codes of any
 * dimension on a 2-D plane, without a linear-algebra library.
 */
import { sampleMoments } from './moments';

export interface Projection {
  mean: Float64Array;
  /** Unit vectors, row-major [components, dimension]. */
  components: Float64Array;
  /** Variance along each component. */
  variances: Float64Array;
  dimension: number;
}

/** points: [count, dimension] row-major. */
export function principalComponents(points: ArrayLike<number>, count: number, dimension: number, components = 2, iterations = 100): Projection {
  // The sample covariance, deflated below as each component is found.
  const { mean, covariance } = sampleMoments(points, count, dimension);
  const wanted = Math.min(components, dimension);
  const vectors = new Float64Array(wanted * dimension);
  const variances = new Float64Array(wanted);
  for (let c = 0; c < wanted; c++) {
    // Start off-axis so that no component is orthogonal to the start by construction.
    let v = Float64Array.from({ length: dimension }, (_, j) => 1 + 0.1 * j + c);
    for (let step = 0; step < iterations; step++) {
      const next = new Float64Array(dimension);
      for (let a = 0; a < dimension; a++) for (let b = 0; b < dimension; b++) next[a] += covariance[a * dimension + b] * v[b];
      const norm = Math.hypot(...next);
      if (norm === 0) break;
      v = next.map((value) => value / norm);
    }
    let variance = 0;
    for (let a = 0; a < dimension; a++) for (let b = 0; b < dimension; b++) variance += v[a] * covariance[a * dimension + b] * v[b];
    variances[c] = variance;
    vectors.set(v, c * dimension);
    // Deflate: Sigma <- Sigma - lambda v v^T, so the next power iteration finds the next component.
    for (let a = 0; a < dimension; a++) for (let b = 0; b < dimension; b++) covariance[a * dimension + b] -= variance * v[a] * v[b];
  }
  return { mean, components: vectors, variances, dimension };
}

/** Coordinates of each point along the components: [count, components]. */
export function project(projection: Projection, points: ArrayLike<number>, count: number): Float32Array {
  const { mean, components, dimension } = projection;
  const wanted = components.length / dimension;
  const out = new Float32Array(count * wanted);
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < wanted; c++) {
      let dot = 0;
      for (let j = 0; j < dimension; j++) dot += (points[i * dimension + j] - mean[j]) * components[c * dimension + j];
      out[i * wanted + c] = dot;
    }
  }
  return out;
}
