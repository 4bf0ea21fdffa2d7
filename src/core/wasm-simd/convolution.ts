/**
 * Convolutions on the WASM backend through our own matrix product (kernels.ts), in place on
 * tfjs-backend-wasm's heap: the forward pass (Conv2D, FusedConv2D), the input gradient (also
 * a transposed convolution's forward pass) and the filter gradient.
 *
 * Why: XNNPACK in tfjs-backend-wasm 4.22 multiplies at 30-35 GFLOP/s on the 2-core Xeon our
 * benchmark runs on, without fused multiply-add (WASM SIMD had none until relaxed SIMD);
 * TF.js has no filter gradient on WASM at all (kernel-fixes.ts builds one from transposes and
 * a forward convolution, at about half the forward rate). Each pass here is one matrix
 * product, with X = the [pixels, Fh*Fw*Ci] patch matrix and W the [Fh*Fw*Ci, Co] filter:
 *   forward          Y  = X W
 *   input gradient   dX = col2im(dY W^T)   (at stride 1: dY convolved with W turned)
 *   filter gradient  dW = X^T dY   (summed over chunks of pixels)
 * The forward pass and the filter gradient read X in place from the image, through tables
 * of offsets (patch-tables.ts); an input gradient that is not a forward pass adds its
 * product's rows back onto the image (col2im), a chunk of output pixels at a time, unless it
 * is strided. The class builds on others: strided passes by border classes, which leave the
 * padding out of every sum and gather each input pixel's sums (strided.ts),
 * the passes by Winograd's rows (winograd.ts) and, under them, the patch tables and padded
 * images that every in-place pass reads (patch-tables.ts).
 * Checked against TF.js's own kernels in tests/unit/wasm-simd-convolution.test.ts.
 *
 * Ours run on one thread. Where TF.js runs XNNPACK on more (it takes half the logical cores:
 * one on a 2-core machine, and always one in Node), its parallel forward pass stays; the
 * gradients are ours everywhere, since TF.js's way to them (transposes around XNNPACK,
 * kernel-fixes.ts) is slower than ours even at two threads. NCHW, dilation and padding as
 * wide as the filter, which our layers never use, go to the kernels registered before.
 */
import * as tf from '@tensorflow/tfjs';
import { directWork, MIN_FEW_CALLS_WORK, roundUp4, Scratch, transposeRows, type Epilogue } from './heap';
import { byBorderClasses, gathersNarrowSums, StridedConvolutions } from './strided';
import { rowTransform } from './winograd';
import { rowRuns } from './winograd-tall';
import { grownToQuads, quadRows } from './winograd-quad-rows';

/**
 * Bytes of patch matrix worked on at once, so that a chunk stays in the second-level cache,
 * and the fewest rows a chunk has (with 5x5 filters over 64 channels a row is 6.4 kB). The
 * filter gradient's chunks are smaller: it walks each chunk once per 4 rows of dW.
 * Measured on the 2-core Xeon (64 x 28 x 28 x 32 and 16 x 28 x 28 x 64 inputs, 3x3 and 5x5):
 * the forward pass and input gradient vary by under 5% from 64 to 512 kB but lose 40% at
 * 10 rows; the filter gradient is 15-20% slower at 512 kB than at 128 kB.
 */
const CHUNK_BYTES = 256 * 1024;
const FILTER_CHUNK_BYTES = 128 * 1024;
const MIN_CHUNK_ROWS = 32;
const MIN_FILTER_CHUNK_ROWS = 16;

/** The shape of one convolution, from TF.js's own reading of its attributes. */
interface Geometry {
  batch: number; height: number; width: number; inChannels: number;
  outH: number; outW: number; outChannels: number;
  filterH: number; filterW: number; strideH: number; strideW: number; padTop: number; padLeft: number;
  /** The filter's rows must not be combined: no Winograd rows (winograd.ts says why). */
  exactRows?: boolean;
  /** Each output reads only its own window's rows, even in rounding: causal by rows (winograd-quad-rows.ts says why). */
  windowRows?: boolean;
  /**
   * A filter row to be summed alone, never combined with the others (a masked convolution's
   * centre row: its last, or its first once turned for the input gradient); the others may be.
   */
  loneRow?: number;
}

