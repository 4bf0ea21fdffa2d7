/**
 * The contract every model family implements (docs/architecture.md tells the story).
 *
 * A family is a folder under models/: a spec (settings, card, charts; no TF.js, so the page
 * can read it) and the code the spec's `load()` imports lazily (only the worker, the runner
 * and the tests ever call it). The training session drives a GenerativeModel through
 * `step`, reads its terms, runs its evaluations at their own cadence, draws its views, and
 * runs its actions as cancellable jobs.
 */
import type * as tf from '@tensorflow/tfjs';
import type { DataKind, DataSpec } from '../datasets/catalog';
import type { Dataset } from '../datasets/dataset';
import type { ParamSchema, ParamValue, ParamValues } from '../params/schema';
import type { Random } from '../random';
import type { JobContext } from '../training/jobs';
import type { StatePart } from '../training/model-state';
import type { ViewPanel } from '../views/panels';

/**
 * Named scalars a training step reports. Any names: a GAN's discriminator phase reports
 * other terms than its generator phase, and charts merge them by name.
 */
export type StepTerms = Record<string, tf.Scalar>;

export interface StepContext {
  /** The run's data: a model draws its own batches (a GAN draws one per discriminator step). */
  data: Dataset;
  /** The run's seeded source of batches and noise: the same seed gives the same run. */
  random: Random;
  batchSize: number;
  /**
   * One phase alone (the page's "step the discriminator"). Absent: a whole training step,
   * every phase as the model schedules them (k discriminator steps, then one generator step).
   */
  phase?: string;
}

export interface ViewContext {
  data: Dataset;
  /** Seeded the same at every refresh, so samples drawn for a view can be compared over time. */
  random: Random;
  /** Views run beside training: long ones check in between chunks of work. */
  job: JobContext;
}

export interface SampleOptions {
  random: Random;
  /** The run's data, for models that fit something to it first (the plain autoencoder's code Gaussian). */
  data: Dataset;
  /** For samplers that take long (pixel by pixel): progress, cancellation. */
  job?: JobContext;
  /** A person is watching (the page's "Draw new samples"): a slow sampler may show its work through the job as it goes. */
  watched?: boolean;
}

/**
 * A held-out figure (or several) with its own size and cadence. The session awaits it in
 * chunks, so a pause or reset cancels it between chunks, and the handler spaces runs so
 * that evaluating never takes more than a fifth of the time.
 */
export interface Evaluation {
  id: string;
  /** What it is computed on, for the page: "1,000 test images". */
  basis: string;
  /**
   * 'refresh': with the views, and brought up to date whenever training stops (cheap
   * figures). A number: at most every so many ms while training (costly figures, such as
   * an importance-weighted bound). 'on-demand': only when the page asks.
   */
  cadence: 'refresh' | number | 'on-demand';
  /**
   * A costly figure that says nothing of an untrained model (the quality of samples drawn
   * from random weights): first computed one cadence into training, not at step 0.
   */
  waitsForTraining?: boolean;
  /**
   * Its figures keep their own names in the runner's summary (`modes_covered`, `grid_kl`),
   * not `test_` ones: they judge samples or a grid, the same way for every model, rather
   * than the model on the test split.
   */
  ownNames?: boolean;
  run(context: EvaluationContext): Promise<Record<string, number>>;
  /** Panels drawn from its latest run (the classes of the samples), sent with its figures. */
  panels?(): ViewPanel[];
}

export interface EvaluationContext {
  data: Dataset;
  job: JobContext;
}

/** What an action may use besides its payload: the run's data (test images to complete). */
export interface ActionContext {
  data: Dataset;
}

/** Long work the page asks for (decode this point, animate a sampler): streams panels through its job. */
export type Action = (payload: unknown, job: JobContext, context: ActionContext) => Promise<void>;

