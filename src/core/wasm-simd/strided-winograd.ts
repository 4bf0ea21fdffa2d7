/**
 * Strided convolutions by Winograd's minimal filtering over their phases (./phase-algorithms.ts
 * has one axis's algorithm and the papers): the forward pass and the input gradient of a 3x3
 * filter at stride 2 in 0.64 of the products the direct sums take (border classes, ./strided.ts),
 * where the transforms cost less than the products saved: on the energy model's last layer
 * (7 x 7 -> 4 x 4, 32 -> 64 channels) and the GAN discriminator's second (14 x 14 -> 7 x 7,
 * 32 -> 64), not on 16 channels (the energy model's middle layer), whose transforms cost more.
 *
 * The two axes' algorithms nest: with R the rows' and C the columns',
 *   V[lr, lc] = sum over i, j of Rin[lr, i] Cin[lc, j] X[i, j]   (each a [images, Cs] block)
 *   U[lr, lc] = sum over t, u of Rtap[lr, t] Ctap[lc, u] W[t, u]  ([Cs, Ct]; W turned per tap for dX)
 *   M[lr, lc] = V[lr, lc] U[lr, lc]                               (one matrix product each)
 *   Y[o, p]   = sum over lr, lc of Rout[o, lr] Cout[p, lc] M[lr, lc]
 * each transform a sum of runs taken an axis at a time (weightedSums, whose tables hold the
 * algorithms' sparse rows: first the rows of [W Cs] numbers, then runs of a pixel's channels),
 * the images a chunk at a time so that V and M stay in the second-level cache, and U kept per
 * filter (a Langevin walk's ten passes take one). The input gradient's Swish slope is taken
 * as the last transform stores dX (the same float32 operations as swishGradient's).
 *
 * Measured by turns with border classes in one process (tf.conv2d and tf.conv2dTranspose on the
 * layers' shapes, batch 64, on the AMD EPYC; `npm run bench:convolutions -- stride`): the
 * energy model's last layer 0.80-0.83x of border classes' time forwards and 0.86-0.90x
 * backwards, the GAN's 0.88-0.91x and 0.89-0.92x; the energy model's middle layer 1.14-1.21x,
 * so left to border classes by the estimate below.
 */
import type { ConvolutionGeometry } from './convolution';
import { directWork, transposeRows } from './heap';
import { geometryKey, KeptTables } from './patch-tables';
import { axisAlgorithm, type AxisAlgorithm } from './phase-algorithms';
import type { Axis, SwishSlope } from './strided';
import { QuadRowConvolutions } from './winograd-quad-rows';
import { float32Bits } from '../wasm-heap-views';

let enabled = true;

/** Turns the phases' Winograd off (strided passes then go by border classes): for measuring one against the other. */
export function usePhaseWinograd(on: boolean): void {
  enabled = on;
}

/**
 * A pass that phases may take at all: a 3x3 filter at stride 2, four channels or more on both
 * sides and in fours, no relu; rows free to combine (F(4, 2) along them mixes neighbouring
 * windows' rows in rounding: not where each output must read only its own window's rows,
 * `windowRows`, nor inside keepRowsApart, `exactRows`, nor a masked centre row, `loneRow`).
 */
const fits = (g: ConvolutionGeometry, relu: boolean) => !relu && !g.exactRows && !g.windowRows && g.loneRow === undefined
  && g.batch > 0 && g.strideH === 2 && g.strideW === 2 && g.filterH === 3 && g.filterW === 3
  && g.inChannels >= 4 && g.inChannels % 4 === 0 && g.outChannels % 4 === 0 && g.outChannels > 0 && g.outH > 0 && g.outW > 0;

/**
 * A transform's multiply-add against a product's, in time. On the AMD EPYC the products took
 * 0.17 ns a vector multiply-add (in registers, two a cycle) and the transforms' 0.4 ns (each a
 * load, a multiply and an add, a store every few), and a chunk's many small products cost more
 * than one large one: with 3, the estimates came 0-10% under the measures below.
 */
