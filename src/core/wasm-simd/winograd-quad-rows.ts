/**
 * Winograd's F(4, 3) and F(4, 5) along the rows as well as the columns: a 3x3 or 5x5 filter
 * at stride 1 as a two-dimensional F(4 x 4, 3 x 3) or F(4 x 4, 5 x 5) (A. Lavin and S. Gray,
 * "Fast Algorithms for Convolutional Neural Networks", CVPR 2016,
 * https://arxiv.org/abs/1509.09308). Four output rows from r + 3 transformed input rows, each
 * a one-row convolution by a transformed filter row (./winograd.ts's row products, themselves
 * by F(4, r) along the columns, ./winograd-columns.ts): 6 row products for four output rows of
 * a 3x3 filter, where F(2, 3) takes 8, and 8 for a 5x5 one, where F(2, 3) and F(2, 2) take 14.
 * The same kernels as along the columns (./winograd-quad-kernels.ts) transform whole rows:
 * their "column" is a padded row's pixels, its channels a row's (the input transform in its
 * variants for rows, which write a padded row's zero columns themselves).
 *
 *   forward:          V_i = (B^T d)_i over rows 4t..4t + r + 2,  M_i = V_i * U_i,  U = G g,
 *                     y = A^T M (+ bias, in M1, which every output row takes once; relu)
 *   filter gradient:  E = A e over the output gradient's rows 4t..4t + 3,
 *                     P_i = sum over images of V_i^T E_i,  dW = G^T P
 *
 * An output then takes rows beyond its window (y0 takes every plane, and the planes every row),
 * whose weights cancel only up to rounding: so never where a row must stay apart (a masked
 * centre row, `loneRow`), where an output may read only its own window's rows (`windowRows`:
 * the convolutions of ../models/conv-with-bias.ts, the autoregressive models', causal by rows,
 * where a row below the window is a pixel not yet drawn; F(2, 3)'s pairs read none), nor where
 * rows may not be combined at all (`combinable`: samplers). The filter gradient concerns no
 * causality and takes them anyway.
 * For output rows in fours (28 x 28 and 32 x 32 maps); forward passes over maps not in fours
 * (14 x 14, 7 x 7) run over the map grown to fours and are cut back (grownQuadForward), where
 * that costs few enough extra outputs; the others keep F(2, 3)'s pairs. The input transform
 * reads x's rows where they lie, with no padded copy of x (quadRowInput, below).
 */
import type { ConvolutionGeometry } from './convolution';
import type { QuadTaps } from './winograd-quad-kernels';
import { directWork, roundUp4, Scratch, sumGroups } from './heap';
import { combinable, type WinogradSetup } from './winograd';
import { QUAD_ALGORITHMS, type QuadAlgorithm, type RowRun } from './winograd-columns';
import { TallWinogradConvolutions } from './winograd-tall';

let enabled = true;
let inPlace = true;

/** Turns F(4, 3) and F(4, 5) along the rows off (F(2, 3)'s pairs then run): for measuring one against the other. */
export function useQuadRows(on: boolean): void {
  enabled = on;
}

/** Turns reading x's rows where they lie off (a padded copy of x is then transformed, as before 2026-12-02): for measuring one against the other. */
export function useRowsInPlace(on: boolean): void {
  inPlace = on;
}

let grownQuads = true;

/**
 * The most outputs a map grown to fours may have, against its own: 14 x 14 grown to 16 x 16
 * has 1.31 times, and its passes took 0.81x (64 channels to 32) and 0.90x (32 to 16) of
 * F(2 x 2, 3 x 3)'s time (`npm run bench:convolutions -- "14 x 14"`).
 */
const MOST_GROWTH = 1.35;

/** Turns off F(4, r) over maps grown to sizes in fours (grownQuadForward), for measuring it (`npm run bench:switches`). */
export function useGrownQuads(on: boolean): void {
  grownQuads = on;
}

/** A forward pass's geometry grown to output sizes in fours, and its taps (grownToQuads). */
export interface GrownQuads {
  geometry: ConvolutionGeometry;
  taps: QuadTaps;
}

/**
 * A stride-1 forward pass whose output rows or columns are not in fours, and which F(4, r)
 * along the rows would take if they were: that geometry, grown to the next sizes in fours
 * (the windows past the input reading its zero padding), and its taps. Null otherwise.
 */
export function grownToQuads(g: ConvolutionGeometry): GrownQuads | null {
  if (!grownQuads || (g.outH % 4 === 0 && g.outW % 4 === 0) || g.filterW !== g.filterH) return null;
  const geometry = { ...g, outH: roundUp4(g.outH), outW: roundUp4(g.outW) };
  // not where the extra outputs would eat what F(4 x 4, r x r) saves (a 6 x 6 map grown to 8 x 8 is 1.8 times the outputs)
  if (geometry.outH * geometry.outW > MOST_GROWTH * g.outH * g.outW) return null;
  const taps = quadRows(geometry, 'forward');
  return taps ? { geometry, taps } : null;
}

