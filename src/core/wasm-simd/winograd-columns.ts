/**
 * Winograd along the columns of ./winograd.ts's row products. Each row product is itself a
 * convolution along the columns, and takes Winograd's transforms the same way: column tiles
 * instead of row pairs, a tap's channels where a row's pixels were. Column pairs take the row
 * kernels (F(2, 3) and F(2, 2), ./winograd-kernels.ts); column fours kernels of their own
 * (F(4, 3) and F(4, 5), ./winograd-quad-kernels.ts). Where that pays (`columnRuns`): the
 * filter gradient (PixelCNN's 3x5 layer 20.2 -> 16.5 ms, conv-ae's 3x3 25.4 -> 17.9 ms), and
 * forward passes by filters of an odd width (conv-ae's 23.5 -> 19.5 ms), not of an even one,
 * whose planes' products run too short for F(2, 2).
 */
import type { ConvolutionGeometry } from './convolution';
import type { WasmKernels } from './kernels';
import { PatchedConvolutions, type PatchTables } from './patch-tables';
import { filterGradientRows, pairFilterGradientRows, transformFilter, transformPairFilter } from './winograd-filters';
import type { QuadTaps } from './winograd-quad-kernels';

let columnsEnabled = true;
let quadsEnabled = true;

/**
 * The least [Ci, Co] of a forward plane's product worth the column transform: at 16 x 16 its
 * products were too short, and 3x3 layers slower with it (batch 16, 28 x 28: forwards 2.11 ->
 * 2.16 ms, the input gradient 2.27 -> 2.49; batch 128: 11.6 -> 12.6 and 11.5 -> 12.3), where
 * 16 x 32 and 32 x 16 (PixelCNN++'s 2x3 layer, conv-ae's 14 x 14 one) gained 2-5%. Column
 * fours (F(4, 3), F(4, 5)) pay at any size, and ignore it.
 */
const MIN_FORWARD_PLANE = 512;
let leastForwardPlane = MIN_FORWARD_PLANE;

/**
 * Turns the column transform of the row products off (each row product then runs as one
 * product over its taps): for measuring one against the other. `minForwardPlane` (tests: 0)
 * lets forward passes take it on planes of any size.
 */
export function useWinogradColumns(on: boolean, minForwardPlane = MIN_FORWARD_PLANE): void {
  columnsEnabled = on;
  leastForwardPlane = minForwardPlane;
}

/** Turns F(4, 3) and F(4, 5) along the columns off (three taps then take F(2, 3), five 3 + 2): for measuring one against the other. */
export function useQuadColumns(on: boolean): void {
  quadsEnabled = on;
}

/**
 * How a row product's taps split into runs along the columns, if they do: where an even
 * number of output columns (so that column pairs tile each row), the taps in runs of three
 * (F(2, 3)) and two (F(2, 2)), one run of three first if the count is odd, so that only the
 * first run's outputs are stored rather than added (5 -> [3, 2], 4 -> [2, 2]). Forwards only
 * for an odd width, with a run of three: there each plane's product is only as long as the
 * input's channels (16-32 in our models), and F(2, 2)'s quarter off alone did not pay for the
 * transforms (PixelCNN++'s 2x2 layers: its step 1.09x with them, side by side), where F(2, 3)'s
 * third did (conv-ae's 3x3 layers; PixelCNN's five columns, 3 + 2: its step 0.94-0.97x),
 * and not for 16 channels in and 16 out (MIN_FORWARD_PLANE). Three or five taps over output
 * columns in fours take F(4, 3) or F(4, 5) at once (./winograd-quad-kernels.ts): 6 products
 * for four output columns where F(2, 3) takes 8, 8 where 3 + 2 take 14 (PixelCNN's step
 * 0.81x, conv-ae's 0.93-0.96x, side by side), which pays at 16 channels to 16 too (a 5x5
 * layer's forward pass 0.74-0.81x, a 3x3 one's 0.94-0.98x). Null for one tap, an odd number
 * of output columns, or the transform turned off: the row product stays one product.
 */
