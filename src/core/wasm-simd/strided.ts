/**
 * Strided convolutions by border classes: each sum takes only the taps whose input lies in
 * the image, where the patch matrix (convolution.ts) multiplies the padding's zeros too.
 *
 * Why: at stride 2 on small maps the padding is a large share of every window. The energy
 * model's last layer (7 x 7 -> 4 x 4, a 3x3 filter, 'same') reads 144 taps an image of
 * which 44 are padding, 31%; its middle one (14 x 14 -> 7 x 7) 9%. Its input gradient, as
 * dY W^T added back by col2im, makes the padding's gradients too, and then drops them.
 *
 * How: along each axis, the output coordinates whose windows take the same taps form a class
 * (an edge, the middle); a pixel's class is its row's and its column's. Each class is one
 * matrix product over its pixels, with only its taps (gemmGather, kernels.ts):
 *   Y[pixel, :] = sum over the class's taps t of  X[anchor(pixel) + delta(t), :] W[t]
 * the pixels' rows read from the source and written to the output through tables of offsets.
 * The input gradient is the same kind of sum, gathered: dX at pixel i takes dY W[t]^T from
 * each output o whose window holds i at tap t (o s - p + t = i), and its classes are the
 * input's coordinates with the same (o - anchor, t) pairs: at stride 2 the even and the odd
 * ones, and the edges. So it needs neither dY W^T written out nor col2im, and no image
 * zeroed first. Forwards the numbers are the patch matrix's to the bit (the same products in
 * the same order, less the zeros, whose adding changes nothing); the input gradient sums the
 * same products in another order (within 2e-6 of TF.js's CPU kernels,
 * tests/unit/wasm-simd-convolution.test.ts).
 *
 * Where the input has one channel (an image's first layer), the input gradient's products
 * would be rows of one number: there dY W^T is made as a patch matrix, as col2im's path makes
 * it, and each input pixel's sum is gathered from it by the same classes
 * (narrowInputGradient, gatherSums in patch-kernels.ts). col2im added one number at a time,
 * scattered, onto a zeroed image: the energy model's first layer 0.62-0.68x of that, side by
 * side, a 5x5 filter's 0.86x. Not for two channels or more: summing channel by channel, RGB's
 * was 1.31x and six channels' 1.46x slower than col2im.
 */
import type { ConvolutionGeometry } from './convolution';
import { directWork, MIN_FEW_CALLS_WORK, roundUp4, transposeRows } from './heap';
import { geometryKey, KeptTables } from './patch-tables';
import { byPhases, columnAxis, PhaseWinogradConvolutions, rowAxis } from './strided-winograd';

/** A tap along one axis: the filter's index, and the source coordinate it reads, counted from the pixel's anchor. */
export interface AxisTap {
  tap: number;
  delta: number;
}

/** The coordinates along one axis of a pass's output whose sums take the same taps: each one's anchor in the source, and the taps. */
export interface AxisClass {
  coordinates: number[];
  anchors: number[];
  taps: AxisTap[];
}

