/**
 * A stride-1 convolution with a filter three rows high by Winograd's F(2, 3) along the rows
 * (./winograd-kernels.ts has the transforms, ./winograd-filters.ts the filter's): two output
 * rows from four transformed input rows, each a one-row convolution by a transformed filter
 * row, so 4 row products where the direct convolution takes 6: two thirds of the
 * multiply-adds. conv-ae's 3x3 layers are such convolutions, forward and (their input
 * gradient being a forward pass by the turned filter) backward. A PixelCNN's masked 5x5
 * convolutions, cut at their centre row, are three rows high too, but their centre row
 * may not be combined with the others (`loneRow`, below): it is
 * summed alone and the two rows above it by F(2, 2) (three products for two output rows,
 * plus the centre row's, whose masked right half is skipped), and their filter gradient,
 * which no causality concerns, by F(2, 3). Filters two rows high (PixelCNN++'s shifted
 * convolutions) take F(2, 2) alone: three products for two output rows, not four. Samplers
 * keep every convolution's rows apart (`exactRows`): a window's pass and the whole image's
 * then sum alike, and draw alike.
 *
 * Per image: its padded rows transformed (V, [tiles, width, channels] x 4), the four
 * products (M = V U, our matrix product reading V's patches in place), and the outputs
 * recombined (with the bias added to M1, which both output rows take once). An image's V and
 * M stay in the second-level cache. The filter gradient is the same algorithm transposed:
 * the output gradient's rows transformed (E), P_i = sum over images of V_i^T E_i, then dW's
 * rows from the P_i (filterGradientRows).
 *
 * Each row product is itself a convolution along the columns, and takes Winograd's
 * transforms the same way where that pays (./winograd-columns.ts).
 *
 * Filters four rows high or more take their rows in runs of these passes (./winograd-tall.ts).
 * Three or five rows over output rows in fours take F(4, 3) or F(4, 5) along the rows instead,
 * on this file's setup and row products (./winograd-quad-rows.ts).
 */
import type { ConvolutionGeometry } from './convolution';
import { directWork, Scratch, sumGroups } from './heap';
import { columnLayout, columnRuns, columnTile, WinogradColumns, type ColumnPlan } from './winograd-columns';
import { filterGradientRows, pairFilterGradientRows, transformFilter, transformPairFilter } from './winograd-filters';

let enabled = true;

/** Turns the row transform off (the direct convolution then runs): for measuring one against the other. */
export function useWinograd(on: boolean): void {
  enabled = on;
}

/**
 * Which row transform a pass takes, if any: F(2, 3) for three filter rows, F(2, 2) for two
 * (`pair`), at stride 1, channels in fours (vectors of a row), two output rows or more, and
 * rows that may be combined (not `exactRows`). Where one of three rows must stay apart
 * (`loneRow`, a masked convolution's centre row), the forward pass takes F(2, 2) for the
 * other two and sums that row alone: F(2, 3)'s y0 takes its window's last row d2 as
 * -d2 U0 + d2 U1 + d2 U2, which is d2 g2 only up to rounding, so the pixels right of the
 * centre, which g2 masks and g0, g1 do not, would leak into y0 by about 1e-7 of their
 * weight, and a PixelCNN must not see them at all (tests/unit/pixelcnn.test.ts checks every
 * such gradient is exactly zero). F(2, 2)'s outputs each touch only their own window's rows.
 * The filter gradient, which no causality concerns, ignores `loneRow`.
 */
export function rowTransform(g: ConvolutionGeometry, pass: 'forward' | 'filter gradient'): 'three' | 'pair' | null {
  if (!combinable(g)) return null;
  const lone = pass === 'forward' && g.loneRow !== undefined;
  if (g.filterH === 3) return lone ? 'pair' : 'three';
  return g.filterH === 2 && !lone ? 'pair' : null;
}

/** Where Winograd's rows may apply at all: stride 1, channels in fours (vectors of a row), two output rows or more, rows that may be combined (not `exactRows`). */
export const combinable = (g: ConvolutionGeometry) =>
  enabled && !g.exactRows && g.strideH === 1 && g.strideW === 1 && g.inChannels % 4 === 0 && g.outChannels % 4 === 0 && g.outH >= 2;

/**
 * How a pass tiles the rows: `tile` output rows from `planes` transformed rows, F(2, 3)'s
 * 2 from 4 (and F(2, 2)'s from 3, in F(2, 3)'s scratch) or F(4, 3)'s and F(4, 5)'s 4 from 6
 * or 8 (./winograd-quad-rows.ts).
 */
