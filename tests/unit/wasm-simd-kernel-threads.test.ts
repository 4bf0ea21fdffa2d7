import { afterEach, describe, expect, it } from 'vitest';
import { allowRelaxedSimd } from '../../src/cli/node-backend';
import { MIN_PARALLEL, MIN_PARALLEL_WORK, productBands, unitBands, withKernelThreads } from '../../src/core/wasm-simd/kernel-bands';
import { KernelThreads, MAX_BANDS, type ThreadStarter } from '../../src/core/wasm-simd/kernel-threads';
import { compileKernels, hasRelaxedSimd, instantiateKernels, type WasmKernels } from '../../src/core/wasm-simd/kernels';
import { UNIT_LAYOUTS, unitWork, type UnitKernel } from '../../src/core/wasm-simd/unit-bands';
import { startNodeThread } from '../../src/cli/shared-heap-backend';
import { float32Bits, seededValues } from './wasm-simd-helpers';

/**
 * Our matrix products cut into bands over a pool of threads (src/core/wasm-simd/kernel-threads.ts),
 * here Node's worker_threads over a shared WebAssembly.Memory, as the browser's workers share
 * TF.js's threaded heap: each product gives the numbers the one-thread kernel gives, bit for
 * bit, cut by rows or by columns, through every addressing (gemm, gemmTable, gemmGather with
 * Swish's slope), and each element-wise kernel cut into bands of units; a kernel that fails
 * on a worker is an error on the caller, not a hang.
 */

// the module the browsers run: with relaxed SIMD's multiply-add (Node 20 needs the flag set before any module is made)
allowRelaxedSimd();
const fused = hasRelaxedSimd();
const pools: KernelThreads[] = [];
afterEach(() => pools.splice(0).forEach((pool) => pool.stop()));

/** A shared heap with our kernels on it (the fused module, or the plain one), alone and over a pool of `threads`, and helpers to place and read values. */
async function sharedSandbox(threads: number, variant = fused) {
  const memory = new WebAssembly.Memory({ initial: 1024, maximum: 2048, shared: true });
  const module = compileKernels(memory, variant);
  const alone = instantiateKernels(memory, variant, module);
  const pool = await KernelThreads.start(module, memory, threads, startNodeThread);
  pools.push(pool);
  let current: KernelThreads | null = pool;
  // every product from MIN_PARALLEL, the workers asleep or not: these tests are of the bands, not of when they pay
  const threaded = withKernelThreads(alone, () => current, { productsAsleep: MIN_PARALLEL });
  let next = 64;
  const place = (values: ArrayLike<number>) => {
    const address = next;
    new Float32Array(memory.buffer, address, values.length).set(values);
    next += Math.ceil((values.length * 4 + 12) / 16) * 16;
    return address;
  };
  const placeWords = (values: number[]) => {
    const address = place(new Float32Array(values.length));
    new Int32Array(memory.buffer, address, values.length).set(values);
    return address;
  };
  const bits = (address: number, length: number) => float32Bits(new Float32Array(memory.buffer, address, length));
  /** Places from the heap's start again (what was placed before may be overwritten). */
  const reset = () => (next = 64);
  return { memory, alone, threaded, pool, place, placeWords, bits, reset, placedEnd: () => next, withoutPool: () => (current = null) };
}

