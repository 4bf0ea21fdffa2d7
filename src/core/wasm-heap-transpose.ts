/** Transpose on the WASM heap, in cache-sized tiles (see wasm-heap-kernels.ts for why). */
import * as tf from '@tensorflow/tfjs';
import { isWordSized, wordsOf, type WasmBackend } from './wasm-heap-views';

/**
 * The shape and permutation with neighbouring axes that stay neighbours merged, and axes
 * of size 1 dropped: [64, 30, 30, 32] by [3, 1, 2, 0] is [64, 900, 32] by [2, 1, 0].
 */
export function collapseTranspose(shape: readonly number[], perm: readonly number[]): { shape: number[]; perm: number[] } {
  const kept = perm.filter((axis) => shape[axis] !== 1);
  // Runs of output axes that are consecutive input axes become one axis.
  const groups: number[][] = [];
  for (const axis of kept) {
    const last = groups.at(-1);
    if (last && last[last.length - 1] === axis - 1) last.push(axis);
    else groups.push([axis]);
  }
  // Input order of the groups gives the collapsed input shape; output order gives the permutation.
  const byInput = [...groups].sort((a, b) => a[0] - b[0]);
  return {
    shape: byInput.map((group) => group.reduce((size, axis) => size * shape[axis], 1)),
    perm: groups.map((group) => byInput.indexOf(group)),
  };
}

/** Rows of a transpose's tile: 64 rows of a few dozen values stay in the first-level cache. */
const TILE = 64;

/**
 * Transpose of up to 4 axes (after collapsing) that moves the last axis. The two innermost loops run over a tile:
 * the input's last axis (read in order) and the input axis that becomes the output's last
 * (written in order), so both sides stay in cache; the other axes are walked outside. A
 * 64 x 32 tile of the filter gradient's transpose is 8 KB each way.
 */
export function fastTranspose(original: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { perm } = args.attrs as unknown as { perm: number[] };
    const collapsed = collapseTranspose(x.shape, perm);
    // When the last axis stays last, TF.js's kernel copies runs as fast as we would.
    const lastStaysLast = collapsed.perm[collapsed.perm.length - 1] === collapsed.shape.length - 1;
    if (!isWordSized(x.dtype) || collapsed.shape.length < 2 || collapsed.shape.length > 4 || lastStaysLast) return original.kernelFunc(args);
    const backend = args.backend as unknown as WasmBackend;
    const out = backend.makeOutput(perm.map((axis) => x.shape[axis]), x.dtype);
    const source = wordsOf(backend, x);
    const target = wordsOf(backend, out);
    const { shape } = collapsed;
    const rank = shape.length;
    const inStrides = [...tf.util.computeStrides(shape), 1];
    const outStrides = [...tf.util.computeStrides(collapsed.perm.map((axis) => shape[axis])), 1];
    // per input axis, its stride in the output
    const outStrideOf = new Array<number>(rank);
    collapsed.perm.forEach((inputAxis, outputAxis) => (outStrideOf[inputAxis] = outStrides[outputAxis]));
    const last = rank - 1;
    // the input axis that is the output's last
    const across = collapsed.perm[last];
    const outer = [...Array(rank).keys()].filter((axis) => axis !== last && axis !== across);
    // outer axes padded to three
    const [a, b, c] = [...outer, -1, -1, -1];
    const size = (axis: number) => (axis < 0 ? 1 : shape[axis]);
    const inStride = (axis: number) => (axis < 0 ? 0 : inStrides[axis]);
    const outStride = (axis: number) => (axis < 0 ? 0 : outStrideOf[axis]);
    const columns = shape[last];
    const rows = shape[across];
    const inRow = inStrides[across];
    const outColumn = outStrideOf[last];
    for (let i = 0; i < size(a); i++) {
      for (let j = 0; j < size(b); j++) {
        for (let k = 0; k < size(c); k++) {
          const inBase = i * inStride(a) + j * inStride(b) + k * inStride(c);
          const outBase = i * outStride(a) + j * outStride(b) + k * outStride(c);
          // a tile of TILE rows at a time: reads in order along each row, writes in order down each column
          for (let first = 0; first < rows; first += TILE) {
            const end = Math.min(first + TILE, rows);
            for (let column = 0; column < columns; column++) {
              const to = outBase + column * outColumn;
              for (let row = first; row < end; row++) target[to + row] = source[inBase + row * inRow + column];
            }
          }
        }
      }
    }
    return out;
  };
}