function geometry(info: tf.backend_util.Conv2DInfo): Geometry | null {
  const { padInfo } = info;
  const fits = info.dataFormat === 'channelsLast' && info.dilationHeight === 1 && info.dilationWidth === 1
    && padInfo.top >= 0 && padInfo.left >= 0 && padInfo.top < info.filterHeight && padInfo.left < info.filterWidth;
  if (!fits) return null;
  return {
    batch: info.batchSize, height: info.inHeight, width: info.inWidth, inChannels: info.inChannels,
    outH: info.outHeight, outW: info.outWidth, outChannels: info.outChannels,
    filterH: info.filterHeight, filterW: info.filterWidth, strideH: info.strideHeight, strideW: info.strideWidth,
    padTop: padInfo.top, padLeft: padInfo.left,
  };
}

/** im2col/col2im's patch parameters for rows [first, first + rows). */
const patch = (g: Geometry, first: number, rows: number) =>
  [first, rows, g.height, g.width, g.inChannels, g.outH, g.outW, g.filterH, g.filterW, g.strideH, g.strideW, g.padTop, g.padLeft];

/** A 1x1 stride-1 unpadded convolution's patch matrix is its input: no copy needed. */
const isPointwise = (g: Geometry) =>
  g.filterH === 1 && g.filterW === 1 && g.strideH === 1 && g.strideW === 1 && g.padTop === 0 && g.padLeft === 0
  // padding after the image (bottom, right) makes more output pixels than input ones
  && g.outH === g.height && g.outW === g.width;

/** Output pixels per chunk for a patch matrix of `rowBytes` bytes a row. */
const chunkRows = (rowBytes: number, pixels: number, bytes = CHUNK_BYTES, fewest = MIN_CHUNK_ROWS) =>
  Math.max(1, Math.min(pixels, Math.max(fewest, Math.floor(bytes / rowBytes))));

let inPlace = true;
let narrowGradientTurned = true;

/** Turns off the filter gradient of 1-3 output channels as a product turned round (narrowFilterGradient), for measuring it (`npm run bench:switches`). */
export function useNarrowFilterGradient(on: boolean): void {
  narrowGradientTurned = on;
}

let quadDots = true;
/** Turns off patchDot's four pixels at once (narrowForward), for measuring it (`npm run bench:switches`). */
export function useQuadDots(on: boolean): void {
  quadDots = on;
}

/**
 * Turns off reading patches in place (gemmTable) and the stride-1 input gradient as a forward
 * pass, so that the image-to-columns copy and col2im run instead: for measuring one against the
 * other (src/cli/bench-convolutions.ts).
 */
export function usePatchesInPlace(on: boolean): void {
  inPlace = on;
}

export class SimdConvolutions extends StridedConvolutions {
  /** For a filter made here and then used by a pass that takes `scratch`. */
  private readonly filterScratch = new Scratch(this.backend);
  /**
   * Y = X W (+ bias, then max(0, .) if relu): x [B, H, W, Ci], filter [Fh, Fw, Ci, Co] ->
   * y [B, Ho, Wo, Co]; the bias, one number per output channel, is added as each block of Y
   * is stored.
   */
  forward(x: tf.TensorInfo, filter: tf.TensorInfo, g: Geometry, epilogue: Epilogue = {}): tf.TensorInfo {
    const out = this.backend.makeOutput([g.batch, g.outH, g.outW, g.outChannels], 'float32');
    this.forwardAt(this.address(x), this.address(filter), this.address(out), g, epilogue.bias ? this.address(epilogue.bias) : 0, epilogue.relu ?? false, filter);
    return out;
  }

