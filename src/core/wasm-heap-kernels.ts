/**
 * Data movement on the WASM backend, done in place on its heap (or not at all).
 *
 * tfjs-backend-wasm 4.22 moves data slowly where no arithmetic happens, and convolution
 * training is full of such moves (measured in a training step of the convolutional
 * autoencoder, batch 64; `npm run bench -- --profile`):
 * - Slice copies its whole input out of the heap (readSync) before cutting the slice out
 *   of the copy: a slice costs its input, not its output (10 ms to cut one pixel off the
 *   border of a [64, 28, 28, 32] map);
 * - Transpose walks a generic index loop (11 ms for [64, 30, 30, 32] -> [32, 30, 30, 64],
 *   the filter gradient's layout);
 * - Sum over leading axes (every bias gradient: dy [B, H, W, C] summed to [C]) transposes
 *   the input first so that the summed axes come last;
 * - Identity copies its input (60 copies of a [32, 28, 28, 32] map in a PixelCNN step);
 * - Tile walks every output index; SplitV and Unpack copy their whole input once per piece; Concat
 *   makes a subarray per run; nearest upsampling reads every output pixel's source; a pad
 *   walks every output index;
 * - GatherV2 walks every output value with strided index arithmetic: 1.35 ms for 64 rows of
 *   784 (the energy model's replay buffer) and as long for 25,088 single values (the logit
 *   of each pixel's value in PixelCNN's likelihood), 5 ms there within a step.
 * Ours read and write the heap's typed arrays directly: a slice copies runs of its trailing
 * axes, a transpose works through cache-sized tiles (7 ms for the same map), a sum over
 * leading axes adds rows in memory order, and an identity shares its input's buffer. Each
 * is tested against the backend's own kernel (tests/unit/wasm-heap-kernels.test.ts): copies
 * bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import { kernelsOn } from './wasm-simd/heap';
import { fastTranspose } from './wasm-heap-transpose';
import { fillOnHeap, isWordSized, replaceWasmKernel, wordsOf, type WasmBackend } from './wasm-heap-views';

/** Below this many values a copy loop beats TypedArray.set, which makes a subarray first. */
const SHORT_RUN = 64;

/** Copies `run` words from source[from] to target[to]: a loop for short runs, TypedArray.set for long. */
function copyRun(source: Int32Array, from: number, target: Int32Array, to: number, run: number): void {
  if (run < SHORT_RUN) for (let i = 0; i < run; i++) target[to + i] = source[from + i];
  else target.set(source.subarray(from, from + run), to);
}

/**
 * Copies `runs` runs of `run` words, `sourceStride` and `targetStride` words apart, from
 * source[from] to target[to]: in our WebAssembly (src/core/wasm-simd/kernels.ts, 4 words a
 * step) where the backend has it, else a run at a time in JavaScript.
 */
function copyRuns(backend: WasmBackend, source: Int32Array, from: number, sourceStride: number, target: Int32Array, to: number, targetStride: number, runs: number, run: number): void {
  const ours = kernelsOn(backend);
  if (ours) ours.copyRuns(source.byteOffset + from * 4, sourceStride * 4, target.byteOffset + to * 4, targetStride * 4, runs, run * 4);
  else for (let r = 0; r < runs; r++) copyRun(source, from + r * sourceStride, target, to + r * targetStride, run);
}

