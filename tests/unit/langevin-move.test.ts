/**
 * The Langevin move as one WASM kernel (src/core/wasm-heap-langevin.ts) against TF.js's ops:
 * the same bits, with and without clipping and bounds.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { traceKernels } from '../../src/core/kernel-trace';
import { LANGEVIN_MOVE, langevinMove, langevinMoveByOps, type LangevinMoveAttrs } from '../../src/core/wasm-heap-langevin';
import { seededValues, tensorBits } from './wasm-simd-helpers';
import { onNodeBackend } from './helpers';


describe('one Langevin move as one WASM kernel', () => {
  onNodeBackend('wasm');

  it('gives the bits of TF.js\'s clip, product, difference, sum and clip, for steps that do not round exactly', async () => {
    const n = 2 * 28 * 28;
    // chains in and around [0, 1], gradients past the clip, noise of either sign
    const x = tf.tensor(Float32Array.from(seededValues(n, 1), (v) => 0.5 + 0.7 * v), [2, 28, 28, 1]);
    const gradient = tf.tensor(Float32Array.from(seededValues(n, 2), (v, i) => (i % 5 === 0 ? v * 100 : v * 0.03)), [2, 28, 28, 1]);
    const noise = tf.tensor(Float32Array.from(seededValues(n, 3), (v) => v * 0.005), [2, 28, 28, 1]);
    const cases: LangevinMoveAttrs[] = [
      { stepSize: 10, clip: 0.01, low: 0, high: 1 },
      { stepSize: 0.1, clip: 0, low: 0, high: 1 },
      { stepSize: 1 / 3, clip: 0.7 },
      { stepSize: 0.01, clip: 0 },
    ];
    for (const attrs of cases) {
      const [ours, theirs] = [langevinMove(x, gradient, noise, attrs), langevinMoveByOps(x, gradient, noise, attrs)];
      expect(await tensorBits(ours), JSON.stringify(attrs)).toEqual(await tensorBits(theirs));
      // and the move is not the identity: most chains moved
      const [moved, start] = [await ours.data(), await x.data()];
      expect(moved.filter((value, i) => value !== start[i]).length).toBeGreaterThan(n / 2);
      tf.dispose([ours, theirs]);
    }
    tf.dispose([x, gradient, noise]);
  });

  it('keeps a NaN as NaN and moves infinities as min and max would, bounds included', async () => {
    // TF.js-WASM's clip (XNNPACK's clamp) turns a NaN into the low bound on x86, so the reference
    // here is the move in float32 with Math.min and Math.max, which keep a NaN: a chain that
    // blew up shows as NaN, not as a plausible black pixel
    const [nan, inf] = [Number.NaN, Number.POSITIVE_INFINITY];
    const x = [0.5, 0.5, 0.5, nan, 0.25, -inf, 0.75, 0.5];
    const gradient = [nan, inf, -inf, 0.1, 0.2, 0.3, -0.4, 2];
    const noise = [0.001, -0.002, 0.003, 0.004, inf, -0.001, nan, -inf];
    const cases: LangevinMoveAttrs[] = [{ stepSize: 0.5, clip: 0.25, low: 0, high: 1 }, { stepSize: 0.5, clip: 0 }];
    for (const attrs of cases) {
      const [bound, low, high] = [attrs.clip > 0 ? attrs.clip : inf, attrs.low ?? -inf, attrs.high ?? inf];
      const expected = x.map((start, i) => {
        const clipped = Math.min(Math.max(gradient[i], -bound), bound);
        const moved = Math.fround(Math.fround(start - Math.fround(Math.fround(attrs.stepSize) * clipped)) + noise[i]);
        return Math.min(Math.max(moved, low), high);
      });
      const inputs = [x, gradient, noise].map((values) => tf.tensor(values, [2, 4]));
      const ours = langevinMove(inputs[0], inputs[1], inputs[2], attrs);
      expect(Array.from(await ours.data()), JSON.stringify(attrs)).toEqual(expected.map(Math.fround));
      // the cases cover what they mean to: NaNs, both infinities unbounded, bounds reached from infinities
      expect(expected.filter(Number.isNaN).length).toBeGreaterThanOrEqual(3);
      tf.dispose([ours, ...inputs]);
    }
  });

  it('is one kernel, leaving no tensor behind', async () => {
    const [x, gradient, noise] = [1, 2, 3].map((seed) => tf.tensor(seededValues(64, seed), [4, 16]));
    const before = tf.memory().numTensors;
    const trace = await traceKernels(async () => {
      const moved = langevinMove(x, gradient, noise, { stepSize: 0.5, clip: 0.1, low: -1, high: 1 });
      await moved.data();
      moved.dispose();
    });
    expect(trace.kernels.map((kernel) => kernel.name)).toEqual([LANGEVIN_MOVE]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, gradient, noise]);
  });
});