  /** The forward pass on heap addresses (bytes), which stay valid when the heap grows; biasAt 0 for none; `filter` the filter's tensor, where its transforms may be kept. */
  private forwardAt(xAt: number, filterAt: number, outAt: number, g: Geometry, biasAt = 0, relu = false, filter?: { dataId: object }): void {
    const pixels = g.batch * g.outH * g.outW;
    const depth = g.filterH * g.filterW * g.inChannels; // K
    const n = g.outChannels;
    // an empty sum is 0 (the product's loop over K needs K >= 1)
    if (pixels * depth * n === 0) return this.zero(outAt, pixels * n);
    if (n < 4) return this.narrowForward(xAt, filterAt, outAt, g, biasAt, relu);
    const wide = roundUp4(n); // the product's columns come in fours: narrower outputs are padded
    const padded = wide !== n;
    const direct = isPointwise(g);
    const grown = padded ? null : grownToQuads(g);
    if (grown) return this.grownQuadForward(xAt, filterAt, outAt, g, grown, biasAt, relu);
    const quads = padded ? null : quadRows(g, 'forward');
    if (quads) return this.quadRowForward(xAt, filterAt, outAt, g, biasAt, relu, quads);
    const transform = padded ? null : rowTransform(g, 'forward');
    if (transform === 'three') return this.winogradForward(xAt, filterAt, outAt, g, biasAt, relu);
    if (transform === 'pair') return this.pairWinogradForward(xAt, filterAt, outAt, g, biasAt, relu);
    const runs = padded ? null : rowRuns(g, 'forward');
    if (runs) return this.tallWinogradForward(xAt, filterAt, outAt, g, biasAt, relu, runs);
    if (!padded && byBorderClasses(g, 'forward')) return this.stridedForward(xAt, filter, filterAt, outAt, g, biasAt, relu);
    if (inPlace && !direct && !padded) {
      // Y = patches W with the patches read where they lie in the (padded) image
      const [image, tables] = this.patchesInPlace(xAt, g);
      this.kernels.gemmTable(image, tables.pixels, tables.taps, filterAt, n * 4, outAt, n * 4, pixels, n, depth, 0, biasAt, relu ? 1 : 0);
      return;
    }
    const rows = chunkRows(depth * 4, pixels);
    const [matrix, paddedFilter, paddedOut, paddedBias] = this.scratch.regions([direct ? 0 : rows * depth * 4, padded ? depth * wide * 4 : 0, padded ? rows * wide * 4 : 0, padded ? wide * 4 : 0]);
    if (padded) {
      this.zero(paddedFilter, depth * wide);
      this.copyRows(filterAt, n, paddedFilter, wide, depth, n);
      this.zero(paddedBias, wide);
      if (biasAt) this.copyRows(biasAt, n, paddedBias, wide, 1, n);
    }
    const bias = biasAt && padded ? paddedBias : biasAt;
    for (let first = 0; first < pixels; first += rows) {
      const count = Math.min(rows, pixels - first);
      if (!direct) this.kernels.im2col(xAt, matrix, depth * 4, ...patch(g, first, count));
      const a = direct ? xAt + first * depth * 4 : matrix;
      const c = padded ? paddedOut : outAt + first * n * 4;
      // C[count, wide] = A[count, K] B[K, wide]
      this.kernels.gemm(a, depth * 4, 4, padded ? paddedFilter : filterAt, wide * 4, c, wide * 4, count, wide, depth, 0, bias, relu ? 1 : 0);
      if (padded) this.copyRows(paddedOut, wide, outAt + first * n * 4, n, count, n);
    }
  }

  /**
   * dX = col2im(dY W^T), or at stride 1 dY convolved with W turned, or strided by border
   * classes (strided.ts: gathered products, or for one input channel the sums of dY W^T
   * gathered): dy [B, Ho, Wo, Co], filter
   * [Fh, Fw, Ci, Co] -> dx [B, H, W, Ci]. With `swish` (s and y of Swish on the layer's input,
   * shaped like dx), dX times Swish's slope s + y (1 - s): only by border classes (callers ask
   * byBorderClasses first).
   */
  inputGradient(dy: tf.TensorInfo, filter: tf.TensorInfo, g: Geometry, swish?: [tf.TensorInfo, tf.TensorInfo]): tf.TensorInfo {
    const dx = this.backend.makeOutput([g.batch, g.height, g.width, g.inChannels], 'float32');
    // by border classes even when empty: a class with no taps (or no pixels) writes its zeros itself
    const byClasses = byBorderClasses(g, 'input gradient');
    if (swish && !byClasses) throw new Error('A Swish input gradient goes by border classes only');
    if (byClasses) {
      const slope = swish && { s: this.address(swish[0]), y: this.address(swish[1]) };
      this.stridedInputGradient(this.address(dy), filter, this.address(filter), this.address(dx), g, slope);
      return dx;
    }
    if (g.batch * g.outH * g.outW * g.outChannels * g.inChannels === 0) {
      this.zero(this.address(dx), g.batch * g.height * g.width * g.inChannels);
      return dx;
    }
    if (gathersNarrowSums(g)) {
      this.narrowInputGradient(this.address(dy), filter, this.address(filter), this.address(dx), g);
      return dx;
    }
    // at stride 1 a forward pass by the turned filter, where that pass reads in place (its
    // outputs, dX's channels, in fours) or dY W^T would be rows of 1-3 numbers
    if (g.strideH === 1 && g.strideW === 1 && (g.outChannels < 4 || (inPlace && g.inChannels % 4 === 0))) {
      this.inputGradientByTurnedFilter(this.address(dy), filter, this.address(filter), this.address(dx), g);
      return dx;
    }
    const pixels = g.batch * g.outH * g.outW;
    const depth = g.filterH * g.filterW * g.inChannels; // K
    const wide = roundUp4(depth);
    const n = g.outChannels;
    const rows = chunkRows(wide * 4, pixels);
    const [matrix, transposed] = this.scratch.regions([rows * wide * 4, n * wide * 4]);
    const [dyAt, filterAt, dxAt] = [this.address(dy), this.address(filter), this.address(dx)];
    // W^T: [K, Co] -> [Co, wide], zero past K
    this.placeTransposedFilter(filter, filterAt, transposed, g, wide);
    this.zero(dxAt, tf.util.sizeFromShape(dx.shape));
    for (let first = 0; first < pixels; first += rows) {
      const count = Math.min(rows, pixels - first);
      // dcols[count, wide] = dY[count, Co] W^T[Co, wide]
      this.kernels.gemm(dyAt + first * n * 4, n * 4, 4, transposed, wide * 4, matrix, wide * 4, count, wide, n, 0);
      this.kernels.col2im(matrix, wide * 4, dxAt, ...patch(g, first, count));
    }
    return dx;
  }

