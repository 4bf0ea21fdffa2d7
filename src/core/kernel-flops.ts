/**
 * Floating-point operations of the kernels that do a network's arithmetic: convolutions
 * (forward, input gradient, filter gradient) and matrix products. One multiply-add counts
 * as 2 FLOPs, as GFLOP/s figures usually count them. Element-wise kernels (activations,
 * Adam, bias sums) are left out: they are memory-bound and small next to these.
 *
 * A convolution with a [Fh, Fw, Ci, Co] filter producing [B, Ho, Wo, Co] does
 *   2 * B * Ho * Wo * Co * Fh * Fw * Ci
 * FLOPs; its input gradient and its filter gradient do the same number (each is the same
 * sum of products, regrouped). A product of [.., M, K] and [.., K, N] does 2 * M * K * N per
 * matrix of the batch. Our one-pass output layer and softmax (GpProductSoftmax and its
 * gradients) counts as the products it holds, and our input gradient with Swish's gradient
 * fused (GpSwishInputGradient) as the input gradient.
 */

export interface KernelCall {
  name: string;
  /** The input tensors' shapes, in the kernel's input order (null for an absent optional input). */
  inputShapes: ReadonlyArray<readonly number[] | null>;
  outputShapes: ReadonlyArray<readonly number[]>;
  attrs?: Readonly<Record<string, unknown>>;
}

const product = (values: readonly number[]) => values.reduce((a, b) => a * b, 1);

/** FLOPs of one call of a kernel: 0 for kernels that are not counted. */
export function kernelFlops(call: KernelCall): number {
  const [first, second] = call.inputShapes;
  const output = call.outputShapes[0];
  switch (call.name) {
    case 'Conv2D':
    case 'FusedConv2D': {
      // x [B, H, W, Ci], filter [Fh, Fw, Ci, Co] -> y [B, Ho, Wo, Co]
      if (!second || !output) return 0;
      const [filterH, filterW, inChannels] = second;
      return 2 * product(output) * filterH * filterW * inChannels;
    }
    case 'Conv2DBackpropInput':
    case 'GpSwishInputGradient': {
      // dy [B, Ho, Wo, Co], filter [Fh, Fw, Ci, Co] -> dx [B, H, W, Ci] (ours times Swish's slope: src/core/wasm-simd/strided.ts)
      if (!first || !second) return 0;
      const [filterH, filterW, inChannels] = second;
      return 2 * product(first) * filterH * filterW * inChannels;
    }
    case 'Conv2DBackpropFilter': {
      // x [B, H, W, Ci], dy [B, Ho, Wo, Co] -> dW [Fh, Fw, Ci, Co]
      if (!second || !output) return 0;
      const [filterH, filterW, inChannels] = output;
      return 2 * product(second) * filterH * filterW * inChannels;
    }
    case 'DepthwiseConv2dNative':
    case 'FusedDepthwiseConv2D': {
      // x [B, H, W, Ci], filter [Fh, Fw, Ci, M] -> y [B, Ho, Wo, Ci*M]: each output reads Fh*Fw inputs
      if (!second || !output) return 0;
      return 2 * product(output) * second[0] * second[1];
    }
    case 'BatchMatMul':
    case '_FusedMatMul': {
      // a [.., M, K] (or [.., K, M] transposed) times b -> [.., M, N]
      if (!first || !output) return 0;
      const transposeA = Boolean(call.attrs?.transposeA);
      const inner = transposeA ? first[first.length - 2] : first[first.length - 1];
      return 2 * product(output) * inner;
    }
    case 'GpProductSoftmax': {
      // ours (src/core/wasm-simd/product-softmax.ts): x [N, F] times w [F, G*K], then the softmax
      if (!first || !second) return 0;
      return 2 * product(first) * second[1];
    }
    case 'GpProductSoftmaxGradients': {
      // ours: dX = D W^T and dW = X^T D, x [N, F] and w [F, G*K]
      if (!first || !second) return 0;
      return 2 * 2 * product(first) * second[1];
    }
    default:
      return 0;
  }
}
