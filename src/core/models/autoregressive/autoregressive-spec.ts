/**
 * The films every autoregressive model offers beside its views (./sampling-film.ts), as
 * the page lists them: spec-side, without TF.js.
 */
import type { JobOffer } from '../model';

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
