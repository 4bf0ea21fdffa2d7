/**
 * The sample-quality figures every generating model gets, labelled once for the page,
 * the runner and the README: computed the same way for all models, so a VAE and a GAN on
 * the same data can be compared. TF.js-free: the page reads it.
 */
import type { DataKind } from '../datasets/catalog';
import type { ChartSpec, ModelSpec, TermInfo } from '../models/model';

/** Samples each figure is computed on: one size for every model, so figures compare. */
export const QUALITY_SAMPLES: Record<DataKind, number> = { image: 1000, points: 2500 };

export const SAMPLE_QUALITY_TERMS: readonly TermInfo[] = [
  {
    key: 'frechet_classifier_distance',
    plain: 'how far samples are from real images (0 = indistinguishable)',
    label: 'Frechet classifier distance',
    unit: 'squared feature units',
    help: "The distance between two Gaussians fitted to the evaluation classifier's features of 1,000 samples and of 1,000 test images. Like FID, but in a small classifier's features (not Inception's), so it compares runs here, not with published FIDs.",
  },
  { key: 'precision', plain: 'share of samples that look like real data', label: 'precision (k-NN manifold, k = 3)', unit: 'share', help: 'Of the samples, the share that falls within the neighbourhood of some test example in feature space (Kynkaanniemi et al. 2019). Low: many samples are unlike any real one.' },
  { key: 'recall', plain: 'share of real data the samples cover', label: 'recall (k-NN manifold, k = 3)', unit: 'share', help: 'Of the test examples, the share that falls within the neighbourhood of some sample. Low: the model misses kinds of data (mode collapse).' },
  { key: 'classes_covered', plain: 'classes the samples include', label: 'classes covered', unit: 'classes', count: true, help: 'Classes the evaluation classifier sees in at least a quarter of their fair share of the samples (2.5% of them with 10 classes). A model that only draws 6s covers 1.' },
  { key: 'class_kl', plain: 'how unevenly samples spread over the classes (0 = evenly)', label: 'KL(sample classes || uniform)', unit: 'nats', help: 'The KL divergence from the histogram of predicted classes of the samples to the uniform one: 0 when every class is equally common, log 10 = 2.30 when all are one class.' },
  { key: 'modes_covered', plain: 'clusters the samples reach', label: 'modes covered', unit: 'modes', count: true, help: 'Clusters of the data with at least one high-quality sample nearest to them, of 2,500 samples (as the VEEGAN and PacGAN papers count).' },
  { key: 'high_quality_share', plain: 'share of samples close to a cluster', label: 'high-quality samples', unit: 'share', help: "Samples within 3 standard deviations (the data's spread) of their nearest cluster centre, of 2,500." },
];

// The same objects every time: the page's memoized charts redraw only when their inputs change.
const QUALITY_CHARTS: Record<DataKind, readonly ChartSpec[]> = {
  image: [{ id: 'sample-quality', title: 'How close samples are to real images', terms: ['frechet_classifier_distance'] }],
  points: [{ id: 'sample-quality', title: 'Clusters the samples reach', terms: ['modes_covered'] }],
};
const allTerms = new WeakMap<ModelSpec, readonly TermInfo[]>();

/** The chart of sample quality over time, for models that generate: the distance on images, the modes on 2-D mixtures. */
export function qualityCharts(model: ModelSpec, kind: DataKind): readonly ChartSpec[] {
  return model.generates ? QUALITY_CHARTS[kind] : [];
}

/** Everything the page may label for this model: its own terms, and the sample-quality ones if it generates (one array per model). */
export function termsOf(model: ModelSpec): readonly TermInfo[] {
  if (!model.generates) return model.terms;
  let terms = allTerms.get(model);
  if (!terms) {
    terms = [...model.terms, ...SAMPLE_QUALITY_TERMS];
    allTerms.set(model, terms);
  }
  return terms;
}