/** One axis of a convolution: input and output sizes, the filter's, the stride, and the padding before. */
export interface Axis {
  input: number;
  output: number;
  filter: number;
  stride: number;
  pad: number;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Coordinates [0, size) grouped by the taps their sums take. */
function grouped(size: number, sumAt: (coordinate: number) => { anchor: number; taps: AxisTap[] }): AxisClass[] {
  const classes = new Map<string, AxisClass>();
  for (let x = 0; x < size; x++) {
    const { anchor, taps } = sumAt(x);
    const key = taps.map(({ tap, delta }) => `${tap}@${delta}`).join(',');
    const found = classes.get(key) ?? { coordinates: [], anchors: [], taps };
    classes.set(key, found);
    found.coordinates.push(x);
    found.anchors.push(anchor);
  }
  return [...classes.values()];
}

/** Forwards along an axis: output o's window starts at o s - p, and takes its taps that fall inside the input, counted from the first. */
export function forwardClasses(a: Axis): AxisClass[] {
  return grouped(a.output, (o) => {
    const start = o * a.stride - a.pad;
    const inside = range(a.filter).filter((t) => start + t >= 0 && start + t < a.input);
    const first = inside[0] ?? 0;
    return { anchor: start + first, taps: inside.map((t) => ({ tap: t, delta: t - first })) };
  });
}

/** The input gradient along an axis: input i takes dY[o] at tap t from every output o whose window holds it (o s - p + t = i), o counted from the first. */
export function gradientClasses(a: Axis): AxisClass[] {
  return grouped(a.input, (i) => {
    const reaching = range(a.filter)
      .map((t) => ({ t, o: (i + a.pad - t) / a.stride }))
      .filter(({ o }) => Number.isInteger(o) && o >= 0 && o < a.output);
    const anchor = reaching.length > 0 ? Math.min(...reaching.map(({ o }) => o)) : 0;
    return { anchor, taps: reaching.map(({ t, o }) => ({ tap: t, delta: o - anchor })).sort((x, y) => x.delta - y.delta) };
  });
}

/** A map [batch, height, width, channels]. */
interface MapShape {
  height: number;
  width: number;
  channels: number;
}

/** Swish's s = sigmoid(z) and y = z s on the heap (byte addresses), shaped like a pass's output: its gradient fused into that pass. */
export interface SwishSlope {
  s: number;
  y: number;
}

/** One border class on the heap: its pixels' source rows and output rows, its taps' offsets, and the filter's (fh, fw) blocks in the taps' order. */
interface BorderClass {
  pixels: number;
  sources: number;
  targets: number;
  steps: number;
  depth: number;
  blocks: Array<[number, number]>;
}

/** The border classes of one pass, by rows' and columns' classes: their pixels, depths (taps times `source`'s channels) and filter blocks. */
function borderClasses(batch: number, source: MapShape, rows: AxisClass[], columns: AxisClass[]): Array<Omit<BorderClass, 'sources' | 'targets' | 'steps'> & { rowClass: AxisClass; columnClass: AxisClass }> {
  return rows.flatMap((rowClass) => columns.map((columnClass) => ({
    rowClass,
    columnClass,
    pixels: batch * rowClass.coordinates.length * columnClass.coordinates.length,
    depth: rowClass.taps.length * columnClass.taps.length * source.channels,
    blocks: rowClass.taps.flatMap((r) => columnClass.taps.map((c): [number, number] => [r.tap, c.tap])),
  })));
}

/** Writes a class's pixel tables from `entry` (a word index) in `words`: each pixel's anchor in the source, then each pixel in the target (byte offsets); returns the next entry. */
function writePixels(words: Int32Array, entry: number, batch: number, source: MapShape, target: MapShape, rowClass: AxisClass, columnClass: AxisClass): number {
  const pixels = batch * rowClass.coordinates.length * columnClass.coordinates.length;
  for (let b = 0; b < batch; b++) for (let y = 0; y < rowClass.coordinates.length; y++) for (let x = 0; x < columnClass.coordinates.length; x++) {
    words[entry] = ((b * source.height + rowClass.anchors[y]) * source.width + columnClass.anchors[x]) * source.channels * 4;
    words[entry + pixels] = ((b * target.height + rowClass.coordinates[y]) * target.width + columnClass.coordinates[x]) * target.channels * 4;
    entry++;
  }
  return entry + pixels;
}

/**
 * Writes the tables of a pass's border classes (borderClasses) at `at` (bytes) in `words`, the
 * heap as 32-bit words: the pixels' (writePixels), then for each of a class's taps and each of
 * `channels` channels, `step`'s byte offset from the anchor.
 */
function writeTables(words: Int32Array, at: number, batch: number, source: MapShape, target: MapShape, classes: ReturnType<typeof borderClasses>, channels: number, step: (row: AxisTap, column: AxisTap, channel: number) => number): BorderClass[] {
  let entry = at / 4;
  return classes.map(({ rowClass, columnClass, ...shape }) => {
    const [sources, targets] = [entry * 4, (entry + shape.pixels) * 4];
    entry = writePixels(words, entry, batch, source, target, rowClass, columnClass);
    const steps = entry * 4;
    for (const r of rowClass.taps) for (const c of columnClass.taps) for (let channel = 0; channel < channels; channel++) words[entry++] = step(r, c, channel);
    return { ...shape, sources, targets, steps };
  });
}

let enabled = true;

/** Turns the border classes off (strided passes then take the patch matrix): for measuring one against the other. */
export function useBorderClasses(on: boolean): void {
  enabled = on;
}

/**
 * Do a pass's sums go by border classes? Strided, with the product's columns (the pass's
 * output channels) in fours; forwards, not from fewer than four channels (an image's first
 * layer), whose classes' sums are only a few taps long: there the patch matrix was faster
 * (the energy model's and the GAN's one-channel first layers, 1.10-1.42x slower by classes,
 * side by side).
 */
export function byBorderClasses(g: ConvolutionGeometry, pass: 'forward' | 'input gradient'): boolean {
  const columns = pass === 'forward' ? g.outChannels : g.inChannels;
  const deepEnough = pass === 'input gradient' || g.inChannels >= 4;
  return enabled && (g.strideH > 1 || g.strideW > 1) && columns % 4 === 0 && columns > 0 && deepEnough;
}

/**
 * Does a strided input gradient with a one-channel input (an image's first layer) gather its
 * sums from dY W^T by border classes (narrowInputGradient)? Only where one image's dY W^T
 * fits a chunk: its chunks are whole images.
 */
export function gathersNarrowSums(g: ConvolutionGeometry): boolean {
  return enabled && (g.strideH > 1 || g.strideW > 1) && g.inChannels === 1 && g.outH * g.outW * productWidth(g) * 4 <= SUMS_CHUNK_BYTES;
}

/** Bytes of dY W^T made at once by narrowInputGradient, whole images at a time: it stays in the second-level cache. */
const SUMS_CHUNK_BYTES = 256 * 1024;

/** dY W^T's row length: Fh Fw Ci products, rounded up to fours (the product's columns). */
const productWidth = (g: ConvolutionGeometry) => roundUp4(g.filterH * g.filterW * g.inChannels);

/** Strided convolutions' forward pass and input gradient by border classes (above), or by Winograd over their phases where that pays (./strided-winograd.ts). */
export class StridedConvolutions extends PhaseWinogradConvolutions {
  private readonly classTables = new KeptTables<BorderClass[]>(this.backend);

