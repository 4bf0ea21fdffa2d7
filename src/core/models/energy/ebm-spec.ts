/**
 * The deep energy-based model as the page and the share links know it: its settings, card
 * and charts. The code (./ebm.ts) is imported when a run starts.
 */
import { defineParams } from '../../params/schema';
import { defineModel, type ModelSpec } from '../model';

/** The image EBM's job: Langevin dynamics on half an image (./inpainting.ts). */
export const INPAINT = 'inpaint';

/** On images Adam with beta1 = 0 (Du and Mordatch 2019): momentum would carry the energy past a moving target. */
export const EBM_OPTIMIZER = defineParams([
  { kind: 'number', key: 'lr', label: 'Learning rate', help: "Step size of the energy network's Adam optimizer. Changed live.", default: 0.003, defaultFor: { image: 0.0001 }, min: 0.00001, max: 0.1, step: 0.00001, logScale: true, live: true },
  { kind: 'number', key: 'beta1', label: 'Adam beta1', help: 'Momentum of Adam: 0 (as Du and Mordatch on images) reacts at once to where the samples are now.', default: 0.9, defaultFor: { image: 0 }, min: 0, max: 0.99, step: 0.01, advanced: true, live: true },
]);

export const EBM_PARAMS = defineParams([
  { kind: 'int', key: 'langevin_steps', label: 'Langevin steps', help: 'Steps each chain walks down the energy per training step. More: better samples, slower training.', default: 30, defaultFor: { image: 10 }, min: 1, max: 200 },
  {
    kind: 'number',
    key: 'step_size',
    label: 'Langevin step size',
    help: 'How far a chain moves down the (clipped) energy gradient each step. Live.',
    default: 0.01,
    defaultFor: { image: 5 },
    min: 0.0001,
    max: 50,
    step: 0.0001,
    logScale: true,
    live: true,
  },
  { kind: 'number', key: 'langevin_noise', label: 'Langevin noise', help: 'Standard deviation of the noise added at every Langevin step: it keeps chains exploring instead of sliding to the very bottom. The square root of twice the step size samples exp(-E) itself; less samples a colder, sharper density. Live.', default: 0.1414, defaultFor: { image: 0.005 }, min: 0, max: 1, step: 0.0005, live: true },
  { kind: 'number', key: 'grad_clip', label: 'Gradient clip', help: 'Each component of the energy gradient is clipped to plus or minus this in a Langevin step, so a steep wall cannot throw a chain away. 0: no clipping. Live.', default: 0, defaultFor: { image: 0.03 }, min: 0, max: 100, step: 0.001, advanced: true, live: true },
  { kind: 'int', key: 'buffer', label: 'Replay buffer size', help: 'Samples kept from earlier steps, where chains start again (the buffer is part of every checkpoint).', default: 8192, defaultFor: { image: 2048 }, min: 64, max: 16384, advanced: true },
  { kind: 'number', key: 'restart', label: 'Share of chains restarted from noise', help: 'Each step, this share of the chains starts from fresh noise rather than from the buffer, so new regions keep being found.', default: 0.05, min: 0, max: 1, step: 0.01, advanced: true },
  {
    kind: 'number',
    key: 'data_noise',
    label: 'Noise on the data',
    help:
      'Standard deviation of Gaussian noise added to each training example (Du and Mordatch 2019 add a little). The energy then learns a slightly blurred data density, whose valleys are wide enough for Langevin chains to settle in. ' +
      'On clusters far narrower than a Langevin step (the ring\'s are 0.01 wide), chains never reach the bottom of a valley, so the energy keeps deepening it: without noise, data and sample energies run apart after about 2,000 steps and the density gets worse. Live.',
    default: 0.1,
    defaultFor: { image: 0 },
    min: 0,
    max: 1,
    step: 0.005,
    live: true,
  },
  { kind: 'number', key: 'alpha', label: 'Energy penalty', help: 'Weight alpha of alpha (E(x+)^2 + E(x-)^2): keeps energies near 0, so they cannot run off to minus infinity on the data. Live.', default: 0.1, min: 0, max: 10, step: 0.01, live: true },
  { kind: 'int-list', key: 'hidden', label: 'Hidden widths', help: "Widths of the energy network's hidden layers (Swish activations), comma-separated.", default: [64, 64], min: 4, max: 1024, minLength: 1, maxLength: 4, dataKinds: ['points'] },
  { kind: 'int-list', key: 'channels', label: 'Channels', help: 'Widths of the energy network\'s stride-2 convolutions (Swish activations).', default: [16, 32, 64], min: 4, max: 128, minLength: 1, maxLength: 4, dataKinds: ['image'] },
]);