const TRANSFORM_COST = 3;

/** Phases where their estimated time is at most this share of border classes': the estimates ran 0-10% under the measures. */
const WORTH = 0.95;

const decisions = new WeakMap<ConvolutionGeometry, { forward: boolean; 'input gradient': boolean }>();

/**
 * Does a strided pass go by its phases' Winograd? Where it fits, and where its products and
 * transforms (multiply-adds an image, the transforms' weighted by TRANSFORM_COST) come to at
 * most WORTH of the direct sums' products over the taps inside the image (border classes').
 * Kept per geometry: shapeOf (register.ts) gives one object per convolution's shapes.
 */
export function byPhases(g: ConvolutionGeometry, pass: 'forward' | 'input gradient', relu = false): boolean {
  if (!enabled || !fits(g, relu)) return false;
  let found = decisions.get(g);
  if (!found) {
    found = { forward: phasesPay(g, 'forward'), 'input gradient': phasesPay(g, 'input gradient') };
    decisions.set(g, found);
  }
  return found[pass];
}

/**
 * The estimate byPhases weighs, true where it is WORTH border classes' time or less, and where
 * the transformed filter, one [Cs, Ct] block per element kept on the heap, is at most
 * MAX_TRANSFORMED_BYTES.
 */
export function phasesPay(g: ConvolutionGeometry, pass: 'forward' | 'input gradient'): boolean {
  const { rows, columns, source, target } = passShape(g, pass);
  const [cs, ct] = [source.channels, target.channels];
  if (rows.length * columns.length * cs * ct * 4 > MAX_TRANSFORMED_BYTES) return false;
  const terms = (lists: Array<Array<unknown>>) => lists.reduce((sum, list) => sum + list.length, 0);
  const products = rows.length * columns.length * cs * ct;
  const transforms = terms(rows.inputs) * source.width * cs + rows.length * terms(columns.inputs) * cs
    + rows.length * terms(columns.outputs) * ct + terms(rows.outputs) * target.width * ct;
  const direct = insideTaps(rowAxis(g)) * insideTaps(columnAxis(g)) * cs * ct;
  return products + TRANSFORM_COST * transforms <= WORTH * direct;
}

/** The taps along an axis that read inside the input (the rest the padding's): the direct sums' products along it. */
function insideTaps(a: Axis): number {
  let taps = 0;
  for (let o = 0; o < a.output; o++) for (let t = 0; t < a.filter; t++) if (o * a.stride - a.pad + t >= 0 && o * a.stride - a.pad + t < a.input) taps++;
  return taps;
}

/**
 * The most a pass's transformed filter may take: the EBM's last layer keeps 0.5 MB, the GAN's
 * second 2 MB; a 28 x 28 map of 64 to 128 channels would keep 32 MB, 114 times its filter.
 */
const MAX_TRANSFORMED_BYTES = 4 * 1024 * 1024;

/** Passes whose transformed filters stay on the heap: a model's strided layers, forwards and backwards, with room to spare. */
const KEPT_FILTERS = 8;

/** Bytes of the products M a chunk of images makes: they and V stay in the second-level cache. */
const CHUNK_BYTES = 512 * 1024;

/** One call of weightedSums: its table's address and groups, the runs' bytes, and the images' strides. */
interface Sums {
  table: number;
  groups: number;
  bytes: number;
  sourceImage: number;
  targetImage: number;
}

/** A pass's transforms (by the chunk of `images`), and the sizes of its scratch. */
interface PhasePlan {
  images: number;
  elements: number;
  /** channels of the source and of the target */
  cs: number;
  ct: number;
  rowsIn: Sums;
  columnsIn: Sums;
  filter: Sums;
  columnsOut: Sums;
  rowsOut: Sums;
  /** floats of T [images, Lr, Ws, Cs], V [L, images, Cs], U [L, Cs, Ct], M [L, images, Ct], Z [images, Lr, Wt, Ct] */
  sizes: [number, number, number, number, number];
}

