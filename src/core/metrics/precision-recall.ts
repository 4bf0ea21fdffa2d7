/**
 * Improved precision and recall of a generative model: Kynkäänniemi et al. 2019, "Improved
 * Precision and Recall Metric for Assessing Generative Models", https://arxiv.org/abs/1904.06991.
 *
 * Each set of feature vectors stands for a manifold: the union of balls, one around each of its
 * points, whose radius is the distance from that point to its k-th nearest neighbour in the same
 * set (the point itself not counted). Then
 * - precision: the share of generated points that lie in the real manifold (are samples realistic?);
 * - recall: the share of real points that lie in the generated manifold (is all of the data covered?).
 * A point on a ball's boundary is inside. Distances are Euclidean; the paper uses k = 3.
 *
 * Brute force over all pairs: O(n^2 dim) time and O(n k) memory, fine for a few thousand points.
 */

/**
 * Squared Euclidean distance between row `i` of `left` and row `j` of `right`, each row `dim`
 * long, or some partial sum above `limit` as soon as the distance is known to exceed it: the
 * callers only ask "within the limit?", and most pairs are far apart, so stopping early skips
 * most of the arithmetic.
 */
function squaredDistanceWithin(left: Float32Array, i: number, right: Float32Array, j: number, dim: number, limit: number): number {
  let sum = 0;
  const leftStart = i * dim;
  const rightStart = j * dim;
  for (let d = 0; d < dim; d++) {
    const difference = left[leftStart + d] - right[rightStart + d];
    sum += difference * difference;
    // Checked every 8 terms: often enough to stop early, rarely enough to cost little.
    if ((d & 7) === 7 && sum > limit) return sum;
  }
  return sum;
}

/**
 * Keeps the k smallest values offered for each of n points, sorted ascending in a flat array
 * (slot [point * k + k - 1] is the k-th smallest): no allocation per offer.
 */
function offer(nearest: Float64Array, point: number, k: number, value: number): void {
  const start = point * k;
  let slot = start + k - 1;
  if (value >= nearest[slot]) return;
  // Insertion into a sorted run of k: k is tiny (3), so this beats any heap.
  while (slot > start && nearest[slot - 1] > value) {
    nearest[slot] = nearest[slot - 1];
    slot--;
  }
  nearest[slot] = value;
}

/** Squared distance from each point of `points` to its k-th nearest other point of the same set. */
function squaredKthNeighbourRadii(points: Float32Array, count: number, dim: number, k: number): Float64Array {
  const nearest = new Float64Array(count * k).fill(Infinity);
  // Distance is symmetric: each pair is measured once and offered to both of its points.
  for (let i = 0; i < count; i++) {
    for (let j = i + 1; j < count; j++) {
      // A pair farther than both points' current k-th neighbours changes neither list.
      const limit = Math.max(nearest[i * k + k - 1], nearest[j * k + k - 1]);
      const distance = squaredDistanceWithin(points, i, points, j, dim, limit);
      offer(nearest, i, k, distance);
      offer(nearest, j, k, distance);
    }
  }
  const radii = new Float64Array(count);
  for (let i = 0; i < count; i++) radii[i] = nearest[i * k + k - 1];
  return radii;
}

/** Share of the `queries` that lie in at least one ball (centre `centres[c]`, squared radius `squaredRadii[c]`). */
function shareInsideManifold(
  queries: Float32Array,
  queryCount: number,
  centres: Float32Array,
  squaredRadii: Float64Array,
  dim: number,
): number {
  let inside = 0;
  for (let q = 0; q < queryCount; q++) {
    for (let c = 0; c < squaredRadii.length; c++) {
      // ||query - centre|| <= radius, compared squared: same order, no square roots.
      if (squaredDistanceWithin(queries, q, centres, c, dim, squaredRadii[c]) <= squaredRadii[c]) {
        inside++;
        break;
      }
    }
  }
  return inside / queryCount;
}

function rowCount(values: Float32Array, dim: number, name: string): number {
  const count = values.length / dim;
  if (!Number.isInteger(count)) throw new RangeError(`precisionRecall: ${values.length} ${name} values are not rows of ${dim}`);
  return count;
}

/**
 * Improved precision and recall of `generated` against `real`, both [count, dim] row-major
 * (the counts may differ), with manifolds built from k-th nearest neighbours.
 */
export function precisionRecall(real: Float32Array, generated: Float32Array, dim: number, k = 3): { precision: number; recall: number } {
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`precisionRecall: bad dimension ${dim}`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`precisionRecall: k must be a positive integer, got ${k}`);
  const realCount = rowCount(real, dim, 'real');
  const generatedCount = rowCount(generated, dim, 'generated');
  // Each point needs k other points in its own set to have a radius.
  if (realCount <= k || generatedCount <= k) {
    throw new RangeError(`precisionRecall: need more than k = ${k} points in each set, got ${realCount} real and ${generatedCount} generated`);
  }

  const realRadii = squaredKthNeighbourRadii(real, realCount, dim, k);
  const generatedRadii = squaredKthNeighbourRadii(generated, generatedCount, dim, k);
  return {
    precision: shareInsideManifold(generated, generatedCount, real, realRadii, dim),
    recall: shareInsideManifold(real, realCount, generated, generatedRadii, dim),
  };
}