  /** Y = X W (+ bias, then relu) by border classes: x [B, H, W, Ci], filter [Fh, Fw, Ci, Co] -> y [B, Ho, Wo, Co]. */
  protected stridedForward(xAt: number, filter: { dataId: object } | undefined, filterAt: number, outAt: number, g: ConvolutionGeometry, biasAt: number, relu: boolean): void {
    if (filter && byPhases(g, 'forward', relu)) return this.phaseForward(xAt, filter, filterAt, outAt, g, biasAt);
    const source = { height: g.height, width: g.width, channels: g.inChannels };
    const target = { height: g.outH, width: g.outW, channels: g.outChannels };
    const classes = this.tablesFor('forward', g, source, target);
    const block = g.inChannels * g.outChannels;
    // a class with every tap in order reads the filter as it is; the others their blocks, copied out
    const whole = (c: BorderClass) => c.blocks.length === g.filterH * g.filterW;
    const regions = this.scratch.regions(classes.map((c) => (whole(c) ? 0 : c.depth * g.outChannels * 4)));
    classes.forEach((c, i) => {
      if (whole(c) || c.depth === 0) {
        regions[i] = filterAt;
        return;
      }
      // forwards a class's taps are a rectangle of the filter: a run of blocks for each of its rows
      const [[fh, fw], last] = [c.blocks[0], c.blocks[c.blocks.length - 1]];
      const [rows, run] = [last[0] - fh + 1, (last[1] - fw + 1) * block * 4];
      this.kernels.copyRuns(filterAt + (fh * g.filterW + fw) * block * 4, g.filterW * block * 4, regions[i], run, rows, run);
    });
    this.gatheredProducts(xAt, outAt, g.batch, classes, regions, g.outChannels, biasAt, relu);
  }

