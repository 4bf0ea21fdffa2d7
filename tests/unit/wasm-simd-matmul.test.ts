import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { SimdMatMul } from '../../src/core/wasm-simd/matmul';
import { expectRelativelyClose, seededValues } from './wasm-simd-helpers';

/**
 * Our matrix products on WASM (src/core/wasm-simd/matmul.ts: BatchMatMul, _FusedMatMul)
 * against TF.js's CPU backend: both transposes, a batch and an operand broadcast over it,
 * widths not in fours, an inner dimension long enough to be worked in chunks, bias and relu,
 * and an empty inner dimension.
 */

interface Case {
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
  fused?: boolean;
}

const CASES: Case[] = [
  { a: [1, 5, 7], b: [1, 7, 8], transposeA: false, transposeB: false },
  { a: [1, 7, 5], b: [1, 7, 8], transposeA: true, transposeB: false }, // a weight gradient: x^T dy
  { a: [1, 5, 7], b: [1, 3, 7], transposeA: false, transposeB: true }, // an input gradient: dy W^T, 3 wide
  { a: [1, 7, 6], b: [1, 10, 7], transposeA: true, transposeB: true },
  { a: [3, 4, 6], b: [3, 6, 5], transposeA: false, transposeB: false }, // a batch
  { a: [3, 4, 6], b: [1, 6, 12], transposeA: false, transposeB: false }, // B shared by the batch
  { a: [1, 9, 6], b: [2, 5, 6], transposeA: false, transposeB: true }, // A shared, B transposed per batch
  { a: [1, 3000, 9], b: [1, 3000, 40], transposeA: true, transposeB: false }, // a long inner dimension: chunks
  { a: [1, 37, 16], b: [1, 16, 256], transposeA: false, transposeB: false, fused: true },
  { a: [1, 3000, 9], b: [1, 3000, 40], transposeA: true, transposeB: false, fused: true }, // bias with the first chunk, relu after the last
  { a: [1, 6, 5], b: [1, 5, 1], transposeA: false, transposeB: false, fused: true },
  { a: [1, 4, 0], b: [1, 0, 8], transposeA: false, transposeB: false }, // an empty sum
  { a: [64, 20], b: [64, 3], transposeA: true, transposeB: false }, // matrices (tf.matMul's gradient of a dense layer: x^T dy)
  { a: [5, 3], b: [20, 3], transposeA: false, transposeB: true }, // matrices: dy W^T
  { a: [1, 300, 16], b: [1, 16, 67], transposeA: false, transposeB: false, fused: true }, // 67 columns padded to 68: rows of 268 bytes copied (memory.copy) in and out
  { a: [1, 17248 / 8, 16], b: [1, 17248 / 8, 15], transposeA: true, transposeB: false }, // PixelCNN++'s mixture layer's weight gradient, its B padded from 15 columns
];

async function run(c: Case): Promise<Float32Array> {
  const size = (shape: number[]) => shape.reduce((x, y) => x * y, 1);
  const a = tf.tensor(seededValues(size(c.a), 1), c.a);
  const b = tf.tensor(seededValues(size(c.b), 2), c.b);
  const n = c.transposeB ? c.b[c.b.length - 2] : c.b[c.b.length - 1];
  const bias = tf.tensor1d(seededValues(n, 3));
  const out = c.fused
    ? tf.fused.matMul({ a: a as tf.Tensor3D, b: b as tf.Tensor3D, transposeA: c.transposeA, transposeB: c.transposeB, bias, activation: 'relu' })
    : tf.matMul(a, b, c.transposeA, c.transposeB);
  // matrices in, a matrix out, as TF.js's kernels give
  expect(out.shape).toEqual([...c.a.slice(0, -2).map((_, i) => Math.max(c.a[i], c.b[i])), c.transposeA ? c.a[c.a.length - 1] : c.a[c.a.length - 2], n]);
  const result = (await out.data()) as Float32Array;
  tf.dispose([a, b, bias, out]);
  return result;
}

describe('our matrix products on WASM against TF.js CPU reference kernels', () => {
  const reference: Float32Array[] = [];
  beforeAll(async () => {
    await tf.setBackend('cpu');
    for (const c of CASES) reference.push(await run(c));
    await useNodeBackend('wasm');
  });

  it.each(CASES.map((c, i) => [i, c] as const))('case %i agrees: %o', async (i, c) => {
    const ran = vi.spyOn(SimdMatMul.prototype, 'product');
    const before = tf.memory().numTensors;
    const ours = await run(c);
    expect(tf.memory().numTensors).toBe(before);
    expect(ran).toHaveBeenCalled(); // ours, not the kernel before
    ran.mockRestore();
    expectRelativelyClose(ours, reference[i], 2e-6);
  });
});
