/**
 * Optimizer settings a model declares as its own (ModelSpec.optimizer). Shared by name:
 * every model with one Adam optimizer takes LEARNING_RATE under the key `lr`, which share
 * links have always used; a model with one optimizer per network declares one per network.
 */
import { defineParams } from './schema';

export const LEARNING_RATE = {
  kind: 'number',
  key: 'lr',
  label: 'Learning rate',
  help: 'Step size of the Adam optimizer. Changed live: the run goes on with the new step size.',
  default: 0.001,
  min: 0.00001,
  max: 0.1,
  step: 0.00001,
  logScale: true,
  live: true,
} as const;

/** One Adam optimizer for the whole model, with the usual learning rate. */
export const ADAM_OPTIMIZER = defineParams([LEARNING_RATE]);
