/**
 * Every model the playground offers. Adding a model is one file and one line here; the
 * page, the share links and the command-line runner read this list.
 */
import { AUTOENCODER } from './autoencoder';
import { CONV_AUTOENCODER } from './conv-autoencoder';
import { DENOISING_AUTOENCODER } from './denoising-autoencoder';
import type { ModelSpec } from './model';
import { VAE } from './vae';

export const MODELS: readonly ModelSpec[] = [AUTOENCODER, CONV_AUTOENCODER, DENOISING_AUTOENCODER, VAE];

export function findModel(id: string): ModelSpec | undefined {
  return MODELS.find((model) => model.id === id);
}