/** A trainable generative model. Every tensor it returns is the caller's to dispose. */
export interface GenerativeModel {
  /** One training step, or one phase of one (context.phase): optimizer updates, and the terms to chart. */
  step(context: StepContext): StepTerms;
  /** n new examples shaped like the data ([n, H, W, C] in [0, 1], or [n, 2]). Absent: the model cannot generate. */
  sample?(n: number, options: SampleOptions): Promise<tf.Tensor>;
  /** Held-out figures, each at its own cadence. */
  readonly evaluations: readonly Evaluation[];
  /** The model's live views: reconstructions, samples, latent scatter... */
  views(context: ViewContext): Promise<ViewPanel[]>;
  /** What the page may ask of it by name; any other name is answered with an error at once. */
  readonly actions?: Readonly<Record<string, Action>>;
  /** New values of the settings its schemas mark `live` (a learning rate, a noise level), mid-run. */
  setParams?(values: Readonly<Record<string, ParamValue>>): void;
  /**
   * Bytes a training step needs at this batch size, estimated from the shapes. A run that
   * needs more than a tab can count on is refused before it starts, naming the settings
   * to lower (the spec's `memoryHints`).
   */
  memoryEstimate?(batchSize: number): number;
  /**
   * Its whole training state (weights, optimizer moments, its own random sources), for
   * checkpoints: a run resumed from one takes the steps the original would have taken.
   * Absent: its runs are kept without weights and start again after a reload.
   */
  readonly state?: StatePart;
  /** Frees every variable and the optimizers' state. */
  dispose(): void;
}

export interface ModelContext {
  /** The data it will train on: a model sizes its networks from the spec's shape. */
  data: DataSpec;
  /** Seeds the initial weights and any noise source of its own. */
  random: Random;
}

/** A short explanation shown beside the controls, in our own words. */
export interface ModelCard {
  summary: string;
  /** The objective, in TeX (rendered by KaTeX). */
  objectiveTex: string;
  objectiveText: string;
  watchFor: readonly string[];
  /** Words for one kind of data in place of the general ones (a GAN on images has no heatmap of the plane). */
  forKind?: Partial<Record<DataKind, Pick<ModelCard, 'summary' | 'watchFor'>>>;
}

/** The card's words for a run on `kind` of data: its forKind words where it has them, else the general ones. */
export function cardFor(card: ModelCard, kind: DataKind | undefined): ModelCard {
  return { ...card, ...(kind ? card.forKind?.[kind] : undefined) };
}

/** How the page labels a term a step or an evaluation reports (by its key): plain words first, the formal name beside them. */
export interface TermInfo {
  key: string;
  /** What it means, in plain words: "how well it rebuilds the image". */
  plain: string;
  /** Its formal name: "reconstruction -log p(x|z)". */
  label: string;
  /** e.g. "nats per image", "bits per dimension". */
  unit: string;
  help?: string;
  /** A figure for the curious, folded under "more" (a tighter bound, bits per dimension). */
  advanced?: boolean;
  /** A count (modes, classes): written as a whole number, "6", not "6.00". */
  count?: boolean;
}

/** One chart of the page: which terms it draws, training values and held-out ones. */
export interface ChartSpec {
  id: string;
  title: string;
  terms: readonly string[];
  /** 'log' for parts of a loss that differ by orders of magnitude. No axis is anchored at 0 when a value goes below it. */
  scale?: 'linear' | 'log';
  /** The kinds of data whose runs have its terms (a figure computed on points only); absent: every kind the model takes. */
  dataKinds?: readonly DataKind[];
}

/** The charts a run of `model` on `kind` of data shows, in order: none left empty for want of its terms. */
export function chartsFor(model: Pick<ModelSpec, 'charts'>, kind: DataKind): readonly ChartSpec[] {
  return model.charts.filter((chart) => !chart.dataKinds || chart.dataKinds.includes(kind));
}

/** What a person should see in the first minute, and after about how many steps: "the grey blurs sharpen into {items}". */
export interface FirstResults {
  steps: number;
  /** `{items}` becomes the dataset's word for its examples: digits, clothes. */
  text: string;
}

/** Settings for a smaller, faster run: offered when the model is slow on this machine. */
export interface Preset {
  label: string;
  values: Readonly<Record<string, number | string | readonly number[]>>;
}

