/**
 * Kernels that TF.js 4.22 lacks or gets wrong, registered from ops that work.
 *
 * WASM: the filter gradient of a convolution, which tfjs-backend-wasm 4.22 lacks (its kernel
 * Conv2DBackpropFilter is missing, so neither conv2d nor conv2dTranspose can train their
 * filters there). We register it for 'wasm', built from a forward convolution, which the
 * WASM backend runs fast:
 *
 *   dW[fh, fw, ci, co] = sum_{b, i, j} x_pad[b, i*s + fh, j*s + fw, ci] * dy[b, i, j, co]
 *
 * is a stride-1 convolution of x_pad (batch and channels swapped) with dy (as the filter),
 * dilated by the stride s.
 */
import * as tf from '@tensorflow/tfjs';
import { speedUpWasmDataMovement } from './wasm-heap-kernels';
import { speedUpWasmRows } from './wasm-heap-rows';
import { registerActivationKernels } from './wasm-heap-activations';
import { registerArithmeticKernels } from './wasm-heap-arithmetic';
import { registerBatchNormKernel } from './wasm-heap-batch-norm';
import { registerNormalNoise } from './wasm-heap-noise';
import { registerLangevinMove } from './wasm-heap-langevin';
import { registerOverwriteRows } from './wasm-heap-overwrite';
import { registerAdamUpdate } from './wasm-heap-adam';
import { registerGate } from './wasm-heap-gate';
import { registerLstmCell } from './wasm-heap-lstm';
import { registerRowNeighbours } from './wasm-heap-neighbours';
import { registerMixtureBins } from './wasm-heap-mixture';
import { registerSimdConvolutions } from './wasm-simd/register';
import { kernelsOn, type WasmBackend } from './wasm-simd/heap';

/** Padding per axis of an NHWC tensor, [before, after]: TF.js's conv_util.ExplicitPadding, which tfjs does not re-export. */
type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

interface BackpropFilterAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  filterShape: [number, number, number, number];
}

/** x: [B, H, W, Ci], dy: [B, Ho, Wo, Co] -> dW: [Fh, Fw, Ci, Co]. */
export function conv2dFilterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, attrs: BackpropFilterAttrs): tf.Tensor4D {
  const [strideH, strideW] = typeof attrs.strides === 'number' ? [attrs.strides, attrs.strides] : attrs.strides;
  const [filterH, filterW] = attrs.filterShape;
  return tf.tidy(() => {
    const [, inH, inW] = x.shape;
    const [, outH, outW] = dy.shape;
    const [padTop, padBottom] = paddingOf(attrs.pad, 1, inH, outH, strideH, filterH);
    const [padLeft, padRight] = paddingOf(attrs.pad, 2, inW, outW, strideW, filterW);
    // [B, H, W, Ci] -> [Ci, H, W, B]: input channels become the batch
    const input = x.transpose([3, 1, 2, 0]) as tf.Tensor4D;
    // [B, Ho, Wo, Co] -> [Ho, Wo, B, Co]: the output gradient becomes the filter
    const filter = dy.transpose([1, 2, 0, 3]) as tf.Tensor4D;
    // x_pad's padding goes to the convolution (no padded copy of x):
    // [Ci, Hp - (Ho-1)s, Wp - (Wo-1)s, Co], of which the first Fh x Fw are the gradient
    const padding: ExplicitPadding = [[0, 0], [padTop, padBottom], [padLeft, padRight], [0, 0]];
    const full = tf.conv2d(input, filter, 1, padding as never, 'NHWC', [strideH, strideW]);
    // [Ci, Fh, Fw, Co] -> [Fh, Fw, Ci, Co]
    return full.slice([0, 0, 0, 0], [-1, filterH, filterW, -1]).transpose([1, 2, 0, 3]) as tf.Tensor4D;
  });
}

/**
 * TF's padding of a convolution from `in` to `out` pixels along NHWC axis `axis` (1 rows,
 * 2 columns): [before, after]; 'same' puts the odd pixel after.
 */
