/**
 * The WebAssembly kernels of our convolutions, generated as code (see encoder.ts):
 *
 * - gemm: C (+)= A B, a register-blocked matrix product. A is read one number at a time
 *   (broadcast to four lanes), so any layout of A works: A[r, k] is at a + r*aRow + k*aStep
 *   bytes. That lets one kernel multiply by an image-to-columns matrix (forward, input
 *   gradient) and by its transpose (filter gradient) without copying either. B's rows and
 *   C's rows are contiguous runs of n numbers (n a multiple of 4). gemmTable reads A through
 *   tables of offsets instead (a convolution's patches in place).
 * The module also holds the patch walks (im2col, col2im, patchDot: ./patch-kernels.ts), the
 * run copies of our heap kernels (copyRuns, sumRows: ./copy-kernels.ts), the softmax's row
 * kernels (./row-kernels.ts), the element-wise ones, the noise and Winograd's transforms.
 *
 * The matrix product keeps a block of ROWS x 8 results in registers (8 vectors of 4) while it
 * walks k, loading 2 vectors of B and ROWS numbers of A per step: 2*ROWS multiply-adds for
 * 2 + ROWS loads. With relaxed SIMD, the multiply-add is one fused instruction (f32x4.relaxed_madd,
 * FMA on x86 and ARM); without it, a multiply and an add. Measured on the 2-core Xeon
 * (our benchmark's GEMM shapes, in one process): ROWS = 4 gave 50-55 GFLOP/s fused and
 * 43 without, against 30-35 for XNNPACK's matrix product in tfjs-backend-wasm 4.22; ROWS = 6
 * (12 accumulators) spilled registers and ran at 40. Where the columns come in sixteens, the
 * blocks are WIDE_ROWS = 2 rows by 16 columns (still eight accumulators, four vectors of B and
 * two numbers of A a step): each row of A is read once for 16 columns instead of twice, and a
 * step takes two additions of addresses fewer. Side by side (the kernels swapped in one
 * process): plain products of our layers' shapes 0.85-0.92x the time of 4 x 8 blocks, whole
 * training steps of PixelCNN 0.95x, PixelCNN++ 0.96x, conv-ae 0.94x, the GAN 0.98x and the
 * energy model 0.98x. Where exactly 12 columns remain (an image's first layer's dY W^T: 3x3 taps
 * rounded up to 12), the blocks are TWELVE_ROWS = 3 rows by 12 (nine accumulators, three vectors
 * of B a step) in place of 4 x 8 and 4 x 4: 0.77-0.78x of the time for [3136, 16] x [16, 12],
 * by turns in one process on the AMD EPYC. Each sum is the same, whichever block makes it: the
 * same numbers.
 */
import { adamUpdate } from './adam-kernel';
import { addRuns, copyRuns, padRuns, sumRows, weightedSums, zeroBytes } from './copy-kernels';
import { encodeModule, FunctionWriter } from './encoder';
import { gateForward, gateGradient } from './gate-kernels';
import { batchNormalize, binary, clipGradient, eluGradient, langevinMove, leakyRelu, leakyReluGradient, reluGradient, swishGradient, timesSwishSlope } from './elementwise-kernels';
import { eluForward, exponential, hyperbolicTangent, softplus, swishForward } from './exp-kernels';
import { lstmForward, lstmGradient } from './lstm-kernels';
import { mixtureBins } from './mixture-kernel';
import { mixtureLikelihood, mixtureLikelihoodGradient } from './mixture-likelihood-kernel';
import { normalFast } from './noise-kernel';
import { col2im, gatherSums, im2col, patchDot } from './patch-kernels';
import { maxRows, oneHotDifference, softmaxRows } from './row-kernels';
import { upsampleGradient, upsampleNearest } from './upsampling-kernels';
import { winogradGradientRows, winogradInput, winogradOutput, winogradPairInput, winogradPairOutput } from './winograd-kernels';
import { quadFilterTransform, quadGradientColumns, quadInput, quadInputTile, quadOutput } from './winograd-quad-kernels';

/** A WebAssembly.Memory (core's libraries type neither the DOM's nor Node's WebAssembly). */
export interface HeapMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

/** The parts of the WebAssembly API used here, present in every browser and Node. */
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
};

/** Rows of C per register block of 8 columns; of 16 columns, WIDE_ROWS. */
export const ROWS = 4;
const WIDE_ROWS = 2;
/** Rows of C per register block where exactly 12 columns remain (three vectors each). */
const TWELVE_ROWS = 3;

