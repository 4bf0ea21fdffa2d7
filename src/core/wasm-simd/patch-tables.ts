/**
 * A convolution's patch matrix read in place from the image, for gemmTable (kernels.ts):
 *   patch[pixel, tap] = padded[base(pixel) + offset(tap)]
 * where `padded` is the input with its zero border written out (or the input itself when the
 * windows never leave it), base(pixel) the byte offset of the pixel's window's top-left corner
 * and offset(tap) that of tap (ky, kx, c) within a window. The forward pass multiplies by the
 * patch matrix (rows: pixels, steps: taps) and the filter gradient by its transpose (the
 * tables swapped), with no copy of the patches (im2col): each input value is read where it
 * lies, a window's taps in runs of filterW * channels.
 *
 * Measured on the 2-core Xeon against im2col and the same product, one process
 * (`npm run bench:convolutions`): the energy model's first layer (one channel, 3x3, stride 2)
 * 0.30 -> 0.11 ms, conv-ae's first 1.75 -> 0.87 ms, wider layers 3-12% faster, the same
 * numbers to the bit (the same products in the same order).
 */
import type { ConvolutionGeometry } from './convolution';
import { HeapKernels, KeptFilters, type WasmBackend } from './heap';

/** The tables' byte addresses: pixels (one entry per output pixel) and taps (one per filter entry). */
export interface PatchTables {
  pixels: number;
  taps: number;
}

/** Distinct geometries whose tables are kept (one model's layers, and its sampler's batch sizes). */
const KEPT = 48;

/** The padded input's size: rows and columns the windows reach (from -padTop and -padLeft). */
export function paddedSize(g: ConvolutionGeometry): { height: number; width: number; needed: boolean } {
  const height = (g.outH - 1) * g.strideH + g.filterH;
  const width = (g.outW - 1) * g.strideW + g.filterW;
  // a window that starts above or left of the image, or ends below or right of it, reads padding
  const needed = g.padTop > 0 || g.padLeft > 0 || height > g.height || width > g.width;
  return needed ? { height, width, needed } : { height: g.height, width: g.width, needed };
}

/**
 * Tables of 32-bit words made once per key (a geometry), on the heap (malloc'd), the least
 * recently used freed past KEPT: the patch tables below, the border classes' (strided.ts) and
 * the phases' plans (strided-winograd.ts).
 */
export class KeptTables<T> {
  private readonly kept = new Map<string, { at: number; tables: T }>();
  constructor(private readonly backend: WasmBackend) {}

  /**
   * The tables kept for `key`, or else those `plan` lays out: `words` 32-bit words, which
   * `write` fills at the address it is given (a view of the heap, and that address in bytes).
   */
  get(key: string, heap: () => Int32Array, plan: () => { words: number; write: (heap: Int32Array, at: number) => T }): T {
    const found = this.kept.get(key);
    if (found) {
      // most recently used last
      this.kept.delete(key);
      this.kept.set(key, found);
      return found.tables;
    }
    const { words, write } = plan();
    const at = this.backend.wasm._malloc(Math.max(1, words) * 4) >>> 0;
    if (!at) throw new Error(`WASM kernels: no memory for a convolution's ${words} table entries`);
    const tables = write(heap(), at);
    this.kept.set(key, { at, tables });
    if (this.kept.size > KEPT) {
      const [oldest, evicted] = this.kept.entries().next().value as [string, { at: number }];
      this.kept.delete(oldest);
      this.backend.wasm._free(evicted.at);
    }
    return tables;
  }
}

/** Keys of geometries seen, by object: shapeOf (register.ts) gives one object per convolution's shapes, asked again at every call. */
const keys = new WeakMap<ConvolutionGeometry, string>();

/** A geometry as a string, with another batch size if given. */
export function geometryKey(g: ConvolutionGeometry, batch = g.batch): string {
  let rest = keys.get(g);
  if (rest === undefined) {
    rest = [g.height, g.width, g.inChannels, g.outH, g.outW, g.outChannels, g.filterH, g.filterW, g.strideH, g.strideW, g.padTop, g.padLeft].join(',');
    keys.set(g, rest);
  }
  return `${batch},${rest}`;
}

