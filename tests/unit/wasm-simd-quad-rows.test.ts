import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import type { ConvolutionGeometry } from '../../src/core/wasm-simd/convolution';
import { SimdConvolutions } from '../../src/core/wasm-simd/convolution';
import { convolveWithBias } from '../../src/core/models/conv-with-bias';
import { useSimdKernels } from '../../src/core/wasm-simd/register';
import { quadRows, useRowsInPlace } from '../../src/core/wasm-simd/winograd-quad-rows';
import { seededValues } from './wasm-simd-helpers';

/**
 * F(4, 3) and F(4, 5) along the rows (src/core/wasm-simd/winograd-quad-rows.ts): where they
 * apply, and how far their sums stray from exact ones. The agreement with TF.js's kernels on
 * small cases is in wasm-simd-convolution.test.ts; here, layers of 32 channels against sums
 * taken in float64. (Our direct convolution's error on the same numbers is 4.5-5.8 times
 * smaller, 16 times for the 5x5 filter gradient: 3e-8 to 1.2e-7 in root mean square.)
 */

const layer: ConvolutionGeometry = { batch: 2, height: 16, width: 16, inChannels: 32, outH: 16, outW: 16, outChannels: 32, filterH: 5, filterW: 5, strideH: 1, strideW: 1, padTop: 2, padLeft: 2 };

describe('which convolutions take F(4, r) along the rows', () => {
  it('takes three or five filter rows that combine, over output rows in fours', () => {
    expect(quadRows(layer, 'forward')).toBe(5);
    expect(quadRows({ ...layer, filterH: 3, padTop: 1 }, 'forward')).toBe(3);
    expect(quadRows(layer, 'filter gradient')).toBe(5);
  });

  it('leaves the others to F(2, 3)\'s pairs: other filter heights, output rows not in fours, strides, channels not in fours, rows kept exact', () => {
    for (const other of [{ filterH: 4 }, { filterH: 7 }, { filterH: 2 }, { outH: 14 }, { outH: 7 }, { strideH: 2 }, { inChannels: 3 }, { outChannels: 6 }, { exactRows: true }]) {
      expect(quadRows({ ...layer, ...other }, 'forward'), JSON.stringify(other)).toBeNull();
      expect(quadRows({ ...layer, ...other }, 'filter gradient'), JSON.stringify(other)).toBeNull();
    }
  });

  it('keeps a masked filter\'s lone row and a convolution causal by rows from it forwards, where outputs would take rows beyond their windows, but not their filter gradients', () => {
    const masked = { ...layer, filterH: 3, loneRow: 2 };
    expect(quadRows(masked, 'forward')).toBeNull();
    expect(quadRows(masked, 'filter gradient')).toBe(3);
    expect(quadRows({ ...layer, windowRows: true }, 'forward')).toBeNull();
    expect(quadRows({ ...layer, windowRows: true }, 'filter gradient')).toBe(5);
  });
});

/** y = x * w, dx and dW of a stride-1 convolution as wide as its input, each sum in float64. */
function exactPasses(x: Float32Array, w: Float32Array, dy: Float32Array, g: ConvolutionGeometry) {
  const { batch, height, width, inChannels: ci, outChannels: co, filterH: fh, filterW: fw, padTop, padLeft } = g;
  const [y, dx, dw] = [new Float64Array(batch * height * width * co), new Float64Array(x.length), new Float64Array(w.length)];
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < height; i++) {
      for (let j = 0; j < width; j++) {
        const out = ((b * height + i) * width + j) * co;
        for (let r = 0; r < fh; r++) {
          for (let s = 0; s < fw; s++) {
            const [row, column] = [i + r - padTop, j + s - padLeft];
            if (row < 0 || column < 0 || row >= height || column >= width) continue;
            const input = ((b * height + row) * width + column) * ci;
            for (let c = 0; c < ci; c++) {
              const tap = ((r * fw + s) * ci + c) * co;
              for (let o = 0; o < co; o++) {
                y[out + o] += x[input + c] * w[tap + o];
                dx[input + c] += dy[out + o] * w[tap + o];
                dw[tap + o] += x[input + c] * dy[out + o];
              }
            }
          }
        }
      }
    }
  }
  return { y, dx, dw };
}

