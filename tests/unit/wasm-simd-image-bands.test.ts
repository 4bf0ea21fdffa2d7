import type * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { allowRelaxedSimd } from '../../src/cli/node-backend';
import { SimdConvolutions } from '../../src/core/wasm-simd/convolution';
import { directWork, heapKernelsFor, kernelThreadStats, MIN_FEW_CALLS_WORK, MIN_IMAGE_BANDS_WORK, startKernelThreads, stopKernelThreads, useImageBands } from '../../src/core/wasm-simd/heap';
import { PROGRAM_WORDS, ProgramFull } from '../../src/core/wasm-simd/kernel-programs';
import { KernelThreads } from '../../src/core/wasm-simd/kernel-threads';
import { compileKernels, hasRelaxedSimd } from '../../src/core/wasm-simd/kernels';
import { byBorderClasses, gathersNarrowSums } from '../../src/core/wasm-simd/strided';
import { byPhases } from '../../src/core/wasm-simd/strided-winograd';
import { sharedHeapBackend, startNodeThread } from '../../src/cli/shared-heap-backend';
import { seededValues } from './wasm-simd-helpers';

/**
 * A Winograd forward pass's images cut into bands over the kernel threads (heap.ts,
 * eachImage; kernel-threads.ts, runRecorded): each band's kernel calls recorded, then run by
 * whichever thread takes the band, on scratch of its own. On a shared heap with a pool of
 * Node worker_threads, each pass gives the numbers it gives on one thread, to the bit, through
 * every Winograd forward pass (F(4, r) along the rows, over a map grown to fours, F(2, 3),
 * F(2, 2) with a lone row, a filter two rows high, a tall filter in runs), the input
 * gradient, which at stride 1 is a forward pass, and the filter gradient, whose sum over the
 * batch is taken by groups of images that are the same on any number of threads; and the
 * one-thread numbers are a convolution's.
 */

// the module the browsers run: with relaxed SIMD's multiply-add (Node 20 needs the flag before any module is made)
allowRelaxedSimd();

type Layer = { name: string; batch: number; size: number; inChannels: number; outChannels: number; filterH: number; filterW: number; padTop: number; padLeft: number; windowRows?: boolean; loneRow?: number };

const layers: Layer[] = [
  { name: 'F(4, 3) along rows and columns (conv-ae)', batch: 8, size: 28, inChannels: 16, outChannels: 16, filterH: 3, filterW: 3, padTop: 1, padLeft: 1 },
  { name: 'F(4, 5), 5 images on 3 threads', batch: 5, size: 28, inChannels: 16, outChannels: 32, filterH: 5, filterW: 5, padTop: 2, padLeft: 2 },
  { name: 'F(4, 3) over a 14 x 14 map grown to 16 x 16 (the GAN)', batch: 8, size: 14, inChannels: 32, outChannels: 16, filterH: 3, filterW: 3, padTop: 1, padLeft: 1 },
  { name: "F(2, 3) (each output its window's rows)", batch: 8, size: 28, inChannels: 16, outChannels: 16, filterH: 3, filterW: 3, padTop: 1, padLeft: 1, windowRows: true },
  { name: 'F(2, 2) and a lone centre row (a masked 3x3)', batch: 8, size: 28, inChannels: 16, outChannels: 16, filterH: 3, filterW: 3, padTop: 2, padLeft: 1, windowRows: true, loneRow: 2 },
  { name: "a filter two rows high (PixelCNN++'s 2x3)", batch: 8, size: 28, inChannels: 32, outChannels: 16, filterH: 2, filterW: 3, padTop: 1, padLeft: 1, windowRows: true },
  { name: 'a tall filter in runs (5 rows)', batch: 6, size: 28, inChannels: 16, outChannels: 16, filterH: 5, filterW: 5, padTop: 2, padLeft: 2, windowRows: true },
];

const geometry = (l: Layer) => {
  const outH = l.size + 2 * l.padTop - l.filterH + 1;
  const outW = l.size + 2 * l.padLeft - l.filterW + 1;
  return { batch: l.batch, height: l.size, width: l.size, inChannels: l.inChannels, outH, outW, outChannels: l.outChannels, filterH: l.filterH, filterW: l.filterW, strideH: 1, strideW: 1, padTop: l.padTop, padLeft: l.padLeft, windowRows: l.windowRows, loneRow: l.loneRow };
};

/** The first index at which two arrays' float32 bits differ, or -1: a failure names one place, where vitest's diff of 200,000 words took minutes. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  const [x, y] = [new Int32Array(a.buffer, a.byteOffset, a.length), new Int32Array(b.buffer, b.byteOffset, b.length)];
  if (x.length !== y.length) return Math.min(x.length, y.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

type Strides = { batch: number; height: number; width: number; inChannels: number; outH: number; outW: number; outChannels: number; filterH: number; filterW: number; strideH: number; strideW: number; padTop: number; padLeft: number };

/** A convolution's output (b, oy, ox, o) in float64: bias[o] + the sum over its window's taps inside x. */
function outputSum(g: Strides, x: Float32Array, filter: Float32Array, bias: Float32Array | null, b: number, oy: number, ox: number, o: number): number {
  let sum = bias ? bias[o] : 0;
  for (let ky = 0; ky < g.filterH; ky++) for (let kx = 0; kx < g.filterW; kx++) {
    const [iy, ix] = [oy * g.strideH + ky - g.padTop, ox * g.strideW + kx - g.padLeft];
    if (iy < 0 || ix < 0 || iy >= g.height || ix >= g.width) continue;
    for (let c = 0; c < g.inChannels; c++) sum += x[((b * g.height + iy) * g.width + ix) * g.inChannels + c] * filter[((ky * g.filterW + kx) * g.inChannels + c) * g.outChannels + o];
  }
  return sum;
}

