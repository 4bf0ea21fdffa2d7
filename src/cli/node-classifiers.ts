/** Loads the shipped evaluation classifiers from public/classifiers in Node (tests, runner). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findDataset } from '../core/datasets/catalog';
import { classifierFileName, EvaluationClassifier, type ClassifierFile, type ClassifierInfo } from '../core/metrics/classifier';
import type { ClassifierSource } from '../core/metrics/sample-quality';
import { quote } from '../core/quote';
import type { ExportInput } from '../export/project';
import { DATA_DIR } from './node-datasets';

export const CLASSIFIER_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'public', 'classifiers');

/** A dataset's trained classifier and what its .json says of it; the caller disposes the classifier. */
export function loadNodeClassifier(datasetId: string): { classifier: EvaluationClassifier; info: ClassifierInfo } {
  const spec = findDataset(datasetId);
  if (spec?.kind !== 'image') throw new Error(`Unknown image dataset ${quote(datasetId)}`);
  const jsonPath = join(CLASSIFIER_DIR, classifierFileName(spec.id, 'json'));
  const binPath = join(CLASSIFIER_DIR, classifierFileName(spec.id, 'bin'));
  for (const path of [jsonPath, binPath]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run "npm run classifiers -- ${spec.id}".`);
  }
  const file = JSON.parse(readFileSync(jsonPath, 'utf8')) as ClassifierFile;
  const classes = spec.classNames?.length ?? 0;
  if (file.info.classes !== classes) throw new Error(`${jsonPath} is for ${file.info.classes} classes, ${spec.id} has ${classes}: run "npm run classifiers -- ${spec.id}".`);
  const bytes = readFileSync(binPath);
  // A Buffer may be a view into a larger pool: copy out exactly its bytes.
  const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const classifier = EvaluationClassifier.fromWeights(spec.shape, file.info.classes, file.specs, data);
  return { classifier, info: file.info };
}

const loaded = new Map<string, EvaluationClassifier>();

/** The sample-quality evaluation's source in Node: the shipped classifiers, each loaded once per process. */
export const nodeClassifiers: ClassifierSource = {
  has: (datasetId) => findDataset(datasetId)?.kind === 'image' && existsSync(join(CLASSIFIER_DIR, classifierFileName(datasetId, 'json'))),
  load: async (datasetId) => {
    let classifier = loaded.get(datasetId);
    if (!classifier) {
      classifier = loadNodeClassifier(datasetId).classifier;
      loaded.set(datasetId, classifier);
    }
    return classifier;
  },
};

/** Where an export in Node reads the app's dataset files and evaluation classifiers (src/export/project.ts). */
export const NODE_EXPORT_FILES: Pick<ExportInput, 'readDataFile' | 'readClassifierFile'> = {
  readDataFile: async (name) => readFileSync(join(DATA_DIR, name)),
  readClassifierFile: async (name) => (existsSync(join(CLASSIFIER_DIR, name)) ? readFileSync(join(CLASSIFIER_DIR, name)) : undefined),
};
