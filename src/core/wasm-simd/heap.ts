/**
 * What our WebAssembly kernels share on tfjs-backend-wasm's heap: the backend's parts they
 * use, scratch space, views and addresses. convolution.ts and matmul.ts build on it.
 */
import * as tf from '@tensorflow/tfjs';
import type { WasmBackend } from '../wasm-heap-views';
import type { ConvolutionGeometry } from './convolution';
import { ProgramFull } from './kernel-programs';
import { withKernelThreads } from './kernel-bands';
import { KernelThreads, MAX_BANDS, type ThreadStarter } from './kernel-threads';
import { compileKernels, hasRelaxedSimd, instantiateKernels, isSharedHeap, type HeapMemory, type WasmKernels } from './kernels';

export type { WasmBackend };

export const roundUp4 = (n: number) => Math.ceil(n / 4) * 4;

/**
 * to[c, r] = from[r, c] for a [rows, columns] matrix of floats with rows `fromStride` floats
 * apart, written with rows `toStride` apart; addresses in bytes. For filters and weights
 * (small): read in order, written across.
 */
export function transposeRows(heap: Float32Array, from: number, rows: number, columns: number, fromStride: number, to: number, toStride: number): void {
  const [source, target] = [from / 4, to / 4];
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) heap[target + c * toStride + r] = heap[source + r * fromStride + c];
}

/**
 * Filters written over into another layout (transposed, turned), kept per filter and key for
 * passes that take one filter again and again (a Langevin walk's ten input gradients run each
 * layer's one filter): TF.js never changes a tensor's values, so its data id names them (the
 * one kernel of ours that does, ../wasm-heap-overwrite.ts's, writes only into a replay
 * buffer that no other tensor shares, never a filter).
 */
export class KeptFilters {
  private readonly kept = new WeakMap<object, Map<string, Float32Array>>();

  /** Puts `floats` floats at `at` (bytes): those kept for (filter, key), or else those `make` writes there, which are then kept. */
  place(heap: Float32Array, filter: object, key: string, at: number, floats: number, make: () => void): void {
    const kept = this.kept.get(filter)?.get(key);
    if (kept && kept.length === floats) {
      heap.set(kept, at / 4);
      return;
    }
    make();
    const byKey = this.kept.get(filter) ?? new Map<string, Float32Array>();
    byKey.set(key, heap.slice(at / 4, at / 4 + floats));
    this.kept.set(filter, byKey);
  }
}

/** Heap scratch space, kept between calls and grown when a call needs more. */
export class Scratch {
  private address = 0;
  private bytes = 0;
  constructor(private readonly backend: WasmBackend) {}

  /** Byte addresses of regions of the given sizes (16-byte aligned), valid until the next call. */
  regions(sizes: number[]): number[] {
    const aligned = sizes.map((size) => Math.ceil(size / 16) * 16);
    const total = aligned.reduce((sum, size) => sum + size, 0) + 16;
    if (total > this.bytes) {
      if (this.address) this.backend.wasm._free(this.address);
      this.bytes = Math.max(total, this.bytes * 2);
      // malloc's address is a signed i32: above 2 GiB of heap it comes back negative
      this.address = this.backend.wasm._malloc(this.bytes) >>> 0;
      if (!this.address) {
        this.bytes = 0;
        throw new Error(`WASM kernels: no memory for ${total} bytes of scratch space`);
      }
    }
    let next = Math.ceil(this.address / 16) * 16;
    return aligned.map((size) => {
      const region = next;
      next += size;
      return region;
    });
  }
}

const scratches = new WeakMap<WasmBackend, Scratch>();

/** A backend's one Scratch for the heap kernels outside the passes (wasm-heap-noise.ts, wasm-heap-mixture.ts), made at first use. */
export function scratchOn(backend: WasmBackend): Scratch {
  let scratch = scratches.get(backend);
  if (!scratch) scratches.set(backend, (scratch = new Scratch(backend)));
  return scratch;
}

/** What a fused layer adds as its output is stored: a bias per output column, then relu. */
export interface Epilogue {
  bias?: tf.TensorInfo;
  relu?: boolean;
}

/** A pass on the heap: its kernels, scratch, and views of the heap. */
export class HeapKernels {
  protected readonly scratch: Scratch;
  /** The kernels the passes call: the backend's, or while eachImage records a band, kernels that record the calls. */
  protected kernels: WasmKernels;
  /** The filter gradients' sums of their groups of images past the first (groupedSums). */
  private readonly groupScratch: Scratch;
  constructor(protected readonly backend: WasmBackend, private readonly memory: HeapMemory, kernels: WasmKernels, readonly threads: number) {
    this.scratch = new Scratch(backend);
    this.groupScratch = new Scratch(backend);
    this.kernels = kernels;
  }

