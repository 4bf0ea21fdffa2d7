/**
 * The WebAssembly kernels of our convolutions, generated as code (see encoder.ts):
 *
 * - gemm: C (+)= A B, a register-blocked matrix product. A is read one number at a time
 *   (broadcast to four lanes), so any layout of A works: A[r, k] is at a + r*aRow + k*aStep
 *   bytes. That lets one kernel multiply by an image-to-columns matrix (forward, input
 *   gradient) and by its transpose (filter gradient) without copying either. B's rows and
 *   C's rows are contiguous runs of n numbers (n a multiple of 4).
 * - im2col: copies the input patches of a range of output pixels into matrix rows;
 * - col2im: adds matrix rows back onto the input pixels they came from (the adjoint of im2col).
 * The same module holds the kernels of our heap kernels: copyRuns, sumRows, and the softmax's
 * row kernels (./row-kernels.ts).
 *
 * The matrix product keeps a block of ROWS x 8 results in registers (8 vectors of 4) while it
 * walks k, loading 2 vectors of B and ROWS numbers of A per step: 2*ROWS multiply-adds for
 * 2 + ROWS loads. With relaxed SIMD, the multiply-add is one fused instruction (f32x4.relaxed_madd,
 * FMA on x86 and ARM); without it, a multiply and an add. Measured on the 2-core Xeon
 * (our benchmark's GEMM shapes, in one process): ROWS = 4 gave 50-55 GFLOP/s fused and
 * 43 without, against 30-35 for XNNPACK's matrix product in tfjs-backend-wasm 4.22; ROWS = 6
 * (12 accumulators) spilled registers and ran at 40.
 */
import { encodeModule, FunctionWriter } from './encoder';
import { langevinMove, reluGradient, swishGradient } from './elementwise-kernels';
import { normalFast } from './noise-kernel';
import { maxRows, oneHotDifference } from './row-kernels';
import { winogradGradientRows, winogradInput, winogradOutput } from './winograd-kernels';

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

/** Rows of C per register block. */
export const ROWS = 4;

/**
 * C (+)= A B (+ bias), then max(0, C) if relu: see the file's comment. k must be at least 1,
 * n a multiple of 4; bias is the address of n numbers, or 0 for none. The bias and relu are
 * applied as each block is stored, so a fused layer writes its output once.
 *
 * With `tables` (gemmTable), A[r, s] is at a + rowTable[r] + stepTable[s] (aRow and aStep
 * are the two tables' addresses, i32 byte offsets): a convolution's patch matrix read
 * straight from the (padded) image, A[pixel, tap] = image[base(pixel) + offset(tap)],
 * without copying the patches out first (im2col), and its transpose by swapping the tables.
 */
function gemm(fused: boolean, tables = false): FunctionWriter {
  const f = new FunctionWriter(tables ? 'gemmTable' : 'gemm', ['a', 'aRow', 'aStep', 'b', 'ldb', 'c', 'ldc', 'm', 'n', 'k', 'accumulate', 'bias', 'relu']);
  const [a, aRow, aStep, b, ldb, c, ldc, m, n, k, accumulate] = ['a', 'aRow', 'aStep', 'b', 'ldb', 'c', 'ldc', 'm', 'n', 'k', 'accumulate'];
  const [i, j, steps, bp, q] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
  // with tables: the next entry of the step table, and the step's offset read from it
  const [stepEntry, stepOffset] = [f.local('i32'), f.local('i32')];
  const [splat, b0, b1] = [f.local('v128'), f.local('v128'), f.local('v128')];
  const accumulators = Array.from({ length: ROWS }, () => [f.local('v128'), f.local('v128')]);
  const pointers = Array.from({ length: ROWS }, () => f.local('i32'));
  const bVectors = [b0, b1];

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
      // q = &C[i + r, j]
      f.get(c).get(i).i32(r).op('i32.add').get(ldc).op('i32.mul').op('i32.add').get(j).i32(2).op('i32.shl').op('i32.add').set(q);
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
      for (let v = 0; v < vectors; v++) f.get(q).get(accumulators[r][v]).memory('v128.store', 16 * v);
    }
  };

  f.i32(0).set(i);
  for (let rows = ROWS; rows >= 1; rows--) {
    // while (m - i >= rows): the full blocks first, then at most one block of each smaller height
    f.whileLoop(() => f.get(m).get(i).op('i32.sub').i32(rows).op('i32.ge_u'), () => {
      f.i32(0).set(j);
      f.whileLoop(() => f.get(n).get(j).op('i32.sub').i32(8).op('i32.ge_u'), () => {
        block(rows, 2);
        f.get(j).i32(8).op('i32.add').set(j);
      });
      f.get(n).get(j).op('i32.sub').i32(4).op('i32.ge_u').when(() => block(rows, 1));
      f.get(i).i32(rows).op('i32.add').set(i);
    });
  }
  return f;
}

