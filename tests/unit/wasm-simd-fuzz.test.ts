import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { SimdConvolutions } from '../../src/core/wasm-simd/convolution';
import { createRandom } from '../../src/core/random';
import { useSimdKernels } from '../../src/core/wasm-simd/register';
import { expectRelativelyClose } from './wasm-simd-helpers';

/**
 * Our WebAssembly convolutions (src/core/wasm-simd/) on seeded random geometries against
 * TF.js's CPU backend: forward, fused (bias, relu), input gradient and filter gradient, each
 * run as its kernel (runKernel) so that every attribute our registration reads (string,
 * numeric and explicit padding, dimRoundingMode) reaches it. Shapes are small: the whole
 * file runs in a few seconds.
 */

type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];
interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: [number, number];
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** `count` random cases; `wide` ones have 16-40 input channels, so that passes work in several chunks. */
function cases(count: number, seed: number, wide = false): Case[] {
  const { next: random } = createRandom(seed);
  const int = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const out: Case[] = [];
  while (out.length < count) {
    const [fh, fw] = [int(1, 5), int(1, 5)];
    const c: Case = {
      x: wide ? [int(1, 3), int(6, 14), int(6, 14), int(16, 40)] : [int(1, 3), int(1, 9), int(1, 9), int(1, 9)],
      filter: [fh, fw, 0, int(1, 9)],
      strides: [int(1, 3), int(1, 3)],
      pad: 'same',
    };
    c.filter[2] = c.x[3];
    const kind = int(0, 3);
    if (kind === 1) c.pad = 'valid';
    if (kind === 2) {
      c.pad = int(0, Math.min(fh, fw) - 1);
      if (random() < 0.5) c.dimRoundingMode = (['floor', 'round', 'ceil'] as const)[int(0, 2)];
    }
    // explicit padding up to twice the filter after the image: windows wholly in it (strided.ts's sums with no taps)
    if (kind === 3) c.pad = [[0, 0], [int(0, fh - 1), int(0, 2 * fh)], [int(0, fw - 1), int(0, 2 * fw)], [0, 0]];
    // only geometries TF.js accepts, with an output of at least one pixel
    try {
      const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad as 'same', c.dimRoundingMode);
      if (info.outHeight < 1 || info.outWidth < 1) continue;
    } catch {
      continue;
    }
    out.push(c);
  }
  return out;
}

/** Reproducible values in [-1, 1). */
function values(length: number, seed: number): Float32Array {
  const { next: random } = createRandom(seed);
  return Float32Array.from({ length }, () => random() * 2 - 1);
}

type Results = { y: Float32Array; fused: Float32Array; linear: Float32Array; dx: Float32Array; dw: Float32Array };

async function run(c: Case, seed: number): Promise<Results> {
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const x = tf.tensor4d(values(size(c.x), seed), c.x);
  const w = tf.tensor4d(values(size(c.filter), seed + 1), c.filter);
  const bias = tf.tensor1d(values(c.filter[3], seed + 2));
  const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: 1, dimRoundingMode: c.dimRoundingMode };
  const y = tf.engine().runKernel('Conv2D', { x, filter: w }, attrs as never) as tf.Tensor4D;
  const dy = tf.tensor(values(y.size, seed + 3), y.shape);
  const fused = tf.engine().runKernel('FusedConv2D', { x, filter: w, bias }, { ...attrs, activation: 'relu' } as never) as tf.Tensor;
  const linear = tf.engine().runKernel('FusedConv2D', { x, filter: w, bias }, { ...attrs, activation: 'linear' } as never) as tf.Tensor;
  const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: c.x } as never) as tf.Tensor;
  const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: c.filter } as never) as tf.Tensor;
  const results = { y: await y.data(), fused: await fused.data(), linear: await linear.data(), dx: await dx.data(), dw: await dw.data() } as Results;
  tf.dispose([x, w, bias, y, dy, fused, linear, dx, dw]);
  return results;
}

