/**
 * PixelCNN++ as the page and the share links know it: its settings (one switch for each
 * change the paper makes), card and charts. The code (./pixelcnnpp.ts) is imported when a
 * run starts.
 */
import { ADAM_OPTIMIZER } from '../../params/optimizer-params';
import { defineParams } from '../../params/schema';
import { defineModel, type ModelSpec } from '../model';
import { AUTOREGRESSIVE_JOBS, LIKELIHOOD_CHARTS, likelihoodTerms, TEMPERATURE_PARAM } from './autoregressive-spec';

const ON_OFF = [
  { value: 'on', label: 'On' },
  { value: 'off', label: 'Off' },
] as const;

export const PIXELCNNPP_PARAMS = defineParams([
  {
    kind: 'choice',
    key: 'likelihood',
    label: 'Likelihood of a value',
    help:
      'Mixture: each value 0..255 gets the mass a mixture of logistic distributions puts on its bin, so 200 is near 201 and a few numbers describe all 256 values (the edge bins 0 and 255 take the tails to infinity). ' +
      'Softmax: 256 separate scores per value, as in PixelCNN, which must learn every value apart.',
    default: 'mixture',
    choices: [
      { value: 'mixture', label: 'Discretized logistic mixture (the paper)' },
      { value: 'softmax', label: '256-way softmax (PixelCNN)' },
    ],
  },
  { kind: 'int', key: 'components', label: 'Mixture components', help: 'K, the logistic distributions in each mixture. The paper uses 5 to 10; 1 is a single bump per value.', default: 5, min: 1, max: 10, shownWhen: { likelihood: 'mixture' } },
  {
    kind: 'choice',
    key: 'conditioning',
    label: 'Colours of a pixel',
    help:
      'On colour images, how G learns of R and B of R and G. Whole pixels: the network sees only earlier pixels, and one mixture covers the pixel, G\'s mean moving linearly with R and B\'s with R and G (the paper). ' +
      'Masks: as in PixelCNN, the output layers see the pixel\'s own earlier colours through a masked convolution, and each colour has a mixture of its own. A softmax always uses masks. Nothing changes on grey images.',
    default: 'pixel',
    choices: [
      { value: 'pixel', label: 'Whole pixels (linear in earlier colours)' },
      { value: 'masks', label: 'Colours in order, by masks' },
    ],
    shownWhen: { likelihood: 'mixture' },
  },
  { kind: 'choice', key: 'downsampling', label: 'Downsampling', help: 'On: stride-2 convolutions halve the image twice and transposed convolutions double it back, so a few layers see far (the paper). Off: every layer works on the whole image and sees only a few pixels further than the one before.', default: 'on', choices: ON_OFF },
  { kind: 'choice', key: 'shortcuts', label: 'Short-cut connections', help: 'On: each layer on the way back up takes in the output of the layer at the same place on the way down, which keeps the detail that halving the image loses (the paper). Off: everything passes through the smallest image.', default: 'on', choices: ON_OFF },
  {
    kind: 'choice',
    key: 'residual',
    label: 'Residual blocks',
    help: 'Gated: the block\'s output is multiplied by a sigmoid gate before it is added to its input (the paper, after the gated PixelCNN). Plain: it is added as it is.',
    default: 'gated',
    choices: [
      { value: 'gated', label: 'Gated' },
      { value: 'plain', label: 'Plain' },
    ],
  },
  { kind: 'number', key: 'dropout', label: 'Dropout', help: 'Share of the units on each residual path set to 0 at every training step (never on held-out data). The paper uses 0.5 against overfitting; with a long run on few images, 0 lets the training and held-out curves part.', default: 0, min: 0, max: 0.8, step: 0.05 },
  { kind: 'int', key: 'filters', label: 'Feature maps', help: 'Channels of every layer of both streams. The paper uses 160.', default: 16, min: 4, max: 128 },
  { kind: 'int', key: 'blocks', label: 'Blocks per scale', help: 'Residual blocks at each of the three scales on the way down (one more on the way up). The paper uses 5.', default: 1, min: 1, max: 5 },
  {
    kind: 'int',
    key: 'train_images',
    label: 'Training images',
    help: 'Train on only the first this many training images (0: all of them). Few images and no dropout: the model learns them by heart, and its held-out bits/dim rise while the training ones fall.',
    default: 0,
    min: 0,
    max: 60000,
    advanced: true,
  },
  TEMPERATURE_PARAM,
]);