/** The input gradient at (b, iy, ix, c) in float64: the sum over the outputs whose windows hold that pixel. */
function inputGradientSum(g: Strides, dy: Float32Array, filter: Float32Array, b: number, iy: number, ix: number, c: number): number {
  let sum = 0;
  for (let ky = 0; ky < g.filterH; ky++) for (let kx = 0; kx < g.filterW; kx++) {
    const [sy, sx] = [iy + g.padTop - ky, ix + g.padLeft - kx];
    if (sy % g.strideH || sx % g.strideW || sy < 0 || sx < 0 || sy / g.strideH >= g.outH || sx / g.strideW >= g.outW) continue;
    const [oy, ox] = [sy / g.strideH, sx / g.strideW];
    for (let o = 0; o < g.outChannels; o++) sum += dy[((b * g.outH + oy) * g.outW + ox) * g.outChannels + o] * filter[((ky * g.filterW + kx) * g.inChannels + c) * g.outChannels + o];
  }
  return sum;
}

/** |value - reference| within float32's rounding of a sum of a few hundred terms. */
const near = (value: number, reference: number) => expect(Math.abs(value - reference)).toBeLessThan(1e-4 * Math.max(1, Math.abs(reference)));

/**
 * `pass()`, its output made where `floats` numbers of NaN were just placed (the stand-in heap
 * gives the next allocation that place): an output the pass does not write whole shows.
 */
function onGarbage<T>(heap: ReturnType<typeof sharedHeapBackend>, floats: number, pass: () => T): T {
  const mark = heap.mark();
  heap.place([floats], new Float32Array(floats).fill(NaN));
  heap.release(mark);
  return pass();
}

/**
 * `run()` with `beforeCall(calls, name, args)` before each kernel call that a recorded job's
 * bands make, `calls` counting the job's calls so far, this one too (gemmEach's list counts as
 * one). Returns the last job's count.
 */
function watchingRecordedCalls(run: () => void, beforeCall: (calls: number, name: string, args: number[]) => void): number {
  const original = KernelThreads.prototype.runRecorded;
  let calls = 0;
  KernelThreads.prototype.runRecorded = function (this: KernelThreads, bands, record) {
    calls = 0;
    return original.call(this, bands, (band, kernels) => {
      const watched = new Proxy(kernels, {
        get: (target, name) => {
          const kernel = target[name as keyof typeof target];
          if (typeof kernel !== 'function') return kernel;
          return (...args: number[]) => {
            beforeCall(++calls, String(name), args);
            return (kernel as (...args: number[]) => void)(...args);
          };
        },
      });
      record(band, watched);
    });
  };
  try {
    run();
  } finally {
    KernelThreads.prototype.runRecorded = original;
  }
  return calls;
}

/**
 * `run()` with every recorded job held to `limit` kernel calls over all its bands (as the
 * program block holds them), the call past it throwing ProgramFull, so that eachRun goes on
 * in rounds of fewer images a band. Returns how many were thrown.
 */
function withCallLimit(limit: number, run: () => void): number {
  let thrown = 0;
  watchingRecordedCalls(run, (calls) => {
    if (calls <= limit) return;
    thrown++;
    throw new ProgramFull();
  });
  return thrown;
}

/** The kernel calls `run()`'s (last) recorded job made over all its bands: for a limit that only its last band passes. */
const recordedCalls = (run: () => void) => watchingRecordedCalls(run, () => {});

/** `run()` on one thread (the backend's pool stopped), then a pool of `threads` started: returns the one-thread result, for the pool's to match. */
async function aloneThenPool<T>(backend: ReturnType<typeof sharedHeapBackend>['backend'], threads: number, run: () => T): Promise<T> {
  stopKernelThreads(backend);
  const alone = run();
  expect(await startKernelThreads(backend, threads, startNodeThread)).toBe(threads);
  return alone;
}