export function columnRuns(g: ConvolutionGeometry, pass: 'forward' | 'filter gradient'): number[] | null {
  if (!columnsEnabled || g.outW % 2 !== 0 || g.filterW < 2) return null;
  if (quadColumns(g)) return [g.filterW];
  if (pass === 'forward' && (g.filterW % 2 === 0 || g.inChannels * g.outChannels < leastForwardPlane)) return null;
  return runsOf(g.filterW);
}

/** Three or five taps over output columns in fours: F(4, 3) or F(4, 5), all the taps at once. */
const quadColumns = (g: ConvolutionGeometry) => quadsEnabled && (g.filterW === 3 || g.filterW === 5) && g.outW % 4 === 0;

/** How many output columns a transformed tile of the column transform makes: four for F(4, 3) and F(4, 5), two for F(2, 3) and F(2, 2). */
export const columnTile = (g: ConvolutionGeometry) => (quadColumns(g) ? 4 : 2);

/** `count` taps or rows in runs of three (one, first, if the count is odd) and two: 5 -> [3, 2], 4 -> [2, 2], 7 -> [3, 2, 2]. */
export function runsOf(count: number): number[] {
  const runs = count % 2 === 1 ? [3] : [];
  while (runs.reduce((sum, run) => sum + run, 0) < count) runs.push(2);
  return runs;
}

/**
 * F(m, r) along the columns, for a run of r taps over tiles of m output columns: its m + r - 1
 * planes, and the kernels and filter transforms that make and unmake them. F(4, 3) and
 * F(4, 5) (QUAD_ALGORITHMS) also run along the rows, a padded row for a column
 * (./winograd-quad-rows.ts).
 */
export interface ColumnAlgorithm {
  planes: number;
  /** V's column tiles from `from` (a column `columnBytes` on from the last) into `planes`. */
  input(kernels: WasmKernels, from: number, columnBytes: number, planes: number[], tiles: number): void;
  /** M's column tiles from the plane products: stored, or `adding` to what M holds; then max(0, .) if `relu`. */
  output(kernels: WasmKernels, products: number[], columnBytes: number, m: number, tiles: number, adding: boolean, relu?: boolean): void;
  /**
   * The output gradient's column tiles (at `e`) transformed into `transformed`: in pairs (e0,
   * e1) as the rows' are, E0 = e0, E1 = e0 + e1, E2 = e0 - e1, E3 = e1, for both runs in
   * pairs; in fours by quadGradientColumns.
   */
  transformGradients(kernels: WasmKernels, e: number, columnBytes: number, transformed: number[], tiles: number): void;
  /** The transformed output gradients that its planes pair with, among those transformGradients made. */
  gradients(transformed: number[]): number[];
  /** A tap's planes from its taps (each `size` floats at `from`, float indices), at `to`; and back, their sums to the taps' gradients. */
  filter(kernels: WasmKernels, heap: Float32Array, from: number, size: number, to: number): void;
  transpose(kernels: WasmKernels, heap: Float32Array, from: number, size: number, to: number): void;
}

const pairGradients: ColumnAlgorithm['transformGradients'] = (kernels, e, bytes, q, tiles) => kernels.winogradGradientRows(e, bytes, q[0], q[1], q[2], q[3], tiles, 1);

/**
 * F(4, 3)'s and F(4, 5)'s kernels (./winograd-quad-kernels.ts), called with their planes
 * written out: spread from an array (...planes), each call took about 0.1 microseconds more,
 * and a pass of a 16-channel layer at batch 16 makes some 300 of them. A tap's [Ci, Co] is a
 * multiple of 4 for the filter transforms (Co is: the columns' products take no padded outputs).
 */
