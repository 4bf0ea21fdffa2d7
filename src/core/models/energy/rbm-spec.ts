/**
 * The restricted Boltzmann machine as the page and the share links know it: its settings,
 * card and charts. The code (./rbm.ts) is imported when a run starts.
 */
import { defineParams } from '../../params/schema';
import { defineModel, type ModelSpec } from '../model';

/**
 * Adam, not the papers' SGD with momentum: the difference of statistics is tiny for some
 * parameters (the biases of pixels that are always off) and large for others, and Adam
 * moves each at a pace set by one number, where SGD needs a learning rate and a momentum
 * schedule tuned together (Hinton's guide, sections 4 and 9). We did not race the two;
 * among Adam's rates, 0.001 was the best of 0.0003, 0.001 and 0.003 for PCD-1 over 1,000
 * MNIST steps (held-out AIS log-likelihood -194, -168 and -200 nats, in an earlier
 * version that started every bias at 0).
 */
export const RBM_OPTIMIZER = defineParams([
  { kind: 'number', key: 'lr', label: 'Learning rate', help: 'Step size of the Adam optimizer that follows the difference of data and model statistics. Changed live.', default: 0.001, min: 0.00001, max: 0.1, step: 0.00001, logScale: true, live: true },
]);

export const RBM_PARAMS = defineParams([
  {
    kind: 'choice',
    key: 'data',
    label: 'Binary pixels',
    help:
      'The RBM\'s pixels are on or off. Sampled: each pixel is on with probability (its value / 255), drawn afresh every time an image is read (the binarized MNIST of the papers). ' +
      'Fixed threshold: on where the value is above 127, the same binary image every time (easier, so its likelihoods are not comparable with the papers\'). Held-out figures read each test image the same way every time.',
    default: 'sampled',
    choices: [
      { value: 'sampled', label: 'Binarized by sampling' },
      { value: 'threshold', label: 'Binarized, fixed threshold' },
    ],
  },
  { kind: 'int', key: 'hidden_units', label: 'Hidden units', help: 'Feature detectors, each with a filter as large as an image. 500 as in the papers; fewer train faster.', default: 500, min: 2, max: 2000 },
  {
    kind: 'choice',
    key: 'training',
    label: 'Negative samples',
    help:
      'Where the model statistics come from. Contrastive divergence (CD-k): k Gibbs steps started at each training image, cheap but biased, as chains have barely left the data. ' +
      'Persistent CD: chains that carry on from one step to the next and never restart, so they wander the whole model (Tieleman 2008); over long runs it reaches higher likelihoods, but it needs the weights to change slowly enough for its chains to follow, and in our short runs CD-1 learned faster at first.',
    default: 'cd',
    choices: [
      { value: 'cd', label: 'Contrastive divergence (CD-k)' },
      { value: 'pcd', label: 'Persistent CD (PCD-k)' },
    ],
  },
  { kind: 'int', key: 'k', label: 'Gibbs steps k', help: 'Gibbs steps the negative chains take per training step. More: statistics nearer the model\'s, and a step k times slower.', default: 1, min: 1, max: 100 },
  { kind: 'int', key: 'chains', label: 'Persistent chains', help: 'How many persistent chains (fantasy particles) give the model statistics in PCD.', default: 100, min: 1, max: 1000, advanced: true },
  { kind: 'number', key: 'weight_decay', label: 'Weight decay', help: 'L2 penalty on the weights added to their gradient (Hinton\'s guide suggests 0.0001): keeps filters from growing without need. Changed live.', default: 0.0001, min: 0, max: 0.01, step: 0.00001, advanced: true, live: true },
  { kind: 'int', key: 'ais_temperatures', label: 'AIS temperatures', help: 'Inverse temperatures the likelihood estimate anneals through (the paper: 14,500). More: a tighter estimate, a slower one.', default: 500, min: 10, max: 20000, advanced: true },
  { kind: 'int', key: 'ais_runs', label: 'AIS runs', help: 'Independent annealing runs averaged by the likelihood estimate (the paper: 100).', default: 100, min: 2, max: 1000, advanced: true },
  { kind: 'int', key: 'sample_steps', label: 'Gibbs steps per sample', help: 'Gibbs steps from random pixels to a sample (and the length of the Gibbs chain in the views). Changed live.', default: 200, min: 1, max: 5000, live: true, group: 'view' },
]);

