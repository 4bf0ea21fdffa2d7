/**
 * Each pixel of a row beside its neighbours, for several maps at once, as one kernel of ours
 * each way on the WASM backend's heap: the Row LSTM's input (models/autoregressive/row-lstm.ts).
 *
 *   out[b * W + w] = [x_1(b, w - l_1 .. w + r_1), x_2(b, w - l_2 .. w + r_2), ...]
 *
 * each x_k [B, W, F_k], zeros beyond the row's ends: [B * W, sum_k (l_k + 1 + r_k) F_k].
 * TF.js's ops take a pad, a slice per neighbour and a concatenation for each map, then a
 * concatenation of the maps; back, a pad per slice, the sums of those and a split: about
 * twenty kernels for every row of every layer, each a call with its bookkeeping on a few
 * hundred pixels. Ours copies each neighbour's F values where they go, and back adds them up.
 */
import * as tf from '@tensorflow/tfjs';
import { fillOnHeap, ourHeap, registerWasmKernel, runsOnWasmHeap } from './wasm-heap-views';

/** Our kernel's name: inputs x0, x1, ... [B, W, F_k] (float32); attribute reaches: [l_k, r_k] per input. */
export const ROW_NEIGHBOURS = 'GpRowNeighbours';
/** Our kernel's name: input dy [B * W, sum_k (l_k + 1 + r_k) F_k]; attributes reaches and the inputs' shapes; outputs dx_k. */
export const ROW_NEIGHBOURS_GRADIENT = 'GpRowNeighboursGradient';

/** A map and how many columns to its left and right each pixel reads. */
export interface RowReach {
  x: tf.Tensor3D;
  left: number;
  right: number;
}

type Args = { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: unknown };

/** Does the current backend run ROW_NEIGHBOURS (WASM)? */
export const hasRowNeighbours = (): boolean => runsOnWasmHeap(ROW_NEIGHBOURS);

/** The inputs x0, x1, ... of a kernel call, in order. */
const inputsInOrder = (inputs: tf.NamedTensorInfoMap, count: number) => Array.from({ length: count }, (_, k) => inputs[`x${k}`] as tf.TensorInfo);

/** Offsets within an output row: where input k's block starts, and the row's width. */
function layout(shapes: number[][], reaches: number[][]): { starts: number[]; rowWidth: number } {
  const starts: number[] = [];
  let rowWidth = 0;
  shapes.forEach((shape, k) => {
    starts.push(rowWidth);
    rowWidth += (reaches[k][0] + 1 + reaches[k][1]) * shape[2];
  });
  return { starts, rowWidth };
}

/**
 * The runs of neighbour d of input k in image b: the pixels w in [first, last) whose
 * neighbour column c = w - l_k + d lies within the row. Their F_k values are one run in x_k
 * (from float `from`, consecutive pixels F_k apart) and a block of each joined row (from float
 * `to`, rowWidth apart).
 */
function eachRun(shapes: number[][], reaches: number[][], visit: (k: number, from: number, to: number, pixels: number, features: number, rowWidth: number) => void): void {
  const { starts, rowWidth } = layout(shapes, reaches);
  const [batch, width] = shapes[0];
  shapes.forEach(([, , features], k) => {
    const [left, right] = reaches[k];
    for (let b = 0; b < batch; b++) {
      for (let d = 0; d <= left + right; d++) {
        const [first, last] = [Math.max(0, left - d), Math.min(width, width + left - d)];
        if (first < last) visit(k, (b * width + first - left + d) * features, (b * width + first) * rowWidth + starts[k] + d * features, last - first, features, rowWidth);
      }
    }
  });
}

function joinOnHeap({ inputs, attrs, backend: anyBackend }: Args): tf.TensorInfo {
  const { backend, kernels, at } = ourHeap(ROW_NEIGHBOURS, 'hasRowNeighbours()', anyBackend);
  const reaches = attrs.reaches as number[][];
  const xs = inputsInOrder(inputs, reaches.length);
  const shapes = xs.map((x) => x.shape);
  const [batch, width] = shapes[0];
  // the output first (zeros where a neighbour lies beyond the row): making it may grow the heap
  const out = backend.makeOutput([batch * width, layout(shapes, reaches).rowWidth], 'float32');
  fillOnHeap(backend, out, 0);
  const [target, sources] = [at(out), xs.map(at)];
  // each run of pixels in one call of our copy: F_k floats a pixel, from consecutive pixels to rows rowWidth apart
  eachRun(shapes, reaches, (k, from, to, pixels, features, rowWidth) => kernels.copyRuns(sources[k] + 4 * from, 4 * features, target + 4 * to, 4 * rowWidth, pixels, 4 * features));
  return out;
}

