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
