/**
 * Winograd's rows (./winograd.ts) for filters four rows high or more: 5x5 and 7x7 at stride 1,
 * and a PixelCNN's 7x7 masked filter cut at its centre row (4 x 7). Their rows go in runs of
 * three and two, each run one of winograd.ts's passes over the same output.
 */
import type { ConvolutionGeometry } from './convolution';
import { runsOf } from './winograd-columns';
import { combinable, nonzeroColumns, WinogradConvolutions } from './winograd';

/**
 * A filter four rows high or more (5x5, 7x7) in runs of rows (runsOf: 5 -> 3 + 2), each run
 * a filter of its own whose windows start that many rows lower, by winograd.ts's F(2, 3)
 * or F(2, 2), all over the same output: the first run stores it, with the bias, and the others
 * add to it. Five rows then take 4 + 3 = 7 row products for two output rows, where the direct
 * convolution takes 10. Each output still reads only its own window's rows, even in
 * rounding, as every run's does. With a lone row (a PixelCNN's 7x7 masked filter, cut to
 * 4 x 7) the runs are the other rows (3: F(2, 3), all unmasked), and the lone row is summed
 * after them, alone (loneRowAdded). Null where the rows do not combine (rowTransform), or for
 * three rows or fewer (rowTransform's own).
 */
export function rowRuns(g: ConvolutionGeometry, pass: 'forward' | 'filter gradient'): number[] | null {
  if (g.filterH < 4 || !combinable(g)) return null;
  if (pass === 'filter gradient' || g.loneRow === undefined) return runsOf(g.filterH);
  // the lone row, the last or (turned) the first, alone, its windows as many rows lower as the pass's padding allows
  return g.padTop >= g.loneRow && (g.loneRow === 0 || g.loneRow === g.filterH - 1) ? runsOf(g.filterH - 1) : null;
}

/** The passes of tall filters, on WinogradConvolutions' F(2, 3) and F(2, 2) passes. */
export class TallWinogradConvolutions extends WinogradConvolutions {
  /** The forward pass of a filter four rows high or more, by rowRuns' runs (above): g.filterH rows as `runs`. */
  protected tallWinogradForward(xAt: number, filterAt: number, outAt: number, g: ConvolutionGeometry, biasAt: number, relu: boolean, runs: number[]): void {
    const filterRow = g.filterW * g.inChannels * g.outChannels;
    const lone = g.loneRow;
    // the rows that combine: all of them, or those after a lone first row, or before a lone last one
    let row = lone === 0 ? 1 : 0;
    runs.forEach((run, i) => {
      const [first, last] = [i === 0, i === runs.length - 1 && lone === undefined];
      // rows [row, row + run) as a filter whose windows start `row` rows lower
      const part = { ...g, filterH: run, padTop: g.padTop - row, loneRow: undefined };
      const at = filterAt + row * filterRow * 4;
      // a run of three comes first (runsOf), and so stores
      if (run === 3) this.winogradForward(xAt, at, outAt, part, biasAt, relu && last);
      else this.pairWinogradForward(xAt, at, outAt, part, first ? biasAt : 0, relu && last, !first);
      row += run;
    });
    if (lone !== undefined) this.loneRowAdded(xAt, filterAt + lone * filterRow * 4, outAt, g, lone, relu);
  }

  /**
   * Adds the lone filter row's sums (at rowAt) to the output, then relu if fused: a one-row
   * convolution, its windows `lone` rows lower (rowRuns checked the padding allows it), read
   * in place, from the row's first live column to its last; where the left padding is
   * narrower than the columns skipped (the input gradient's turned type-A row), from as far
   * left as it reaches. A zero weight adds an exact zero, so a dead column kept leaks nothing.
   */
  private loneRowAdded(xAt: number, rowAt: number, outAt: number, g: ConvolutionGeometry, lone: number, relu: boolean): void {
    const [channels, n] = [g.inChannels, g.outChannels];
    const [live, end] = nonzeroColumns(this.heap(), rowAt / 4, g.filterW, channels * n);
    // an all-zero row still takes one column, so that relu is applied
    const [first, last] = end > live ? [Math.min(live, g.padLeft), end] : [0, 1];
    const single: ConvolutionGeometry = { ...g, filterH: 1, filterW: last - first, padTop: g.padTop - lone, padLeft: g.padLeft - first, loneRow: undefined };
    const [image, tables] = this.patchesInPlace(xAt, single);
    this.kernels.gemmTable(image, tables.pixels, tables.taps, rowAt + first * channels * n * 4, n * 4, outAt, n * 4, g.batch * g.outH * g.outW, n, (last - first) * channels, 1, 0, relu ? 1 : 0);
  }

  /** The filter gradient of a filter four rows high or more, a run of rows (rowRuns) at a time: each run's rows of dW. */
  protected tallWinogradFilterGradient(xAt: number, dyAt: number, dwAt: number, g: ConvolutionGeometry, runs: number[]): void {
    const filterRow = g.filterW * g.inChannels * g.outChannels;
    let row = 0;
    for (const run of runs) {
      // a lone row concerns only forward passes
      this.winogradFilterGradient(xAt, dyAt, dwAt + row * filterRow * 4, { ...g, filterH: run, padTop: g.padTop - row, loneRow: undefined }, run === 2);
      row += run;
    }
  }
}
