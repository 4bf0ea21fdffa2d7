/**
 * Mode counting on the 2-D Gaussian mixtures (`ring`: 8 modes on the unit circle; `grid`: 25
 * modes at {-4, -2, 0, 2, 4}^2), the measure of Srivastava et al. 2017, "VEEGAN: Reducing Mode
 * Collapse in GANs using Implicit Variational Learning", https://arxiv.org/abs/1705.07761, reused
 * by Lin et al. 2018, "PacGAN: The power of two samples in generative adversarial networks",
 * https://arxiv.org/abs/1712.04086:
 * - a sample is high quality when it lies within 3 standard deviations of its nearest mode centre;
 * - a mode is covered ("captured") when it is the nearest centre of at least one high-quality
 *   sample. That is the VEEGAN paper's wording, in its experiments on synthetic data ("the number
 *   of mixture components whose mean is nearest to at least one high quality sample"), and what
 *   PacGAN's reference code computes (https://github.com/fjxmlzn/PacGAN, file
 *   synthetic_data_experiments/PacGAN/pacgan/extensions.py, class MetricLogger: a sample counts
 *   for its nearest mode when its distance is < 3 sigma; modes covered = modes with a non-zero
 *   count). Both evaluate 2,500 samples from the trained generator (MODE_SAMPLES).
 *
 * One sample is enough to cover a mode, so the count grows with the number of samples drawn:
 * compare models only at the same sample count, and read `perMode` to see how evenly the modes
 * are filled.
 */

/** The number of samples both papers draw from a trained model to count its modes. */
export const MODE_SAMPLES = 2500;

/** How far from its nearest centre, in standard deviations of a mixture component, a sample may lie and still be high quality. */
const HIGH_QUALITY_SIGMAS = 3;

/**
 * Modes covered and the share of high-quality samples among `points` ([n, 2], interleaved x, y),
 * for a mixture with these `centres` and components of standard deviation `sigma` (the set's noise).
 */
export function modeCoverage(
  points: Float32Array,
  centres: readonly (readonly [number, number])[],
  sigma: number,
): { modesCovered: number; modes: number; highQualityShare: number; perMode: number[] } {
  if (points.length % 2 !== 0) throw new RangeError(`modeCoverage: ${points.length} values are not (x, y) pairs`);
  const count = points.length / 2;
  if (count === 0) throw new RangeError('modeCoverage: no points');
  if (centres.length === 0) throw new RangeError('modeCoverage: no mode centres');
  // With no noise there is no 3-sigma ball: nothing could be high quality.
  if (!(sigma > 0)) throw new RangeError(`modeCoverage: sigma must be positive, got ${sigma}`);

  // Compared squared: distance < 3 sigma  <=>  distance^2 < (3 sigma)^2.
  const squaredThreshold = (HIGH_QUALITY_SIGMAS * sigma) ** 2;
  const perMode = new Array<number>(centres.length).fill(0);
  let highQuality = 0;
  for (let i = 0; i < count; i++) {
    const x = points[2 * i];
    const y = points[2 * i + 1];
    let nearest = -1;
    let nearestSquared = Infinity;
    for (let mode = 0; mode < centres.length; mode++) {
      const [cx, cy] = centres[mode];
      const squared = (x - cx) ** 2 + (y - cy) ** 2;
      if (squared < nearestSquared) {
        nearestSquared = squared;
        nearest = mode;
      }
    }
    // Strictly inside, as in PacGAN's reference code (min_dis < dis_thre).
    if (nearestSquared < squaredThreshold) {
      perMode[nearest]++;
      highQuality++;
    }
  }
  return {
    modesCovered: perMode.filter((samples) => samples > 0).length,
    modes: centres.length,
    highQualityShare: highQuality / count,
    perMode,
  };
}