export const PIXELCNNPP: ModelSpec = defineModel({
  id: 'pixelcnnpp',
  name: 'PixelCNN++',
  family: 'Autoregressive models',
  paper: {
    title: 'PixelCNN++: Improving the PixelCNN with Discretized Logistic Mixture Likelihood and Other Modifications',
    authors: 'T. Salimans, A. Karpathy, X. Chen and D. P. Kingma',
    year: 2017,
    url: 'https://arxiv.org/abs/1701.05517',
  },
  card: {
    summary:
      'PixelCNN, with the changes that made it the best likelihood model of its time. Each value is predicted from the values before it, as in PixelCNN, but its distribution is a mixture of a few logistic bumps, so neighbouring values get similar probabilities and colour images learn far faster than with a 256-way softmax. ' +
      'The network sees whole earlier pixels through two streams of shifted convolutions (rows above, and pixels to the left: no blind spot), halves the image twice and grows it back, with short-cuts between the two halves. ' +
      'Every change is a switch: turn one off and compare the bits per dimension.',
    objectiveTex:
      '\\begin{aligned}P(x \\mid \\pi, \\mu, s) &= \\sum_{k=1}^{K} \\pi_k \\left[\\sigma\\!\\left(\\tfrac{x + 1/255 - \\mu_k}{s_k}\\right) - \\sigma\\!\\left(\\tfrac{x - 1/255 - \\mu_k}{s_k}\\right)\\right] \\\\ \\mathcal{L} &= -\\frac{1}{n \\ln 2} \\sum_{i=1}^{n} \\log P(x_i \\mid x_{<i}) \\;\\; \\text{bits/dim}\\end{aligned}',
    objectiveText:
      'A value x (scaled to [-1, 1]) gets the mass of a mixture of K logistic distributions on its bin of width 2/255; the bins of 0 and 255 reach to minus and plus infinity. The loss is the negative log-likelihood of the image, in bits per dimension.',
    watchFor: [
      'Bits per dimension, training and held-out on one chart. On colour images the mixture falls far below what PixelCNN\'s softmax reaches in the same steps: switch the likelihood to softmax to see it.',
      'The receptive field view: no blind spot. The two streams cover everything above the pixel and to its left; with downsampling a few layers reach across the whole image, without it only a small cone.',
      'Short-cuts off, downsampling on: what halving loses cannot come back, and the pixel just to the left drops out of the receptive field.',
      'Dropout on the residual paths: the paper\'s large model overfits CIFAR-10 without it (training below 2.0 bits/dim, held-out above 6.0). Train on a few hundred images (Training images) with dropout 0 and with 0.5, and watch the gap between the curves.',
      'Sampling keeps what each scale has finished and recomputes only the rows the current pixel can change (about 9 times faster than rerunning the network for every value, the same values drawn); still, three scales and the mixture cost about 0.3 s a sample, so the sample-quality figures use 300 samples, not the 1,000 of the other models.',
    ],
  },
  dataKinds: ['image'],
  generates: true,
  // about 0.3 s a sample on WASM with the row cache (./pixelcnnpp-cache.ts): 1,000 would take 5 minutes
  qualitySamples: 300,
  jobs: AUTOREGRESSIVE_JOBS,
  firstResults: { image: { steps: 300, text: 'the samples turn from noise into strokes, then into rough {items}' } },
  smallPreset: { label: 'Smaller and faster: 16 feature maps, 16 images a step', values: { filters: 16, blocks: 1, batch: 16 } },
  terms: likelihoodTerms({ bits: 'The paper reaches 2.92 on CIFAR-10.' }),
  charts: LIKELIHOOD_CHARTS,
  optimizer: ADAM_OPTIMIZER,
  memoryHints: ['filters', 'blocks'],
  params: PIXELCNNPP_PARAMS,
  load: () => import('./pixelcnnpp').then((module) => module.PIXELCNNPP_FACTORY),
});
