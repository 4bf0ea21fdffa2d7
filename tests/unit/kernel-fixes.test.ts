import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';

/** Deterministic, non-trivial values, the same on every backend. */
const filled = (shape: number[], phase: number) =>
  tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37 + phase)), shape);

type Case = { name: string; loss: (w: tf.Variable) => tf.Scalar; filterShape: number[] };

function cases(x: tf.Tensor4D): Case[] {
  return [
    { name: 'conv2d stride 2 same', filterShape: [3, 3, 3, 4], loss: (w) => tf.conv2d(x, w as tf.Tensor4D, 2, 'same').square().sum() },
    { name: 'conv2d stride 1 same', filterShape: [3, 3, 3, 4], loss: (w) => tf.conv2d(x, w as tf.Tensor4D, 1, 'same').square().sum() },
    { name: 'conv2d stride 2 valid', filterShape: [3, 3, 3, 4], loss: (w) => tf.conv2d(x, w as tf.Tensor4D, 2, 'valid').square().sum() },
    { name: 'conv2d 5x5 stride 1 valid', filterShape: [5, 5, 3, 2], loss: (w) => tf.conv2d(x, w as tf.Tensor4D, 1, 'valid').square().sum() },
    // a masked 5x5 window cut at its centre row (PixelCNN): explicit padding, 2 rows above and none below
    { name: 'conv2d 3x5 explicit padding', filterShape: [3, 5, 3, 4], loss: (w) => tf.conv2d(x, w as tf.Tensor4D, 1, [[0, 0], [2, 0], [2, 2], [0, 0]]).square().sum() },
    {
      name: 'conv2dTranspose stride 2 same',
      filterShape: [3, 3, 4, 3],
      loss: (w) => tf.conv2dTranspose(x, w as tf.Tensor4D, [2, 14, 14, 4], 2, 'same').square().sum(),
    },
  ];
}

/**
 * 'reference' is TF.js's own CPU backend with its own kernels (slow, but independent of
 * ours): it must run before anything in this file registers our CPU kernels.
 */
async function filterGradients(backend: 'reference' | 'cpu' | 'wasm'): Promise<Float32Array[]> {
  if (backend === 'reference') await tf.setBackend('cpu');
  else await useNodeBackend(backend);
  const x = filled([2, 7, 7, 3], 0.5) as tf.Tensor4D;
  const results: Float32Array[] = [];
  for (const testCase of cases(x)) {
    const w = tf.variable(filled(testCase.filterShape, 1.3));
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => testCase.loss(w), [w]);
    results.push((await grads[w.name].data()) as Float32Array);
    value.dispose();
    Object.values(grads).forEach((grad) => grad.dispose());
    expect(tf.memory().numTensors, `${testCase.name} leaks on ${backend}`).toBe(before);
    w.dispose();
  }
  x.dispose();
  return results;
}

describe('filter gradient (Conv2DBackpropFilter: missing from tfjs-backend-wasm, very slow on cpu)', () => {
  afterAll(async () => {
    await useNodeBackend('cpu');
  });

  it('ours, on WASM and on CPU, matches TF.js\'s own CPU kernel for conv2d and conv2dTranspose, strides 1 and 2, same and valid', async () => {
    const reference = await filterGradients('reference');
    const placeholder = tf.zeros([1, 7, 7, 3]) as tf.Tensor4D;
    const names = cases(placeholder).map((c) => c.name);
    placeholder.dispose();
    for (const backend of ['wasm', 'cpu'] as const) {
      const ours = await filterGradients(backend);
      reference.forEach((expected, index) => {
        const name = `${names[index]} on ${backend}`;
        expect(ours[index].length, name).toBe(expected.length);
        const worst = Math.max(...Array.from(expected, (value, i) => Math.abs(value - ours[index][i]) / (1 + Math.abs(value))));
        expect(worst, name).toBeLessThan(1e-4);
        // A gradient of all zeros would match a broken kernel on both sides.
        expect(Math.max(...Array.from(expected, Math.abs)), name).toBeGreaterThan(1);
      });
    }
    // The CPU kernel really is ours now (else the comparison above proved nothing for it).
    expect((tf.getKernel('Conv2DBackpropFilter', 'cpu') as { fixed?: boolean }).fixed).toBe(true);
  });
});

