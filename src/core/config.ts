/**
 * A run's whole configuration: which model, which dataset, which backend, and every
 * setting. It is what a share link holds and what the worker is started with.
 *
 * Settings come from four places, in one flat namespace of keys: the model's optimizer
 * (`lr`...), the training loop shared by every model (`batch`, `seed`), the model itself
 * (specialized to the dataset's kind: a setting for images is not offered on points), and
 * the dataset (a toy set's `spread`).
 */
import { DATASETS, findDataset, type DataSpec } from './datasets/catalog';
import { findModel, MODELS } from './models';
import { acceptsData, type ModelSpec } from './models/model';
import { quote } from './quote';
import { defaultValues, defineParams, specializeSchema, validateParam, type ParamSchema, type ParamSpec, type ParamValue } from './params/schema';

export const BACKEND_CHOICES = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** Settings of the training loop, shared by every model. */
export const TRAINING_PARAMS = defineParams([
  {
    kind: 'int',
    key: 'batch',
    label: 'Batch size',
    help: 'Training examples per step.',
    default: 64,
    min: 1,
    max: 512,
  },
  {
    kind: 'int',
    key: 'seed',
    label: 'Seed',
    help: 'Seeds the initial weights, the batches and the samples: the same seed gives the same run.',
    advanced: true,
    default: 1,
    min: 0,
    max: 2147483647,
  },
]);

export interface TrainingValues {
  batch: number;
  seed: number;
}

export interface RunConfig {
  model: string;
  dataset: string;
  backend: BackendChoice;
  /** Every setting, by key. */
  values: Record<string, ParamValue>;
}

export const DEFAULT_MODEL = MODELS[0].id;

/** The datasets a model trains on, in catalog order. */
export function datasetsFor(model: ModelSpec): DataSpec[] {
  return DATASETS.filter((dataset) => acceptsData(model, dataset) === true);
}

/** The settings of a model on a dataset, grouped as a person would look for them. */
export function settingGroups(model: ModelSpec, data: DataSpec): { optimizer: ParamSpec[]; training: ParamSpec[]; model: ParamSpec[]; data: ParamSpec[] } {
  const facts = { kind: data.kind, testCount: data.counts.test, labelled: data.classNames !== undefined };
  return {
    optimizer: specializeSchema(model.optimizer, facts),
    training: [...TRAINING_PARAMS],
    model: specializeSchema(model.params, facts),
    data: [...data.params],
  };
}

/** Every setting of a model on a dataset, in one list: optimizer, training loop, model, data. */
export function settingsOf(model: ModelSpec, data: DataSpec): ParamSpec[] {
  const groups = settingGroups(model, data);
  return [...groups.optimizer, ...groups.training, ...groups.model, ...groups.data];
}

/** Every setting of a model on a dataset, by ids; unknown ids fall back to the defaults. */
export function paramsFor(modelId: string, datasetId?: string): ParamSchema {
  const model = findModel(modelId) ?? MODELS[0];
  const data = (datasetId !== undefined ? findDataset(datasetId) : undefined) ?? datasetsFor(model)[0];
  return settingsOf(model, acceptsData(model, data) === true ? data : datasetsFor(model)[0]);
}

export function defaultConfig(modelId: string = DEFAULT_MODEL, datasetId?: string): RunConfig {
  const model = findModel(modelId) ?? MODELS[0];
  const requested = datasetId !== undefined ? findDataset(datasetId) : undefined;
  const dataset = requested && acceptsData(model, requested) === true ? requested : datasetsFor(model)[0];
  return { model: model.id, dataset: dataset.id, backend: 'auto', values: defaultValues(paramsFor(model.id, dataset.id)) };
}

/**
 * Brings any config into a valid one: unknown ids fall back to defaults, a dataset the
 * model cannot train on to the first it can, values out of range or of the wrong type to
 * their defaults. Returns what was replaced.
 */
export function sanitizeConfig(config: RunConfig): { config: RunConfig; problems: string[] } {
  const problems: string[] = [];
  const model = findModel(config.model);
  if (!model) problems.push(`unknown model ${quote(config.model)}`);
  const dataset = findDataset(config.dataset);
  if (!dataset) problems.push(`unknown dataset ${quote(config.dataset)}`);
  else if (model && acceptsData(model, dataset) !== true) problems.push(acceptsData(model, dataset) as string);
  const clean = defaultConfig(model?.id, dataset?.id);
  if ((BACKEND_CHOICES as readonly string[]).includes(config.backend)) clean.backend = config.backend;
  else problems.push(`unknown backend ${quote(config.backend)}`);
  for (const spec of paramsFor(clean.model, clean.dataset)) {
    if (!(spec.key in config.values)) continue;
    const result = validateParam(spec, config.values[spec.key]);
    if (result.ok) clean.values[spec.key] = result.value;
    else problems.push(`${spec.key} ${result.reason}`);
  }
  return { config: clean, problems };
}

export function modelOf(config: RunConfig): ModelSpec {
  const model = findModel(config.model);
  if (!model) throw new Error(`Unknown model ${quote(config.model)}`);
  return model;
}

export function datasetOf(config: RunConfig): DataSpec {
  const dataset = findDataset(config.dataset);
  if (!dataset) throw new Error(`Unknown dataset ${quote(config.dataset)}`);
  return dataset;
}

/**
 * The values a model is built from: the run's values over the defaults of its settings as
 * they apply to this dataset (a VAE on points defaults to a Gaussian likelihood), over the
 * defaults of those that do not apply at all (so its code never meets an undefined).
 */
export function modelValues(config: RunConfig, model: ModelSpec = modelOf(config)): Record<string, ParamValue> {
  const groups = settingGroups(model, datasetOf(config));
  return { ...defaultValues([...model.optimizer, ...model.params]), ...defaultValues([...groups.optimizer, ...groups.model]), ...config.values };
}

export function trainingValues(config: RunConfig): TrainingValues {
  const setting = (key: keyof TrainingValues) => Number(config.values[key] ?? TRAINING_PARAMS.find((spec) => spec.key === key)!.default);
  return { batch: setting('batch'), seed: setting('seed') };
}
