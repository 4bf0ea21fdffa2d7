/**
 * A linear layer's logits and their softmax cross-entropy as one pass of chunks, for the
 * 256-way output of PixelCNN and PixelRNN on 8-bit images (van den Oord et al. 2016,
 * "Pixel Recurrent Neural Networks", section 5.3, https://arxiv.org/abs/1601.06759):
 *
 *   logits = X W + b                        X [N, F], W [F, G*K]: G groups (colours) of K logits
 *   p      = softmax of each group of K      the rows [N*G, K]
 *   loss   = -log p[v]                       one per group row, v its value
 * and, given dy (one per group row),
 *   D  = (p - onehot(v)) dy
 *   dX = D W^T,   dW = X^T D,   db = sum over rows of D.
 *
 * Why: on MNIST at batch 32 the logits and their gradient D are [25,088, 256] each, 25.7 MB,
 * out of every cache. Composed, a step writes the logits, reads them into the softmax, writes
 * D and reads it three times (dX, dW, db). Here the logits and D live only as a chunk of rows
 * in scratch space (256 kB), where the softmax and the three products read them at once: a
 * step moves p out and back, nothing else of that size.
 *
 * Each chunk runs the kernels the composed ops run (matmul.ts's products, row-kernels.ts's
 * softmaxRows and oneHotDifference, sumRows), on the same numbers in the same order: the
 * outputs agree bit for bit with TF.js's ops on our kernels (tests/unit/wasm-simd-product-softmax.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { HeapKernels, transposeRows } from './heap';
import { chunkedProduct, innerChunk } from './matmul';

/** The sizes of a product and softmax: X [rows, features], W [features, groups * categories]. */
export interface ProductSoftmaxShape {
  rows: number;
  features: number;
  groups: number;
  categories: number;
}

/** What our pass takes: features in fours (gemm's columns), a softmax row in sixteens (softmaxRows). */
export const fitsProductSoftmax = ({ features, categories }: { features: number; categories: number }): boolean =>
  features > 0 && features % 4 === 0 && categories > 0 && categories % 16 === 0;

export class SimdProductSoftmax extends HeapKernels {
  /** p [rows * groups, categories], and per group row the offset m - l_v and the sum of exp(l - m) (softmaxRows): its loss is offset + log(sum). */
  forward(x: tf.TensorInfo, w: tf.TensorInfo, b: tf.TensorInfo, values: tf.TensorInfo, shape: ProductSoftmaxShape): tf.TensorInfo[] {
    const { rows, features, groups, categories } = shape;
    const width = groups * categories;
    // the outputs first: making them may grow the heap
    const outputs = [this.backend.makeOutput([rows * groups, categories], 'float32'), this.backend.makeOutput([rows * groups], 'float32'), this.backend.makeOutput([rows * groups], 'float32')];
    const [p, offsets, sums] = outputs.map((info) => this.address(info));
    const [xAt, wAt, bAt, valuesAt] = [x, w, b, values].map((info) => this.address(info));
    const chunk = this.chunkRows(rows, width);
    const [logits] = this.scratch.regions([chunk * width * 4]);
    for (let first = 0; first < rows; first += chunk) {
      const count = Math.min(chunk, rows - first);
      // logits [count, G*K] = X[first : first + count] W + b
      chunkedProduct(this.kernels, { a: xAt + first * features * 4, aRow: features * 4, aStep: 4, b: wAt, ldb: width * 4, c: logits, ldc: width * 4, m: count, n: width, k: features, bias: bAt });
      // [count, G*K] -> [count*G, K]: one softmax row per value
      const at = first * groups;
      this.kernels.softmaxRows(logits, valuesAt + at * 4, p + at * categories * 4, offsets + at * 4, sums + at * 4, count * groups, categories);
    }
    return outputs;
  }

  /** dX [rows, features], dW [features, G*K] and db [G*K] from p, the values and dy [rows * groups]. */
  gradients(x: tf.TensorInfo, w: tf.TensorInfo, p: tf.TensorInfo, values: tf.TensorInfo, dy: tf.TensorInfo, shape: ProductSoftmaxShape): tf.TensorInfo[] {
    const { rows, features, groups, categories } = shape;
    const width = groups * categories;
    const outputs = [this.backend.makeOutput([rows, features], 'float32'), this.backend.makeOutput([features, width], 'float32'), this.backend.makeOutput([width], 'float32')];
    const [dx, dw, db] = outputs.map((info) => this.address(info));
    const [xAt, wAt, pAt, valuesAt, dyAt] = [x, w, p, values, dy].map((info) => this.address(info));
    // the chunk of dW's product over the rows, as the composed X^T D takes it
    const chunk = this.chunkRows(rows, width);
    // W^T [G*K, features], and D's chunk after one row of running bias totals
    const [transposed, totalsRow] = this.scratch.regions([width * features * 4, (chunk + 1) * width * 4]);
    const d = totalsRow + width * 4;
    transposeRows(this.heap(), wAt, features, width, width, transposed, features);
    this.zero(db, width);
    // no rows: no products either, and dW is zero
    if (rows === 0) this.zero(dw, features * width);
    for (let first = 0; first < rows; first += chunk) {
      const count = Math.min(chunk, rows - first);
      const at = first * groups;
      // D [count*G, K] = (p - onehot(v)) dy, row by row
      this.kernels.oneHotDifference(pAt + at * categories * 4, valuesAt + at * 4, dyAt + at * 4, d, count * groups, categories);
      // dX[first : first + count] = D [count, G*K] W^T
      chunkedProduct(this.kernels, { a: d, aRow: width * 4, aStep: 4, b: transposed, ldb: features * 4, c: dx + first * features * 4, ldc: features * 4, m: count, n: features, k: width });
      // dW (+)= X[first : first + count]^T D: X read across, A[f, r] at x + r*features + f
      this.kernels.gemm(xAt + first * features * 4, 4, features * 4, d, width * 4, dw, width * 4, features, width, count, first === 0 ? 0 : 1);
      // db: the totals so far, then D's rows, added in order as one sum of rows would add them
      this.heap().copyWithin(totalsRow / 4, db / 4, db / 4 + width);
      this.kernels.sumRows(totalsRow, count + 1, width, db);
    }
    return outputs;
  }

  /** Rows of X per chunk: as many as a chunk of the inner dimension of X^T D (matmul.ts), so dW rounds as the composed product does. */
  private chunkRows(rows: number, width: number): number {
    return innerChunk(rows, width);
  }
}