const QUAD_KERNELS: Record<QuadTaps, Omit<QuadAlgorithm, 'planes' | 'gradients'>> = {
  3: {
    input: (kernels, from, bytes, p, tiles) => kernels.quadInput3(from, bytes, p[0], p[1], p[2], p[3], p[4], p[5], tiles),
    rowInput: (kernels, from, bytes, p, tiles, run) => kernels.quadInputRows3(from, bytes, p[0], p[1], p[2], p[3], p[4], p[5], tiles, run.bytes, run.before, run.after),
    tileInput: (kernels, d, p, run) => kernels.quadInputTile3(d[0], d[1], d[2], d[3], d[4], d[5], p[0], p[1], p[2], p[3], p[4], p[5], run.bytes, run.before, run.after),
    output: (kernels, q, bytes, m, tiles, _, relu = false) => kernels.quadOutput3(q[0], q[1], q[2], q[3], q[4], q[5], bytes, m, 4 * bytes, tiles, relu ? 1 : 0),
    transformGradients: (kernels, e, bytes, q, tiles) => kernels.quadGradientColumns3(e, bytes, q[0], q[1], q[2], q[3], q[4], q[5], tiles),
    filter: (kernels, _, from, size, to) => kernels.quadFilter3(4 * from, size, 4 * to),
    transpose: (kernels, _, from, size, to) => kernels.quadFilterGradient3(4 * from, size, 4 * to),
  },
  5: {
    input: (kernels, from, bytes, p, tiles) => kernels.quadInput5(from, bytes, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], tiles),
    rowInput: (kernels, from, bytes, p, tiles, run) => kernels.quadInputRows5(from, bytes, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], tiles, run.bytes, run.before, run.after),
    tileInput: (kernels, d, p, run) => kernels.quadInputTile5(d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], run.bytes, run.before, run.after),
    output: (kernels, q, bytes, m, tiles, _, relu = false) => kernels.quadOutput5(q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], bytes, m, 4 * bytes, tiles, relu ? 1 : 0),
    transformGradients: (kernels, e, bytes, q, tiles) => kernels.quadGradientColumns5(e, bytes, q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], tiles),
    filter: (kernels, _, from, size, to) => kernels.quadFilter5(4 * from, size, 4 * to),
    transpose: (kernels, _, from, size, to) => kernels.quadFilterGradient5(4 * from, size, 4 * to),
  },
};

/**
 * F(4, 3) and F(4, 5) also take whole rows of an image where they lie (./winograd-quad-rows.ts):
 * `rowInput` transforms `run.bytes` of each row (rows `rowBytes` apart) into planes whose rows
 * hold `run.before` bytes of zeros, the run's transform, and `run.after` bytes of zeros;
 * `tileInput` the same for one tile whose rows lie anywhere (at `rows`).
 */
export interface QuadAlgorithm extends ColumnAlgorithm {
  rowInput(kernels: WasmKernels, from: number, rowBytes: number, planes: number[], tiles: number, run: RowRun): void;
  tileInput(kernels: WasmKernels, rows: number[], planes: number[], run: RowRun): void;
}

/** A row's bytes to transform, and the zeros before and after them in a plane's row (multiples of 16). */
export interface RowRun {
  bytes: number;
  before: number;
  after: number;
}

/** F(4, 3) or F(4, 5): one run, which stores. */
function quadAlgorithm(taps: QuadTaps): QuadAlgorithm {
  const planes = taps + 3;
  return { planes, ...QUAD_KERNELS[taps], gradients: (e) => e.slice(0, planes) };
}

/** F(4, 3) and F(4, 5), by tap count: along the columns here, and along the rows (./winograd-quad-rows.ts). */
export const QUAD_ALGORITHMS: Record<QuadTaps, QuadAlgorithm> = { 3: quadAlgorithm(3), 5: quadAlgorithm(5) };

