/**
 * One network's optimizer: Adam over an explicit list of variables (a GAN's generator
 * step must not move its discriminator), with settings read by name from the run's values
 * and changeable mid-run.
 */
import * as tf from '@tensorflow/tfjs';
import type { ParamValue } from '../params/schema';
import { assignVariables, type ModelState, type StatePart } from './model-state';

/** Which keys of the run's values hold this optimizer's settings. */
export interface AdamKeys {
  lr: string;
  beta1?: string;
  beta2?: string;
}

const DEFAULT_BETAS = { beta1: 0.9, beta2: 0.999 };

export class AdamOptimizer implements StatePart {
  private readonly adam: tf.AdamOptimizer;

  constructor(
    private readonly variables: tf.Variable[],
    values: Readonly<Record<string, ParamValue>>,
    private readonly keys: AdamKeys = { lr: 'lr' },
  ) {
    const setting = (key: string | undefined, fallback: number) => {
      if (key === undefined) return fallback;
      // a misnamed key would train at a default nobody chose
      if (typeof values[key] !== 'number') throw new Error(`No optimizer setting "${key}" among the run's values`);
      return values[key] as number;
    };
    this.adam = tf.train.adam(setting(keys.lr, 0.001), setting(keys.beta1, DEFAULT_BETAS.beta1), setting(keys.beta2, DEFAULT_BETAS.beta2));
  }

  /** One update of this network's variables down the gradient of `loss`; returns the loss before the update. */
  minimize(loss: () => tf.Scalar): tf.Scalar {
    return this.adam.minimize(loss, true, this.variables) as tf.Scalar;
  }

  /**
   * One update from gradients computed elsewhere (by variable name, for this optimizer's
   * variables): a model that splits a large batch into parts sums their gradients and
   * applies them once, the same update in a part's memory.
   */
  applyGradients(gradients: tf.NamedTensorMap): void {
    // TF.js types the map as variables, but its own minimize passes it gradients
    this.adam.applyGradients(gradients as unknown as Parameters<tf.AdamOptimizer['applyGradients']>[0]);
  }

  /**
   * Takes new settings mid-run. TF.js's Adam reads its learning rate and betas afresh at
   * every update, so setting them is enough; the moment estimates carry on, and the bias
   * correction keeps the products of the betas used so far.
   */
  setParams(values: Readonly<Record<string, ParamValue>>): void {
    const fields = this.adam as unknown as Record<'learningRate' | 'beta1' | 'beta2', number>;
    for (const field of ['lr', 'beta1', 'beta2'] as const) {
      const key = this.keys[field];
      if (key !== undefined && typeof values[key] === 'number') fields[field === 'lr' ? 'learningRate' : field] = values[key] as number;
    }
  }

  /**
   * Copies of the network's variables (`weights/i`) and of Adam's state (`adam/0` its step
   * count, then the first and second moment estimates, one per variable): together, all a
   * resumed run needs to take the very next update the original would have taken.
   */
  async save(): Promise<ModelState> {
    const tensors: tf.NamedTensorMap = {};
    this.variables.forEach((variable, i) => (tensors[`weights/${i}`] = variable.clone()));
    const adam = await this.adam.getWeights();
    // The step count is a fresh scalar; the moments are Adam's own variables, so copy them.
    adam.forEach(({ tensor }, i) => (tensors[`adam/${i}`] = i === 0 ? tensor : tensor.clone()));
    return { tensors, numbers: {} };
  }

  async load({ tensors }: ModelState): Promise<void> {
    assignVariables(this.variables, tensors, 'weights/');
    const adam: { name: string; tensor: tf.Tensor }[] = [];
    for (let i = 0; tensors[`adam/${i}`]; i++) adam.push({ name: i === 0 ? 'iter' : `adam/${i}`, tensor: tensors[`adam/${i}`] });
    // Before its first update Adam has no moments yet: a state saved at step 0 holds only the count.
    const moments = adam.length - 1;
    if (adam.length === 0 || (moments !== 0 && moments !== 2 * this.variables.length)) {
      throw new Error(`The checkpoint's optimizer state has ${Math.max(moments, 0)} moment tensors for ${this.variables.length} variables: it was saved by another configuration`);
    }
    await this.adam.setWeights(adam);
  }

  dispose(): void {
    this.adam.dispose();
  }
}