  /**
   * Y = X W for 1-3 output channels (an image's last layer), straight from the image by
   * patchDot: the product would pad the columns to four and copy every patch, for one
   * number a row.
   */
  private narrowForward(xAt: number, filterAt: number, outAt: number, g: Geometry, biasAt: number, relu: boolean): void {
    const pixels = g.batch * g.outH * g.outW;
    const depth = g.filterH * g.filterW * g.inChannels; // K
    const n = g.outChannels;
    const [transposed] = this.scratch.regions([n * depth * 4]);
    // W [K, n] -> W^T [n, K]: each output channel's filter in one run
    transposeRows(this.heap(), filterAt, depth, n, n, transposed, depth);
    // four neighbouring pixels at once where a filter row's run comes in fours
    const quads = quadDots && (g.filterW * g.inChannels) % 4 === 0 ? 1 : 0;
    const imagePixels = g.outH * g.outW;
    // whole images a call: on a pool, bands of them (eachRun), each starting at an image's first row, where patchDot groups four pixels as it does on one thread
    this.eachRun(g.batch, directWork(g), (count) => new Array<null>(count).fill(null), (first, end) => {
      const [at, count] = [outAt + first * imagePixels * n * 4, (end - first) * imagePixels];
      // the sums start from the bias (0 + bias: the bias)
      this.zero(at, count * n);
      if (biasAt) this.kernels.addRuns(biasAt, 0, at, n * 4, count, n * 4);
      this.kernels.patchDot(xAt, transposed, ...patch(g, first * imagePixels, count), at, n, depth * 4, quads);
    }, 0, MIN_FEW_CALLS_WORK);
    if (relu) {
      const heap = this.heap();
      for (let i = outAt / 4; i < outAt / 4 + pixels * n; i++) heap[i] = Math.max(heap[i], 0);
    }
  }

  /**
   * At stride 1 the input gradient is a forward convolution, of dY by W turned 180 degrees
   * with its channel axes swapped, padded by (filter - 1 - padding):
   *   dx[b, y, x, ci] = sum_{fh, fw, co} dy[b, y + pt - fh, x + pl - fw, co] W[fh, fw, ci, co]
   * read in place like any forward pass, where dY W^T is a patch matrix written out and added
   * back (col2im). Measured side by side (`npm run bench:convolutions`): PixelCNN's 3x5 layer 18.3 ->
   * 17.2 ms, conv-ae's 3x3 ones 23.2 -> 20.0 and 3.3 -> 2.8 ms; and with few output channels
   * (a one-channel image's last layer), whose dY W^T rows would be made from 1-3 numbers, far
   * more. Not where dX has 1-3 channels (an image's first layer: 1.8 ms by col2im, 2.9 this way).
   */
  private inputGradientByTurnedFilter(dyAt: number, filter: { dataId: object }, filterAt: number, dxAt: number, g: Geometry): void {
    const [inC, outC] = [g.inChannels, g.outChannels];
    const size = g.filterH * g.filterW * inC * outC;
    const [turned] = this.filterScratch.regions([size * 4]);
    const heap = this.heap();
    // turned once per filter tensor: where the parts of a batch share one (PixelCNN++'s layers; a masked layer makes its kernel afresh each pass), once a step, not once a part
    this.keptFilters.place(heap, filter.dataId, `turned whole ${g.filterH}x${g.filterW}x${inC}x${outC}`, turned, size, () => {
      // turned[fh', fw', co, ci] = W[Fh - 1 - fh', Fw - 1 - fw', ci, co]
      for (let y = 0; y < g.filterH; y++) for (let x = 0; x < g.filterW; x++) for (let o = 0; o < outC; o++) for (let c = 0; c < inC; c++) {
        const from = (((g.filterH - 1 - y) * g.filterW + (g.filterW - 1 - x)) * inC + c) * outC + o;
        heap[turned / 4 + ((y * g.filterW + x) * outC + o) * inC + c] = heap[filterAt / 4 + from];
      }
    });
    this.forwardAt(dyAt, turned, dxAt, {
      ...g, height: g.outH, width: g.outW, inChannels: outC, outH: g.height, outW: g.width, outChannels: inC,
      padTop: g.filterH - 1 - g.padTop, padLeft: g.filterW - 1 - g.padLeft,
      // turned, the lone row is the mirrored one
      loneRow: g.loneRow === undefined ? undefined : g.filterH - 1 - g.loneRow,
    });
  }