function joinGradientOnHeap({ inputs, attrs, backend: anyBackend }: Args): tf.TensorInfo[] {
  const { backend, kernels, at } = ourHeap(ROW_NEIGHBOURS_GRADIENT, 'hasRowNeighbours()', anyBackend);
  const reaches = attrs.reaches as number[][];
  const shapes = attrs.shapes as number[][];
  const outs = shapes.map((shape) => backend.makeOutput(shape, 'float32'));
  outs.forEach((out) => fillOnHeap(backend, out, 0));
  const [source, targets] = [at(inputs.dy as tf.TensorInfo), outs.map(at)];
  // dx_k(b, c) = sum over the neighbours d of the block of pixel c + l_k - d that holds it, d in order
  eachRun(shapes, reaches, (k, from, to, pixels, features, rowWidth) => kernels.addRuns(source + 4 * to, 4 * rowWidth, targets[k] + 4 * from, 4 * features, pixels, 4 * features));
  return outs;
}

/** rowNeighbours on WASM: one kernel each way. */
function onHeap(maps: RowReach[]): tf.Tensor2D {
  const [batch, width] = maps[0].x.shape;
  if (maps.some(({ x }) => x.shape[0] !== batch || x.shape[1] !== width)) throw new Error(`rowNeighbours: maps of one batch and width, not ${maps.map(({ x }) => x.shape).join(' and ')}`);
  const reaches = maps.map(({ left, right }) => [left, right]);
  const shapes = maps.map(({ x }) => x.shape);
  const join = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xs = args.slice(0, maps.length) as tf.Tensor[];
    const value = tf.engine().runKernel(ROW_NEIGHBOURS, Object.fromEntries(xs.map((x, k) => [`x${k}`, x])), { reaches } as never) as tf.Tensor;
    return {
      value,
      gradFunc: (dy: tf.Tensor) => tf.engine().runKernel(ROW_NEIGHBOURS_GRADIENT, { dy }, { reaches, shapes } as never) as unknown as tf.Tensor[],
    };
  }) as (...xs: tf.Tensor[]) => tf.Tensor;
  return join(...maps.map(({ x }) => x)) as tf.Tensor2D;
}

/** The same by TF.js's ops: on other backends, and the reference for ours. */
export function rowNeighboursByOps(maps: RowReach[]): tf.Tensor2D {
  return tf.tidy(() => {
    const [batch, width] = maps[0].x.shape;
    const joined = maps.map(({ x, left, right }) => {
      const features = x.shape[2];
      if (left === 0 && right === 0) return x;
      const padded = x.pad([[0, 0], [left, right], [0, 0]]);
      return tf.concat(Array.from({ length: left + 1 + right }, (_, d) => padded.slice([0, d, 0], [batch, width, features])), 2);
    });
    // [B, W, sum_k (l_k + 1 + r_k) F_k] -> [B * W, ...]
    const all = (joined.length === 1 ? joined[0] : tf.concat(joined, 2)) as tf.Tensor3D;
    return all.reshape([batch * width, all.shape[2]]) as tf.Tensor2D;
  });
}

/**
 * Each pixel of a row beside its neighbours, for several maps [B, W, F_k] of one batch and
 * width: [B * W, sum_k (l_k + 1 + r_k) F_k], map k's block holding the pixels l_k to the left
 * through r_k to the right (zeros beyond the row's ends), so that a convolution of each along
 * the row is one product of matrices.
 */
export function rowNeighbours(maps: RowReach[]): tf.Tensor2D {
  return hasRowNeighbours() && maps.every(({ x }) => x.dtype === 'float32') ? onHeap(maps) : rowNeighboursByOps(maps);
}

/** Call after the WASM backend is set; harmless to call twice. */
export function registerRowNeighbours(): void {
  registerWasmKernel(ROW_NEIGHBOURS, joinOnHeap);
  registerWasmKernel(ROW_NEIGHBOURS_GRADIENT, joinGradientOnHeap);
}