/**
 * C (+)= A B (+ bias), then max(0, C) if relu: see the file's comment. k must be at least 1,
 * n a multiple of 4; bias is the address of n numbers, or 0 for none. The bias and relu are
 * applied as each block is stored, so a fused layer writes its output once.
 *
 * With `tables` (gemmTable), A[r, s] is at a + rowTable[r] + stepTable[s] (aRow and aStep
 * are the two tables' addresses, i32 byte offsets): a convolution's patch matrix read
 * straight from the (padded) image, A[pixel, tap] = image[base(pixel) + offset(tap)],
 * without copying the patches out first (im2col), and its transpose by swapping the tables.
 * Gathered (gemmGather), C's rows are addressed through a table too, C[r] at c + cRow[r]:
 * a strided convolution's pixels of one border class, wherever they lie (strided.ts); and
 * with slopeS, each sum is multiplied by Swish's slope s + y (1 - s) at its place, s and y
 * shaped like C (../models/swish.ts's gradient in the same float32 operations, fused into an
 * input gradient: the energy model's Langevin walk).
 */
function gemm(fused: boolean, addressing: 'strides' | 'tables' | 'gather' = 'strides'): FunctionWriter {
  const tables = addressing !== 'strides';
  // gathered, C's rows are at c + cRow[r] (a table of byte offsets) instead of c + r ldc
  const gathered = addressing === 'gather';
  const name = { strides: 'gemm', tables: 'gemmTable', gather: 'gemmGather' }[addressing];
  // gathered, the sums may be multiplied by Swish's slope at their own places (slopeS, slopeY: the store's last step below)
  const f = new FunctionWriter(name, ['a', 'aRow', 'aStep', 'b', 'ldb', 'c', gathered ? 'cRow' : 'ldc', 'm', 'n', 'k', 'accumulate', 'bias', 'relu', ...(gathered ? ['slopeS', 'slopeY'] : [])]);
  const [a, aRow, aStep, b, ldb, c, m, n, k, accumulate] = ['a', 'aRow', 'aStep', 'b', 'ldb', 'c', 'm', 'n', 'k', 'accumulate'];
  const [ldc, cRow] = ['ldc', 'cRow'];
  const [i, j, steps, bp, q] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
  // with tables: the next entry of the step table, and the step's offset read from it
  const [stepEntry, stepOffset] = [f.local('i32'), f.local('i32')];
  const splat = f.local('v128');
  // ROWS x 2 vectors, or WIDE_ROWS x 4: eight accumulators either way; or TWELVE_ROWS x 3, nine
  const accumulators = Array.from({ length: ROWS }, (_, r) => Array.from({ length: r < WIDE_ROWS ? 4 : r < TWELVE_ROWS ? 3 : 2 }, () => f.local('v128')));
  const pointers = Array.from({ length: ROWS }, () => f.local('i32'));
  const bVectors = Array.from({ length: 4 }, () => f.local('v128'));
  const wideEnd = f.local('i32');
  const [one, sVector] = gathered ? [f.local('v128'), f.local('v128')] : [0, 0];
  if (gathered) f.f32(1).simd('f32x4.splat').set(one);

  /** A block of `rows` x 4*`vectors` results at (i, j). */
  const block = (rows: number, vectors: number) => {
    for (let r = 0; r < rows; r++) {
      for (let v = 0; v < vectors; v++) f.zeroVector().set(accumulators[r][v]);
      // pointer to A[i + r, 0], or with tables to the row's base: a + rowTable[i + r]
      if (tables) f.get(a).get(aRow).get(i).i32(r).op('i32.add').i32(2).op('i32.shl').op('i32.add').i32Load().op('i32.add').set(pointers[r]);
      else f.get(a).get(i).i32(r).op('i32.add').get(aRow).op('i32.mul').op('i32.add').set(pointers[r]);
    }
    f.get(b).get(j).i32(2).op('i32.shl').op('i32.add').set(bp);
    f.get(k).set(steps);
    if (tables) f.get(aStep).set(stepEntry);
    f.loop((top) => {
      for (let v = 0; v < vectors; v++) f.get(bp).memory('v128.load', 16 * v).set(bVectors[v]);
      f.get(bp).get(ldb).op('i32.add').set(bp);
      if (tables) {
        f.get(stepEntry).i32Load().set(stepOffset);
        f.get(stepEntry).i32(4).op('i32.add').set(stepEntry);
      }
      for (let r = 0; r < rows; r++) {
        if (tables) {
          // A[i + r, step] at the row's base + stepTable[step]
          f.get(pointers[r]).get(stepOffset).op('i32.add').memory('v128.load32_splat').set(splat);
        } else {
          f.get(pointers[r]).memory('v128.load32_splat').set(splat);
          f.get(pointers[r]).get(aStep).op('i32.add').set(pointers[r]);
        }
        for (let v = 0; v < vectors; v++) {
          // acc += A[i + r, step] * B[step, j + 4v .. j + 4v + 3]
          if (fused) f.get(splat).get(bVectors[v]).get(accumulators[r][v]).simd('f32x4.relaxed_madd');
          else f.get(accumulators[r][v]).get(splat).get(bVectors[v]).simd('f32x4.mul').simd('f32x4.add');
          f.set(accumulators[r][v]);
        }
      }
      f.get(steps).i32(1).op('i32.sub').tee(steps).brIf(top);
    });
    for (let r = 0; r < rows; r++) {
      // q = &C[i + r, j]: c + (i + r) ldc + 4j, or gathered c + cRow[i + r] + 4j
      if (gathered) f.get(c).get(cRow).get(i).i32(r).op('i32.add').i32(2).op('i32.shl').op('i32.add').i32Load().op('i32.add');
      else f.get(c).get(i).i32(r).op('i32.add').get(ldc).op('i32.mul').op('i32.add');
      f.get(j).i32(2).op('i32.shl').op('i32.add').set(q);
      f.get(accumulate).when(() => {
        for (let v = 0; v < vectors; v++) f.get(accumulators[r][v]).get(q).memory('v128.load', 16 * v).simd('f32x4.add').set(accumulators[r][v]);
      });
      f.get('bias').when(() => {
        // + bias[j .. j + 4*vectors]
        for (let v = 0; v < vectors; v++) f.get(accumulators[r][v]).get('bias').get(j).i32(2).op('i32.shl').op('i32.add').memory('v128.load', 16 * v).simd('f32x4.add').set(accumulators[r][v]);
      });
      f.get('relu').when(() => {
        for (let v = 0; v < vectors; v++) f.get(accumulators[r][v]).zeroVector().simd('f32x4.max').set(accumulators[r][v]);
      });
      if (gathered) {
        f.get('slopeS').when(() => {
          // times Swish's slope s + y (1 - s), s and y at the sum's own place (q - c) in theirs: swish.ts's gradient, fused
          for (let v = 0; v < vectors; v++) timesSwishSlope(f, accumulators[r][v], () => f.get(q).get(c).op('i32.sub'), 16 * v, one, sVector);
        });
      }
      for (let v = 0; v < vectors; v++) f.get(q).get(accumulators[r][v]).memory('v128.store', 16 * v);
    }
  };

  // the columns in sixteens by WIDE_ROWS x 16 blocks, then the rest: 12 by TWELVE_ROWS x 12, 8 and 4 by
  // ROWS x 8 and x 4
  f.get(n).i32(-16).op('i32.and').tee(wideEnd).when(() => {
    f.i32(0).set(i);
    for (let rows = WIDE_ROWS; rows >= 1; rows--) {
      f.whileLoop(() => f.get(m).get(i).op('i32.sub').i32(rows).op('i32.ge_u'), () => {
        f.i32(0).set(j);
        f.whileLoop(() => f.get(j).get(wideEnd).op('i32.lt_u'), () => {
          block(rows, 4);
          f.get(j).i32(16).op('i32.add').set(j);
        });
        f.get(i).i32(rows).op('i32.add').set(i);
      });
    }
  });
  f.get(wideEnd).get(n).op('i32.lt_u').when(() => {
    f.i32(0).set(i);
    f.get(n).get(wideEnd).op('i32.sub').i32(12).op('i32.eq').ifElse(() => {
      // twelve columns left (an image's first layer's dY W^T, 3x3 taps rounded up to 12): blocks of
      // TWELVE_ROWS x 12, nine accumulators and three vectors of B a step, where a 4 x 8 and a 4 x 4
      // block took 31 instructions for 12 multiply-adds
      for (let rows = TWELVE_ROWS; rows >= 1; rows--) {
        f.whileLoop(() => f.get(m).get(i).op('i32.sub').i32(rows).op('i32.ge_u'), () => {
          f.get(wideEnd).set(j);
          block(rows, 3);
          f.get(i).i32(rows).op('i32.add').set(i);
        });
      }
    }, () => {
      for (let rows = ROWS; rows >= 1; rows--) {
        // while (m - i >= rows): the full blocks first, then at most one block of each smaller height
        f.whileLoop(() => f.get(m).get(i).op('i32.sub').i32(rows).op('i32.ge_u'), () => {
          f.get(wideEnd).set(j);
          f.whileLoop(() => f.get(n).get(j).op('i32.sub').i32(8).op('i32.ge_u'), () => {
            block(rows, 2);
            f.get(j).i32(8).op('i32.add').set(j);
          });
          f.get(n).get(j).op('i32.sub').i32(4).op('i32.ge_u').when(() => block(rows, 1));
          f.get(i).i32(rows).op('i32.add').set(i);
        });
      }
    });
  });
  return f;
}

