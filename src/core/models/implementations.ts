/**
 * The code behind each model of the registry (index.ts), for the training worker, the
 * runner and the tests. Kept apart from the registry so that the page never loads TF.js.
 */
import { AUTOENCODER_IMPLEMENTATION } from './autoencoder';
import { CONV_AUTOENCODER_IMPLEMENTATION } from './conv-autoencoder';
import { DENOISING_AUTOENCODER_IMPLEMENTATION } from './denoising-autoencoder';
import type { GenerativeModel, ModelContext, ModelImplementation } from './model';
import type { ParamValues, ParamSchema } from '../params/schema';
import { VAE_IMPLEMENTATION } from './vae';

export const IMPLEMENTATIONS: readonly ModelImplementation[] = [
  AUTOENCODER_IMPLEMENTATION,
  CONV_AUTOENCODER_IMPLEMENTATION,
  DENOISING_AUTOENCODER_IMPLEMENTATION,
  VAE_IMPLEMENTATION,
];

/** A new model of the registered kind `id`, from values its schema has validated. */
export function createModel(id: string, params: ParamValues<ParamSchema>, context: ModelContext): GenerativeModel {
  const implementation = IMPLEMENTATIONS.find((candidate) => candidate.spec.id === id);
  if (!implementation) throw new Error(`No implementation for model "${id}"`);
  return implementation.create(params, context);
}