/** The largest and the root-mean-square difference from the exact values, each over the largest exact value. */
function errors(ours: Float32Array, exact: Float64Array): { max: number; rms: number } {
  let [max, squares, scale] = [0, 0, 0];
  ours.forEach((value, i) => {
    const difference = Math.abs(value - exact[i]);
    [max, squares, scale] = [Math.max(max, difference), squares + difference * difference, Math.max(scale, Math.abs(exact[i]))];
  });
  return { max: max / scale, rms: Math.sqrt(squares / ours.length) / scale };
}

describe('convolveWithBias, the autoregressive models\' convolution', () => {
  beforeAll(async () => {
    await useNodeBackend('wasm');
    useSimdKernels(true);
  });

  it('keeps F(4, r) rows out of its forward pass and input gradient unless told its outputs may read beyond their windows; its filter gradient takes them', async () => {
    const x = tf.tensor4d(seededValues(2 * 8 * 8 * 16, 1), [2, 8, 8, 16]);
    const w = tf.tensor4d(seededValues(3 * 3 * 16 * 8, 2), [3, 3, 16, 8]);
    const bias = tf.tensor1d(seededValues(8, 3));
    const proto = SimdConvolutions.prototype as unknown as { quadRowForward: () => void; quadRowFilterGradient: () => void };
    const spies = [vi.spyOn(proto, 'quadRowForward'), vi.spyOn(proto, 'quadRowFilterGradient')];
    const calls = async (options: { windowRows?: boolean }) => {
      spies.forEach((spy) => spy.mockClear());
      const loss = (a: tf.Tensor, b: tf.Tensor) => convolveWithBias(a as tf.Tensor4D, b as tf.Tensor4D, bias, [1, 1], 'same', [1, 1], options).square().sum();
      const grads = tf.grads(loss)([x, w]);
      await Promise.all(grads.map((g) => g.data()));
      tf.dispose(grads);
      return spies.map((spy) => spy.mock.calls.length);
    };
    // [forward passes (the forward and the input gradient), filter gradients]
    expect(await calls({})).toEqual([0, 1]);
    expect(await calls({ windowRows: false })).toEqual([2, 1]);
    spies.forEach((spy) => spy.mockRestore());
    tf.dispose([x, w, bias]);
  });
});

describe('F(4, 3) and F(4, 5) along both axes against sums in float64', () => {
  beforeAll(async () => {
    await useNodeBackend('wasm');
    useSimdKernels(true);
  });

  it.each([3, 5])('F(4, %i): a layer of 32 channels to 32, forward, input and filter gradients within 1e-5 of the largest value, 1e-6 in root mean square', async (taps) => {
    const g = { ...layer, filterH: taps, filterW: taps, padTop: (taps - 1) / 2, padLeft: (taps - 1) / 2 };
    const xShape: [number, number, number, number] = [g.batch, g.height, g.width, g.inChannels];
    const [x, w, dy] = [seededValues(g.batch * g.height * g.width * g.inChannels, 1), seededValues(taps * taps * g.inChannels * g.outChannels, 2), seededValues(g.batch * g.height * g.width * g.outChannels, 3)];
    const exact = exactPasses(x, w, dy, g);
    const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] };
    const [xt, wt, dyt] = [tf.tensor4d(x, xShape), tf.tensor4d(w, [taps, taps, g.inChannels, g.outChannels]), tf.tensor4d(dy, [g.batch, g.height, g.width, g.outChannels])];
    const proto = SimdConvolutions.prototype as unknown as { quadRowForward: () => void; quadRowFilterGradient: () => void; transformColumns: (columns: { tile: number }) => void };
    const spies = [vi.spyOn(proto, 'quadRowForward'), vi.spyOn(proto, 'quadRowFilterGradient')];
    const columns = vi.spyOn(proto, 'transformColumns');
    const y = tf.engine().runKernel('Conv2D', { x: xt, filter: wt }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy: dyt, filter: wt }, { ...attrs, inputShape: xShape } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x: xt, dy: dyt }, { ...attrs, filterShape: wt.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const ours = await Promise.all([y, dx, dw].map((t) => t.data() as Promise<Float32Array>));
    // forward and input gradient, and the filter gradient, all by F(4, r) along the rows, and every column transform in fours
    expect(spies.map((spy) => spy.mock.calls.length)).toEqual([2, 1]);
    expect(columns.mock.calls.length).toBeGreaterThan(0);
    expect(columns.mock.calls.every(([plan]) => plan.tile === 4)).toBe(true);
    [...spies, columns].forEach((spy) => spy.mockRestore());
    tf.dispose([xt, wt, dyt, y, dx, dw]);
    (['y', 'dx', 'dw'] as const).forEach((key, i) => {
      const { max, rms } = errors(ours[i], exact[key]);
      expect(max, key).toBeLessThan(1e-5);
      expect(rms, key).toBeLessThan(1e-6);
    });
  });
});