/** The module's bytes: gemm, gemmTable, gemmGather, im2col, col2im, gatherSums, zeroBytes, copyRuns, addRuns, padRuns, sumRows, weightedSums, upsampleNearest, upsampleGradient, patchDot, maxRows, oneHotDifference, softmaxRows, swishGradient, swishForward, eluForward, exponential, softplus, reluGradient, leakyRelu, leakyReluGradient, eluGradient, clipGradient, batchNormalize, add, subtract, multiply, langevinMove, normalFast and the Winograd transforms (winogradInput, winogradOutput, winogradGradientRows, winogradPairInput, winogradPairOutput), adamUpdate, gateForward, gateGradient, hyperbolicTangent, lstmForward, lstmGradient, mixtureBins, mixtureLikelihood, mixtureLikelihoodGradient, and F(4, 3)'s and F(4, 5)'s column transforms and filter transforms (quadInput3, quadInputRows3, quadInputTile3, quadOutput3, quadGradientColumns3, quadFilter3, quadFilterGradient3, and the same with 5) over the memory env.memory. */
export function kernelModule(fused: boolean, sharedMemory: boolean): Uint8Array {
  return encodeModule([gemm(fused), gemm(fused, 'tables'), gemm(fused, 'gather'), im2col(), col2im(), gatherSums(), zeroBytes(), copyRuns(), addRuns(), padRuns(), sumRows(), weightedSums(), upsampleNearest(), upsampleGradient(), patchDot(fused), maxRows(), oneHotDifference(), softmaxRows(fused), swishGradient(), swishForward(4, fused), eluForward(4, fused), exponential(), softplus(), reluGradient(), leakyRelu(), leakyReluGradient(), eluGradient(fused), clipGradient(), batchNormalize(), binary('add'), binary('subtract'), binary('multiply'), langevinMove(), normalFast(), winogradInput(), winogradOutput(), winogradGradientRows(), winogradPairInput(), winogradPairOutput(), adamUpdate(), gateForward(4, fused), gateGradient(), hyperbolicTangent(), lstmForward(fused), lstmGradient(), mixtureBins(), mixtureLikelihood(), mixtureLikelihoodGradient(), ...([3, 5] as const).flatMap((taps) => [quadInput(taps, fused), quadInput(taps, fused, true), quadInputTile(taps, fused), quadOutput(taps, fused), quadGradientColumns(taps, fused), quadFilterTransform(taps, false), quadFilterTransform(taps, true)])], sharedMemory);
}

