/**
 * The convolutional autoencoder as the page and the share links know it: its settings and its card.
 * Its code is the plain autoencoder's (./autoencoder.ts) with convolutional networks.
 */
import { ADAM_OPTIMIZER } from '../../params/optimizer-params';
import { defineParams } from '../../params/schema';
import { defineModel, type ModelSpec } from '../model';
import { LOSS_CHART, RECONSTRUCTION_TERM } from './ae-spec';
import { ACTIVATION_PARAM, EXPLORER_PARAMS, RECON_PARAM } from './params';

export const CONV_AUTOENCODER_PARAMS = defineParams([
  {
    kind: 'int-list',
    key: 'channels',
    label: 'Channels',
    help: 'Filters of each stride-2 convolution, comma-separated: each layer halves the resolution (28, 14, 7, 4). The decoder mirrors them.',
    default: [16, 32],
    min: 4,
    max: 128,
    minLength: 1,
    maxLength: 3,
  },
  {
    kind: 'int',
    key: 'bottleneck',
    label: 'Bottleneck size',
    help: 'Length of a dense code after the last convolution. 0: no dense layer at all, the smallest feature map is the code. At 2 the scatter shows the codes themselves, otherwise their first two principal components.',
    default: 16,
    min: 0,
    max: 64,
  },
  {
    kind: 'choice',
    key: 'upsampling',
    label: 'Upsampling',
    help: 'How the decoder doubles the resolution: copy each value to a 2x2 block (nearest) or interpolate (bilinear), then convolve; or one transposed convolution, which can leave a checkerboard pattern.',
    default: 'nearest',
    advanced: true,
    choices: [
      { value: 'nearest', label: 'Nearest + conv' },
      { value: 'bilinear', label: 'Bilinear + conv' },
      { value: 'transpose', label: 'Transposed conv' },
    ],
  },
  ACTIVATION_PARAM,
  RECON_PARAM,
  ...EXPLORER_PARAMS,
]);
export const CONV_AUTOENCODER: ModelSpec = defineModel({
  id: 'conv-ae',
  name: 'Convolutional autoencoder',
  family: 'Autoencoders',
  paper: {
    title: 'Stacked Convolutional Auto-Encoders for Hierarchical Feature Extraction',
    authors: 'J. Masci, U. Meier, D. Cireşan and J. Schmidhuber',
    year: 2011,
    url: 'https://link.springer.com/chapter/10.1007/978-3-642-21735-7_7',
  },
  card: {
    summary:
      'An autoencoder built from convolutions instead of fully connected layers. The encoder shrinks the image with ' +
      'stride-2 convolutions (28 to 14 to 7 pixels) while adding channels; the decoder scales it back up with upsampling ' +
      'and convolutions. Each small filter is reused at every position, so the network needs far fewer weights than a ' +
      'dense autoencoder. An optional dense bottleneck squeezes the smallest feature map into a short code.',
    objectiveTex: '\\mathcal{L}(x, \\hat{x}) = \\sum_i (x_i - \\hat{x}_i)^2, \\quad \\hat{x} = g(f(x))',
    objectiveText:
      'Loss equals the sum over pixels of (x_i minus x-hat_i) squared, where x-hat is the convolutional decoder g applied to the convolutional encoder\'s code f(x).',
    watchFor: [
      'With a 16-number code it reconstructs better than the dense autoencoder with the same code, from about 70,000 weights against 440,000.',
      'With bottleneck 0 the code is the whole 7 x 7 feature map: 7 x 7 x 32 = 1568 numbers, twice the 784 pixels. ' +
        'Reconstructions become nearly perfect, but samples from a Gaussian over that map are pieces of strokes, not digits: nothing was squeezed.',
      'Transposed convolutions learn more slowly here and leave a mottled texture: 3 x 3 kernels at stride 2 overlap unevenly (the "checkerboard" artifact). Upsampling followed by a convolution avoids it.',
      'With a 2-D bottleneck the scatter shows the codes of test images themselves, to compare with the dense autoencoder\'s; press on it to decode any point.',
    ],
  },
  dataKinds: ['image'],
  generates: true,
  firstResults: { image: { steps: 250, text: 'the grey blobs in the reconstructions turn into recognisable {items}' } },
  smallPreset: { label: 'Smaller and faster: 8 and 16 channels, 32 images a step', values: { channels: [8, 16], batch: 32 } },
  terms: [RECONSTRUCTION_TERM],
  charts: [LOSS_CHART],
  optimizer: ADAM_OPTIMIZER,
  memoryHints: ['channels'],
  params: CONV_AUTOENCODER_PARAMS,
  load: () => import('./autoencoder').then((module) => module.CONV_AUTOENCODER_FACTORY),
});
