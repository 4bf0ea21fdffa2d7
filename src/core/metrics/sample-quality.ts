/**
 * The sample-quality evaluation, the same for every model that generates: draw a fixed
 * number of samples (the same seed each time, so the figures move only because the model
 * did) and compare them with held-out data.
 *
 * - Images of a labelled set with an evaluation classifier: the Frechet distance between
 *   the classifier's features of samples and of test images, precision and recall of
 *   their k-NN manifolds in those features, and the classes the samples cover.
 * - 2-D points: precision and recall in the plane itself, and for mixtures of clusters
 *   (ring, grid) the modes covered and the share of high-quality samples.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../datasets/dataset';
import type { Evaluation } from '../models/model';
import type { Random } from '../random';
import { createRandom } from '../random';
import type { JobContext } from '../training/jobs';
import type { BarsPanel } from '../views/panels';
import { classCoverage, COVERAGE_SHARE } from './class-coverage';
import type { EvaluationClassifier } from './classifier';
import { featureStats, frechetDistance, type FeatureStats } from './frechet';
import { modeCoverage } from './modes';
import { precisionRecall } from './precision-recall';
import { QUALITY_SAMPLES } from './quality-terms';

/** Draws n samples ([n, H, W, C] in [0, 1], or [n, 2]). */
export type Sampler = (n: number, random: Random, job: JobContext) => Promise<tf.Tensor>;

/** Where the evaluation classifiers come from: which sets have one, and the classifier itself (loaded once, kept by the source). */
export interface ClassifierSource {
  has(datasetId: string): boolean;
  load(datasetId: string): Promise<EvaluationClassifier>;
}

/**
 * How good a set of sample-quality figures is, as one number to keep the best checkpoint
 * by (higher is better): on images the Frechet classifier distance (lower is better); on
 * a mixture of clusters, the modes covered, then the share of high-quality samples.
 * Undefined where there is nothing to rank by.
 */
export function qualityRank(values: Readonly<Record<string, number>>): { rank: number; key: string; value: number } | undefined {
  const distance = values.frechet_classifier_distance;
  if (Number.isFinite(distance)) return { rank: -distance, key: 'frechet_classifier_distance', value: distance };
  const [modes, share] = [values.modes_covered, values.high_quality_share];
  if (Number.isFinite(modes) && Number.isFinite(share)) return { rank: modes + share, key: 'modes_covered', value: modes };
  return undefined;
}

/** At most this often while training (ms): a thousand samples and two thousand classifier passes are not free. */
export const QUALITY_CADENCE_MS = 20_000;
/** Images through the classifier at once: memory of one chunk, and a pause or a job waits at most one (seconds on a software GPU). */
const CHUNK = 100;
/** The samples' seed: the same draws every time. */
const QUALITY_SEED = 424242;

/**
 * The evaluation for this data, or undefined if there is nothing to compare with (images
 * without a classifier). The classifier loads at the first evaluation, not before: a run
 * starts without waiting for it.
 */
export function sampleQualityEvaluation(data: Dataset, sample: Sampler, classifiers?: ClassifierSource, imageSamples = QUALITY_SAMPLES.image): Evaluation | undefined {
  if (data.kind === 'points') return pointsQuality(data, sample);
  return classifiers?.has(data.spec.id) ? imageQuality(data, sample, () => classifiers.load(data.spec.id), imageSamples) : undefined;
}

function pointsQuality(data: Extract<Dataset, { kind: 'points' }>, sample: Sampler): Evaluation {
  const n = QUALITY_SAMPLES.points;
  const real = data.coordinates('test', Math.min(n, data.count('test')));
  const modes = data.spec.modes;
  return {
    id: 'sample-quality',
    basis: `${n.toLocaleString('en-US')} samples vs ${(real.length / 2).toLocaleString('en-US')} test points`,
    cadence: QUALITY_CADENCE_MS,
    waitsForTraining: true,
    ownNames: true,
    run: async ({ job }): Promise<Record<string, number>> => {
      const drawn = await sample(n, createRandom(QUALITY_SEED), job);
      const points = (await drawn.data()) as Float32Array;
      drawn.dispose();
      const { precision, recall } = precisionRecall(real, points, 2);
      if (!modes) return { precision, recall };
      // A set drawn without noise has no spread to measure closeness by: a hundredth of the unit circle stands in.
      const { modesCovered, highQualityShare } = modeCoverage(points, modes, Math.max(data.spread, 0.01));
      return { precision, recall, modes_covered: modesCovered, high_quality_share: highQualityShare };
    },
  };
}