/** x[start : start + extent] of a word-sized tensor, read on the heap in place: the last axis is copied in runs, the other axes walked. */
function sliceOnHeap(backend: WasmBackend, x: tf.TensorInfo, fullStart: number[], fullExtent: number[]): tf.TensorInfo {
  // The output first: making it may grow the heap, and views taken before would go stale.
  const out = backend.makeOutput(fullExtent, x.dtype);
  if (tf.util.sizeFromShape(fullExtent) === 0) return out;
  const source = wordsOf(backend, x);
  const target = wordsOf(backend, out);
  // Axes of size 1 add nothing to the walk: without them a cut of [12544, 1, 3, 5] along its
  // third axis (PixelCNN++'s mixture parameters) is one copyRuns of 12,544 runs, not 12,544 calls.
  const kept = x.shape.map((_, axis) => axis).filter((axis) => x.shape[axis] !== 1);
  const shape = kept.map((axis) => x.shape[axis]);
  const [start, extent] = [kept.map((axis) => fullStart[axis]), kept.map((axis) => fullExtent[axis])];
  const strides = [...tf.util.computeStrides(shape), 1];
  // Trailing axes taken whole join the run copied at once: [0:32] of [64, 30, 30, 32] is one run.
  let innermost = shape.length - 1;
  while (innermost > 0 && extent[innermost] === shape[innermost]) innermost -= 1;
  const run = extent.slice(Math.max(innermost, 0)).reduce((n, e) => n * e, 1);
  const runStart = innermost >= 0 && innermost < shape.length ? start[innermost] * strides[innermost] : 0;
  let written = 0;
  const walk = (axis: number, offset: number): void => {
    if (axis >= innermost) {
      copyRun(source, offset + runStart, target, written, run);
      written += run;
    } else if (axis === innermost - 1) {
      // the runs along the axis just outside them, at once
      copyRuns(backend, source, offset + start[axis] * strides[axis] + runStart, strides[axis], target, written, run, extent[axis], run);
      written += extent[axis] * run;
    } else {
      for (let i = 0; i < extent[axis]; i++) walk(axis + 1, offset + (start[axis] + i) * strides[axis]);
    }
  };
  walk(0, 0);
  return out;
}

function fastSlice(original: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (!isWordSized(x.dtype)) return original.kernelFunc(args);
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
    const [start, extent] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, begin, size);
    return sliceOnHeap(args.backend as unknown as WasmBackend, x, start, extent);
  };
}

/**
 * SplitV (tf.split): TF.js's kernel calls its own Slice once per piece, which copies the
 * whole input out of the heap each time; ours slices each piece on the heap.
 */
function fastSplit(original: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (!isWordSized(x.dtype)) return original.kernelFunc(args);
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const along = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, numOrSizeSplits, along);
    const start = new Array<number>(x.shape.length).fill(0);
    return sizes.map((size) => {
      const extent = [...x.shape];
      extent[along] = size;
      const piece = sliceOnHeap(args.backend as unknown as WasmBackend, x, [...start], extent);
      start[along] += size;
      return piece;
    });
  };
}

/**
 * Unpack (tf.unstack, and the gradient of tf.stack): TF.js's kernel calls its own Slice once
 * per piece, so unstacking N pieces copies the whole input N times (PixelRNN's 28 rows:
 * 109 ms of a 1.1 s step in Node, 1.3 s of a 2.3 s step in Chromium, where the heap is
 * shared memory and the copy slower). Ours slices each piece on the heap.
 */
function fastUnpack(original: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.value as tf.TensorInfo;
    if (!isWordSized(x.dtype)) return original.kernelFunc(args);
    const along = tf.util.parseAxisParam((args.attrs as unknown as { axis: number }).axis, x.shape)[0];
    const pieceShape = x.shape.filter((_, axis) => axis !== along);
    const extent = [...x.shape];
    extent[along] = 1;
    return Array.from({ length: x.shape[along] }, (_, i) => {
      const start = x.shape.map((_, axis) => (axis === along ? i : 0));
      const { dataId, dtype } = sliceOnHeap(args.backend as unknown as WasmBackend, x, start, extent);
      // [.., 1, ..] -> [.., ..]: the same values, the axis dropped
      return { dataId, dtype, shape: pieceShape };
    });
  };
}

/**
 * Concat: TF.js's kernel copies each input's run per index of the leading axes with
 * TypedArray.set, which makes a subarray first: along channels that is a call per pixel
 * (88 concatenations took 93 ms of a PixelCNN++ step). Ours copies each input's runs in one
 * call of copyRuns.
 */