  /**
   * dX by border classes, gathered: dy [B, Ho, Wo, Co], filter [Fh, Fw, Ci, Co] -> dx [B, H, W, Ci];
   * with `slope`, the addresses of Swish's s and y shaped like dx, dX times s + y (1 - s).
   */
  protected stridedInputGradient(dyAt: number, filter: { dataId: object }, filterAt: number, dxAt: number, g: ConvolutionGeometry, slope?: SwishSlope): void {
    if (byPhases(g, 'input gradient')) return this.phaseInputGradient(dyAt, filter, filterAt, dxAt, g, slope);
    const source = { height: g.outH, width: g.outW, channels: g.outChannels };
    const target = { height: g.height, width: g.width, channels: g.inChannels };
    const classes = this.tablesFor('input gradient', g, source, target);
    const block = g.inChannels * g.outChannels;
    // each class's blocks one after another in one region (channels in fours: each a multiple of 16 bytes), kept as one run
    const offsets: number[] = [];
    let total = 0;
    for (const c of classes) {
      offsets.push(total);
      total += c.depth * g.inChannels;
    }
    const [run] = this.scratch.regions([total * 4]);
    const regions = offsets.map((offset) => run + offset * 4);
    const heap = this.heap();
    // per geometry at any batch size (the classes' taps, and so their blocks, are the same), for a Langevin walk's ten steps
    this.keptFilters.place(heap, filter.dataId, `turned ${geometryKey(g, 0)}`, run, total, () => {
      // W[fh, fw]^T, [Co, Ci], for each of a class's blocks
      classes.forEach((c, i) => c.blocks.forEach(([fh, fw], n) => {
        transposeRows(heap, filterAt + (fh * g.filterW + fw) * block * 4, g.inChannels, g.outChannels, g.outChannels, regions[i] + n * block * 4, g.inChannels);
      }));
    });
    this.gatheredProducts(dyAt, dxAt, g.batch, classes, regions, g.inChannels, 0, false, slope);
  }

  /** W^T, [Co, wide], at `at` (bytes), zero past Fh Fw Ci: kept per filter (a Langevin walk's ten input gradients take one). */
  protected placeTransposedFilter(filter: { dataId: object }, filterAt: number, at: number, g: ConvolutionGeometry, wide: number): void {
    const heap = this.heap();
    const [depth, n] = [g.filterH * g.filterW * g.inChannels, g.outChannels];
    this.keptFilters.place(heap, filter.dataId, 'transposed', at, n * wide, () => {
      this.zero(at, n * wide);
      transposeRows(heap, filterAt, depth, n, n, at, wide);
    });
  }

  /**
   * dX of a one-channel input at a stride (gathersNarrowSums): P = dY W^T, each output
   * pixel's Fh Fw products, then each input pixel's sum gathered from P by border classes
   * (gatherSums: dX[i] = the sum of P[o, t] over the pairs (o, t) whose window holds i at tap
   * t). col2im added P's rows back onto a zeroed image, its numbers scattered at about 2 ns
   * each. dy [B, Ho, Wo, Co], filter [Fh, Fw, 1, Co] -> dx [B, H, W, 1], a chunk of whole
   * images at a time (each pixel's sum lies in its image); on a pool of kernel threads, bands
   * of images, each with its own P.
   */
  protected narrowInputGradient(dyAt: number, filter: { dataId: object }, filterAt: number, dxAt: number, g: ConvolutionGeometry): void {
    const wide = productWidth(g);
    const n = g.outChannels;
    const [outPixels, inFloats] = [g.outH * g.outW, g.height * g.width];
    const chunk = Math.max(1, Math.min(g.batch, Math.floor(SUMS_CHUNK_BYTES / (outPixels * wide * 4))));
    // one image's tables, for each image
    const classes = this.sumTablesFor(g, wide);
    let transposed = 0;
    // W^T, and each band's P for chunks of its images (no larger than the band): on a pool of
    // kernel threads bands of images run at once (eachRun), each image's sums made as on one thread
    const bands = (count: number) => {
      const images = Math.min(chunk, Math.ceil(g.batch / count));
      const [filterRegion, ...matrices] = this.scratch.regions([n * wide * 4, ...new Array<number>(count).fill(images * outPixels * wide * 4)]);
      transposed = filterRegion;
      this.placeTransposedFilter(filter, filterAt, transposed, g, wide);
      return matrices.map((matrix) => ({ matrix, images }));
    };
    this.eachRun(g.batch, directWork(g), bands, (start, end, { matrix, images }) => {
      for (let first = start; first < end; first += images) {
        const count = Math.min(images, end - first);
        // P[count Ho Wo, wide] = dY[count Ho Wo, Co] W^T[Co, wide]
        this.kernels.gemm(dyAt + first * outPixels * n * 4, n * 4, 4, transposed, wide * 4, matrix, wide * 4, count * outPixels, wide, n, 0);
        for (const c of classes) this.kernels.gatherSums(matrix, outPixels * wide * 4, c.sources, c.steps, dxAt + first * inFloats * 4, inFloats * 4, c.targets, count, c.pixels, c.depth);
      }
    }, 0, MIN_FEW_CALLS_WORK);
  }