  /**
   * `each(b, setup, first)` for every image b of a pass's batch, in order, on this thread; or,
   * where the backend has a pool of kernel threads and the pass does at least
   * MIN_IMAGE_BANDS_WORK multiply-adds, the images cut into bands, a band's calls recorded
   * (KernelThreads.runRecorded) and the bands run at once, each by one thread. `setups(count)`
   * gives each band its own scratch (the first band's may be the pass's own), so that the bands
   * are independent: `each` must write only its image's outputs and its setup's scratch, read
   * no output of its own calls but through the kernels, and do nothing but call this.kernels.
   * Each image's calls are the same whichever thread makes them, so the numbers are one
   * thread's, to the bit. `groups` fixes the bands (contiguous images, `first` true for each
   * band's first) on any number of threads, one too: for sums over the batch, a sum per band
   * (./winograd.ts's filter gradients). Returns the bands' setups.
   */
  protected eachImage<S>(batch: number, work: number, setups: (count: number) => S[], each: (b: number, setup: S, first: boolean) => void, groups = 0): S[] {
    return this.eachRun(batch, work, setups, (first, end, setup, bandFirst) => {
      for (let b = first; b < end; b++) each(b, setup, b === bandFirst);
    }, groups);
  }

  /**
   * eachImage's bands, a run of units at a time: `run(first, end, setup, bandFirst)` for units
   * [first, end) of the band that starts at unit bandFirst, the runs of a band in order and
   * together its units; a band's runs are more than one only where its calls overflowed the
   * program block (rounds). The units are images, or whatever a pass takes whole in one call:
   * ./strided-winograd.ts's images, a chunk of them a call; convolution.ts's filter gradients'
   * chunks of pixels (`batch` then counts the chunks). The same rules as eachImage's `each`.
   * Below `least` multiply-adds the bands run on this thread: MIN_IMAGE_BANDS_WORK, or
   * MIN_FEW_CALLS_WORK for a pass of a few calls a band.
   */
  protected eachRun<S>(batch: number, work: number, setups: (count: number) => S[], run: (first: number, end: number, setup: S, bandFirst: number) => void, groups = 0, least = MIN_IMAGE_BANDS_WORK): S[] {
    const pool = poolNow(instances.get(this.backend));
    const threaded = imageBands && pool && pool.count > 1 && work >= least ? pool : null;
    const bands = groups || (threaded ? Math.min(batch, MAX_BANDS, threaded.count * BANDS_PER_THREAD) : 1);
    const own = setups(bands);
    const bandStart = (j: number) => Math.floor((j * batch) / bands);
    if (!threaded || bands < 2) {
      for (let j = 0; j < bands; j++) run(bandStart(j), bandStart(j + 1), own[j], bandStart(j));
      return own;
    }
    const kernels = this.kernels;
    // rounds of each band's next units, `perBand` at most, halved where a round's first band's calls alone overflow the program block
    const next = Array.from({ length: bands }, (_, j) => bandStart(j));
    let perBand = Math.ceil(batch / bands);
    while (next.some((b, j) => b < bandStart(j + 1))) {
      const ends = next.map((b, j) => Math.min(bandStart(j + 1), b + perBand));
      try {
        threaded.runRecorded(bands, (j, recorder) => {
          this.kernels = recorder;
          if (next[j] < ends[j]) run(next[j], ends[j], own[j], bandStart(j));
        });
        ends.forEach((end, j) => (next[j] = end));
      } catch (error) {
        if (!(error instanceof ProgramFull)) throw error;
        // the bands before the one that overflowed ran: the rest go in the next round, with fewer
        // units a band only where none ran (the first pending band's run alone was too long)
        const ran = next.slice(0, error.band).some((b, j) => b < ends[j]);
        for (let j = 0; j < error.band; j++) next[j] = ends[j];
        if (ran) continue;
        if (perBand === 1) throw error;
        perBand = Math.ceil(perBand / 2);
      } finally {
        this.kernels = kernels;
      }
    }
    return own;
  }

