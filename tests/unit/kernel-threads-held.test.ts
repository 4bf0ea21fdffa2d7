import { afterAll, describe, expect, it, vi } from 'vitest';
import { allowRelaxedSimd } from '../../src/cli/node-backend';
import { sharedHeapBackend, startNodeThread } from '../../src/cli/shared-heap-backend';
import { SimdConvolutions } from '../../src/core/wasm-simd/convolution';
import { KernelThreads } from '../../src/core/wasm-simd/kernel-threads';
import { heapKernelsFor, kernelsOn, kernelThreadCount, kernelThreadStats, onOneThread, startKernelThreads, stopKernelThreads } from '../../src/core/wasm-simd/heap';
import { MIN_PARALLEL, MIN_PARALLEL_ASLEEP, sharesProduct } from '../../src/core/wasm-simd/kernel-bands';
import { defaultKernelThreads } from '../../src/worker/kernel-threads';
import { float32Bits, seededValues } from './wasm-simd-helpers';

/**
 * Our kernels held to the calling thread while a pool runs (heap.ts, onOneThread): the app
 * trains on two threads of ours on a machine of two cores but draws its views on one
 * (src/worker/training-loop.ts). While held, neither a pass's images (eachRun) nor a
 * product's rows (withKernelThreads) go to the pool, the numbers are the pool's to the bit,
 * and the pool takes work again once the last hold ends, however the holds nest, overlap
 * or fail.
 */

allowRelaxedSimd();

/** [m, k] x [k, n] of seeded values placed on `heap`, made by our kernels' gemm (through the pool, where it cuts): a call gives C's bits. */
function productOn(heap: ReturnType<typeof sharedHeapBackend>, m: number, n: number, k: number): () => number[] {
  const { backend, place, read } = heap;
  const [a, b, c] = [place([m, k], seededValues(m * k, 7)), place([k, n], seededValues(k * n, 9)), place([m, n], new Float32Array(m * n))];
  const address = (info: ReturnType<typeof place>) => backend.typedArrayFromHeap(info).byteOffset;
  return () => {
    kernelsOn(backend)!.gemm(address(a), 4 * k, 4, address(b), 4 * n, address(c), 4 * n, m, n, k, 0);
    return float32Bits(read(c));
  };
}