describe('F(4, r) along the rows reading x in place', () => {
  beforeAll(async () => {
    await useNodeBackend('wasm');
    useSimdKernels(true);
  });

  // 'same'; explicit padding beyond what the windows need (on the right wider than the filter:
  // the input gradient's padded rows then hold only part of dy's); none. Tiles at the top and
  // bottom edges with and without tiles between them, and none. The last number: quad-row
  // forward passes in the two runs (the forward pass and the input gradient, whose 6 x 8 output
  // in the third case is grown to 8 x 8: grownQuadForward).
  it.each([
    [3, 'same', [2, 12, 12, 8], 4],
    [5, 'same', [2, 16, 8, 4], 4],
    [3, [[0, 0], [2, 2], [2, 2], [0, 0]], [1, 6, 8, 4], 4],
    [3, [[0, 0], [1, 1], [1, 3], [0, 0]], [1, 8, 6, 4], 4],
    [5, 'valid', [2, 12, 12, 4], 4],
  ] as const)('F(4, %i), padding %j: the same numbers as from a padded copy of x, forward, input and filter gradients', async (taps, pad, shape, quadForwards) => {
    const [batch, height, width, channels] = shape;
    const x = tf.tensor4d(seededValues(batch * height * width * channels, 4), [...shape]);
    const w = tf.tensor4d(seededValues(taps * taps * channels * 8, 5), [taps, taps, channels, 8]);
    const attrs = { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1] } as unknown as tf.NamedAttrMap;
    const proto = SimdConvolutions.prototype as unknown as { quadRowForward: () => void; quadRowFilterGradient: () => void };
    const spies = [vi.spyOn(proto, 'quadRowForward'), vi.spyOn(proto, 'quadRowFilterGradient')];
    const passes = async () => {
      const y = tf.engine().runKernel('Conv2D', { x, filter: w }, attrs) as tf.Tensor4D;
      const dy = tf.tensor4d(seededValues(y.size, 6), y.shape);
      const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
      const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
      const values = await Promise.all([y, dx, dw].map((t) => t.data() as Promise<Float32Array>));
      tf.dispose([y, dy, dx, dw]);
      return values;
    };
    // first a padded copy of other numbers with no zero rows at its start (no padding), where the pass in place keeps its row of zeros
    useRowsInPlace(false);
    const other = tf.tensor4d(seededValues(batch * 8 * 8 * channels, 7), [batch, 8, 8, channels]);
    const otherFilter = tf.tensor4d(seededValues(3 * 3 * channels * 8, 8), [3, 3, channels, 8]);
    tf.dispose([tf.engine().runKernel('Conv2D', { x: other, filter: otherFilter }, { ...attrs, pad: 'valid' } as unknown as tf.NamedAttrMap) as tf.Tensor, other, otherFilter]);
    spies.forEach((spy) => spy.mockClear());
    useRowsInPlace(true);
    const inPlace = await passes();
    useRowsInPlace(false);
    const copied = await passes();
    useRowsInPlace(true);
    expect(spies.map((spy) => spy.mock.calls.length)).toEqual([quadForwards, 2]);
    spies.forEach((spy) => spy.mockRestore());
    tf.dispose([x, w]);
    inPlace.forEach((values, i) => expect(Array.from(values), ['y', 'dx', 'dw'][i]).toEqual(Array.from(copied[i])));
  });
});

