import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { allowRelaxedSimd, useNodeBackend } from '../../src/cli/node-backend';
import { signed, unsigned } from '../../src/core/wasm-simd/encoder';
import { hasRelaxedSimd, instantiateKernels, type WasmKernels } from '../../src/core/wasm-simd/kernels';
import { useSimdKernels } from '../../src/core/wasm-simd/register';
import { SimdConvolutions } from '../../src/core/wasm-simd/convolution';
import { useGrownQuads } from '../../src/core/wasm-simd/winograd-quad-rows';
import { convolutionInputGradient, convolveWithBias, keepRowsApart } from '../../src/core/models/conv-with-bias';
import { swishGradient } from '../../src/core/models/swish';
import { sigmoidAndSwish } from '../../src/core/wasm-heap-activations';
import { SWISH_INPUT_GRADIENT } from '../../src/core/wasm-simd/register';
import { traceKernels } from '../../src/core/kernel-trace';
import { columnRuns, columnTile, useWinogradColumns } from '../../src/core/wasm-simd/winograd-columns';
import { byBorderClasses, forwardClasses, gradientClasses, useBorderClasses } from '../../src/core/wasm-simd/strided';
import { usePhaseWinograd } from '../../src/core/wasm-simd/strided-winograd';
import { expectRelativelyClose, seededValues, tensorBits, float32Bits } from './wasm-simd-helpers';

/**
 * Our WebAssembly convolutions (src/core/wasm-simd/): the generated matrix product and patch
 * copies against plain loops in float64, and the registered WASM kernels (forward, fused bias
 * and relu, input gradient, filter gradient) against TF.js's CPU backend, its reference
 * kernels, on strides, paddings, filter sizes and channel counts our models use and some
 * they do not.
 */

// relaxed SIMD is on by default in Chrome; Node 20 has it behind a flag: the registered
// kernels below run the fused variant, as the page does
allowRelaxedSimd();

