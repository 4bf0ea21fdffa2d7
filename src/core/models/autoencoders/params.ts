/**
 * Settings shared by the autoencoders, by name: each spec lists the ones it takes, so a
 * setting reads, links and validates the same in every model that has it.
 */
import { defineParams } from '../../params/schema';

export const ACTIVATION_PARAM = {
  kind: 'choice',
  key: 'activation',
  label: 'Activation',
  help: 'Nonlinearity of the hidden layers.',
  advanced: true,
  default: 'relu',
  choices: [
    { value: 'relu', label: 'ReLU' },
    { value: 'elu', label: 'ELU' },
    { value: 'tanh', label: 'tanh' },
  ],
} as const;

export const RECON_PARAM = {
  kind: 'choice',
  key: 'recon',
  label: 'Reconstruction loss',
  help: 'Squared error, the classic choice, or Bernoulli cross-entropy of the pixels (images only: it needs values in [0, 1]).',
  advanced: true,
  default: 'mse',
  choices: [
    { value: 'mse', label: 'Squared error' },
    { value: 'bce', label: 'Cross-entropy', dataKinds: ['image'] },
  ],
} as const;

/**
 * Which test images the latent explorer starts from; live, since they change no weights.
 * Bounded by the dataset's test split, and offered only for images (its views are images).
 */
export const EXPLORER_PARAMS = defineParams([
  {
    kind: 'int',
    key: 'from',
    label: 'First test image',
    help: 'Index of a test image: its code starts the interpolation, and the traversal and the sliders move it. Changed live.',
    default: 3,
    min: 0,
    max: 9999,
    range: 'test-indices',
    dataKinds: ['image'],
    group: 'view',
    live: true,
  },
  {
    kind: 'int',
    key: 'to',
    label: 'Second test image',
    help: 'Index of the test image whose code ends the interpolation. Changed live.',
    default: 2,
    min: 0,
    max: 9999,
    range: 'test-indices',
    dataKinds: ['image'],
    group: 'view',
    live: true,
  },
]);
