/**
 * What a checkpoint keeps of a model, and how the parts of a model contribute to it.
 *
 * A model's state is its tensors (weights, the optimizers' moment estimates and step
 * counts) and a few plain numbers (where its random sources stand). Each part (a network's
 * optimizer, a noise source) saves under its own name, so a state saved by one build of a
 * model loads into another build of the same configuration: names are positions, never
 * TF.js's global variable names, which count up with every model built in the process.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../random';

export interface ModelState {
  /** Copies: the caller's to dispose. */
  tensors: tf.NamedTensorMap;
  numbers: Record<string, number>;
}

/** A part of a model that has state: saves copies of it, and puts a saved state back. */
export interface StatePart {
  save(): Promise<ModelState>;
  load(state: ModelState): Promise<void>;
}

/** The named parts as one: each part's names get its name and a slash in front. */
export function combineParts(parts: Readonly<Record<string, StatePart>>): StatePart {
  return {
    async save() {
      const state: ModelState = { tensors: {}, numbers: {} };
      for (const [name, part] of Object.entries(parts)) {
        const saved = await part.save();
        for (const [key, tensor] of Object.entries(saved.tensors)) state.tensors[`${name}/${key}`] = tensor;
        for (const [key, value] of Object.entries(saved.numbers)) state.numbers[`${name}/${key}`] = value;
      }
      return state;
    },
    async load(state) {
      for (const [name, part] of Object.entries(parts)) await part.load(subState(state, name));
    },
  };
}

/** The entries of `state` under `name/`, with that prefix taken off. */
function subState(state: ModelState, name: string): ModelState {
  const prefix = `${name}/`;
  const pick = <T>(record: Record<string, T>) =>
    Object.fromEntries(Object.entries(record).flatMap(([key, value]) => (key.startsWith(prefix) ? [[key.slice(prefix.length), value]] : [])));
  return { tensors: pick(state.tensors), numbers: pick(state.numbers) };
}

/** A random source's position in its sequence. */
export function randomPart(random: Random): StatePart {
  return {
    save: async () => ({ tensors: {}, numbers: { state: random.getState() } }),
    load: async ({ numbers }) => {
      if (typeof numbers.state !== 'number') throw new Error('The checkpoint has no state for a random source of this model');
      random.setState(numbers.state);
    },
  };
}

/**
 * Writes saved values into existing variables, by position: `values[prefix + i]` into
 * variables[i]. A missing value or another shape means the checkpoint belongs to another
 * configuration, and is refused before anything is written.
 */
export function assignVariables(variables: readonly tf.Variable[], tensors: tf.NamedTensorMap, prefix: string): void {
  variables.forEach((variable, i) => {
    const value = tensors[`${prefix}${i}`];
    if (!value) throw new Error(`The checkpoint has no value for ${prefix}${i}: it was saved by another model or configuration`);
    if (!tf.util.arraysEqual(value.shape, variable.shape)) {
      throw new Error(`The checkpoint's ${prefix}${i} is ${JSON.stringify(value.shape)}, the model's is ${JSON.stringify(variable.shape)}: it was saved by another configuration`);
    }
  });
  if (tensors[`${prefix}${variables.length}`]) throw new Error(`The checkpoint has more ${prefix} values than the model has variables: it was saved by another configuration`);
  variables.forEach((variable, i) => variable.assign(tensors[`${prefix}${i}`]));
}

/** Frees every tensor of a state. */
export function disposeState(state: ModelState): void {
  tf.dispose(Object.values(state.tensors));
}

/** Weights no optimizer holds (batch normalization's moving mean and variance): saved and put back by position. */
export function nonTrainablePart(...models: tf.LayersModel[]): StatePart {
  const variables = () => models.flatMap((model) => model.nonTrainableWeights.map((weight) => weight.read() as tf.Variable));
  return {
    save: async () => ({ tensors: Object.fromEntries(variables().map((variable, i) => [`${i}`, variable.clone()])), numbers: {} }),
    load: async ({ tensors }) => assignVariables(variables(), tensors, ''),
  };
}
