/**
 * Every model the playground offers, as the page, the share links and the command-line
 * runner know it: settings, card, loss terms. Adding a model is a spec in specs/, its code
 * beside it, and one line here and in implementations.ts. Nothing here imports TF.js.
 */
import type { ModelSpec } from './model';
import { AUTOENCODER } from './specs/autoencoder';
import { CONV_AUTOENCODER } from './specs/conv-autoencoder';
import { DENOISING_AUTOENCODER } from './specs/denoising-autoencoder';
import { VAE } from './specs/vae';

export const MODELS: readonly ModelSpec[] = [AUTOENCODER, CONV_AUTOENCODER, DENOISING_AUTOENCODER, VAE];

export function findModel(id: string): ModelSpec | undefined {
  return MODELS.find((model) => model.id === id);
}
