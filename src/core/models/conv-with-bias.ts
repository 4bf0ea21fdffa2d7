/**
 * A convolution with its bias added as the output is stored: TF.js's FusedConv2D kernel,
 * run directly, with a gradient of ours.
 *
 * tf.conv2d(x, W).add(b) writes the convolution's output and then reads it again to add the
 * bias: a whole pass over an activation (12 ms of a PixelCNN step on WASM). tfjs-core's fused
 * op does it in one, but records one gradient function that returns the input's, the
 * filter's and the bias's gradients together: a gradient with respect to the input alone
 * (every Langevin step of the energy-based model, a generator's step through its
 * discriminator) would compute the filter's too, as costly as the convolution itself.
 * Used by ./lazy-layers.ts (tfjs-layers' convolutions) and PixelCNN's masked convolutions.
 */
import * as tf from '@tensorflow/tfjs';
import { runsSwishInputGradient, SWISH_INPUT_GRADIENT } from '../wasm-simd/register';
import { swishGradient } from './swish';

type Padding = 'valid' | 'same' | tf.backend_util.ExplicitPadding;

/** How many keepRowsApart calls are under way. */
let rowsApart = 0;

/**
 * Runs `pass` with every convolution of convolveWithBias summing each output as the direct
 * convolution does (exactRows): an autoregressive sampler's pass over a window of rows and
 * its pass over the whole image then give the same numbers to the bit, and draw the same
 * values. Training combines rows where it may (Winograd's, on WASM), which moves a sum by a
 * rounding and changes nothing else.
 */
export function keepRowsApart<T>(pass: () => T): T {
  rowsApart += 1;
  try {
    return pass();
  } finally {
    rowsApart -= 1;
  }
}

/**
 * conv2d(x, filter) + bias as one FusedConv2D kernel (the bias added as the output is
 * stored, no separate pass over it), recorded on the tape as that kernel, whose gradient
 * (registered below, on first use) gives each input's gradient only when asked for: tfjs-core's fused op
 * would record one function returning all three. Two options for our WASM kernels, which
 * TF.js's ignore (../wasm-simd/winograd.ts): `lastRowApart`, the filter's last row is a
 * masked centre row, which Winograd's rows may not combine with the others (a PixelCNN's);
 * `exactRows`, no rows combined at all, as inside keepRowsApart; `windowRows`, each output
 * reads only its own window's rows, even in rounding (no F(4, r) along them,
 * ../wasm-simd/winograd-quad-rows.ts, and no strided pass by F(4, 2) over its phases,
 * ../wasm-simd/strided-winograd.ts): on by default, since the convolutions that come here
 * are mostly the autoregressive models', causal by rows; the lazy layers (the EBM's, the
 * encoders', the GAN discriminator's) and the EBM's written-out gradients turn it off.
 */
export function convolveWithBias(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, strides: [number, number], pad: Padding, dilations: [number, number] = [1, 1], { exactRows = false, lastRowApart = false, windowRows = true } = {}): tf.Tensor4D {
  registerFusedConvGradient();
  // read by our WASM kernels (../wasm-simd/register.ts)
  const attrs = { strides, pad, dataFormat: 'NHWC', dilations, activation: 'linear', exactRows: exactRows || rowsApart > 0, lastRowApart, windowRows };
  return tf.engine().runKernel('FusedConv2D', { x, filter, bias }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/**
 * dL/dx of convolveWithBias(x, filter, ...) given dL/dy, as its gradient on the tape computes
 * it (the same kernel and options, so the same numbers): for gradients written out without the
 * tape (./input-gradient.ts). With `swish`, Swish's [s, y] on x (./swish.ts), the gradient
 * carried on through that Swish too, dL/dx (s + y (1 - s)): on WASM in the same pass where
 * ours can (../wasm-simd/strided.ts), the same numbers as the two one after the other.
 */
export function convolutionInputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: number[], strides: [number, number], pad: Padding, { exactRows = false, lastRowApart = false, windowRows = true, swish }: { exactRows?: boolean; lastRowApart?: boolean; windowRows?: boolean; swish?: [tf.Tensor, tf.Tensor] } = {}): tf.Tensor4D {
  const attrs = { strides, pad, dataFormat: 'NHWC' as const, inputShape, exactRows: exactRows || rowsApart > 0, lastRowApart, windowRows };
  if (swish && runsSwishInputGradient(dy, filter, swish[0], swish[1], attrs)) {
    // our kernels' outputs come as a list
    const [dx] = tf.engine().runKernel(SWISH_INPUT_GRADIENT, { dy, filter, s: swish[0], y: swish[1] }, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor4D[];
    return dx;
  }
  const dx = () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  return swish ? tf.tidy(() => swishGradient(dx(), ...swish) as tf.Tensor4D) : dx();
}

/**
 * The gradient of FusedConv2D run as above (linear, NHWC, no dilation): one function per
 * input, called by the tape only for the inputs on the way to what is differentiated.
 * Registered once.
 * tfjs-core registers none (its fused op records its own), so this one is used only by
 * kernels run directly.
 */
function registerFusedConvGradient(): void {
  if (tf.getGradient('FusedConv2D')) return;
  tf.registerGradient({
    kernelName: 'FusedConv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const { strides, pad, dataFormat, dilations, activation, dimRoundingMode, exactRows, lastRowApart, windowRows } = attrs as unknown as { strides: [number, number]; pad: Padding; dataFormat: string; dilations: [number, number]; activation: string; dimRoundingMode?: string; exactRows?: boolean; lastRowApart?: boolean; windowRows?: boolean };
      const dilated = Array.isArray(dilations) ? dilations.some((rate) => rate !== 1) : dilations !== 1;
      if (activation !== 'linear' || dataFormat !== 'NHWC' || dilated) throw new Error(`conv-with-bias: no gradient for FusedConv2D with ${activation}, ${dataFormat}, dilations ${dilations}`);
      const gradient = dy as tf.Tensor4D;
      return {
        // dL/dx: the convolution's adjoint; dL/dW: x^T dy over every position; dL/db: dy summed over all but the channels
        // as the forward pass read it: a FusedConv2D run without the attribute took F(4, r) rows (../wasm-simd/register.ts)
        x: () => convolutionInputGradient(gradient, filter, x.shape, strides, pad, { exactRows, lastRowApart, windowRows: windowRows === true }),
        filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: gradient }, { strides, pad, dataFormat, dimRoundingMode, exactRows, lastRowApart, windowRows, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        bias: () => tf.sum(gradient, [0, 1, 2]),
      };
    },
  });
}
