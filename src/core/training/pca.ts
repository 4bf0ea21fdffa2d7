/**
 * Principal components by subspace iteration, V <- orth(C^T C V) with C the centred
 * points, run on the backend. It never forms the d x d covariance, so codes of any length
 * (a 1024-wide hidden layer, a 1568-number feature map) are projected in a few dozen
 * thin matrix products. Enough to draw codes on a plane without a linear-algebra library.
 */
import * as tf from '@tensorflow/tfjs';

export interface Projection {
  mean: Float32Array;
  /** Unit vectors, row-major [components, dimension], by decreasing variance. */
  components: Float32Array;
  /** Variance along each component. */
  variances: Float32Array;
  dimension: number;
}

/** Gram-Schmidt on the columns of w [d, k]: each column minus its projections on the earlier ones, then unit length. */
function orthonormalColumns(w: tf.Tensor2D): tf.Tensor2D {
  const columns: tf.Tensor2D[] = [];
  for (const column of tf.split(w, w.shape[1], 1) as tf.Tensor2D[]) {
    let v = column; // [d, 1]
    for (const q of columns) v = v.sub(q.mul(q.mul(v).sum()));
    // The epsilon keeps a zero column (all codes equal, e.g. dead units) at zero instead of NaN.
    columns.push(v.div(v.norm().add(1e-12)));
  }
  return tf.concat(columns, 1);
}

/** points: [count, dimension]. The first `components` principal components. */
export async function principalComponents(points: tf.Tensor2D, components = 2, iterations = 60): Promise<Projection> {
  const [count, dimension] = points.shape;
  const wanted = Math.min(components, dimension);
  // A fixed, generic start, so that refreshes of a slowly changing model give the same signs.
  const start = Float32Array.from({ length: dimension * wanted }, (_, i) => Math.cos(1 + i * 0.7 + (i % wanted)));
  const [mean, vectors, variances] = tf.tidy(() => {
    const mean = points.mean(0); // [d]
    const centred = points.sub(mean) as tf.Tensor2D; // [n, d]
    let v = orthonormalColumns(tf.tensor2d(start, [dimension, wanted])); // [d, k]
    for (let step = 0; step < iterations; step++) {
      // C^T (C V): [d, n] x ([n, d] x [d, k]) -> [d, k], never the [d, d] covariance
      v = tf.tidy(() => orthonormalColumns(centred.matMul(centred.matMul(v), true, false) as tf.Tensor2D));
    }
    // Variance along each unit column: ||C v||^2 / (n - 1)
    const variances = centred.matMul(v).square().sum(0).div(Math.max(1, count - 1));
    return [mean, v.transpose(), variances]; // components row-major: [k, d]
  });
  try {
    const [meanValues, componentValues, varianceValues] = await Promise.all([mean.data(), vectors.data(), variances.data()]);
    return {
      mean: Float32Array.from(meanValues),
      components: Float32Array.from(componentValues),
      variances: Float32Array.from(varianceValues),
      dimension,
    };
  } finally {
    tf.dispose([mean, vectors, variances]);
  }
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
