/**
 * PixelCNN as the page and the share links know it: its settings, card and charts. The
 * code (./pixelcnn.ts) is imported when a run starts.
 */
import { ADAM_OPTIMIZER } from '../../params/optimizer-params';
import { defineParams } from '../../params/schema';
import { defineModel, type ModelSpec } from '../model';
import { AUTOREGRESSIVE_JOBS, KERNELS, LIKELIHOOD_CHARTS, likelihoodTerms, PIXEL_DATA_PARAM, TEMPERATURE_PARAM } from './autoregressive-spec';

export const PIXELCNN_PARAMS = defineParams([
  PIXEL_DATA_PARAM,
  {
    kind: 'choice',
    key: 'architecture',
    label: 'Architecture',
    help:
      'Plain: stacked masked convolutions, as in the first PixelCNN; up and to the right of each pixel lies a blind spot they never reach. ' +
      'Gated (van den Oord et al. 2016, "Conditional Image Generation with PixelCNN Decoders"): a vertical stack that sees the rows above across the whole window, ' +
      'a horizontal stack that sees the pixels to the left in the row, joined a row down so no future pixel is seen, and tanh x sigmoid gates: no blind spot. ' +
      'A gated step takes about 3 times as long as a plain one of the same size, and in the first 300 steps the two reach about the same bits/dim.',
    default: 'plain',
    choices: [
      { value: 'plain', label: 'Plain (masked convolutions)' },
      { value: 'gated', label: 'Gated (two stacks, no blind spot)' },
    ],
  },
  { kind: 'int', key: 'layers', label: 'Type-B layers', help: 'Masked convolutions of type B after the first (type-A) one, each with a residual connection. More layers see further back, and train slower.', default: 5, min: 1, max: 12 },
  { kind: 'int', key: 'filters', label: 'Feature maps', help: 'Channels of every hidden layer. On colour images they are split in three groups, for R, G and B.', default: 32, min: 4, max: 128 },
  {
    kind: 'choice',
    key: 'kernel',
    label: 'Type-B kernel',
    help: 'Window of the type-B masked convolutions (the rows above the centre and the pixels left of it are seen). Larger windows see further back: with 5 x 5 whole digits appear sooner, where 3 x 3 draws strokes, at about 1.5 times the time a step.',
    default: '5',
    choices: KERNELS,
  },
  { kind: 'choice', key: 'first_kernel', label: 'Type-A kernel', help: 'Window of the first, type-A masked convolution (the paper uses 7 x 7). It never sees the pixel it predicts.', default: '7', advanced: true, choices: KERNELS },
  TEMPERATURE_PARAM,
]);

export const PIXELCNN: ModelSpec = defineModel({
  id: 'pixelcnn',
  name: 'PixelCNN',
  family: 'Autoregressive models',
  paper: { title: 'Pixel Recurrent Neural Networks', authors: 'A. van den Oord, N. Kalchbrenner and K. Kavukcuoglu', year: 2016, url: 'https://arxiv.org/abs/1601.06759' },
  card: {
    summary:
      'An image is read one value at a time, row by row from the top left, and the network predicts each value from the ones before it. ' +
      'The chain rule makes these predictions a whole probability of the image, so the loss is its exact negative log-likelihood: no bound, no adversary. ' +
      'Masked convolutions keep each prediction from peeking at the value it predicts or anything after it; on colour images, R is predicted first, then G (seeing R), then B (seeing R and G). ' +
      'Training predicts every value at once; sampling must draw them one by one, one network pass per value.',
    objectiveTex:
      '\\begin{aligned}p(x) &= \\prod_{i=1}^{n} p(x_i \\mid x_1, \\dots, x_{i-1}) \\\\ \\mathcal{L} &= -\\frac{1}{n \\ln 2} \\sum_{i=1}^{n} \\log p(x_i \\mid x_{<i}) \\;\\; \\text{bits/dim}\\end{aligned}',
    objectiveText:
      'The probability of an image is the product over its n values of the probability of each value given all values before it; the loss is minus the sum of their logs, divided by n ln 2: bits per dimension.',
    watchFor: [
      'Bits per dimension: what one pixel value costs to encode under the model. Training and held-out values on one chart: a gap opening between them is overfitting.',
      'Samples are slow: every value of every pixel is one pass of the network. Rows fill in from the top; early in training they are noise, then strokes, then whole shapes.',
      'The receptive field view: the pixels a prediction depends on, from gradients. Up and to the right of the pixel lies a blind spot that stacked masked convolutions never reach.',
      'Gated architecture: a vertical stack sees every row above within its reach, a horizontal stack the pixels to the left, and the two together leave no blind spot: the receptive field view fills the whole window above the pixel.',
      'Completions keep the top half of a test image and draw the rest: the model continues the strokes it sees.',
      'On colour images in 8 bits the loss falls slowly: to the softmax, 200 is no closer to 201 than to 0, so it must learn every value apart (PixelCNN++ replaces it for that reason). Binarized colour learns in a minute.',
      'Temperature 0 (argmax) makes every sample the same image: the most likely value at each step is not the most likely image.',
    ],
  },
  dataKinds: ['image'],
  generates: true,
  jobs: AUTOREGRESSIVE_JOBS,
  firstResults: { image: { steps: 500, text: 'the samples turn from noise into strokes, then into rough {items}' } },
  smallPreset: { label: 'Smaller and faster: 16 feature maps, 3 type-B layers, 16 images a step', values: { filters: 16, layers: 3, batch: 16 } },
  terms: likelihoodTerms({ nats: 'On binarized MNIST, papers report about 81 nats for PixelCNN and 79 for PixelRNN.' }),
  charts: LIKELIHOOD_CHARTS,
  optimizer: ADAM_OPTIMIZER,
  memoryHints: ['filters', 'layers'],
  params: PIXELCNN_PARAMS,
  load: () => import('./pixelcnn').then((module) => module.PIXELCNN_FACTORY),
});
