/**
 * Our matrix products on several threads: a pool of workers that share the WASM backend's
 * heap and each run a band of a product's rows (or columns) through the same kernels.
 *
 * Why: where the page is cross-origin isolated TF.js runs XNNPACK on half the logical cores
 * (two threads on a 4-core laptop, four on an 8-core one), but our kernels, which replace
 * most of its convolutions and products, ran on one. A product's rows are independent, and
 * each sum is made the same way whichever block of registers makes it (kernels.ts), so a
 * product cut into bands gives the same numbers, bit for bit, on any number of threads.
 *
 * How: the heap is shared memory (TF.js's threaded build), so each pool worker instantiates
 * our kernel module over the same memory. A call writes its bands' arguments into a shared
 * block of words, wakes the workers (Atomics.notify), and takes bands itself; every thread
 * takes the next band left until none is, so a worker that wakes late costs nothing but the
 * bands it takes. The caller then waits for the bands others took (Atomics.wait, allowed in
 * a worker and in Node, never on a page's main thread: the pool is started only in the
 * training worker). Threads spin briefly before they sleep, since a sleeping one takes
 * 10-50 microseconds to wake. Which calls are cut, and how: kernel-bands.ts.
 *
 * Element-wise kernels are cut into bands of units the same way (unit-bands.ts). Passes made
 * of many small calls, such as a Winograd pass's transforms and products image after image,
 * whose products are too small to cut, share out whole images instead: the caller records each
 * band's calls into a shared program block (runRecorded), and publishes each band as soon as
 * it is recorded, so that the others run it while the caller records the next.
 *
 * The pool knows nothing of browsers or Node: whoever starts it passes a ThreadStarter
 * that makes a worker from source text (a blob worker in the browser, worker_threads in tests).
 */
import { PROGRAM_WORDS, ProgramBlock, ProgramFull, RUN_PROGRAM_SOURCE } from './kernel-programs';
import { isSharedHeap, type HeapMemory, type WasmKernels } from './kernels';
import { UNIT_LAYOUTS, type UnitKernel } from './unit-bands';

/** The clock of every engine the core runs in (a worker, Node); core's libraries type no DOM. */
declare const performance: { now(): number };

/** The kernels a pool worker can run, by their index in the control block: the products, then the element-wise kernels (unit-bands.ts). */
const KERNEL_NAMES = ['gemm', 'gemmTable', 'gemmGather', ...(Object.keys(UNIT_LAYOUTS) as UnitKernel[])] as const;
export type ThreadedKernel = 'gemm' | 'gemmTable' | 'gemmGather' | UnitKernel;
/** A job whose bands are recorded programs (runRecorded): each band's two arguments are where its calls start and end in the program block. */
const PROGRAM = KERNEL_NAMES.length;

/**
 * The control block's words. CLAIM holds the job's number, its count of bands and the next
 * band to take (job << 10 | bands << 5 | next): threads take bands by compare-and-swap on
 * it, reading nothing else to decide, so a thread that wakes late finds its job's number
 * gone, or every band taken (the caller may have run them all itself), and a band is never
 * taken twice, not even while the caller writes the next job's arguments (a job ends only
 * when all its bands are taken and done). A job may start with no bands and have them added
 * (publish): a thread that finds every band published so far taken waits for the word to
 * change. DONE counts the bands run, FAILED is set by a band that threw; then the kernel, its
 * number of arguments, and each band's arguments.
 */
const [CLAIM, DONE, FAILED, KERNEL, ARGUMENT_COUNT] = [0, 1, 2, 4, 5];
const HEADER = 8;
const BAND_WORDS = 16;
/** Bands a job has at most (kernel-bands.ts cuts two a thread). */
export const MAX_BANDS = 16;
/** Job numbers run below this (shifted by 10 they stay a positive i32); -1 in CLAIM stops the workers. */
const JOBS = 1 << 21;
/**
 * Loads of a word a thread makes before it sleeps on it (Atomics.wait): a sleeping thread
 * takes 10-50 microseconds to wake, longer than a band of a small product, and the next
 * product often follows within microseconds. About 50-100 microseconds of spinning.
 */