/**
 * The parameters im2col and col2im share: a range of output pixels (rows of the matrix,
 * `first` to `first + rows`, counted over batch, output row and column) of a convolution of
 * a [batch, height, width, channels] input by a filterH x filterW filter. Matrix row r holds
 * the patch [filterH, filterW, channels] of output pixel first + r, colStride bytes apart.
 */
const PATCH_PARAMS = ['first', 'rows', 'height', 'width', 'channels', 'outH', 'outW', 'filterH', 'filterW', 'strideH', 'strideW', 'padTop', 'padLeft'] as const;

/**
 * The walk over patches that im2col and col2im share. For each matrix row and filter row,
 * `run` writes the code that moves one run, with these locals set: dst (the matrix row's
 * part for this filter row), iy (the image row, possibly outside the image), kx0 and kx1
 * (the filter columns that fall inside the image), imageRun and matrixRun (byte addresses
 * of filter column kx0 in the image and in the matrix).
 */
function patchWalk(name: string, run: (f: FunctionWriter) => void, extraParams: string[] = []): FunctionWriter {
  const f = new FunctionWriter(name, ['image', 'matrix', 'colStride', ...PATCH_PARAMS, ...extraParams]);
  for (const local of ['row', 'batch', 'oy', 'ox', 'ky', 'iy', 'kx0', 'kx1', 'left', 'dst', 'pixel', 'filterRow', 'imageRun', 'matrixRun']) f.local('i32', local);
  // bytes of one pixel and of one filter row's patch
  f.get('channels').i32(2).op('i32.shl').set('pixel');
  f.get('filterW').get('pixel').op('i32.mul').set('filterRow');
  // (batch, oy, ox) of the first row
  f.get('first').get('outH').get('outW').op('i32.mul').op('i32.div_u').set('batch');
  f.get('first').get('outW').op('i32.div_u').get('outH').op('i32.rem_u').set('oy');
  f.get('first').get('outW').op('i32.rem_u').set('ox');
  f.i32(0).set('row');
  f.whileLoop(() => f.get('row').get('rows').op('i32.lt_u'), () => {
    f.get('matrix').get('row').get('colStride').op('i32.mul').op('i32.add').set('dst');
    // filter columns inside the image: ix = ox*s - padLeft + kx in [0, width)
    f.get('padLeft').get('ox').get('strideW').op('i32.mul').op('i32.sub').set('left');
    clamp(f, () => f.get('left'), () => f.i32(0), () => f.get('filterW')).set('kx0');
    clamp(f, () => f.get('width').get('left').op('i32.add'), () => f.get('kx0'), () => f.get('filterW')).set('kx1');
    f.i32(0).set('ky');
    f.whileLoop(() => f.get('ky').get('filterH').op('i32.lt_u'), () => {
      f.get('oy').get('strideH').op('i32.mul').get('padTop').op('i32.sub').get('ky').op('i32.add').set('iy');
      // &image[batch, iy, ox*s - padLeft + kx0, 0] (not read when iy is outside)
      f.get('image').get('batch').get('height').op('i32.mul').get('iy').op('i32.add').get('width').op('i32.mul')
        .get('kx0').get('left').op('i32.sub').op('i32.add').get('pixel').op('i32.mul').op('i32.add').set('imageRun');
      f.get('dst').get('kx0').get('pixel').op('i32.mul').op('i32.add').set('matrixRun');
      run(f);
      f.get('dst').get('filterRow').op('i32.add').set('dst');
      f.get('ky').i32(1).op('i32.add').set('ky');
    });
    // next output pixel
    f.get('row').i32(1).op('i32.add').set('row');
    f.get('ox').i32(1).op('i32.add').tee('ox').get('outW').op('i32.ge_u').when(() => {
      f.i32(0).set('ox');
      f.get('oy').i32(1).op('i32.add').tee('oy').get('outH').op('i32.ge_u').when(() => {
        f.i32(0).set('oy');
        f.get('batch').i32(1).op('i32.add').set('batch');
      });
    });
  });
  return f;
}

