/**
 * Rows written over (src/core/wasm-heap-overwrite.ts), the replay buffer's store: the values
 * of tf.tensorScatterUpdate; in place on WASM only when nothing else shares the tensor's
 * values; tensors sharing them (a reshape, a checkpoint's clone) left as they were, on WASM
 * and on the CPU backend, whose own tensorScatterUpdate (TF.js 4.22) writes into its input's
 * values (so the expected values below come from a tensor of their own); no tensor or heap
 * buffer left behind; a clear error for values of the wrong shape.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { traceKernels } from '../../src/core/kernel-trace';
import { OVERWRITE_ROWS, overwriteRows } from '../../src/core/wasm-heap-overwrite';
import { seededValues } from './wasm-simd-helpers';
import { onNodeBackend } from './helpers';

const shape = [10, 3, 2, 1];
const rows = [7, 0, 4];
const written = (seed: number) => tf.tensor(seededValues(rows.length * 6, seed), [rows.length, 3, 2, 1]);

/** tf.tensorScatterUpdate's values of x's (a seeded tensor's) with `rows` replaced, on a tensor of their own. */
async function expected(seed: number, values: tf.Tensor): Promise<Float32Array> {
  const [x, indices] = [tf.tensor(seededValues(60, seed), shape), tf.tensor2d(rows, [rows.length, 1], 'int32')];
  const scattered = tf.tensorScatterUpdate(x, indices, values);
  const result = (await scattered.data()) as Float32Array;
  tf.dispose([x, indices, scattered]);
  return result;
}

describe.each(['wasm', 'cpu'] as const)('rows written over on %s', (backend) => {
  onNodeBackend(backend);

  it('gives tensorScatterUpdate\'s values, with no tensor or buffer left behind', async () => {
    const [x, values, indices] = [tf.tensor(seededValues(60, 1), shape), written(2), tf.tensor1d(rows, 'int32')];
    const want = await expected(1, values);
    const before = tf.memory();
    const result = overwriteRows(x, indices, values);
    expect(x.isDisposed).toBe(true);
    expect(Array.from(await result.data())).toEqual(Array.from(want));
    result.dispose();
    // x given up and the result disposed: one tensor and one buffer fewer than before
    expect([tf.memory().numTensors, tf.memory().numDataBuffers]).toEqual([before.numTensors - 1, before.numDataBuffers - 1]);
    tf.dispose([values, indices]);
  });

  it('writes in place on WASM only where no other tensor shares the values, and leaves a reshape and a clone sharing them as they were', async () => {
    const [x, values, indices] = [tf.tensor(seededValues(60, 3), shape), written(4), tf.tensor1d(rows, 'int32')];
    const [original, want] = [Array.from(await x.data()), await expected(3, values)];
    // a reshape and a clone (a checkpoint's copy: on WASM ours shares the values, wasm-heap-kernels.ts) share x's values
    const [shared, saved] = [x.reshape([10, 6]), x.clone()];
    const result = overwriteRows(x, indices, values);
    expect(Array.from(await result.data())).toEqual(Array.from(want));
    expect(Array.from(await shared.data()), 'the reshape keeps its values').toEqual(original);
    expect(Array.from(await saved.data()), 'the clone keeps its values').toEqual(original);
    tf.dispose([shared, saved]);
    // alone, the result's values are written over in place on WASM, by one kernel
    const later = written(5);
    const wantLater = await expected(3, later);
    let again = result;
    const trace = await traceKernels(async () => {
      again = overwriteRows(result, indices, later);
      await again.data();
    });
    expect(again.dataId === result.dataId).toBe(backend === 'wasm');
    expect(Array.from(await again.data())).toEqual(Array.from(wantLater));
    expect(trace.kernels.map((kernel) => kernel.name).sort()).toEqual(backend === 'wasm' ? [OVERWRITE_ROWS] : ['Reshape', 'TensorScatterUpdate']);
    tf.dispose([again, later, values, indices]);
  });

  it('refuses values of another shape, as tensorScatterUpdate does, and writes nothing', async () => {
    const [x, indices] = [tf.tensor(seededValues(60, 6), shape), tf.tensor1d(rows, 'int32')];
    const before = Array.from(await x.data());
    const wrong = tf.zeros([rows.length, 3, 1, 1]);
    expect(() => overwriteRows(x, indices, wrong)).toThrow(/values of shape \[3,3,2,1\], not \[3,3,1,1\]/);
    expect(Array.from(await x.data())).toEqual(before);
    tf.dispose([x, indices, wrong]);
  });
});
