/**
 * Which of our kernels' calls go to the pool's threads (./kernel-threads.ts), and cut how:
 * products into bands of rows or columns, element-wise calls into bands of units
 * (./unit-bands.ts), each where it is large enough to pay for the threads' waking;
 * withKernelThreads wraps the kernels so that their callers need not know.
 */
import { MAX_BANDS, type KernelThreads, type ThreadedKernel } from './kernel-threads';
import type { WasmKernels } from './kernels';
import { bandArguments, ONE_FLOAT, UNIT_LAYOUTS, unitWork, type UnitKernel, type UnitLayout } from './unit-bands';

/** A product of fewer multiply-adds than this runs on the calling thread alone (about 10 microseconds of work at 50 GFLOP/s). */
export const MIN_PARALLEL = 1 << 18;

/**
 * Where the pool's workers are asleep (more than 0.05 ms since its last job), a product of
 * fewer multiply-adds than this runs on the calling thread alone: about 85 microseconds of
 * work, where a worker takes 15-50 to wake, so that half of it is about what a waking costs.
 * Products between MIN_PARALLEL and this are cut only while the workers still spin, as in a
 * pass's run of products. A small model's dense products (ae's [64, 256] x [256, 64] on 2-D
 * points, 2^20 multiply-adds) each woke a worker gone to sleep between the app's steps, and
 * in the app on a 2-core machine the autoencoder on the ring trained about 15% slower on
 * two threads of ours than on one (docs/performance.md, "Our second thread on a 2-core
 * machine, in the app: taken").
 */
export const MIN_PARALLEL_ASLEEP = 1 << 21;

/** Is a product of `work` multiply-adds worth the pool's threads, whose workers are `spinning` or asleep (then from `asleep` multiply-adds)? */
export const sharesProduct = (work: number, spinning: boolean, asleep = MIN_PARALLEL_ASLEEP): boolean => work >= (spinning ? MIN_PARALLEL : Math.max(MIN_PARALLEL, asleep));

/**
 * An element-wise call of less work than this (unit-bands.ts's unitWork: numbers that take
 * an exponential each, about 0.6 ns; four of a kernel bound by memory count as one) runs on
 * the calling thread alone: about 150 microseconds, where a worker asleep takes 15-50 to
 * wake, and its waking slowed the caller's own bands too. Within 0.05 ms of the
 * pool's last job its workers still spin, and a quarter of it pays. By a scratch run on this
 * 2-core host, loaded (ELU and Add alone against cut into bands on two threads, by turns):
 * with the worker asleep, ELU took 1.05-1.18x of its time at 131,072 numbers and 0.77-0.91x
 * at 276,000, Add 1.02-1.05x at 524,288 and 0.91-0.96x at 2^20; with it spinning, ELU
 * 0.55x at 131,072 and 0.80-1.02x at 32,768, Add 1.03x at 131,072 and 0.60-0.66x at 524,288.
 */
export const MIN_PARALLEL_WORK = 1 << 18;
const MIN_PARALLEL_WORK_SPINNING = MIN_PARALLEL_WORK / 4;

/** Bands a call is cut into: two a thread, so a thread that starts late leaves its second to another. */
const BANDS_PER_THREAD = 2;

/** A band of a product: rows [first, first + count), or columns. */
export interface Band {
  first: number;
  count: number;
}

/**
 * C[m, n] cut for `threads` threads, two bands a thread: into bands of rows in multiples of
 * 4 (our register blocks' height) where there are at least 8 rows a band, else of columns
 * in multiples of 4 (C's columns come in fours), at least 8 a band; one band where it cannot
 * be cut or is too small to be worth it. A band of 4 columns makes one multiply-add for each
 * number of A it loads: the energy model's first filter gradient (9 rows, 16 columns) took
 * 1.66-1.73x of one thread's time on two in four such bands, 1.21-1.23x in two of 8
 * (`npm run bench:pass-threads -- --only "1 -> 16"`).
 */