const ALGORITHMS: Record<string, ColumnAlgorithm> = {
  'F(2, 2)': {
    planes: 3,
    input: (kernels, from, bytes, p, tiles) => kernels.winogradPairInput(from, bytes, p[0], p[1], p[2], tiles),
    output: (kernels, q, bytes, m, tiles, adding, relu = false) => kernels.winogradPairOutput(q[0], q[1], q[2], bytes, m, 2 * bytes, tiles, 1, adding ? 1 : 0, relu ? 1 : 0),
    transformGradients: pairGradients,
    // F(2, 2)'s E_i are E0 = e0, E1 = e0 + e1, E2 = e1: F(2, 3)'s E0, E1 and E3
    gradients: (e) => [e[0], e[1], e[3]],
    filter: (_, heap, from, size, to) => transformPairFilter(heap, from, size, to),
    transpose: (_, heap, from, size, to) => pairFilterGradientRows(heap, from, size, to),
  },
  // a run of three comes first (runsOf), and so stores
  'F(2, 3)': {
    planes: 4,
    input: (kernels, from, bytes, p, tiles) => kernels.winogradInput(from, bytes, p[0], p[1], p[2], p[3], tiles),
    output: (kernels, q, bytes, m, tiles, _, relu = false) => kernels.winogradOutput(q[0], q[1], q[2], q[3], bytes, m, 2 * bytes, tiles, 1, relu ? 1 : 0),
    transformGradients: pairGradients,
    gradients: (e) => e.slice(0, 4),
    filter: (_, heap, from, size, to) => transformFilter(heap, from, size, to),
    transpose: (_, heap, from, size, to) => filterGradientRows(heap, from, size, to),
  },
  'F(4, 3)': QUAD_ALGORITHMS[3],
  'F(4, 5)': QUAD_ALGORITHMS[5],
};

/** A run of a filter row's taps along the columns: its length, its first tap, its first plane among the row's, and its algorithm. */
interface ColumnSpan {
  run: number;
  tap: number;
  plane: number;
  algorithm: ColumnAlgorithm;
}

/** What a pass's column transform needs before its scratch is taken: its tile, the spans of a filter row's runs, and their planes. Null without the transform. */
export function columnLayout(g: ConvolutionGeometry, pass: 'forward' | 'filter gradient') {
  const runs = columnRuns(g, pass);
  if (!runs) return null;
  const tile = columnTile(g);
  let [tap, plane] = [0, 0];
  const spans: ColumnSpan[] = runs.map((run) => {
    const span = { run, tap, plane, algorithm: ALGORITHMS[`F(${tile}, ${run})`] };
    [tap, plane] = [tap + run, plane + span.algorithm.planes];
    return span;
  });
  // per filter row, its planes; scratch for as many as a run's, and four at least: F(2, 2)'s transformGradients makes F(2, 3)'s four E_i
  return { tile, spans, planesPerRow: plane, planeCount: Math.max(4, ...spans.map((span) => span.algorithm.planes)) };
}

/**
 * A pass's column transform, its scratch taken: the filter rows' column planes (or their
 * gradients' sums, `filters`), an image row's input planes and products (or transformed
 * output gradients), the plane products' patch tables, the output tiles, and the tiles
 * transformed: through the last row's last output tile, those between rows' outputs included.
 */
export type ColumnPlan = NonNullable<ReturnType<typeof columnLayout>> & {
  filters: number;
  planes: number[];
  products: number[];
  tables: PatchTables;
  outputTiles: number;
  transformed: number;
};

/** The passes along the columns, under ./winograd.ts's passes along the rows. */
export class WinogradColumns extends PatchedConvolutions {
  /**
   * Each of `count` transformed filter rows (at `filters`, `filterRow` floats apart) into its
   * column planes (at columns.filters): per run of taps, its algorithm's filter transform
   * along the columns, the same as along the rows with a tap's [Ci, Co] for a row.
   */
  protected transformColumnFilters(filters: number, filterRow: number, columns: ColumnPlan, count: number, g: ConvolutionGeometry): void {
    const heap = this.heap();
    forEachColumnSpan(filters, filterRow, columns, count, g, (span, tapsAt, planesAt, size) => span.algorithm.filter(this.kernels, heap, tapsAt, size, planesAt));
  }