  /**
   * Each class's product: target[pixel] = sum over its taps of source[anchor + delta] blocks,
   * + bias, then relu, then times Swish's slope; a class with no taps is its bias (times the slope).
   * A class's pixels lie image after image, the same number in each (writePixels), so on a
   * pool of kernel threads the batch goes in bands of images (eachRun), each band every class's
   * rows of its images: one job a pass, where each class's product cut into rows was a job of
   * its own. A row's sums are the same in any band, so the numbers are one thread's.
   */
  private gatheredProducts(sourceAt: number, targetAt: number, batch: number, classes: BorderClass[], filters: number[], channels: number, biasAt: number, relu: boolean, slope?: SwishSlope): void {
    const work = classes.reduce((sum, c) => sum + c.pixels * c.depth * channels, 0);
    // an empty batch (its classes have no pixels) has nothing to share out
    if (batch > 0) this.eachRun(batch, work, (count) => new Array<null>(count).fill(null), (first, end) => {
      classes.forEach((c, i) => {
        if (c.depth === 0) return;
        const perImage = c.pixels / batch;
        // the class's rows of images [first, end): its tables of sources and targets from the first of them
        const [rows, skip] = [(end - first) * perImage, first * perImage * 4];
        this.kernels.gemmGather(sourceAt, c.sources + skip, c.steps, filters[i], channels * 4, targetAt, c.targets + skip, rows, channels, c.depth, 0, biasAt, relu ? 1 : 0, slope?.s ?? 0, slope?.y ?? 0);
      });
    }, 0, MIN_FEW_CALLS_WORK);
    for (const c of classes) {
      if (c.depth > 0) continue;
      const [heap, words] = [this.heap(), this.words()];
      for (let p = 0; p < c.pixels; p++) {
        const offset = words[c.targets / 4 + p];
        const at = (targetAt + offset) / 4;
        for (let o = 0; o < channels; o++) {
          const sum = Math.max(biasAt ? heap[biasAt / 4 + o] : 0, relu ? 0 : -Infinity);
          if (!slope) heap[at + o] = sum;
          else {
            // in float32's operations, as the products' stores (sum is 0 here: only its sign could differ)
            const [s, y, f] = [heap[(slope.s + offset) / 4 + o], heap[(slope.y + offset) / 4 + o], Math.fround];
            heap[at + o] = sum * f(s + f(y * f(1 - s)));
          }
        }
      }
    }
  }

  private tablesFor(pass: 'forward' | 'input gradient', g: ConvolutionGeometry, source: MapShape, target: MapShape): BorderClass[] {
    const classesOf = pass === 'forward' ? forwardClasses : gradientClasses;
    return this.classTables.get(`${pass} ${geometryKey(g)}`, () => this.words(), () => {
      const classes = borderClasses(g.batch, source, classesOf(rowAxis(g)), classesOf(columnAxis(g)));
      const words = classes.reduce((sum, c) => sum + 2 * c.pixels + c.depth, 0);
      // a tap's channels in a run from its source pixel
      const step = (r: AxisTap, c: AxisTap, channel: number) => ((r.delta * source.width + c.delta) * source.channels + channel) * 4;
      return { words, write: (heap, at) => writeTables(heap, at, g.batch, source, target, classes, source.channels, step) };
    });
  }

  /**
   * narrowInputGradient's tables, for one image: input pixels by the gradient's classes, their
   * anchors in P [Ho, Wo, wide], and each tap's product there: a class's depth is its number
   * of taps (one channel).
   */
  private sumTablesFor(g: ConvolutionGeometry, wide: number): BorderClass[] {
    const products = { height: g.outH, width: g.outW, channels: wide };
    const target = { height: g.height, width: g.width, channels: 1 };
    return this.classTables.get(`sums ${geometryKey(g, 1)}`, () => this.words(), () => {
      const classes = borderClasses(1, target, gradientClasses(rowAxis(g)), gradientClasses(columnAxis(g)));
      const words = classes.reduce((sum, c) => sum + 2 * c.pixels + c.depth, 0);
      // P[o + delta, tap]: tap (r, c)'s product lies at its place in the filter [Fh, Fw]
      const step = (r: AxisTap, c: AxisTap) => ((r.delta * g.outW + c.delta) * wide + r.tap * g.filterW + c.tap) * 4;
      return { words, write: (heap, at) => writeTables(heap, at, 1, products, target, classes, 1, step) };
    });
  }
}

