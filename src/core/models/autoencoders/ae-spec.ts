/**
 * The plain autoencoder as the page and the share links know it: its settings and its card.
 * Kept apart from the model's code (./autoencoder.ts), which needs TF.js and is imported
 * only when a run starts.
 */
import { ADAM_OPTIMIZER } from '../../params/optimizer-params';
import { defineParams } from '../../params/schema';
import { defineModel, type ChartSpec, type ModelSpec } from '../model';
import { ACTIVATION_PARAM, EXPLORER_PARAMS, RECON_PARAM } from './params';

export const AUTOENCODER_PARAMS = defineParams([
  {
    kind: 'int',
    key: 'bottleneck',
    label: 'Bottleneck size',
    help: 'Length of the code z. At 2 the scatter shows the codes themselves (otherwise their first two principal components); larger codes reconstruct more detail. On 2-D points, 1 squeezes every point onto a curve.',
    default: 2,
    min: 1,
    max: 64,
  },
  {
    kind: 'int-list',
    key: 'hidden',
    label: 'Hidden widths',
    help: 'Widths of the encoder\'s hidden layers, comma-separated; the decoder mirrors them.',
    default: [256, 64],
    min: 4,
    max: 1024,
    minLength: 1,
    maxLength: 4,
  },
  ACTIVATION_PARAM,
  RECON_PARAM,
  ...EXPLORER_PARAMS,
]);
/** The loss of the plain, convolutional and denoising autoencoders. */
export const RECONSTRUCTION_TERM = {
  key: 'loss',
  plain: 'how far the rebuilt example is from the original',
  label: 'reconstruction error',
  unit: 'error per example',
  help: 'Squared error or cross-entropy, summed over the pixels of an image (or the two coordinates of a point).',
} as const;

/** Every autoencoder's first chart: its whole loss, titled in plain words. */
export const LOSS_CHART: ChartSpec = { id: 'loss', title: 'Loss: how far off it still is (lower is better)', terms: ['loss'] };

export const AUTOENCODER: ModelSpec = defineModel({
  id: 'ae',
  name: 'Autoencoder',
  family: 'Autoencoders',
  paper: {
    title: 'Reducing the Dimensionality of Data with Neural Networks',
    authors: 'G. E. Hinton and R. R. Salakhutdinov',
    year: 2006,
    url: 'https://www.science.org/doi/10.1126/science.1127647',
  },
  card: {
    summary:
      'An encoder squeezes each image into a short code (the bottleneck); a decoder rebuilds the image from that code. ' +
      'Because the code is narrow, the network cannot copy its input and must learn what matters. ' +
      'Sampling a new code and decoding it turns the autoencoder into a (rough) generator.',
    objectiveTex: '\\mathcal{L}(x, \\hat{x}) = \\sum_i (x_i - \\hat{x}_i)^2, \\quad \\hat{x} = g(f(x))',
    objectiveText: 'Loss equals the sum over pixels of (x_i minus x-hat_i) squared, where x-hat is the decoder applied to the encoder\'s code of x.',
    watchFor: [
      'Reconstructions sharpen as the loss falls, but stay blurry: squared error averages over plausible images.',
      'With a 2-D bottleneck the codes of different digits form separate clusters, though no label was used. Press on the scatter to decode any point: between clusters, images morph.',
      'Samples from the fitted Gaussian are often worse than reconstructions: nothing made the codes Gaussian (the VAE fixes that).',
      'A wider bottleneck lowers the loss; a 1-D bottleneck can only order images along one line.',
      'On the spiral with a 1-D bottleneck, the decoder draws one curve through the data: every point is replaced by the nearest point of a line the network learned. That curve is what a bottleneck does, in a picture.',
    ],
  },
  dataKinds: ['image', 'points'],
  generates: true,
  firstResults: {
    image: { steps: 300, text: 'the grey blurs in the reconstructions turn into recognisable {items}' },
    points: { steps: 1500, text: 'the reconstructions settle onto a curve through the data' },
  },
  terms: [RECONSTRUCTION_TERM],
  charts: [LOSS_CHART],
  optimizer: ADAM_OPTIMIZER,
  memoryHints: ['hidden'],
  params: AUTOENCODER_PARAMS,
  load: () => import('./autoencoder').then((module) => module.AUTOENCODER_FACTORY),
});