  /** dW = X^T dY summed over the batch: x [B, H, W, Ci], dy [B, Ho, Wo, Co] -> dW [Fh, Fw, Ci, Co]. */
  filterGradient(x: tf.TensorInfo, dy: tf.TensorInfo, g: Geometry): tf.TensorInfo {
    const dw = this.backend.makeOutput([g.filterH, g.filterW, g.inChannels, g.outChannels], 'float32');
    const [xAt, dyAt, dwAt] = [this.address(x), this.address(dy), this.address(dw)];
    const pixels = g.batch * g.outH * g.outW;
    const depth = g.filterH * g.filterW * g.inChannels; // K, the rows of dW
    const n = g.outChannels;
    if (pixels * depth * n === 0) {
      this.zero(dwAt, depth * n);
      return dw;
    }
    const quads = quadRows(g, 'filter gradient');
    if (quads) {
      this.quadRowFilterGradient(xAt, dyAt, dwAt, g, quads);
      return dw;
    }
    const transform = rowTransform(g, 'filter gradient');
    if (transform) {
      this.winogradFilterGradient(xAt, dyAt, dwAt, g, transform === 'pair');
      return dw;
    }
    const runs = rowRuns(g, 'filter gradient');
    if (runs) {
      this.tallWinogradFilterGradient(xAt, dyAt, dwAt, g, runs);
      return dw;
    }
    if (inPlace && narrowGradientTurned && n < 4 && g.strideH === 1 && g.strideW === 1 && g.inChannels % 4 === 0) {
      this.narrowFilterGradient(xAt, dyAt, dwAt, g);
      return dw;
    }
    if (inPlace && n % 4 === 0 && !isPointwise(g)) {
      const [image, tables] = this.patchesInPlace(xAt, g);
      const rows = chunkRows(depth * 4, pixels, FILTER_CHUNK_BYTES, MIN_FILTER_CHUNK_ROWS);
      this.groupedSums(g, g.outH * g.outW, rows, depth * n * 4, dwAt, (first, count, sums, accumulate) => {
        // dW[K, Co] (+)= patches^T[K, count] dY[count, Co], the patches in place: the tables swapped
        this.kernels.gemmTable(image, tables.taps, tables.pixels + first * 4, dyAt + first * n * 4, n * 4, sums, n * 4, depth, n, count, accumulate ? 1 : 0);
      });
      return dw;
    }
    if (n % 4 === 0) {
      // a 1x1 convolution's patches are its input's pixels; others copied out (in place off)
      const direct = isPointwise(g);
      const rows = chunkRows(depth * 4, pixels, FILTER_CHUNK_BYTES, MIN_FILTER_CHUNK_ROWS);
      const [matrix] = this.scratch.regions([direct ? 0 : rows * depth * 4]);
      for (let first = 0; first < pixels; first += rows) {
        const count = Math.min(rows, pixels - first);
        if (!direct) this.kernels.im2col(xAt, matrix, depth * 4, ...patch(g, first, count));
        // dW[K, Co] (+)= X^T[K, count] dY[count, Co]: X^T[r, p] = X[p, r] is at r*4 + p*K*4
        this.kernels.gemm(direct ? xAt + first * depth * 4 : matrix, 4, depth * 4, dyAt + first * n * 4, n * 4, dwAt, n * 4, depth, n, count, first > 0 ? 1 : 0);
      }
      return dw;
    }
    // Output channels not in fours (one-channel and RGB outputs): dW^T = dY^T X has the
    // patches as its columns instead, padded to fours in the patch matrix's rows.
    const wide = roundUp4(depth);
    const rows = chunkRows(wide * 4, pixels, FILTER_CHUNK_BYTES, MIN_FILTER_CHUNK_ROWS);
    const [matrix, transposed] = this.scratch.regions([rows * wide * 4, n * wide * 4]);
    for (let first = 0; first < pixels; first += rows) {
      const count = Math.min(rows, pixels - first);
      this.kernels.im2col(xAt, matrix, wide * 4, ...patch(g, first, count));
      // dW^T[Co, wide] (+)= dY^T[Co, count] X[count, wide]: dY^T[o, p] is at o*4 + p*Co*4
      this.kernels.gemm(dyAt + first * n * 4, 4, n * 4, matrix, wide * 4, transposed, wide * 4, n, wide, count, first > 0 ? 1 : 0);
    }
    transposeRows(this.heap(), transposed, n, depth, wide, dwAt, n);
    return dw;
  }

