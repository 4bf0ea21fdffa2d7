/**
 * A stride-1 convolution with a filter three rows high by Winograd's F(2, 3) along the rows
 * (./winograd-kernels.ts has the transforms): two output rows from four transformed input
 * rows, each a one-row convolution by a transformed filter row, so 4 row products where the
 * direct convolution takes 6: two thirds of the multiply-adds. conv-ae's 3x3 layers are such
 * convolutions, forward and (their input gradient being a forward pass by the turned filter)
 * backward. A PixelCNN's masked 5x5 convolutions, cut at their centre row, are three rows high
 * too, but their centre row may not be combined with the others (`loneRow`, below): it is
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
 */
import type { ConvolutionGeometry } from './convolution';

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
  const combinable = enabled && !g.exactRows && g.strideH === 1 && g.strideW === 1 && g.inChannels % 4 === 0 && g.outChannels % 4 === 0 && g.outH >= 2;
  if (!combinable) return null;
  const lone = pass === 'forward' && g.loneRow !== undefined;
  if (g.filterH === 3) return lone ? 'pair' : 'three';
  return g.filterH === 2 && !lone ? 'pair' : null;
}

/** The sizes of the pass: tiles of two output rows per image, and the padded image's rows (two per tile, two more) and columns. */
export function winogradPlan(g: ConvolutionGeometry) {
  const tiles = Math.ceil(g.outH / 2);
  return { tiles, height: 2 * tiles + 2, width: g.outW - 1 + g.filterW };
}

/** The one-row convolution over a transformed image V [tiles, 1, width, channels]: its geometry, for the patch tables. */
export function rowGeometry(g: ConvolutionGeometry): ConvolutionGeometry {
  const { tiles, width } = winogradPlan(g);
  return { ...g, batch: tiles, height: 1, width, outH: 1, filterH: 1, padTop: 0, padLeft: 0 };
}

/**
 * U_0..U_3 from W [3, Fw, Ci, Co], each [1, Fw, Ci, Co], one after the other at `to` (float
 * indices into `heap`, as is `from`), in float32 arithmetic:
 *   U0 = g0, U1 = ((g0 + g1) + g2) / 2, U2 = ((g0 - g1) + g2) / 2, U3 = g2.
 */
export function transformFilter(heap: Float32Array, from: number, rowSize: number, to: number): void {
  const f = Math.fround;
  for (let i = 0; i < rowSize; i++) {
    const [g0, g1, g2] = [heap[from + i], heap[from + rowSize + i], heap[from + 2 * rowSize + i]];
    heap[to + i] = g0;
    heap[to + rowSize + i] = f(f(f(g0 + g1) + g2) * 0.5);
    heap[to + 2 * rowSize + i] = f(f(f(g0 - g1) + g2) * 0.5);
    heap[to + 3 * rowSize + i] = g2;
  }
}

/**
 * dW's three rows from the sums P_0..P_3 (each [Fw, Ci, Co], one after the other at `from`)
 * into `to` (float indices into `heap`): the transpose of transformFilter, in float32,
 *   dW0 = P0 + (P1 + P2) / 2,  dW1 = (P1 - P2) / 2,  dW2 = (P1 + P2) / 2 - P3
 * (P3 summed with E3 = e1, where the transpose of the output transform has -e1).
 */
export function filterGradientRows(heap: Float32Array, from: number, rowSize: number, to: number): void {
  const f = Math.fround;
  for (let i = 0; i < rowSize; i++) {
    const [p0, p1, p2, p3] = [heap[from + i], heap[from + rowSize + i], heap[from + 2 * rowSize + i], heap[from + 3 * rowSize + i]];
    const half = f(f(p1 + p2) * 0.5);
    heap[to + i] = f(p0 + half);
    heap[to + rowSize + i] = f(f(p1 - p2) * 0.5);
    heap[to + 2 * rowSize + i] = f(half - p3);
  }
}

/** dW's two rows from F(2, 2)'s sums P_0..P_2 (each [Fw, Ci, Co] at `from`) into `to`: dW0 = P0 + P1, dW1 = P1 + P2 (the transpose of transformPairFilter). */
export function pairFilterGradientRows(heap: Float32Array, from: number, rowSize: number, to: number): void {
  for (let i = 0; i < rowSize; i++) {
    const p1 = heap[from + rowSize + i];
    heap[to + i] = Math.fround(heap[from + i] + p1);
    heap[to + rowSize + i] = Math.fround(p1 + heap[from + 2 * rowSize + i]);
  }
}

/**
 * U_0..U_2 of F(2, 2) from two filter rows g0, g1 (each [1, Fw, Ci, Co], from `from` on), one
 * after the other at `to` (float indices into `heap`): U0 = g0, U1 = g0 + g1, U2 = g1.
 */
export function transformPairFilter(heap: Float32Array, from: number, rowSize: number, to: number): void {
  for (let i = 0; i < rowSize; i++) {
    const [g0, g1] = [heap[from + i], heap[from + rowSize + i]];
    heap[to + i] = g0;
    heap[to + rowSize + i] = Math.fround(g0 + g1);
    heap[to + 2 * rowSize + i] = g1;
  }
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
