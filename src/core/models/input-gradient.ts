/**
 * The gradient of a network's outputs, summed over the batch, with respect to its input,
 * written out layer by layer instead of recorded on TF.js's tape: for the energy-based
 * model's Langevin walk, which asks for grad E(x) ten times in every training step (the
 * energies of a batch are independent, so the gradient of their sum is each example's own).
 *
 * tf.grad records every kernel of the forward pass with its gradient function and the
 * tensors it saves, then replays them backwards: about 60 kernel calls a Langevin step for
 * the EBM's three convolutions, a third of them identities and reshapes, each with the
 * engine's bookkeeping. Written out, the forward pass keeps only what the backward pass
 * reads (each Swish's s and y), skips the last layer's output (its weights are all the
 * gradient needs), and the backward pass runs the kernels the tape would, in its order, on
 * the same tensors: the same numbers, to the bit (tests/unit/input-gradient.test.ts). On
 * WASM each Swish's gradient is taken in the pass before it, the input gradient of the
 * convolution above (conv-with-bias.ts): the same float32 operations, one pass fewer.
 *
 * Written for the stacks ./networks.ts's convEncoder builds: lazy convolutions with a bias
 * and Swish (or no activation), a flatten, a linear lazy dense layer. Any other network gets
 * undefined, and its caller the tape. The stack's reading, its forward pass and its way back
 * are shared with the weights' gradients of the energy model's training step
 * (./parameter-gradients.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { convolutionInputGradient, convolveWithBias } from './conv-with-bias';
import { lazyConvParts, lazyDenseParts, type LazyConvParts } from './lazy-layers';
import { sigmoidAndSwish } from '../wasm-heap-activations';
import { swishGradient } from './swish';

/** x: [B, ...input] -> d(sum over the batch and the outputs)/dx, shaped like x. */
export type InputGradient = (x: tf.Tensor) => tf.Tensor;

const isPlainConvolution = (parts: LazyConvParts | undefined): parts is LazyConvParts & { bias: tf.LayerVariable } =>
  parts !== undefined && parts.bias !== null && parts.dilationRate.every((rate) => rate === 1) && (parts.activation === 'swish' || parts.activation === 'linear');

/** A convEncoder's layers as the written-out gradients read them: its convolutions (with bias, Swish or none) and its linear head. */
export interface WrittenStack {
  stages: Array<LazyConvParts & { bias: tf.LayerVariable }>;
  head: { kernel: tf.LayerVariable; bias: tf.LayerVariable | null };
}

/** What a forward pass keeps for the way back: each stage's input and, for Swish, its s and y; and the last activation. */
export interface SavedForward {
  saved: Array<{ input: tf.Tensor4D; swish?: [tf.Tensor, tf.Tensor] }>;
  activation: tf.Tensor4D;
}

/** `network`'s stack when its layers are the ones written for (above), else undefined. */
export function writtenStack(network: tf.Sequential): WrittenStack | undefined {
  const layers = network.layers;
  if (layers.length < 2) return undefined;
  const head = lazyDenseParts(layers[layers.length - 1]);
  const convolutions = layers.slice(0, -2).map(lazyConvParts);
  if (!head || head.activation !== 'linear' || layers[layers.length - 2].getClassName() !== 'Flatten' || !convolutions.every(isPlainConvolution)) return undefined;
  return { stages: convolutions as WrittenStack['stages'], head };
}

/** The stages' forward pass from x, keeping what the way back reads (the same kernels as the layers' own calls). */
export function forwardSaving(stages: WrittenStack['stages'], x: tf.Tensor4D): SavedForward {
  const saved: SavedForward['saved'] = [];
  let activation = x;
  for (const stage of stages) {
    // as the lazy layer's own call (./lazy-layers.ts): no causal order, rows free to combine
    const z = convolveWithBias(activation, stage.kernel.read() as tf.Tensor4D, stage.bias.read() as tf.Tensor1D, stage.strides, stage.padding, [1, 1], { windowRows: false });
    const swish = stage.activation === 'swish' ? sigmoidAndSwish(z) : undefined;
    saved.push({ input: activation, swish });
    activation = (swish ? swish[1] : z) as tf.Tensor4D;
  }
  return { saved, activation };
}

/**
 * From dL/d(stage i's output activation) down: each stage's convolution gradients, and on
 * through the Swish on its input (the stage below's) in the same pass where ours can. `each`
 * gets each stage's dL/dz (after its Swish's gradient) with the stage; the gradient with
 * respect to the first stage's input is made only if `toInput`.
 */
export function backwardThrough(stages: WrittenStack['stages'], { saved }: SavedForward, gradient: tf.Tensor4D, each: (stage: WrittenStack['stages'][number], dz: tf.Tensor4D, index: number) => void, toInput: boolean): tf.Tensor4D | undefined {
  const last = saved[stages.length - 1].swish;
  let dz = last ? (swishGradient(gradient, ...last) as tf.Tensor4D) : gradient;
  for (let i = stages.length - 1; i >= 0; i--) {
    each(stages[i], dz, i);
    if (i === 0 && !toInput) return undefined;
    // through the stage's convolution, and on through the Swish on its input (the stage below's) in the same pass where ours can
    const swish = i > 0 ? saved[i - 1].swish : undefined;
    dz = convolutionInputGradient(dz, stages[i].kernel.read() as tf.Tensor4D, saved[i].input.shape, stages[i].strides, stages[i].padding, { swish, windowRows: false });
  }
  return dz;
}

/** The written-out input gradient of `network`, or undefined when its layers are not the ones written for. */
export function writtenInputGradient(network: tf.Sequential): InputGradient | undefined {
  const stack = writtenStack(network);
  if (!stack) return undefined;
  const { stages, head } = stack;
  return (x) =>
    tf.tidy(() => {
      // forwards: each stage's input, and for Swish its s and y
      const forward = forwardSaving(stages, x as tf.Tensor4D);
      // out = flatten(a) W + b, [B, F] x [F, U]: d(sum out)/d flatten(a) = ones[B, U] W^T, the tape's product;
      // with one output (an energy) each row is W^T itself, 1 w = w exactly: copied, not multiplied (a product
      // one number deep took XNNPACK 41 microseconds a Langevin step, the copy 15)
      const kernel = head.kernel.read() as tf.Tensor2D;
      const [features, units] = kernel.shape;
      const rows = units === 1 ? tf.tile(kernel.reshape([1, features]), [x.shape[0], 1]) : tf.matMul(tf.ones([x.shape[0], units]), kernel, false, true);
      // [B, F] -> [B, H, W, C]
      const gradient = rows.reshape(forward.activation.shape) as tf.Tensor4D;
      return backwardThrough(stages, forward, gradient, () => undefined, true) as tf.Tensor;
    });
}