/** min(max(value, low), high) on signed integers, left on the stack. */
function clamp(f: FunctionWriter, value: () => void, low: () => void, high: () => void): FunctionWriter {
  const t = f.local('i32');
  value();
  f.set(t);
  // max(t, low)
  f.get(t); low(); f.get(t); low(); f.op('i32.gt_s').op('select').set(t);
  // min(t, high)
  f.get(t); high(); f.get(t); high(); f.op('i32.lt_s').op('select');
  return f;
}

/** Is the filter row inside the image (0 <= iy < height, one unsigned comparison)? */
const rowInside = (f: FunctionWriter) => f.get('iy').get('height').op('i32.lt_u');

/** Matrix rows <- the image patches; zeros where a patch hangs over the image's border. */
function im2col(): FunctionWriter {
  return patchWalk('im2col', (f) => {
    rowInside(f).ifElse(() => {
      // zeros for columns [0, kx0), the image run [kx0, kx1), zeros for [kx1, filterW)
      move(f, () => f.get('dst'), null, () => f.get('kx0').get('pixel').op('i32.mul'));
      move(f, () => f.get('matrixRun'), () => f.get('imageRun'), () => f.get('kx1').get('kx0').op('i32.sub').get('pixel').op('i32.mul'));
      move(f, () => f.get('dst').get('kx1').get('pixel').op('i32.mul').op('i32.add'), null, () => f.get('filterW').get('kx1').op('i32.sub').get('pixel').op('i32.mul'));
    }, () => {
      move(f, () => f.get('dst'), null, () => f.get('filterRow'));
    });
  });
}

/**
 * A convolution with few output channels (1-3: an image's last layer) straight from the
 * image, without a patch matrix: out[row * n + o] += sum over the patch of image * filter_o,
 * each filter row's run a dot product four numbers at a time. `matrix` is the filter
 * transposed, [n, K] (K bytes `depthBytes`), and colStride 0, so the walk's matrixRun is
 * filter 0's part for the run. Rows of out must hold the bias (or 0) before.
 */