describe('onOneThread', () => {
  const heap = sharedHeapBackend(4096);
  const { backend, place, read } = heap;
  const passes = heapKernelsFor(SimdConvolutions, backend)!;
  afterAll(() => stopKernelThreads(backend));

  // conv-ae's middle layer at batch 8: its forward pass cuts its images into bands on a pool
  const g = { batch: 8, height: 28, width: 28, inChannels: 16, outH: 28, outW: 28, outChannels: 16, filterH: 3, filterW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1 };
  const x = place([g.batch, g.height, g.width, g.inChannels], seededValues(g.batch * g.height * g.width * g.inChannels, 3));
  const filter = place([3, 3, 16, 16], seededValues(3 * 3 * 16 * 16, 5));
  const forward = () => float32Bits(read(passes.forward(x, filter, g, {})));
  // a product the pool cuts into bands of rows however long its workers have slept
  const product = productOn(heap, 256, 64, MIN_PARALLEL_ASLEEP / (256 * 64));
  /** The pool's jobs that `work` ran, and what it returned. */
  const jobsOf = async <T>(work: () => Promise<T> | T): Promise<[number, T]> => {
    const before = kernelThreadStats(backend)!.jobs;
    const result = await work();
    return [kernelThreadStats(backend)!.jobs - before, result];
  };

  it('keeps the pass and the product off the pool, with the pool\'s numbers, and hands them back after', async () => {
    stopKernelThreads(backend);
    const alone = [forward(), product()];
    expect(await startKernelThreads(backend, 2, startNodeThread)).toBe(2);
    const [pooledJobs, pooled] = await jobsOf(() => [forward(), product()]);
    // a job for the product, and one or more for the pass's bands (more where its calls overflow the program block)
    expect(pooledJobs).toBeGreaterThanOrEqual(2);
    expect(pooled).toEqual(alone);

    const [heldJobs, held] = await jobsOf(() => onOneThread(backend, async () => [forward(), product()]));
    expect(heldJobs).toBe(0);
    expect(held).toEqual(alone);
    // the count stays the pool's, so the kernels chosen (ours or XNNPACK's) are the same while held
    expect(await onOneThread(backend, async () => kernelThreadCount(backend))).toBe(2);

    expect((await jobsOf(() => [forward(), product()]))[0]).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('holds while any of several overlapping holds is under way, and after one that failed lets go', async () => {
    expect(await startKernelThreads(backend, 2, startNodeThread)).toBe(2);
    let endFirst = () => {};
    const first = onOneThread(backend, () => new Promise<void>((resolve) => (endFirst = resolve)));
    const [jobsWhileBoth] = await jobsOf(() => onOneThread(backend, async () => forward()));
    expect(jobsWhileBoth).toBe(0);
    // nested in the first, which is still under way: the second's end does not let go
    expect((await jobsOf(() => onOneThread(backend, () => onOneThread(backend, async () => product()))))[0]).toBe(0);
    expect((await jobsOf(() => product()))[0]).toBe(0);
    endFirst();
    await first;
    expect((await jobsOf(() => product()))[0]).toBe(1);

    await expect(onOneThread(backend, async () => {
      throw new Error('a view failed');
    })).rejects.toThrow('a view failed');
    expect((await jobsOf(() => forward()))[0]).toBeGreaterThanOrEqual(1);
  }, 60_000);
});

describe('products while the workers sleep', () => {
  const heap = sharedHeapBackend(1024);
  const { backend } = heap;
  afterAll(() => stopKernelThreads(backend));

  it('are cut from MIN_PARALLEL multiply-adds while the workers spin, else from MIN_PARALLEL_ASLEEP', () => {
    expect(MIN_PARALLEL_ASLEEP).toBeGreaterThan(MIN_PARALLEL);
    expect(sharesProduct(MIN_PARALLEL - 1, true)).toBe(false);
    expect(sharesProduct(MIN_PARALLEL, true)).toBe(true);
    expect(sharesProduct(MIN_PARALLEL, false)).toBe(false);
    expect(sharesProduct(MIN_PARALLEL_ASLEEP - 1, false)).toBe(false);
    expect(sharesProduct(MIN_PARALLEL_ASLEEP, false)).toBe(true);
    // a lower threshold asleep (the band tests'), never under MIN_PARALLEL
    expect(sharesProduct(MIN_PARALLEL, false, MIN_PARALLEL)).toBe(true);
    expect(sharesProduct(MIN_PARALLEL - 1, false, 0)).toBe(false);
  });

  it("leave a small model's product on the calling thread after a pause, with the same numbers, and cut a large one", async () => {
    // ae's dense layer on 2-D points: [64, 256] x [256, 64], a million multiply-adds
    const small = productOn(heap, 64, 64, 256);
    const large = productOn(heap, 256, 64, MIN_PARALLEL_ASLEEP / (256 * 64));
    stopKernelThreads(backend);
    const alone = [small(), large()];
    expect(await startKernelThreads(backend, 2, startNodeThread)).toBe(2);
    const jobs = () => kernelThreadStats(backend)!.jobs;
    // the workers asleep: more than WORKER_SPIN_MS since the pool's last job (here, none yet)
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(small()).toEqual(alone[0]);
    expect(jobs()).toBe(0);
    expect(large()).toEqual(alone[1]);
    expect(jobs()).toBe(1);
    // the small one while the workers spin (stubbed, so that the host's timing cannot decide): cut, the same numbers
    const spinning = vi.spyOn(KernelThreads.prototype, 'spinning', 'get');
    try {
      spinning.mockReturnValue(true);
      expect(small()).toEqual(alone[0]);
      expect(jobs()).toBe(2);
      spinning.mockReturnValue(false);
      expect(small()).toEqual(alone[0]);
      expect(jobs()).toBe(2);
    } finally {
      spinning.mockRestore();
    }
  }, 60_000);
});

describe('defaultKernelThreads', () => {
  it("takes TF.js's count where it has two or more, else two where the machine has two or three logical cores", () => {
    // TF.js takes half the logical cores: one on two or three, which leaves our second thread a core the page shares
    expect(defaultKernelThreads(1, 2)).toBe(2);
    expect(defaultKernelThreads(1, 3)).toBe(2);
    expect(defaultKernelThreads(1, 1)).toBe(1);
    // TF.js on one thread of a bigger machine (a page whose heap is not shared): ours stay with it
    expect(defaultKernelThreads(1, 8)).toBe(1);
    expect(defaultKernelThreads(2, 4)).toBe(2);
    expect(defaultKernelThreads(4, 8)).toBe(4);
    expect(defaultKernelThreads(4, 16)).toBe(4);
  });
});