/** A pass from `source` [B, Hs, Ws, Cs] to `target` [B, Ht, Wt, Ct]: forwards x to y, for the input gradient dY to dX. */
interface PassShape {
  rows: AxisAlgorithm;
  columns: AxisAlgorithm;
  source: { height: number; width: number; channels: number };
  target: { height: number; width: number; channels: number };
}

/** Strided passes by their phases' Winograd (above). */
export class PhaseWinogradConvolutions extends QuadRowConvolutions {
  private readonly phasePlans = new KeptTables<PhasePlan>(this.backend);
  /** U per pass (by key), kept on the heap (the KEPT_FILTERS passes used last), and the filter it was made from (a Langevin walk's ten passes take one). */
  private readonly transformed = new Map<string, { filter: object; at: number }>();

  /** Y = X W + bias: x [B, H, W, Ci], filter [Fh, Fw, Ci, Co] -> y [B, Ho, Wo, Co]. */
  protected phaseForward(xAt: number, filter: { dataId: object }, filterAt: number, outAt: number, g: ConvolutionGeometry, biasAt: number): void {
    this.runPhases(g, 'forward', xAt, outAt, filter, `phases forward ${geometryKey(g, 0)}`, () => filterAt, 0, undefined, biasAt);
  }

  /** dX: dy [B, Ho, Wo, Co], filter [Fh, Fw, Ci, Co] -> dx [B, H, W, Ci]; with `slope`, times Swish's slope s + y (1 - s) (Swish's s and y shaped like dx). */
  protected phaseInputGradient(dyAt: number, filter: { dataId: object }, filterAt: number, dxAt: number, g: ConvolutionGeometry, slope?: SwishSlope): void {
    const taps = g.filterH * g.filterW;
    const block = g.inChannels * g.outChannels;
    this.runPhases(g, 'input gradient', dyAt, dxAt, filter, `phases gradient ${geometryKey(g, 0)}`, (turned) => {
      // W[t]^T, [Co, Ci], for each tap
      const heap = this.heap();
      for (let t = 0; t < taps; t++) transposeRows(heap, filterAt + t * block * 4, g.inChannels, g.outChannels, g.outChannels, turned + t * block * 4, g.inChannels);
      return turned;
    }, taps * block, slope);
  }