/** Can this engine run relaxed SIMD's fused multiply-adds (relaxed_madd and relaxed_nmadd, which the kernels use)? */
export function hasRelaxedSimd(): boolean {
  const probe = new FunctionWriter('probe', []);
  probe.zeroVector().zeroVector().zeroVector().simd('f32x4.relaxed_madd').emit(0x1a); // drop
  probe.zeroVector().zeroVector().zeroVector().simd('f32x4.relaxed_nmadd').emit(0x1a);
  return WebAssembly.validate(encodeModule([probe], false));
}

/** The kernels as callable functions; addresses and strides in bytes. */
export interface WasmKernels {
  gemm(a: number, aRow: number, aStep: number, b: number, ldb: number, c: number, ldc: number, m: number, n: number, k: number, accumulate: number, bias?: number, relu?: number): void;
  /**
   * Independent products, each gemm's 13 arguments (bias and relu included): one after the
   * other, each whole, on the calling thread even where a pool of kernel threads runs
   * (kernel-bands.ts), or on the thread that takes a recorded band (heap.ts, eachRun): the same
   * numbers on any number of threads.
   */
  gemmEach(products: number[][]): void;
  /** gemm with A[r, s] at a + rowTable[r] + stepTable[s] (tables of i32 byte offsets). */
  gemmTable(a: number, rowTable: number, stepTable: number, b: number, ldb: number, c: number, ldc: number, m: number, n: number, k: number, accumulate: number, bias?: number, relu?: number): void;
  /**
   * gemmTable with C's rows at c + cRowTable[r] too: a product's rows gathered and scattered
   * (strided.ts); then, with slopeS, each sum times s + y (1 - s), s and y read at slopeS and
   * slopeY plus the sum's own offset from c (Swish's gradient, fused).
   */
  gemmGather(a: number, rowTable: number, stepTable: number, b: number, ldb: number, c: number, cRowTable: number, m: number, n: number, k: number, accumulate: number, bias: number, relu: number, slopeS: number, slopeY: number): void;
  im2col(image: number, matrix: number, colStride: number, ...patch: number[]): void;
  col2im(matrix: number, colStride: number, image: number, ...patch: number[]): void;
  /** for each image, target[targetTable[p]] = sum over t < terms of matrix[sourceTable[p] + stepTable[t]] (patch-kernels.ts) */
  gatherSums(matrix: number, matrixImage: number, sourceTable: number, stepTable: number, target: number, targetImage: number, targetTable: number, images: number, pixels: number, terms: number): void;
  /** `bytes` (a multiple of 4) zeroed at `at` */
  zeroBytes(at: number, bytes: number): void;
  copyRuns(source: number, sourceStride: number, target: number, targetStride: number, runs: number, bytes: number): void;
  /** upsampleNearest: rows over images and input rows, pixels of pixelBytes, whole scales (see upsampleNearest). */
  upsampleNearest(source: number, target: number, rows: number, width: number, pixelBytes: number, scaleH: number, scaleW: number): void;
  /** upsampleGradient: dx's rows over images and input rows, float32 channels, whole scales (see upsampleGradient). */
  upsampleGradient(dy: number, dx: number, rows: number, width: number, channels: number, scaleH: number, scaleW: number): void;
  /** copyRuns, adding each run's float32 values to the target's */
  addRuns(source: number, sourceStride: number, target: number, targetStride: number, runs: number, bytes: number): void;
  /** copyRuns, the targetStride - bytes bytes after each run but the last zeroed */
  padRuns(source: number, sourceStride: number, target: number, targetStride: number, runs: number, bytes: number): void;
  sumRows(source: number, rows: number, columns: number, total: number): void;
  /** for each image and each of the table's groups, a run at the target = the sum of weighted runs of the source; with slopeS, times Swish's slope (copy-kernels.ts, weightedSums) */
  weightedSums(table: number, groups: number, bytes: number, source: number, sourceImage: number, target: number, targetImage: number, images: number, slopeS: number, slopeY: number): void;
  maxRows(source: number, rows: number, columns: number, out: number): void;
  oneHotDifference(p: number, values: number, gradients: number, out: number, rows: number, columns: number): void;
  softmaxRows(logits: number, values: number, p: number, offsets: number, sums: number, rows: number, columns: number): void;
  swishGradient(dy: number, s: number, y: number, out: number, count: number): void;
  swishForward(x: number, s: number, y: number, count: number): void;
  eluForward(x: number, out: number, count: number): void;
  exponential(x: number, out: number, count: number): void;
  softplus(x: number, out: number, count: number): void;
  reluGradient(dy: number, x: number, out: number, count: number): void;
  /** alpha as float32 bits */
  leakyRelu(x: number, out: number, count: number, alphaBits: number): void;
  /** alpha as float32 bits */
  leakyReluGradient(dy: number, x: number, out: number, count: number, alphaBits: number): void;
  clipGradient(dy: number, x: number, out: number, count: number, lowBits: number, highBits: number): void;
  eluGradient(dy: number, y: number, out: number, count: number): void;
  /** batchNormalize: `rows` rows of `channels` (in fours) numbers, the four per-channel arrays' addresses (see batchNormalize). */
  batchNormalize(x: number, out: number, rows: number, channels: number, mean: number, scale: number, offset: number, factor: number): void;
  add(a: number, b: number, out: number, count: number): void;
  subtract(a: number, b: number, out: number, count: number): void;
  multiply(a: number, b: number, out: number, count: number): void;
  winogradInput(image: number, rowBytes: number, v0: number, v1: number, v2: number, v3: number, tiles: number): void;
  winogradOutput(m0: number, m1: number, m2: number, m3: number, rowBytes: number, out: number, outStride: number, tiles: number, odd: number, relu: number): void;
  winogradGradientRows(dy: number, rowBytes: number, e0: number, e1: number, e2: number, e3: number, tiles: number, pair: number): void;
  winogradPairInput(image: number, rowBytes: number, v0: number, v1: number, v2: number, tiles: number): void;
  winogradPairOutput(m0: number, m1: number, m2: number, rowBytes: number, out: number, outStride: number, tiles: number, odd: number, accumulate: number, relu: number): void;
  /** the four constants as float32 bits */
  langevinMove(x: number, g: number, noise: number, out: number, count: number, stepBits: number, clipBits: number, lowBits: number, highBits: number): void;
  normalFast(out: number, count: number, state: number, tables: number, slow: number): void;
  /** patchDot: the patch parameters of patchWalk, then out, n, depthBytes and quads (1: four pixels at once where they fit; see patchDot). */
  patchDot(image: number, filterT: number, ...patchOutNDepth: number[]): void;
  /** adam-kernel.ts: x, m, v, g, the addresses of 1 - beta1^t and 1 - beta2^t, the outputs x', m', v', count, then ADAM_SCALARS as float32 bits */
  adamUpdate(...addressesCountAndBits: number[]): void;
  gateForward(c2: number, h: number, out: number, s: number, pixels: number, channels: number): void;
  gateGradient(dy: number, c2: number, s: number, dc2: number, pixels: number, channels: number): void;
  hyperbolicTangent(x: number, out: number, count: number): void;
  /** lstm-kernels.ts: gates [rows, 4U] and c' [rows, U] -> h, c, tanh(c) [rows, U] and the activations [rows, 4U] */
  lstmForward(gates: number, previous: number, h: number, c: number, act: number, tanhC: number, rows: number, units: number): void;
  lstmGradient(dh: number, dc: number, act: number, tanhC: number, previous: number, dGates: number, dPrevious: number, rows: number, units: number): void;
  /** PixelCNN++'s mixture over the 256 values (./mixture-kernel.ts): [rows, K] each of mu, 1/s, log pi, log pi + bin width; out [rows, 256] */
  mixtureBins(means: number, inverses: number, edgeWeights: number, binWeights: number, edges: number, scratch: number, out: number, rows: number, components: number): void;
  /** PixelCNN++'s loss (./mixture-likelihood-kernel.ts): [rows, K] each of log pi, mu, log s and values [rows] int32 -> log P(v) [rows] and its three [rows, K] derivatives */
  mixtureLikelihood(logWeights: number, means: number, logScales: number, values: number, scratch: number, out: number, byWeights: number, byMeans: number, byLogScales: number, rows: number, components: number): void;
  /** the three derivatives times each row's dy */
  mixtureLikelihoodGradient(dy: number, byWeights: number, byMeans: number, byLogScales: number, outWeights: number, outMeans: number, outLogScales: number, rows: number, components: number): void;
  /**
   * winograd-quad-kernels.ts: F(4, 3) and F(4, 5) along the columns, four output columns from
   * six or eight planes (their addresses, then `tiles`), `rowBytes` a column's channels
   */
  quadInput3(image: number, rowBytes: number, ...planesThenTiles: number[]): void;
  quadInput5(image: number, rowBytes: number, ...planesThenTiles: number[]): void;
  /** quadInput along an image's rows (rowBytes apart): then runBytes of each row to transform, and the zero bytes before and after them in a plane's row */
  quadInputRows3(image: number, rowBytes: number, ...planesThenTilesAndRun: number[]): void;
  quadInputRows5(image: number, rowBytes: number, ...planesThenTilesAndRun: number[]): void;
  /** quadInputRows for one tile, each of its six or eight rows at an address of its own, then the planes, runBytes, before and after */
  quadInputTile3(...rowsPlanesAndRun: number[]): void;
  quadInputTile5(...rowsPlanesAndRun: number[]): void;
  /** the products' addresses, then rowBytes, out, outStride, tiles and relu */
  quadOutput3(...productsThenLayout: number[]): void;
  quadOutput5(...productsThenLayout: number[]): void;
  quadGradientColumns3(dy: number, rowBytes: number, ...planesThenTiles: number[]): void;
  quadGradientColumns5(dy: number, rowBytes: number, ...planesThenTiles: number[]): void;
  /** U = G g of F(4, 3) and F(4, 5): the planes (`size` floats each, from byte address `to` on) from the taps (from `from` on); sums in float64 (winograd-quad-kernels.ts). `size` a multiple of 4: 16 bytes are read and written at a time. */
  quadFilter3(from: number, size: number, to: number): void;
  quadFilter5(from: number, size: number, to: number): void;
  /** dW = G^T P: the taps' gradients (at byte address `to`) from the planes' sums (at `from`); `size` as above */
  quadFilterGradient3(from: number, size: number, to: number): void;
  quadFilterGradient5(from: number, size: number, to: number): void;
}