describe('Winograd forward passes with their images on the kernel threads', () => {
  const heap = sharedHeapBackend(4096);
  const { backend, place, read } = heap;
  // the kernels the browsers run, with relaxed SIMD's multiply-add (which recording does not concern: it records calls, whatever they compute)
  const passes = heapKernelsFor(SimdConvolutions, backend)!;
  afterAll(() => stopKernelThreads(backend));

  it('runs the fused kernels', () => expect(hasRelaxedSimd()).toBe(true));

  it.each(layers)('$name: the one-thread numbers, to the bit, and a convolution\'s', async (layer) => {
    const g = geometry(layer);
    expect(g.batch * g.outH * g.outW * g.outChannels * g.inChannels * g.filterH * g.filterW).toBeGreaterThanOrEqual(MIN_IMAGE_BANDS_WORK);
    const x = place([g.batch, g.height, g.width, g.inChannels], seededValues(g.batch * g.height * g.width * g.inChannels, 3));
    const filterValues = seededValues(g.filterH * g.filterW * g.inChannels * g.outChannels, 5);
    const filter = place([g.filterH, g.filterW, g.inChannels, g.outChannels], filterValues);
    const bias = place([g.outChannels], seededValues(g.outChannels, 7));
    const dy = place([g.batch, g.outH, g.outW, g.outChannels], seededValues(g.batch * g.outH * g.outW * g.outChannels, 9));

    const [xSize, ySize] = [g.batch * g.height * g.width * g.inChannels, g.batch * g.outH * g.outW * g.outChannels];
    const passesOf = () => [
      onGarbage(heap, ySize, () => passes.forward(x, filter, g, { bias, relu: true })),
      onGarbage(heap, xSize, () => passes.inputGradient(dy, filter, g)),
      onGarbage(heap, g.filterH * g.filterW * g.inChannels * g.outChannels, () => passes.filterGradient(x, dy, g)),
    ].map(read);
    stopKernelThreads(backend);
    const alone = passesOf();
    const threads = layer.batch === 5 ? 3 : 2;
    expect(await startKernelThreads(backend, threads, startNodeThread)).toBe(threads);
    const shared = passesOf();
    const stats = kernelThreadStats(backend)!;
    // the three passes recorded their images' calls and ran them as bands (which thread took which depends on the host's load: the test below makes a worker take one)
    expect(stats.programJobs).toBeGreaterThanOrEqual(3);
    shared.forEach((values, pass) => expect(firstDifference(values, alone[pass]), ['forward', 'input gradient', 'filter gradient'][pass]).toBe(-1));

    // and the numbers are the convolution's: some outputs of the last image against float64 sums
    const xs = read(x);
    const b = g.batch - 1;
    for (const [oy, ox, o] of [[0, 0, 0], [g.outH - 1, g.outW - 1, g.outChannels - 1], [Math.floor(g.outH / 2), 3, 5]]) {
      let sum = read(bias)[o];
      for (let ky = 0; ky < g.filterH; ky++) for (let kx = 0; kx < g.filterW; kx++) {
        const [iy, ix] = [oy + ky - g.padTop, ox + kx - g.padLeft];
        if (iy < 0 || ix < 0 || iy >= g.height || ix >= g.width) continue;
        for (let c = 0; c < g.inChannels; c++) sum += xs[((b * g.height + iy) * g.width + ix) * g.inChannels + c] * filterValues[((ky * g.filterW + kx) * g.inChannels + c) * g.outChannels + o];
      }
      expect(shared[0][((b * g.outH + oy) * g.outW + ox) * g.outChannels + o]).toBeCloseTo(Math.max(0, sum), 4);
    }
    // and the filter gradient's, summed over the batch by groups of images: some taps against float64 sums
    const dys = read(dy);
    for (const [ky, kx, c, o] of [[0, 0, 0, 0], [g.filterH - 1, g.filterW - 1, g.inChannels - 1, g.outChannels - 1], [1, 2, 3, 4]]) {
      let sum = 0;
      for (let image = 0; image < g.batch; image++) for (let oy = 0; oy < g.outH; oy++) for (let ox = 0; ox < g.outW; ox++) {
        const [iy, ix] = [oy + ky - g.padTop, ox + kx - g.padLeft];
        if (iy < 0 || ix < 0 || iy >= g.height || ix >= g.width) continue;
        sum += xs[((image * g.height + iy) * g.width + ix) * g.inChannels + c] * dys[((image * g.outH + oy) * g.outW + ox) * g.outChannels + o];
      }
      expect(Math.abs(shared[2][((ky * g.filterW + kx) * g.inChannels + c) * g.outChannels + o] - sum)).toBeLessThan(1e-4 * Math.max(1, Math.abs(sum)) + 2e-4);
    }
  }, 60_000);

  it('runs no program with image bands turned off, and gives the same numbers', async () => {
    const g = geometry(layers[0]);
    const x = place([g.batch, g.height, g.width, g.inChannels], seededValues(g.batch * g.height * g.width * g.inChannels, 21));
    const filter = place([3, 3, 16, 16], seededValues(3 * 3 * 16 * 16, 23));
    const dy = place([g.batch, g.outH, g.outW, g.outChannels], seededValues(g.batch * g.outH * g.outW * g.outChannels, 25));
    await startKernelThreads(backend, 2, startNodeThread);
    const run = () => [passes.forward(x, filter, g), passes.filterGradient(x, dy, g)].map(read);
    const cut = run();
    expect(kernelThreadStats(backend)!.programJobs).toBe(2);
    useImageBands(false);
    try {
      const whole = run();
      expect(kernelThreadStats(backend)!.programJobs).toBe(2);
      // the filter gradient's groups stay: the same sums, in the same order, on this thread
      whole.forEach((values, pass) => expect(firstDifference(values, cut[pass])).toBe(-1));
    } finally {
      useImageBands(true);
    }
  });

  it('runs a batch whose calls overflow the program block in rounds, with the one-thread numbers', async () => {
    // about 50 calls of some 15 words an image: 600 images of an 8 x 8 map are more than the block holds
    const g = geometry({ name: '', batch: 600, size: 8, inChannels: 16, outChannels: 16, filterH: 3, filterW: 3, padTop: 1, padLeft: 1 });
    const x = place([g.batch, g.height, g.width, g.inChannels], seededValues(g.batch * g.height * g.width * g.inChannels, 13));
    const filter = place([3, 3, 16, 16], seededValues(3 * 3 * 16 * 16, 17));
    const dy = place([g.batch, g.outH, g.outW, g.outChannels], seededValues(g.batch * g.outH * g.outW * g.outChannels, 19));
    // the filter gradient too: each group's first image stores its sums, the later ones add, whichever round they fall in
    const run = () => [passes.forward(x, filter, g), passes.filterGradient(x, dy, g)].map(read);
    stopKernelThreads(backend);
    const alone = run();
    await startKernelThreads(backend, 2, startNodeThread);
    const shared = run();
    // 4 bands a round, rounds halved until one fits: more than one job a pass
    expect(kernelThreadStats(backend)!.programJobs).toBeGreaterThan(2);
    shared.forEach((values, pass) => expect(firstDifference(values, alone[pass])).toBe(-1));
  }, 60_000);
});

