/**
 * TF.js's Add, Sub and Multiply on WASM by our kernels (src/core/wasm-heap-arithmetic.ts) for
 * two float32 tensors of one shape: the bits of tfjs-backend-wasm's own kernels at every
 * length (vectors and tails), with zeros of both signs, infinities, NaN and subnormal
 * numbers; broadcasting and int32 still by TF.js's kernels.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { kernelsOn, type WasmBackend } from '../../src/core/wasm-simd/heap';
import { seededValues, float32Bits } from './wasm-simd-helpers';
import { onNodeBackend } from './helpers';

/** tfjs-backend-wasm's own kernels, taken before ours replace them (the backend registers its kernels on import). */
const theirs = Object.fromEntries(['Add', 'Sub', 'Multiply'].map((name) => [name, tf.getKernel(name, 'wasm')!]));

/** Bit patterns: -0 is not 0. */
const bits = (data: tf.TypedArray) => float32Bits(data as ArrayLike<number>);

/** Values of many sizes, exact zeros of both signs, and (past 8) infinities, NaN and subnormal numbers. */
function values(n: number, seed: number): Float32Array {
  const xs = Float32Array.from(seededValues(n, seed), (v, i) => (i % 7 === 0 ? 0 : i % 11 === 0 ? -0 : v * 10 ** ((i % 9) - 4)));
  if (n > 8) xs.set([Infinity, -Infinity, NaN, 1e-40, -3e-39], 3);
  return xs;
}

const LENGTHS = [1, 3, 4, 5, 8, 13, 64, 1001];
const OPS = { Add: tf.add, Sub: tf.sub, Multiply: tf.mul } as const;

describe('Add, Sub and Multiply on WASM', () => {
  onNodeBackend('wasm');

  it.each(Object.keys(OPS) as Array<keyof typeof OPS>)('%s: the bits of tfjs-backend-wasm\'s own kernel on two float32 tensors of one shape', async (name) => {
    for (const n of LENGTHS) {
      const [a, b] = [tf.tensor1d(values(n, n)), tf.tensor1d(values(n, n + 1).reverse())];
      const ours = OPS[name](a, b);
      const reference = tf.engine().makeTensorFromTensorInfo(theirs[name].kernelFunc({ inputs: { a, b }, backend: tf.backend(), attrs: {} }) as tf.TensorInfo);
      expect(bits(await ours.data()), `${name}, length ${n}`).toEqual(bits(await reference.data()));
      tf.dispose([a, b, ours, reference]);
    }
  });

  it('runs ours on floats of one shape, and TF.js\'s where the shapes broadcast or the values are integers', async () => {
    const [a, b] = [tf.tensor2d(values(12, 1), [3, 4]), tf.tensor2d(values(12, 2), [3, 4])];
    const [row, integers] = [tf.tensor1d(values(4, 3)), tf.tensor1d([1, 2, 3], 'int32')];
    const kernels = kernelsOn(tf.backend() as unknown as WasmBackend)!;
    const spies = (['add', 'subtract', 'multiply'] as const).map((name) => vi.spyOn(kernels, name));
    const results = [tf.add(a, b), tf.mul(a, row), tf.sub(integers, integers), tf.mul(integers, integers)];
    const calls = spies.map((spy) => spy.mock.calls.length);
    spies.forEach((spy) => spy.mockRestore());
    expect(calls).toEqual([1, 0, 0]);
    // the broadcast product and the integers as TF.js's kernels give them
    const row4 = values(4, 3);
    expect(Array.from(await results[1].data())).toEqual(Array.from(values(12, 1)).map((value, i) => Math.fround(value * row4[i % 4])));
    expect(Array.from(await results[3].data())).toEqual([1, 4, 9]);
    expect(results[2].dtype).toBe('int32');
    tf.dispose([...results, a, b, row, integers]);
  });
});
