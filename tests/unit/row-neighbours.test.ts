import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { hasRowNeighbours, ROW_NEIGHBOURS, ROW_NEIGHBOURS_GRADIENT, rowNeighbours, rowNeighboursByOps } from '../../src/core/wasm-heap-neighbours';
import { expectRelativelyClose, seededValues } from './wasm-simd-helpers';

/**
 * The Row LSTM's pixels beside their neighbours, one kernel each way on WASM
 * (src/core/wasm-heap-neighbours.ts), against TF.js's pads, slices and concatenations on the
 * CPU backend: the joined rows bit for bit (copies), the gradients to float rounding (the same
 * sums, perhaps added in another order).
 */

type Reach = [number, number];
type Result = { joined: Float32Array; shape: number[]; grads: Float32Array[]; kernels: string[] };

/** joined = neighbours of maps [B, W, F_k], and the gradients of sum(joined r) by each map. */
async function run(join: typeof rowNeighbours, batch: number, width: number, maps: [number, ...Reach][], seed: number): Promise<Result> {
  const xs = maps.map(([features], k) => tf.tensor3d(seededValues(batch * width * features, seed + k), [batch, width, features]));
  const reach = (inputs: tf.Tensor[]) => inputs.map((x, k) => ({ x: x as tf.Tensor3D, left: maps[k][1], right: maps[k][2] }));
  const columns = maps.reduce((sum, [features, left, right]) => sum + (left + 1 + right) * features, 0);
  const r = tf.tensor2d(seededValues(batch * width * columns, seed + 10), [batch * width, columns]);
  const before = tf.memory().numTensors;
  let joined: tf.Tensor | undefined;
  const profile = await tf.profile(() => {
    joined = join(reach(xs));
    return tf.grads((...inputs: tf.Tensor[]) => join(reach(inputs)).mul(r).sum())(xs);
  });
  const grads = profile.result as tf.Tensor[];
  const result = { joined: (await joined!.data()) as Float32Array, shape: joined!.shape, grads: await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array)), kernels: profile.kernels.map((kernel) => kernel.name) };
  tf.dispose([joined!, ...grads]);
  expect(tf.memory().numTensors, 'tensors left').toBe(before);
  tf.dispose([...xs, r]);
  return result;
}

describe('the Row LSTM\'s neighbours in one kernel each way on WASM', () => {
  beforeAll(async () => {
    await useNodeBackend('wasm');
  });

  it.each([
    ['the Row LSTM\'s: inputs with the pixel and 1 to the left, states above with 1 either side', 3, 7, [[8, 1, 0], [12, 1, 1]]],
    ['reach 2, a map read only at the pixel, one image', 1, 5, [[4, 2, 2], [3, 0, 0], [5, 0, 2]]],
    ['a row of one pixel: every neighbour beyond its ends', 2, 1, [[6, 1, 1]]],
    ['one map, reach wider than the row', 2, 3, [[2, 4, 3]]],
  ] as [string, number, number, [number, ...Reach][]][])('%s: agrees with TF.js\'s ops on the CPU backend', async (_, batch, width, maps) => {
    const ours = await run(rowNeighbours, batch, width, maps, 5);
    expect(hasRowNeighbours()).toBe(true);
    // one kernel forwards (the joined rows, and the pass the gradient records), one back; no pad, slice or concatenation
    expect(ours.kernels.filter((name) => name === ROW_NEIGHBOURS || name === ROW_NEIGHBOURS_GRADIENT)).toEqual([ROW_NEIGHBOURS, ROW_NEIGHBOURS, ROW_NEIGHBOURS_GRADIENT]);
    expect(ours.kernels.filter((name) => ['PadV2', 'Slice', 'Concat', 'SplitV'].includes(name))).toEqual([]);
    await tf.setBackend('cpu');
    const reference = await run(rowNeighboursByOps, batch, width, maps, 5);
    await tf.setBackend('wasm');
    expect(ours.shape).toEqual(reference.shape);
    expect(Array.from(ours.joined)).toEqual(Array.from(reference.joined));
    ours.grads.forEach((g, k) => expectRelativelyClose(g, reference.grads[k], 1e-6, `dx${k}`));
  });
});
