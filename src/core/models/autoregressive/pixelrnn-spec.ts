/**
 * PixelRNN as the page and the share links know it: its settings, card and charts. The
 * code (./pixelrnn.ts) is imported when a run starts.
 */
import { ADAM_OPTIMIZER } from '../../params/optimizer-params';
import { defineParams } from '../../params/schema';
import { defineModel, type ModelSpec } from '../model';
import { AUTOREGRESSIVE_JOBS, KERNELS, LIKELIHOOD_CHARTS, likelihoodTerms, PIXEL_DATA_PARAM, TEMPERATURE_PARAM } from './autoregressive-spec';

export const PIXELRNN_PARAMS = defineParams([
  PIXEL_DATA_PARAM,
  {
    kind: 'choice',
    key: 'layer',
    label: 'LSTM layer',
    help:
      'Row LSTM: an LSTM runs down the image a row at a time; each state reads the row above through a 3-wide window, so a pixel sees a triangle above it and misses the rest of the rows above. ' +
      'Diagonal BiLSTM: two LSTMs sweep the image a diagonal at a time, from the left and from the right (that one moved down a row so no future pixel is seen): each pixel sees every value before it but one, the last of the row above (the receptive field view shows it). ' +
      'It does twice the work over a skewed image almost twice as wide, so a step takes about three times as long.',
    default: 'row',
    choices: [
      { value: 'row', label: 'Row LSTM (triangular context, faster)' },
      { value: 'diagonal', label: 'Diagonal BiLSTM (all but one earlier pixel)' },
    ],
  },
  { kind: 'int', key: 'layers', label: 'LSTM layers', help: 'LSTM layers after the first (type-A masked) convolution, each with a residual connection. The paper uses up to 12; each adds its share to a step.', default: 2, min: 1, max: 8 },
  { kind: 'int', key: 'units', label: 'Hidden units', help: 'State size of every LSTM, and feature maps between layers. On colour images they are split in three groups, for R, G and B, and so are the gates.', default: 32, min: 6, max: 96 },
  {
    kind: 'choice',
    key: 'first_kernel',
    label: 'Type-A kernel',
    help: 'Window of the first, masked convolution (the paper uses 7 x 7). It never sees the pixel it predicts.',
    default: '7',
    advanced: true,
    choices: KERNELS,
  },
  TEMPERATURE_PARAM,
]);

export const PIXELRNN: ModelSpec = defineModel({
  id: 'pixelrnn',
  name: 'PixelRNN',
  family: 'Autoregressive models',
  paper: { title: 'Pixel Recurrent Neural Networks', authors: 'A. van den Oord, N. Kalchbrenner and K. Kavukcuoglu', year: 2016, url: 'https://arxiv.org/abs/1601.06759' },
  card: {
    summary:
      'An image is read one value at a time, row by row from the top left, and an LSTM carries what it has read so far in its state: each value is predicted from that state. ' +
      'The chain rule makes the predictions a whole probability of the image, so the loss is its exact negative log-likelihood. ' +
      'The Row LSTM computes a whole row of states at once from the row above; the Diagonal BiLSTM skews the image so that a whole diagonal is one step, and sweeps it from both sides. ' +
      'Masks keep every prediction from seeing its own value or any later one; on colour images R is predicted first, then G (seeing R), then B (seeing R and G).',
    objectiveTex:
      '\\begin{aligned}p(x) &= \\prod_{i=1}^{n} p(x_i \\mid x_1, \\dots, x_{i-1}) \\\\ c_i &= f_i \\odot c_{i-1} + i_i \\odot g_i, \\quad h_i = o_i \\odot \\tanh(c_i) \\\\ \\mathcal{L} &= -\\frac{1}{n \\ln 2} \\sum_{i=1}^{n} \\log p(x_i \\mid x_{<i}) \\;\\; \\text{bits/dim}\\end{aligned}',
    objectiveText:
      'The probability of an image is the product over its n values of the probability of each value given all values before it; an LSTM state (cell c, output h, gates o, f, i, g) summarizes those values. The loss is minus the sum of the logs, divided by n ln 2: bits per dimension.',
    watchFor: [
      'Bits per dimension on one chart for training and held-out images: a gap opening between them is overfitting.',
      'Row LSTM against Diagonal BiLSTM: the receptive field view shows the Row LSTM\'s triangle above the pixel (the corners of the rows above are out of reach) and the Diagonal BiLSTM\'s whole past, but for the last pixel of the row above, which its right-to-left sweep never reads. The diagonal one reaches lower bits/dim, slower per step.',
      'A step is slower than PixelCNN\'s at the same size: the LSTM is a loop, 28 rows (or 55 diagonals) one after the other. Sampling is fast: the state is the cache, so each new pixel costs one LSTM step per layer.',
      'Completions keep the top half of a test image and draw the rest: the LSTM continues the strokes it has read.',
      'Temperature 0 (argmax) makes every sample the same image: the most likely value at each step is not the most likely image.',
    ],
  },
  dataKinds: ['image'],
  generates: true,
  jobs: AUTOREGRESSIVE_JOBS,
  firstResults: { image: { steps: 300, text: 'the samples turn from noise into strokes, then into rough {items}' } },
  smallPreset: { label: 'Smaller and faster: 16 hidden units, 1 layer, 16 images a step', values: { units: 16, layers: 1, batch: 16 } },
  terms: likelihoodTerms({ nats: 'On binarized MNIST the paper reports 79.2 nats for a 7-layer Diagonal BiLSTM, and about 81 for PixelCNN.' }),
  charts: LIKELIHOOD_CHARTS,
  optimizer: ADAM_OPTIMIZER,
  memoryHints: ['units', 'layers'],
  params: PIXELRNN_PARAMS,
  load: () => import('./pixelrnn').then((module) => module.PIXELRNN_FACTORY),
});
