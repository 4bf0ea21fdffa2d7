/**
 * The variational autoencoder as the page and the share links know it: its settings and its card.
 * Kept apart from the model's code (./vae.ts), which needs TF.js and is imported only when
 * a run starts.
 */
import { ADAM_OPTIMIZER } from '../../params/optimizer-params';
import { defineParams } from '../../params/schema';
import { defineModel, type ModelSpec } from '../model';
import { LOSS_CHART } from './ae-spec';
import { EXPLORER_PARAMS } from './params';

export const VAE_PARAMS = defineParams([
  {
    kind: 'choice',
    key: 'arch',
    label: 'Architecture',
    help: 'Dense layers, or stride-2 convolutions down and upsampling + convolutions up.',
    default: 'dense',
    dataKinds: ['image'],
    advanced: true,
    choices: [
      { value: 'dense', label: 'Dense (MLP)' },
      { value: 'conv', label: 'Convolutional' },
    ],
  },
  { kind: 'int', key: 'latent', label: 'Latent dimensions', help: 'Length of z. At 2 the latent plane can be drawn and decoded as a grid.', default: 2, min: 1, max: 64 },
  {
    kind: 'int-list',
    key: 'hidden',
    label: 'Hidden widths',
    shownWhen: { arch: 'dense' },
    help: 'Hidden layers of the dense encoder; the decoder mirrors them.',
    default: [400],
    min: 4,
    max: 1024,
    minLength: 1,
    maxLength: 3,
  },
  {
    kind: 'int-list',
    key: 'channels',
    label: 'Channels',
    shownWhen: { arch: 'conv' },
    help: 'Filters of each stride-2 convolution of the convolutional encoder; the decoder mirrors them.',
    default: [32, 64],
    dataKinds: ['image'],
    min: 4,
    max: 128,
    minLength: 1,
    maxLength: 3,
  },
  {
    kind: 'choice',
    key: 'likelihood',
    label: 'Reconstruction term',
    help:
      'Images: Bernoulli cross-entropy on grey levels, Bernoulli on images binarized afresh each step (a true likelihood), or squared error (blurrier); ' +
      'on colour images each of a pixel\'s red, green and blue values counts as one grey level. ' +
      'Points: a Gaussian around the decoded point whose variance is learned (a true likelihood), or squared error.',
    default: 'bernoulli',
    choices: [
      { value: 'bernoulli', label: 'Cross-entropy (grey targets)', dataKinds: ['image'] },
      { value: 'binarized', label: 'Bernoulli (binarized)', dataKinds: ['image'] },
      { value: 'gaussian', label: 'Gaussian (learned variance)', dataKinds: ['points'] },
      { value: 'mse', label: 'Squared error' },
    ],
  },
  { kind: 'number', key: 'beta', label: 'Beta (KL weight)', help: 'Weight of the KL term, changed live. 1 is the true ELBO; more pushes codes to the prior (smoother, blurrier); less, towards a plain autoencoder.', default: 1, min: 0, max: 10, step: 0.05, live: true },
  {
    kind: 'int',
    key: 'k',
    label: 'Importance samples (k)',
    advanced: true,
    help: 'Samples per example for the importance-weighted estimate of -log p(x) on 100 held-out examples, computed every 15 s or so while training.',
    default: 20,
    min: 1,
    max: 200,
  },
  ...EXPLORER_PARAMS,
]);
export const VAE: ModelSpec = defineModel({
  id: 'vae',
  name: 'Variational autoencoder',
  family: 'Autoencoders',
  paper: { title: 'Auto-Encoding Variational Bayes', authors: 'D. P. Kingma and M. Welling', year: 2014, url: 'https://arxiv.org/abs/1312.6114' },
  card: {
    summary:
      'The encoder gives a mean and a variance for each image instead of a single code, and the code is sampled from that Gaussian. ' +
      'A KL penalty keeps these Gaussians close to N(0, 1), so decoding random draws from N(0, 1) produces new images. ' +
      'Sampling is made differentiable by the reparameterization trick, z = mu + sigma * eps.',
    objectiveTex:
      '\\begin{aligned}\\mathcal{L} &= \\mathbb{E}_{q(z\\mid x)}\\!\\left[-\\log p(x\\mid z)\\right] \\\\ &\\quad+ \\beta\\, D_{\\mathrm{KL}}\\!\\left(\\mathcal{N}(\\mu, \\sigma^2)\\,\\|\\,\\mathcal{N}(0, 1)\\right) \\\\ z &= \\mu + \\sigma \\odot \\epsilon, \\quad \\epsilon \\sim \\mathcal{N}(0, 1)\\end{aligned}',
    objectiveText:
      'Loss equals the expected negative log-likelihood of x given z, plus beta times the KL divergence from N(mu, sigma squared) to N(0, 1), where z equals mu plus sigma times epsilon.',
    watchFor: [
      'The loss is the negative ELBO: watch it split into reconstruction and KL. The KL rises early as codes start to carry information.',
      'Samples from N(0, 1) are blurrier than the data, especially with squared error: the decoder outputs an average over plausible images.',
      'Latent dimensions whose KL falls to zero are unused ("posterior collapse"); a large beta collapses more of them.',
      'With 2 latent dimensions the decoded grid shows a smooth map of the digits: nearby codes decode to similar images.',
    ],
  },
  dataKinds: ['image', 'points'],
  generates: true,
  firstResults: {
    image: { steps: 500, text: 'the samples from N(0, 1) turn from grey smudges into blurry {items}' },
    points: { steps: 2000, text: 'the samples gather where the data is' },
  },
  smallPreset: { label: 'Smaller and faster: dense, 256 hidden units, 32 examples a step', values: { arch: 'dense', hidden: [256], batch: 32 } },
  terms: [
    { key: 'loss', plain: 'the whole cost', label: 'reconstruction + beta * KL', unit: 'nats per example' },
    { key: 'recon', plain: 'how well it rebuilds the example', label: 'reconstruction -log p(x|z)', unit: 'nats per example' },
    { key: 'kl', plain: 'how far the codes are from N(0, 1)', label: 'KL(q(z|x) || N(0, 1))', unit: 'nats per example' },
    {
      key: 'neg_elbo',
      plain: 'how unlikely the model finds the data (a bound)',
      label: 'negative ELBO (beta = 1)',
      unit: 'nats per example',
      help:
        'Under the likelihood of the "Reconstruction term" setting. Binarized: an upper bound on -log p(x) of binary images, comparable with papers on binarized MNIST. ' +
        'Grey targets: the same formula on grey levels, not the likelihood of any distribution (lower than binarized figures). ' +
        'Gaussian (points): a bound on -log p(x) of a density, which can be negative. Not reported for squared error, which is not a likelihood here.',
    },
    {
      key: 'bits_per_dim',
      plain: 'the same, per pixel',
      label: 'negative ELBO',
      unit: 'bits per dimension',
      help: 'The negative ELBO divided by the number of pixels times ln 2: the same bound, per pixel, in bits.',
      advanced: true,
    },
    {
      key: 'nll_iwae',
      plain: 'a tighter estimate of the same',
      label: 'importance-weighted -log p(x)',
      advanced: true,
      unit: 'nats per example',
      help: 'Under the same likelihood, on 100 held-out examples with k samples each; tighter than the ELBO, and equal to it at k = 1.',
    },
  ],
  charts: [
    LOSS_CHART,
    // The KL is often a hundred times smaller than the reconstruction: on a shared linear axis it lies flat on zero.
    { id: 'parts', title: 'The two parts of the loss', terms: ['recon', 'kl'], scale: 'log' },
  ],
  optimizer: ADAM_OPTIMIZER,
  memoryHints: ['hidden', 'channels'],
  params: VAE_PARAMS,
  load: () => import('./vae').then((module) => module.VAE_FACTORY),
});