  /**
   * dW for 1-3 output channels (an image's last layer) at stride 1, the product turned round
   * so that its columns are x's channels, not dW's one to three:
   *   dW[ky, kx, c, o] = sum over b, iy, ix of x[b, iy, ix, c] dY[b, iy + padTop - ky, ix + padLeft - kx, o]
   * (dY zero outside its map). The dY terms are the patches of the input gradient's forward
   * pass (dY read as an image, padded by filter - 1 - padding: inputGradientByTurnedFilter), at
   * its tap (Fh - 1 - ky, Fw - 1 - kx, o). So with that geometry's tables swapped, taps as rows
   * and pixels as steps,
   *   C[tap, c] = sum over pixels q of patches[q, tap] x[q, c]
   * is one gemmTable product over every input pixel, x's rows read where they lie; then C is
   * put into dW's order. By copied patches and a product one row high, a GAN's last layer (3x3
   * from 32 channels to 1, 28 x 28, batch 64) took 2.6 ms (`npm run bench:convolutions -- "last layer"`).
   */
  private narrowFilterGradient(xAt: number, dyAt: number, dwAt: number, g: Geometry): void {
    const [n, inC] = [g.outChannels, g.inChannels];
    const taps = g.filterH * g.filterW * n; // C's rows
    const pixels = g.batch * g.height * g.width; // the sums' terms: x's pixels
    // an empty x under padding that still makes outputs: sums of nothing
    if (pixels === 0) return this.zero(dwAt, taps * inC);
    const [sums] = this.filterScratch.regions([taps * inC * 4]);
    const turned: Geometry = {
      ...g, height: g.outH, width: g.outW, inChannels: n, outH: g.height, outW: g.width, outChannels: inC,
      padTop: g.filterH - 1 - g.padTop, padLeft: g.filterW - 1 - g.padLeft, loneRow: undefined,
    };
    const [image, tables] = this.patchesInPlace(dyAt, turned);
    // chunks of x's rows that stay in the cache while every block of C walks them
    const rows = chunkRows(inC * 4, pixels, FILTER_CHUNK_BYTES, MIN_FILTER_CHUNK_ROWS);
    this.groupedSums(g, g.height * g.width, rows, taps * inC * 4, sums, (first, count, into, accumulate) => {
      // C[taps, Ci] (+)= patches^T[taps, count] x[count, Ci]
      this.kernels.gemmTable(image, tables.taps, tables.pixels + first * 4, xAt + first * inC * 4, inC * 4, into, inC * 4, taps, inC, count, accumulate ? 1 : 0);
    });
    const heap = this.heap();
    // dW[ky, kx, c, o] = C[(Fh - 1 - ky, Fw - 1 - kx, o), c]
    for (let ky = 0; ky < g.filterH; ky++) for (let kx = 0; kx < g.filterW; kx++) {
      const row = ((g.filterH - 1 - ky) * g.filterW + (g.filterW - 1 - kx)) * n;
      for (let c = 0; c < inC; c++) for (let o = 0; o < n; o++) {
        heap[dwAt / 4 + ((ky * g.filterW + kx) * inC + c) * n + o] = heap[sums / 4 + (row + o) * inC + c];
      }
    }
  }
}

export { geometry as convolutionGeometry };
export type { Geometry as ConvolutionGeometry };