function fastConcat(original: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const inputs = (args.inputs as unknown as tf.TensorInfo[]).filter((t) => tf.util.sizeFromShape(t.shape) > 0);
    if (inputs.length < 2 || !inputs.every((t) => isWordSized(t.dtype) && t.dtype === inputs[0].dtype)) return original.kernelFunc(args);
    const along = tf.util.parseAxisParam((args.attrs as unknown as { axis: number }).axis, inputs[0].shape)[0];
    const outShape = tf.backend_util.computeOutShape(inputs.map((t) => t.shape), along);
    const backend = args.backend as unknown as WasmBackend;
    const out = backend.makeOutput(outShape, inputs[0].dtype);
    const target = wordsOf(backend, out);
    // [outer, inner_i]: each input is `outer` runs of inner_i words, interleaved in the output
    const outer = tf.util.sizeFromShape(outShape.slice(0, along));
    const inners = inputs.map((t) => tf.util.sizeFromShape(t.shape.slice(along)));
    const total = inners.reduce((sum, n) => sum + n, 0);
    let offset = 0;
    inputs.forEach((input, i) => {
      const inner = inners[i];
      copyRuns(backend, wordsOf(backend, input), 0, inner, target, offset, total, outer, inner);
      offset += inner;
    });
    return out;
  };
}

/**
 * Sum of float32 values over leading axes [0, k), the bias gradient's reduction:
 *   total[c] = sum_n x[n, c]
 * read in memory order, each total a float32 added to row by row, in the order TF.js's
 * kernel adds (after its transpose), so the totals agree bit for bit. Mean (batch
 * normalisation's moments) is that total over the count, divided in float32 as TF.js's
 * kernel divides. Other reductions go to the original kernel.
 */
function fastLeadingReduction(mean: boolean): (original: tf.KernelConfig) => tf.KernelFunc {
  return (original) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((value, index) => value === index);
    if (x.dtype !== 'float32' || !leading) return original.kernelFunc(args);
    const backend = args.backend as unknown as WasmBackend;
    const kept = x.shape.slice(axes.length);
    const out = backend.makeOutput(keepDims ? [...axes.map(() => 1), ...kept] : kept, 'float32');
    const columns = tf.util.sizeFromShape(kept);
    const rows = tf.util.sizeFromShape(x.shape) / columns;
    const source = backend.typedArrayFromHeap(x) as Float32Array;
    // float32 totals, added row after row: each addition rounded as TF.js's kernel rounds it
    const totals = backend.typedArrayFromHeap(out) as Float32Array;
    const ours = kernelsOn(backend);
    if (ours) ours.sumRows(source.byteOffset, rows, columns, totals.byteOffset);
    else {
      totals.fill(0);
      for (let row = 0, at = 0; row < rows; row++) for (let column = 0; column < columns; column++) totals[column] += source[at++];
    }
    if (mean) for (let column = 0; column < columns; column++) totals[column] /= rows;
    return out;
  };
}

/**
 * Identity (tf.clone; the gradients of reshapes, casts to the same type and many others),
 * which tfjs-backend-wasm 4.22 copies: ours shares the data and counts one more owner, as
 * the CPU and WebGL backends and WASM's own Reshape do (no WASM kernel writes into its
 * inputs, so a shared buffer never changes under its other owner; the one of ours that may,
 * wasm-heap-overwrite.ts's, does so only when its input has no other owner).
 */
