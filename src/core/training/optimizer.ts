/**
 * One network's optimizer: Adam over an explicit list of variables (a GAN's generator
 * step must not move its discriminator), with settings read by name from the run's values
 * and changeable mid-run.
 */
import * as tf from '@tensorflow/tfjs';
import type { ParamValue } from '../params/schema';
import { MOMENTS_IN_VARIABLE_ORDER } from './checkpoint';
import { assignVariables, type ModelState, type StatePart } from './model-state';
import { onePassAdam } from './one-pass-adam';

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
    // TF.js's Adam, with each variable's update one kernel on WASM (./one-pass-adam.ts)
    this.adam = onePassAdam(setting(keys.lr, 0.001), setting(keys.beta1, DEFAULT_BETAS.beta1), setting(keys.beta2, DEFAULT_BETAS.beta2));
  }

  /** One update of this network's variables down the gradient of `loss`; returns the loss before the update. */
  minimize(loss: () => tf.Scalar): tf.Scalar {
    return this.adam.minimize(loss, true, this.variables) as tf.Scalar;
  }

  /**
   * One update from gradients computed elsewhere (by variable name, for this optimizer's
   * variables): a model that splits a large batch into parts sums their gradients and
   * applies them once, the same update in a part's memory. They go to Adam in the variables'
   * order, as minimize gives them: Adam keeps its moments in the order it first meets the
   * variables, and a map's keys would come in another (names that are whole numbers,
   * TF.js's for unnamed variables, first and in increasing order).
   */
  applyGradients(gradients: tf.NamedTensorMap): void {
    const inOrder = this.variables.filter((variable) => gradients[variable.name]).map((variable) => ({ name: variable.name, tensor: gradients[variable.name] }));
    this.adam.applyGradients(inOrder);
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
   * count, then the first moment estimates, one per variable in the variables' order, then
   * the second ones): together, all a resumed run needs to take the very next update the
   * original would have taken, and what an export reads (src/export/torch-layout.ts).
   */
  async save(): Promise<ModelState> {
    const tensors: tf.NamedTensorMap = {};
    this.variables.forEach((variable, i) => (tensors[`weights/${i}`] = variable.clone()));
    const adam = await this.adam.getWeights();
    // The step count is a fresh scalar; the moments are Adam's own variables, so copy them.
    adam.forEach(({ tensor }, i) => (tensors[`adam/${i}`] = i === 0 ? tensor : tensor.clone()));
    return { tensors, numbers: { [MOMENTS_IN_VARIABLE_ORDER]: 1 } };
  }

  async load({ tensors, numbers }: ModelState): Promise<void> {
    assignVariables(this.variables, tensors, 'weights/');
    const saved: tf.Tensor[] = [];
    for (let i = 0; tensors[`adam/${i}`]; i++) saved.push(tensors[`adam/${i}`]);
    // Before its first update Adam has no moments yet: a state saved at step 0 holds only the count.
    const moments = saved.length - 1;
    const n = this.variables.length;
    if (saved.length === 0 || (moments !== 0 && moments !== 2 * n)) {
      throw new Error(`The checkpoint's optimizer state has ${Math.max(moments, 0)} moment tensors for ${n} variables: it was saved by another configuration`);
    }
    const order = moments === 0 ? [] : this.savedOrder(saved, numbers[MOMENTS_IN_VARIABLE_ORDER] === 1);
    // order[k]: the variable whose moments were saved k-th; Adam takes them in the variables' order
    const at = new Array<number>(n);
    order.forEach((variable, k) => (at[variable] = k));
    const adam = [{ name: 'iter', tensor: saved[0] }, ...(moments === 0 ? [] : [...at.map((k) => saved[1 + k]), ...at.map((k) => saved[1 + n + k])].map((tensor, k) => ({ name: `adam/${1 + k}`, tensor })))];
    await this.adam.setWeights(adam);
  }

  /**
   * The variable each saved moment belongs to. States carry the note since Adam got its
   * gradients in the variables' order; a state without it that a model training in parts
   * saved has its moments in the order of a gradient map's keys (see applyGradients), told
   * apart by their shapes.
   */
  private savedOrder(saved: tf.Tensor[], inVariableOrder: boolean): number[] {
    const n = this.variables.length;
    const listOrder = [...Array(n).keys()];
    const fits = (order: number[]) => order.every((variable, k) => tf.util.arraysEqual(saved[1 + k].shape, this.variables[variable].shape));
    if (inVariableOrder || fits(listOrder)) {
      if (!fits(listOrder)) {
        const wrong = listOrder.find((i) => !tf.util.arraysEqual(saved[1 + i].shape, this.variables[i].shape))!;
        throw new Error(`The checkpoint's optimizer moments of variable ${wrong} are ${JSON.stringify(saved[1 + wrong].shape)}, the variable is ${JSON.stringify(this.variables[wrong].shape)}: it was saved by another configuration`);
      }
      return listOrder;
    }
    const position = new Map(this.variables.map((variable, i) => [variable.name, i]));
    const keyOrder = Object.keys(Object.fromEntries(this.variables.map((variable) => [variable.name, true]))).map((name) => position.get(name)!);
    if (!fits(keyOrder)) throw new Error('The checkpoint\'s optimizer moments do not fit this model\'s variables: it was saved by another configuration');
    return keyOrder;
  }

  dispose(): void {
    this.adam.dispose();
  }
}