describe('WASM transposed matrix products (BatchMatMul with transpose flags, made fast)', () => {
  afterAll(async () => {
    await useNodeBackend('cpu');
  });

  it('match the CPU backend for every transpose combination, in 2-D and batched 3-D, and leak nothing', async () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[6, 5], [6, 7], true, false],
      [[5, 6], [7, 6], false, true],
      [[6, 5], [7, 6], true, true],
      [[2, 5, 3], [2, 4, 5], true, true],
      [[2, 3, 5], [2, 4, 5], false, true],
    ];
    const products = async (backend: 'cpu' | 'wasm') => {
      await useNodeBackend(backend);
      const results: Float32Array[] = [];
      for (const [shapeA, shapeB, transposeA, transposeB] of cases) {
        const a = filled(shapeA, 0.1);
        const b = filled(shapeB, 0.9);
        const before = tf.memory().numTensors;
        const product = tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, transposeA, transposeB);
        results.push((await product.data()) as Float32Array);
        product.dispose();
        expect(tf.memory().numTensors, `${backend} ${shapeA} x ${shapeB}`).toBe(before);
        tf.dispose([a, b]);
      }
      return results;
    };
    const reference = await products('cpu');
    const wasm = await products('wasm');
    reference.forEach((expected, index) => {
      expect(wasm[index].length).toBe(expected.length);
      expected.forEach((value, i) => expect(wasm[index][i]).toBeCloseTo(value, 4));
    });
  });
});

describe('WASM input gradient (Conv2DBackpropInput, rebuilt on the forward convolution)', () => {
  afterAll(async () => {
    await useNodeBackend('cpu');
  });

  /** [name, input shape, filter shape, stride, padding]: odd and even sizes, strides 1 to 3. */
  const CASES: [string, number[], number[], number | [number, number], 'same' | 'valid' | number | tf.backend_util.ExplicitPadding][] = [
    ['3x3 stride 2 same, 7x7', [2, 7, 7, 3], [3, 3, 3, 4], 2, 'same'],
    ['3x3 stride 2 same, 8x8', [2, 8, 8, 3], [3, 3, 3, 4], 2, 'same'],
    ['3x3 stride 1 same', [2, 7, 7, 3], [3, 3, 3, 4], 1, 'same'],
    ['3x3 stride 2 valid, 8x9', [1, 8, 9, 2], [3, 3, 2, 3], 2, 'valid'],
    ['5x5 stride 1 valid', [2, 9, 9, 3], [5, 5, 3, 2], 1, 'valid'],
    ['4x2 strides (3, 1) same', [1, 10, 6, 2], [4, 2, 2, 3], [3, 1], 'same'],
    // padding wider than the filter: the one case whose input gradient crops instead of padding
    ['3x3 stride 1 padding 4', [1, 6, 6, 2], [3, 3, 2, 3], 1, 4],
    // even and odd filters, a 1x1 filter with stride 2 (pixels no tap reaches), stride 3, padding beyond the filter
    ['4x4 stride 2 same, 9x7', [2, 9, 7, 3], [4, 4, 3, 2], 2, 'same'],
    ['5x5 stride 2 same, 8x8', [1, 8, 8, 2], [5, 5, 2, 3], 2, 'same'],
    ['1x1 stride 2 valid, 7x6', [1, 7, 6, 2], [1, 1, 2, 3], 2, 'valid'],
    ['3x3 stride 3 same, 10x11', [1, 10, 11, 2], [3, 3, 2, 2], 3, 'same'],
    ['2x2 stride 2 padding 3, 8x8', [1, 8, 8, 2], [2, 2, 2, 3], 2, 3],
    // a masked 5x5 window cut at its centre row (PixelCNN): 2 rows of padding above, none below
    ['3x5 stride 1 explicit padding', [2, 7, 7, 3], [3, 5, 3, 4], 1, [[0, 0], [2, 0], [2, 2], [0, 0]]],
  ];

  /** For each case: the input gradient of a convolution, then the forward pass of a transposed one. */
  async function results(backend: 'cpu' | 'wasm'): Promise<Float32Array[]> {
    await useNodeBackend(backend);
    const out: Float32Array[] = [];
    for (const [name, inputShape, filterShape, stride, pad] of CASES) {
      const x = filled(inputShape, 0.2) as tf.Tensor4D;
      const w = filled(filterShape, 1.1) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      const dx = tf.grad((input) => tf.conv2d(input as tf.Tensor4D, w, stride, pad).square().sum())(x);
      const y = tf.conv2d(x, w, stride, pad);
      const transposed = tf.conv2dTranspose(y, w, inputShape as [number, number, number, number], stride, pad);
      out.push((await dx.data()) as Float32Array, (await transposed.data()) as Float32Array);
      tf.dispose([dx, y, transposed]);
      expect(tf.memory().numTensors, `${name} leaks on ${backend}`).toBe(before);
      tf.dispose([x, w]);
    }
    return out;
  }

  it('matches the CPU backend for strides 1 to 3, same and valid, odd and even sizes, and leaks nothing', async () => {
    const reference = await results('cpu');
    const wasm = await results('wasm');
    reference.forEach((expected, index) => {
      const name = `${CASES[index >> 1][0]} (${index % 2 ? 'conv2dTranspose' : 'input gradient'})`;
      expect(wasm[index].length, name).toBe(expected.length);
      const worst = Math.max(...Array.from(expected, (value, i) => Math.abs(value - wasm[index][i]) / (1 + Math.abs(value))));
      expect(worst, name).toBeLessThan(1e-4);
      expect(Math.max(...Array.from(expected, Math.abs)), name).toBeGreaterThan(1);
    });
  });
});

