/**
 * The generative adversarial network as the page and the share links know it: its
 * settings, card and charts. The code (./gan.ts) is imported when a run starts.
 */
import { defineParams } from '../../params/schema';
import { defineModel, type ModelSpec } from '../model';

/** One Adam optimizer per network: each player has its own step size and momentum, changed live. */
export const GAN_OPTIMIZERS = defineParams([
  { kind: 'number', key: 'lr_d', label: 'Discriminator learning rate', help: "Step size of the discriminator's Adam optimizer. Changed live.", default: 0.001, min: 0.00001, max: 0.1, step: 0.00001, logScale: true, live: true },
  { kind: 'number', key: 'lr_g', label: 'Generator learning rate', help: "Step size of the generator's Adam optimizer. Changed live.", default: 0.001, min: 0.00001, max: 0.1, step: 0.00001, logScale: true, live: true },
  { kind: 'number', key: 'beta1_d', label: 'Discriminator Adam beta1', help: 'Momentum of the discriminator\'s Adam: 0.5 is usual for GANs (0.9 elsewhere); lower reacts faster to a moving target.', default: 0.5, min: 0, max: 0.99, step: 0.01, advanced: true, live: true },
  { kind: 'number', key: 'beta1_g', label: 'Generator Adam beta1', help: "Momentum of the generator's Adam.", default: 0.5, min: 0, max: 0.99, step: 0.01, advanced: true, live: true },
]);

export const GAN_PARAMS = defineParams([
  {
    kind: 'choice',
    key: 'loss',
    label: 'Loss',
    help: 'Minimax: the original game, whose generator gradient vanishes once D wins. Non-saturating: G maximises log D(G(z)) instead, the usual fix. Least squares: squared distances to the labels. Wasserstein: a critic scores realness without a sigmoid, kept 1-Lipschitz by a gradient penalty.',
    default: 'non-saturating',
    choices: [
      { value: 'minimax', label: 'Minimax (original)' },
      { value: 'non-saturating', label: 'Non-saturating' },
      { value: 'least-squares', label: 'Least squares' },
      { value: 'wasserstein', label: 'Wasserstein + gradient penalty' },
    ],
  },
  {
    kind: 'choice',
    key: 'conditional',
    label: 'Class-conditional',
    help: 'On: G and D are both told the class (the digit, the cluster), so you ask G for a 7 and get a 7, and every class gets its share of samples. Off: G picks what to draw, and may neglect some classes.',
    default: 'off',
    needsLabels: true,
    choices: [
      { value: 'off', label: 'Off' },
      { value: 'on', label: 'On: labels to G and D' },
    ],
  },
  { kind: 'int', key: 'd_steps', label: 'Discriminator steps per generator step', help: 'k in the paper: how many times D is updated before each update of G.', default: 1, min: 1, max: 10 },
  { kind: 'int', key: 'noise', label: 'Noise dimensions', help: 'Length of the noise z fed to the generator. On points, at 2 the warped grid shows the whole noise space.', default: 2, defaultFor: { image: 64 }, min: 1, max: 128 },
  { kind: 'int-list', key: 'hidden', label: 'Hidden widths', help: 'Widths of the hidden layers of both networks, comma-separated.', default: [128, 128], min: 4, max: 1024, minLength: 1, maxLength: 4, dataKinds: ['points'] },
  {
    kind: 'int-list',
    key: 'channels',
    label: 'Channels',
    help: "Widths of D's two stride-2 convolutions; G mirrors them on its way up (DCGAN).",
    default: [32, 64],
    min: 4,
    max: 256,
    minLength: 2,
    maxLength: 2,
    dataKinds: ['image'],
  },
  {
    kind: 'number',
    key: 'feature_matching',
    label: 'Feature matching (the L2 stabilizer)',
    help: "Weight of an L2 term that pulls the mean of D's last hidden features on fakes towards their mean on real data (Salimans et al. 2016): the generator is penalised for lacking similarity to the data. 0 turns it off. Live.",
    default: 0,
    min: 0,
    max: 10,
    step: 0.1,
    live: true,
  },
  {
    kind: 'choice',
    key: 'mbstd',
    label: 'Minibatch standard deviation',
    help: "Gives D the spread of the features across its batch (Karras et al. 2018): a batch of near-identical fakes stands out, so collapsing to one point stops paying.",
    default: 'off',
    choices: [
      { value: 'off', label: 'Off' },
      { value: 'on', label: 'On' },
    ],
  },
  {
    kind: 'number',
    key: 'r1',
    label: 'Gradient penalty on real data (R1)',
    help: "Weight gamma of (gamma / 2) E[||grad D(x)||^2] on real data (Mescheder et al. 2018): D's slopes at the data are kept gentle, which damps the swinging of the two players around their balance. 0 turns it off. Live.",
    default: 0,
    min: 0,
    max: 100,
    step: 0.1,
    live: true,
  },
  { kind: 'number', key: 'gp', label: 'Gradient penalty weight', help: "lambda of the Wasserstein loss's penalty (||grad D|| - 1)^2 at points between real and fake.", default: 0.1, min: 0, max: 100, step: 0.1, advanced: true },
  {
    kind: 'choice',
    key: 'activation',
    label: 'Activation',
    help: "Nonlinearity of the generator's hidden layers; D uses the leaky version of ReLU (slope 0.2), so fakes always get a gradient.",
    advanced: true,
    dataKinds: ['points'],
    default: 'relu',
    choices: [
      { value: 'relu', label: 'ReLU' },
      { value: 'tanh', label: 'tanh' },
    ],
  },
]);

