/**
 * What every autoregressive image network (PixelCNN, gated PixelCNN, PixelCNN++, PixelRNN)
 * gives the model around it (./autoregressive-model.ts): an exact -log p(x) to train and
 * evaluate on, K scores per value to draw from (./pixel-sampler.ts) and to take gradients
 * of (./receptive-field.ts), its weights and its size.
 */
import type * as tf from '@tensorflow/tfjs';
import type { FieldNetwork } from './receptive-field';
import type { PixelSamplingNetwork } from './pixel-sampler';

export interface AutoregressiveNetwork extends PixelSamplingNetwork, FieldNetwork {
  /**
   * -log p(x) per image, in nats. input: the network's inputs [B, H, W, C] (v / 255 for
   * 8-bit values, the values themselves when binary); values: the same images as read
   * [B, H, W, C] (int32 0..255, or 0/1). training: true in a training step (dropout on),
   * false when evaluating. -> [B]
   */
  negLogLikelihood(input: tf.Tensor4D, values: tf.Tensor4D, training: boolean): tf.Tensor1D;
  /**
   * The scores of every value: [B, H, W, C] -> [B, H, W, C, K]. A softmax over them is the
   * value's distribution given everything before it (K = 256: logits, or a mixture's log
   * probabilities of the 256 values; K = 1: a Bernoulli's logit).
   */
  logits(x: tf.Tensor4D): tf.Tensor5D;
  readonly variables: tf.Variable[];
  /** Floats one example holds at the peak of a training step (activations and their gradients): for the memory estimate and for training big batches in parts. It may depend on the current backend (which kernels run). */
  readonly floatsPerExample: number;
  dispose(): void;
}