  /**
   * The transforms and products of a pass, a chunk of images at a time; U made by `filterFrom`
   * (the address of the filter in the pass's layout, [Fh, Fw, Cs, Ct], given `turnedFloats` of
   * scratch to write it in) where the filter is not the one it was last made from; with
   * `slope`, the targets times Swish's slope; with `biasAt`, the bias added to every target
   * pixel. Where a pool of kernel threads runs, its bands of images (eachRun), each with chunks
   * and scratch of its own: every call of a chunk works on its images alone (a product's rows
   * are its images), so the numbers are one thread's.
   */
  private runPhases(g: ConvolutionGeometry, pass: 'forward' | 'input gradient', sourceAt: number, targetAt: number, filter: { dataId: object }, filterKey: string, filterFrom: (scratch: number) => number, turnedFloats = 0, slope?: SwishSlope, biasAt = 0): void {
    const whole = this.planFor(g, pass, g.batch);
    const [turned] = this.scratch.regions([turnedFloats * 4]);
    const u = this.transformedFilter(filterKey, filter, whole.sizes[2] * 4, (at) => this.sums(whole.filter, filterFrom(turned), at, 1));
    // each band's plan (its chunks no larger than the band) and its T, V, M and Z
    const bands = (count: number) => {
      const plan = this.planFor(g, pass, Math.ceil(g.batch / count));
      const sizes = [plan.sizes[0], plan.sizes[1], plan.sizes[3], plan.sizes[4]].map((floats) => floats * 4);
      const regions = this.scratch.regions(Array.from({ length: count }, () => sizes).flat());
      return Array.from({ length: count }, (_, j) => ({ plan, at: regions.slice(4 * j, 4 * j + 4) }));
    };
    const [ct, targetPixels] = [whole.ct, whole.rowsOut.targetImage / (whole.ct * 4)];
    this.eachRun(g.batch, directWork(g), bands, (start, end, { plan, at: [t, v, m, z] }) => {
      const { rowsIn, columnsIn, columnsOut, rowsOut, cs } = plan;
      for (let first = start; first < end; first += plan.images) {
        const count = Math.min(plan.images, end - first);
        this.sums(rowsIn, sourceAt + first * rowsIn.sourceImage, t, count);
        this.sums(columnsIn, t, v, count);
        // M[l] = V[l] U[l]: [count, Cs] x [Cs, Ct], each whole on one thread where a pool runs (the same numbers on any number)
        this.kernels.gemmEach(Array.from({ length: plan.elements }, (_, l) => [v + l * plan.images * cs * 4, cs * 4, 4, u + l * cs * ct * 4, ct * 4, m + l * plan.images * ct * 4, ct * 4, count, ct, cs, 0, 0, 0]));
        this.sums(columnsOut, m, z, count);
        // Swish's s and y from the chunk's first image on, as the target
        const skip = first * rowsOut.targetImage;
        this.sums(rowsOut, z, targetAt + skip, count, slope && { s: slope.s + skip, y: slope.y + skip });
      }
      // the bias added to every pixel's channels after: weightedSums's runs span many pixels
      if (biasAt) this.kernels.addRuns(biasAt, 0, targetAt + start * rowsOut.targetImage, ct * 4, (end - start) * targetPixels, ct * 4);
    });
  }

  /**
   * U's address for the pass `key` and this filter, made by `make` where the pass last saw
   * another: kept in place, where KeptFilters would copy its half a megabyte back each call.
   */
  private transformedFilter(key: string, filter: { dataId: object }, bytes: number, make: (at: number) => void): number {
    let kept = this.transformed.get(key);
    if (kept) this.transformed.delete(key); // most recently used last
    else {
      const at = this.backend.wasm._malloc(bytes) >>> 0;
      if (!at) throw new Error(`WASM kernels: no memory for ${bytes} bytes of a transformed filter`);
      kept = { filter: {}, at };
    }
    this.transformed.set(key, kept);
    if (this.transformed.size > KEPT_FILTERS) {
      const [oldest, evicted] = this.transformed.entries().next().value as [string, { at: number }];
      this.transformed.delete(oldest);
      this.backend.wasm._free(evicted.at);
    }
    if (kept.filter !== filter.dataId) {
      make(kept.at);
      kept.filter = filter.dataId;
    }
    return kept.at;
  }

  private sums(s: Sums, source: number, target: number, images: number, slope?: SwishSlope): void {
    this.kernels.weightedSums(s.table, s.groups, s.bytes, source, s.sourceImage, target, s.targetImage, images, slope?.s ?? 0, slope?.y ?? 0);
  }