export const EBM: ModelSpec = defineModel({
  id: 'ebm',
  name: 'Energy-based model',
  family: 'Energy-based models',
  paper: { title: 'Implicit Generation and Generalization in Energy-Based Models', authors: 'Y. Du and I. Mordatch', year: 2019, url: 'https://arxiv.org/abs/1903.08689' },
  card: {
    summary:
      'A network gives every point of the plane an energy: low where the data is, high elsewhere. The density is exp(-energy), normalised. ' +
      'To learn, it pushes the energy down on data and up on its own samples, which it draws by rolling points downhill with a little noise (Langevin dynamics).',
    objectiveTex: '\\min_\\theta \\; \\mathbb{E}_{x^+ \\sim p_{data}}[E_\\theta(x^+)] - \\mathbb{E}_{x^- \\sim q_\\theta}[E_\\theta(x^-)] + \\alpha\\,(E_\\theta(x^+)^2 + E_\\theta(x^-)^2)',
    objectiveText: 'The average energy of data minus the average energy of samples drawn from the model by Langevin dynamics, plus a small penalty that keeps both near 0.',
    watchFor: [
      'The landscape: dark valleys (low energy) form where the clusters are; the contour lines ring them.',
      'The two energies: data below samples while the model still puts mass in the wrong places; they meet when its samples look like data.',
      "Draw new samples to watch chains start from noise and roll into the valleys, step by step.",
      'The density beside the data\'s: exp(-E/T)/Z at the temperature T its sampler works at; the grid KL measures how far apart they are.',
      'Trained on for thousands of steps, the two energies can drift apart (data far below, samples far above): the valleys have grown narrower than the chains can follow, and the samples spread out. The page keeps the step where the samples were best.',
    ],
    forKind: {
      image: {
        summary:
          'A convolutional network gives every image an energy: low for images that look like the data, high for the rest. ' +
          'It samples by starting from noise and walking downhill on the energy, pixel values nudged a little at a time (Langevin dynamics), and learns by pushing energy down on real images and up on its samples.',
        watchFor: [
          'The two energies: real images below samples while the samples do not look real yet.',
          'The samples sharpen from noise into strokes; draw new ones to watch a chain go from noise to a digit step by step.',
          'Each training step runs the whole Langevin chain: this is the slowest model per step.',
        ],
      },
    },
  },
  dataKinds: ['points', 'image'],
  generates: true,
  jobs: [
    {
      action: INPAINT,
      title: 'Fill in half an image',
      button: 'Fill in',
      help: 'Keeps the top half of 8 test images, replaces the rest by noise, and lets Langevin dynamics move only those pixels down the energy: an energy that is low on whole images pulls them towards a bottom half that fits the top.',
      dataKinds: ['image'],
    },
  ],
  firstResults: {
    points: { steps: 1500, text: 'the energy forms valleys where the data is, and the samples gather in them' },
    image: { steps: 500, text: 'the samples turn from noise into strokes' },
  },
  smallPreset: { label: 'Smaller and faster: 5 Langevin steps, 32 examples a step', values: { langevin_steps: 5, batch: 32 } },
  terms: [
    { key: 'loss', plain: 'the training objective', label: 'loss', unit: 'energy', help: 'E(data) - E(samples) + alpha (E(data)^2 + E(samples)^2), averaged over a batch.' },
    { key: 'energy_data', plain: 'energy of real examples', label: 'E(x+)', unit: 'energy', help: 'The average energy the model gives a batch of data: it pushes this down.' },
    { key: 'energy_samples', plain: 'energy of its own samples', label: 'E(x-)', unit: 'energy', help: 'The average energy of the Langevin samples: it pushes this up.' },
    { key: 'grid_kl', plain: "how far its density is from the data's", label: 'KL(data || model) on the grid', unit: 'nats', help: "The KL divergence between the data's density (a kernel estimate from the test points) and exp(-E/T)/Z at the sampler's temperature T, both on the 48 x 48 grid of the views." },
  ],
  charts: [
    { id: 'loss', title: 'The training objective', terms: ['loss'] },
    { id: 'energies', title: 'Energy of data and of samples', terms: ['energy_data', 'energy_samples'] },
    // the grid KL is measured on the plane only: an image's density has no grid to sum over
    { id: 'density', title: "How far its density is from the data's", terms: ['grid_kl'], dataKinds: ['points'] },
  ],
  optimizer: EBM_OPTIMIZER,
  memoryHints: ['hidden', 'channels', 'langevin_steps'],
  params: EBM_PARAMS,
  load: () => import('./ebm').then((module) => module.EBM_FACTORY),
});
