/**
 * Leaky ReLU and its gradient as WASM kernels of ours, TF.js's EluGrad four lanes at a time
 * and the gradient of ClipByValue (src/core/wasm-heap-activations.ts,
 * wasm-simd/elementwise-kernels.ts): the bits of what they replace (tfjs-core's where(x > 0,
 * dy, alpha dy) and where(low <= x <= high, dy, 0), tfjs-backend-wasm's own LeakyRelu and
 * EluGrad), at every length, with zeros, infinities and NaN; the gradients of tf.leakyRelu,
 * tf.elu and tf.clipByValue on every backend.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { traceKernels } from '../../src/core/kernel-trace';
import { CLIP_GRADIENT, clipGradient, LEAKY_RELU_GRADIENT, leakyReluGradient } from '../../src/core/wasm-heap-activations';
import { seededValues } from './wasm-simd-helpers';
import { onNodeBackend } from './helpers';

/** tfjs-backend-wasm's own EluGrad and LeakyRelu, taken before our kernels replace them (the backend registers its kernels on import). */
const wasmEluGrad = tf.getKernel('EluGrad', 'wasm')!;
const wasmLeakyRelu = tf.getKernel('LeakyRelu', 'wasm')!;

/** Compared as bit patterns (NaN == NaN, and -0 is not 0). */
const bits = async (t: tf.Tensor | tf.TensorInfo) => Array.from(new Uint32Array(((t as tf.Tensor).dataSync ? await (t as tf.Tensor).data() : tf.engine().makeTensorFromTensorInfo(t as tf.TensorInfo).dataSync()).slice().buffer));

/** Values either side of 0 and around -1, exact zeros of both signs, and (past 8) infinities and NaN. */
function values(n: number, seed: number): Float32Array {
  const xs = Float32Array.from(seededValues(n, seed), (v, i) => (i % 7 === 0 ? 0 : i % 11 === 0 ? -0 : i % 5 === 0 ? v - 1 : v * 3));
  if (n > 8) xs.set([Infinity, -Infinity, NaN, 1e-40], 3);
  return xs;
}

const LENGTHS = [1, 3, 4, 5, 8, 13, 64, 1001];

describe('leaky ReLU\'s and ELU\'s gradients on WASM', () => {
  onNodeBackend('wasm');

  it('leaky ReLU itself: the bits of tfjs-backend-wasm\'s own kernel', async () => {
    for (const n of LENGTHS) {
      const x = tf.tensor1d(values(n, n));
      const ours = tf.leakyRelu(x, 0.2);
      const theirs = wasmLeakyRelu.kernelFunc({ inputs: { x }, backend: tf.backend(), attrs: { alpha: 0.2 } }) as tf.TensorInfo;
      expect(await bits(ours), `length ${n}`).toEqual(await bits(theirs));
      tf.dispose([x, ours]);
    }
  });

  it('leaky ReLU: the bits of tfjs-core\'s gradient, where(x > 0, dy, alpha dy)', async () => {
    for (const n of LENGTHS) {
      const [x, dy] = [tf.tensor1d(values(n, n)), tf.tensor1d(values(n, n + 1).reverse())];
      const [ours, theirs] = [leakyReluGradient(dy, x, 0.2), tf.where(tf.greater(x, 0), dy, tf.mul(dy, 0.2))];
      expect(await bits(ours), `length ${n}`).toEqual(await bits(theirs));
      tf.dispose([x, dy, ours, theirs]);
    }
  });

  it('EluGrad: the bits of tfjs-backend-wasm\'s own kernel, with y = ELU(x) and any y (where |y| < 2^-6, within a unit in the last place)', async () => {
    for (const n of LENGTHS) {
      const x = tf.tensor1d(values(n, n));
      for (const y of [tf.elu(x), x]) {
        const dy = tf.tensor1d(values(n, n + 2).reverse());
        const ours = tf.engine().runKernel('EluGrad', { dy, y }) as tf.Tensor;
        const theirs = wasmEluGrad.kernelFunc({ inputs: { dy, y }, backend: tf.backend(), attrs: {} }) as tf.TensorInfo;
        // our fused variant rounds dy (y + 1) once, TF.js's float64 twice where it cannot hold it exactly (0 < |y| < 2^-6)
        const ys = await y.data();
        const [ourBits, theirBits] = [await bits(ours), await bits(theirs)];
        ys.forEach((value, i) => {
          const near = value !== 0 && Math.abs(value) < 2 ** -6 && Number.isFinite(ourBits[i]);
          if (near) expect(Math.abs(ourBits[i] - theirBits[i]), `length ${n}, number ${i}`).toBeLessThanOrEqual(1);
          else expect(ourBits[i], `length ${n}, number ${i}`).toBe(theirBits[i]);
        });
        tf.dispose([dy, ours]);
      }
      x.dispose();
    }
  });

  it('ClipByValue: the bits of tfjs-core\'s gradient, where(low <= x <= high, dy, 0), bounds included', async () => {
    for (const n of LENGTHS) {
      const xs = values(n, n + 3);
      // values on the bounds themselves
      if (n > 2) xs.set([-1, 0.5], n - 2);
      const [x, dy] = [tf.tensor1d(xs), tf.tensor1d(values(n, n + 4).reverse())];
      const ours = clipGradient(dy, x, -1, 0.5);
      const theirs = tf.where(tf.logicalAnd(tf.greaterEqual(x, -1), tf.lessEqual(x, 0.5)), dy, tf.zerosLike(dy));
      expect(await bits(ours), `length ${n}`).toEqual(await bits(theirs));
      tf.dispose([x, dy, ours, theirs]);
    }
  });

  it('is what tf.clipByValue\'s gradient runs: one kernel, no comparison or select', async () => {
    const x = tf.tensor(values(2 * 8 * 8, 9), [2, 8, 8, 1]);
    const trace = await traceKernels(async () => {
      const gradient = tf.grad((input: tf.Tensor) => tf.clipByValue(input, -0.5, 0.5).sum())(x);
      await gradient.data();
      gradient.dispose();
    });
    const calls = (name: string) => trace.kernels.find((kernel) => kernel.name === name)?.calls ?? 0;
    expect([calls(CLIP_GRADIENT), calls('GreaterEqual'), calls('LessEqual'), calls('Select')]).toEqual([1, 0, 0, 0]);
    x.dispose();
  });

  it('is what tf.leakyRelu\'s gradient runs: one kernel, no comparison or select', async () => {
    const x = tf.tensor(values(2 * 8 * 8, 9), [2, 8, 8, 1]);
    const trace = await traceKernels(async () => {
      const gradient = tf.grad((input: tf.Tensor) => tf.leakyRelu(input, 0.2).sum())(x);
      await gradient.data();
      gradient.dispose();
    });
    const calls = (name: string) => trace.kernels.find((kernel) => kernel.name === name)?.calls ?? 0;
    expect([calls(LEAKY_RELU_GRADIENT), calls('Greater'), calls('Select')]).toEqual([1, 0, 0]);
    x.dispose();
  });
});