export function productBands(m: number, n: number, k: number, threads: number): { along: 'rows' | 'columns'; bands: Band[] } {
  const whole = { along: 'rows' as const, bands: [{ first: 0, count: m }] };
  if (threads < 2 || m * n * k < MIN_PARALLEL) return whole;
  const wanted = Math.min(MAX_BANDS, threads * BANDS_PER_THREAD);
  if (m >= 8 * threads) return { along: 'rows', bands: alignedBands(m, Math.min(wanted, Math.floor(m / 8)), 4) };
  if (n >= 16 && n % 4 === 0) return { along: 'columns', bands: alignedBands(n, Math.min(wanted, Math.floor(n / 8)), 4) };
  return whole;
}

/** [0, size) cut into at most `parts` bands, as even as multiples of `align` allow, each but the last a multiple of it. */
function alignedBands(size: number, parts: number, align: number): Band[] {
  const blocks = Math.ceil(size / align);
  const bands: Band[] = [];
  for (let part = 0, first = 0; part < parts && first < size; part++) {
    const count = Math.min(size - first, Math.ceil((blocks - first / align) / (parts - part)) * align);
    bands.push({ first, count });
    first += count;
  }
  return bands;
}

/**
 * `units` units of an element-wise call cut for `threads` threads, two bands a thread, in
 * multiples of `align` units (16 numbers: four vectors, so that each band but the last runs
 * the kernels' unrolled loops whole); one band where the call is too small to be worth it
 * (`work` under MIN_PARALLEL_WORK, or a quarter of it while the workers are `spinning`) or
 * cannot be cut.
 */
export function unitBands(units: number, work: number, align: number, threads: number, spinning = false): Band[] {
  if (threads < 2 || work < (spinning ? MIN_PARALLEL_WORK_SPINNING : MIN_PARALLEL_WORK)) return [{ first: 0, count: units }];
  return alignedBands(units, Math.min(MAX_BANDS, threads * BANDS_PER_THREAD, Math.ceil(units / align)), align);
}

/** A call of an element-wise kernel cut into bands of units (`align` of them at a time) over `pool`, or run here where it is not worth cutting. */
function splitUnits(pool: KernelThreads | null, name: UnitKernel, layout: UnitLayout, align: number, kernel: (...args: number[]) => void, args: number[]): void {
  if (!pool) return kernel(...args);
  const work = unitWork(layout, args);
  // most calls are too small to cut: answer them before the clock and the bands
  if (work < MIN_PARALLEL_WORK_SPINNING) return kernel(...args);
  const bands = unitBands(args[layout.count], work, align, pool.count, pool.spinning);
  if (bands.length < 2) kernel(...args);
  else pool.run(name, bands.map(({ first, count }) => bandArguments(layout, args, first, count)), kernel);
}

/**
 * The kernels with gemm, gemmTable and gemmGather cut into bands over `threadsOf()`'s pool,
 * and the element-wise kernels of unit-bands.ts cut into bands of units
 * (asked at each call: a pool may start or stop after the kernels are made); every other
 * kernel as it is. A product is cut from MIN_PARALLEL multiply-adds while the workers spin,
 * else from `productsAsleep` (MIN_PARALLEL_ASLEEP; tests of the bands lower it). gemmEach's
 * lists of small products too: shared out a job of whole products at a time, a strided pass by phases at batch 2-13 took 1.2-2.5x of one thread's time on two
 * (`npm run bench:pass-threads`' way); where a pass's images go in bands (heap.ts, eachRun),
 * each band's list is made by the thread that takes the band. Bands run at once, so a product
 * cut must not write any place twice (C's rows, through a row table too, apart) nor write
 * what it reads (C apart from A and B): true of every caller (strided.ts's classes write each
 * output pixel once).
 */