function patchDot(fused: boolean): FunctionWriter {
  return patchWalk('patchDot', (f) => {
    for (const local of ['count', 'o', 'a', 'b', 'remaining', 'at']) f.local('i32', local);
    const [acc, sum] = [f.local('v128', 'acc'), f.local('f32', 'sum')];
    rowInside(f).when(() => {
      f.get('kx1').get('kx0').op('i32.sub').get('channels').op('i32.mul').set('count');
      f.i32(0).set('o');
      f.whileLoop(() => f.get('o').get('n').op('i32.lt_u'), () => {
        f.zeroVector().set(acc);
        f.get('imageRun').set('a');
        f.get('matrixRun').get('o').get('depthBytes').op('i32.mul').op('i32.add').set('b');
        f.get('count').set('remaining');
        f.whileLoop(() => f.get('remaining').i32(4).op('i32.ge_u'), () => {
          if (fused) f.get('a').memory('v128.load').get('b').memory('v128.load').get(acc).simd('f32x4.relaxed_madd');
          else f.get(acc).get('a').memory('v128.load').get('b').memory('v128.load').simd('f32x4.mul').simd('f32x4.add');
          f.set(acc);
          f.get('a').i32(16).op('i32.add').set('a');
          f.get('b').i32(16).op('i32.add').set('b');
          f.get('remaining').i32(4).op('i32.sub').set('remaining');
        });
        // the four lanes, then the last 0-3 products
        f.get(acc).extractLane(0).get(acc).extractLane(1).op('f32.add').get(acc).extractLane(2).op('f32.add').get(acc).extractLane(3).op('f32.add').set(sum);
        f.whileLoop(() => f.get('remaining'), () => {
          f.get(sum).get('a').f32Load().get('b').f32Load().op('f32.mul').op('f32.add').set(sum);
          f.get('a').i32(4).op('i32.add').set('a');
          f.get('b').i32(4).op('i32.add').set('b');
          f.get('remaining').i32(1).op('i32.sub').set('remaining');
        });
        // out[row * n + o] += sum
        f.get('out').get('row').get('n').op('i32.mul').get('o').op('i32.add').i32(2).op('i32.shl').op('i32.add').tee('at');
        f.get('at').f32Load().get(sum).op('f32.add').f32Store();
        f.get('o').i32(1).op('i32.add').set('o');
      });
    });
  }, ['out', 'n', 'depthBytes']);
}

/** Runs shorter than this many bytes are moved by our loop: bulk memory's call costs more (a one-channel image's runs are 12 bytes). */
const BULK_BYTES = 256;

/** Copies `bytes` (a multiple of 4) from `from` to `to`, or zeroes them when `from` is null. */
function move(f: FunctionWriter, to: () => void, from: (() => void) | null, bytes: () => void): void {
  const [at, source, left] = [f.local('i32', 'moveTo'), f.local('i32', 'moveFrom'), f.local('i32', 'moveLeft')];
  to();
  f.set(at);
  if (from) { from(); f.set(source); }
  bytes();
  f.tee(left).i32(BULK_BYTES).op('i32.ge_u').ifElse(() => {
    if (from) f.get(at).get(source).get(left).memoryCopy();
    else f.get(at).i32(0).get(left).memoryFill();
  }, () => {
    const step = (size: number, load: () => void, store: () => void) => {
      f.whileLoop(() => f.get(left).i32(size).op('i32.ge_u'), () => {
        f.get(at);
        load();
        store();
        f.get(at).i32(size).op('i32.add').set(at);
        if (from) f.get(source).i32(size).op('i32.add').set(source);
        f.get(left).i32(size).op('i32.sub').set(left);
      });
    };
    step(16, () => (from ? f.get(source).memory('v128.load') : f.zeroVector()), () => f.memory('v128.store'));
    step(4, () => (from ? f.get(source).f32Load() : f.f32(0)), () => f.f32Store());
  });
}

/** Image pixels += the matrix rows that were copied from them (the image must start at zero). */
function col2im(): FunctionWriter {
  return patchWalk('col2im', (f) => {
    const count = f.local('i32', 'count');
    rowInside(f).when(() => {
      // floats in the run
      f.get('kx1').get('kx0').op('i32.sub').get('channels').op('i32.mul').set(count);
      f.whileLoop(() => f.get(count).i32(4).op('i32.ge_u'), () => {
        f.get('imageRun').get('imageRun').memory('v128.load').get('matrixRun').memory('v128.load').simd('f32x4.add').memory('v128.store');
        f.get('imageRun').i32(16).op('i32.add').set('imageRun');
        f.get('matrixRun').i32(16).op('i32.add').set('matrixRun');
        f.get(count).i32(4).op('i32.sub').set(count);
      });
      f.whileLoop(() => f.get(count), () => {
        f.get('imageRun').get('imageRun').f32Load().get('matrixRun').f32Load().op('f32.add').f32Store();
        f.get('imageRun').i32(4).op('i32.add').set('imageRun');
        f.get('matrixRun').i32(4).op('i32.add').set('matrixRun');
        f.get(count).i32(1).op('i32.sub').set(count);
      });
    });
  });
}