/**
 * A layer at stride 2 with 'same' padding (TF.js's: an odd row and column of it after the
 * image), and its inputs from `seed` on, as values and placed on `heap`: x, the filter, the
 * bias, dy, and Swish's s (in (0, 1)) and y shaped like x, for an input gradient's slope.
 */
function strideTwoLayer(heap: ReturnType<typeof sharedHeapBackend>, l: { batch: number; size: number; filter: number; inChannels: number; outChannels: number }, seed: number) {
  const out = Math.ceil(l.size / 2);
  const pad = Math.floor(Math.max((out - 1) * 2 + l.filter - l.size, 0) / 2);
  const g = { batch: l.batch, height: l.size, width: l.size, inChannels: l.inChannels, outH: out, outW: out, outChannels: l.outChannels, filterH: l.filter, filterW: l.filter, strideH: 2, strideW: 2, padTop: pad, padLeft: pad };
  const [xShape, filterShape, yShape] = [[l.batch, l.size, l.size, l.inChannels], [l.filter, l.filter, l.inChannels, l.outChannels], [l.batch, out, out, l.outChannels]];
  const [xSize, ySize] = [xShape, yShape].map((shape) => shape.reduce((a, b) => a * b, 1));
  const values = {
    x: seededValues(xSize, seed),
    filter: seededValues(filterShape.reduce((a, b) => a * b, 1), seed + 2),
    bias: seededValues(l.outChannels, seed + 4),
    dy: seededValues(ySize, seed + 6),
    s: seededValues(xSize, seed + 8).map((v) => 0.5 + 0.4 * Math.sin(v)),
    y: seededValues(xSize, seed + 10),
  };
  const shapes = { x: xShape, filter: filterShape, bias: [l.outChannels], dy: yShape, s: xShape, y: xShape };
  const tensors = Object.fromEntries(Object.entries(values).map(([name, v]) => [name, heap.place(shapes[name as keyof typeof shapes], v)])) as Record<keyof typeof values, tf.TensorInfo>;
  return { g, out, xSize, ySize, values, tensors };
}

/**
 * Strided 3x3 passes by Winograd over their phases (strided-winograd.ts), a chunk of images a
 * call, cut into bands of images too (heap.ts, eachRun): each band its own chunks, no larger
 * than the band, and its own transforms' scratch. A product's rows are its chunk's images, so
 * each image's numbers are one thread's however the batch is chunked.
 */
describe('strided passes by phases with their images on the kernel threads', () => {
  const heap = sharedHeapBackend(4096);
  const { backend, read } = heap;
  const passes = heapKernelsFor(SimdConvolutions, backend)!;
  afterAll(() => stopKernelThreads(backend));
  type Strided = { name: string; batch: number; size: number; inChannels: number; outChannels: number; threads: number };
  const strided: Strided[] = [
    // 'same' padding at stride 2: 14 -> 7 pads 1 after the image, 7 -> 4 one on each side
    // forwards 8 images a chunk: 8 chunks on one thread, 2 a band on two
    { name: "the GAN discriminator's second layer, 14 x 14 -> 7 x 7, 32 -> 64, 64 images on 2 threads", batch: 64, size: 14, inChannels: 32, outChannels: 64, threads: 2 },
    { name: "the energy model's last layer, 7 x 7 -> 4 x 4, 32 -> 64, 19 images on 3 threads", batch: 19, size: 7, inChannels: 32, outChannels: 64, threads: 3 },
  ];

  it.each(strided)('$name: the one-thread numbers, to the bit, and a convolution\'s', async (l) => {
    const { g, out, xSize, ySize, values, tensors: { x, filter, bias, dy, s, y } } = strideTwoLayer(heap, { ...l, filter: 3 }, 31);
    expect(byPhases(g, 'forward') && byPhases(g, 'input gradient')).toBe(true);
    expect(directWork(g)).toBeGreaterThanOrEqual(MIN_IMAGE_BANDS_WORK);
    const each = [
      () => read(onGarbage(heap, ySize, () => passes.forward(x, filter, g, { bias }))),
      () => read(onGarbage(heap, xSize, () => passes.inputGradient(dy, filter, g))),
      () => read(onGarbage(heap, xSize, () => passes.inputGradient(dy, filter, g, [s, y]))),
    ];
    const passesOf = () => each.map((pass) => pass());
    const names = ['forward', 'input gradient', 'with Swish\'s slope'];
    const alone = await aloneThenPool(backend, l.threads, passesOf);
    const shared = passesOf();
    expect(kernelThreadStats(backend)!.programJobs).toBe(3);
    shared.forEach((values, pass) => expect(firstDifference(values, alone[pass]), names[pass]).toBe(-1));
    // a band's calls over the block: rounds of fewer images, each band's chunks from where the last round stopped
    // 5 calls a chunk (gemmEach's list one), and forwards the bias a band: every band but the last few within the limit
    const inRounds = (pass: number, limit: number) => withCallLimit(limit, () => expect(firstDifference(each[pass](), alone[pass]), `${names[pass]} in rounds`).toBe(-1));
    expect(inRounds(0, 25)).toBeGreaterThan(0);
    expect(inRounds(2, 15)).toBeGreaterThan(0);

    // against float64 sums: some outputs of the last image, and some of its input gradient's pixels
    const b = g.batch - 1;
    for (const [oy, ox, o] of [[0, 0, 0], [out - 1, out - 1, g.outChannels - 1], [2, 1, 5]]) near(shared[0][((b * out + oy) * out + ox) * g.outChannels + o], outputSum(g, values.x, values.filter, values.bias, b, oy, ox, o));
    for (const [iy, ix, c] of [[0, 0, 0], [g.height - 1, g.width - 1, g.inChannels - 1], [3, 4, 7]]) near(shared[1][((b * g.height + iy) * g.width + ix) * g.inChannels + c], inputGradientSum(g, values.dy, values.filter, b, iy, ix, c));
  }, 60_000);
});

