/**
 * tf.layers.conv2d and tf.layers.dense with gradients computed only where asked for.
 *
 * tfjs-layers runs a convolution with a bias (and no activation it can fuse, or a linear
 * one) as tfjs-core's fused convolution, whose gradient is one custom function returning
 * the input's, the filter's and the bias's gradients together: a gradient with respect to
 * the input alone (every Langevin step of the energy-based model, a generator's step through
 * its discriminator) computes the filter's too, as costly as the convolution itself. This
 * layer is the same layer (the same weights, names, order and initialisation: it only
 * replaces `call`) computed as the FusedConv2D kernel (the convolution, its bias added as
 * it is stored) with a gradient of ours, then the activation: TF.js computes the gradients
 * one by one, only those needed. Swish is ./swish.ts's, whose gradient is written out: the
 * same values, fewer kernels. The dense layer likewise: tfjs-layers' is a fused product
 * whose gradient returns the weights' gradients with the input's; ours is a product and a
 * sum, each differentiated on its own.
 */
import * as tf from '@tensorflow/tfjs';
import { convolveWithBias } from './conv-with-bias';
import { swish } from './swish';

type ConvArgs = Parameters<typeof tf.layers.conv2d>[0];
type DenseArgs = Parameters<typeof tf.layers.dense>[0];
/** The parts of tfjs-layers' Dense that call() reads (its typings keep some private). */
interface DenseParts {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  activation: { apply(x: tf.Tensor): tf.Tensor } | null;
}
type DenseLayer = ReturnType<typeof tf.layers.dense>;
type ConvLayer = ReturnType<typeof tf.layers.conv2d> & {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  strides: [number, number];
  padding: 'valid' | 'same';
  dilationRate: [number, number];
  activation: { apply(x: tf.Tensor): tf.Tensor; getClassName(): string } | null;
};

let LazyConv2D: (new (args: ConvArgs) => ConvLayer) | undefined;

/** The class, made once from tfjs-layers' own Conv2D (which the package does not export by name). */
function lazyConvClass(): new (args: ConvArgs) => ConvLayer {
  if (LazyConv2D) return LazyConv2D;
  const Conv2D = tf.layers.conv2d({ filters: 1, kernelSize: 1 }).constructor as new (args: ConvArgs) => ConvLayer;
  LazyConv2D = class extends Conv2D {
    call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
      return tf.tidy(() => {
        const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
        // [B, H, W, Ci] * [Fh, Fw, Ci, Co] (+ [Co]) -> [B, H', W', Co]
        const filter = this.kernel.read() as tf.Tensor4D;
        // a lazy layer reads its image in no causal order (the EBM's, the encoders', the GAN discriminator's): its rows may combine
        const y = this.bias ? convolveWithBias(x, filter, this.bias.read() as tf.Tensor1D, this.strides, this.padding, this.dilationRate, { windowRows: false }) : tf.conv2d(x, filter, this.strides, this.padding, 'NHWC', this.dilationRate);
        // Swish with its gradient written out (./swish.ts): the same values, fewer kernels backwards
        if (this.activation?.getClassName() === 'swish') return swish(y);
        return this.activation ? this.activation.apply(y) : y;
      });
    }
  } as unknown as new (args: ConvArgs) => ConvLayer;
  return LazyConv2D;
}

/** What a lazy convolution layer computes: its weights, geometry and activation's name ('linear' for none). */
export interface LazyConvParts {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  strides: [number, number];
  padding: 'valid' | 'same';
  dilationRate: [number, number];
  activation: string;
}

/** The parts of `layer` when it is a lazyConv2d layer, else undefined. */
export function lazyConvParts(layer: tf.layers.Layer): LazyConvParts | undefined {
  if (!LazyConv2D || !(layer instanceof LazyConv2D)) return undefined;
  const { kernel, bias, strides, padding, dilationRate, activation } = layer as ConvLayer;
  return { kernel, bias, strides, padding, dilationRate, activation: activation?.getClassName() ?? 'linear' };
}

/** A 2-D convolution layer (NHWC) like tf.layers.conv2d, differentiated lazily. */
export function lazyConv2d(args: ConvArgs): ReturnType<typeof tf.layers.conv2d> {
  if (args.dataFormat && args.dataFormat !== 'channelsLast') throw new Error('lazyConv2d takes channels-last data only');
  return new (lazyConvClass())(args);
}

let LazyDense: (new (args: DenseArgs) => DenseLayer) | undefined;

/** The class, made once from tfjs-layers' own Dense. */
function lazyDenseClass(): new (args: DenseArgs) => DenseLayer {
  if (LazyDense) return LazyDense;
  const Dense = tf.layers.dense({ units: 1 }).constructor as new (args: DenseArgs) => DenseLayer;
  LazyDense = class extends Dense {
    call(inputs: tf.Tensor | tf.Tensor[], kwargs: object): tf.Tensor | tf.Tensor[] {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor;
      // inputs of higher rank (a product over the last axis) are left to tfjs-layers
      if (x.rank !== 2) return super.call(inputs, kwargs as never);
      return tf.tidy(() => {
        const { kernel, bias, activation } = this as unknown as DenseParts;
        // [B, in] x [in, out] (+ [out]) -> [B, out]: the product's gradient and the sum's, each only when needed
        const product = tf.matMul(x as tf.Tensor2D, kernel.read() as tf.Tensor2D);
        const y = bias ? product.add(bias.read()) : product;
        return activation ? activation.apply(y) : y;
      });
    }
  } as unknown as new (args: DenseArgs) => DenseLayer;
  return LazyDense;
}

/** The weights and activation's name ('linear' for none) of `layer` when it is a lazyDense layer, else undefined. */
export function lazyDenseParts(layer: tf.layers.Layer): { kernel: tf.LayerVariable; bias: tf.LayerVariable | null; activation: string } | undefined {
  if (!LazyDense || !(layer instanceof LazyDense)) return undefined;
  const { kernel, bias, activation } = layer as unknown as DenseParts & { activation: { getClassName(): string } | null };
  return { kernel, bias, activation: activation?.getClassName() ?? 'linear' };
}

/** A dense layer like tf.layers.dense, differentiated lazily (inputs of rank 2). */
export function lazyDense(args: DenseArgs): ReturnType<typeof tf.layers.dense> {
  return new (lazyDenseClass())(args);
}