describe('productBands', () => {
  it('cuts rows into multiples of four, two bands a thread, that cover the product once, else columns, else nothing', () => {
    const big = Math.ceil(MIN_PARALLEL / (64 * 128));
    for (const threads of [2, 3, 4]) for (const m of [big, big + 1, big + 6, 1000]) {
      const { along, bands } = productBands(m, 64, 128, threads);
      expect(along).toBe('rows');
      expect(bands.length).toBe(Math.min(2 * threads, Math.floor(m / 8)));
      expect(bands.map((band) => band.first)).toEqual(bands.map((_, i) => bands.slice(0, i).reduce((sum, band) => sum + band.count, 0)));
      expect(bands.reduce((sum, band) => sum + band.count, 0)).toBe(m);
      bands.slice(0, -1).forEach((band) => expect(band.count % 4).toBe(0));
      bands.forEach((band) => expect(band.count).toBeGreaterThanOrEqual(m % 4 || 8));
      // as even as fours allow
      expect(Math.max(...bands.map((band) => band.count)) - Math.min(...bands.map((band) => band.count))).toBeLessThanOrEqual(4 + (m % 4 ? 4 : 0));
    }
    // no more than MAX_BANDS, however many threads
    expect(productBands(4096, 64, 64, 64).bands.length).toBe(MAX_BANDS);
    // few rows: columns, in fours, at least 8 a band
    expect(productBands(12, 64, 4096, 2)).toEqual({ along: 'columns', bands: [0, 16, 32, 48].map((first) => ({ first, count: 16 })) });
    expect(productBands(4, 24, 65536, 4)).toEqual({ along: 'columns', bands: [{ first: 0, count: 8 }, { first: 8, count: 8 }, { first: 16, count: 8 }] });
    expect(productBands(9, 16, 4096, 2)).toEqual({ along: 'columns', bands: [{ first: 0, count: 8 }, { first: 8, count: 8 }] });
    // too small, one thread, or neither cut possible: the whole product at once
    expect(productBands(16, 32, 144, 2).bands).toEqual([{ first: 0, count: 16 }]);
    expect(productBands(4096, 64, 64, 1).bands).toEqual([{ first: 0, count: 4096 }]);
    expect(productBands(2, 4, 1 << 20, 2).bands).toEqual([{ first: 0, count: 2 }]);
    expect(productBands(4, 12, 65536, 4).bands).toEqual([{ first: 0, count: 4 }]);
  });
});

describe('unitBands', () => {
  it('cuts units in multiples of the alignment, two bands a thread, covering the call once; not below the work that pays', () => {
    for (const threads of [2, 3, 4]) for (const [units, align] of [[MIN_PARALLEL_WORK, 16], [MIN_PARALLEL_WORK + 37, 16], [4103, 1], [5, 1]]) {
      const bands = unitBands(units, MIN_PARALLEL_WORK, align, threads);
      expect(bands.length, `${units} units on ${threads} threads`).toBe(Math.min(2 * threads, Math.ceil(units / align)));
      expect(bands.map((band) => band.first)).toEqual(bands.map((_, i) => bands.slice(0, i).reduce((sum, band) => sum + band.count, 0)));
      expect(bands.reduce((sum, band) => sum + band.count, 0)).toBe(units);
      bands.slice(0, -1).forEach((band) => expect(band.count % align).toBe(0));
      bands.forEach((band) => expect(band.count).toBeGreaterThan(0));
    }
    expect(unitBands(1 << 22, 1 << 22, 16, 64).length).toBe(MAX_BANDS);
    // too little work, unless the workers still spin from the last job (a quarter then pays); one thread: the whole call
    expect(unitBands(1000, MIN_PARALLEL_WORK - 1, 1, 2)).toEqual([{ first: 0, count: 1000 }]);
    expect(unitBands(1000, MIN_PARALLEL_WORK / 4, 1, 2, true).length).toBe(4);
    expect(unitBands(1000, MIN_PARALLEL_WORK / 4 - 1, 1, 2, true)).toEqual([{ first: 0, count: 1000 }]);
    expect(unitBands(1 << 20, 1 << 20, 16, 1)).toEqual([{ first: 0, count: 1 << 20 }]);
  });
});

/**
 * Each element-wise kernel's arguments for a call of about `scale` times the work that is cut
 * (MIN_PARALLEL_WORK), its inputs placed by `place` (floats) and `placeWords` (int32): units
 * past a multiple of the alignment, so that the last band has a tail.
 */