/** `runs` runs of `bytes` bytes (a multiple of 4), from source and target addresses `sourceStride` and `targetStride` bytes apart. */
function copyRuns(): FunctionWriter {
  const f = new FunctionWriter('copyRuns', ['source', 'sourceStride', 'target', 'targetStride', 'runs', 'bytes']);
  f.whileLoop(() => f.get('runs'), () => {
    move(f, () => f.get('target'), () => f.get('source'), () => f.get('bytes'));
    f.get('source').get('sourceStride').op('i32.add').set('source');
    f.get('target').get('targetStride').op('i32.add').set('target');
    f.get('runs').i32(1).op('i32.sub').set('runs');
  });
  return f;
}

/**
 * total[c] = sum_r source[r, c] over `rows` rows of `columns` floats (a bias gradient), the
 * totals (zeroed first) added to row after row, so each is the float32 sum in row order,
 * whatever the lane width.
 */
function sumRows(): FunctionWriter {
  const f = new FunctionWriter('sumRows', ['source', 'rows', 'columns', 'total']);
  for (const local of ['j', 'at', 'into']) f.local('i32', local);
  move(f, () => f.get('total'), null, () => f.get('columns').i32(2).op('i32.shl'));
  f.get('source').set('at');
  f.whileLoop(() => f.get('rows'), () => {
    f.i32(0).set('j');
    f.get('total').set('into');
    f.whileLoop(() => f.get('columns').get('j').op('i32.sub').i32(4).op('i32.ge_u'), () => {
      f.get('into').get('into').memory('v128.load').get('at').memory('v128.load').simd('f32x4.add').memory('v128.store');
      f.get('into').i32(16).op('i32.add').set('into');
      f.get('at').i32(16).op('i32.add').set('at');
      f.get('j').i32(4).op('i32.add').set('j');
    });
    f.whileLoop(() => f.get('j').get('columns').op('i32.lt_u'), () => {
      f.get('into').get('into').f32Load().get('at').f32Load().op('f32.add').f32Store();
      f.get('into').i32(4).op('i32.add').set('into');
      f.get('at').i32(4).op('i32.add').set('at');
      f.get('j').i32(1).op('i32.add').set('j');
    });
    f.get('rows').i32(1).op('i32.sub').set('rows');
  });
  return f;
}

/** The module's bytes: gemm, gemmTable, im2col, col2im, copyRuns, sumRows, patchDot, maxRows, oneHotDifference, swishGradient, reluGradient, langevinMove, normalFast and the Winograd transforms (winogradInput, winogradOutput, winogradGradientRows) over the memory env.memory. */
export function kernelModule(fused: boolean, sharedMemory: boolean): Uint8Array {
  return encodeModule([gemm(fused), gemm(fused, true), im2col(), col2im(), copyRuns(), sumRows(), patchDot(fused), maxRows(), oneHotDifference(), swishGradient(), reluGradient(), langevinMove(), normalFast(), winogradInput(), winogradOutput(), winogradGradientRows()], sharedMemory);
}

/** Can this engine run relaxed SIMD's fused multiply-add? */
export function hasRelaxedSimd(): boolean {
  const probe = new FunctionWriter('probe', []);
  probe.zeroVector().zeroVector().zeroVector().simd('f32x4.relaxed_madd').emit(0x1a); // drop
  return WebAssembly.validate(encodeModule([probe], false));
}