let checkArguments = false;

/**
 * For tests: kernels instantiated from now on check that every call passes as many arguments
 * as the kernel has parameters, each a whole number. An address taken from a scratch region
 * that was never made is undefined, which WebAssembly reads as 0: the kernel would write over
 * the heap's start and fail, if at all, elsewhere. Spread from too short a list, the later
 * arguments would shift, and the last read as 0.
 */
export function checkKernelArguments(on: boolean): void {
  checkArguments = on;
}

/** The module's exports with each call's arguments checked (checkKernelArguments): as many as the function's parameters, each a whole number. */
function checked(exports: Record<string, (...args: number[]) => void>): Record<string, (...args: number[]) => void> {
  const entries = Object.entries(exports).map(([name, kernel]) => [
    name,
    (...args: number[]) => {
      if (args.length !== kernel.length) throw new Error(`${name}: ${args.length} arguments for ${kernel.length} parameters`);
      const bad = args.findIndex((value) => !Number.isInteger(value));
      if (bad >= 0) throw new Error(`${name}: argument ${bad} is ${args[bad]}`);
      kernel(...args);
    },
  ]);
  return Object.fromEntries(entries);
}

/** Is `memory` shared (the threaded WASM build's heap, in a cross-origin isolated page)? */
export function isSharedHeap(memory: HeapMemory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

/** Our kernel module compiled for `memory` (its import declared shared where the heap is): kernel-threads.ts's workers instantiate the same one. */
export function compileKernels(memory: HeapMemory, fused: boolean): object {
  return new WebAssembly.Module(kernelModule(fused, isSharedHeap(memory)));
}

/** Instantiates the kernels on `memory` (a heap they share with whoever allocates in it). */
export function instantiateKernels(memory: HeapMemory, fused: boolean, module = compileKernels(memory, fused)): WasmKernels {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const exports = instance.exports as Record<string, (...args: number[]) => void>;
  return kernelsFrom(checkArguments ? checked(exports) : exports);
}

/** The exports whose parameters our callers pass as they are, then the five that take defaults or another order. */
type Wrapped = 'patchDot' | 'gemm' | 'gemmTable' | 'im2col' | 'col2im';

/**
 * The kernels as our callers call them, over functions with the module's exports' names and
 * parameters: the instance's own, or others that stand for them (kernel-programs.ts's recorders).
 */
export function kernelsFrom(exports: Record<string, (...args: number[]) => void>): WasmKernels {
  const e = exports as unknown as Omit<WasmKernels, Wrapped> & Record<Wrapped, (...args: number[]) => void>;
  return {
    ...e,
    gemmEach: (products) => products.forEach((p) => e.gemm(...p)),
    patchDot: (image, filterT, ...rest) => e.patchDot(image, filterT, 0, ...rest),
    // bias 0 and relu 0: none
    gemm: (a, aRow, aStep, b, ldb, c, ldc, m, n, k, accumulate, bias = 0, relu = 0) => e.gemm(a, aRow, aStep, b, ldb, c, ldc, m, n, k, accumulate, bias, relu),
    gemmTable: (a, rowTable, stepTable, b, ldb, c, ldc, m, n, k, accumulate, bias = 0, relu = 0) => e.gemmTable(a, rowTable, stepTable, b, ldb, c, ldc, m, n, k, accumulate, bias, relu),
    im2col: (image, matrix, colStride, ...patch) => e.im2col(image, matrix, colStride, ...patch),
    // col2im's first parameter is the image it adds to, as patchWalk names them
    col2im: (matrix, colStride, image, ...patch) => e.col2im(image, matrix, colStride, ...patch),
  };
}
