/**
 * What every autoregressive model's spec shares, as the page lists it (spec-side, without
 * TF.js): how pixel values are read, the sampling temperature, the likelihood terms and
 * charts, and the films offered beside the views (./sampling-film.ts).
 */
import type { ChartSpec, JobOffer, TermInfo } from '../model';

export const WATCH_SAMPLING = 'watch-sampling';
export const COMPARE_TEMPERATURES = 'compare-temperatures';

export const AUTOREGRESSIVE_JOBS: readonly JobOffer[] = [
  {
    action: WATCH_SAMPLING,
    title: 'Watch one image being drawn',
    button: 'Watch',
    help:
      'Draws one image value by value, slowly: the current pixel in red, the pixels its prediction can see, and the probability the model gives each possible value before one is drawn. ' +
      'Training goes on meanwhile.',
  },
  {
    action: COMPARE_TEMPERATURES,
    title: 'Temperature and diversity',
    button: 'Compare temperatures',
    help: 'Draws 8 images at temperature 0 (argmax: always the most likely value), 0.5 and 1, from the same random numbers, and measures how different the images of each row are.',
  },
];

/** Square windows of masked or shifted convolutions. */
export const KERNELS = [
  { value: '3', label: '3 x 3' },
  { value: '5', label: '5 x 5' },
  { value: '7', label: '7 x 7' },
] as const;

/** How pixel values are read: 8-bit values with a 256-way softmax, or binarized with a Bernoulli. */
export const PIXEL_DATA_PARAM = {
  kind: 'choice',
  key: 'data',
  label: 'Pixel values',
  help:
    '8-bit: each value 0..255 of each pixel (and colour) is one of 256 classes, predicted by a softmax. ' +
    'Binarized, fixed: each value is 1 if it is above 127, else 0 (the same binary image every time), predicted by a Bernoulli. ' +
    'Binarized, sampled: each value is 1 with probability value / 255, drawn afresh every time an image is read, also a Bernoulli. ' +
    'Held-out figures read each test image the same way every time.',
  default: 'bytes',
  choices: [
    { value: 'bytes', label: '8-bit (256-way softmax)' },
    { value: 'threshold', label: 'Binarized, fixed threshold (Bernoulli)' },
    { value: 'sampled', label: 'Binarized by sampling (Bernoulli)' },
  ],
} as const;

export const TEMPERATURE_PARAM = {
  kind: 'number',
  key: 'temperature',
  label: 'Sampling temperature',
  help:
    'How each value is drawn when sampling: from the predicted distribution at 1; sharper below 1 (likely values more often), flatter above. ' +
    '0 takes the most likely value every time (argmax): one image per model, no diversity. Changed live.',
  default: 1,
  min: 0,
  max: 2,
  step: 0.05,
  live: true,
  group: 'view',
} as const;

/** The exact likelihood, per value and per image; `reference` adds the papers' figures to each help. */
export function likelihoodTerms(reference: { bits?: string; nats?: string } = {}): TermInfo[] {
  return [
    {
      key: 'bits_per_dim',
      plain: 'what one pixel value costs to encode',
      label: '-log2 p(x) / n',
      unit: 'bits per dimension',
      help: `The exact negative log-likelihood of an image divided by its number of values n (pixels times colours) and by ln 2. 8 bits is a uniform guess over 256 values, 1 bit over 2.${reference.bits ? ` ${reference.bits}` : ''}`,
    },
    {
      key: 'nats',
      plain: 'what a whole image costs to encode',
      label: '-log p(x)',
      unit: 'nats per image',
      help: `The exact negative log-likelihood of an image.${reference.nats ? ` ${reference.nats}` : ''}`,
      advanced: true,
    },
  ];
}

export const LIKELIHOOD_CHARTS: readonly ChartSpec[] = [
  { id: 'bits', title: 'Bits per dimension, training and held-out (a gap is overfitting)', terms: ['bits_per_dim'] },
  { id: 'nats', title: 'Negative log-likelihood per image', terms: ['nats'] },
];
