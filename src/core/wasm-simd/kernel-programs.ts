/**
 * Recorded programs: a list of our kernels' calls, written into a shared block of words by
 * one thread and run later, in order, by another (kernel-threads.ts, KernelThreads.runRecorded).
 * A Winograd pass is thousands of calls of a few microseconds each, too small to share one by
 * one; recorded image by image, whole bands of images go to the pool's threads (heap.ts,
 * eachImage). A call is the kernel's index among the module's exports, its count of arguments
 * and the arguments, every one an i32 (addresses, counts, flags and float32 bits).
 */
import { kernelsFrom, type HeapMemory, type WasmKernels } from './kernels';

/** The parts of the WebAssembly API used here, present in every browser and Node. */
declare const WebAssembly: {
  Module: { exports(module: object): Array<{ name: string }> };
  Instance: new (module: object, imports: object) => { exports: object };
};

/**
 * The program block's size in words: the recorded calls of one job's bands. A Winograd
 * forward pass records about 50 calls an image of about 15 words each (HeapKernels'
 * eachImage runs the batch in rounds that fit).
 */
export const PROGRAM_WORDS = 1 << 18;
/** Arguments a recorded call may have at most (runProgram passes this many): our kernels' most is quadInputTile5's 19. */
export const PROGRAM_ARGUMENTS = 20;

/** Thrown when a band's calls do not fit the program block: by runRecorded, with the bands before `band` run, it and those after not. */
export class ProgramFull extends Error {
  constructor(readonly band = 0) {
    super(`recorded kernel calls over the program block's ${PROGRAM_WORDS} words`);
  }
}

/**
 * runProgram as text, for the pool's workers (their program is text: the page's policy allows
 * no eval). The same steps as runProgram below.
 */
export const RUN_PROGRAM_SOURCE = `
function runProgram(calls, w, at, end) {
  while (at < end) {
    const a = at + 2;
    calls[w[at]](${Array.from({ length: PROGRAM_ARGUMENTS }, (_, i) => `w[a + ${i}]`).join(', ')});
    at = a + w[at + 1];
  }
}
`;

/**
 * The calls w[at..end) holds, made in order on `calls` (the module's exports in its order).
 * Every call passes PROGRAM_ARGUMENTS words, a kernel's own and the words after them, which a
 * WebAssembly function ignores past its parameters: 13 ns a call where copying each call's
 * own into an array for Reflect.apply took 68 (a scratch microbenchmark in Node 20).
 */
function runProgram(calls: Array<(...args: number[]) => void>, w: Int32Array, at: number, end: number): void {
  while (at < end) {
    const a = at + 2;
    calls[w[at]](w[a], w[a + 1], w[a + 2], w[a + 3], w[a + 4], w[a + 5], w[a + 6], w[a + 7], w[a + 8], w[a + 9], w[a + 10], w[a + 11], w[a + 12], w[a + 13], w[a + 14], w[a + 15], w[a + 16], w[a + 17], w[a + 18], w[a + 19]);
    at = a + w[at + 1];
  }
}

/** The names of `module`'s exports (our kernels), in its order: a kernel's index in a program. */
function exportNames(module: object): string[] {
  return WebAssembly.Module.exports(module).map((entry) => entry.name);
}

/**
 * A shared block of recorded calls, on one thread: kernels that record into it (`kernels`,
 * each call appended at `end`), and the module's exports on an instance of this thread's own
 * over the heap, to run a stretch of it as a worker does (`run`).
 */
export class ProgramBlock {
  readonly words: Int32Array;
  /** The first free word: where the next recorded call goes. */
  end = 0;
  readonly kernels: WasmKernels;
  private readonly calls: Array<(...args: number[]) => void>;

  constructor(buffer: SharedArrayBuffer, module: object, memory: HeapMemory) {
    const words = (this.words = new Int32Array(buffer));
    const names = exportNames(module);
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, (...args: number[]) => void>;
    this.calls = names.map((name) => exports[name]);
    // each kernel's parameters: runProgram passes PROGRAM_ARGUMENTS words to every call, so a
    // call recorded with fewer arguments would take the next call's words where a direct call
    // takes zeros; a count that is not the kernel's is an error here
    const arities = this.calls.map((kernel) => kernel.length);
    if (Math.max(...arities) > PROGRAM_ARGUMENTS) throw new Error(`a kernel of ${Math.max(...arities)} parameters: a program passes ${PROGRAM_ARGUMENTS}`);
    const record = (kernel: number, args: number[]) => {
      const at = this.end;
      if (args.length !== arities[kernel]) throw new Error(`${names[kernel]}: ${args.length} arguments recorded for ${arities[kernel]} parameters`);
      if (at + 2 + args.length > words.length) throw new ProgramFull();
      words[at] = kernel;
      words[at + 1] = args.length;
      for (let i = 0; i < args.length; i++) words[at + 2 + i] = args[i];
      this.end = at + 2 + args.length;
    };
    // the kernels as our callers call them (defaults and argument orders as kernels.ts gives them), over recorders of the exports' calls
    this.kernels = kernelsFrom(Object.fromEntries(names.map((name, index) => [name, (...args: number[]) => record(index, args)])));
  }

  /** Makes the calls words[start..end) holds, in order, on this thread. */
  run(start: number, end: number): void {
    runProgram(this.calls, this.words, start, end);
  }
}