export interface RowTiling {
  tile: 2 | 4;
  planes: number;
}

const ROW_PAIRS: RowTiling = { tile: 2, planes: 4 };

/**
 * The sizes of the pass: tiles of `rows.tile` output rows per image, the padded image's rows
 * (a tile's, and as many more as the last tile's planes reach below it) and columns (with the
 * column transform, a multiple of its tile's columns, so that column tiles start every row at
 * the same place), and that tile's columns.
 */
function winogradPlan(g: ConvolutionGeometry, rows: RowTiling) {
  const tiles = Math.ceil(g.outH / rows.tile);
  const runs = columnRuns(g, 'filter gradient');
  const tile = runs ? columnTile(g) : 1;
  const width = Math.ceil((g.outW - 1 + g.filterW) / tile) * tile;
  return { tiles, height: rows.tile * tiles + rows.planes - rows.tile, width, tile };
}

type WinogradPlan = ReturnType<typeof winogradPlan>;

/**
 * The column transform's planes over a transformed image V [tiles, width, Ci], as the one-row
 * geometry of a 1 x 1 filter: column tile (row r, tile j) at plane row r * width / tile + j,
 * of which the first outW / tile of each row are outputs' (the rest straddle two rows and are
 * skipped).
 */
function planeGeometry(g: ConvolutionGeometry, { tiles, width, tile }: WinogradPlan): ConvolutionGeometry {
  return { ...g, batch: tiles, height: 1, width: width / tile, outH: 1, outW: g.outW / tile, filterH: 1, filterW: 1, padTop: 0, padLeft: 0 };
}

/** The one-row convolution over a transformed image V [tiles, 1, width, channels]: its geometry, for the patch tables. */
function rowGeometry(g: ConvolutionGeometry, { tiles, width }: WinogradPlan): ConvolutionGeometry {
  return { ...g, batch: tiles, height: 1, width, outH: 1, filterH: 1, padTop: 0, padLeft: 0 };
}

/** [first, end): the columns of a filter row (`columns` runs of `size` floats from `from`) between its all-zero ones at either side; empty if all are zero. */
export function nonzeroColumns(heap: Float32Array, from: number, columns: number, size: number): [number, number] {
  const live = (column: number) => heap.subarray(from + column * size, from + (column + 1) * size).some((value) => value !== 0);
  let first = 0;
  while (first < columns && !live(first)) first++;
  let end = columns;
  while (end > first && !live(end - 1)) end--;
  return [first, end];
}

export type WinogradSetup = ReturnType<WinogradConvolutions['winogradSetup']>;

/** The passes by Winograd's rows (F(2, 3), and F(2, 2) with or without a lone row), for ./convolution.ts's kernels. */
export class WinogradConvolutions extends WinogradColumns {
  /** The scratch of eachImage's bands past the first (bandSetups). */
  private readonly bandScratch = new Scratch(this.backend);