/**
 * Three or five filter rows that combine, over output rows in fours: F(4, 3) or F(4, 5) along
 * the rows. Forwards (the input gradient too), not with a row that must stay apart
 * (`loneRow`) nor where each output must read only its own window's rows (`windowRows`); the
 * filter gradient, which no causality concerns, ignores both. Null otherwise.
 */
export function quadRows(g: ConvolutionGeometry, pass: 'forward' | 'filter gradient'): QuadTaps | null {
  if (!enabled || !combinable(g) || g.outH % 4 !== 0) return null;
  if (pass === 'forward' && (g.loneRow !== undefined || g.windowRows)) return null;
  return g.filterH === 3 || g.filterH === 5 ? g.filterH : null;
}

/**
 * How a pass's tiles read x [B, H, W, Ci] where it lies: tile t's transform takes the padded
 * image's rows 4t..4t + planes - 1, x's rows from 4t - padTop, all inside x for the tiles from
 * `first` to `end` (exclusive), which one call transforms; the others, edge tiles at the top or
 * bottom, reach into the zero rows around x, and are transformed one by one with a row of zeros
 * for those. `run`: the x columns a padded row holds (all W, or fewer where the padding on the
 * right is wider than the windows reach, as in the input gradient of a layer padded so: the
 * padded width is only what the windows read) and the zero columns around them, in a padded
 * row of `rowBytes` (the setup's).
 */
function rowsInX(g: ConvolutionGeometry, planes: number, rowBytes: number) {
  const tiles = g.outH / 4;
  const pixelBytes = g.inChannels * 4;
  const xRowBytes = g.width * pixelBytes;
  const before = g.padLeft * pixelBytes;
  const bytes = Math.min(g.width * pixelBytes, rowBytes - before);
  const run: RowRun = { bytes, before, after: rowBytes - before - bytes };
  const first = Math.min(tiles, Math.max(0, Math.ceil(g.padTop / 4)));
  const end = Math.max(first, Math.min(tiles, Math.floor((g.height - planes + g.padTop) / 4) + 1));
  const edges = Array.from({ length: tiles }, (_, tile) => tile).filter((tile) => tile < first || tile >= end);
  return { planes, xRowBytes, rowBytes, run, first, end, edges, padTop: g.padTop, height: g.height };
}

type RowsInX = ReturnType<typeof rowsInX>;

/** Each address `bytes` on. */
const shifted = (addresses: number[], bytes: number) => addresses.map((at) => at + bytes);

/** The quad-row passes, on winograd.ts's setup and row products. */
export class QuadRowConvolutions extends TallWinogradConvolutions {
  /** For a grown pass's output before it is cut to size: the pass takes `scratch`, and the input gradient's turned filter lies in the subclass's own scratch. */
  private readonly grownScratch = new Scratch(this.backend);

  /**
   * The forward pass of a map whose output rows or columns are not in fours (14 x 14: the
   * GAN's generator, conv-ae's decoder) by F(4, r) along both axes over the next size in
   * fours (16 x 16), the windows past the map reading zeros, then the extra outputs cut off.
   * It computes (16/14)^2 = 1.31 times the outputs, but F(4 x 4, 3 x 3) takes 36 products for
   * 16 outputs where F(2 x 2, 3 x 3), which such maps took, takes 64.
   */
  protected grownQuadForward(xAt: number, filterAt: number, outAt: number, g: ConvolutionGeometry, grown: GrownQuads, biasAt: number, relu: boolean): void {
    const big = grown.geometry;
    const pixelBytes = g.outChannels * 4;
    const [grownOut] = this.grownScratch.regions([g.batch * big.outH * big.outW * pixelBytes]);
    // each image's first outH rows, each row's first outW pixels, cut as the image is made (in its band, where bands run)
    this.quadRowForward(xAt, filterAt, grownOut, big, biasAt, relu, grown.taps, (b) => {
      this.kernels.copyRuns(grownOut + b * big.outH * big.outW * pixelBytes, big.outW * pixelBytes, outAt + b * g.outH * g.outW * pixelBytes, g.outW * pixelBytes, g.outH, g.outW * pixelBytes);
    });
  }