  /**
   * A filter gradient's sum over the batch of `product(first, count, sums, accumulate)`, each a
   * product over the pixels [first, first + count) (of `imagePixels` an image) stored into or,
   * with `accumulate`, added onto the `bytes` of sums at `sums`. The pixels go in chunks of
   * about `rows` (that stay in the second-level cache): whole images, as many as fit and as
   * even as whole images allow, or an image cut into pieces of `rows` or fewer. The chunks
   * are summed in groups of contiguous chunks, at most SUM_GROUPS (each group into sums of its
   * own, the first group's at `into`), then the groups added in order: the same groups and
   * chunks on any number of threads, so the same numbers, and on a pool of kernel threads, the
   * groups run at once (eachRun, whose units here are chunks), each by one thread.
   */
  protected groupedSums(g: ConvolutionGeometry, imagePixels: number, rows: number, bytes: number, into: number, product: (first: number, count: number, sums: number, accumulate: boolean) => void): void {
    const images = Math.max(1, Math.floor(rows / imagePixels)); // images a chunk
    const pieces = Math.ceil(imagePixels / rows); // or pieces an image
    const piece = pieces > 1 ? Math.ceil(imagePixels / pieces) : Infinity; // pixels a product: a chunk whole, or an image's piece
    const fewest = Math.ceil(g.batch / images);
    const groupCount = Math.min(SUM_GROUPS, fewest);
    // as many chunks in each group where whole images allow (10 chunks in 4 groups took 12, 20, 12 and 20 images)
    const chunks = Math.min(g.batch, Math.ceil(fewest / groupCount) * groupCount);
    // chunk c's images, [imageOf(c), imageOf(c + 1)): as even as whole images allow, so that the
    // groups on a pool take alike (seven images a chunk made a batch of 8 a chunk of 7 and one of 1)
    const imageOf = (chunk: number) => Math.floor((chunk * g.batch) / chunks);
    const setups = (count: number) => [into, ...this.groupScratch.regions(new Array<number>(count - 1).fill(bytes))];
    const groups = this.eachRun(chunks, directWork(g), setups, (start, end, sums, groupFirst) => {
      for (let chunk = start; chunk < end; chunk++) {
        const [first, last] = [imageOf(chunk) * imagePixels, imageOf(chunk + 1) * imagePixels];
        for (let at = first; at < last; at += piece) product(at, Math.min(piece, last - at), sums, chunk > groupFirst || at > first);
      }
    }, groupCount, MIN_FEW_CALLS_WORK);
    for (const sums of groups.slice(1)) this.kernels.addRuns(sums, 0, into, 0, 1, bytes);
  }

  /** How many threads our products run on now (kernel-threads.ts): where TF.js has more, its XNNPACK products may be faster. */
  get ourThreads(): number {
    return kernelThreadCount(this.backend);
  }

  /** The heap as floats, viewed anew: a view taken before an allocation grew the heap is empty. */
  protected heap(): Float32Array {
    return new Float32Array(this.memory.buffer);
  }

  /** The heap as 32-bit integers (tables of offsets), viewed anew as heap() is. */
  protected words(): Int32Array {
    return new Int32Array(this.memory.buffer);
  }

  /** Zeros `count` floats at `at` (by memory.fill: on a shared heap TypedArray.fill is several times slower). */
  protected zero(at: number, count: number): void {
    if (count > 0) this.kernels.zeroBytes(at, count * 4);
  }

  /**
   * Copies `rows` rows of `n` floats between row strides (in floats); addresses in bytes. By our
   * copyRuns in one call: a JavaScript copyWithin a row cost about 16 ns a call, 0.28 ms for
   * the 17,248 rows of 15 numbers of PixelCNN++'s mixture layer against 0.04.
   */
  protected copyRows(from: number, fromStride: number, to: number, toStride: number, rows: number, n: number): void {
    if (rows > 0 && n > 0) this.kernels.copyRuns(from, fromStride * 4, to, toStride * 4, rows, n * 4);
  }

  protected address(info: tf.TensorInfo): number {
    return this.backend.typedArrayFromHeap(info).byteOffset;
  }
}

/** The heap's WebAssembly.Memory: exported by the single-threaded build, Module.wasmMemory in the threaded one. */
function heapMemory(backend: WasmBackend): HeapMemory | undefined {
  return backend.wasm.asm?.memory ?? backend.wasm.wasmMemory;
}

/** A pass of fewer multiply-adds than this (counted as a direct convolution does them) runs its images on one thread (eachImage): about 80 microseconds of work. */
export const MIN_IMAGE_BANDS_WORK = 1 << 22;
/**
 * The same for a pass of a few calls a band (a product a chunk, or a product and its gathers,
 * in place of a Winograd pass's fifty calls an image): about 20 microseconds of work. Below
 * MIN_IMAGE_BANDS_WORK such a pass's products were cut on their own (kernel-bands.ts), a job
 * each, and an image's first layer's gradients lost by it on two threads.
 */
export const MIN_FEW_CALLS_WORK = 1 << 20;
/** A pass's multiply-adds as a direct convolution does them: what decides whether its images are cut over threads (eachImage). */
export const directWork = (g: ConvolutionGeometry) => g.batch * g.outH * g.outW * g.outChannels * g.inChannels * g.filterH * g.filterW;