/** A configuration that makes one of the card's claims happen (mode collapse, and its cure), offered in the page as a share link. */
export interface Demonstration {
  id: string;
  label: string;
  /** What to watch, and what it shows. */
  text: string;
  dataset: string;
  /** Settings that differ from the defaults. */
  values: Readonly<Record<string, ParamValue>>;
  /**
   * How `npm run demonstrations` checks that it shows what `text` says: trains it for
   * `steps` for a few seeds and prints the `watch` figures every `every` steps.
   */
  check: { steps: number; every: number; watch: readonly string[] };
}

/** Long work the page offers as a button beside the views (a film of the sampler): one of the model's actions, run as a job. */
export interface JobOffer {
  /** The action's name among the model's `actions`. */
  action: string;
  title: string;
  /** The button's words: "Watch one image being drawn". */
  button: string;
  /** What it shows, in plain words, before it is run. */
  help: string;
  /** Offered only on these kinds of data; absent: on every kind the model trains on. */
  dataKinds?: readonly DataKind[];
}

/** A part of a training step the page can run on its own (a GAN's discriminator update). */
export interface PhaseInfo {
  id: string;
  label: string;
}

export interface ModelSpec<S extends ParamSchema = ParamSchema> {
  /** Public, stable: appears in share links. */
  id: string;
  name: string;
  family: string;
  paper: { title: string; authors: string; year: number; url: string };
  card: ModelCard;
  /** The kinds of data it trains on; the page offers only those datasets. */
  dataKinds: readonly DataKind[];
  /** What a person should see first on each kind of data, and when. */
  firstResults: Partial<Record<DataKind, FirstResults>>;
  /** A smaller setting that still shows the idea, for machines on which the default is slow. */
  smallPreset?: Preset;
  /** Configurations that show the card's claims happening, each a share link in the page. */
  demonstrations?: readonly Demonstration[];
  /** It can generate new examples (its model has `sample`): the page offers to draw some. */
  generates: boolean;
  /**
   * Samples the sample-quality figures on images are computed on, where the model's sampler
   * is too slow for the usual 1,000 (QUALITY_SAMPLES): its figures say so in their basis,
   * and compare only with runs at the same count.
   */
  qualitySamples?: number;
  /** Jobs the page offers beside the views, each one of its model's actions. */
  jobs?: readonly JobOffer[];
  /** Labels for every term its steps and evaluations report. */
  terms: readonly TermInfo[];
  /** The charts, in order; the first (on every kind of data it takes) is the one the page shows first. */
  charts: readonly ChartSpec[];
  phases?: readonly PhaseInfo[];
  /** Its optimizers' settings: one learning rate, one per network, or none at all. */
  optimizer: ParamSchema;
  /** Keys of the settings that make it big (beside the batch size): what to lower when a run would not fit in memory. */
  memoryHints?: readonly string[];
  /** Everything else it can be set to: sizes, losses, noise... */
  params: S;
  /** Its code, imported on first use: the page never loads it, the worker only for the models it runs. */
  load(): Promise<ModelFactory>;
}

/** Keeps the parameter types of one model while the registry holds them all. */
export function defineModel<const S extends ParamSchema>(spec: ModelSpec<S>): ModelSpec {
  return spec as unknown as ModelSpec;
}

/** A model's code, bound to its spec. */
export interface ModelFactory {
  spec: ModelSpec;
  create(values: Readonly<Record<string, ParamValue>>, context: ModelContext): GenerativeModel;
}

/** Binds a model class to its spec; S is the schema of its settings (optimizer's and model's), so create gets typed values. */
export function implement<S extends ParamSchema>(spec: ModelSpec, create: (values: ParamValues<S>, context: ModelContext) => GenerativeModel): ModelFactory {
  return { spec, create: create as unknown as ModelFactory['create'] };
}

/** True if the model trains on this data; else why not, in a sentence. */
export function acceptsData(model: ModelSpec, data: DataSpec): true | string {
  if (model.dataKinds.includes(data.kind)) return true;
  const wants = model.dataKinds.map((kind) => (kind === 'image' ? 'images' : '2-D points')).join(' or ');
  return `${model.name} trains on ${wants}, and ${data.name} is ${data.kind === 'image' ? 'a set of images' : 'a set of 2-D points'}`;
}