function paddingOf(pad: BackpropFilterAttrs['pad'], axis: 1 | 2, inSize: number, outSize: number, stride: number, filterSize: number): [number, number] {
  if (typeof pad === 'number') return [pad, pad];
  if (Array.isArray(pad)) return [pad[axis][0], pad[axis][1]];
  if (pad === 'valid') return [0, Math.max((outSize - 1) * stride + filterSize - inSize, 0)];
  const total = Math.max((outSize - 1) * stride + filterSize - inSize, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** [B, H, W, C] -> [B, (H-1)s+1, (W-1)s+1, C]: s - 1 zeros between neighbouring pixels. */
function spreadOut(dy: tf.Tensor4D, strideH: number, strideW: number): tf.Tensor4D {
  const [batch, height, width, channels] = dy.shape;
  let wide = dy;
  if (strideW > 1) {
    // [B, H, W, C] + zeros -> [B, H, W, sC] -> [B, H, Ws, C]: each pixel followed by s - 1 zero pixels
    wide = tf.concat([dy, tf.zeros([batch, height, width, (strideW - 1) * channels])], 3).reshape([batch, height, width * strideW, channels]);
  }
  let tall = wide;
  if (strideH > 1) {
    // [B, H, Ws, C] + zeros -> [B, H, s Ws, C] -> [B, Hs, Ws, C]: each row followed by s - 1 zero rows
    const rowLength = width * strideW;
    tall = tf.concat([wide, tf.zeros([batch, height, (strideH - 1) * rowLength, channels])], 2).reshape([batch, height * strideH, rowLength, channels]);
  }
  return tall.slice([0, 0, 0, 0], [batch, (height - 1) * strideH + 1, (width - 1) * strideW + 1, channels]);
}

interface BackpropInputAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | ExplicitPadding;
  inputShape: [number, number, number, number];
}

/**
 * dy: [B, Ho, Wo, Co], filter W: [Fh, Fw, Ci, Co] -> dx: [B, H, W, Ci], the input gradient of
 * a convolution (and the forward pass of a transposed one):
 *   dx[b, y, x, ci] = sum_{fh, fw, co} dy[b, (y + pt - fh) / s, (x + pl - fw) / s, co] W[fh, fw, ci, co]
 * (terms with a fractional or out-of-range index are 0). With dy spread out by s, that is a
 * stride-1 convolution with W turned 180 degrees and its channel axes swapped.
 */
export function conv2dInputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, attrs: BackpropInputAttrs): tf.Tensor4D {
  const [strideH, strideW] = typeof attrs.strides === 'number' ? [attrs.strides, attrs.strides] : attrs.strides;
  const [, inH, inW] = attrs.inputShape;
  const [filterH, filterW] = filter.shape;
  return tf.tidy(() => {
    const [, outH, outW] = dy.shape;
    const [padTop] = paddingOf(attrs.pad, 1, inH, outH, strideH, filterH);
    const [padLeft] = paddingOf(attrs.pad, 2, inW, outW, strideW, filterW);
    const spread = spreadOut(dy, strideH, strideW); // [B, (Ho-1)s+1, (Wo-1)s+1, Co]
    // Pad so that a valid stride-1 convolution gives H x W; negative padding is a crop.
    const [top, left] = [filterH - 1 - padTop, filterW - 1 - padLeft];
    const bottom = inH + filterH - 1 - spread.shape[1] - top;
    const right = inW + filterW - 1 - spread.shape[2] - left;
    // [Fh, Fw, Ci, Co] -> turned 180 degrees, [Fh, Fw, Co, Ci]
    const turned = filter.reverse([0, 1]).transpose([0, 1, 3, 2]) as tf.Tensor4D;
    // The padding goes to the convolution (no padded copy of dy), unless some side is cropped.
    if (Math.min(top, bottom, left, right) >= 0) {
      const padding: ExplicitPadding = [[0, 0], [top, bottom], [left, right], [0, 0]];
      return tf.conv2d(spread, turned, 1, padding as never);
    }
    const padded = spread.pad([[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [Math.max(left, 0), Math.max(right, 0)], [0, 0]]);
    const cropped = padded.slice([0, Math.max(-top, 0), Math.max(-left, 0), 0], [-1, inH + filterH - 1, inW + filterW - 1, -1]);
    return tf.conv2d(cropped as tf.Tensor4D, turned, 1, 'valid');
  });
}

/** Wraps a kernel's inputs as tensors for ops; the wrappers made here are let go afterwards. */
function withTensors<T>(infos: tf.TensorInfo[], run: (tensors: tf.Tensor4D[]) => T): T {
  const wrapped: tf.Tensor[] = [];
  const tensors = infos.map((info) => {
    // The engine hands kernels the input tensors themselves (typed as TensorInfo).
    if (info instanceof tf.Tensor) return info as tf.Tensor4D;
    const tensor = tf.engine().makeTensorFromTensorInfo(info, tf.backend());
    wrapped.push(tensor);
    return tensor as tf.Tensor4D;
  });
  try {
    return run(tensors);
  } finally {
    wrapped.forEach((tensor) => tensor.dispose());
  }
}

/**
 * Replaces the kernel `name` of a backend by `replacement(original)`, once: a second call
 * finds the replacement (marked `fixed`) and does nothing.
 */
function replaceKernel(name: string, backendName: string, replacement: (original: tf.KernelConfig) => tf.KernelFunc): void {
  const original = tf.getKernel(name, backendName);
  if (!original || (original as { fixed?: boolean }).fixed) return;
  tf.unregisterKernel(name, backendName);
  const fixed: tf.KernelConfig & { fixed: boolean } = { kernelName: name, backendName, fixed: true, kernelFunc: replacement(original) };
  tf.registerKernel(fixed);
}

/**
 * WASM: tfjs-backend-wasm 4.22's Conv2DBackpropInput is a plain loop, ~20x slower than its
 * XNNPACK forward convolution (66 ms per call in the convolutional autoencoder, 2/3 of a
 * training step). Every convolution's backward pass and every transposed convolution runs
 * it; we replace it by conv2dInputGradient, built on the forward convolution.
 */
export function speedUpWasmInputGradient(): void {
  replaceKernel('Conv2DBackpropInput', 'wasm', (original) => (args) => {
    const { inputs, attrs } = args;
    const { dataFormat, dimRoundingMode } = attrs as { dataFormat?: string; dimRoundingMode?: string };
    // Layouts our layers never use go to the original kernel.
    if ((dataFormat && dataFormat !== 'NHWC') || dimRoundingMode) return original.kernelFunc(args);
    return withTensors([inputs.dy as tf.TensorInfo, inputs.filter as tf.TensorInfo], ([dy, filter]) =>
      conv2dInputGradient(dy, filter, attrs as unknown as BackpropInputAttrs),
    );
  });
}

let registered = false;

/** Call after the WASM backend is set; harmless to call twice. */
export function registerWasmGradientKernels(): void {
  speedUpWasmDataMovement();
  speedUpWasmRows();
  registerActivationKernels();
  registerArithmeticKernels();
  registerBatchNormKernel();
  registerNormalNoise();
  registerLangevinMove();
  registerOverwriteRows();
  registerAdamUpdate();
  registerGate();
  registerLstmCell();
  registerRowNeighbours();
  registerMixtureBins();
  speedUpWasmTransposedMatMul();
  speedUpWasmInputGradient();
  fixResizeNearestGradient('wasm');
  if (!registered && !tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    registered = true;
    tf.registerKernel({
      kernelName: 'Conv2DBackpropFilter',
      backendName: 'wasm',
      kernelFunc: ({ inputs, attrs }) =>
        withTensors([inputs.x as tf.TensorInfo, inputs.dy as tf.TensorInfo], ([x, dy]) => conv2dFilterGradient(x, dy, attrs as unknown as BackpropFilterAttrs)),
    });
  }
  // in front of the kernels above, which keep the cases ours leave
  registerSimdConvolutions();
}

/**
 * CPU: tfjs-backend-cpu 4.22's Conv2DBackpropFilter takes seconds where the forward
 * convolution takes tens of ms (7.5 s of an 8 s step of the convolutional autoencoder at
 * batch 8), so conv models on the CPU fallback barely trained. We use conv2dFilterGradient
 * there too. NCHW and rounding modes, which our layers never use, go to the original.
 */
export function speedUpCpuFilterGradient(): void {
  replaceKernel('Conv2DBackpropFilter', 'cpu', (original) => (args) => {
    const { dataFormat, dimRoundingMode } = args.attrs as { dataFormat?: string; dimRoundingMode?: string };
    if ((dataFormat && dataFormat !== 'NHWC') || dimRoundingMode) return original.kernelFunc(args);
    return withTensors([args.inputs.x as tf.TensorInfo, args.inputs.dy as tf.TensorInfo], ([x, dy]) =>
      conv2dFilterGradient(x, dy, args.attrs as unknown as BackpropFilterAttrs),
    );
  });
}

/**
 * CPU: tfjs-backend-cpu 4.22's ResizeNearestNeighborGrad offsets dy by the batch stride of
 * the input rather than of dy, so every image after the first in a batch gets a wrong
 * gradient (nearest upsampling then trains wrongly on 'cpu', and only there). WASM: its
 * kernel is right but a slow loop (7 ms a call in the convolutional autoencoder). For an
 * integer scale without align-corners, which is what upsampling layers use, each input
 * pixel's gradient is the sum of the s x s block of dy it was copied to:
 *   dx[b, i, j, c] = sum_{p, q < s} dy[b, i*s + p, j*s + q, c]
 * Other cases go to the original kernel.
 */
export function fixResizeNearestGradient(backendName: 'cpu' | 'wasm'): void {
  replaceKernel('ResizeNearestNeighborGrad', backendName, (original) => (args) => {
    const { images, dy } = args.inputs as { images: tf.Tensor4D; dy: tf.Tensor4D };
    const { alignCorners } = args.attrs as { alignCorners: boolean };
    const [, inH, inW] = images.shape;
    const [, outH, outW] = dy.shape;
    const scaleH = outH / inH;
    const scaleW = outW / inW;
    if (alignCorners || !Number.isInteger(scaleH) || !Number.isInteger(scaleW)) return original.kernelFunc(args);
    // on WASM, the block sums in one pass of our WebAssembly (upsampling-kernels.ts)
    const kernels = backendName === 'wasm' && dy.dtype === 'float32' ? kernelsOn(args.backend as unknown as WasmBackend) : null;
    if (kernels) {
      const backend = args.backend as unknown as WasmBackend;
      const dx = backend.makeOutput(images.shape, 'float32');
      const at = (info: tf.TensorInfo) => backend.typedArrayFromHeap(info).byteOffset;
      const [batch, , , channels] = images.shape;
      if (tf.util.sizeFromShape(images.shape) > 0) kernels.upsampleGradient(at(dy), at(dx), batch * inH, inW, channels, scaleH, scaleW);
      return dx;
    }
    // the s x s blocks do not overlap: their sums are s*s times their means, an average pooling
    // (XNNPACK's, where summing axes of the [B, h, s, w, s, C] view took 6 ms a call)
    return tf.tidy(() => tf.avgPool(dy, [scaleH, scaleW], [scaleH, scaleW], 'valid').mul(scaleH * scaleW));
  });
}

/**
 * WASM: tfjs-backend-wasm 4.22's BatchMatMul with a transpose flag is ~20x slower than
 * transposing first ([32, 784]^T x [32, 1024]: 68 ms against 3.4 ms), and every dense
 * layer's backward pass multiplies by a transpose (dW = x^T dy, dx = dy W^T). We transpose
 * explicitly and call the original kernel without flags.
 */
export function speedUpWasmTransposedMatMul(): void {
  replaceKernel('BatchMatMul', 'wasm', (original) => (args) => {
    const { a, b } = args.inputs as { a: tf.Tensor; b: tf.Tensor };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return original.kernelFunc(args);
    // [..., m, n] -> [..., n, m] on the last two axes
    const swapLast = (t: tf.Tensor) => t.transpose([...Array(t.rank - 2).keys(), t.rank - 1, t.rank - 2]);
    const aT = transposeA ? swapLast(a) : a;
    const bT = transposeB ? swapLast(b) : b;
    try {
      return original.kernelFunc({ ...args, inputs: { a: aT, b: bT }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    } finally {
      if (aT !== a) aT.dispose();
      if (bT !== b) bT.dispose();
    }
  });
}

/**
 * The gradient of a mean over some axes, dx = dy / n broadcast back to x's shape, with the
 * ones it is broadcast by made by the backend: TF.js 4.22's gradient, dy * ones(x.shape) / n,
 * builds x's size of ones in JavaScript and copies them into the backend at every step, which
 * took 16 ms of a 92 ms GAN step in the browser (its batch normalisation's means over
 * [B, H, W]; a CPU profile of the bench page's worker). (dy / n) * onesLike(x) gives the same
 * float32 numbers, and differentiates as TF.js's does (a product: a sum back to dy's shape;
 * a Tile's gradient would be a slice and a sum per repetition). Once registered, gradients
 * are TF.js's for every backend; each backend's start registers it (backend.ts, node-backend.ts).
 */
export function registerMeanGradient(): void {
  if ((tf.getGradient('Mean') as { ours?: boolean } | undefined)?.ours) return;
  tf.registerGradient({
    kernelName: 'Mean',
    inputsToSave: ['x'],
    ours: true,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const [x] = saved;
      const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
      const count = axes.reduce((n, axis) => n * x.shape[axis], 1);
      // [..., 1 on each reduced axis, ...]: dy's values where x's reduced axes were
      const kept = x.shape.map((size, axis) => (axes.includes(axis) ? 1 : size));
      return { x: () => tf.mul(tf.div((dy as tf.Tensor).reshape(kept), count), tf.onesLike(x)) };
    },
  } as tf.GradConfig);
}

/** Comparisons whose gradient TF.js 4.22 does not register. */
const COMPARISONS = ['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual'] as const;

/**
 * A comparison is piecewise constant, so its gradient is zero almost everywhere; TF.js
 * registers none, so a gradient of a gradient through LeakyReLU or max (the Wasserstein
 * GAN's gradient penalty differentiates D's input gradient, which uses x > 0) fails with
 * "gradient function not found for Greater". Registered once, for every backend.
 */
export function registerComparisonGradients(): void {
  for (const kernelName of COMPARISONS) {
    if (tf.getGradient(kernelName)) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: ['a', 'b'],
      gradFunc: (_dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => ({ a: () => tf.zerosLike(saved[0]), b: () => tf.zerosLike(saved[1]) }),
    });
  }
}
