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

interface BackpropFilterAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number;
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
    // TF's 'same' padding puts the odd pixel at the bottom and right.
    const padTop = attrs.pad === 'same' ? Math.floor(Math.max((outH - 1) * strideH + filterH - inH, 0) / 2) : typeof attrs.pad === 'number' ? attrs.pad : 0;
    const padLeft = attrs.pad === 'same' ? Math.floor(Math.max((outW - 1) * strideW + filterW - inW, 0) / 2) : typeof attrs.pad === 'number' ? attrs.pad : 0;
    const padBottom = Math.max((outH - 1) * strideH + filterH - inH - padTop, 0);
    const padRight = Math.max((outW - 1) * strideW + filterW - inW - padLeft, 0);
    const padded = x.pad([[0, 0], [padTop, padBottom], [padLeft, padRight], [0, 0]]);
    // [B, Hp, Wp, Ci] -> [Ci, Hp, Wp, B]: input channels become the batch
    const input = padded.transpose([3, 1, 2, 0]) as tf.Tensor4D;
    // [B, Ho, Wo, Co] -> [Ho, Wo, B, Co]: the output gradient becomes the filter
    const filter = dy.transpose([1, 2, 0, 3]) as tf.Tensor4D;
    // [Ci, Hp - (Ho-1)s, Wp - (Wo-1)s, Co], of which the first Fh x Fw are the gradient
    const full = tf.conv2d(input, filter, 1, 'valid', 'NHWC', [strideH, strideW]);
    // [Ci, Fh, Fw, Co] -> [Fh, Fw, Ci, Co]
    return full.slice([0, 0, 0, 0], [-1, filterH, filterW, -1]).transpose([1, 2, 0, 3]) as tf.Tensor4D;
  });
}

let registered = false;

/** Call after the WASM backend is set; harmless to call twice. */
export function registerWasmGradientKernels(): void {
  speedUpWasmTransposedMatMul();
  if (registered || tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  registered = true;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      // The engine hands kernels the input tensors themselves (typed as TensorInfo); a bare
      // TensorInfo from elsewhere is wrapped, and the wrapper let go afterwards.
      const wrapped: tf.Tensor[] = [];
      const asTensor = (info: tf.TensorInfo): tf.Tensor4D => {
        if (info instanceof tf.Tensor) return info as tf.Tensor4D;
        const tensor = tf.engine().makeTensorFromTensorInfo(info, tf.backend());
        wrapped.push(tensor);
        return tensor as tf.Tensor4D;
      };
      try {
        return conv2dFilterGradient(asTensor(inputs.x as tf.TensorInfo), asTensor(inputs.dy as tf.TensorInfo), attrs as unknown as BackpropFilterAttrs);
      } finally {
        wrapped.forEach((tensor) => tensor.dispose());
      }
    },
  });
}

/**
 * CPU: tfjs-backend-cpu 4.22's ResizeNearestNeighborGrad offsets dy by the batch stride of
 * the input rather than of dy, so every image after the first in a batch gets a wrong
 * gradient (nearest upsampling then trains wrongly on 'cpu', and only there). For an
 * integer scale without align-corners, which is what upsampling layers use, each input
 * pixel's gradient is the sum of the s x s block of dy it was copied to:
 *   dx[b, i, j, c] = sum_{p, q < s} dy[b, i*s + p, j*s + q, c]
 * Other cases go to the original kernel.
 */
export function fixCpuResizeNearestGradient(): void {
  const original = tf.getKernel('ResizeNearestNeighborGrad', 'cpu');
  if (!original || (original as { fixed?: boolean }).fixed) return;
  tf.unregisterKernel('ResizeNearestNeighborGrad', 'cpu');
  const fixed: tf.KernelConfig & { fixed: boolean } = {
    kernelName: 'ResizeNearestNeighborGrad',
    backendName: 'cpu',
    fixed: true,
    kernelFunc: (args) => {
      const { images, dy } = args.inputs as { images: tf.Tensor4D; dy: tf.Tensor4D };
      const { alignCorners } = args.attrs as { alignCorners: boolean };
      const [batch, inH, inW, channels] = images.shape;
      const [, outH, outW] = dy.shape;
      const scaleH = outH / inH;
      const scaleW = outW / inW;
      if (alignCorners || !Number.isInteger(scaleH) || !Number.isInteger(scaleW)) return original.kernelFunc(args);
      // [B, h*s, w*s, C] -> [B, h, s, w, s, C], summed over the two s axes
      return tf.tidy(() => dy.reshape([batch, inH, scaleH, inW, scaleW, channels]).sum([2, 4]));
    },
  };
  tf.registerKernel(fixed);
}

/**
 * WASM: tfjs-backend-wasm 4.22's BatchMatMul with a transpose flag is ~20x slower than
 * transposing first ([32, 784]^T x [32, 1024]: 68 ms against 3.4 ms), and every dense
 * layer's backward pass multiplies by a transpose (dW = x^T dy, dx = dy W^T). We transpose
 * explicitly and call the original kernel without flags.
 */
export function speedUpWasmTransposedMatMul(): void {
  const original = tf.getKernel('BatchMatMul', 'wasm');
  if (!original || (original as { fixed?: boolean }).fixed) return;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  const fixed: tf.KernelConfig & { fixed: boolean } = {
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    fixed: true,
    kernelFunc: (args) => {
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
    },
  };
  tf.registerKernel(fixed);
}
