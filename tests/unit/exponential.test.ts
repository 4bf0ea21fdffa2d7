/**
 * TF.js's Exp and Softplus on WASM by our kernels (src/core/wasm-simd/exp-kernels.ts): exp
 * within 2 units in the last place of the true value up to 80 and 5 above, infinity and zero
 * where float32 overflows and leaves its normal numbers, NaN for NaN, at every length; other
 * dtypes by TF.js's own kernel; softplus within 3 units in the last place.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { onNodeBackend } from './helpers';
import { ulpsApart } from './wasm-simd-helpers';

/** The largest distance from the true function (Math.exp unless told), in units in the last place, over xs. */
function worstUlps(xs: Float32Array, ours: ArrayLike<number>, exact: (x: number) => number = Math.exp): number {
  return Math.max(...Array.from(xs, (x, i) => ulpsApart(ours[i], Math.fround(exact(x)))));
}

describe('tf.exp on WASM by our exponential', () => {
  onNodeBackend('wasm');

  it('is within 2 units in the last place from -87 to 80, and 5 from 80 to 88.7', async () => {
    for (const [low, high, bound] of [[-87, 80, 2], [80, 88.7, 5]] as const) {
      const n = 100_003;
      const xs = Float32Array.from({ length: n }, (_, i) => low + ((high - low) * i) / (n - 1));
      const y = tf.exp(tf.tensor1d(xs));
      expect(worstUlps(xs, await y.data()), `[${low}, ${high}]`).toBeLessThanOrEqual(bound);
      y.dispose();
    }
  });

  it('at every length (vectors of 4 and single tails): overflow to infinity, 0 below -87.34, NaN for NaN', async () => {
    for (let n = 1; n <= 11; n++) {
      const xs = Float32Array.from({ length: n }, (_, i) => Math.sin(7 * i + n) * 20);
      const y = tf.exp(tf.tensor1d(xs));
      expect(worstUlps(xs, await y.data()), `length ${n}`).toBeLessThanOrEqual(2);
      y.dispose();
    }
    const special = tf.exp(tf.tensor1d([88.8, 1e30, Infinity, -87.5, -1e30, -Infinity, NaN, 0, -0]));
    expect(Array.from(await special.data())).toEqual([Infinity, Infinity, Infinity, 0, 0, 0, NaN, 1, 1]);
    special.dispose();
  });

  it('leaves integers to TF.js\'s kernel (a float32 result all the same)', async () => {
    const y = tf.exp(tf.tensor1d([0, 1, 2], 'int32'));
    expect(y.dtype).toBe('float32');
    expect(Array.from(await y.data()).map((v, i) => ulpsApart(v, Math.fround(Math.exp(i))))).toEqual([0, 0, 0]);
    y.dispose();
  });

  it('has TF.js\'s gradient: exp(x) dy', async () => {
    const x = tf.tensor1d([-3, -0.5, 0, 1.25, 4]);
    const g = await tf.grad((input: tf.Tensor) => tf.exp(input).sum())(x).data();
    Array.from(await x.data()).forEach((v, i) => expect(ulpsApart(g[i], Math.fround(Math.exp(v)))).toBeLessThanOrEqual(2));
    x.dispose();
  });
});

describe('tf.softplus on WASM by our kernel', () => {
  onNodeBackend('wasm');

  /** log(1 + exp(x)) in float64, without overflow. */
  const exactSoftplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

  it('is within 3 units in the last place of log(1 + exp(x)) from -87 to 100, at every length', async () => {
    const n = 100_003;
    const xs = Float32Array.from({ length: n }, (_, i) => -87 + (187 * i) / (n - 1));
    xs.set([0, -0, 1e-30, -1e-20, 1e-8, -3e-8], 0);
    for (const length of [n, 1, 2, 3, 5, 6, 7]) {
      const part = xs.slice(0, length);
      const y = await tf.softplus(tf.tensor1d(part)).data();
      const worst = Math.max(...Array.from(part, (x, i) => ulpsApart(y[i], Math.fround(exactSoftplus(x)))));
      expect(worst, `length ${length}`).toBeLessThanOrEqual(3);
    }
  });

  it('gives x past 88, 0 at -infinity (and below float32\'s normal numbers), NaN for NaN', async () => {
    const y = tf.softplus(tf.tensor1d([90, 1e30, Infinity, -Infinity, -100, NaN]));
    expect(Array.from(await y.data())).toEqual([90, 1e30, Infinity, 0, 0, NaN].map(Math.fround));
    y.dispose();
  });
});

describe('tf.tanh on WASM by our kernel (Cephes\' tanhf)', () => {
  onNodeBackend('wasm');

  it('is within 2 units in the last place from -20 to 20, across the switch at 0.625, and for tiny values', async () => {
    const n = 100_003;
    const spans = [
      Float32Array.from({ length: n }, (_, i) => -20 + (40 * i) / (n - 1)),
      Float32Array.from({ length: n }, (_, i) => 0.6 + (0.05 * i) / (n - 1)),
      Float32Array.from({ length: 200 }, (_, i) => (i % 2 ? -1 : 1) * 10 ** (-38 + i / 10)),
    ];
    for (const xs of spans) {
      const y = tf.tanh(tf.tensor1d(xs));
      expect(worstUlps(xs, await y.data(), Math.tanh), `from ${xs[0]}`).toBeLessThanOrEqual(2);
      y.dispose();
    }
  });

  it('at every length (vectors of 4 and single tails): +-1 far out, the sign of zero kept, NaN for NaN', async () => {
    for (let n = 1; n <= 11; n++) {
      const xs = Float32Array.from({ length: n }, (_, i) => Math.sin(7 * i + n) * 3);
      const y = tf.tanh(tf.tensor1d(xs));
      expect(worstUlps(xs, await y.data(), Math.tanh), `length ${n}`).toBeLessThanOrEqual(2);
      y.dispose();
    }
    const special = tf.tanh(tf.tensor1d([50, 1e30, Infinity, -50, -Infinity, NaN, 0, -0]));
    expect(Array.from(await special.data())).toEqual([1, 1, 1, -1, -1, NaN, 0, -0]);
    special.dispose();
  });

  it('has TF.js\'s gradient: dy (1 - tanh(x)^2)', async () => {
    const xs = [-3, -0.5, 0, 0.3, 1.25, 4];
    const g = await tf.grad((input: tf.Tensor) => tf.tanh(input).sum())(tf.tensor1d(xs)).data();
    xs.forEach((x, i) => expect(Math.abs(g[i] - (1 - Math.tanh(x) ** 2))).toBeLessThan(1e-6));
  });
});