describe('the WebAssembly writer', () => {
  it('writes LEB128 numbers as the format specifies', () => {
    // the examples of https://en.wikipedia.org/wiki/LEB128
    expect(unsigned(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(signed(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(unsigned(0)).toEqual([0]);
    expect(signed(64)).toEqual([0xc0, 0x00]);
    expect(signed(-1)).toEqual([0x7f]);
  });
});

/** A fresh memory with the kernels on it, and a bump allocator of float arrays in it. */
function sandbox(fused: boolean) {
  const memory = new WebAssembly.Memory({ initial: 64 });
  const kernels: WasmKernels = instantiateKernels(memory, fused);
  let next = 64;
  const place = (values: ArrayLike<number>) => {
    const address = next;
    new Float32Array(memory.buffer, address, values.length).set(values);
    next += Math.ceil((values.length * 4 + 12) / 16) * 16; // 12 bytes of slack: rows of 4 read past the end
    return address;
  };
  const read = (address: number, length: number) => Array.from(new Float32Array(memory.buffer, address, length));
  /** 32-bit integers (tables of offsets) placed as place() places floats. */
  const placeWords = (values: number[]) => {
    const address = place(new Float32Array(Math.max(1, values.length)));
    new Int32Array(memory.buffer, address, values.length).set(values);
    return address;
  };
  return { kernels, place, placeWords, read };
}

const variants = [false, true].filter((fused) => !fused || hasRelaxedSimd());

describe.each(variants)('the matrix product (fused multiply-add: %s)', (fused) => {
  it('computes C (+)= A B for every block shape, A read row-wise and column-wise', () => {
    expect(variants).toContain(true); // the flag above must make the fused variant testable
    const { kernels, place, read } = sandbox(fused);
    for (const m of [1, 3, 4, 5, 9]) for (const n of [4, 8, 12, 16, 20, 28, 36]) for (const k of [1, 2, 7]) for (const transposedA of [false, true]) for (const accumulate of [0, 1]) {
      const a = seededValues(m * k, m * 100 + n * 10 + k);
      const b = seededValues(k * n, 7 + m + n + k);
      const start = seededValues(m * n, 3);
      const [aAt, bAt, cAt] = [place(a), place(b), place(start)];
      // A[r, s] at aRow*r + aStep*s: row-major [m, k], or stored transposed as [k, m]
      const [aRow, aStep] = transposedA ? [4, m * 4] : [k * 4, 4];
      const aAt2 = transposedA ? place(Float32Array.from({ length: m * k }, (_, i) => a[(i % m) * k + Math.floor(i / m)])) : aAt;
      kernels.gemm(aAt2, aRow, aStep, bAt, n * 4, cAt, n * 4, m, n, k, accumulate);
      const c = read(cAt, m * n);
      for (let r = 0; r < m; r++) for (let j = 0; j < n; j++) {
        let sum = accumulate ? start[r * n + j] : 0;
        for (let s = 0; s < k; s++) sum += a[r * k + s] * b[s * n + j];
        expect(c[r * n + j], `m ${m} n ${n} k ${k} transposed ${transposedA} accumulate ${accumulate} at ${r},${j}`).toBeCloseTo(sum, 5);
      }
    }
  });
});

describe.each(variants)('the matrix product with A addressed through tables (fused multiply-add: %s)', (fused) => {
  it('reads A[r, s] at a + rowTable[r] + stepTable[s] and gives gemm\'s numbers on the gathered matrix, bit for bit, with bias and relu; gemmGather writes C[r] at c + cRowTable[r]', () => {
    const { kernels, place, read } = sandbox(fused);
    // A's values scattered in a pool: row r's run starts at a shuffled place, its steps a fixed pattern apart
    const pool = seededValues(4096, 11);
    const poolAt = place(pool);
    for (const m of [1, 4, 5, 9]) for (const n of [4, 12, 16, 20, 28]) for (const k of [1, 3, 7]) for (const accumulate of [0, 1]) for (const epilogue of [false, true]) {
      const rowOffsets = Array.from({ length: m }, (_, r) => ((r * 37 + m) % 40) * 64);
      const stepOffsets = Array.from({ length: k }, (_, s) => (s % 2 ? s * 12 : s * 4 + 1280));
      const tablesAt = place(new Float32Array(new Int32Array([...rowOffsets, ...stepOffsets]).buffer));
      const gathered = Float32Array.from({ length: m * k }, (_, i) => pool[(rowOffsets[Math.floor(i / k)] + stepOffsets[i % k]) / 4]);
      const b = seededValues(k * n, 5 + m + k);
      const bias = seededValues(n, 6);
      const start = seededValues(m * n, 3);
      const [aAt, bAt, biasAt, tableC, plainC] = [place(gathered), place(b), place(bias), place(start), place(start)];
      const [biasArg, reluArg] = epilogue ? [biasAt, 1] : [0, 0];
      kernels.gemmTable(poolAt, tablesAt, tablesAt + m * 4, bAt, n * 4, tableC, n * 4, m, n, k, accumulate, biasArg, reluArg);
      kernels.gemm(aAt, k * 4, 4, bAt, n * 4, plainC, n * 4, m, n, k, accumulate, biasArg, reluArg);
      const [ours, plain] = [read(tableC, m * n), read(plainC, m * n)];
      expect(ours, `m ${m} n ${n} k ${k} accumulate ${accumulate} epilogue ${epilogue}`).toEqual(plain);
      // and the sum itself, from the pool
      let sum = accumulate ? start[0] : 0;
      for (let s = 0; s < k; s++) sum += pool[(rowOffsets[0] + stepOffsets[s]) / 4] * b[s * n];
      if (epilogue) sum = Math.max(0, sum + bias[0]);
      expect(ours[0]).toBeCloseTo(sum, 5);
      // gathered: C's rows written through a table too, here in reverse order a row and a half apart
      const cRows = Array.from({ length: m }, (_, r) => (m - 1 - r) * n * 6);
      const scattered = new Float32Array(m * n * 6).fill(7);
      cRows.forEach((offset, r) => scattered.set(start.subarray(r * n, (r + 1) * n), offset / 4));
      const [scatteredAt, cRowsAt] = [place(scattered), place(new Float32Array(new Int32Array(cRows).buffer))];
      kernels.gemmGather(poolAt, tablesAt, tablesAt + m * 4, bAt, n * 4, scatteredAt, cRowsAt, m, n, k, accumulate, biasArg, reluArg, 0, 0);
      const written = Float32Array.from(read(scatteredAt, m * n * 6));
      cRows.forEach((offset, r) => expect([...written.subarray(offset / 4, offset / 4 + n)], `gathered row ${r}`).toEqual(plain.slice(r * n, (r + 1) * n)));
      // nothing between the rows is touched
      expect(written.filter((value) => value === 7).length).toBe(m * n * 5);
      // times Swish's slope s + y (1 - s), s and y where the sums go in arrays of their own, in float32's operations
      const [sValues, yValues] = [seededValues(m * n * 6, 8).map((v) => Math.abs(v) % 1), seededValues(m * n * 6, 9)];
      const [sAt, yAt] = [place(sValues), place(yValues)];
      cRows.forEach((offset, r) => scattered.set(start.subarray(r * n, (r + 1) * n), offset / 4));
      const slopedAt = place(scattered);
      kernels.gemmGather(poolAt, tablesAt, tablesAt + m * 4, bAt, n * 4, slopedAt, cRowsAt, m, n, k, accumulate, biasArg, reluArg, sAt, yAt);
      const sloped = read(slopedAt, m * n * 6);
      const f = Math.fround;
      cRows.forEach((offset, r) => {
        const expected = plain.slice(r * n, (r + 1) * n).map((sum, o) => {
          const [sv, yv] = [sValues[offset / 4 + o], yValues[offset / 4 + o]];
          return f(sum * f(sv + f(yv * f(1 - sv))));
        });
        expect(sloped.slice(offset / 4, offset / 4 + n), `sloped row ${r}`).toEqual(expected);
      });
    }
  });
});

describe('the patch copies', () => {
  // [batch, height, width, channels], filter, stride, padding, output size
  const shapes = [
    { batch: 2, height: 5, width: 6, channels: 3, filterH: 3, filterW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1, outH: 5, outW: 6 },
    { batch: 1, height: 7, width: 7, channels: 1, filterH: 5, filterW: 5, strideH: 2, strideW: 2, padTop: 2, padLeft: 2, outH: 4, outW: 4 },
    { batch: 2, height: 4, width: 9, channels: 65, filterH: 2, filterW: 3, strideH: 2, strideW: 1, padTop: 0, padLeft: 1, outH: 2, outW: 9 },
  ];
  it.each(shapes)('im2col copies patches with zeros outside the image, and col2im adds them back (%o)', (g) => {
    const { kernels, place, read } = sandbox(false);
    const image = seededValues(g.batch * g.height * g.width * g.channels, 11);
    const depth = g.filterH * g.filterW * g.channels;
    const pixels = g.batch * g.outH * g.outW;
    const stride = depth + 4; // a row stride wider than the patch, as the padded products use
    const patchArgs = (first: number, rows: number) => [first, rows, g.height, g.width, g.channels, g.outH, g.outW, g.filterH, g.filterW, g.strideH, g.strideW, g.padTop, g.padLeft];
    const at = (b: number, y: number, x: number, c: number) => (y < 0 || y >= g.height || x < 0 || x >= g.width ? null : ((b * g.height + y) * g.width + x) * g.channels + c);
    const expected = (p: number, q: number) => {
      const [b, oy, ox] = [Math.floor(p / (g.outH * g.outW)), Math.floor(p / g.outW) % g.outH, p % g.outW];
      const [fy, fx, c] = [Math.floor(q / (g.filterW * g.channels)), Math.floor(q / g.channels) % g.filterW, q % g.channels];
      return at(b, oy * g.strideH - g.padTop + fy, ox * g.strideW - g.padLeft + fx, c);
    };
    const imageAt = place(image);
    const matrixAt = place(new Float32Array(pixels * stride));
    // two calls, the second starting mid-image, as chunks do
    const split = Math.floor(pixels / 2) + 1;
    kernels.im2col(imageAt, matrixAt, stride * 4, ...patchArgs(0, split));
    kernels.im2col(imageAt, matrixAt + split * stride * 4, stride * 4, ...patchArgs(split, pixels - split));
    const matrix = read(matrixAt, pixels * stride);
    for (let p = 0; p < pixels; p++) for (let q = 0; q < depth; q++) {
      const source = expected(p, q);
      expect(matrix[p * stride + q], `pixel ${p} column ${q}`).toBe(source === null ? 0 : image[source]);
    }
    // col2im: every image value gets the sum of the matrix entries copied from it
    const rows = seededValues(pixels * stride, 5);
    const rowsAt = place(rows);
    const sumsAt = place(new Float32Array(image.length));
    kernels.col2im(rowsAt, stride * 4, sumsAt, ...patchArgs(0, 3));
    kernels.col2im(rowsAt + 3 * stride * 4, stride * 4, sumsAt, ...patchArgs(3, pixels - 3));
    const sums = new Float64Array(image.length);
    for (let p = 0; p < pixels; p++) for (let q = 0; q < depth; q++) {
      const target = expected(p, q);
      if (target !== null) sums[target] += rows[p * stride + q];
    }
    read(sumsAt, image.length).forEach((value, i) => expect(value, `image value ${i}`).toBeCloseTo(sums[i], 5));
  });

  // where a filter row's run comes in fours, four pixels of a row at once (quadDot) where their windows lie within the columns
  const quadShapes = [
    { batch: 2, height: 6, width: 11, channels: 4, filterH: 3, filterW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1, outH: 6, outW: 11, quads: 1 },
    { batch: 1, height: 9, width: 17, channels: 8, filterH: 3, filterW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, outH: 5, outW: 9, quads: 1 },
    { batch: 2, height: 7, width: 12, channels: 4, filterH: 5, filterW: 5, strideH: 1, strideW: 1, padTop: 0, padLeft: 0, outH: 3, outW: 8, quads: 1 },
    { batch: 1, height: 4, width: 9, channels: 36, filterH: 2, filterW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 2, outH: 4, outW: 9, quads: 1 },
  ];
  it.each([...shapes.map((g) => ({ ...g, quads: 0 })), ...quadShapes].flatMap((g) => variants.map((fused) => ({ ...g, fused }))))('patchDot sums each patch times each of 1-3 filters, in runs of 16, 4 and 1 or four pixels at once, onto what the output held (%o)', (g) => {
    const { kernels, place, read } = sandbox(g.fused);
    const image = seededValues(g.batch * g.height * g.width * g.channels, 12);
    const depth = g.filterH * g.filterW * g.channels;
    const pixels = g.batch * g.outH * g.outW;
    // three filters, and one (whose four sums are stored as one vector)
    for (const n of [3, 1]) {
    // the filters transposed, [n, depth], and outputs that start from a bias
    const filters = seededValues(n * depth, 13);
    const start = seededValues(pixels * n, 14);
    const [imageAt, filtersAt, outAt] = [place(image), place(filters), place(start)];
    kernels.patchDot(imageAt, filtersAt, 0, pixels, g.height, g.width, g.channels, g.outH, g.outW, g.filterH, g.filterW, g.strideH, g.strideW, g.padTop, g.padLeft, outAt, n, depth * 4, g.quads);
    const out = read(outAt, pixels * n);
    if (g.quads) {
      // the four pixels at once add in another order than one at a time: some sum must differ by its rounding, or they never ran
      const singleAt = place(start);
      kernels.patchDot(imageAt, filtersAt, 0, pixels, g.height, g.width, g.channels, g.outH, g.outW, g.filterH, g.filterW, g.strideH, g.strideW, g.padTop, g.padLeft, singleAt, n, depth * 4, 0);
      const single = read(singleAt, pixels * n);
      expect(out.some((value, i) => value !== single[i]), 'some sum by four pixels at once').toBe(true);
    }
    for (let p = 0; p < pixels; p++) {
      const [b, oy, ox] = [Math.floor(p / (g.outH * g.outW)), Math.floor(p / g.outW) % g.outH, p % g.outW];
      for (let o = 0; o < n; o++) {
        let [sum, scale] = [start[p * n + o], Math.abs(start[p * n + o])];
        for (let q = 0; q < depth; q++) {
          const [fy, fx, c] = [Math.floor(q / (g.filterW * g.channels)), Math.floor(q / g.channels) % g.filterW, q % g.channels];
          const [y, x] = [oy * g.strideH - g.padTop + fy, ox * g.strideW - g.padLeft + fx];
          if (y < 0 || y >= g.height || x < 0 || x >= g.width) continue;
          const term = image[((b * g.height + y) * g.width + x) * g.channels + c] * filters[o * depth + q];
          [sum, scale] = [sum + term, scale + Math.abs(term)];
        }
        expect(Math.abs(out[p * n + o] - sum), `pixel ${p} filter ${o} of ${n}`).toBeLessThan(1e-6 * scale);
      }
    }
    }
  });

  it.each([0, 1, 2, 3, 4, 5, 7])('gatherSums with %i terms: each image\'s pixels summed in order, float32 by float32, and nothing else written', (terms) => {
    const { kernels, place, placeWords, read } = sandbox(false);
    const [images, pixels, imageFloats] = [3, 5, 40];
    // a -0 among the numbers: a sum of one term keeps it
    const matrix = seededValues(images * imageFloats, 21).map((value, i) => (i % 11 === 3 ? -0 : value));
    const matrixAt = place(matrix);
    // byte offsets within an image: each pixel's source, the terms' steps, each pixel's target
    const sources = Array.from({ length: pixels }, (_, p) => 4 * ((p * 7) % 20));
    const steps = Array.from({ length: terms }, (_, t) => 4 * ((t * 5 + 1) % 16));
    const targets = [3, 0, 4, 1, 2].map((p) => 4 * p);
    const [sourceTable, stepTable, targetTable] = [sources, steps, targets].map(placeWords);
    const targetImage = pixels + 2; // floats, two left between images
    const targetAt = place(new Float32Array(images * targetImage).fill(-7));
    kernels.gatherSums(matrixAt, imageFloats * 4, sourceTable, stepTable, targetAt, targetImage * 4, targetTable, images, pixels, terms);
    const written = read(targetAt, images * targetImage);
    const expected = new Float32Array(images * targetImage).fill(-7);
    for (let b = 0; b < images; b++) for (let p = 0; p < pixels; p++) {
      let sum = Math.fround(0);
      steps.forEach((step, t) => {
        const value = matrix[b * imageFloats + (sources[p] + step) / 4];
        sum = t === 0 ? value : Math.fround(sum + value);
      });
      expected[b * targetImage + targets[p] / 4] = sum;
    }
    // compared as bits: -0 and 0 apart
    expect(float32Bits(written)).toEqual(float32Bits(expected));
  });
});

interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dilation?: number;
  /** Strided passes by border classes (strided.ts): [forward passes, input gradients] of the four passes run(). */
  borders?: [number, number];
  /** Of those strided passes, the ones by Winograd over their phases (strided-winograd.ts): [forward passes, input gradients]. */
  phases?: [number, number];
  /** Strided input gradients of a one-channel input, gathered from dY W^T by border classes (narrowInputGradient). */
  narrow?: number;
  /** The filter gradient of 1-3 output channels from x's channels in fours, as a product turned round (narrowFilterGradient). */
  narrowGradient?: true;
  /** Forward passes over output rows or columns not in fours by F(4, r) over the map grown to fours (grownQuadForward), which other cases leave off to test the passes they name. */
  grown?: true;
  /** Runs the forward pass and the input gradient by Winograd's F(2, 3), or F(2, 2) for two filter rows (src/core/wasm-simd/winograd.ts). */
  winograd?: 'three' | 'pair';
  /** Those four passes take Winograd's columns too (an odd filter width, and an even number of output columns). */
  columns?: 4;
  /** The filter gradient by Winograd's columns too (an even number of output columns). */
  columnGradient?: true;
  /** Rows of three or five taps take F(4, 3) or F(4, 5) along the columns (output columns in fours). */
  quads?: true;
  /**
   * A filter four rows high or more, in runs of rows (rowRuns): the calls of each pass the
   * spies count, [F(2, 3), F(2, 2), filter gradients, column filters, column sums].
   */
  tall?: number[];
  /**
   * Three or five filter rows over output rows in fours, by F(4, 3) or F(4, 5) along the rows
   * (winograd-quad-rows.ts): [forward passes, filter gradients] of those run() makes, which
   * `winograd`'s counts then leave out.
   */
  quadRows?: [number, number];
}

const CASES: Case[] = [
  { x: [2, 7, 6, 3], filter: [3, 3, 3, 5], stride: 1, pad: 'same' },
  { x: [2, 8, 8, 4], filter: [2, 2, 4, 8], stride: 2, pad: 'same', borders: [3, 1] }, // even filter: the odd padding pixel goes after
  { x: [3, 9, 9, 1], filter: [5, 5, 1, 4], stride: 2, pad: 'valid', narrow: 1 },
  { x: [2, 5, 5, 8], filter: [1, 1, 8, 3], stride: 1, pad: 'valid', narrowGradient: true }, // pointwise, three outputs
  { x: [2, 6, 6, 5], filter: [3, 3, 5, 1], stride: 1, pad: 1 }, // one output channel
  // one to three outputs from runs of sixteen numbers and more (a GAN's last layer), and their remainders
  { x: [2, 7, 7, 32], filter: [3, 3, 32, 1], stride: 1, pad: 'same', narrowGradient: true },
  { x: [1, 6, 5, 7], filter: [3, 3, 7, 2], stride: 1, pad: 1 },
  { x: [2, 5, 6, 20], filter: [3, 2, 20, 3], stride: 1, pad: 'valid', narrowGradient: true },
  // padding on one side only (a PixelCNN++ shift), and more output rows than input rows
  { x: [2, 6, 7, 8], filter: [2, 3, 8, 2], stride: 1, pad: [[0, 0], [1, 0], [1, 1], [0, 0]], narrowGradient: true },
  { x: [1, 4, 5, 4], filter: [3, 3, 4, 1], stride: 1, pad: [[0, 0], [2, 1], [0, 2], [0, 0]], narrowGradient: true },
  // more of x's pixels (1,152) than one chunk of its rows takes (1,024): the sums carried over
  { x: [2, 24, 24, 32], filter: [3, 3, 32, 1], stride: 1, pad: 'same', narrowGradient: true },
  { x: [2, 10, 10, 6], filter: [4, 4, 6, 12], stride: [2, 1], pad: 'same', borders: [3, 0] }, // dX's 6 channels: col2im
  // five rows as 3 + 2, each run's pass over the same output (its windows two rows up, then one below); many chunks
  { x: [3, 19, 20, 64], filter: [5, 5, 64, 8], stride: 1, pad: 'same', tall: [4, 4, 2, 8, 2], quads: true },
  // output rows in fours: F(4, 5) along the rows; along the columns too for output columns in fours (8 x 8 tiles), else in runs of 3 + 2 (18 columns)
  { x: [3, 20, 20, 64], filter: [5, 5, 64, 8], stride: 1, pad: 'same', tall: [0, 0, 0, 4, 1], quads: true, quadRows: [4, 1] },
  { x: [2, 8, 18, 8], filter: [5, 5, 8, 4], stride: 1, pad: 'same', tall: [0, 0, 0, 4, 1], quadRows: [4, 1] },
  { x: [2, 12, 11, 4], filter: [5, 5, 4, 8], stride: 1, pad: 1, tall: [3, 3, 2, 0, 0], quadRows: [1, 0] }, // 10 output rows by 3 + 2, the input gradient's 12 by F(4, 5)
  { x: [2, 8, 8, 16], filter: [3, 3, 16, 8], stride: 1, pad: 'same', winograd: 'three', columns: 4, columnGradient: true, quads: true, quadRows: [4, 1] }, // F(4, 3) along both
  // output rows and columns not in fours (14 x 14 in the GAN), forwards by F(4, r) over the map grown to fours; the filter gradient by F(2, 3) or rows of 3 + 2
  { x: [2, 7, 7, 8], filter: [3, 3, 8, 4], stride: 1, pad: 'same', grown: true, quadRows: [4, 0], tall: [0, 0, 1, 4, 0] },
  { x: [3, 7, 7, 4], filter: [5, 5, 4, 8], stride: 1, pad: 'same', grown: true, quadRows: [4, 0], tall: [0, 0, 2, 4, 0] },
  { x: [2, 10, 11, 4], filter: [3, 3, 4, 4], stride: 1, pad: 'valid', grown: true, quadRows: [4, 1], tall: [0, 0, 0, 4, 0] }, // 8 x 9 grown to 8 x 12, the input gradient's 10 x 11 to 12 x 12
  { x: [2, 7, 6, 4], filter: [5, 5, 4, 8], stride: 1, pad: 'same', tall: [4, 4, 2, 8, 2] }, // an odd number of output rows
  { x: [2, 7, 8, 4], filter: [5, 5, 4, 8], stride: 1, pad: 'same', tall: [4, 4, 2, 8, 2], quads: true }, // the same, its columns in fours
  { x: [2, 9, 12, 4], filter: [5, 5, 4, 8], stride: 1, pad: 'valid', tall: [4, 4, 2, 8, 2], quads: true }, // no padding: 8 output columns, the input gradient's 12
  { x: [2, 9, 7, 4], filter: [4, 4, 4, 8], stride: 1, pad: 'valid', tall: [0, 8, 2, 0, 2] }, // 2 + 2, the second run's windows below x's first rows
  { x: [2, 8, 9, 8], filter: [7, 3, 8, 4], stride: 1, pad: 'same', tall: [4, 8, 3, 0, 0] }, // 3 + 2 + 2, an odd number of output columns
  { x: [2, 9, 9, 3], filter: [3, 3, 3, 4], stride: 1, pad: 'same', dilation: 2 }, // not ours: the kernel before
  // three filter rows at stride 1, channels in fours: Winograd's rows forwards and (the filter turned) backwards
  { x: [2, 7, 6, 4], filter: [3, 3, 4, 8], stride: 1, pad: 'same', winograd: 'three', columns: 4, columnGradient: true }, // an odd number of output rows
  { x: [3, 8, 9, 8], filter: [3, 5, 8, 4], stride: 1, pad: 'valid', winograd: 'three', quadRows: [1, 0] }, // the input gradient's 8 rows by F(4, 3)
  { x: [2, 6, 7, 4], filter: [3, 5, 4, 4], stride: 1, pad: 2, winograd: 'three', quadRows: [3, 1] }, // more padding rows than the windows need; 8 output rows by F(4, 3), the input gradient's 6 by F(2, 3)
  // an even number of output columns: the row products by Winograd's columns too, in runs of three and two taps (forwards for an odd width)
  { x: [2, 6, 10, 8], filter: [3, 5, 8, 4], stride: 1, pad: 'same', winograd: 'three', columns: 4, columnGradient: true }, // 3 + 2
  // output columns in fours: three taps by F(4, 3), five by F(4, 5), at once
  { x: [2, 7, 8, 4], filter: [3, 3, 4, 8], stride: 1, pad: 'same', winograd: 'three', columns: 4, columnGradient: true, quads: true }, // an odd number of output rows
  { x: [2, 6, 12, 16], filter: [2, 3, 16, 8], stride: 1, pad: 'same', winograd: 'pair', columns: 4, columnGradient: true, quads: true }, // PixelCNN++'s 2 x 3, F(2, 2) along the rows
  { x: [2, 6, 8, 8], filter: [3, 5, 8, 4], stride: 1, pad: 'same', winograd: 'three', columns: 4, columnGradient: true, quads: true },
  { x: [3, 7, 12, 32], filter: [3, 5, 32, 16], stride: 1, pad: 'same', winograd: 'three', columns: 4, columnGradient: true, quads: true }, // an odd number of output rows, many channels
  { x: [2, 6, 12, 4], filter: [3, 5, 4, 8], stride: 1, pad: 'valid', winograd: 'three', columns: 4, columnGradient: true, quads: true, quadRows: [3, 1] }, // no padding: 4 output rows by F(4, 3), the input gradient's 6 by F(2, 3)
  { x: [2, 6, 10, 4], filter: [3, 7, 4, 4], stride: 1, pad: 'same', winograd: 'three', columns: 4, columnGradient: true }, // 3 + 2 + 2
  { x: [2, 5, 7, 4], filter: [2, 4, 4, 8], stride: 1, pad: 'valid', winograd: 'pair', columnGradient: true }, // 2 + 2
  // two filter rows: F(2, 2)
  { x: [2, 7, 6, 4], filter: [2, 3, 4, 8], stride: 1, pad: 'same', winograd: 'pair', columns: 4, columnGradient: true }, // an odd number of output rows, the padding row below
  { x: [3, 8, 9, 8], filter: [2, 2, 8, 4], stride: 1, pad: 'valid', winograd: 'pair', columnGradient: true }, // an odd padded width, made even
  { x: [2, 6, 5, 4], filter: [2, 3, 4, 4], stride: 2, pad: 'same', borders: [3, 1] },
  // the energy model's layers, by border classes: 7 x 7 -> 4 x 4 (a padding row and column on each side) and 14 x 14 -> 7 x 7
  { x: [2, 7, 7, 8], filter: [3, 3, 8, 16], stride: 2, pad: 'same', borders: [3, 1] },
  { x: [2, 14, 14, 4], filter: [3, 3, 4, 8], stride: 2, pad: 'same', borders: [3, 1] },
  // windows wholly in the padding below and right (their sums empty: the bias), and input rows no window reads (dX 0)
  { x: [2, 5, 6, 4], filter: [2, 2, 4, 8], stride: 2, pad: [[0, 0], [1, 4], [0, 3], [0, 0]], borders: [3, 1] },
  { x: [2, 8, 8, 4], filter: [2, 2, 4, 4], stride: 3, pad: 'valid', borders: [3, 1] },
  // stride along the rows only, and a strided 1x1 filter (every other input row and column unread)
  { x: [2, 9, 8, 4], filter: [3, 3, 4, 8], stride: [2, 1], pad: 'same', borders: [3, 1] },
  { x: [2, 7, 7, 4], filter: [1, 1, 4, 8], stride: 2, pad: 'valid', borders: [3, 1] },
  // one input channel at a stride: dY W^T's sums gathered by border classes. The energy model's first layer; one image a chunk (three
  // chunks); two images a chunk and then one; windows wholly in the padding and input rows no window reads (classes of 0-4 terms)
  { x: [2, 28, 28, 1], filter: [3, 3, 1, 16], stride: 2, pad: 'same', narrow: 1 },
  { x: [3, 130, 128, 1], filter: [3, 3, 1, 4], stride: 2, pad: 'same', narrow: 1 },
  { x: [3, 90, 90, 1], filter: [3, 3, 1, 8], stride: 2, pad: 'same', narrow: 1 },
  { x: [2, 8, 8, 1], filter: [2, 2, 1, 4], stride: 3, pad: [[0, 0], [1, 4], [0, 3], [0, 0]], narrow: 1 },
  // RGB at a stride: col2im (channel by channel the gathered sums were slower)
  { x: [2, 9, 8, 3], filter: [3, 3, 3, 8], stride: 2, pad: 'same' },
  // by Winograd over their phases, where their estimate pays (the fused pass with relu never): the energy model's last layer (its
  // windows padded at both ends: the linear convolution's tiles), the GAN discriminator's second layer on 17 images (the products in
  // chunks of 8, 8 and 1 images forwards, 16 and 1 backwards), 9 x 11 maps, 'valid' (forwards only) and 'same' (the input gradient
  // only), and padding unlike on the two axes and at the two ends
  { x: [2, 7, 7, 32], filter: [3, 3, 32, 64], stride: 2, pad: 'same', borders: [3, 1], phases: [2, 1] },
  { x: [17, 14, 14, 32], filter: [3, 3, 32, 64], stride: 2, pad: 'same', borders: [3, 1], phases: [2, 1] },
  { x: [2, 9, 11, 32], filter: [3, 3, 32, 64], stride: 2, pad: 'valid', borders: [3, 1], phases: [2, 0] },
  { x: [2, 9, 11, 32], filter: [3, 3, 32, 64], stride: 2, pad: 'same', borders: [3, 1], phases: [0, 1] },
  { x: [2, 10, 9, 32], filter: [3, 3, 32, 64], stride: 2, pad: [[0, 0], [0, 2], [1, 1], [0, 0]], borders: [3, 1], phases: [2, 0] },
];

type Results = { y: Float32Array; fused: Float32Array; dx: Float32Array; dw: Float32Array };

/** Forward, fused (bias, relu) and both gradients of sum(conv(x, W) * r) on the current backend. */
async function run(c: Case): Promise<Results> {
  const x = tf.tensor4d(seededValues(c.x.reduce((a, b) => a * b), 1), c.x);
  const w = tf.tensor4d(seededValues(c.filter.reduce((a, b) => a * b), 2), c.filter);
  const bias = tf.tensor1d(seededValues(c.filter[3], 3));
  const conv = (input: tf.Tensor4D, filter: tf.Tensor4D) => tf.conv2d(input, filter, c.stride, c.pad, 'NHWC', c.dilation ?? 1);
  const y = conv(x, w);
  const r = tf.tensor(seededValues(y.size, 4), y.shape);
  const fused = tf.fused.conv2d({ x, filter: w, strides: c.stride, pad: c.pad, dilations: c.dilation ?? 1, bias, activation: 'relu' });
  // TF.js has no gradient of a dilated convolution: forward passes only there
  const [dx, dw] = c.dilation ? [tf.zeros([1]), tf.zeros([1])] : tf.grads((input: tf.Tensor, filter: tf.Tensor) => conv(input as tf.Tensor4D, filter as tf.Tensor4D).mul(r).sum())([x, w]);
  const results = { y: await y.data(), fused: await fused.data(), dx: await dx.data(), dw: await dw.data() } as Results;
  tf.dispose([x, w, bias, y, r, fused, dx, dw]);
  return results;
}

describe('padRuns, which writes a padded image\'s rows (patch-tables.ts, padImage)', () => {
  it.each([
    { runs: 3, floats: 5, gap: 3 },
    { runs: 2, floats: 80, gap: 0 },
    { runs: 4, floats: 1, gap: 70 },
  ])('copies each run and zeroes the gap after every run but the last, and nothing else (%o)', ({ runs, floats, gap }) => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const kernels = instantiateKernels(memory, false);
    const heap = new Float32Array(memory.buffer);
    heap.fill(NaN);
    const [source, sourceStride, target] = [16, floats + 2, 1024];
    heap.set(seededValues(runs * sourceStride, 31), source);
    kernels.padRuns(source * 4, sourceStride * 4, target * 4, (floats + gap) * 4, runs, floats * 4);
    const expected: number[] = [];
    for (let r = 0; r < runs; r++) {
      expected.push(...heap.subarray(source + r * sourceStride, source + r * sourceStride + floats));
      if (r < runs - 1) expected.push(...Array(gap).fill(0));
    }
    expect(float32Bits(heap.subarray(target, target + expected.length))).toEqual(float32Bits(expected));
    // before the first run and after the last: untouched
    expect(Number.isNaN(heap[target - 1]) && Number.isNaN(heap[target + expected.length])).toBe(true);
  });
});

describe('how the column transform splits a row product', () => {
  const layer = (inChannels: number, outChannels: number, filterW = 3, outW = 28) => ({
    batch: 16, height: 28, width: 28, inChannels, outH: 28, outW, outChannels, filterH: 3, filterW, strideH: 1, strideW: 1, padTop: 1, padLeft: 1,
  });

  it('takes three or five taps at once over output columns in fours (F(4, 3), F(4, 5)), else runs of three taps first, then two, for the filter gradient at any channels, and none for an odd number of output columns', () => {
    const plan = (g: ReturnType<typeof layer>) => [columnRuns(g, 'filter gradient'), columnTile(g)];
    expect(plan(layer(16, 16))).toEqual([[3], 4]);
    expect(plan(layer(16, 16, 3, 30))).toEqual([[3], 2]);
    expect(plan(layer(32, 32, 5))).toEqual([[5], 4]);
    expect(plan(layer(32, 32, 5, 30))).toEqual([[3, 2], 2]);
    expect(plan(layer(32, 32, 7))).toEqual([[3, 2, 2], 2]);
    expect(plan(layer(32, 32, 4))).toEqual([[2, 2], 2]);
    expect(columnRuns(layer(32, 32, 3, 27), 'filter gradient')).toBeNull();
  });

  it('leaves forward passes of 16 channels to 16 and of even widths one product, where their planes run too short to pay, but for F(4, 3) and F(4, 5)', () => {
    expect(columnRuns(layer(16, 16), 'forward')).toEqual([3]);
    expect(columnRuns(layer(16, 16, 3, 30), 'forward')).toBeNull();
    expect(columnRuns(layer(16, 16, 5), 'forward')).toEqual([5]);
    expect(columnRuns(layer(16, 16, 5, 30), 'forward')).toBeNull();
    expect(columnRuns(layer(32, 32, 4), 'forward')).toBeNull();
    expect(columnRuns(layer(16, 32, 3, 30), 'forward')).toEqual([3]);
    expect(columnRuns(layer(32, 16, 5, 30), 'forward')).toEqual([3, 2]);
  });
});

describe('how border classes split a strided convolution (strided.ts)', () => {
  // the energy model's last layer along one axis: 7 -> 4, a 3-tap filter at stride 2, one padding row before and after
  const axis = { input: 7, output: 4, filter: 3, stride: 2, pad: 1 };

  it('forwards, groups the outputs by the taps that fall inside the input, each anchored at its first', () => {
    expect(forwardClasses(axis)).toEqual([
      { coordinates: [0], anchors: [0], taps: [{ tap: 1, delta: 0 }, { tap: 2, delta: 1 }] },
      { coordinates: [1, 2], anchors: [1, 3], taps: [{ tap: 0, delta: 0 }, { tap: 1, delta: 1 }, { tap: 2, delta: 2 }] },
      { coordinates: [3], anchors: [5], taps: [{ tap: 0, delta: 0 }, { tap: 1, delta: 1 }] },
    ]);
    // 44 of the 144 taps of a 4 x 4 output are padding: 100 are summed
    const taps = (classes: ReturnType<typeof forwardClasses>) => classes.reduce((sum, c) => sum + c.coordinates.length * c.taps.length, 0);
    expect(taps(forwardClasses(axis)) ** 2).toBe(100);
  });

  it('for the input gradient, groups the inputs by the outputs whose windows hold them and at which tap: even ones by one, odd ones by two', () => {
    expect(gradientClasses(axis)).toEqual([
      { coordinates: [0, 2, 4, 6], anchors: [0, 1, 2, 3], taps: [{ tap: 1, delta: 0 }] },
      { coordinates: [1, 3, 5], anchors: [0, 1, 2], taps: [{ tap: 2, delta: 0 }, { tap: 0, delta: 1 }] },
    ]);
    // 'valid' at stride 3: rows 2 and 5 are in no window, a class with no taps (dX 0 there)
    const unread = gradientClasses({ input: 8, output: 3, filter: 2, stride: 3, pad: 0 });
    expect(unread.find((c) => c.taps.length === 0)?.coordinates).toEqual([2, 5]);
  });

  it('takes strided passes whose product columns come in fours, and forwards not from a one-channel image', () => {
    const layer = { batch: 64, height: 14, width: 14, inChannels: 16, outH: 7, outW: 7, outChannels: 32, filterH: 3, filterW: 3, strideH: 2, strideW: 2, padTop: 0, padLeft: 0 };
    expect([byBorderClasses(layer, 'forward'), byBorderClasses(layer, 'input gradient')]).toEqual([true, true]);
    expect([byBorderClasses({ ...layer, inChannels: 1 }, 'forward'), byBorderClasses({ ...layer, inChannels: 1 }, 'input gradient')]).toEqual([false, false]);
    expect(byBorderClasses({ ...layer, outChannels: 6 }, 'forward')).toBe(false);
    expect(byBorderClasses({ ...layer, strideH: 1, strideW: 1 }, 'forward')).toBe(false);
  });
});

describe('our convolution kernels on WASM against TF.js CPU reference kernels', () => {
  const reference: Results[] = [];
  // the cases' few channels take the column transform forwards too, as wider layers do
  beforeAll(() => useWinogradColumns(true, 0));
  afterAll(() => useWinogradColumns(true));
  beforeAll(async () => {
    await tf.setBackend('cpu');
    for (const c of CASES) reference.push(await run(c));
    await useNodeBackend('wasm');
    useSimdKernels(true);
    expect((tf.getKernel('Conv2DBackpropFilter', 'wasm') as { simd?: boolean }).simd).toBe(true);
  });

  it.each(CASES.map((c, i) => [i, c] as const))('case %i agrees: %o', async (i, c) => {
    const before = tf.memory().numTensors;
    type Passes = { winogradForward: () => void; pairWinogradForward: () => void; winogradFilterGradient: () => void; transformColumnFilters: () => void; columnSumsToTaps: () => void; quadRowForward: () => void; quadRowFilterGradient: () => void; transformColumns: (columns: { tile: number }) => void };
    const passes = SimdConvolutions.prototype as unknown as Passes;
    const spies = (['winogradForward', 'pairWinogradForward', 'winogradFilterGradient', 'transformColumnFilters', 'columnSumsToTaps', 'quadRowForward', 'quadRowFilterGradient'] as const).map((name) => vi.spyOn(passes, name));
    const columnTransforms = vi.spyOn(passes, 'transformColumns');
    const borderPasses = (['stridedForward', 'stridedInputGradient', 'narrowInputGradient', 'narrowFilterGradient', 'phaseForward', 'phaseInputGradient'] as const).map((name) => vi.spyOn(SimdConvolutions.prototype as unknown as Record<typeof name, () => void>, name));
    const grown = vi.spyOn(SimdConvolutions.prototype as unknown as { grownQuadForward: () => void }, 'grownQuadForward');
    useGrownQuads(c.grown === true);
    const ours = await run(c);
    useGrownQuads(true);
    // the forward pass, the fused one, the one inside the gradients and the input gradient
    expect(grown.mock.calls.length, 'forward passes grown to fours').toBe(c.grown ? 4 : 0);
    grown.mockRestore();
    expect(borderPasses.map((spy) => spy.mock.calls.length), 'passes by border classes, narrow filter gradients, and passes by phases').toEqual([...(c.borders ?? [0, 0]), c.narrow ?? 0, c.narrowGradient ? 1 : 0, ...(c.phases ?? [0, 0])]);
    borderPasses.forEach((spy) => spy.mockRestore());
    // the forward pass, the fused one, the forward pass inside the gradients and the input gradient, then the filter gradient: Winograd's where it applies
    const calls = spies.map((spy) => spy.mock.calls.length);
    const [quadRuns, columnRuns] = [columnTransforms.mock.calls.filter(([columns]) => columns.tile === 4).length, columnTransforms.mock.calls.length];
    [...spies, columnTransforms].forEach((spy) => spy.mockRestore());
    const [quadForwards, quadGradients] = c.quadRows ?? [0, 0];
    expect(calls.slice(0, 5)).toEqual(c.tall ?? [c.winograd === 'three' ? 4 - quadForwards : 0, c.winograd === 'pair' ? 4 : 0, c.winograd ? 1 - quadGradients : 0, c.columns ?? 0, c.columnGradient ? 1 : 0]);
    expect(calls.slice(5), 'passes by F(4, 3) or F(4, 5) along the rows').toEqual([quadForwards, quadGradients]);
    // every column transform of such a case in fours, forwards and backwards; none of another
    // (a grown case's forward passes take them, its filter gradient over the map as it is may not)
    if (c.grown) expect(quadRuns, 'three or five taps by F(4, 3) or F(4, 5)').toBeGreaterThan(0);
    else expect(quadRuns, 'three or five taps by F(4, 3) or F(4, 5)').toBe(c.quads ? columnRuns : 0);
    if (c.quads) expect(quadRuns).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
    // F(4, r) along both axes: 6 x 6 or 8 x 8 planes, whose sums cancel further than F(2, 3)'s
    // (its error against float64 sums: wasm-simd-quad-rows.test.ts), looser for the results
    // that went through it: y and fused with three forward passes or four, dx with one or four
    // (the input gradient's), dw with the filter gradient; F(4, 2) over the phases as loose
    // (5-7 times a direct sum's float32 error: phase-algorithms.test.ts), y and dx
    const [phaseForwards, phaseGradients] = c.phases ?? [0, 0];
    const quad = { y: quadForwards >= 3 || phaseForwards > 0, fused: quadForwards >= 3, dx: quadForwards % 3 === 1 || phaseGradients > 0, dw: quadGradients > 0 };
    for (const key of ['y', 'fused', 'dx', 'dw'] as const) expectRelativelyClose(ours[key], reference[i][key], quad[key] ? 1e-5 : 2e-6, key);
  });

  it('agrees on every case with forward passes grown to fours wherever training would grow them', async () => {
    for (const [i, c] of CASES.entries()) {
      const ours = await run(c);
      // F(4, r)'s looser bound for all: a grown pass takes it
      for (const key of ['y', 'fused', 'dx', 'dw'] as const) expectRelativelyClose(ours[key], reference[i][key], 1e-5, `case ${i}, ${key}`);
    }
  });

  it('grows no map to more than 1.35 times its outputs, no filter wider than high, and no pass whose rows must each read only their own window', async () => {
    const grown = vi.spyOn(SimdConvolutions.prototype as unknown as { grownQuadForward: () => void }, 'grownQuadForward');
    const passes = (shape: [number, number, number, number], filterShape: [number, number, number, number], windowRows?: boolean) => {
      const [x, filter, bias] = [tf.tensor4d(seededValues(shape.reduce((a, b) => a * b), 1), shape), tf.tensor4d(seededValues(filterShape.reduce((a, b) => a * b), 2), filterShape), tf.zeros([filterShape[3]]) as tf.Tensor1D];
      grown.mockClear();
      const y = windowRows === undefined ? tf.conv2d(x, filter, 1, 'same') : convolveWithBias(x, filter, bias, [1, 1], 'same', [1, 1], { windowRows });
      tf.dispose([x, filter, bias, y]);
      return grown.mock.calls.length;
    };
    expect(passes([1, 7, 7, 8], [3, 3, 8, 4]), '7 x 7 to 8 x 8: 1.31 times').toBe(1);
    expect(passes([1, 6, 6, 8], [3, 3, 8, 4]), '6 x 6 to 8 x 8: 1.78 times').toBe(0);
    expect(passes([1, 7, 7, 8], [3, 5, 8, 4]), 'a 3 x 5 filter').toBe(0);
    expect(passes([1, 7, 7, 8], [3, 3, 8, 4], false), 'rows free to combine').toBe(1);
    expect(passes([1, 7, 7, 8], [3, 3, 8, 4], true), 'each output reading only its own window\'s rows').toBe(0);
    grown.mockRestore();
  });

  it('leaves the rows of a convolution marked exactRows (a masked one) uncombined, forwards and backwards, where it would combine them otherwise', async () => {
    const passes = SimdConvolutions.prototype as unknown as { winogradForward: () => void; winogradFilterGradient: () => void };
    const spies = [vi.spyOn(passes, 'winogradForward'), vi.spyOn(passes, 'winogradFilterGradient')];
    const x = tf.tensor4d(seededValues(2 * 6 * 7 * 4, 1), [2, 6, 7, 4]);
    const w = tf.tensor4d(seededValues(3 * 5 * 4 * 8, 2), [3, 5, 4, 8]);
    const bias = tf.tensor1d(seededValues(8, 3));
    const padding: tf.backend_util.ExplicitPadding = [[0, 0], [2, 0], [2, 2], [0, 0]];
    const calls = async (exactRows: boolean) => {
      spies.forEach((spy) => spy.mockClear());
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => convolveWithBias(a as tf.Tensor4D, b as tf.Tensor4D, bias, [1, 1], padding, [1, 1], { exactRows }).square().sum())([x, w]);
      await Promise.all(grads.map((g) => g.data()));
      tf.dispose(grads);
      return spies.map((spy) => spy.mock.calls.length);
    };
    // forward and input gradient, and the filter gradient
    expect(await calls(false)).toEqual([2, 1]);
    expect(await calls(true)).toEqual([0, 0]);
    spies.forEach((spy) => spy.mockRestore());
    tf.dispose([x, w, bias]);
  });

  describe('a masked filter whose last row stays apart (lastRowApart: its rows above by F(2, 2), that row alone)', () => {
    type Passes = { pairWinogradForward: () => void; winogradForward: () => void; winogradFilterGradient: () => void; quadRowFilterGradient: () => void };
    // [rows, columns, in, out] cut at the centre row, whose columns right of `live` are masked
    const maskedFilter = (shape: [number, number, number, number], live: number, seed: number) => {
      const values = seededValues(shape.reduce((a, b) => a * b), seed);
      const [rows, columns, inC, outC] = shape;
      for (let c = live; c < columns; c++) values.fill(0, (((rows - 1) * columns + c) * inC) * outC, (((rows - 1) * columns + c + 1) * inC) * outC);
      return tf.tensor4d(values, shape);
    };
    const padding: tf.backend_util.ExplicitPadding = [[0, 0], [2, 0], [2, 2], [0, 0]];
    const masked: [string, [number, number, number, number], [number, number, number, number], number][] = [
      ['5x5 type B, odd rows', [2, 7, 6, 4], [3, 5, 4, 8], 3],
      ['5x5 type A (grey: no centre), even rows', [2, 6, 5, 8], [3, 5, 8, 4], 2],
      ['a last row all zero', [1, 4, 5, 4], [3, 5, 4, 4], 0],
      ['a last row all live', [2, 5, 4, 4], [3, 5, 4, 4], 5],
      // output columns in fours: the rows above by F(2, 2) along the rows and F(4, 5) along the columns
      ['5x5 type B, columns in fours', [2, 7, 12, 8], [3, 5, 8, 4], 3],
      ['5x5 type A, columns in fours, even rows', [2, 6, 8, 4], [3, 5, 4, 8], 2],
    ];

    /**
     * Forward (and, with `relu`, fused with relu), input and filter gradients of a masked
     * filter whose last row stays apart, on TF.js's CPU kernels and on ours, and the calls of
     * [pairWinogradForward, winogradForward, winogradFilterGradient] on ours.
     */
    const maskedAgreement = async (xShape: number[], filterShape: [number, number, number, number], live: number, pad: tf.backend_util.ExplicitPadding, relu: boolean) => {
      const compute = async () => {
        const x = tf.tensor4d(seededValues(xShape.reduce((a, b) => a * b), 1), xShape as [number, number, number, number]);
        const w = maskedFilter(filterShape, live, 2);
        const bias = tf.tensor1d(seededValues(filterShape[3], 3));
        const conv = (a: tf.Tensor, b: tf.Tensor) => convolveWithBias(a as tf.Tensor4D, b as tf.Tensor4D, bias, [1, 1], pad, [1, 1], { lastRowApart: true });
        const y = conv(x, w);
        const attrs = { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1], activation: 'relu', lastRowApart: true };
        const fused = relu ? (tf.engine().runKernel('FusedConv2D', { x, filter: w, bias }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor) : tf.zeros([1]);
        const r = tf.tensor(seededValues(y.size, 4), y.shape);
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => conv(a, b).mul(r).sum())([x, w]);
        const results = { y: await y.data(), fused: await fused.data(), dx: await dx.data(), dw: await dw.data() };
        tf.dispose([x, w, bias, y, fused, r, dx, dw]);
        return results;
      };
      await tf.setBackend('cpu');
      const expected = await compute();
      await tf.setBackend('wasm');
      const passes = SimdConvolutions.prototype as unknown as Passes;
      const spies = [vi.spyOn(passes, 'pairWinogradForward'), vi.spyOn(passes, 'winogradForward'), vi.spyOn(passes, 'winogradFilterGradient'), vi.spyOn(passes, 'quadRowFilterGradient')];
      const ours = await compute();
      const calls = spies.map((spy) => spy.mock.calls.length);
      spies.forEach((spy) => spy.mockRestore());
      return { ours, expected, calls };
    };

    it.each(masked)('%s: forward, input and filter gradients agree with TF.js\'s CPU kernels', async (_, xShape, filterShape, live) => {
      const { ours, expected, calls } = await maskedAgreement(xShape, filterShape, live, padding, false);
      // forward and input gradient (the turned filter's lone row is its first) by the pair; the filter gradient, which no causality concerns, by F(2, 3), or F(4, 3) for output rows in fours
      expect(calls).toEqual(xShape[1] % 4 === 0 ? [3, 0, 0, 1] : [3, 0, 1, 0]);
      for (const key of ['y', 'dx', 'dw'] as const) expectRelativelyClose(ours[key], expected[key], 2e-6, key);
    });

    // a 7x7 masked filter cut at its centre row (4 x 7): the three rows above by F(2, 3), the lone row added after them
    const tallPadding: tf.backend_util.ExplicitPadding = [[0, 0], [3, 0], [3, 3], [0, 0]];
    it.each([
      ['type B', 4],
      ['type A', 3],
    ] as const)('7x7 %s: forward, input and filter gradients agree with TF.js\'s CPU kernels, the rows above the lone row by F(2, 3)', async (_, live) => {
      // relu fused too: applied after the lone row is added
      const { ours, expected, calls } = await maskedAgreement([2, 7, 8, 4], [4, 7, 4, 8], live, tallPadding, true);
      // forward, fused, again inside the gradients, and the input gradient by F(2, 3) on the three rows that combine; the filter gradient's four rows as 2 + 2
      expect(calls).toEqual([0, 4, 2, 0]);
      expect(Math.min(...ours.fused)).toBe(0);
      for (const key of ['y', 'fused', 'dx', 'dw'] as const) expectRelativelyClose(ours[key], expected[key], 2e-6, key);
    });

    // an odd width: the rows above by F(2, 2); an even one: their row products by Winograd's columns too; a 7x7 filter: the rows above by F(2, 3)
    it.each([
      [7, [3, 5], 3, padding, 'pairWinogradForward'],
      [8, [3, 5], 3, padding, 'pairWinogradForward'],
      [8, [4, 7], 4, tallPadding, 'winogradForward'],
    ] as const)('keeps an output free of every input after it in raster order, to the bit: its value, and its gradient exactly zero there (width %i, filter %o)', async (width, [rows, columns], live, filterPadding, pass) => {
      const [batch, height, channels] = [2, 6, 4];
      const x = tf.tensor4d(seededValues(batch * height * width * channels, 5), [batch, height, width, channels]);
      const noise = tf.tensor4d(seededValues(x.size, 6), x.shape);
      const w = maskedFilter([rows, columns, channels, 8], live, 7);
      const bias = tf.tensor1d(seededValues(8, 8));
      const conv = (a: tf.Tensor) => convolveWithBias(a as tf.Tensor4D, w, bias, [1, 1], filterPadding as tf.backend_util.ExplicitPadding, [1, 1], { lastRowApart: true });
      const spy = vi.spyOn(SimdConvolutions.prototype as unknown as Passes, pass);
      const y = await conv(x).array() as number[][][][];
      for (let row = 0; row < height; row++) {
        for (let column = 0; column < width; column++) {
          // inputs at or before (row, column) kept, every later one replaced by noise
          const earlier = tf.tidy(() => {
            const index = tf.range(0, height * width).reshape([1, height, width, 1]);
            return index.lessEqual(row * width + column).cast('float32');
          });
          const mixed = tf.tidy(() => x.mul(earlier).add(noise.mul(tf.scalar(1).sub(earlier))));
          const changed = await conv(mixed).array() as number[][][][];
          for (let b = 0; b < batch; b++) expect(changed[b][row][column], `output (${row}, ${column})`).toEqual(y[b][row][column]);
          const dx = tf.grad((a: tf.Tensor) => conv(a).slice([0, row, column, 0], [batch, 1, 1, 8]).sum())(x);
          const late = await dx.mul(tf.scalar(1).sub(earlier)).abs().max().data();
          expect(late[0], `d output (${row}, ${column}) / d later inputs`).toBe(0);
          tf.dispose([earlier, mixed, dx]);
        }
      }
      expect(spy.mock.calls.length).toBeGreaterThanOrEqual(2 * height * width);
      spy.mockRestore();
      tf.dispose([x, noise, w, bias]);
    });

    it('keeps all rows apart inside keepRowsApart (a sampler\'s passes), so windows and whole images sum alike', async () => {
      const passes = SimdConvolutions.prototype as unknown as Passes;
      const spies = [vi.spyOn(passes, 'pairWinogradForward'), vi.spyOn(passes, 'winogradForward')];
      const x = tf.tensor4d(seededValues(2 * 6 * 7 * 4, 1), [2, 6, 7, 4]);
      const w = maskedFilter([3, 5, 4, 8], 3, 2);
      const bias = tf.tensor1d(seededValues(8, 3));
      const y = keepRowsApart(() => convolveWithBias(x, w, bias, [1, 1], padding, [1, 1], { lastRowApart: true }));
      const direct = convolveWithBias(x, w, bias, [1, 1], padding, [1, 1], { exactRows: true });
      expect(Array.from(await y.data())).toEqual(Array.from(await direct.data()));
      expect(spies.map((spy) => spy.mock.calls.length)).toEqual([0, 0]);
      spies.forEach((spy) => spy.mockRestore());
      tf.dispose([x, w, bias, y, direct]);
    });
  });

  it('keeps one filter\'s turned blocks for its input gradients at every batch size (a sampler\'s batches beside training\'s)', async () => {
    const w = tf.tensor4d(seededValues(3 * 3 * 8 * 16, 2), [3, 3, 8, 16]);
    for (const batch of [2, 3, 2]) {
      const dy = tf.tensor4d(seededValues(batch * 4 * 4 * 16, batch), [batch, 4, 4, 16]);
      const dx = (byClasses: boolean) => {
        useBorderClasses(byClasses);
        return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { strides: [2, 2], pad: 'same', dataFormat: 'NHWC', inputShape: [batch, 7, 7, 8] }) as tf.Tensor;
      };
      const [ours, patches] = [dx(true), dx(false)];
      useBorderClasses(true);
      expectRelativelyClose(await ours.data(), await patches.data(), 1e-6, `batch ${batch}`);
      tf.dispose([dy, ours, patches]);
    }
    w.dispose();
  });

  it('takes Swish\'s gradient in a strided input gradient\'s own pass (GpSwishInputGradient), to the bits of the two passes apart', async () => {
    const padding: tf.backend_util.ExplicitPadding = [[0, 0], [0, 0], [1, 2], [0, 0]];
    // the energy model's last layer, 'valid' rows at stride 3 that no window reads (their sums empty: 0 times the slope), and dX of 16 and
    // 28 channels (the product's 2 x 16 blocks, then 4 x 8 and 4 x 4 for the rest of 28)
    const layers: Array<[[number, number, number, number], [number, number, number, number], number, 'same' | tf.backend_util.ExplicitPadding]> = [
      [[2, 7, 7, 8], [3, 3, 8, 16], 2, 'same'], [[2, 8, 8, 4], [2, 2, 4, 8], 3, padding], [[2, 7, 7, 16], [3, 3, 16, 8], 2, 'same'], [[3, 9, 9, 28], [3, 3, 28, 8], 2, 'same'],
      // the energy model's last layer at its width, by Winograd over its phases: the slope taken as the last transform stores dX
      [[2, 7, 7, 32], [3, 3, 32, 64], 2, 'same'],
    ];
    const phases = vi.spyOn(SimdConvolutions.prototype as unknown as { phaseInputGradient: () => void }, 'phaseInputGradient');
    for (const [shape, filterShape, stride, pad] of layers) {
      const x = tf.tensor4d(seededValues(shape.reduce((a, b) => a * b), 1), shape);
      const w = tf.tensor4d(seededValues(filterShape.reduce((a, b) => a * b), 2), filterShape);
      const y = tf.conv2d(x, w, stride, pad);
      const dy = tf.tensor4d(seededValues(y.size, 4), y.shape);
      // Swish on the layer's input, whose gradient the input gradient carries on through
      const [s, swished] = sigmoidAndSwish(x);
      const strides: [number, number] = [stride, stride];
      const trace = await traceKernels(() => {
        tf.dispose(convolutionInputGradient(dy, w, shape, strides, pad, { swish: [s, swished], windowRows: false }));
      });
      expect(trace.kernels.map((kernel) => kernel.name), 'one pass').toEqual([SWISH_INPUT_GRADIENT]);
      // rows free to combine, as the energy model's (a causal model's windowRows keeps the phases off)
      const [fused, apart] = [convolutionInputGradient(dy, w, shape, strides, pad, { swish: [s, swished], windowRows: false }), tf.tidy(() => swishGradient(convolutionInputGradient(dy, w, shape, strides, pad, { windowRows: false }), s, swished))];
      expect(await tensorBits(fused), `${shape}`).toEqual(await tensorBits(apart));
      tf.dispose([x, w, y, dy, s, swished, fused, apart]);
    }
    // the trace's pass, and the fused and the plain one of the last layer
    expect(phases.mock.calls.length).toBe(3);
    phases.mockRestore();
  });

  it('gives each filter\'s own results when two filters take turns on one layer by its phases (the transformed filter made anew when the filter changes)', async () => {
    // the energy model's last layer, by its phases, forwards and backwards, with two filters in turn
    const shape: [number, number, number, number] = [2, 7, 7, 32];
    const x = tf.tensor4d(seededValues(2 * 7 * 7 * 32, 1), shape);
    const dy = tf.tensor4d(seededValues(2 * 4 * 4 * 64, 2), [2, 4, 4, 64]);
    const filters = [3, 4].map((seed) => tf.tensor4d(seededValues(3 * 3 * 32 * 64, seed), [3, 3, 32, 64]));
    const passes = (w: tf.Tensor4D) => [tf.conv2d(x, w, 2, 'same'), tf.conv2dTranspose(dy, w, shape, 2, 'same')];
    await tf.setBackend('cpu');
    const expected = await Promise.all(filters.map(async (w) => Promise.all(passes(w).map(async (t) => {
      const values = await t.data();
      t.dispose();
      return values;
    }))));
    await tf.setBackend('wasm');
    const spies = (['phaseForward', 'phaseInputGradient'] as const).map((name) => vi.spyOn(SimdConvolutions.prototype as unknown as Record<typeof name, () => void>, name));
    for (const i of [0, 1, 1, 0]) {
      const [y, dx] = passes(filters[i]);
      expectRelativelyClose(await y.data(), expected[i][0], 1e-5, `filter ${i}, forward`);
      expectRelativelyClose(await dx.data(), expected[i][1], 1e-5, `filter ${i}, input gradient`);
      tf.dispose([y, dx]);
    }
    expect(spies.map((spy) => spy.mock.calls.length)).toEqual([4, 4]);
    spies.forEach((spy) => spy.mockRestore());
    tf.dispose([x, dy, ...filters]);
  });

  it('gives the same results by phases as by border classes on more layers than it keeps transformed filters for, and again on the first', async () => {
    // the energy model's last layer with ten widths of output (KEPT_FILTERS is 8): each one's transformed filter made, the oldest
    // freed, then the first's made anew
    const widths = [64, 72, 80, 88, 96, 104, 112, 120, 128, 136, 64];
    const x = tf.tensor4d(seededValues(7 * 7 * 32, 6), [1, 7, 7, 32]);
    const spy = vi.spyOn(SimdConvolutions.prototype as unknown as { phaseForward: () => void }, 'phaseForward');
    for (const width of widths) {
      const w = tf.tensor4d(seededValues(3 * 3 * 32 * width, width), [3, 3, 32, width]);
      usePhaseWinograd(false);
      const byClasses = tf.conv2d(x, w, 2, 'same');
      usePhaseWinograd(true);
      const byPhasesResult = tf.conv2d(x, w, 2, 'same');
      expectRelativelyClose(await byPhasesResult.data(), await byClasses.data(), 1e-5, `${width} channels`);
      tf.dispose([w, byClasses, byPhasesResult]);
    }
    expect(spy.mock.calls.length).toBe(widths.length);
    spy.mockRestore();
    x.dispose();
  });

  it('gives zeros for empty sums, as TF.js\'s CPU kernels do, and leaves a bias that broadcasts along width to TF.js\'s kernel', async () => {
    const cpu = async (compute: () => tf.Tensor) => {
      await tf.setBackend('cpu');
      const value = compute();
      const values = await value.data();
      value.dispose();
      await tf.setBackend('wasm');
      return values;
    };
    const check = async (compute: () => tf.Tensor, label: string) => {
      const expected = await cpu(compute);
      const ours = compute();
      expect(Array.from(await ours.data()), label).toEqual(Array.from(expected).map((v) => expect.closeTo(v, 5)));
      ours.dispose();
    };
    // no input channels: every output is an empty sum
    await check(() => tf.conv2d(tf.zeros([1, 3, 3, 0]) as tf.Tensor4D, tf.zeros([3, 3, 0, 4]) as tf.Tensor4D, 1, 'same'), 'forward, 0 channels in');
    await check(() => tf.conv2dTranspose(tf.ones([1, 3, 3, 4]) as tf.Tensor4D, tf.zeros([3, 3, 0, 4]) as tf.Tensor4D, [1, 3, 3, 0], 1, 'same'), 'input gradient, 0 channels');
    // a batch of none: the filter gradient sums nothing
    await check(() => tf.grad((w: tf.Tensor) => tf.conv2d(tf.zeros([0, 3, 3, 2]) as tf.Tensor4D, w as tf.Tensor4D, 1, 'same').sum())(tf.ones([3, 3, 2, 4])), 'filter gradient, batch 0');
    // a [4, 1] bias on a [1, 2, 4, 4] output adds along width, not per channel: not ours to
    // add, so TF.js's WASM kernel gets it, and refuses it as it always did (rank-1 biases only)
    const x = tf.tensor4d(seededValues(1 * 2 * 4 * 3, 8), [1, 2, 4, 3]);
    const w = tf.tensor4d(seededValues(3 * 3 * 3 * 4, 9), [3, 3, 3, 4]);
    const bias = tf.tensor2d([[1], [2], [3], [4]]);
    expect(() => tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'same', bias })).toThrow(/rank-1 bias/);
    tf.dispose([x, w, bias]);
  });
});