  /**
   * What both Winograd passes set up: the plan, x padded into scratch (`image`), the patch
   * tables of the one-row products, and scratch for a filter's transformed rows (`filters`),
   * an image's transformed input rows (`v`) and its products or transformed output gradients
   * (`m`), `rows.planes` of each. With the column transform (`columns`), also the filter
   * rows' column planes (or their gradients' sums), and an image row's input planes and
   * products (or transformed output gradients), as many as a run's planes at most. Where the
   * row transform reads x where it lies (`zeroRow`: ./winograd-quad-rows.ts), `image` is no
   * padded copy but one row of x's width, all zeros, for the rows of edge tiles beyond x.
   * Addresses valid until the next pass takes `scratch`.
   */
  protected winogradSetup(xAt: number, g: ConvolutionGeometry, pass: 'forward' | 'filter gradient', rows: RowTiling = ROW_PAIRS, zeroRow = false) {
    const plan = winogradPlan(g, rows);
    const { tiles, height, width, tile } = plan;
    const [channels, n] = [g.inChannels, g.outChannels];
    const [rowBytes, outRowBytes] = [width * channels * 4, g.outW * n * 4];
    const filterRow = g.filterW * channels * n;
    const layout = columnLayout(g, pass);
    const [planesPerRow, planeCount] = layout ? [layout.planesPerRow, layout.planeCount] : [0, 0];
    const columnTiles = (tiles * width) / tile;
    const count = rows.planes;
    // an image's scratch: its V_i and M_i, and a row's column planes and products
    const imageBytes = [...Array(count).fill(tiles * rowBytes), ...Array(count).fill(tiles * outRowBytes), ...Array(planeCount).fill(columnTiles * channels * 4), ...Array(planeCount).fill(tiles * outRowBytes / tile)];
    const [image, filters, columnFilters, ...regions] = this.scratch.regions([
      zeroRow ? g.width * channels * 4 : g.batch * height * width * channels * 4, count * filterRow * 4, count * planesPerRow * channels * n * 4, ...imageBytes,
    ]);
    // after the allocations above, which may grow the heap
    const tables = this.tables.tablesFor(rowGeometry(g, plan), () => this.words());
    // (written out: in Node 20 a spread followed by new properties took some 8 microseconds a pass, Chromium 156 0.1)
    const columns: ColumnPlan | null = layout && {
      tile: layout.tile, spans: layout.spans, planesPerRow: layout.planesPerRow, planeCount: layout.planeCount,
      filters: columnFilters, planes: regions.slice(2 * count, 2 * count + planeCount), products: regions.slice(2 * count + planeCount), tables: this.tables.tablesFor(planeGeometry(g, plan), () => this.words()),
      outputTiles: tiles * (g.outW / tile), transformed: ((tiles - 1) * width) / tile + g.outW / tile,
    };
    if (zeroRow) this.zero(image, g.width * channels);
    else this.padImage(xAt, image, g, height, width);
    // tiles whose output rows all exist; a last part-tile makes one more
    const whole = Math.floor(g.outH / rows.tile);
    // the filter gradient's sums: P_i, or with the column transform the column planes' (from which P_i is made)
    const sumBytes = layout ? count * planesPerRow * channels * n * 4 : count * filterRow * 4;
    return { tiles, whole, height, rowBytes, outRowBytes, filterRow, image, filters, v: regions.slice(0, count), m: regions.slice(count, 2 * count), tables, columns, imageBytes, sumBytes };
  }

  /**
   * `count` setups for eachImage's bands: `setup` itself, then copies with scratch of their own
   * for an image's V_i and M_i and a row's column planes and products (`bandScratch`, apart from
   * the pass's), and with `sums`, for the filter gradient's sums too (addBandSums). Addresses
   * valid until the next pass takes them.
   */
  protected bandSetups(setup: WinogradSetup, count: number, sums = false): WinogradSetup[] {
    if (count === 1) return [setup];
    const { imageBytes, v, columns } = setup;
    const bandBytes = [...imageBytes, sums ? setup.sumBytes : 0];
    const regions = this.bandScratch.regions(Array.from({ length: count - 1 }, () => bandBytes).flat());
    const [planes, planeCount] = [v.length, columns ? columns.planeCount : 0];
    return [setup, ...Array.from({ length: count - 1 }, (_, j) => {
      const own = regions.slice(j * bandBytes.length, (j + 1) * bandBytes.length);
      const ownSums = sums ? own[bandBytes.length - 1] : 0;
      const ownColumns = columns && { ...columns, planes: own.slice(2 * planes, 2 * planes + planeCount), products: own.slice(2 * planes + planeCount, 2 * planes + 2 * planeCount), filters: sums ? ownSums : columns.filters };
      return { ...setup, v: own.slice(0, planes), m: own.slice(planes, 2 * planes), columns: ownColumns, filters: sums && !columns ? ownSums : setup.filters };
    })];
  }

  /**
   * The filter gradient's sums of each band of images (eachImage's groups) added into the first
   * band's, in the bands' order: the sums the products accumulate (P_i, or the column planes'
   * with the column transform), of the first `rows` transformed rows (F(2, 2) sums 3 of F(2, 3)'s 4).
   */
  protected addBandSums(bands: WinogradSetup[], rows: number): void {
    const [first, ...others] = bands;
    const sumsOf = (band: WinogradSetup) => (band.columns ? band.columns.filters : band.filters);
    const bytes = (first.sumBytes / first.v.length) * rows;
    for (const band of others) this.kernels.addRuns(sumsOf(band), 0, sumsOf(first), 0, 1, bytes);
  }

