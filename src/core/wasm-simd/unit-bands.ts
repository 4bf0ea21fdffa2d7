/**
 * Where an element-wise kernel's arguments lie, so that kernel-threads.ts can cut its call
 * into bands: the argument that counts its units (numbers, pixels, rows) and, for each
 * pointer the kernel walks, how many floats one unit moves it on. A band of units
 * [first, first + count) is the same call with each such pointer moved by first units and
 * the count set to count. Every kernel listed computes each unit from that unit's own
 * inputs alone, with the same float32 operations wherever the unit falls (a vector of four
 * lanes or the one-number tail: elementwise-kernels.ts's lanewise, exp-kernels.ts's
 * unrolled loops), so bands give the one-call numbers, bit for bit, and never write the
 * same place twice.
 *
 * Why: these kernels are a fifth to a quarter of PixelCNN++'s and PixelRNN's steps and most
 * of the EBM's time outside its products; on one thread they bound what a second thread of
 * ours can give (Amdahl).
 *
 * Not listed: kernels whose units share scratch space (mixtureLikelihood, normalFast's
 * state), sums over units (sumRows, maxRows), and those a step calls on small arrays only.
 */

/** A kernel's layout: the index of its count of units, and for each pointer it walks, its index and the floats one unit takes there (given the call's arguments). */
export interface UnitLayout {
  count: number;
  walks: ReadonlyArray<readonly [index: number, floats: (args: readonly number[]) => number]>;
  /** Does each number take an exponential (a long chain of operations, about 0.6 ns), not a few operations bound by memory (0.1-0.2 ns)? */
  exponential?: boolean;
  /** The numbers a unit's time goes by, where not the most floats it takes at any pointer (the gate: F sigmoids a pixel, not the 2F floats it reads). */
  numbersPerUnit?: (args: readonly number[]) => number;
}

/** A pointer that takes one float a unit. */
export const ONE_FLOAT = () => 1;
/** `factor` times the argument at `index` (a row's width). */
const times = (factor: number, index: number) => (args: readonly number[]) => factor * args[index];

/** The pointers 0 .. count - 1 (the inputs, then the outputs), one float each a unit, the count after them. */
const numbers = (count: number, exponential = false): UnitLayout => ({ count, walks: Array.from({ length: count }, (_, i) => [i, ONE_FLOAT] as const), exponential });

/** The element-wise kernels a pool may cut, by name (kernels.ts's WasmKernels), each unit computed from its own inputs. */
export const UNIT_LAYOUTS = {
  // x, out (or s, y), count
  eluForward: numbers(2, true),
  exponential: numbers(2, true),
  softplus: numbers(2, true),
  hyperbolicTangent: numbers(2, true),
  leakyRelu: numbers(2),
  // two inputs and out, count
  swishForward: numbers(3, true),
  eluGradient: numbers(3),
  reluGradient: numbers(3),
  leakyReluGradient: numbers(3),
  clipGradient: numbers(3),
  add: numbers(3),
  subtract: numbers(3),
  multiply: numbers(3),
  // dy, s, y, out (or x, g, noise, out), count
  swishGradient: numbers(4),
  langevinMove: numbers(4),
  // gateForward(c2, h, out, s, pixels, channels F): c2 holds 2F floats a pixel, the others F
  gateForward: { count: 4, walks: [[0, times(2, 5)], [1, times(1, 5)], [2, times(1, 5)], [3, times(1, 5)]], exponential: true, numbersPerUnit: times(1, 5) },
  // gateGradient(dy, c2, s, dc2, pixels, channels F)
  gateGradient: { count: 4, walks: [[0, times(1, 5)], [1, times(2, 5)], [2, times(1, 5)], [3, times(2, 5)]] },
  // lstmForward(gates, previous, h, c, act, tanhC, rows, units U): gates and act hold 4U floats a row, the others U
  lstmForward: { count: 6, walks: [[0, times(4, 7)], [1, times(1, 7)], [2, times(1, 7)], [3, times(1, 7)], [4, times(4, 7)], [5, times(1, 7)]], exponential: true },
  // lstmGradient(dh, dc, act, tanhC, previous, dGates, dPrevious, rows, units U)
  lstmGradient: { count: 7, walks: [[0, times(1, 8)], [1, times(1, 8)], [2, times(4, 8)], [3, times(1, 8)], [4, times(1, 8)], [5, times(4, 8)], [6, times(1, 8)]] },
  // softmaxRows(logits, values, p, offsets, sums, rows, columns C): logits and p C floats a row, the others one
  softmaxRows: { count: 5, walks: [[0, times(1, 6)], [1, ONE_FLOAT], [2, times(1, 6)], [3, ONE_FLOAT], [4, ONE_FLOAT]], exponential: true },
  // oneHotDifference(p, values, gradients, out, rows, columns C)
  oneHotDifference: { count: 4, walks: [[0, times(1, 5)], [1, ONE_FLOAT], [2, ONE_FLOAT], [3, times(1, 5)]] },
} satisfies Record<string, UnitLayout>;

export type UnitKernel = keyof typeof UNIT_LAYOUTS;

/**
 * About what a call's time goes by, in numbers that take an exponential each: its units
 * times the numbers of a unit (by default the most floats it takes at any pointer), a
 * quarter of that for kernels of a few operations a number. A loop, not map and spread:
 * it runs before every call while a pool runs, most of them too small to cut.
 */
export function unitWork(layout: UnitLayout, args: readonly number[]): number {
  let perUnit = 0;
  if (layout.numbersPerUnit) perUnit = layout.numbersPerUnit(args);
  else for (const [, floats] of layout.walks) perUnit = Math.max(perUnit, floats(args));
  return (args[layout.count] * perUnit) / (layout.exponential ? 1 : 4);
}

/** The call's arguments for units [first, first + count): each walked pointer moved on by `first` units. */
export function bandArguments(layout: UnitLayout, args: readonly number[], first: number, count: number): number[] {
  const band = [...args];
  for (const [index, floats] of layout.walks) band[index] += 4 * first * floats(args);
  band[layout.count] = count;
  return band;
}