/**
 * Strided passes by border classes (strided.ts): each class's pixels image after image, so on a
 * pool every class's rows of a band's images go to one thread (gatheredProducts), where each
 * class's product was cut into rows apart; classes with no taps (pixels no window reaches)
 * take their bias on the calling thread.
 */
describe('strided passes by border classes with their images on the kernel threads', () => {
  const heap = sharedHeapBackend(4096);
  const { backend, place, read } = heap;
  const passes = heapKernelsFor(SimdConvolutions, backend)!;
  afterAll(() => stopKernelThreads(backend));
  const classed = [
    { name: "the energy model's middle layer, 14 -> 7, 16 -> 32, 21 images on 3 threads", batch: 21, size: 14, filter: 3, inChannels: 16, outChannels: 32, threads: 3 },
    // odd pixels of x are in no 1x1 window at stride 2: a class of input pixels with no taps
    { name: 'a 1x1 filter at stride 2, 14 -> 7, 16 -> 32, 170 images on 2 threads (pixels no window reaches)', batch: 170, size: 14, filter: 1, inChannels: 16, outChannels: 32, threads: 2 },
  ];

  it.each(classed)('$name: the one-thread numbers, to the bit, and a convolution\'s', async (l) => {
    const { g, out, xSize, ySize, values, tensors: { x, filter, bias, dy, s, y } } = strideTwoLayer(heap, l, 61);
    expect(byBorderClasses(g, 'input gradient') && !byPhases(g, 'input gradient')).toBe(true);
    const each = [
      () => read(onGarbage(heap, ySize, () => passes.forward(x, filter, g, { bias, relu: true }))),
      () => read(onGarbage(heap, xSize, () => passes.inputGradient(dy, filter, g, [s, y]))),
    ];
    const alone = await aloneThenPool(backend, l.threads, () => each.map((pass) => pass()));
    alone.forEach((values, pass) => expect(firstDifference(each[pass](), values), ['forward', 'input gradient'][pass]).toBe(-1));
    expect(kernelThreadStats(backend)!.programJobs).toBe(2);
    // the last band's class products over the limit, then its images in rounds
    const calls = recordedCalls(each[1]);
    expect(withCallLimit(calls - 1, () => expect(firstDifference(each[1](), alone[1]), 'input gradient in rounds').toBe(-1))).toBeGreaterThan(0);
    // a band's calls are one a class however few its images: a limit of one band's calls runs a band a round
    const bands = Math.min(g.batch, 2 * l.threads);
    expect(calls % bands).toBe(0);
    expect(withCallLimit(calls / bands, () => expect(firstDifference(each[1](), alone[1]), 'a band a round').toBe(-1))).toBe(bands - 1);

    const b = g.batch - 1;
    for (const [oy, ox, o] of [[0, 0, 0], [out - 1, out - 1, g.outChannels - 1], [2, 1, 5]]) near(alone[0][((b * out + oy) * out + ox) * g.outChannels + o], Math.max(0, outputSum(g, values.x, values.filter, values.bias, b, oy, ox, o)));
    for (const [iy, ix, c] of [[0, 0, 0], [l.size - 1, l.size - 1, g.inChannels - 1], [3, 4, 7], [1, 1, 2]]) {
      const at = ((b * l.size + iy) * l.size + ix) * g.inChannels + c;
      const slope = values.s[at] + values.y[at] * (1 - values.s[at]);
      near(alone[1][at], inputGradientSum(g, values.dy, values.filter, b, iy, ix, c) * slope);
    }
  }, 60_000);

  it('sends a pool nothing for an empty batch (the input gradient takes border classes even then)', async () => {
    const g = { batch: 0, height: 14, width: 14, inChannels: 16, outH: 7, outW: 7, outChannels: 32, filterH: 1, filterW: 1, strideH: 2, strideW: 2, padTop: 0, padLeft: 0 };
    await startKernelThreads(backend, 2, startNodeThread);
    const before = kernelThreadStats(backend)!;
    const dx = passes.inputGradient(place([0, 7, 7, 32], new Float32Array(0)), place([1, 1, 16, 32], seededValues(16 * 32, 73)), g);
    expect(read(dx).length).toBe(0);
    expect(kernelThreadStats(backend)!.jobs).toBe(before.jobs);
  });
});

/**
 * A forward pass to 1-3 channels (an image's last layer) by patchDot, a dot product a pixel
 * straight from the image (convolution.ts's narrowForward): on a pool, its images cut into
 * bands of whole images (eachRun), each band's outputs started from the bias and summed there.
 */