type Placer = { place: (values: ArrayLike<number>) => number; placeWords: (values: number[]) => number };
const bitsOf = (value: number) => float32Bits([value])[0];
function unitCase(name: UnitKernel, { place, placeWords }: Placer): number[] {
  const heavy = MIN_PARALLEL_WORK + 37;
  const light = 4 * MIN_PARALLEL_WORK + 37;
  const floats = (length: number, seed: number, scale = 4) => {
    const values = seededValues(length, seed);
    for (let i = 0; i < length; i++) values[i] *= scale;
    return place(values);
  };
  const zeros = (length: number) => place(new Float32Array(length));
  // int32 values of 256-way rows, a few out of range
  const categories = (rows: number) => placeWords(Array.from({ length: rows }, (_, r) => (r % 97 === 0 ? 256 : r % 89 === 0 ? -1 : (r * 37) % 256)));
  switch (name) {
    case 'eluForward': case 'exponential': case 'softplus': case 'hyperbolicTangent':
      return [floats(heavy, 1, 20), zeros(heavy), heavy];
    case 'leakyRelu':
      return [floats(light, 1), zeros(light), light, bitsOf(0.2)];
    case 'swishForward':
      return [floats(heavy, 2, 10), zeros(heavy), zeros(heavy), heavy];
    case 'eluGradient': case 'reluGradient': case 'add': case 'subtract': case 'multiply':
      return [floats(light, 3), floats(light, 4, 1), zeros(light), light];
    case 'leakyReluGradient':
      return [floats(light, 3), floats(light, 4), zeros(light), light, bitsOf(0.2)];
    case 'clipGradient':
      return [floats(light, 3), floats(light, 4), zeros(light), light, bitsOf(-1), bitsOf(2)];
    case 'swishGradient':
      return [floats(light, 5), floats(light, 6, 1), floats(light, 7), zeros(light), light];
    case 'langevinMove':
      return [floats(light, 5, 1), floats(light, 6), floats(light, 7, 1), zeros(light), light, bitsOf(0.01), bitsOf(0.03), bitsOf(0), bitsOf(1)];
    case 'gateForward': {
      // pixels of 16 channels: 16 sigmoids a pixel (32 floats read)
      const pixels = Math.ceil(heavy / 16);
      return [floats(pixels * 32, 8), floats(pixels * 16, 9), zeros(pixels * 16), zeros(pixels * 16), pixels, 16];
    }
    case 'gateGradient': {
      const pixels = Math.ceil(light / 32);
      return [floats(pixels * 16, 10), floats(pixels * 32, 11), floats(pixels * 16, 12, 1), zeros(pixels * 32), pixels, 16];
    }
    case 'lstmForward': {
      // rows of 8 units: 32 gates a row
      const rows = Math.ceil(heavy / 32);
      return [floats(rows * 32, 13), floats(rows * 8, 14), zeros(rows * 8), zeros(rows * 8), zeros(rows * 32), zeros(rows * 8), rows, 8];
    }
    case 'lstmGradient': {
      const rows = Math.ceil(light / 32);
      return [floats(rows * 8, 15), floats(rows * 8, 16), floats(rows * 32, 17, 1), floats(rows * 8, 18, 1), floats(rows * 8, 19), zeros(rows * 32), zeros(rows * 8), rows, 8];
    }
    case 'softmaxRows': {
      const rows = Math.ceil(heavy / 256);
      return [floats(rows * 256, 20, 30), categories(rows), zeros(rows * 256), zeros(rows), zeros(rows), rows, 256];
    }
    case 'oneHotDifference': {
      const rows = Math.ceil(light / 256);
      return [floats(rows * 256, 21, 1), categories(rows), floats(rows, 22), zeros(rows * 256), rows, 256];
    }
  }
}