  /** The forward pass by F(4, r) along the rows (above), an image at a time: y [B, Ho, Wo, Co]; then `made(b)`, if given, for each image b. */
  protected quadRowForward(xAt: number, filterAt: number, outAt: number, g: ConvolutionGeometry, biasAt: number, relu: boolean, taps: QuadTaps, made?: (b: number) => void): void {
    const algorithm = QUAD_ALGORITHMS[taps];
    const planes = algorithm.planes;
    const setup = this.winogradSetup(xAt, g, 'forward', { tile: 4, planes }, inPlace);
    const { tiles, outRowBytes, filterRow, filters } = setup;
    const rows = rowsInX(g, planes, setup.rowBytes);
    // U = G g: the filter's rows [Fw, Ci, Co] into `planes` transformed rows
    algorithm.filter(this.kernels, this.heap(), filterAt / 4, filterRow, filters / 4);
    if (setup.columns) this.transformColumnFilters(filters, filterRow, setup.columns, planes, g);
    this.eachImage(g.batch, directWork(g), (count) => this.bandSetups(setup, count), (b, own) => {
      // V_i [tiles, width, Ci]: row 4t + j of the padded image is tile t's d_j
      this.quadRowInput(algorithm, xAt, b, rows, own);
      for (let i = 0; i < planes; i++) this.rowProduct(own, i, own.v[i], own.m[i], g, i === 1 ? biasAt : 0);
      // y [4 tiles, Wo, Co] = A^T M: tile t's four rows from M_i's row t
      algorithm.output(this.kernels, own.m, outRowBytes, outAt + b * g.outH * outRowBytes, tiles, false, relu);
      made?.(b);
    });
  }

  /** The filter gradient by F(4, r) along the rows, transposed (above), an image at a time: dW [Fh, Fw, Ci, Co]. */
  protected quadRowFilterGradient(xAt: number, dyAt: number, dwAt: number, g: ConvolutionGeometry, taps: QuadTaps): void {
    const algorithm = QUAD_ALGORITHMS[taps];
    const planes = algorithm.planes;
    // `filters` holds the sums P_i, `m` the transformed output gradients E_i
    const setup = this.winogradSetup(xAt, g, 'filter gradient', { tile: 4, planes }, inPlace);
    const { tiles, outRowBytes, filterRow, filters: sums, columns } = setup;
    const rows = rowsInX(g, planes, setup.rowBytes);
    // a sum per group of images, the groups the same on any number of threads, then added in order
    const groups = this.eachImage(g.batch, directWork(g), (count) => this.bandSetups(setup, count, true), (b, own, first) => {
      this.quadRowInput(algorithm, xAt, b, rows, own);
      // E_i [tiles, Wo, Co] = (A e)_i over the image's output gradient rows 4t..4t + 3
      algorithm.transformGradients(this.kernels, dyAt + b * g.outH * outRowBytes, outRowBytes, own.m, tiles);
      for (let i = 0; i < planes; i++) this.rowFilterGradient(own, i, own.v[i], own.m[i], g, !first);
    }, sumGroups(g));
    this.addBandSums(groups, planes);
    if (columns) this.columnSumsToTaps(sums, filterRow, columns, planes, g);
    // dW = G^T P
    algorithm.transpose(this.kernels, this.heap(), sums / 4, filterRow, dwAt / 4);
  }

  /**
   * Image b's V_i [tiles, width, Ci], B^T d over rows 4t..4t + r + 2 of its padded image,
   * without a padded copy of x: the transform writes V's border columns as zeros itself and
   * reads x's rows where they lie, the tiles whose rows all lie in x in one call, and each edge
   * tile alone, its rows above or below x a row of zeros (setup.image). The copy moved every
   * number of x twice more through memory: by turns in one process (single passes alternating,
   * medians), a 16-channel layer's passes at batch 128 took 0.92-0.96x the time without it,
   * at batch 16 0.96-1.01x; whole training steps 0.98-0.99x (conv-ae, the GAN, PixelCNN).
   */
  private quadRowInput(algorithm: QuadAlgorithm, xAt: number, b: number, rows: RowsInX, setup: WinogradSetup): void {
    const { planes, xRowBytes, rowBytes, first, end, edges, run, padTop, height } = rows;
    // setup.image: in place, a row of zeros (winogradSetup's zeroRow); else x padded, image after image
    const { v, image: zeroRow } = setup;
    if (!inPlace) return algorithm.input(this.kernels, setup.image + b * setup.height * rowBytes, rowBytes, v, setup.tiles);
    const image = xAt + b * height * xRowBytes;
    if (end > first) algorithm.rowInput(this.kernels, image + (4 * first - padTop) * xRowBytes, xRowBytes, shifted(v, first * rowBytes), end - first, run);
    for (const tile of edges) {
      const rowAt = Array.from({ length: planes }, (_, j) => {
        const row = 4 * tile - padTop + j;
        return row >= 0 && row < height ? image + row * xRowBytes : zeroRow;
      });
      algorithm.tileInput(this.kernels, rowAt, shifted(v, tile * rowBytes), run);
    }
  }
}
