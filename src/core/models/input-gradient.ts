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
 * undefined, and its caller the tape.
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

/** The written-out input gradient of `network`, or undefined when its layers are not the ones written for. */
export function writtenInputGradient(network: tf.Sequential): InputGradient | undefined {
  const layers = network.layers;
  if (layers.length < 2) return undefined;
  const head = lazyDenseParts(layers[layers.length - 1]);
  const convolutions = layers.slice(0, -2).map(lazyConvParts);
  if (!head || head.activation !== 'linear' || layers[layers.length - 2].getClassName() !== 'Flatten' || !convolutions.every(isPlainConvolution)) return undefined;
  const stages = convolutions as Array<LazyConvParts & { bias: tf.LayerVariable }>;
  return (x) =>
    tf.tidy(() => {
      // forwards: each stage's input shape, and for Swish its s and y
      const saved: Array<{ inputShape: number[]; swish?: [tf.Tensor, tf.Tensor] }> = [];
      let activation = x as tf.Tensor4D;
      for (const stage of stages) {
        const z = convolveWithBias(activation, stage.kernel.read() as tf.Tensor4D, stage.bias.read() as tf.Tensor1D, stage.strides, stage.padding);
        const swish = stage.activation === 'swish' ? sigmoidAndSwish(z) : undefined;
        saved.push({ inputShape: activation.shape, swish });
        activation = (swish ? swish[1] : z) as tf.Tensor4D;
      }
      // out = flatten(a) W + b, [B, F] x [F, U]: d(sum out)/d flatten(a) = ones[B, U] W^T, the tape's product
      const kernel = head.kernel.read() as tf.Tensor2D;
      let gradient = tf.matMul(tf.ones([x.shape[0], kernel.shape[1]]), kernel, false, true).reshape(activation.shape) as tf.Tensor4D;
      const last = saved[stages.length - 1].swish;
      if (last) gradient = swishGradient(gradient, ...last) as tf.Tensor4D;
      for (let i = stages.length - 1; i >= 0; i--) {
        // through the stage's convolution, and on through the Swish on its input (the stage below's) in the same pass where ours can
        const swish = i > 0 ? saved[i - 1].swish : undefined;
        gradient = convolutionInputGradient(gradient, stages[i].kernel.read() as tf.Tensor4D, saved[i].inputShape, stages[i].strides, stages[i].padding, { swish });
      }
      return gradient;
    });
}
