/**
 * The plain autoencoder as the page and the share links know it: its settings and its card.
 * Kept apart from the model's code, which needs TF.js, so that the page never loads it:
 * only the training worker does.
 */
import { defineParams } from '../../params/schema';
import { defineModel } from '../model';
import { EXPLORER_PARAMS } from './latent-explorer';

export const AUTOENCODER_PARAMS = defineParams([
  {
    kind: 'int',
    key: 'bottleneck',
    label: 'Bottleneck size',
    help: 'Length of the code z. At 2 the scatter shows the codes themselves (otherwise their first two principal components); larger codes reconstruct more detail.',
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
  {
    kind: 'choice',
    key: 'activation',
    label: 'Activation',
    help: 'Nonlinearity of the hidden layers.',
    default: 'relu',
    choices: [
      { value: 'relu', label: 'ReLU' },
      { value: 'elu', label: 'ELU' },
      { value: 'tanh', label: 'tanh' },
    ],
  },
  {
    kind: 'choice',
    key: 'recon',
    label: 'Reconstruction loss',
    help: 'Squared error (as in the mission text) or Bernoulli cross-entropy of the pixels.',
    default: 'mse',
    choices: [
      { value: 'mse', label: 'Squared error' },
      { value: 'bce', label: 'Cross-entropy' },
    ],
  },
  ...EXPLORER_PARAMS,
]);
export const AUTOENCODER = defineModel({
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
    ],
  },
  terms: [{ key: 'loss', label: 'reconstruction error', unit: 'per image', help: 'Squared error or cross-entropy, summed over the pixels of an image.' }],
  params: AUTOENCODER_PARAMS,
});
