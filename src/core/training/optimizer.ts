/**
 * One network's optimizer: Adam over an explicit list of variables (a GAN's generator
 * step must not move its discriminator), with settings read by name from the run's values
 * and changeable mid-run.
 */
import * as tf from '@tensorflow/tfjs';
import type { ParamValue } from '../params/schema';

/** Which keys of the run's values hold this optimizer's settings. */
export interface AdamKeys {
  lr: string;
  beta1?: string;
  beta2?: string;
}

const DEFAULT_BETAS = { beta1: 0.9, beta2: 0.999 };

export class AdamOptimizer {
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

  dispose(): void {
    this.adam.dispose();
  }
}
