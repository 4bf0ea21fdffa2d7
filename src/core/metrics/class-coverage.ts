/**
 * Which classes a model's samples fall into, as judged by a classifier trained on the data: a
 * coarse but readable measure of mode collapse on labelled image sets (MNIST digits, garments),
 * in the spirit of the mode counts on Stacked MNIST in Srivastava et al. 2017, "VEEGAN: Reducing
 * Mode Collapse in GANs using Implicit Variational Learning", https://arxiv.org/abs/1705.07761.
 *
 * - histogram: the share of samples predicted as each class (sums to 1).
 * - classesCovered: the rule shown to users is "a class is covered when at least a quarter of its
 *   fair share of the samples are predicted as it", i.e. its share is at least
 *   COVERAGE_SHARE / classes = 1 / (4 * classes) (2.5% with 10 classes). A threshold rather than
 *   "at least one sample" because a classifier calls a few blurry samples anything: a model that
 *   draws only 6s, with a handful of strays read as other digits, covers 1 class, not 10.
 * - classKl: KL(histogram || uniform) = sum_c p_c log(p_c * classes), in nats, with 0 log 0 = 0.
 *   0 when every class is equally frequent; log(classes) when all samples are one class.
 */

/** A class is covered when its share of the samples reaches this fraction of the fair share 1 / classes. */
export const COVERAGE_SHARE = 0.25;

/** Class histogram, classes covered and KL from uniform of the classes `predicted` for a set of samples (labels 0 .. classes - 1). */
export function classCoverage(predicted: ArrayLike<number>, classes: number): { histogram: number[]; classesCovered: number; classKl: number } {
  if (!Number.isInteger(classes) || classes < 1) throw new RangeError(`classCoverage: classes must be a positive integer, got ${classes}`);
  const total = predicted.length;
  if (total === 0) throw new RangeError('classCoverage: no samples');

  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < total; i++) {
    const label = predicted[i];
    if (!Number.isInteger(label) || label < 0 || label >= classes) throw new RangeError(`classCoverage: label ${label} is not a class of 0..${classes - 1}`);
    counts[label]++;
  }

  const histogram = counts.map((count) => count / total);
  // count / total >= COVERAGE_SHARE / classes, multiplied out so that no division rounds the boundary.
  const classesCovered = counts.filter((count) => count * classes >= COVERAGE_SHARE * total).length;
  // KL(p || uniform) = sum_c p_c log(p_c / (1 / classes)); empty classes add 0 (0 log 0 = 0).
  const classKl = histogram.reduce((sum, share) => (share > 0 ? sum + share * Math.log(share * classes) : sum), 0);
  return { histogram, classesCovered, classKl };
}