export const RBM: ModelSpec = defineModel({
  id: 'rbm',
  name: 'Restricted Boltzmann machine',
  family: 'Energy-based models',
  paper: { title: 'Training Products of Experts by Minimizing Contrastive Divergence', authors: 'G. E. Hinton', year: 2002, url: 'https://www.cs.toronto.edu/~hinton/absps/tr00-004.pdf' },
  card: {
    summary:
      'A layer of on/off pixels and a layer of on/off feature detectors, every pixel wired to every detector and none to its own layer. ' +
      'Each joint setting gets an energy: low when the detectors that are on agree with the pixels that are on. ' +
      'Given an image, every detector switches on independently; given the detectors, every pixel. Alternating the two is Gibbs sampling, and it draws images from the model. ' +
      'Learning lowers the energy of training images and raises it where the model\'s own chains wander: for each weight, how often its pixel and detector are on together in the data, minus how often in the chains.',
    objectiveTex:
      '\\begin{aligned}E(v,h) &= -v^\\top W h - b^\\top v - c^\\top h, \\quad p(v) = \\tfrac{1}{Z} e^{-F(v)}, \\quad F(v) = -b^\\top v - \\textstyle\\sum_j \\log(1 + e^{c_j + (v^\\top W)_j}) \\\\ ' +
      '\\frac{\\partial \\log p(v)}{\\partial W_{ij}} &= \\langle v_i h_j \\rangle_{data} - \\langle v_i h_j \\rangle_{model}\\end{aligned}',
    objectiveText:
      'The energy of pixels v and detectors h; summing the detectors out gives the free energy F(v), and p(v) is exp(-F(v)) over Z. The log-likelihood\'s gradient is the difference between data and model statistics, the model\'s taken from Gibbs chains.',
    watchFor: [
      'The filters: each detector\'s weights as an image. From noise they turn into strokes and blobs, each a piece of a digit.',
      'The Gibbs chain: chains started from random pixels, a column every few steps; they settle into digits, and now and then move from one digit to another.',
      'Free energy of training and held-out images on one chart: while the two lines stay together the model generalises; a widening gap is overfitting.',
      'Reconstruction error falls fast and says little about the model: it looks only one Gibbs step away from the data, never where the chains wander. The AIS estimate of the log-likelihood is the honest figure.',
      'CD-1 against persistent CD: in runs of a few minutes CD-1 learns faster, as the persistent chains must follow a moving model; in the papers persistent CD pays off over long runs.',
    ],
  },
  dataKinds: ['image'],
  generates: true,
  firstResults: { image: { steps: 300, text: 'the filters turn from noise into strokes and blobs, and the reconstructions sharpen into {items}' } },
  smallPreset: { label: 'Smaller and faster: 100 hidden units, 32 images a step', values: { hidden_units: 100, batch: 32 } },
  terms: [
    { key: 'reconstruction_error', plain: 'how far one Gibbs step\'s reconstruction is from the image', label: '||v - p(v|h)||^2', unit: 'squared error per image', help: 'Squared distance between a binary image and p(v | h), h drawn from p(h | v): cheap, and blind to what the model believes far from the data.' },
    { key: 'free_energy', plain: 'free energy of images (low: likely)', label: 'F(v)', unit: 'nats', help: 'F(v) = -log sum_h exp(-E(v, h)), averaged over training images and over held-out ones. Only the gap between the two means anything: Z is unknown, so each alone shifts freely.' },
    { key: 'pseudo_likelihood', plain: 'how well it predicts a pixel from all the others', label: 'log pseudo-likelihood', unit: 'nats per image', help: 'D log p(v_i | all other pixels) for one random pixel i per image, as scikit-learn\'s BernoulliRBM: no Z needed. Higher is better.', advanced: true },
    { key: 'ais_log_likelihood', plain: 'how likely held-out images are under the model', label: 'log p(v) by AIS', unit: 'nats per image', help: 'The mean over test images of -F(v) - log Z, with log Z estimated by annealed importance sampling. Papers: about -86 nats for 500 hidden units with CD-25, about -125 with CD-1. Higher is better.' },
    { key: 'ais_log_z', plain: 'the estimated normaliser', label: 'log Z by AIS', unit: 'nats', help: 'log of the sum of exp(-F(v)) over all 2^D binary images, estimated by annealing from a model of independent pixels.', advanced: true },
  ],
  charts: [
    { id: 'reconstruction', title: 'Reconstruction error', terms: ['reconstruction_error'] },
    { id: 'free-energy', title: 'Free energy, training and held-out (a widening gap is overfitting)', terms: ['free_energy'] },
    { id: 'likelihood', title: 'Held-out log-likelihood (AIS)', terms: ['ais_log_likelihood'] },
    { id: 'pseudo-likelihood', title: 'Log pseudo-likelihood', terms: ['pseudo_likelihood'] },
  ],
  optimizer: RBM_OPTIMIZER,
  memoryHints: ['hidden_units', 'chains', 'ais_runs'],
  params: RBM_PARAMS,
  load: () => import('./rbm').then((module) => module.RBM_FACTORY),
});