const SPIN_LOADS = 20_000;
/** How long a worker spins for the next job before it sleeps. */
const WORKER_SPIN_MS = 0.1;
/** A band a worker took and has not finished within this long is taken as a worker gone (killed, out of memory): an error, not a page that hangs. Long, so that a paused debugger or a laptop's sleep does not trip it. */
const ANSWER_TIMEOUT_MS = 60_000;

/** What a pool worker is given: our kernel module, the heap, the control block and its number. */
export interface ThreadInit {
  module: object;
  memory: object;
  control: SharedArrayBuffer;
  /** Recorded programs' calls (runRecorded): a kernel's index among the module's exports, its count of arguments, the arguments. */
  program: SharedArrayBuffer;
  slot: number;
}

export interface ThreadHandle {
  terminate(): void;
}

/**
 * Starts a worker that runs `source` (which defines `serve(init, ready)`), hands it `init`,
 * and resolves once it calls ready(); rejects if it cannot start.
 */
export type ThreadStarter = (source: string, init: ThreadInit) => Promise<ThreadHandle>;

/**
 * A pool worker's whole program, as text (the page's policy allows no eval, and the caller
 * runs the same steps in KernelThreads.finish): it instantiates the kernels over the shared
 * heap, says it is ready, then waits for jobs and takes their bands until none is left.
 */
export const THREAD_SOURCE = `${RUN_PROGRAM_SOURCE}
function serve(init, ready) {
  const kernels = new WebAssembly.Instance(init.module, { env: { memory: init.memory } }).exports;
  const names = ${JSON.stringify(KERNEL_NAMES)};
  const calls = WebAssembly.Module.exports(init.module).map((entry) => kernels[entry.name]);
  const control = new Int32Array(init.control);
  const program = new Int32Array(init.program);
  ready();
  let seen = 0;
  // nothing to take: the job seen, every band published so far taken (a job's bands may be published a few at a time)
  const idle = (word) => word >= 0 && word >> 10 === seen && (word & 31) >= ((word >> 5) & 31);
  for (;;) {
    let word = Atomics.load(control, ${CLAIM});
    const until = performance.now() + ${WORKER_SPIN_MS};
    for (let spin = 1; idle(word); spin++) {
      if ((spin & 255) === 0 && performance.now() > until) break;
      word = Atomics.load(control, ${CLAIM});
    }
    while (idle(word)) {
      Atomics.wait(control, ${CLAIM}, word);
      word = Atomics.load(control, ${CLAIM});
    }
    if (word < 0) return;
    seen = word >> 10;
    for (;;) {
      word = Atomics.load(control, ${CLAIM});
      if (word >> 10 !== seen || (word & 31) >= ((word >> 5) & 31)) break;
      if (Atomics.compareExchange(control, ${CLAIM}, word, word + 1) !== word) continue;
      const at = ${HEADER} + (word & 31) * ${BAND_WORDS};
      try {
        if (control[${KERNEL}] === ${PROGRAM}) runProgram(calls, program, control[at], control[at + 1]);
        else kernels[names[control[${KERNEL}]]](...control.subarray(at, at + control[${ARGUMENT_COUNT}]));
      } catch (error) {
        Atomics.store(control, ${FAILED}, 1);
      }
      // the caller waits for all the job's bands, which this thread may not know yet: told of each
      Atomics.add(control, ${DONE}, 1);
      Atomics.notify(control, ${DONE});
    }
  }
}
`;

