import type * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../datasets/image-dataset';
import type { DatasetSpec } from '../datasets/catalog';
import type { ParamSchema, ParamValue, ParamValues } from '../params/schema';
import type { Random } from '../random';
import type { ImageGridPanel, LatentQuery, ViewPanel } from '../views/panels';

/** Named scalar losses; `loss` is always the objective being minimized. */
export type LossTerms = { loss: tf.Scalar } & Record<string, tf.Scalar>;

/** A trainable generative model, on images shaped [B, H, W, C] with values in [0, 1]. */
export interface GenerativeModel {
  /** One optimizer update. Returns the loss terms, which the caller disposes. */
  trainStep(images: tf.Tensor4D): LossTerms;
  /** The same terms on held-out images, without an update. */
  evaluate(images: tf.Tensor4D): LossTerms;
  /** The model's live views: reconstructions, samples, latent scatter... */
  views(data: ViewData): Promise<ViewPanel[]>;
  /**
   * The latent explorer: decodes a point of the latent scatter last returned by views(), in
   * that scatter's own coordinates (the code itself, or its principal components), or a
   * setting of the sliders views() last returned.
   */
  decodeLatent?(query: LatentQuery): Promise<ImageGridPanel>;
  /** Takes new values of the parameters its schema marks `live`, mid-run. */
  setParams?(values: Readonly<Record<string, ParamValue>>): void;
  /** Frees every variable and the optimizer state. */
  dispose(): void;
}

export interface ViewData {
  dataset: ImageDataset;
  /** Seeded, so that view refreshes draw reproducible samples. */
  random: Random;
}

export interface ModelContext {
  dataset: DatasetSpec;
  learningRate: number;
  random: Random;
}

/** A short explanation shown beside the controls, in our own words. */
export interface ModelCard {
  summary: string;
  /** The objective, in TeX (rendered by KaTeX). */
  objectiveTex: string;
  objectiveText: string;
  watchFor: readonly string[];
}

/** How the page labels a loss term or held-out metric (by its key in LossTerms). */
export interface TermInfo {
  key: string;
  label: string;
  /** e.g. "nats per image", "bits per dimension". */
  unit: string;
  help?: string;
}

export interface ModelSpec<S extends ParamSchema = ParamSchema> {
  /** Public, stable: appears in share links. */
  id: string;
  name: string;
  family: string;
  paper: { title: string; authors: string; year: number; url: string };
  card: ModelCard;
  /** Labels for every term `trainStep` and `evaluate` return; `loss` first. */
  terms: readonly TermInfo[];
  params: S;
}

/** Keeps the parameter types of one model while the registry holds them all. */
export function defineModel<const S extends ParamSchema>(spec: ModelSpec<S>): ModelSpec {
  return spec as unknown as ModelSpec;
}

/** A model's code, bound to its spec. Specs never import this: the page reads them without TF.js. */
export interface ModelImplementation {
  spec: ModelSpec;
  create(params: ParamValues<ParamSchema>, context: ModelContext): GenerativeModel;
}

/** Binds a model class to its spec; S is the spec's parameter schema, so create gets typed values. */
export function implement<S extends ParamSchema>(spec: ModelSpec, create: (params: ParamValues<S>, context: ModelContext) => GenerativeModel): ModelImplementation {
  return { spec, create: create as ModelImplementation['create'] };
}
