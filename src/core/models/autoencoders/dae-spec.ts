/**
 * The denoising autoencoder as the page and the share links know it: its settings and its card.
 * Kept apart from the model's code (./denoising.ts), which needs TF.js and is imported
 * only when a run starts.
 */
import { ADAM_OPTIMIZER } from '../../params/optimizer-params';
import { defineParams } from '../../params/schema';
import { defineModel, type ModelSpec } from '../model';
import { LOSS_CHART, RECONSTRUCTION_TERM } from './ae-spec';
import { ACTIVATION_PARAM, EXPLORER_PARAMS, RECON_PARAM } from './params';

export const DAE_PARAMS = defineParams([
  {
    kind: 'choice',
    key: 'noise',
    live: true,
    label: 'Noise',
    help: 'How inputs are corrupted: pixels set to 0 (masking, as in the paper), pixels set to 0 or 1 (salt and pepper), or Gaussian noise added to every pixel.',
    default: 'masking',
    choices: [
      { value: 'masking', label: 'Masking' },
      { value: 'salt-pepper', label: 'Salt and pepper' },
      { value: 'gaussian', label: 'Gaussian' },
    ],
  },
  {
    kind: 'number',
    key: 'level',
    live: true,
    label: 'Noise level',
    help: 'The fraction of pixels hit (masking, salt and pepper), or the standard deviation of the Gaussian noise. At 0 this is a plain autoencoder.',
    default: 0.3,
    min: 0,
    max: 1,
    step: 0.01,
  },
  {
    kind: 'int-list',
    key: 'hidden',
    label: 'Hidden widths',
    help: 'Widths of the encoder\'s layers, comma-separated; the last is the code, and the decoder mirrors the others. Wider than the 784 pixels, only the noise stops the network from copying its input.',
    default: [1024],
    min: 4,
    max: 2048,
    minLength: 1,
    maxLength: 3,
  },
  ACTIVATION_PARAM,
  RECON_PARAM,
  ...EXPLORER_PARAMS,
]);
export const DENOISING_AUTOENCODER: ModelSpec = defineModel({
  id: 'dae',
  name: 'Denoising autoencoder',
  family: 'Autoencoders',
  paper: {
    title: 'Extracting and Composing Robust Features with Denoising Autoencoders',
    authors: 'P. Vincent, H. Larochelle, Y. Bengio and P.-A. Manzagol',
    year: 2008,
    url: 'https://www.cs.toronto.edu/~larocheh/publications/icml-2008-denoising-autoencoders.pdf',
  },
  card: {
    summary:
      'An autoencoder that sees a corrupted image (some pixels erased, or noise added) and must rebuild the clean one. ' +
      'Its code can be wider than the image: a plain autoencoder that wide could just copy its input and learn nothing, ' +
      'but copying a noisy input does not give back the clean image, so the network has to learn what images look like.',
    objectiveTex: '\\mathcal{L}(x, \\hat{x}) = \\sum_i (x_i - \\hat{x}_i)^2, \\quad \\hat{x} = g(f(\\tilde{x})), \\quad \\tilde{x} \\sim q(\\tilde{x} \\mid x)',
    objectiveText:
      'Loss equals the sum over pixels of (x_i minus x-hat_i) squared, where x-hat is the decoder applied to the code of a corrupted copy x-tilde of x, and the target x is the clean image.',
    watchFor: [
      'The held-out "denoising gain": how much closer the reconstruction is to the clean image than the noisy input was. It starts below zero and climbs above it as the model learns to fill in erased strokes.',
      'At noise level 0 the same wide network is a plain autoencoder: its loss falls lower, because copying the input is now the right answer, ' +
        'and nothing makes it learn more than that.',
      'See it copy: train a while at noise level 0, pause, and set the level to 0.5 (it changes live, the network stays). ' +
        'The reconstructions keep most of the holes and the denoising gain is small (about 9 after 1,000 steps on MNIST, against 29 for the same network trained with that noise): ' +
        'it learned to copy. Press Train again and watch it learn to fill them in.',
      'Masked pixels come back, but the reconstructions are smoother than the clean images: squared error averages over the strokes the noise could have hidden.',
    ],
  },
  dataKinds: ['image'],
  generates: false,
  firstResults: { image: { steps: 300, text: 'the rebuilt images fill in the erased strokes of the {items}' } },
  smallPreset: { label: 'Smaller and faster: 256 hidden units, 32 images a step', values: { hidden: [256], batch: 32 } },
  terms: [
    { ...RECONSTRUCTION_TERM, plain: 'how far the rebuilt image is from the clean one', help: 'Squared error or cross-entropy between the clean image and the reconstruction of its corrupted copy, summed over the pixels of an image.' },
    {
      key: 'denoise_gain',
      plain: 'how much noise it removes',
      label: 'denoising gain',
      unit: 'squared error per image',
      help: 'Held-out only: squared error of the noisy input minus that of the reconstruction, both against the clean image. Above 0 the model removes noise.',
    },
  ],
  charts: [
    LOSS_CHART,
    { id: 'denoising', title: 'How much noise it removes, on held-out images (higher is better)', terms: ['denoise_gain'] },
  ],
  optimizer: ADAM_OPTIMIZER,
  memoryHints: ['hidden'],
  params: DAE_PARAMS,
  load: () => import('./denoising').then((module) => module.DENOISING_AUTOENCODER_FACTORY),
});