/** What `npm run demonstrations` watches in each pair of demonstrations: the collapse (or failure) and its cure are judged alike. */
const INSTABILITY_CHECK = { steps: 5000, every: 500, watch: ['modes_covered', 'recall', 'high_quality_share'] };
const SATURATION_CHECK = { steps: 3000, every: 500, watch: ['d_fake', 'g_loss', 'precision', 'modes_covered'] };
const RING_COLLAPSE_CHECK = { steps: 4500, every: 1500, watch: ['modes_covered', 'recall', 'high_quality_share'] };
const DIGIT_COLLAPSE_CHECK = { steps: 600, every: 200, watch: ['classes_covered', 'class_kl', 'precision', 'recall', 'frechet_classifier_distance'] };
/** D learning a hundred times slower than G, on the smaller DCGAN: the digits' collapse, shared by its cure. */
const DIGIT_COLLAPSE = { lr_d: 0.00005, lr_g: 0.005, channels: [16, 32], batch: 32 };

export const GAN: ModelSpec = defineModel({
  id: 'gan',
  name: 'Generative adversarial network',
  family: 'GANs',
  paper: { title: 'Generative Adversarial Nets', authors: 'I. Goodfellow, J. Pouget-Abadie, M. Mirza, B. Xu, D. Warde-Farley, S. Ozair, A. Courville and Y. Bengio', year: 2014, url: 'https://arxiv.org/abs/1406.2661' },
  card: {
    summary:
      'Two networks play a game. The generator G turns random noise into points; the discriminator D looks at a point and says how likely it is real. ' +
      'D learns to tell data from fakes; G learns to fool D. The heatmap is D\'s opinion of every place in the plane, and the arrows show where G is pushing its points.',
    objectiveTex: '\\min_G \\max_D \\; \\mathbb{E}_{x \\sim p_{data}}[\\log D(x)] + \\mathbb{E}_{z \\sim \\mathcal{N}(0, 1)}[\\log(1 - D(G(z)))]',
    objectiveText: 'G minimises and D maximises: the expected log of D on real data plus the expected log of one minus D on generated data.',
    watchFor: [
      'The two losses do not fall together: each player\'s gain is the other\'s loss. Watch the points, the modes covered and D\'s heatmap instead.',
      'Mode collapse: G may put all its points on one or a few clusters and hop between them. The "modes covered" count shows it.',
      'Instability: with a large learning rate the points swing around instead of settling.',
      'D\'s heatmap is bright where it believes points are real; the arrows show the generator climbing it.',
      'Too fast to follow? Slow motion shows every step, and the replay slider goes back through the views of the run.',
    ],
    forKind: {
      image: {
        summary:
          'Two networks play a game. The generator G turns random noise into images; the discriminator D looks at an image and says how likely it is real. ' +
          'D learns to tell digits from fakes; G learns to fool D. Here both are convolutional networks (DCGAN): G grows an image from a small map, D shrinks it to a verdict.',
        watchFor: [
          'The two losses do not fall together: each player\'s gain is the other\'s loss. Watch the samples, the Frechet classifier distance and the classes of the samples instead.',
          'Mode collapse: G may draw only a few kinds of digit ("only producing 6s"). The classes of the samples show missing bars, and recall falls.',
          'D\'s verdicts: two humps far apart mean D tells real from fake easily; when they overlap, the fakes pass.',
          'Samples can get worse as training goes on: the page keeps the step where they were best and offers to go back to it.',
          'Class-conditional: tell G which class to draw (and D which to expect), and every class gets its row of samples.',
        ],
      },
    },
  },
  dataKinds: ['points', 'image'],
  generates: true,
  firstResults: {
    points: { steps: 2000, text: 'the generated points gather on the clusters of the data' },
    image: { steps: 1000, text: 'the noise in the samples turns into strokes, then into {items}' },
  },
  smallPreset: { label: 'Smaller and faster: 16 and 32 channels, 32 images a step', values: { channels: [16, 32], batch: 32 } },
  terms: [
    { key: 'd_loss', plain: "the discriminator's loss", label: 'D loss', unit: 'nats per example', help: 'How badly D tells real from fake: for the minimax and non-saturating losses, -[log D(x) + log(1 - D(G(z)))] averaged over a batch; for Wasserstein, the critic\'s loss with its penalty.' },
    { key: 'g_loss', plain: "the generator's loss", label: 'G loss', unit: 'nats per example', help: 'How badly G fools D, by the chosen loss (plus the feature-matching term if it is on).' },
    { key: 'd_real', plain: 'D on real data (1 = sure it is real)', label: 'mean D(x)', unit: 'probability', help: 'The discriminator\'s average verdict on real points (for Wasserstein, the critic\'s average score).' },
    { key: 'd_fake', plain: 'D on fakes (0 = sure it is fake)', label: 'mean D(G(z))', unit: 'probability', help: 'The discriminator\'s average verdict on generated points (for Wasserstein, the critic\'s average score).' },
  ],
  charts: [
    { id: 'losses', title: 'The two players\' losses', terms: ['d_loss', 'g_loss'] },
    { id: 'scores', title: "The discriminator's verdicts", terms: ['d_real', 'd_fake'] },
  ],
  demonstrations: [
    {
      id: 'instability',
      label: 'Instability',
      text: 'Learning rates ten times the default (0.01): the points swing from cluster to cluster instead of settling, and the clusters reached rise and fall between checks, where the default reaches all 8 by step 4,000 and keeps them.',
      dataset: 'ring',
      values: { lr_d: 0.01, lr_g: 0.01 },
      check: INSTABILITY_CHECK,
    },
    {
      id: 'instability-cured',
      label: 'The same, with steps ten times smaller',
      text: 'The default learning rates (0.001): the points settle on the clusters and stay, all 8 reached by step 4,000. In our runs none of the stabilizers (feature matching, minibatch standard deviation, R1, the Wasserstein penalty) steadied the large steps: they cure collapse and a vanishing gradient, not a step that overshoots.',
      dataset: 'ring',
      values: {},
      check: INSTABILITY_CHECK,
    },
    {
      id: 'saturating-loss',
      label: 'Saturating loss',
      text: "The original minimax loss, with D trained 5 times for each step of G: D soon rejects every fake (mean D(G(z)) falls towards 0), the generator's loss flattens just below 0, where its gradient vanishes, and its points stay off the clusters (precision near 0).",
      dataset: 'ring',
      values: { loss: 'minimax', d_steps: 5 },
      check: SATURATION_CHECK,
    },
    {
      id: 'saturating-loss-cured',
      label: 'The same, with the non-saturating loss',
      text: "The same head start for D, with the non-saturating loss: G maximises log D(G(z)), whose gradient is largest exactly when D rejects its points, so they keep moving onto the clusters (precision well above the minimax run's) and D never rejects them all.",
      dataset: 'ring',
      values: { d_steps: 5 },
      check: SATURATION_CHECK,
    },
    {
      id: 'mode-collapse',
      label: 'Mode collapse',
      text: 'With 64 noise dimensions the generator soon puts every point in one small blob: recall falls to about 0 and the clusters reached to 0 or 1, and stay there.',
      dataset: 'ring',
      values: { noise: 64 },
      check: RING_COLLAPSE_CHECK,
    },
    {
      id: 'collapse-cured-mbstd',
      label: 'The same, cured by minibatch standard deviation',
      text: 'The same setting with minibatch standard deviation on: D sees that a batch of fakes is too alike, and the points spread over all 8 clusters (recall about 0.9 by step 4,500).',
      dataset: 'ring',
      values: { noise: 64, mbstd: 'on' },
      check: RING_COLLAPSE_CHECK,
    },
    {
      id: 'collapse-cured-feature-matching',
      label: 'The same, cured by feature matching (the L2 stabilizer)',
      text: "The same setting with feature matching: the generator is penalised for lacking similarity to the data in D's features, and covers all 8 clusters (recall about 0.98 by step 4,500).",
      dataset: 'ring',
      values: { noise: 64, feature_matching: 1 },
      check: RING_COLLAPSE_CHECK,
    },
    {
      id: 'mnist-mode-collapse',
      label: 'Mode collapse on digits ("only producing 6s")',
      text: 'D learns a hundred times slower than G (learning rates 0.00005 and 0.005): G finds one kind of digit D accepts and draws almost only that. The samples look real (precision near 1), yet recall falls to 0 and the classes of the samples shrink to one or two bars (class KL near ln 10 = 2.3) within a few hundred steps.',
      dataset: 'mnist',
      values: DIGIT_COLLAPSE,
      check: DIGIT_COLLAPSE_CHECK,
    },
    {
      id: 'mnist-collapse-cured-feature-matching',
      label: 'The same, with feature matching (the L2 stabilizer)',
      text: "The same learning rates with feature matching at weight 3: G must also match the average of D's features on real digits, which a single kind of digit cannot do, so most classes come back (8 to 10 of the 10 by step 600 in our runs, against 1 to 3 without it) and the Frechet distance falls (about 120 against 320).",
      dataset: 'mnist',
      values: { ...DIGIT_COLLAPSE, feature_matching: 3 },
      check: DIGIT_COLLAPSE_CHECK,
    },
  ],
  phases: [
    { id: 'discriminator', label: 'D' },
    { id: 'generator', label: 'G' },
  ],
  optimizer: GAN_OPTIMIZERS,
  memoryHints: ['hidden', 'channels'],
  params: GAN_PARAMS,
  load: () => import('./gan').then((module) => module.GAN_FACTORY),
});