  /**
   * M = V's one-row convolution by the transformed filter row `row` (+ bias): [tiles, width,
   * Ci] -> [tiles, outW, Co]. As one product over the row's taps, or with the column
   * transform run by run along the columns (./winograd-columns.ts).
   */
  protected rowProduct(setup: WinogradSetup, row: number, v: number, m: number, g: ConvolutionGeometry, biasAt: number): void {
    const { columns, tables, filters, filterRow, tiles } = setup;
    if (columns) return this.columnProduct(columns, row, v, m, g, biasAt);
    const n = g.outChannels;
    this.kernels.gemmTable(v, tables.pixels, tables.taps, filters + row * filterRow * 4, n * 4, m, n * 4, tiles * g.outW, n, g.filterW * g.inChannels, 0, biasAt, 0);
  }

  /**
   * The filter gradient's P_i (+)= V_i^T E_i for transformed row `row` (P_i at setup.filters),
   * added to what it holds if `accumulate` (after the first image): with the column transform,
   * or as one product over the row's taps.
   */
  protected rowFilterGradient(setup: WinogradSetup, row: number, v: number, e: number, g: ConvolutionGeometry, accumulate: boolean): void {
    const { columns, tables, filters: sums, filterRow, tiles } = setup;
    if (columns) return this.columnFilterGradient(columns, row, v, e, g, accumulate);
    const n = g.outChannels;
    // P_i[Fw*Ci, Co] (+)= V_i's one-row patches^T E_i: the tables swapped, as in the direct filter gradient
    this.kernels.gemmTable(v, tables.taps, tables.pixels, e, n * 4, sums + row * filterRow * 4, n * 4, g.filterW * g.inChannels, n, tiles * g.outW, accumulate ? 1 : 0);
  }

  /** The forward pass by Winograd's F(2, 3) along the rows (above), an image at a time. */
  protected winogradForward(xAt: number, filterAt: number, outAt: number, g: ConvolutionGeometry, biasAt: number, relu: boolean): void {
    const setup = this.winogradSetup(xAt, g, 'forward');
    const { tiles, whole, height, rowBytes, outRowBytes, filterRow, image, filters } = setup;
    const last = whole * outRowBytes;
    transformFilter(this.heap(), filterAt / 4, filterRow, filters / 4);
    if (setup.columns) this.transformColumnFilters(filters, filterRow, setup.columns, 4, g);
    this.eachImage(g.batch, directWork(g), (count) => this.bandSetups(setup, count), (b, own) => {
      const { v, m } = own;
      this.kernels.winogradInput(image + b * height * rowBytes, rowBytes, v[0], v[1], v[2], v[3], tiles);
      // M_i[tile, x, :] = V_i's one-row patches U_i; the bias in M1, which y0 and y1 each take once
      for (let i = 0; i < 4; i++) this.rowProduct(own, i, v[i], m[i], g, i === 1 ? biasAt : 0);
      const out = outAt + b * g.outH * outRowBytes;
      this.kernels.winogradOutput(m[0], m[1], m[2], m[3], outRowBytes, out, 2 * outRowBytes, whole, 1, relu ? 1 : 0);
      // an odd last row: the last tile's y0 alone
      if (whole < tiles) this.kernels.winogradOutput(m[0] + last, m[1] + last, m[2] + last, m[3] + last, outRowBytes, out + 2 * last, 0, 1, 0, relu ? 1 : 0);
    });
  }

  /**
   * The forward pass by Winograd's F(2, 2) (above) over two filter rows: a filter two
   * rows high, or three with a lone row (g.loneRow, 0 or 2) summed alone, so that every output
   * takes values only from rows its window holds, and from the lone row only through that
   * row's own weights. The lone row first, over the whole batch, into the output with the
   * bias (only its columns that are not all zero: a masked centre row's right half is), then
   * each image's pair of rows added on.
   */
  protected pairWinogradForward(xAt: number, filterAt: number, outAt: number, g: ConvolutionGeometry, biasAt: number, relu: boolean, adding = false): void {
    const lone = g.loneRow;
    const setup = this.winogradSetup(xAt, g, 'forward');
    const { tiles, whole, height, rowBytes, outRowBytes, filterRow, image, filters } = setup;
    const channels = g.inChannels;
    // the lone row's sums and the bias in the output first, unless it has no live column
    const loneSums = lone !== undefined && this.loneRowForward(image, filterAt + lone * filterRow * 4, outAt, g, height, rowBytes / (channels * 4), lone, biasAt);
    // the pair: rows 0-1, under a lone last row too, or 1-2 under a lone first one
    const pair = lone === 0 ? 1 : 0;
    transformPairFilter(this.heap(), filterAt / 4 + pair * filterRow, filterRow, filters / 4);
    if (setup.columns) this.transformColumnFilters(filters, filterRow, setup.columns, 3, g);
    const last = whole * outRowBytes;
    // else the bias in M1, which y0 and y1 each take once, and the pair's sums stored, unless `adding` to a tall filter's earlier runs
    const [pairBias, accumulate] = loneSums ? [0, 1] : [biasAt, adding ? 1 : 0];
    this.eachImage(g.batch, directWork(g), (count) => this.bandSetups(setup, count), (b, own) => {
      const { v, m } = own;
      this.kernels.winogradPairInput(image + (b * height + pair) * rowBytes, rowBytes, v[0], v[1], v[2], tiles);
      for (let i = 0; i < 3; i++) this.rowProduct(own, i, v[i], m[i], g, i === 1 ? pairBias : 0);
      const out = outAt + b * g.outH * outRowBytes;
      this.kernels.winogradPairOutput(m[0], m[1], m[2], outRowBytes, out, 2 * outRowBytes, whole, 1, accumulate, relu ? 1 : 0);
      if (whole < tiles) this.kernels.winogradPairOutput(m[0] + last, m[1] + last, m[2] + last, outRowBytes, out + 2 * last, 0, 1, 0, accumulate, relu ? 1 : 0);
    });
  }

