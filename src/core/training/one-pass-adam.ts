/**
 * TF.js's Adam with each variable's update as one kernel on WASM (../wasm-heap-adam.ts):
 * tf.train.adam runs fourteen kernels per variable and step (products, sums, a square, a
 * root, quotients), each a call through the engine's bookkeeping that costs more than its
 * arithmetic on a small variable. PixelCNN++'s 116 variables made 1,600 such calls a step.
 * The same float32 operations in the same order, so the same numbers, moments and weights
 * (tests/unit/one-pass-adam.test.ts); its state is TF.js's (getWeights, setWeights), and on
 * other backends it is TF.js's Adam itself.
 */
import * as tf from '@tensorflow/tfjs';
import { ADAM_UPDATE, type AdamUpdateAttrs } from '../wasm-heap-adam';
import { runsOnWasmHeap } from '../wasm-heap-views';

/** The fields of tfjs-core's AdamOptimizer that its update uses (private there). */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
}

/** What applyGradients takes: gradients by variable name, or a list of them (tfjs-core's NamedVariableMap | NamedTensor[]). */
type VariableGradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

export class OnePassAdam extends tf.AdamOptimizer {
  applyGradients(variableGradients: VariableGradients): void {
    if (!runsOnWasmHeap(ADAM_UPDATE)) {
      super.applyGradients(variableGradients);
      return;
    }
    const state = this as unknown as AdamState;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    tf.tidy(() => {
      // 1 - beta^t, as float32 tensors, as TF.js's Adam computes them
      const oneMinusAccBeta1 = tf.sub(1, state.accBeta1);
      const oneMinusAccBeta2 = tf.sub(1, state.accBeta2);
      const attrs: AdamUpdateAttrs = { beta1: state.beta1, beta2: state.beta2, epsilon: state.epsilon, learningRate: state.learningRate };
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name];
        // the moments made as TF.js's Adam makes them, named as it names them (its saved state)
        state.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        state.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const gradient: tf.Tensor | undefined = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
        if (gradient == null) return;
        const [m, v] = [state.accumulatedFirstMoment[i].variable, state.accumulatedSecondMoment[i].variable];
        const inputs = { x: value, m, v, g: gradient, oneMinusAccBeta1, oneMinusAccBeta2 };
        const [newValue, newM, newV] = tf.engine().runKernel(ADAM_UPDATE, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        m.assign(newM);
        v.assign(newV);
        value.assign(newValue);
      });
      state.accBeta1.assign(tf.mul(state.accBeta1, state.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, state.beta2));
    });
    this.incrementIterations();
  }
}

/** tf.train.adam's defaults and arguments, as a OnePassAdam. */
export function onePassAdam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999): OnePassAdam {
  return new OnePassAdam(learningRate, beta1, beta2);
}