/** Cases the random ones reach rarely: each found a bug or guards a boundary. */
const EDGES: Case[] = [
  // 1x1 stride 1 with padding only after: more output pixels than input ones (not a pointwise copy)
  { x: [1, 3, 3, 2], filter: [1, 1, 2, 4], strides: [1, 1], pad: [[0, 0], [0, 1], [0, 1], [0, 0]] },
  { x: [1, 3, 3, 2], filter: [1, 1, 2, 2], strides: [1, 1], pad: [[0, 0], [0, 1], [0, 1], [0, 0]] },
  { x: [2, 6, 2, 3], filter: [1, 1, 3, 4], strides: [1, 1], pad: [[0, 0], [0, 0], [0, 1], [0, 0]] },
  { x: [2, 4, 4, 3], filter: [1, 1, 3, 8], strides: [1, 1], pad: 0, dimRoundingMode: 'ceil' },
  // inputs smaller than the filter, strides wider than it, single pixels
  { x: [1, 2, 2, 1], filter: [5, 5, 1, 1], strides: [1, 1], pad: 'same' },
  { x: [1, 1, 1, 1], filter: [1, 1, 1, 1], strides: [3, 3], pad: 'same' },
  { x: [2, 7, 7, 3], filter: [1, 2, 3, 5], strides: [3, 3], pad: 'valid' },
  // even filters at stride 2: the odd padding pixel goes after
  { x: [1, 5, 5, 3], filter: [2, 2, 3, 3], strides: [2, 2], pad: 'same' },
  { x: [2, 6, 5, 4], filter: [4, 2, 4, 2], strides: [2, 2], pad: 'same' },
];

const CASES = [...EDGES, ...cases(150, 20261130), ...cases(12, 7, true)];

describe('our convolution kernels on random geometries against TF.js CPU reference kernels', () => {
  const reference: Results[] = [];
  const spies: ReturnType<typeof vi.spyOn>[] = [];
  beforeAll(async () => {
    await tf.setBackend('cpu');
    for (const [i, c] of CASES.entries()) reference.push(await run(c, i * 10));
    await useNodeBackend('wasm');
    useSimdKernels(true);
    for (const method of ['forward', 'inputGradient', 'filterGradient'] as const) spies.push(vi.spyOn(SimdConvolutions.prototype, method));
    // and the strided passes by border classes (strided.ts), protected, and the gathered sums of narrow inputs
    for (const method of ['stridedForward', 'stridedInputGradient', 'narrowInputGradient'] as const) spies.push(vi.spyOn(SimdConvolutions.prototype as unknown as Record<typeof method, () => void>, method));
  });
  afterAll(() => spies.forEach((spy) => spy.mockRestore()));

  it.each(CASES.map((c, i) => [i, JSON.stringify(c), c] as const))('case %i agrees: %s', async (i, _, c) => {
    const before = tf.memory().numTensors;
    const ours = await run(c, i * 10);
    expect(tf.memory().numTensors).toBe(before);
    for (const key of ['y', 'fused', 'linear', 'dx', 'dw'] as const) expectRelativelyClose(ours[key], reference[i][key], 1e-5, key);
  });

  it('ran our kernels, not the fallbacks, on most cases', () => {
    // forward runs twice more per case (the fused kernels)
    const [forward, input, filter, stridedForward, stridedInput, narrowInput] = spies.map((spy) => spy.mock.calls.length);
    expect(forward).toBeGreaterThan(CASES.length * 2);
    expect(input).toBeGreaterThan(CASES.length * 0.8);
    expect(filter).toBeGreaterThan(CASES.length * 0.8);
    // strided cases with channels in fours took the border classes, both ways
    expect(stridedForward).toBeGreaterThan(40);
    expect(stridedInput).toBeGreaterThan(25);
    // and those with one input channel gathered their input gradients' sums (17 of the cases here)
    expect(narrowInput).toBeGreaterThan(12);
  });
});
