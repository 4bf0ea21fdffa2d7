import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useSimdKernels } from '../../src/core/wasm-simd/register';
import { kernelFlops } from '../../src/core/kernel-flops';
import { traceKernels } from '../../src/core/kernel-trace';
import { onNodeBackend } from './helpers';

/** FLOPs by brute force: one count per multiply-add of a direct convolution loop. */
function directConvMultiplyAdds(batch: number, outH: number, outW: number, outC: number, filterH: number, filterW: number, inC: number): number {
  let count = 0;
  for (let b = 0; b < batch; b++) for (let i = 0; i < outH; i++) for (let j = 0; j < outW; j++) for (let o = 0; o < outC; o++) for (let p = 0; p < filterH * filterW * inC; p++) count += 1;
  return count;
}

describe('FLOPs of a kernel call (src/core/kernel-flops.ts)', () => {
  it('a convolution, its input gradient and its filter gradient each do 2 FLOPs per multiply-add of the direct loop', () => {
    const adds = directConvMultiplyAdds(2, 4, 5, 3, 3, 3, 6);
    expect(kernelFlops({ name: 'Conv2D', inputShapes: [[2, 8, 10, 6], [3, 3, 6, 3]], outputShapes: [[2, 4, 5, 3]] })).toBe(2 * adds);
    expect(kernelFlops({ name: 'Conv2DBackpropInput', inputShapes: [[2, 4, 5, 3], [3, 3, 6, 3]], outputShapes: [[2, 8, 10, 6]] })).toBe(2 * adds);
    expect(kernelFlops({ name: 'Conv2DBackpropFilter', inputShapes: [[2, 8, 10, 6], [2, 4, 5, 3]], outputShapes: [[3, 3, 6, 3]] })).toBe(2 * adds);
    expect(kernelFlops({ name: 'FusedConv2D', inputShapes: [[2, 8, 10, 6], [3, 3, 6, 3], [3], null], outputShapes: [[2, 4, 5, 3]] })).toBe(2 * adds);
    // ours, the input gradient with Swish's gradient fused: dy, filter, then s and y shaped like dx
    expect(kernelFlops({ name: 'GpSwishInputGradient', inputShapes: [[2, 4, 5, 3], [3, 3, 6, 3], [2, 8, 10, 6], [2, 8, 10, 6]], outputShapes: [[2, 8, 10, 6]] })).toBe(2 * adds);
  });

  it('a matrix product does 2 M K N per matrix, either way round; element-wise kernels count 0', () => {
    expect(kernelFlops({ name: 'BatchMatMul', inputShapes: [[3, 4, 5], [3, 5, 6]], outputShapes: [[3, 4, 6]] })).toBe(2 * 3 * 4 * 5 * 6);
    expect(kernelFlops({ name: 'BatchMatMul', inputShapes: [[3, 5, 4], [3, 5, 6]], outputShapes: [[3, 4, 6]], attrs: { transposeA: true } })).toBe(2 * 3 * 4 * 5 * 6);
    expect(kernelFlops({ name: '_FusedMatMul', inputShapes: [[4, 5], [5, 6], [6]], outputShapes: [[4, 6]] })).toBe(2 * 4 * 5 * 6);
    expect(kernelFlops({ name: 'Add', inputShapes: [[4, 5], [4, 5]], outputShapes: [[4, 5]] })).toBe(0);
  });

  it('our output layer and softmax in one pass counts as its products: X W forwards, D W^T and X^T D backwards', () => {
    // x [7, 8], w [8, 3 * 16], values [21]
    expect(kernelFlops({ name: 'GpProductSoftmax', inputShapes: [[7, 8], [8, 48], [48], [21]], outputShapes: [[21, 16], [21], [21]] })).toBe(2 * 7 * 8 * 48);
    expect(kernelFlops({ name: 'GpProductSoftmaxGradients', inputShapes: [[7, 8], [8, 48], [21, 16], [21], [21]], outputShapes: [[7, 8], [8, 48], [48]] })).toBe(2 * 2 * 7 * 8 * 48);
  });
});

describe('tracing kernels (src/core/kernel-trace.ts)', () => {
  onNodeBackend('wasm');

  it('counts a training step\'s FLOPs at the outermost kernels only, reads outside kernels, and puts every kernel back', async () => {
    const x = tf.randomNormal([2, 8, 8, 3]) as tf.Tensor4D;
    const w = tf.variable(tf.randomNormal([3, 3, 3, 4]));
    const registered = tf.getKernelsForBackend('wasm').map((config) => config.kernelFunc);
    // kernel-fixes.ts's filter gradient runs a Conv2D inside (our WebAssembly one runs none):
    // the nested kernel this test needs
    const simd = useSimdKernels(false);
    const trace = await traceKernels(async () => {
      const { value, grads } = tf.variableGrads(() => tf.conv2d(x, w as tf.Tensor4D, 1, 'same').square().sum(), [w]);
      await value.data();
      tf.dispose([value, grads[w.name]]);
    }).finally(() => useSimdKernels(simd));
    // forward and filter gradient (the input x needs none): 2 x 2 FLOPs per multiply-add, although
    // the filter gradient runs its own Conv2D inside
    const adds = directConvMultiplyAdds(2, 8, 8, 4, 3, 3, 3);
    expect(trace.flops).toBe(2 * 2 * adds);
    const conv = trace.kernels.find((k) => k.name === 'Conv2D')!;
    expect(conv.calls).toBe(2); // the forward one, and the one inside the filter gradient
    expect(conv.flops).toBe(2 * adds); // counted once, as the forward convolution
    expect(trace.kernels.find((k) => k.name === 'Conv2DBackpropFilter')?.flops).toBe(2 * adds);
    // one read: value.data(); WASM kernels that read internally do not count
    expect(trace.reads).toBe(1);
    expect(trace.kernels.every((k) => k.selfMs >= 0)).toBe(true);
    expect(tf.getKernelsForBackend('wasm').map((config) => config.kernelFunc)).toEqual(registered);
    tf.dispose([x, w]);
  });

  it('restores the kernels when the traced work throws', async () => {
    const registered = tf.getKernelsForBackend('wasm').map((config) => config.kernelFunc);
    await expect(traceKernels(() => {
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(tf.getKernelsForBackend('wasm').map((config) => config.kernelFunc)).toEqual(registered);
  });
});
