/**
 * A run's whole configuration: which model, which dataset, which backend, and every
 * hyperparameter. It is what a share link holds and what the worker is started with.
 */
import { DATASETS, findDataset } from './datasets/catalog';
import { findModel, MODELS } from './models';
import type { ModelSpec } from './models/model';
import { defaultValues, defineParams, validateParam, type ParamSchema, type ParamValue, type ParamValues } from './params/schema';

export const BACKEND_CHOICES = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** Settings of the training loop, shared by every model. */
export const TRAINING_PARAMS = defineParams([
  {
    kind: 'number',
    key: 'lr',
    label: 'Learning rate',
    help: 'Step size of the Adam optimizer.',
    default: 0.001,
    min: 0.00001,
    max: 0.1,
    step: 0.00001,
    logScale: true,
  },
  {
    kind: 'int',
    key: 'batch',
    label: 'Batch size',
    help: 'Training images per step.',
    default: 64,
    min: 1,
    max: 512,
  },
  {
    kind: 'int',
    key: 'seed',
    label: 'Seed',
    help: 'Seeds the initial weights, the batches and the samples: the same seed gives the same run.',
    default: 1,
    min: 0,
    max: 2147483647,
  },
]);

export type TrainingValues = ParamValues<typeof TRAINING_PARAMS>;

export interface RunConfig {
  model: string;
  dataset: string;
  backend: BackendChoice;
  /** Training and model hyperparameters, by key. */
  values: Record<string, ParamValue>;
}

export const DEFAULT_MODEL = MODELS[0].id;
export const DEFAULT_DATASET = DATASETS[0].id;

/** The training parameters followed by the model's own: one flat namespace of keys. */
export function paramsFor(modelId: string): ParamSchema {
  const model = findModel(modelId) ?? MODELS[0];
  return [...TRAINING_PARAMS, ...model.params];
}

export function defaultConfig(modelId: string = DEFAULT_MODEL): RunConfig {
  const model = findModel(modelId) ?? MODELS[0];
  return { model: model.id, dataset: DEFAULT_DATASET, backend: 'auto', values: defaultValues(paramsFor(model.id)) };
}

/**
 * Brings any config into a valid one: unknown ids fall back to defaults, values out of
 * range or of the wrong type are replaced by their defaults. Returns what was replaced.
 */
export function sanitizeConfig(config: RunConfig): { config: RunConfig; problems: string[] } {
  const problems: string[] = [];
  const model = findModel(config.model);
  if (!model) problems.push(`unknown model "${config.model}"`);
  const clean = defaultConfig(model?.id);
  if (findDataset(config.dataset)) clean.dataset = config.dataset;
  else problems.push(`unknown dataset "${config.dataset}"`);
  if ((BACKEND_CHOICES as readonly string[]).includes(config.backend)) clean.backend = config.backend;
  else problems.push(`unknown backend "${config.backend}"`);
  for (const spec of paramsFor(clean.model)) {
    if (!(spec.key in config.values)) continue;
    const result = validateParam(spec, config.values[spec.key]);
    if (result.ok) clean.values[spec.key] = result.value;
    else problems.push(`${spec.key} ${result.reason}`);
  }
  return { config: clean, problems };
}

export function modelOf(config: RunConfig): ModelSpec {
  const model = findModel(config.model);
  if (!model) throw new Error(`unknown model "${config.model}"`);
  return model;
}

export function trainingValues(config: RunConfig): TrainingValues {
  return {
    lr: Number(config.values.lr ?? TRAINING_PARAMS[0].default),
    batch: Number(config.values.batch ?? TRAINING_PARAMS[1].default),
    seed: Number(config.values.seed ?? TRAINING_PARAMS[2].default),
  };
}