// both modules: the plain one where an engine has no relaxed SIMD, the fused one the browsers run
describe.each([[2, false], [2, fused], [3, fused]])('element-wise kernels on %i threads, fused multiply-add %s', (threads, variant) => {
  it('each gives the one-thread numbers bit for bit, cut into bands of units (numbers, pixels, rows), the last with a tail', async () => {
    const { memory, alone, threaded, pool, reset, placedEnd, ...placer } = await sharedSandbox(threads, variant);
    const names = Object.keys(UNIT_LAYOUTS) as UnitKernel[];
    for (const name of names) {
      reset();
      const args = unitCase(name, placer);
      expect(unitWork(UNIT_LAYOUTS[name], args), name).toBeGreaterThanOrEqual(MIN_PARALLEL_WORK);
      // everything placed: the inputs, and the outputs as zeros
      const used = new Uint32Array(memory.buffer, 0, placedEnd() / 4 + 1024);
      const placed = used.slice();
      const call = (kernels: WasmKernels) => (kernels[name] as (...a: number[]) => void)(...args);
      call(alone);
      const one = used.slice();
      used.set(placed);
      const jobs = pool.stats.jobs;
      call(threaded);
      expect(pool.stats.jobs, `${name}: cut into bands`).toBe(jobs + 1);
      // compared word by word, outputs and inputs alike: the same bits, and no word written outside the call's own
      let differing = -1;
      for (let i = 0; i < one.length && differing < 0; i++) if (one[i] !== used[i]) differing = i;
      expect(differing, `${name}: first word that differs`).toBe(-1);
      let written = 0;
      for (let i = 0; i < one.length; i++) if (one[i] !== placed[i]) written++;
      expect(written, `${name}: words written`).toBeGreaterThan(MIN_PARALLEL_WORK / 2);
    }
    expect(pool.stats.jobs).toBe(names.length);
    // the workers took bands: the caller ran fewer than all
    expect(pool.stats.bandsHere).toBeLessThan(pool.stats.bands);
  });
});

