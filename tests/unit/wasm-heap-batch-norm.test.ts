/**
 * TF.js's FusedBatchNorm on WASM by our kernel (src/core/wasm-heap-batch-norm.ts): the bits of
 * tfjs-backend-wasm's own kernel, with statistics one per channel or one number (both kinds in
 * one call too), scale and offset absent, a single row, every row length in fours, zeros of
 * both signs, infinities, NaN and a zero variance; TF.js's kernel where the channels are not
 * in fours.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { kernelsOn, type WasmBackend } from '../../src/core/wasm-simd/heap';
import { seededValues, float32Bits } from './wasm-simd-helpers';
import { onNodeBackend } from './helpers';

/** tfjs-backend-wasm's own kernel, taken before ours replaces it (the backend registers its kernels on import). */
const theirs = tf.getKernel('FusedBatchNorm', 'wasm')!;

const bits = (data: tf.TypedArray) => float32Bits(data as ArrayLike<number>);

/** Values spread over many magnitudes, with exact zeros of both signs. */
function values(n: number, seed: number, spread = 4): Float32Array {
  return Float32Array.from(seededValues(n, seed), (v, i) => (i % 13 === 0 ? 0 : i % 17 === 0 ? -0 : v * 10 ** ((i % 7) - spread / 2)));
}

/** How many numbers a statistic has: one per channel, or one. */
type Count = 'channels' | 'one';

interface Case {
  shape: number[];
  mean: Count;
  variance: Count;
  scale?: Count;
  offset?: Count;
}

const CASES: Case[] = [
  { shape: [6, 12], mean: 'channels', variance: 'channels', scale: 'channels', offset: 'channels' },
  { shape: [2, 3, 5, 8], mean: 'channels', variance: 'channels', scale: 'channels', offset: 'channels' },
  { shape: [3, 4], mean: 'channels', variance: 'channels' },
  { shape: [2, 2, 2, 16], mean: 'one', variance: 'one', scale: 'one', offset: 'one' },
  { shape: [5, 36], mean: 'channels', variance: 'channels', offset: 'channels' },
  // statistics of both kinds at once, and a single row
  { shape: [4, 3, 20], mean: 'channels', variance: 'one', scale: 'one', offset: 'channels' },
  { shape: [1, 24], mean: 'one', variance: 'channels', scale: 'channels', offset: 'one' },
];

/** A statistic's numbers, none of them zero where it matters: a zero mean, scale or offset would hide which number was used. */
function statistic(count: number, seed: number, spread: number, positive = false): Float32Array {
  return Float32Array.from(values(count, seed, spread), (v, i) => {
    const nonzero = v === 0 ? 0.75 + i / 8 : v;
    return positive ? Math.abs(nonzero) : nonzero;
  });
}

describe('FusedBatchNorm on WASM', () => {
  onNodeBackend('wasm');

  it.each(CASES.map((c) => [c.shape.join('x'), c] as const))('%s, %o: the bits of tfjs-backend-wasm\'s own kernel', async (_, c) => {
    const channels = c.shape[c.shape.length - 1];
    const count = (kind: Count) => (kind === 'one' ? 1 : channels);
    const xs = values(tf.util.sizeFromShape(c.shape), channels);
    xs.set([Infinity, -Infinity, NaN], 1);
    const x = tf.tensor(xs, c.shape);
    const mean = tf.tensor1d(statistic(count(c.mean), 7, 4));
    // variances from large to tiny, and one of 0 (whose factor is sqrt(epsilon)) among several
    const variances = statistic(count(c.variance), 8, 6, true);
    if (variances.length > 1) variances[1] = 0;
    const variance = tf.tensor1d(variances);
    const inputs: tf.NamedTensorMap = { x, mean, variance };
    if (c.scale) inputs.scale = tf.tensor1d(statistic(count(c.scale), 9, 2));
    if (c.offset) inputs.offset = tf.tensor1d(statistic(count(c.offset), 10, 4));
    const attrs = { varianceEpsilon: 1e-3 };
    const kernels = kernelsOn(tf.backend() as unknown as WasmBackend)!;
    const spy = vi.spyOn(kernels, 'batchNormalize');
    const ours = tf.engine().runKernel('FusedBatchNorm', inputs, attrs) as tf.Tensor;
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
    const reference = tf.engine().makeTensorFromTensorInfo(theirs.kernelFunc({ inputs, backend: tf.backend(), attrs }) as tf.TensorInfo);
    expect(bits(await ours.data())).toEqual(bits(await reference.data()));
    tf.dispose([ours, reference, ...Object.values(inputs)]);
  });

  it('gives tf.batchNorm TF.js\'s numbers, and leaves channels not in fours to TF.js\'s kernel', async () => {
    const kernels = kernelsOn(tf.backend() as unknown as WasmBackend)!;
    const spy = vi.spyOn(kernels, 'batchNormalize');
    const x = tf.tensor2d(values(15, 3), [3, 5]);
    const [mean, variance] = [tf.tensor1d(values(5, 4)), tf.tensor1d(values(5, 5).map(Math.abs))];
    const y = tf.batchNorm(x, mean, variance, undefined, undefined, 0.01);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
    const [xs, ms, vs] = [values(15, 3), values(5, 4), values(5, 5).map(Math.abs)];
    // (x - mean) / sqrt(variance + epsilon), as tfjs-backend-wasm computes it
    const expected = Array.from(xs, (v, i) => Math.fround(Math.fround(Math.fround(v - ms[i % 5]) * 1) / Math.fround(Math.sqrt(Math.fround(vs[i % 5] + Math.fround(0.01))))));
    expect(Array.from(await y.data())).toEqual(expected);
    tf.dispose([x, mean, variance, y]);
  });
});