/**
 * Groups of images a filter gradient sums apart (each into sums of its own, then added in
 * order): four, or the batch if smaller, on any number of threads, so that its numbers do not
 * depend on how many threads run the groups (eachImage, groupedSums).
 */
export const SUM_GROUPS = 4;
export const sumGroups = (g: ConvolutionGeometry) => Math.min(SUM_GROUPS, g.batch);

/** Bands of images a thread: one that starts late leaves its second to another. */
const BANDS_PER_THREAD = 2;

let imageBands = true;

/** Turns off cutting a pass's images over the kernel threads (eachImage; its products are then cut as before, where large enough): for measuring one against the other on a pool. */
export function useImageBands(on: boolean): void {
  imageBands = on;
}

/** Our kernels on one backend's heap: the module they came from and the pool, if any, that runs their products on more threads. */
interface OnBackend {
  kernels: WasmKernels;
  module: object;
  memory: HeapMemory;
  threads: KernelThreads | null;
  /** How many onOneThread calls are under way: while any is, the pool takes no work. */
  held: number;
}

const instances = new WeakMap<object, OnBackend | null>();

/** The pool that takes work now: none while onOneThread holds it. */
const poolNow = (state: OnBackend | null | undefined): KernelThreads | null => (state && state.held === 0 ? state.threads : null);

function onBackend(backend: WasmBackend): OnBackend | null {
  if (!instances.has(backend)) {
    const memory = heapMemory(backend);
    if (!memory) instances.set(backend, null);
    else {
      const fused = hasRelaxedSimd();
      const module = compileKernels(memory, fused);
      const state: OnBackend = { module, memory, threads: null, held: 0, kernels: null as unknown as WasmKernels };
      state.kernels = withKernelThreads(instantiateKernels(memory, fused, module), () => poolNow(state));
      instances.set(backend, state);
    }
  }
  return instances.get(backend) ?? null;
}

/** Our kernels on a WASM backend's heap, made once per backend; null without a heap to work on. */
export function kernelsOn(backend: WasmBackend): WasmKernels | null {
  return onBackend(backend)?.kernels ?? null;
}

/**
 * Runs our matrix products on `count` threads from now on (kernel-threads.ts): workers made
 * by `startThread` over the backend's heap, which must be shared memory (TF.js's threaded
 * build, in a cross-origin isolated page). Resolves to the count that runs: 1 where the heap
 * is not shared or count is 1. Throws if a worker does not start (the kernels then stay on one thread).
 */
export async function startKernelThreads(backend: WasmBackend, count: number, startThread: ThreadStarter): Promise<number> {
  const state = onBackend(backend);
  if (!state) return 1;
  stopKernelThreads(backend);
  if (count < 2 || !isSharedHeap(state.memory)) return 1;
  state.threads = await KernelThreads.start(state.module, state.memory, count, startThread);
  return state.threads.count;
}

/** Ends the backend's kernel threads, if any: its products run on the calling thread again. */
export function stopKernelThreads(backend: WasmBackend): void {
  const state = instances.get(backend);
  state?.threads?.stop();
  if (state) state.threads = null;
}

/**
 * Runs `work` with our kernels on the calling thread alone, the pool left idle (its workers
 * go to sleep), and resolves to its result. For work of many small passes beside a busy
 * page: on a machine of two cores the app trains on two threads of ours, but draws its
 * views on one (src/worker/training-loop.ts). The numbers are the same either way. Calls may
 * nest and overlap; the pool takes work again when the last one ends. `kernelThreadCount` is
 * unchanged meanwhile, so the kernels chosen stay the same.
 */
export async function onOneThread<T>(backend: WasmBackend, work: () => Promise<T>): Promise<T> {
  const state = onBackend(backend);
  if (!state) return work();
  state.held++;
  try {
    return await work();
  } finally {
    state.held--;
  }
}

/** The backend's pool's counts since it started (KernelThreads.stats), or null without one. */
export function kernelThreadStats(backend: WasmBackend): KernelThreads['stats'] | null {
  const threads = instances.get(backend)?.threads;
  return threads ? { ...threads.stats } : null;
}

/** How many threads our products run on for this backend: 1 without a pool. */
export function kernelThreadCount(backend: WasmBackend): number {
  return instances.get(backend)?.threads?.count ?? 1;
}

/** A `Kind` of pass for the current WASM backend, or null without a heap to work on. */
export function heapKernelsFor<T extends HeapKernels>(
  Kind: new (backend: WasmBackend, memory: HeapMemory, kernels: WasmKernels, threads: number) => T,
  backend: WasmBackend,
): T | null {
  const memory = heapMemory(backend);
  const kernels = kernelsOn(backend);
  if (!memory || !kernels) return null;
  return new Kind(backend, memory, kernels, backend.wasm._get_threads_count?.() ?? 1);
}
