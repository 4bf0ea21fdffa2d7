/**
 * The gradients of a convEncoder's weights, written out layer by layer instead of recorded on
 * TF.js's tape: for the energy model's training step, whose loss is a function of the
 * energies of two batches (data and samples). A forward pass keeps what its way back reads
 * (./input-gradient.ts's forwardSaving) and gives the outputs; given dL/d(outputs), the way
 * back makes each weight's gradient:
 *   head:  dW = flatten(a)^T g,  db = sum g,  d flatten(a) = g W^T
 *   stage: dz = da (s + y (1 - s)) (Swish),  dW = x^T dz (Conv2DBackpropFilter),  db = sum dz,
 *          dx = the convolution's adjoint, with the Swish below's gradient in the same pass
 *          on WASM (GpSwishInputGradient)
 * The tape runs the same kernels, plus its bookkeeping of each (its records, identities and
 * casts), and Swish's gradients as passes of their own.
 */
import * as tf from '@tensorflow/tfjs';
import { backwardThrough, forwardSaving, writtenStack, type WrittenStack } from './input-gradient';

/** One batch's forward pass: its outputs [B, U], and its weights' gradients for dL/d(outputs), by variable name. */
export interface WrittenPass {
  output: tf.Tensor2D;
  gradients(upstream: tf.Tensor2D): tf.NamedTensorMap;
}

/** The bias gradient: dL/dz summed over every axis but the last (the channels). */
const summedToChannels = (dz: tf.Tensor) => tf.sum(dz, Array.from({ length: dz.rank - 1 }, (_, axis) => axis));

/** The variable a layer weight holds, and its name (the optimizer's key). */
const variableOf = (weight: tf.LayerVariable) => weight.read() as tf.Variable;

function pass(stack: WrittenStack, x: tf.Tensor4D): WrittenPass {
  const { stages, head } = stack;
  const forward = forwardSaving(stages, x);
  // [B, H, W, C] -> [B, F], then out = a W + b: the ops of Flatten and the lazy dense layer
  const flat = forward.activation.reshape([x.shape[0], -1]) as tf.Tensor2D;
  const kernel = variableOf(head.kernel) as unknown as tf.Tensor2D;
  const product = tf.matMul(flat, kernel);
  const output = (head.bias ? product.add(variableOf(head.bias)) : product) as tf.Tensor2D;
  return {
    output,
    gradients: (upstream) => {
      const gradients: tf.NamedTensorMap = {};
      // [F, B] x [B, U]: the tape's product for the kernel's gradient
      gradients[variableOf(head.kernel).name] = tf.matMul(flat, upstream, true, false);
      if (head.bias) gradients[variableOf(head.bias).name] = tf.sum(upstream, 0);
      const below = tf.matMul(upstream, kernel, false, true).reshape(forward.activation.shape) as tf.Tensor4D;
      backwardThrough(stages, forward, below, (stage, dz, i) => {
        const filter = variableOf(stage.kernel);
        gradients[filter.name] = tf.engine().runKernel('Conv2DBackpropFilter', { x: forward.saved[i].input, dy: dz }, { strides: stage.strides, pad: stage.padding, dataFormat: 'NHWC', filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
        gradients[variableOf(stage.bias).name] = summedToChannels(dz);
      }, false);
      return gradients;
    },
  };
}

/** `network`'s written-out forward pass and weight gradients (above), or undefined when its layers are not the ones written for. */
export function writtenParameterGradients(network: tf.Sequential): ((x: tf.Tensor) => WrittenPass) | undefined {
  const stack = writtenStack(network);
  return stack && ((x) => pass(stack, x as tf.Tensor4D));
}

/** Gradient maps added name by name (a weight seen by several batches). */
export function addGradients(maps: tf.NamedTensorMap[]): tf.NamedTensorMap {
  const total: tf.NamedTensorMap = {};
  for (const map of maps) for (const [name, gradient] of Object.entries(map)) total[name] = total[name] ? tf.add(total[name], gradient) : gradient;
  return total;
}