  /**
   * M = V's one-row convolution by the transformed filter row `row` (+ bias), [tiles, width,
   * Ci] -> [tiles, outW, Co], per run of taps: V's column tiles transformed into planes, each
   * plane times its filter plane [Ci, Co], and the products recombined into M's column tiles
   * (stored by the first run, added by the others). F(2, 3) then takes 4 products for two
   * output columns of three taps, not 6, F(2, 2) 3 for two taps, not 4, and F(4, 3) 6 for
   * four output columns, not 12. By F(2, 3) and F(2, 2) each output column reads only its own
   * window's columns, even in rounding (as for the rows); by F(4, 3) and F(4, 5) it also takes
   * columns beyond its window, whose weights cancel only up to rounding. So no filter row to
   * be summed alone (a masked centre row) comes here, and receptive fields are found with
   * exact sums (keepRowsApart).
   */
  protected columnProduct(columns: ColumnPlan, row: number, v: number, m: number, g: ConvolutionGeometry, biasAt: number): void {
    const [channels, n] = [g.inChannels, g.outChannels];
    const { planes: p, products: q, outputTiles } = columns;
    for (const span of columns.spans) {
      this.transformColumns(columns, span, v, channels);
      const first = row * columns.planesPerRow + span.plane;
      // the bias in the first run's second product, which every column of a tile takes once
      for (let k = 0; k < span.algorithm.planes; k++) this.kernels.gemmTable(p[k], columns.tables.pixels, columns.tables.taps, columns.filters + (first + k) * channels * n * 4, n * 4, q[k], n * 4, outputTiles, n, channels, 0, span.tap === 0 && k === 1 ? biasAt : 0, 0);
      span.algorithm.output(this.kernels, q, n * 4, m, outputTiles, span.tap > 0);
    }
  }

  /**
   * A row product's filter gradient by Winograd's columns, transposed: E's column tiles
   * transformed (transformGradients), V's as forwards, and per plane its sum over the image's
   * tiles, plane^T E [Ci, Co], added to columns.filters (row `row`'s planes) after the first
   * image.
   */
  protected columnFilterGradient(columns: ColumnPlan, row: number, v: number, e: number, g: ConvolutionGeometry, accumulate: boolean): void {
    const [channels, n] = [g.inChannels, g.outChannels];
    const { planes: p, products: q, outputTiles } = columns;
    // a row's runs in pairs share F(2, 3)'s four E_i; a run in fours is alone
    columns.spans[0].algorithm.transformGradients(this.kernels, e, n * 4, q, outputTiles);
    for (const span of columns.spans) {
      this.transformColumns(columns, span, v, channels);
      const first = row * columns.planesPerRow + span.plane;
      span.algorithm.gradients(q).forEach((gradient, k) => this.kernels.gemmTable(p[k], columns.tables.taps, columns.tables.pixels, gradient, n * 4, columns.filters + (first + k) * channels * n * 4, n * 4, channels, n, outputTiles, accumulate ? 1 : 0));
    }
  }

  /** The filter rows' tap sums (at `filters`, `filterRow` floats apart) from their column planes' sums: each run's filter transform transposed, as for the rows. */
  protected columnSumsToTaps(filters: number, filterRow: number, columns: ColumnPlan, count: number, g: ConvolutionGeometry): void {
    const heap = this.heap();
    forEachColumnSpan(filters, filterRow, columns, count, g, (span, tapsAt, planesAt, size) => span.algorithm.transpose(this.kernels, heap, planesAt, size, tapsAt));
  }

  /** V's column tiles for `span` (v + its first tap's columns) transformed into columns.planes, by its algorithm. */
  private transformColumns(columns: ColumnPlan, span: ColumnSpan, v: number, channels: number): void {
    span.algorithm.input(this.kernels, v + span.tap * channels * 4, channels * 4, columns.planes, columns.transformed);
  }
}

/**
 * For each of `count` filter rows (at `filters`, `filterRow` floats apart) and each span of
 * its taps: `visit` with the float indices of the span's taps and of its planes in
 * columns.filters, and a tap's size [Ci, Co] in floats.
 */
function forEachColumnSpan(filters: number, filterRow: number, columns: ColumnPlan, count: number, g: ConvolutionGeometry, visit: (span: ColumnSpan, tapsAt: number, planesAt: number, size: number) => void): void {
  const size = g.inChannels * g.outChannels;
  for (let i = 0; i < count; i++) {
    for (const span of columns.spans) visit(span, filters / 4 + i * filterRow + span.tap * size, columns.filters / 4 + (i * columns.planesPerRow + span.plane) * size, size);
  }
}