function sharedIdentity(original: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return original.kernelFunc(args);
    (args.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/**
 * Cast: TF.js's gradients of products cast each factor to float32 (tf.mul's gradient is
 * dy * cast(b, 'float32')), and tfjs-backend-wasm 4.22 copies even when the type does not
 * change, a whole activation each time. Ours shares the data then, as Identity does above.
 */
function sharedCast(original: tf.KernelConfig): tf.KernelFunc {
  const identity = sharedIdentity(original);
  return (args) => ((args.inputs.x as tf.TensorInfo).dtype === (args.attrs as { dtype: tf.DataType }).dtype ? identity(args) : original.kernelFunc(args));
}

/**
 * Tile (tf.tile, and broadcastTo in gradients: a [1, 1, 1, 32] batch-norm gradient tiled to
 * [64, 14, 14, 32] took 17 ms in TF.js's kernel, a walk over every output index). Ours writes
 * one copy of the input along each axis, innermost first, then repeats that block with
 * copyWithin: a handful of memory copies.
 */
function fastTile(original: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { reps } = args.attrs as unknown as { reps: number[] };
    // bool too (a byte each): the energy model's replay buffer broadcasts a bool mask
    if (!(isWordSized(x.dtype) || x.dtype === 'bool') || reps.length !== x.shape.length || x.shape.length === 0) return original.kernelFunc(args);
    const backend = args.backend as unknown as WasmBackend;
    const outShape = x.shape.map((size, axis) => size * reps[axis]);
    const out = backend.makeOutput(outShape, x.dtype);
    if (tf.util.sizeFromShape(outShape) === 0) return out;
    const source = x.dtype === 'bool' ? backend.typedArrayFromHeap(x) : wordsOf(backend, x);
    const target = x.dtype === 'bool' ? backend.typedArrayFromHeap(out) : wordsOf(backend, out);
    const rank = x.shape.length;
    const inStrides = [...tf.util.computeStrides(x.shape), 1];
    const outStrides = [...tf.util.computeStrides(outShape), 1];
    // writes out[outAt ...] for axes [axis, rank): x's extent along axis, then its repeats
    const fill = (axis: number, inAt: number, outAt: number): void => {
      const extent = x.shape[axis];
      if (axis === rank - 1) for (let i = 0; i < extent; i++) target[outAt + i] = source[inAt + i];
      else for (let i = 0; i < extent; i++) fill(axis + 1, inAt + i * inStrides[axis], outAt + i * outStrides[axis]);
      const block = extent * outStrides[axis];
      for (let r = 1; r < reps[axis]; r++) target.copyWithin(outAt + r * block, outAt, outAt + block);
    };
    fill(0, 0, 0);
    return out;
  };
}

/**
 * ResizeNearestNeighbor by a whole factor s (upsampling layers: no corner alignment, no
 * half-pixel centres), out[b, y, x, c] = in[b, floor(y/s), floor(x/s), c]: TF.js's kernel
 * reads every output pixel's source (3 ms for [64, 14, 14, 32] -> [64, 28, 28, 32]); ours
 * writes each output row once from the input row and repeats it s - 1 times. Other
 * resizes go to TF.js's kernel.
 */
function fastUpsample(original: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const images = args.inputs.images as tf.TensorInfo;
    const { alignCorners, halfPixelCenters, size } = args.attrs as unknown as { alignCorners: boolean; halfPixelCenters: boolean; size: [number, number] };
    const [batch, inH, inW, channels] = images.shape;
    const [scaleH, scaleW] = [size[0] / inH, size[1] / inW];
    // float32 only: TF.js's kernel gives float32 for int32 images too
    if (images.dtype !== 'float32' || alignCorners || halfPixelCenters || !Number.isInteger(scaleH) || !Number.isInteger(scaleW)) return original.kernelFunc(args);
    const backend = args.backend as unknown as WasmBackend;
    const out = backend.makeOutput([batch, size[0], size[1], channels], images.dtype);
    if (tf.util.sizeFromShape(out.shape) === 0) return out;
    const source = wordsOf(backend, images);
    const target = wordsOf(backend, out);
    const ours = kernelsOn(backend);
    // in our WebAssembly, one call: on a page's shared heap JavaScript's copyWithin is slow, and a call a row adds up
    if (ours) {
      ours.upsampleNearest(source.byteOffset, target.byteOffset, batch * inH, inW, channels * 4, scaleH, scaleW);
      return out;
    }
    const rowWords = size[1] * channels;
    for (let row = 0; row < batch * inH; row++) {
      // output row row*s: each input pixel s times; then that row s - 1 more times
      const first = row * scaleH * rowWords;
      for (let r = 0; r < scaleW; r++) copyRuns(backend, source, row * inW * channels, channels, target, first + r * channels, scaleW * channels, inW, channels);
      for (let r = 1; r < scaleH; r++) target.copyWithin(first + r * rowWords, first, first + rowWords);
    }
    return out;
  };
}

/**
 * PadV2 with a constant (the shifted convolutions of PixelCNN++ pad every layer's input:
 * 200 pads, 35 ms of its step in TF.js's kernel): the output filled with the constant, then
 * the input's rows copied into its interior, the last two axes' runs in one call.
 */
