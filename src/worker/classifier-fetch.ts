/**
 * The evaluation classifier of a labelled image set, fetched from where the page serves
 * its shipped weights (public/classifiers, built by `npm run classifiers`). A set without
 * one gets no sample-quality figures on images; a file that is missing or damaged says so.
 */
import { findDataset } from '../core/datasets/catalog';
import { classifierFileName, EvaluationClassifier, type ClassifierFile } from '../core/metrics/classifier';

/** The sets that ship a classifier. */
export const CLASSIFIER_DATASETS: readonly string[] = ['mnist', 'fashion-mnist'];

export async function loadBrowserClassifier(datasetId: string, baseUrl: string): Promise<EvaluationClassifier> {
  const spec = findDataset(datasetId);
  if (spec?.kind !== 'image' || !CLASSIFIER_DATASETS.includes(spec.id)) throw new Error(`${datasetId} has no evaluation classifier`);
  const fetchOk = async (part: 'json' | 'bin') => {
    const url = new URL(classifierFileName(spec.id, part), baseUrl).href;
    const response = await fetch(url);
    if (!response.ok) throw new Error(`the evaluation classifier's file ${url} could not be loaded (HTTP ${response.status})`);
    return response;
  };
  const [json, bin] = await Promise.all([fetchOk('json'), fetchOk('bin')]);
  const file = (await json.json()) as ClassifierFile;
  return EvaluationClassifier.fromWeights(spec.shape, file.info.classes, file.specs, await bin.arrayBuffer());
}