describe('WASM nearest-upsampling gradient (ResizeNearestNeighborGrad: each block of dy summed)', () => {
  afterAll(async () => {
    await useNodeBackend('cpu');
  });

  it('matches TF.js\'s own WASM kernel (slow but right) and sums each block float32 by float32 in row order, for scales 2, 3 and 2 x 3, channels in fours and not, batch 2; leaks nothing', async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    const theirs = tf.getKernel('ResizeNearestNeighborGrad', 'wasm')!;
    await useNodeBackend('wasm');
    const ours = tf.getKernel('ResizeNearestNeighborGrad', 'wasm')!;
    expect((ours as { fixed?: boolean }).fixed).toBe(true);
    for (const [scaleH, scaleW] of [[2, 2], [3, 3], [2, 3]]) for (const channels of [3, 8, 6]) {
      const x = filled([2, 3, 4, channels], 0.1) as tf.Tensor4D;
      const [outH, outW] = [3 * scaleH, 4 * scaleW];
      const dy = filled([2, outH, outW, channels], 0.9);
      const gradient = () => tf.grad((input) => tf.image.resizeNearestNeighbor(input as tf.Tensor4D, [outH, outW]).mul(dy).sum())(x);
      tf.unregisterKernel('ResizeNearestNeighborGrad', 'wasm');
      tf.registerKernel(theirs);
      const expected = await gradient().data();
      tf.unregisterKernel('ResizeNearestNeighborGrad', 'wasm');
      tf.registerKernel(ours);
      const before = tf.memory().numTensors;
      const result = gradient();
      const actual = await result.data();
      result.dispose();
      expect(tf.memory().numTensors).toBe(before);
      expect(actual.length).toBe(expected.length);
      const label = `scale ${scaleH} x ${scaleW}, ${channels} channels`;
      actual.forEach((value, i) => expect(Math.abs(value - expected[i]), `${label}, entry ${i}`).toBeLessThan(1e-5));
      // each block's sum in its rows' order, rounded to float32 at every step
      const dys = await dy.data();
      const inOrder = Float32Array.from(actual, (_, i) => {
        const [c, j, row] = [i % channels, Math.floor(i / channels) % 4, Math.floor(i / (4 * channels))];
        let sum = 0;
        for (let p = 0; p < scaleH; p++) for (let q = 0; q < scaleW; q++) {
          const term = dys[((row * scaleH + p) * outW + j * scaleW + q) * channels + c];
          sum = p === 0 && q === 0 ? term : Math.fround(sum + term);
        }
        return sum;
      });
      expect(Array.from(actual), label).toEqual(Array.from(inOrder));
      tf.dispose([x, dy]);
    }
  });
});