/** Patch tables per geometry (KeptTables). */
export class PatchTableCache {
  private readonly kept: KeptTables<PatchTables>;
  constructor(backend: WasmBackend) {
    this.kept = new KeptTables(backend);
  }

  tablesFor(g: ConvolutionGeometry, heap: () => Int32Array): PatchTables {
    const { height, width } = paddedSize(g);
    const key = [g.batch, g.outH, g.outW, g.inChannels, g.filterH, g.filterW, g.strideH, g.strideW, height, width].join(',');
    const pixels = g.batch * g.outH * g.outW;
    const taps = g.filterH * g.filterW * g.inChannels;
    return this.kept.get(key, heap, () => ({ words: pixels + taps, write: (words, at) => {
      const channels = g.inChannels;
      let entry = at / 4;
      // base(b, oy, ox): the window's corner in the padded input [batch, height, width, channels]
      for (let b = 0; b < g.batch; b++) for (let oy = 0; oy < g.outH; oy++) for (let ox = 0; ox < g.outW; ox++) {
        words[entry++] = ((b * height + oy * g.strideH) * width + ox * g.strideW) * channels * 4;
      }
      // offset(ky, kx, c), in the filter's order [filterH, filterW, channels]
      for (let ky = 0; ky < g.filterH; ky++) for (let kx = 0; kx < g.filterW; kx++) for (let c = 0; c < channels; c++) {
        words[entry++] = ((ky * width + kx) * channels + c) * 4;
      }
      return { pixels: at, taps: at + pixels * 4 };
    } }));
  }
}

/** What every convolution pass that reads patches in place needs: the tables, and the image padded with its zero border. */
export class PatchedConvolutions extends HeapKernels {
  /** Patch offsets per geometry. */
  protected readonly tables = new PatchTableCache(this.backend);
  /** Filters in the layouts the passes read them in (W^T, turned blocks), per filter. */
  protected readonly keptFilters = new KeptFilters();

  /**
   * x [B, H, W, C] into `image` [B, height, width, C] at (padTop, padLeft), zeros around: the
   * rows and columns windows reach. A negative padTop (the lower rows of a tall filter, taken
   * apart: winograd.ts) starts the windows below x's first rows, which are left out.
   */
  protected padImage(xAt: number, image: number, g: ConvolutionGeometry, height: number, width: number): void {
    const channels = g.inChannels;
    const [top, skipped] = [Math.max(0, g.padTop), Math.max(0, -g.padTop)];
    const [rows, columns] = [Math.min(g.height - skipped, height - top), Math.min(g.width, width - g.padLeft)];
    const floats = g.batch * height * width * channels;
    if (rows <= 0) return this.zero(image, floats);
    // each image's rows with the border columns between them (padRuns), then what lies before, between and after them zeroed
    const rowBytes = width * channels * 4;
    let zeroFrom = image;
    for (let b = 0; b < g.batch; b++) {
      const first = image + (b * height + top) * rowBytes + g.padLeft * channels * 4;
      this.zero(zeroFrom, (first - zeroFrom) / 4);
      this.kernels.padRuns(xAt + (b * g.height + skipped) * g.width * channels * 4, g.width * channels * 4, first, rowBytes, rows, columns * channels * 4);
      zeroFrom = first + (rows - 1) * rowBytes + columns * channels * 4;
    }
    this.zero(zeroFrom, image / 4 + floats - zeroFrom / 4);
  }

  /**
   * The image the patches are read from in place (x itself, or x with its zero border written
   * out, in scratch) and the offsets that address them (above). The image's address
   * is valid until the next pass takes `scratch`.
   */
  protected patchesInPlace(xAt: number, g: ConvolutionGeometry): [number, PatchTables] {
    const { height, width, needed } = paddedSize(g);
    const channels = g.inChannels;
    const [image] = needed ? this.scratch.regions([g.batch * height * width * channels * 4]) : [xAt];
    // after the allocations above, which may grow the heap
    const tables = this.tables.tablesFor(g, () => this.words());
    if (needed) this.padImage(xAt, image, g, height, width);
    return [image, tables];
  }
}