describe('a last layer of 1-3 channels with its images on the kernel threads', () => {
  const heap = sharedHeapBackend(4096);
  const { backend, place, read } = heap;
  const passes = heapKernelsFor(SimdConvolutions, backend)!;
  afterAll(() => stopKernelThreads(backend));
  const narrow = [
    // roundsLimit: 3 calls a band, all bands but one
    { name: "the GAN generator's last layer, 32 -> 1, 19 images on 3 threads", batch: 19, inChannels: 32, outChannels: 1, relu: false, threads: 3, roundsLimit: 15 },
    { name: '32 -> 3 (RGB) with relu, 7 images on 2 threads', batch: 7, inChannels: 32, outChannels: 3, relu: true, threads: 2, roundsLimit: 9 },
  ];

  it.each(narrow)('$name: the one-thread numbers, to the bit, and a convolution\'s', async (l) => {
    const g = { batch: l.batch, height: 28, width: 28, inChannels: l.inChannels, outH: 28, outW: 28, outChannels: l.outChannels, filterH: 3, filterW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1 };
    expect(directWork(g)).toBeGreaterThanOrEqual(MIN_IMAGE_BANDS_WORK);
    const xValues = seededValues(g.batch * 28 * 28 * g.inChannels, 43);
    const filterValues = seededValues(9 * g.inChannels * g.outChannels, 45);
    const biasValues = seededValues(g.outChannels, 47);
    const [x, filter, bias] = [place([g.batch, 28, 28, g.inChannels], xValues), place([3, 3, g.inChannels, g.outChannels], filterValues), place([g.outChannels], biasValues)];
    const forward = () => read(onGarbage(heap, g.batch * 28 * 28 * g.outChannels, () => passes.forward(x, filter, g, { bias, relu: l.relu })));
    const alone = await aloneThenPool(backend, l.threads, forward);
    const shared = forward();
    expect(kernelThreadStats(backend)!.programJobs).toBe(1);
    expect(firstDifference(shared, alone)).toBe(-1);
    // three calls a band (zeros, bias, patchDot): the last band over the limit, then its images in rounds
    expect(withCallLimit(l.roundsLimit, () => expect(firstDifference(forward(), alone)).toBe(-1))).toBeGreaterThan(0);
    // the first and last pixels of the first band and of the last image, against float64 sums
    for (const [b, oy, ox, o] of [[0, 0, 0, 0], [0, 27, 27, g.outChannels - 1], [g.batch - 1, 0, 27, 0], [g.batch - 1, 13, 5, g.outChannels - 1]]) {
      let sum = biasValues[o];
      for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
        const [iy, ix] = [oy + ky - 1, ox + kx - 1];
        if (iy < 0 || ix < 0 || iy >= 28 || ix >= 28) continue;
        for (let c = 0; c < g.inChannels; c++) sum += xValues[((b * 28 + iy) * 28 + ix) * g.inChannels + c] * filterValues[((ky * 3 + kx) * g.inChannels + c) * g.outChannels + o];
      }
      expect(Math.abs(shared[((b * 28 + oy) * 28 + ox) * g.outChannels + o] - (l.relu ? Math.max(0, sum) : sum))).toBeLessThan(1e-4 * Math.max(1, Math.abs(sum)));
    }
  }, 60_000);
});

/**
 * Filter gradients by products over chunks of pixels (convolution.ts's groupedSums): the
 * chunks summed in four groups of images, fixed on any number of threads, so that on a pool
 * the groups run at once and give one thread's numbers.
 */
