/**
 * Every model the playground offers, as the page, the share links and the command-line
 * runner know it: settings, card, charts. A family is a folder beside this file; each of
 * its models is one line here. Nothing here imports TF.js: each spec's `load()` imports
 * its code when a run needs it.
 */
import { AUTOENCODER } from './autoencoders/ae-spec';
import { CONV_AUTOENCODER } from './autoencoders/conv-ae-spec';
import { DENOISING_AUTOENCODER } from './autoencoders/dae-spec';
import { VAE } from './autoencoders/vae-spec';
import { PIXELCNN } from './autoregressive/pixelcnn-spec';
import { PIXELCNNPP } from './autoregressive/pixelcnnpp-spec';
import { PIXELRNN } from './autoregressive/pixelrnn-spec';
import { EBM } from './energy/ebm-spec';
import { RBM } from './energy/rbm-spec';
import { GAN } from './gan/gan-spec';
import type { ModelSpec } from './model';

export const MODELS: readonly ModelSpec[] = [AUTOENCODER, CONV_AUTOENCODER, DENOISING_AUTOENCODER, VAE, GAN, PIXELCNN, PIXELCNNPP, PIXELRNN, EBM, RBM];

export function findModel(id: string): ModelSpec | undefined {
  return MODELS.find((model) => model.id === id);
}