/** A pool of `count - 1` workers; the calling thread is the count's first. */
export class KernelThreads {
  private job = 0;
  /** When the last job ended (performance.now()): for WORKER_SPIN_MS after it the workers spin, ready at once. */
  private lastEnd = -Infinity;
  private stopped = false;
  /** Since the pool started: calls cut (products and element-wise kernels) and recorded programs run, the element-wise ones and the programs among them, their bands, the bands this thread ran itself, and the milliseconds spent in them. */
  readonly stats = { jobs: 0, elementwiseJobs: 0, programJobs: 0, bands: 0, bandsHere: 0, ms: 0 };

  private constructor(
    private readonly control: Int32Array,
    /** runRecorded's calls: recorded here, run by any thread. */
    private readonly programs: ProgramBlock,
    private readonly workers: ThreadHandle[],
  ) {}

  /** Starts `count - 1` workers on `memory`'s heap (shared memory) with `module` (our kernels, kernels.ts). */
  static async start(module: object, memory: HeapMemory, count: number, startThread: ThreadStarter): Promise<KernelThreads> {
    if (!isSharedHeap(memory)) throw new Error('kernel threads need a shared heap (the threaded WASM build)');
    const control = new SharedArrayBuffer((HEADER + MAX_BANDS * BAND_WORDS) * 4);
    const program = new SharedArrayBuffer(PROGRAM_WORDS * 4);
    const started = await Promise.allSettled(Array.from({ length: count - 1 }, (_, i) => startThread(THREAD_SOURCE, { module, memory, control, program, slot: i + 1 })));
    const workers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) {
      workers.forEach((worker) => worker.terminate());
      throw new Error(`a kernel thread did not start: ${failed.reason instanceof Error ? failed.reason.message : String(failed.reason)}`);
    }
    return new KernelThreads(new Int32Array(control), new ProgramBlock(program, module, memory), workers);
  }

  /** Threads a call can run on: the caller's and the workers'. */
  get count(): number {
    return this.stopped ? 1 : this.workers.length + 1;
  }

  /**
   * Runs `kernel` once per list of arguments (i32s), the bands taken by whichever thread
   * is free first, this one (by `here`) among them; returns when all are done.
   */
  run(kernel: ThreadedKernel, parts: number[][], here: (...args: number[]) => void): void {
    if (parts.length > MAX_BANDS) throw new Error(`${parts.length} bands: at most ${MAX_BANDS}`);
    this.begin(KERNEL_NAMES.indexOf(kernel), parts[0].length);
    this.publish(parts);
    this.finish(kernel, here);
  }

  /**
   * Runs `bands` lists of kernel calls as one job, each list by one thread in its order, the
   * lists at once: `record(band, kernels)` makes band `band`'s calls on kernels that only
   * record them (kernel-programs.ts), and each band is published as soon as it is recorded, so
   * that other threads run it while this one records the next. So the lists must be
   * independent: none may write what another reads or writes (each its own images and its own
   * scratch), and `record` may not read what the calls write. Throws ProgramFull where a
   * band's calls do not fit the program block, having run the bands before it and none after.
   */
  runRecorded(bands: number, record: (band: number, kernels: WasmKernels) => void): void {
    if (bands > MAX_BANDS) throw new Error(`${bands} bands: at most ${MAX_BANDS}`);
    const programs = this.programs;
    programs.end = 0;
    this.begin(PROGRAM, 2);
    let failure: unknown = null;
    for (let band = 0; band < bands && !failure; band++) {
      const start = programs.end;
      try {
        record(band, programs.kernels);
        this.publish([[start, programs.end]]);
      } catch (error) {
        failure = error instanceof ProgramFull ? new ProgramFull(band) : error;
      }
    }
    // the bands published run to their end, whatever happened to the others
    this.finish('a recorded program', (start, end) => programs.run(start, end));
    if (failure) throw failure;
  }

  /** Bands published in the job under way. */
  private published = 0;
  /** When the job under way began (performance.now()). */
  private began = 0;

  /** Starts a job of `kernel` (an index in KERNEL_NAMES, or PROGRAM) with no bands yet: the workers take them as they are published. */
  private begin(kernel: number, argumentCount: number): void {
    if (this.stopped) throw new Error('the kernel threads were stopped');
    const control = this.control;
    this.began = performance.now();
    control[KERNEL] = kernel;
    control[ARGUMENT_COUNT] = argumentCount;
    Atomics.store(control, DONE, 0);
    Atomics.store(control, FAILED, 0);
    this.published = 0;
    this.job = (this.job % (JOBS - 1)) + 1;
    Atomics.store(control, CLAIM, this.job << 10);
  }

  /** Adds bands to the job under way, each its list of arguments, and wakes the workers. */
  private publish(parts: number[][]): void {
    const control = this.control;
    if (this.published + parts.length > MAX_BANDS) throw new Error(`${this.published + parts.length} bands: at most ${MAX_BANDS}`);
    parts.forEach((part, i) => {
      if (part.length !== control[ARGUMENT_COUNT]) throw new Error(`${part.length} arguments in a band of a job of ${control[ARGUMENT_COUNT]}`);
      if (part.length > BAND_WORDS) throw new Error(`${part.length} arguments do not fit a band's words`);
      control.set(part, HEADER + (this.published + i) * BAND_WORDS);
    });
    this.published += parts.length;
    // the count of bands, in CLAIM: threads may be taking bands meanwhile, so added by compare-and-swap
    for (;;) {
      const word = Atomics.load(control, CLAIM);
      if (Atomics.compareExchange(control, CLAIM, word, word + (parts.length << 5)) === word) break;
    }
    Atomics.notify(control, CLAIM);
  }

  /** Takes the job's bands left, by `here`, waits for those other threads took, and counts the job; rethrows a band's failure. */
  private finish(kernel: string, here: (...args: number[]) => void): void {
    const control = this.control;
    const [job, total] = [this.job, this.published];
    let failure: unknown = null;
    // the same steps as a worker's (THREAD_SOURCE)
    for (;;) {
      const word = Atomics.load(control, CLAIM);
      if (word >> 10 !== job || (word & 31) >= total) break;
      if (Atomics.compareExchange(control, CLAIM, word, word + 1) !== word) continue;
      this.stats.bandsHere += 1;
      const at = HEADER + (word & 31) * BAND_WORDS;
      try {
        here(...control.subarray(at, at + control[ARGUMENT_COUNT]));
      } catch (error) {
        failure ??= error;
      }
      Atomics.add(control, DONE, 1);
    }
    let done = Atomics.load(control, DONE);
    for (let spin = 0; spin < SPIN_LOADS && done < total; spin++) done = Atomics.load(control, DONE);
    while (done < total) {
      if (Atomics.wait(control, DONE, done, ANSWER_TIMEOUT_MS) === 'timed-out') {
        this.stop();
        throw new Error(`a kernel thread did not finish its band within ${ANSWER_TIMEOUT_MS / 1000} s; the kernels run on one thread from now on`);
      }
      done = Atomics.load(control, DONE);
    }
    this.lastEnd = performance.now();
    if (total > 0) {
      this.stats.jobs += 1;
      if (control[KERNEL] === PROGRAM) this.stats.programJobs += 1;
      else if (Object.hasOwn(UNIT_LAYOUTS, kernel)) this.stats.elementwiseJobs += 1;
      this.stats.bands += total;
      this.stats.ms += this.lastEnd - this.began;
    }
    if (Atomics.load(control, FAILED)) failure ??= new Error(`${kernel} failed on a kernel thread`);
    if (failure) throw failure;
  }

  /** Are the workers likely still spinning after the last job (within half of WORKER_SPIN_MS of its end), so that a small job pays? */
  get spinning(): boolean {
    return performance.now() - this.lastEnd < WORKER_SPIN_MS / 2;
  }

  /** Ends the workers; calls after it run on the calling thread. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.store(this.control, CLAIM, -1);
    Atomics.notify(this.control, CLAIM);
    this.workers.forEach((worker) => worker.terminate());
  }
}