describe.each(['wasm', 'cpu'] as const)('tf.leakyRelu\'s, tf.elu\'s and tf.clipByValue\'s gradients (%s)', (backend) => {
  onNodeBackend(backend);

  it('are the calculus\' ones, leaving no tensor behind', async () => {
    const xs = Float32Array.from(seededValues(100, 3), (v) => v * 4);
    const x = tf.tensor(xs, [10, 10]);
    const dy = tf.tensor(seededValues(100, 4), [10, 10]);
    const before = tf.memory().numTensors;
    const leaky = tf.grad((input: tf.Tensor) => tf.leakyRelu(input, 0.3).mul(dy).sum())(x);
    const elu = tf.grad((input: tf.Tensor) => tf.elu(input).mul(dy).sum())(x);
    const clip = tf.grad((input: tf.Tensor) => tf.clipByValue(input, -1, 2).mul(dy).sum())(x);
    expect(tf.memory().numTensors).toBe(before + 3);
    const [gl, ge, gc, ds] = [await leaky.data(), await elu.data(), await clip.data(), await dy.data()];
    xs.forEach((v, i) => {
      expect(gl[i], `x = ${v}`).toBeCloseTo(v > 0 ? ds[i] : 0.3 * ds[i], 6);
      expect(ge[i], `x = ${v}`).toBeCloseTo(v > 0 ? ds[i] : Math.exp(v) * ds[i], 5);
      expect(gc[i], `x = ${v}`).toBe(v >= -1 && v <= 2 ? ds[i] : 0);
    });
    tf.dispose([x, dy, leaky, elu, clip]);
  });

  it('can be differentiated again, as a gradient penalty does: d/dv of sum((d/dx sum(v relu(x)))^2) is 2 v slope(x)^2', async () => {
    const xs = Float32Array.from(seededValues(60, 5), (v) => v * 4);
    const vs = Float32Array.from(seededValues(60, 6), (v) => v + 0.1);
    const [x, v] = [tf.tensor(xs, [6, 10]), tf.tensor(vs, [6, 10])];
    for (const [activation, slope] of [[(u: tf.Tensor) => tf.leakyRelu(u, 0.3), 0.3], [tf.relu, 0]] as const) {
      const penalty = (w: tf.Tensor) => tf.grad((u: tf.Tensor) => activation(u).mul(w).sum())(x).square().sum();
      const gradient = tf.grad(penalty)(v);
      const g = await gradient.data();
      xs.forEach((value, i) => {
        const s = value > 0 ? 1 : slope;
        expect(g[i], `x = ${value}, v = ${vs[i]}`).toBeCloseTo(2 * vs[i] * s * s, 5);
      });
      gradient.dispose();
    }
    tf.dispose([x, v]);
  });
});