describe('filter gradients summed by groups of images on the kernel threads', () => {
  const heap = sharedHeapBackend(4096);
  const { backend, place, read } = heap;
  const passes = heapKernelsFor(SimdConvolutions, backend)!;
  afterAll(() => stopKernelThreads(backend));
  type Summed = { name: string; batch: number; size: number; inChannels: number; outChannels: number; stride: number; pad: number; exactRows?: boolean; threads: number; roundsLimit?: number };
  const summed: Summed[] = [
    // 18 images fit a chunk: 8 chunks of 9 or 10 in 4 groups of 2, a call each; a call a job splits each group over two rounds
    { name: "the GAN discriminator's first layer, 28 -> 14, 1 -> 32 (images of 196 pixels, 9 or 10 a chunk)", batch: 75, size: 28, inChannels: 1, outChannels: 32, stride: 2, pad: 0, threads: 2, roundsLimit: 1 },
    { name: "the energy model's middle layer, 14 -> 7, 16 -> 32 (4 images fit a chunk: 8 chunks of 2 or 3 in 4 groups)", batch: 19, size: 14, inChannels: 16, outChannels: 32, stride: 2, pad: 0, threads: 3 },
    { name: '3x3 at stride 1, rows kept apart, 16 -> 16 on 28 x 28 (each image in 4 pieces)', batch: 3, size: 28, inChannels: 16, outChannels: 16, stride: 1, pad: 1, exactRows: true, threads: 2 },
    // 19 chunks (an image each) in groups of 4, 5, 5 and 5: 3 calls a job split the groups over rounds
    { name: "the GAN generator's last layer, 32 -> 1 (the product turned round)", batch: 19, size: 28, inChannels: 32, outChannels: 1, stride: 1, pad: 1, threads: 2, roundsLimit: 3 },
  ];

  /** A 3x3 layer of `l`'s shape with 'same' padding (`l.pad` before the image), its x and dY seeded and placed, and its filter gradient, made over NaNs. */
  const summedLayer = (l: Omit<Summed, 'name' | 'threads' | 'roundsLimit'>) => {
    const out = Math.ceil(l.size / l.stride);
    const g = { batch: l.batch, height: l.size, width: l.size, inChannels: l.inChannels, outH: out, outW: out, outChannels: l.outChannels, filterH: 3, filterW: 3, strideH: l.stride, strideW: l.stride, padTop: l.pad, padLeft: l.pad, exactRows: l.exactRows };
    const xValues = seededValues(g.batch * l.size * l.size * g.inChannels, 51);
    const dyValues = seededValues(g.batch * out * out * g.outChannels, 53);
    const [x, dy] = [place([g.batch, l.size, l.size, g.inChannels], xValues), place([g.batch, out, out, g.outChannels], dyValues)];
    const gradient = () => read(onGarbage(heap, 9 * g.inChannels * g.outChannels, () => passes.filterGradient(x, dy, g)));
    return { g, out, xValues, dyValues, gradient };
  };

  it.each(summed)('$name: the one-thread numbers, to the bit, and the sums\'', async (l) => {
    // 'same' padding: at stride 2 the one row and column it takes after the image
    const { g, out, xValues, dyValues, gradient } = summedLayer(l);
    expect(directWork(g)).toBeGreaterThanOrEqual(MIN_FEW_CALLS_WORK);
    const alone = await aloneThenPool(backend, l.threads, gradient);
    const shared = gradient();
    expect(kernelThreadStats(backend)!.programJobs).toBe(1);
    expect(firstDifference(shared, alone)).toBe(-1);
    // with a group's chunks over two rounds or more: each chunk after the group's first adds, whichever round it falls in
    if (l.roundsLimit) expect(withCallLimit(l.roundsLimit, () => expect(firstDifference(gradient(), alone)).toBe(-1))).toBeGreaterThan(0);
    for (const [ky, kx, c, o] of [[0, 0, 0, 0], [2, 2, g.inChannels - 1, g.outChannels - 1], [1, 2, Math.min(3, g.inChannels - 1), 0]]) {
      let sum = 0;
      for (let b = 0; b < g.batch; b++) for (let oy = 0; oy < out; oy++) for (let ox = 0; ox < out; ox++) {
        const [iy, ix] = [oy * l.stride + ky - l.pad, ox * l.stride + kx - l.pad];
        if (iy < 0 || ix < 0 || iy >= l.size || ix >= l.size) continue;
        sum += xValues[((b * l.size + iy) * l.size + ix) * g.inChannels + c] * dyValues[((b * out + oy) * out + ox) * g.outChannels + o];
      }
      expect(Math.abs(shared[((ky * 3 + kx) * g.inChannels + c) * g.outChannels + o] - sum)).toBeLessThan(1e-4 * Math.max(1, Math.abs(sum)));
    }
  }, 60_000);

  it('cuts the batch into chunks as even as whole images allow, as many a group, so that the groups take alike', async () => {
    // the energy model's last layer (7 images of 16 pixels fit a chunk): at batch 8 the images go as 4 and 4 (not 7 and 1); at
    // batch 64, in 12 chunks (not 10) of 5 or 6, three a group of 16 images (not 10 chunks of 7 and 1 in groups of 14, 21, 14 and 15)
    for (const [batch, groupPixels] of [[8, [64, 64]], [64, [256, 256, 256, 256]]] as const) {
      // 'same' padding: 7 -> 4 at stride 2 pads one on each side
      const { gradient } = summedLayer({ batch, size: 7, inChannels: 32, outChannels: 64, stride: 2, pad: 1 });
      const alone = await aloneThenPool(backend, 2, gradient);
      // each recorded product's pixels (gemmTable's k), summed a group (a band) at a time
      const pixels: number[] = [];
      watchingRecordedCalls(() => expect(firstDifference(gradient(), alone)).toBe(-1), (_, name, args) => {
        if (name === 'gemmTable') pixels.push(args[9]);
      });
      const perGroup = pixels.length / groupPixels.length;
      expect(pixels.length % groupPixels.length).toBe(0);
      expect(groupPixels.map((_, j) => pixels.slice(j * perGroup, (j + 1) * perGroup).reduce((a, b) => a + b, 0))).toEqual(groupPixels);
      expect(Math.max(...pixels) - Math.min(...pixels)).toBeLessThanOrEqual(16);
    }
  }, 60_000);
});

/**
 * Passes of a few calls a band (heap.ts, MIN_FEW_CALLS_WORK) share their images out from 2^20
 * multiply-adds, where a Winograd pass's fifty calls an image wait for 2^22: an image's first
 * layer's input gradient (strided.ts's narrowInputGradient: dY W^T a chunk of images, then each
 * pixel's sums gathered by border classes), the filter gradients by groups, a last layer's
 * forward pass, border classes' products. Below 2^22 their products had been cut on their own,
 * a job each, and the first layers' gradients lost by it on two threads.
 */