/** n: samples and test images compared (QUALITY_SAMPLES.image, fewer for a slow sampler). */
function imageQuality(data: Extract<Dataset, { kind: 'image' }>, sample: Sampler, loadClassifier: () => Promise<EvaluationClassifier>, n: number): Evaluation {
  const classes = data.spec.classNames?.length ?? 10;
  let real: { features: Float32Array; stats: FeatureStats } | undefined;
  let classesPanel: BarsPanel | undefined;

  /** Features and predicted classes of images, a chunk at a time. */
  const embedAll = async (classifier: EvaluationClassifier, count: number, images: (start: number, end: number) => tf.Tensor4D, job: JobContext) => {
    const features: Float32Array[] = [];
    const predicted: number[] = [];
    for (let start = 0; start < count; start += CHUNK) {
      const end = Math.min(count, start + CHUNK);
      const [chunkFeatures, chunkClasses] = tf.tidy(() => {
        const embedded = classifier.embed(images(start, end));
        return [embedded.features, embedded.logits.argMax(1)];
      });
      features.push((await chunkFeatures.data()) as Float32Array);
      predicted.push(...(await chunkClasses.data()));
      tf.dispose([chunkFeatures, chunkClasses]);
      await job.checkpoint();
    }
    const dim = features[0].length / Math.min(CHUNK, count);
    const all = new Float32Array(count * dim);
    let offset = 0;
    for (const part of features) {
      all.set(part, offset);
      offset += part.length;
    }
    return { features: all, predicted, dim };
  };

  return {
    id: 'sample-quality',
    basis: `${n.toLocaleString('en-US')} samples vs ${n.toLocaleString('en-US')} test images, in the evaluation classifier's features`,
    cadence: QUALITY_CADENCE_MS,
    waitsForTraining: true,
    ownNames: true,
    run: async ({ job }) => {
      const classifier = await loadClassifier();
      if (!real) {
        const indices = data.firstIndices(n, 'test');
        const { features, dim } = await embedAll(classifier, indices.length, (start, end) => data.take('test', indices.slice(start, end), { encoding: 'unit' }), job);
        real = { features, stats: featureStats(features, indices.length, dim) };
      }
      const drawn = (await sample(n, createRandom(QUALITY_SEED), job)) as tf.Tensor4D;
      try {
        const { features, predicted, dim } = await embedAll(classifier, n, (start, end) => drawn.slice([start], [end - start]), job);
        const { precision, recall } = precisionRecall(real.features, features, dim);
        const { classesCovered, classKl, histogram } = classCoverage(predicted, classes);
        classesPanel = classesOfSamples(histogram, data.spec.classNames ?? histogram.map((_, k) => String(k)), classesCovered, n);
        return {
          frechet_classifier_distance: frechetDistance(real.stats, featureStats(features, n, dim)),
          precision,
          recall,
          classes_covered: classesCovered,
          class_kl: classKl,
        };
      } finally {
        drawn.dispose();
      }
    },
    panels: () => (classesPanel ? [classesPanel] : []),
  };
}

/** The histogram of the classes the classifier names for the samples: a collapse shows as missing bars. */
function classesOfSamples(histogram: readonly number[], names: readonly string[], covered: number, samples: number): BarsPanel {
  const fair = 100 / histogram.length;
  return {
    kind: 'bars',
    id: 'sample-classes',
    title: 'Classes of the samples',
    caption: `What the evaluation classifier sees in ${samples.toLocaleString('en-US')} samples, in % of them; real test images have about ${fair.toFixed(0)}% of each.`,
    values: Float32Array.from(histogram, (share) => 100 * share),
    labels: names,
    unit: '% of samples',
    threshold: fair * COVERAGE_SHARE,
    ...(covered < histogram.length
      ? { warning: `${histogram.length - covered} of ${histogram.length} classes are (almost) missing from the samples: below the line, they have under a quarter of their fair share.` }
      : {}),
  };
}
