/**
 * PixelCNN++'s logistic mixture over all 256 values as one kernel of ours on the WASM
 * backend's heap (wasm-simd/mixture-kernel.ts), for models/autoregressive/logistic-mixture.ts:
 * the sampler asks for it at every value it draws, and TF.js's ops took about thirty
 * kernels a call, most of them broadcasts, which tfjs-backend-wasm takes a number at a time.
 * Forwards only: the mixture's gradient stays logistic-mixture.ts's own, by TF.js's ops.
 */
import * as tf from '@tensorflow/tfjs';
import { mixtureScratchFloats } from './wasm-simd/mixture-kernel';
import { scratchOn } from './wasm-simd/heap';
import { ourHeap, registerWasmKernel, runsOnWasmHeap } from './wasm-heap-views';

/**
 * Our kernel's name: inputs means, inverses (1/s), edgeWeights (log pi) and binWeights (log pi
 * + log(-expm1(-2/(255 s)))), each [N, K] float32; output log P(v) [N, 256].
 */
export const MIXTURE_BINS = 'GpMixtureBins';

/** Does the current backend run MIXTURE_BINS (WASM, with our kernels on its heap)? */
export const hasMixtureBins = (): boolean => runsOnWasmHeap(MIXTURE_BINS);

/** The 255 edges between the bins, (2j + 1)/255 - 1, and a 256th (its bin unused), as float32. */
const EDGES = Float32Array.from({ length: 256 }, (_, j) => Math.min(j, 254) * (2 / 255) + (1 / 255 - 1));

function mixtureBinsOnHeap({ inputs, backend: anyBackend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const { means, inverses, edgeWeights, binWeights } = inputs as Record<'means' | 'inverses' | 'edgeWeights' | 'binWeights', tf.TensorInfo>;
  const { backend, kernels, at } = ourHeap(MIXTURE_BINS, 'hasMixtureBins()', anyBackend);
  const [rows, components] = means.shape;
  for (const input of [inverses, edgeWeights, binWeights]) {
    if (input.shape[0] !== rows || input.shape[1] !== components) throw new Error(`${MIXTURE_BINS}: [${input.shape}] does not match the means' [${means.shape}]`);
  }
  // the output first, then scratch: either may grow the heap, and addresses are taken after both
  const out = backend.makeOutput([rows, 256], 'float32');
  const [edges, scratch] = scratchOn(backend).regions([4 * EDGES.length, 4 * mixtureScratchFloats(components)]);
  const heap = backend.typedArrayFromHeap(out) as Float32Array;
  new Float32Array(heap.buffer, edges, EDGES.length).set(EDGES);
  kernels.mixtureBins(at(means), at(inverses), at(edgeWeights), at(binWeights), edges, scratch, at(out), rows, components);
  return out;
}

/**
 * log P(v) for all 256 values of each of N mixtures [N, K] -> [N, 256] (logistic-mixture.ts's
 * allBins), by our kernel: the per-component numbers by TF.js's ops on [N, K], the rest in one call.
 */
export function mixtureBins(logWeights: tf.Tensor2D, means: tf.Tensor2D, logScales: tf.Tensor2D, halfBin: number): tf.Tensor2D {
  return tf.tidy(() => {
    const inverses = logScales.neg().exp();
    // log pi + log(-expm1(-2/(255 s))): the interior bins' weight and width
    const binWeights = logWeights.add(tf.expm1(inverses.mul(-2 * halfBin)).neg().log());
    return tf.engine().runKernel(MIXTURE_BINS, { means, inverses, edgeWeights: logWeights, binWeights }) as tf.Tensor2D;
  });
}

/** Call after the WASM backend is set; harmless to call twice. */
export function registerMixtureBins(): void {
  registerWasmKernel(MIXTURE_BINS, mixtureBinsOnHeap);
}