function fastPad(original: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { paddings, constantValue } = args.attrs as unknown as { paddings: Array<[number, number]>; constantValue: number };
    const rank = x.shape.length;
    if (!isWordSized(x.dtype) || rank === 0 || tf.util.sizeFromShape(x.shape) === 0) return original.kernelFunc(args);
    const backend = args.backend as unknown as WasmBackend;
    const outShape = x.shape.map((size, axis) => paddings[axis][0] + size + paddings[axis][1]);
    const out = backend.makeOutput(outShape, x.dtype);
    fillOnHeap(backend, out, constantValue);
    const source = wordsOf(backend, x);
    const target = wordsOf(backend, out);
    const inStrides = [...tf.util.computeStrides(x.shape), 1];
    const outStrides = [...tf.util.computeStrides(outShape), 1];
    const last = rank - 1;
    const run = x.shape[last];
    const walk = (axis: number, inAt: number, outAt: number): void => {
      if (axis >= last - 1) {
        // the runs of the last axis along the axis before it (or the one run of a vector)
        const runs = rank > 1 ? x.shape[axis] : 1;
        const first = rank > 1 ? outAt + paddings[axis][0] * outStrides[axis] : outAt;
        copyRuns(backend, source, inAt, inStrides[axis], target, first + paddings[last][0], outStrides[axis], runs, run);
        return;
      }
      for (let i = 0; i < x.shape[axis]; i++) walk(axis + 1, inAt + i * inStrides[axis], outAt + (paddings[axis][0] + i) * outStrides[axis]);
    };
    walk(0, 0, 0);
    return out;
  };
}

/**
 * GatherV2 without batch axes, x[..., indices, ...] along `axis`: for each position before
 * the axis, each index's run of the trailing axes copied (a run of one value, a loop).
 * Indices out of range throw TF.js's own message.
 */
function fastGather(original: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = args.attrs as unknown as { axis: number; batchDims: number };
    if (!isWordSized(x.dtype) || indices.dtype !== 'int32' || batchDims !== 0 || x.shape.length === 0) return original.kernelFunc(args);
    const backend = args.backend as unknown as WasmBackend;
    const along = tf.util.parseAxisParam(axis, x.shape)[0];
    const size = x.shape[along];
    const outer = x.shape.slice(0, along).reduce((n, e) => n * e, 1);
    const run = x.shape.slice(along + 1).reduce((n, e) => n * e, 1);
    // [...x.shape before the axis, ...indices.shape, ...x.shape after it]
    const out = backend.makeOutput([...x.shape.slice(0, along), ...indices.shape, ...x.shape.slice(along + 1)], x.dtype);
    const picked = backend.typedArrayFromHeap(indices) as Int32Array;
    for (const index of picked) if (!(index >= 0 && index <= size - 1)) throw new Error(`GatherV2: the index value ${index} is not in [0, ${size - 1}]`);
    if (tf.util.sizeFromShape(out.shape) === 0) return out;
    const source = wordsOf(backend, x);
    const target = wordsOf(backend, out);
    const count = picked.length;
    for (let o = 0; o < outer; o++) {
      const [from, to] = [o * size * run, o * count * run];
      if (run === 1) for (let i = 0; i < count; i++) target[to + i] = source[from + picked[i]];
      else for (let i = 0; i < count; i++) copyRun(source, from + picked[i] * run, target, to + i * run, run);
    }
    return out;
  };
}

/** Call after the WASM backend is set; harmless to call twice. */
export function speedUpWasmDataMovement(): void {
  replaceWasmKernel('GatherV2', fastGather);
  replaceWasmKernel('PadV2', fastPad);
  replaceWasmKernel('ResizeNearestNeighbor', fastUpsample);
  replaceWasmKernel('Tile', fastTile);
  replaceWasmKernel('Identity', sharedIdentity);
  replaceWasmKernel('Cast', sharedCast);
  replaceWasmKernel('Slice', fastSlice);
  replaceWasmKernel('SplitV', fastSplit);
  replaceWasmKernel('Unpack', fastUnpack);
  replaceWasmKernel('Concat', fastConcat);
  replaceWasmKernel('Transpose', fastTranspose);
  replaceWasmKernel('Sum', fastLeadingReduction(false));
  replaceWasmKernel('Mean', fastLeadingReduction(true));
}
