/**
 * Matrix products on the WASM backend (BatchMatMul, _FusedMatMul) through our matrix
 * product (kernels.ts), in place on tfjs-backend-wasm's heap.
 *
 * Why: TF.js hands these to XNNPACK's fully connected operator, which ran PixelCNN's 1x1
 * output layers at 11-27 GFLOP/s here (their weight gradient, [32, 25088] x [25088, 256], at
 * 14) and PixelRNN's LSTM products, a few hundred a step, at about 20. Ours reads A in either
 * layout for free (it is read one number at a time), so a transposed A costs nothing; a
 * transposed B is copied once into rows. A long inner dimension is worked through in
 * chunks that keep their part of B in cache, adding into C.
 */
import * as tf from '@tensorflow/tfjs';
import { HeapKernels, roundUp4, transposeRows, type Epilogue } from './heap';
import type { WasmKernels } from './kernels';

/** Rows of B per chunk of the inner dimension, at most: 256 kB of B at 256 columns. */
const CHUNK_BYTES = 256 * 1024;

export interface ProductShape {
  batch: number;
  /** Which operand is broadcast over the batch (its batch is 1), if any. */
  aBatch: number;
  bBatch: number;
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
  /** Both operands 2-D (tf.matMul of matrices): the product is [m, n], not [1, m, n]. */
  matrices: boolean;
}

/**
 * The product's shape from 3-D operands (TF.js's fused op reshapes to [batch, rows,
 * columns]) or 2-D ones (tf.matMul passes matrices as they are), or null where ours does not apply.
 */
export function productShape(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): ProductShape | null {
  const matrices = a.shape.length === 2 && b.shape.length === 2;
  if (!(matrices || (a.shape.length === 3 && b.shape.length === 3)) || a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const [aBatch, aRows, aColumns] = matrices ? [1, ...a.shape] : a.shape;
  const [bBatch, bRows, bColumns] = matrices ? [1, ...b.shape] : b.shape;
  const [m, k] = transposeA ? [aColumns, aRows] : [aRows, aColumns];
  const [kB, n] = transposeB ? [bColumns, bRows] : [bRows, bColumns];
  if (k !== kB || (aBatch !== bBatch && aBatch !== 1 && bBatch !== 1)) return null;
  return { batch: Math.max(aBatch, bBatch), aBatch, bBatch, m, k, n, transposeA, transposeB, matrices };
}

/** Rows of B (of `wide` floats) per chunk of an inner dimension k: what keeps that part of B in cache. */
export const innerChunk = (k: number, wide: number) => Math.max(1, Math.min(k, Math.floor(CHUNK_BYTES / (wide * 4))));

/** A product for gemm: A[r, s] at a + r*aRow + s*aStep, B and C in rows ldb and ldc bytes apart (n a multiple of 4); addresses in bytes. */
export interface GemmOperands {
  a: number;
  aRow: number;
  aStep: number;
  b: number;
  ldb: number;
  c: number;
  ldc: number;
  m: number;
  n: number;
  k: number;
  /** The address of n numbers added to every row, or 0. */
  bias?: number;
  relu?: number;
}

/**
 * C[m, n] = A[m, k] B[k, n] (+ bias, then relu), the inner dimension in chunks of innerChunk
 * rows of B, each added into C: every product of ours with the same operands rounds the same.
 */
export function chunkedProduct(kernels: WasmKernels, { a, aRow, aStep, b, ldb, c, ldc, m, n, k, bias = 0, relu = 0 }: GemmOperands): void {
  const chunk = innerChunk(k, n);
  for (let first = 0; first < k; first += chunk) {
    const count = Math.min(chunk, k - first);
    // C[m, n] (+)= A[m, first : first + count] B[first : first + count, n]; the bias with the first part, relu after the last
    const [firstPart, lastPart] = [first === 0, first + count === k];
    kernels.gemm(a + first * aStep, aRow, aStep, b + first * ldb, ldb, c, ldc, m, n, count, firstPart ? 0 : 1, firstPart ? bias : 0, lastPart ? relu : 0);
  }
}

export class SimdMatMul extends HeapKernels {
  /** C = op(A) op(B) (+ bias, then max(0, .) if relu) for each batch: [batch, m, n] ([m, n] from matrices). */
  product(a: tf.TensorInfo, b: tf.TensorInfo, p: ProductShape, epilogue: Epilogue = {}): tf.TensorInfo {
    const out = this.backend.makeOutput(p.matrices ? [p.m, p.n] : [p.batch, p.m, p.n], 'float32');
    const { m, k, n } = p;
    if (m * n === 0) return out;
    const outAt = this.address(out);
    if (k === 0) {
      this.zero(outAt, p.batch * m * n);
      return out;
    }
    const wide = roundUp4(n); // the product's columns come in fours: narrower ones are padded
    const copiedB = p.transposeB || wide !== n;
    const [bRows, cRows, paddedBias] = this.scratch.regions([copiedB ? k * wide * 4 : 0, wide !== n ? m * wide * 4 : 0, wide !== n ? wide * 4 : 0]);
    const [aAt, bAt] = [this.address(a), this.address(b)];
    let bias = epilogue.bias ? this.address(epilogue.bias) : 0;
    if (bias && wide !== n) {
      // the bias read in fours: padded with zeros
      this.zero(paddedBias, wide);
      this.copyRows(bias, n, paddedBias, wide, 1, n);
      bias = paddedBias;
    }
    const relu = epilogue.relu ? 1 : 0;
    // A[r, s] at aRow*r + aStep*s: stored [m, k], or [k, m] when transposed
    const [aRow, aStep] = p.transposeA ? [4, m * 4] : [k * 4, 4];
    for (let batch = 0; batch < p.batch; batch++) {
      const aBase = aAt + (p.aBatch === 1 ? 0 : batch * m * k * 4);
      const bBase = bAt + (p.bBatch === 1 ? 0 : batch * k * n * 4);
      // B as [k, wide] rows, copied when transposed or narrow (once when shared by the batch)
      if (copiedB && (batch === 0 || p.bBatch !== 1)) this.copyB(bBase, bRows, p, wide);
      const [bMatrix, ldb] = copiedB ? [bRows, wide * 4] : [bBase, n * 4];
      const c = wide !== n ? cRows : outAt + batch * m * n * 4;
      chunkedProduct(this.kernels, { a: aBase, aRow, aStep, b: bMatrix, ldb, c, ldc: wide * 4, m, n: wide, k, bias, relu });
      if (wide !== n) this.copyRows(cRows, wide, outAt + batch * m * n * 4, n, m, n);
    }
    return out;
  }

  /** B into rows of `wide` numbers at `to`, zeros past n: from [k, n], or from [n, k] when transposed. */
  private copyB(from: number, to: number, p: ProductShape, wide: number): void {
    const heap = this.heap();
    const { k, n } = p;
    if (wide !== n) this.zero(to, k * wide);
    // stored [n, k] when transposed, else [k, n]
    if (p.transposeB) transposeRows(heap, from, n, k, k, to, wide);
    else this.copyRows(from, n, to, wide, k, n);
  }
}
