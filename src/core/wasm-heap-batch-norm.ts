/**
 * TF.js's FusedBatchNorm (batch normalisation with its statistics given: the GAN's generator
 * runs it four times a step) on the WASM backend's heap, four numbers at a time
 * (wasm-simd/elementwise-kernels.ts, `batchNormalize`). tfjs-backend-wasm 4.22 takes 4 ns a
 * number, a division and four index wraps each: 0.8 and 1.6 ms for the generator's two
 * layers at batch 64 ([64, 3136] and [64, 14, 14, 32]). The same float32 and float64
 * operations in its order, so the same bits (tests/unit/wasm-heap-batch-norm.test.ts). Where
 * the last axis is not in fours or a statistic is neither one number nor one per channel,
 * TF.js's kernel runs.
 */
import * as tf from '@tensorflow/tfjs';
import { kernelsOn, scratchOn } from './wasm-simd/heap';
import { replaceWasmKernel, type WasmBackend } from './wasm-heap-views';

const STATISTICS = ['mean', 'scale', 'offset', 'variance'] as const;

let ours = true;

/** Turns our kernel off (TF.js's runs) or on, for measuring one against the other (`npm run bench:switches`). */
export function useBatchNormKernel(on: boolean): void {
  ours = on;
}

/** Call after the WASM backend is set; harmless to call twice. */
export function registerBatchNormKernel(): void {
  replaceWasmKernel('FusedBatchNorm', (original) => (args) => {
    const backend = args.backend as unknown as WasmBackend;
    const x = args.inputs.x as tf.TensorInfo;
    const channels = x.shape[x.shape.length - 1] ?? 0;
    const given = STATISTICS.map((name) => args.inputs[name] as tf.TensorInfo | undefined);
    const kernels = kernelsOn(backend);
    // each statistic one number or one per channel: tfjs-backend-wasm's index wraps at its length, so then it is the channel's
    const fits = ours && kernels && x.dtype === 'float32' && channels > 0 && channels % 4 === 0
      && given.every((info) => !info || (info.dtype === 'float32' && [1, channels].includes(tf.util.sizeFromShape(info.shape))));
    if (!fits) return original.kernelFunc(args) as tf.TensorInfo;
    const epsilon = Math.fround((args.attrs as { varianceEpsilon: number }).varianceEpsilon);
    const out = backend.makeOutput(x.shape, 'float32');
    // mean, scale, offset and sqrt(variance + epsilon) per channel, in scratch (allocated before the views: it may grow the heap)
    const [perChannel] = scratchOn(backend).regions([4 * channels * 4]);
    const [mean, scale, offset, variance] = given.map((info) => (info ? (backend.typedArrayFromHeap(info) as Float32Array) : null));
    const heap = new Float32Array((backend.typedArrayFromHeap(out) as Float32Array).buffer);
    const [meanAt, scaleAt, offsetAt, factorAt] = [0, 1, 2, 3].map((i) => perChannel / 4 + i * channels);
    /** A statistic's values per channel at `at` (floats): its own, its only one repeated, or `absent`. */
    const place = (array: Float32Array | null, at: number, absent: number) => {
      if (array && array.length === channels) heap.set(array, at);
      else heap.fill(array ? array[0] : absent, at, at + channels);
    };
    place(mean, meanAt, 0);
    place(scale, scaleAt, 1);
    place(offset, offsetAt, 0);
    place(variance, factorAt, 0);
    // sqrt(variance + epsilon): the sum rounded to float32, its root correctly rounded (as tfjs-backend-wasm's sqrt)
    for (let i = factorAt; i < factorAt + channels; i++) heap[i] = Math.sqrt(Math.fround(heap[i] + epsilon));
    const at = (info: tf.TensorInfo) => backend.typedArrayFromHeap(info).byteOffset;
    const rows = tf.util.sizeFromShape(x.shape) / channels;
    kernels.batchNormalize(at(x), at(out), rows, channels, meanAt * 4, scaleAt * 4, offsetAt * 4, factorAt * 4);
    return out;
  });
}