describe.each([2, 3])('matrix products on %i threads', (threads) => {
  it('gemm gives the one-thread numbers bit for bit, cut by rows (A row-wise and transposed) and by columns, with bias, relu and accumulation', async () => {
    const { alone, threaded, pool, place, bits } = await sharedSandbox(threads);
    for (const [m, n, k] of [[300, 64, 128], [1001, 36, 72], [12, 64, 4096]]) for (const transposedA of [false, true]) for (const accumulate of [0, 1]) {
      expect(m * n * k).toBeGreaterThanOrEqual(MIN_PARALLEL);
      const a = place(seededValues(m * k, m + k));
      const b = place(seededValues(k * n, n));
      const bias = place(seededValues(n, 5));
      const start = seededValues(m * n, 3);
      const [one, many] = [place(start), place(start)];
      const [aRow, aStep] = transposedA ? [4, m * 4] : [k * 4, 4];
      alone.gemm(a, aRow, aStep, b, n * 4, one, n * 4, m, n, k, accumulate, bias, 1);
      threaded.gemm(a, aRow, aStep, b, n * 4, many, n * 4, m, n, k, accumulate, bias, 1);
      const label = `m ${m} n ${n} k ${k} transposed ${transposedA} accumulate ${accumulate}`;
      expect(bits(many, m * n), label).toEqual(bits(one, m * n));
      expect(bits(many, m * n).some((word) => word !== 0), label).toBe(true);
    }
    expect(pool.stats.jobs).toBe(12);
    // the workers took bands: the caller ran fewer than all
    expect(pool.stats.bandsHere).toBeLessThan(pool.stats.bands);
  });

  it('gemmEach makes a list of small products one after the other on the calling thread, whole, the numbers of one thread, and sends the pool no job', async () => {
    const { alone, threaded, pool, place, bits } = await sharedSandbox(threads);
    // 40 products of [16, 32] x [32, 64] (strided-winograd.ts's, one per transformed element): each under MIN_PARALLEL, together over
    const [m, n, k, count] = [16, 64, 32, 40];
    expect(m * n * k).toBeLessThan(MIN_PARALLEL);
    const products = Array.from({ length: count }, (_, i) => ({ a: place(seededValues(m * k, i + 1)), b: place(seededValues(k * n, i + 100)), one: place(new Float32Array(m * n)), many: place(new Float32Array(m * n)) }));
    const args = (p: (typeof products)[number], c: number) => [p.a, k * 4, 4, p.b, n * 4, c, n * 4, m, n, k, 0, 0, 0];
    alone.gemmEach(products.map((p) => args(p, p.one)));
    threaded.gemmEach(products.map((p) => args(p, p.many)));
    products.forEach((p, i) => {
      expect(bits(p.many, m * n), `product ${i}`).toEqual(bits(p.one, m * n));
      expect(bits(p.many, m * n).some((word) => word !== 0), `product ${i}`).toBe(true);
    });
    // shared out whole, MAX_BANDS a job, such products had lost on two threads (kernel-bands.ts)
    expect(pool.stats.jobs).toBe(0);
  });

  it('gives the one-thread numbers over thousands of products in a row whose band counts differ, each adding into its sums', async () => {
    const { alone, threaded, pool, place, bits } = await sharedSandbox(threads);
    // by columns (few rows) in 2 and 3 bands, by rows in 2 * threads: a worker late for one job must not take a band of the next
    const shapes = [[4, 16, 8192], [64, 32, 128], [4, 24, 8192]].map(([m, n, k]) => {
      expect(m * n * k).toBeGreaterThanOrEqual(MIN_PARALLEL);
      const start = seededValues(m * n, m + n);
      return { m, n, k, a: place(seededValues(m * k, k)), b: place(seededValues(k * n, n)), one: place(start), many: place(start) };
    });
    expect(shapes.map(({ m, n, k }) => productBands(m, n, k, threads).bands.length)).toEqual([2, 2 * threads, 3]);
    for (let round = 0; round < 700; round++) {
      for (const { m, n, k, a, b, one, many } of shapes) {
        alone.gemm(a, k * 4, 4, b, n * 4, one, n * 4, m, n, k, 1);
        threaded.gemm(a, k * 4, 4, b, n * 4, many, n * 4, m, n, k, 1);
      }
    }
    shapes.forEach(({ m, n, one, many }) => expect(bits(many, m * n), `${m} x ${n}`).toEqual(bits(one, m * n)));
    expect(pool.stats.jobs).toBe(2100);
    expect(pool.stats.bandsHere).toBeLessThan(pool.stats.bands);
  });

  it('gemmTable and gemmGather (rows through tables, Swish\'s slope at the sums\' places) give the one-thread numbers bit for bit', async () => {
    const { alone, threaded, place, placeWords, bits } = await sharedSandbox(threads);
    const source = place(seededValues(1 << 16, 11));
    for (const [m, n, k] of [[700, 32, 144], [8, 48, 8192]]) {
      const rowOffsets = Array.from({ length: m }, (_, r) => ((r * 37) % 997) * 16);
      const stepOffsets = Array.from({ length: k }, (_, s) => (s % 2 ? s * 12 : s * 4 + 1280) % 200000);
      const [rows, steps] = [placeWords(rowOffsets), placeWords(stepOffsets)];
      const b = place(seededValues(k * n, 2));
      const bias = place(seededValues(n, 6));
      const start = seededValues(m * n, 3);
      const [one, many] = [place(start), place(start)];
      alone.gemmTable(source, rows, steps, b, n * 4, one, n * 4, m, n, k, 1, bias, 1);
      threaded.gemmTable(source, rows, steps, b, n * 4, many, n * 4, m, n, k, 1, bias, 1);
      expect(bits(many, m * n), `gemmTable m ${m} n ${n}`).toEqual(bits(one, m * n));
      // C's rows scattered in reverse order, a row and a half apart; s and y shaped like that C
      const cRows = placeWords(Array.from({ length: m }, (_, r) => Math.floor(((m - 1 - r) * n * 3) / 2) * 4));
      const size = Math.ceil((m * n * 3) / 2) + n;
      const [s, y] = [place(seededValues(size, 8).map((v) => Math.abs(v))), place(seededValues(size, 9))];
      const scattered = seededValues(size, 4);
      const [oneScattered, manyScattered] = [place(scattered), place(scattered)];
      alone.gemmGather(source, rows, steps, b, n * 4, oneScattered, cRows, m, n, k, 0, 0, 0, s, y);
      threaded.gemmGather(source, rows, steps, b, n * 4, manyScattered, cRows, m, n, k, 0, 0, 0, s, y);
      expect(bits(manyScattered, size), `gemmGather m ${m} n ${n}`).toEqual(bits(oneScattered, size));
      // and the untouched words between the rows are still the values placed there
      expect(bits(manyScattered, size).filter((word, i) => word === float32Bits([scattered[i]])[0]).length).toBeGreaterThanOrEqual(size - m * n);
    }
  });
});