describe('passes of a few calls a band on the kernel threads', () => {
  const heap = sharedHeapBackend(4096);
  const { backend, place, read } = heap;
  const passes = heapKernelsFor(SimdConvolutions, backend)!;
  afterAll(() => stopKernelThreads(backend));
  const firstLayers = [
    // dY W^T of 27 images a chunk (256 kB): 4 bands of 16 images, a chunk each
    { name: "the energy model's first layer, 28 -> 14, 1 -> 16, 64 images on 2 threads", batch: 64, threads: 2 },
    // bands of 30 images: two chunks a band, 27 and 3
    { name: 'the same, 120 images on 2 threads (two chunks a band)', batch: 120, threads: 2 },
    { name: 'the same, 41 images on 3 threads', batch: 41, threads: 3 },
  ];

  it.each(firstLayers)('$name: the input gradient gives the one-thread numbers, to the bit, and a convolution\'s', async (l) => {
    const { g, xSize, values, tensors: { filter, dy } } = strideTwoLayer(heap, { batch: l.batch, size: 28, filter: 3, inChannels: 1, outChannels: 16 }, 81);
    expect(gathersNarrowSums(g)).toBe(true);
    expect(directWork(g)).toBeGreaterThanOrEqual(MIN_FEW_CALLS_WORK);
    expect(directWork(g)).toBeLessThan(MIN_IMAGE_BANDS_WORK);
    const gradient = () => read(onGarbage(heap, xSize, () => passes.inputGradient(dy, filter, g)));
    const alone = await aloneThenPool(backend, l.threads, gradient);
    const shared = gradient();
    expect(kernelThreadStats(backend)!.programJobs).toBe(1);
    expect(firstDifference(shared, alone)).toBe(-1);
    // the last band's calls over the limit, then its images in a second round
    const calls = recordedCalls(gradient);
    expect(withCallLimit(calls - 1, () => expect(firstDifference(gradient(), alone), 'in rounds').toBe(-1))).toBeGreaterThan(0);
    for (const b of [0, g.batch - 1]) for (const [iy, ix] of [[0, 0], [27, 27], [13, 14], [1, 26]]) near(shared[(b * 28 + iy) * 28 + ix], inputGradientSum(g, values.dy, values.filter, b, iy, ix, 0));
  }, 60_000);

  it('share out each such pass from MIN_FEW_CALLS_WORK multiply-adds, and run a smaller one on the calling thread', async () => {
    expect(await startKernelThreads(backend, 2, startNodeThread)).toBe(2);
    const layer = (batch: number, size: number, inChannels: number, outChannels: number, stride: number) => {
      const out = Math.ceil(size / stride);
      const pad = Math.floor(Math.max((out - 1) * stride + 3 - size, 0) / 2);
      const g = { batch, height: size, width: size, inChannels, outH: out, outW: out, outChannels, filterH: 3, filterW: 3, strideH: stride, strideW: stride, padTop: pad, padLeft: pad };
      const [x, filter, dy] = [place([batch, size, size, inChannels], seededValues(batch * size * size * inChannels, 91)), place([3, 3, inChannels, outChannels], seededValues(9 * inChannels * outChannels, 93)), place([batch, out, out, outChannels], seededValues(batch * out * out * outChannels, 95))];
      return { g, run: { forward: () => passes.forward(x, filter, g), 'input gradient': () => passes.inputGradient(dy, filter, g), 'filter gradient': () => passes.filterGradient(x, dy, g) } };
    };
    const cases = [
      { name: "a first layer's input gradient (gathered sums)", at: (batch: number) => layer(batch, 28, 1, 16, 2), pass: 'input gradient' as const, batches: [64, 4] },
      { name: "a first layer's filter gradient (groups)", at: (batch: number) => layer(batch, 28, 1, 16, 2), pass: 'filter gradient' as const, batches: [64, 4] },
      { name: 'a last layer of one channel (patchDot)', at: (batch: number) => layer(batch, 28, 32, 1, 1), pass: 'forward' as const, batches: [6, 1] },
      { name: 'border classes forwards (16 -> 32 at stride 2)', at: (batch: number) => layer(batch, 14, 16, 32, 2), pass: 'forward' as const, batches: [8, 2] },
    ];
    for (const c of cases) {
      const [over, under] = c.batches.map(c.at);
      expect(directWork(over.g), c.name).toBeGreaterThanOrEqual(MIN_FEW_CALLS_WORK);
      expect(directWork(over.g), c.name).toBeLessThan(MIN_IMAGE_BANDS_WORK);
      expect(directWork(under.g), c.name).toBeLessThan(MIN_FEW_CALLS_WORK);
      const programJobs = (run: () => unknown) => {
        const before = kernelThreadStats(backend)!.programJobs;
        run();
        return kernelThreadStats(backend)!.programJobs - before;
      };
      expect(programJobs(over.run[c.pass]), c.name).toBe(1);
      expect(programJobs(under.run[c.pass]), `${c.name}, smaller`).toBe(0);
    }
  }, 60_000);
});

describe('recorded programs (KernelThreads.runRecorded)', () => {
  it('run each band in its order on one thread, and run nothing when the calls overflow the block', async () => {
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 64, shared: true });
    const pool = await KernelThreads.start(compileKernels(memory, false), memory, 2, startNodeThread);
    try {
      const floats = new Float32Array(memory.buffer);
      const words = new Int32Array(memory.buffer);
      // each band: a run of numbers copied forward one step at a time, so that the order of its calls shows in the result
      floats.fill(0);
      floats.set([1, 2, 3, 4], 1024);
      floats.set([5, 6, 7, 8], 2048);
      pool.runRecorded(2, (band, kernels) => {
        // band 0 is published before band 1 is recorded: a worker runs it while this thread waits here
        const one = 0x3f800000; // 1 as float32 bits, read atomically: a plain read of shared memory may be kept from the loop's first turn
        if (band === 1) for (const until = Date.now() + 30_000; Atomics.load(words, 1024 + 12) !== one; ) if (Date.now() > until) throw new Error('no worker ran band 0');
        const at = (band ? 2048 : 1024) * 4;
        for (let step = 0; step < 3; step++) kernels.copyRuns(at + step * 16, 16, at + (step + 1) * 16, 16, 1, 16);
      });
      expect(Array.from(floats.subarray(1024, 1040))).toEqual([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]);
      expect(Array.from(floats.subarray(2048, 2064))).toEqual([5, 6, 7, 8, 5, 6, 7, 8, 5, 6, 7, 8, 5, 6, 7, 8]);
      expect(pool.stats.programJobs).toBe(1);
      // more words than the block holds in the second band: ProgramFull naming it, the first band run, not one call of the second made
      floats.fill(1, 4096, 4104);
      let thrown: unknown = null;
      try {
        pool.runRecorded(3, (band, kernels) => {
          if (band === 0) kernels.zeroBytes(4096 * 4, 16);
          else for (let i = 0; i < PROGRAM_WORDS / 4; i++) kernels.zeroBytes((4100 + band) * 4, 4);
        });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ProgramFull);
      expect((thrown as ProgramFull).band).toBe(1);
      expect(Array.from(floats.subarray(4096, 4104))).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
      expect(pool.stats.programJobs).toBe(2);
    } finally {
      pool.stop();
    }
  });
});