  /**
   * Y = the lone filter row (at rowAt) over the padded image's rows `lone` on, + bias: a
   * one-row convolution from the row's first live column to its last. False, with nothing
   * written, where every column is zero (the row adds nothing).
   */
  private loneRowForward(image: number, rowAt: number, outAt: number, g: ConvolutionGeometry, height: number, width: number, lone: number, biasAt: number): boolean {
    const [channels, n] = [g.inChannels, g.outChannels];
    const [first, end] = nonzeroColumns(this.heap(), rowAt / 4, g.filterW, channels * n);
    if (end === first) return false;
    const single: ConvolutionGeometry = { ...g, height, width, filterH: 1, filterW: end - first, padTop: 0, padLeft: 0 };
    const tables = this.tables.tablesFor(single, () => this.words());
    const from = image + (lone * width + first) * channels * 4;
    this.kernels.gemmTable(from, tables.pixels, tables.taps, rowAt + first * channels * n * 4, n * 4, outAt, n * 4, g.batch * g.outH * g.outW, n, (end - first) * channels, 0, biasAt, 0);
    return true;
  }

  /** The filter gradient by Winograd's F(2, 3) or, `pair`, F(2, 2) along the rows, transposed (above), an image at a time. */
  protected winogradFilterGradient(xAt: number, dyAt: number, dwAt: number, g: ConvolutionGeometry, pair: boolean): void {
    // `filters` holds the sums P_i, `m` the transformed output gradients E_i
    const setup = this.winogradSetup(xAt, g, 'filter gradient');
    const { tiles, whole, height, rowBytes, outRowBytes, filterRow, image, filters: sums, m: e, columns } = setup;
    const last = whole * outRowBytes;
    // F(2, 2)'s E_i are E0 = e0, E1 = e0 + e1, E2 = e1: F(2, 3)'s E0, E1 and E3
    const used = (e: number[]) => (pair ? [e[0], e[1], e[3]] : e);
    // a sum per group of images, the groups the same on any number of threads, then added in order
    const groups = this.eachImage(g.batch, directWork(g), (count) => this.bandSetups(setup, count, true), (b, own, first) => {
      const { v, m: e } = own;
      const at = image + b * height * rowBytes;
      if (pair) this.kernels.winogradPairInput(at, rowBytes, v[0], v[1], v[2], tiles);
      else this.kernels.winogradInput(at, rowBytes, v[0], v[1], v[2], v[3], tiles);
      const dy = dyAt + b * g.outH * outRowBytes;
      this.kernels.winogradGradientRows(dy, outRowBytes, e[0], e[1], e[2], e[3], whole, 1);
      // an odd last row: its tile's second row is zero
      if (whole < tiles) this.kernels.winogradGradientRows(dy + 2 * last, outRowBytes, e[0] + last, e[1] + last, e[2] + last, e[3] + last, 1, 0);
      used(e).forEach((ei, i) => this.rowFilterGradient(own, i, v[i], ei, g, !first));
    }, sumGroups(g));
    this.addBandSums(groups, used(e).length);
    if (columns) this.columnSumsToTaps(sums, filterRow, columns, used(e).length, g);
    (pair ? pairFilterGradientRows : filterGradientRows)(this.heap(), sums / 4, filterRow, dwAt / 4);
  }
}