  /** A pass's tables, for chunks of `bandImages` images at most: its transforms' sparse rows as weightedSums reads them. */
  private planFor(g: ConvolutionGeometry, pass: 'forward' | 'input gradient', bandImages: number): PhasePlan {
    return this.phasePlans.get(`${pass} ${bandImages} ${geometryKey(g)}`, () => this.words(), () => {
      const { rows, columns, source, target } = passShape(g, pass);
      const [cs, ct] = [source.channels, target.channels];
      const elements = rows.length * columns.length;
      const images = Math.max(1, Math.min(bandImages, Math.floor(CHUNK_BYTES / (elements * ct * 4))));
      // each table as [target offset, count, (source offset, weight's float32 bits)...] per group, offsets in bytes
      const tables: Int32Array[] = [];
      const group = (targetOffset: number, terms: Array<[number, number]>) => [targetOffset, terms.length, ...terms.flatMap(([offset, weight]) => [offset, float32Bits(weight)])];
      const table = (groups: number[][]) => {
        tables.push(Int32Array.from(groups.flat()));
        return groups.length;
      };
      const lr = rows.length;
      const lc = columns.length;
      const groupCounts = [
        // T[lr] = sum_i Rin[lr, i] X[i]: rows of Ws Cs
        table(rows.inputs.map((terms, l) => group(l * source.width * cs * 4, terms.map(([i, w]) => [i * source.width * cs * 4, w])))),
        // V[lr, lc] = sum_j Cin[lc, j] T[lr, j]: runs of Cs
        table(rows.inputs.flatMap((_, r) => columns.inputs.map((terms, c) => group((r * lc + c) * images * cs * 4, terms.map(([j, w]) => [(r * source.width + j) * cs * 4, w]))))),
        // U[lr, lc] = sum_{t, u} Rtap[lr, t] Ctap[lc, u] W[t, u]: runs of Cs Ct
        table(rows.taps.flatMap((rowTaps, r) => columns.taps.map((columnTaps, c) => group((r * lc + c) * cs * ct * 4, rowTaps.flatMap(([tr, a]) => columnTaps.map(([tc, b]): [number, number] => [(tr * g.filterW + tc) * cs * ct * 4, a * b])))))),
        // Z[lr, p] = sum_lc Cout[p, lc] M[lr, lc]: runs of Ct
        table(rows.inputs.flatMap((_, r) => columns.outputs.map((terms, p) => group((r * target.width + p) * ct * 4, terms.map(([c, w]) => [(r * lc + c) * images * ct * 4, w]))))),
        // Y[o] = sum_lr Rout[o, lr] Z[lr]: rows of Wt Ct
        table(rows.outputs.map((terms, o) => group(o * target.width * ct * 4, terms.map(([r, w]) => [r * target.width * ct * 4, w])))),
      ];
      const words = tables.reduce((sum, t) => sum + t.length, 0);
      return {
        words,
        write: (heap, at) => {
          let entry = at / 4;
          const addresses = tables.map((t) => {
            heap.set(t, entry);
            entry += t.length;
            return (entry - t.length) * 4;
          });
          const sums = (n: number, bytes: number, sourceImage: number, targetImage: number): Sums => ({ table: addresses[n], groups: groupCounts[n], bytes, sourceImage, targetImage });
          return {
            images,
            elements,
            cs,
            ct,
            rowsIn: sums(0, source.width * cs * 4, source.height * source.width * cs * 4, lr * source.width * cs * 4),
            columnsIn: sums(1, cs * 4, lr * source.width * cs * 4, cs * 4),
            filter: sums(2, cs * ct * 4, 0, 0),
            columnsOut: sums(3, ct * 4, ct * 4, lr * target.width * ct * 4),
            rowsOut: sums(4, target.width * ct * 4, lr * target.width * ct * 4, target.height * target.width * ct * 4),
            sizes: [images * lr * source.width * cs, elements * images * cs, elements * cs * ct, elements * images * ct, images * lr * target.width * ct],
          };
        },
      };
    });
  }
}

/** A convolution's axes (strided.ts's border classes take them too). */
export const rowAxis = (g: ConvolutionGeometry): Axis => ({ input: g.height, output: g.outH, filter: g.filterH, stride: g.strideH, pad: g.padTop });
export const columnAxis = (g: ConvolutionGeometry): Axis => ({ input: g.width, output: g.outW, filter: g.filterW, stride: g.strideW, pad: g.padLeft });

function passShape(g: ConvolutionGeometry, pass: 'forward' | 'input gradient'): PassShape {
  const x = { height: g.height, width: g.width, channels: g.inChannels };
  const y = { height: g.outH, width: g.outW, channels: g.outChannels };
  return {
    rows: axisAlgorithm(rowAxis(g), pass),
    columns: axisAlgorithm(columnAxis(g), pass),
    source: pass === 'forward' ? x : y,
    target: pass === 'forward' ? y : x,
  };
}