describe('the pool', () => {
  it('reports a kernel that fails on a worker as an error on the caller, then runs on', async () => {
    const { memory, pool, threaded, place, bits } = await sharedSandbox(2);
    const [m, n, k] = [600, 32, 128];
    const a = place(seededValues(m * k, 1));
    const b = place(seededValues(k * n, 2));
    const c = place(new Float32Array(m * n));
    // C's rows spread so that the first half fits the heap and the second runs past its end: whichever thread takes that band fails
    const ldc = Math.floor((memory.buffer.byteLength - c) / (m / 2) / 4) * 4;
    expect(c + (m / 2 - 1) * ldc + n * 4).toBeLessThanOrEqual(memory.buffer.byteLength);
    expect(c + (m - 1) * ldc).toBeGreaterThan(memory.buffer.byteLength);
    expect(() => threaded.gemm(a, k * 4, 4, b, n * 4, c, ldc, m, n, k, 0)).toThrow(/failed on a kernel thread|out of bounds/);
    // a band that only a worker runs (the caller's own runs nothing, slowly): its failure is the caller's error
    const outside = [a, k * 4, 4, b, n * 4, c + (m - 1) * ldc, ldc, 4, n, k, 0, 0, 0];
    const slowly = () => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    expect(() => pool.run('gemm', [outside, outside], slowly)).toThrow(/failed on a kernel thread/);
    // the pool still answers
    threaded.gemm(a, k * 4, 4, b, n * 4, c, n * 4, m, n, k, 0);
    expect(bits(c, m * n).some((word) => word !== 0)).toBe(true);
  });

  it('runs on the calling thread alone once stopped, and needs a shared heap to start', async () => {
    const { pool, threaded, alone, place, bits } = await sharedSandbox(2);
    expect(pool.count).toBe(2);
    pool.stop();
    expect(pool.count).toBe(1);
    const [m, n, k] = [600, 32, 128];
    const [a, b] = [place(seededValues(m * k, 1)), place(seededValues(k * n, 2))];
    const [one, many] = [place(new Float32Array(m * n)), place(new Float32Array(m * n))];
    alone.gemm(a, k * 4, 4, b, n * 4, one, n * 4, m, n, k, 0);
    threaded.gemm(a, k * 4, 4, b, n * 4, many, n * 4, m, n, k, 0);
    expect(bits(many, m * n)).toEqual(bits(one, m * n));
    expect(() => pool.run('gemm', [[], []], () => {})).toThrow(/stopped/);
    const plain = new WebAssembly.Memory({ initial: 1 });
    await expect(KernelThreads.start(compileKernels(plain, fused), plain, 2, startNodeThread)).rejects.toThrow(/shared heap/);
  });

  it('passes on a worker that cannot start, and leaves none running', async () => {
    const memory = new WebAssembly.Memory({ initial: 16, maximum: 16, shared: true });
    let [started, ended] = [0, 0];
    const failing: ThreadStarter = async (source, init) => {
      started += 1;
      if (init.slot === 2) throw new Error('blocked by the page\'s policy');
      const thread = await startNodeThread(source, init);
      return { terminate: () => ((ended += 1), thread.terminate()) };
    };
    await expect(KernelThreads.start(compileKernels(memory, fused), memory, 3, failing)).rejects.toThrow(/did not start: blocked/);
    expect([started, ended]).toEqual([2, 1]);
  });
});