export function withKernelThreads(kernels: WasmKernels, threadsOf: () => KernelThreads | null, { productsAsleep = MIN_PARALLEL_ASLEEP } = {}): WasmKernels {
  const { gemm, gemmTable, gemmGather } = kernels;
  // argument positions: a, aRow (or the row table), aStep (or the step table), b, ldb, c, ldc (or the row table of C), m, n, k, accumulate, bias, relu[, slopeS, slopeY]
  const split = (pool: KernelThreads, kernel: ThreadedKernel, here: (...args: number[]) => void, args: number[]): void => {
    const [m, n, k] = [args[7], args[8], args[9]];
    const { along, bands } = productBands(m, n, k, pool.count);
    const parts = bands.map(({ first, count }) => {
      const part = [...args];
      if (along === 'rows') {
        if (kernel === 'gemm') part[0] += first * args[1]; // A's rows aRow bytes apart
        else part[1] += first * 4; // the row table's entries
        if (kernel === 'gemmGather') part[6] += first * 4; // C's row table
        else part[5] += first * args[6]; // C's rows ldc bytes apart
        part[7] = count;
      } else {
        part[3] += first * 4; // B's columns
        part[5] += first * 4; // C's columns (gathered rows too: the table holds row starts)
        if (args[11]) part[11] += first * 4; // the bias per column
        if (kernel === 'gemmGather' && args[13]) {
          // Swish's slope is read at slopeS and slopeY plus the sum's offset from c: c moved by first columns, so they move too
          part[13] += first * 4;
          part[14] += first * 4;
        }
        part[8] = count;
      }
      return part;
    });
    if (parts.length < 2) here(...args);
    else pool.run(kernel, parts, here);
  };
  /** The pool, where there is one with more than this thread. */
  const anyPool = (): KernelThreads | null => {
    const pool = threadsOf();
    return pool && pool.count > 1 ? pool : null;
  };
  /** The pool, where there is one and the product is large enough to share: MIN_PARALLEL while its workers spin, else MIN_PARALLEL_ASLEEP. */
  const shared = (m: number, n: number, k: number): KernelThreads | null => {
    const work = m * n * k;
    // most products are too small for either threshold: answered before the pool is looked up
    if (work < MIN_PARALLEL) return null;
    const pool = anyPool();
    return pool && sharesProduct(work, pool.spinning, productsAsleep) ? pool : null;
  };
  const elementwise = Object.fromEntries(
    (Object.entries(UNIT_LAYOUTS) as Array<[UnitKernel, UnitLayout]>).map(([name, layout]) => {
      const kernel = kernels[name] as (...args: number[]) => void;
      // a unit of one number a pointer: numbers, in sixteens; else pixels or rows, one at a time
      const align = layout.walks.every(([, floats]) => floats === ONE_FLOAT) ? 16 : 1;
      return [name, (...args: number[]) => splitUnits(anyPool(), name, layout, align, kernel, args)];
    }),
  ) as unknown as Pick<WasmKernels, UnitKernel>;
  return {
    ...kernels,
    ...elementwise,
    gemm: (a, aRow, aStep, b, ldb, c, ldc, m, n, k, accumulate, bias = 0, relu = 0) => {
      const pool = shared(m, n, k);
      if (pool) split(pool, 'gemm', gemm, [a, aRow, aStep, b, ldb, c, ldc, m, n, k, accumulate, bias, relu]);
      else gemm(a, aRow, aStep, b, ldb, c, ldc, m, n, k, accumulate, bias, relu);
    },
    gemmTable: (a, rowTable, stepTable, b, ldb, c, ldc, m, n, k, accumulate, bias = 0, relu = 0) => {
      const pool = shared(m, n, k);
      if (pool) split(pool, 'gemmTable', gemmTable, [a, rowTable, stepTable, b, ldb, c, ldc, m, n, k, accumulate, bias, relu]);
      else gemmTable(a, rowTable, stepTable, b, ldb, c, ldc, m, n, k, accumulate, bias, relu);
    },
    gemmGather: (a, rowTable, stepTable, b, ldb, c, cRowTable, m, n, k, accumulate, bias, relu, slopeS, slopeY) => {
      const pool = shared(m, n, k);
      if (pool) split(pool, 'gemmGather', gemmGather, [a, rowTable, stepTable, b, ldb, c, cRowTable, m, n, k, accumulate, bias, relu, slopeS, slopeY]);
      else gemmGather(a, rowTable, stepTable, b, ldb, c, cRowTable, m, n, k, accumulate, bias, relu, slopeS, slopeY);
    },
  };
}
