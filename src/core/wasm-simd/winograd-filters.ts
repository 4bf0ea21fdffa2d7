/**
 * The filter side of ./winograd.ts's transforms, in float32 JavaScript (a filter is small
 * beside the images): F(2, 3)'s and F(2, 2)'s filter transforms and their transposes, which
 * turn the transformed products' sums back into a filter gradient; and F(4, 3)'s and F(4, 5)'s
 * G (along the columns only), whose sums ./winograd-quad-kernels.ts takes in WebAssembly.
 * Along the rows each "row" is a filter row [Fw, Ci, Co]; along the columns it is a tap [Ci, Co].
 */
import type { QuadTaps } from './winograd-quad-kernels';

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

/**
 * G of F(4, 3) and F(4, 5) (./winograd-quad-kernels.ts): a filter row's three or five taps
 * into six or eight planes, at the points 0, 1, -1, 2, -2 (and 1/2, -1/2) and infinity, each
 * row scaled as B^T's is the other way: against the integer rows B^T had before 2026-12-02,
 * F(4, 3)'s V1 and V2 are a quarter, F(4, 5)'s V0 and V7 a quarter, V1 and V2 minus a
 * quarter, and V6 negated, so that each takes fewer instructions; their U_i are four times,
 * minus four times, and minus.
 */
export const QUAD_G: Record<QuadTaps, number[][]> = {
  3: [
    [1 / 4, 0, 0],
    [1, 1, 1].map((value) => (4 * value) / 6),
    [1, -1, 1].map((value) => (4 * value) / 6),
    [1, 2, 4].map((value) => value / 24),
    [1, -2, 4].map((value) => value / 24),
    [0, 0, 1],
  ],
  5: [
    [1, 0, 0, 0, 0],
    [1, 1, 1, 1, 1].map((value) => (-4 * value) / 18),
    [1, -1, 1, -1, 1].map((value) => (-4 * value) / 18),
    [1, 2, 4, 8, 16].map((value) => value / 360),
    [1, -2, 4, -8, 16].map((value) => value / 360),
    [16, 8, 4, 2, 1].map((value) => value / 45),
    [16, -8, 4, -2, 1].map((value) => -value / 45),
    [0, 0, 0, 0, 1],
  ],
};