/** The kernels as callable functions; addresses and strides in bytes. */
export interface WasmKernels {
  gemm(a: number, aRow: number, aStep: number, b: number, ldb: number, c: number, ldc: number, m: number, n: number, k: number, accumulate: number, bias?: number, relu?: number): void;
  /** gemm with A[r, s] at a + rowTable[r] + stepTable[s] (tables of i32 byte offsets). */
  gemmTable(a: number, rowTable: number, stepTable: number, b: number, ldb: number, c: number, ldc: number, m: number, n: number, k: number, accumulate: number, bias?: number, relu?: number): void;
  im2col(image: number, matrix: number, colStride: number, ...patch: number[]): void;
  col2im(matrix: number, colStride: number, image: number, ...patch: number[]): void;
  copyRuns(source: number, sourceStride: number, target: number, targetStride: number, runs: number, bytes: number): void;
  sumRows(source: number, rows: number, columns: number, total: number): void;
  maxRows(source: number, rows: number, columns: number, out: number): void;
  oneHotDifference(p: number, values: number, gradients: number, out: number, rows: number, columns: number): void;
  swishGradient(dy: number, s: number, y: number, out: number, count: number): void;
  reluGradient(dy: number, x: number, out: number, count: number): void;
  winogradInput(image: number, rowBytes: number, v0: number, v1: number, v2: number, v3: number, tiles: number): void;
  winogradOutput(m0: number, m1: number, m2: number, m3: number, rowBytes: number, out: number, outStride: number, tiles: number, odd: number, relu: number): void;
  winogradGradientRows(dy: number, rowBytes: number, e0: number, e1: number, e2: number, e3: number, tiles: number, pair: number): void;
  /** the four constants as float32 bits */
  langevinMove(x: number, g: number, noise: number, out: number, count: number, stepBits: number, clipBits: number, lowBits: number, highBits: number): void;
  normalFast(out: number, count: number, state: number, tables: number, slow: number): void;
  /** patchDot: the patch parameters of patchWalk, then out, n and depthBytes (see patchDot). */
  patchDot(image: number, filterT: number, ...patchOutNDepth: number[]): void;
}

/** Instantiates the kernels on `memory` (a heap they share with whoever allocates in it). */
export function instantiateKernels(memory: HeapMemory, fused: boolean): WasmKernels {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const module = new WebAssembly.Module(kernelModule(fused, shared));
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const e = instance.exports as unknown as Pick<WasmKernels, 'copyRuns' | 'sumRows' | 'maxRows' | 'oneHotDifference' | 'swishGradient' | 'reluGradient' | 'langevinMove' | 'normalFast' | 'winogradInput' | 'winogradOutput' | 'winogradGradientRows'> & { patchDot: (...args: number[]) => void } & { gemm: (...args: number[]) => void; gemmTable: (...args: number[]) => void; im2col: (...args: number[]) => void; col2im: (...args: number[]) => void };
  return {
    copyRuns: e.copyRuns,
    sumRows: e.sumRows,
    maxRows: e.maxRows,
    oneHotDifference: e.oneHotDifference,
    swishGradient: e.swishGradient,
    reluGradient: e.reluGradient,
    winogradInput: e.winogradInput,
    winogradOutput: e.winogradOutput,
    winogradGradientRows: e.winogradGradientRows,
    langevinMove: e.langevinMove,
    normalFast: e.normalFast,
    patchDot: (image, filterT, ...rest) => e.patchDot(image, filterT, 0, ...rest),
    // bias 0 and relu 0: none
    gemm: (a, aRow, aStep, b, ldb, c, ldc, m, n, k, accumulate, bias = 0, relu = 0) => e.gemm(a, aRow, aStep, b, ldb, c, ldc, m, n, k, accumulate, bias, relu),
    gemmTable: (a, rowTable, stepTable, b, ldb, c, ldc, m, n, k, accumulate, bias = 0, relu = 0) => e.gemmTable(a, rowTable, stepTable, b, ldb, c, ldc, m, n, k, accumulate, bias, relu),
    im2col: (image, matrix, colStride, ...patch) => e.im2col(image, matrix, colStride, ...patch),
    // col2im's first parameter is the image it adds to, as patchWalk names them
    col2im: (matrix, colStride, image, ...patch) => e.col2im(image, matrix, colStride, ...patch),
  };
}
