/**
 * PixelCNN++'s logistic mixture over all 256 values as one kernel of ours on the WASM
 * backend's heap (wasm-simd/mixture-kernel.ts), for models/autoregressive/logistic-mixture.ts:
 * the sampler asks for it at every value it draws, and TF.js's ops took about thirty
 * kernels a call, most of them broadcasts, which tfjs-backend-wasm takes a number at a time.
 * Forwards only: the mixture's gradient stays logistic-mixture.ts's own, by TF.js's ops.
 *
 * And the training loss, log P(v) of each value under its mixture with its gradient
 * (wasm-simd/mixture-likelihood-kernel.ts), in place of logistic-mixture.ts's
 * mixtureLogProbability by TF.js's ops: about 200 kernel calls a batch part, most of them
 * broadcasts, 24 of a PixelCNN++ step's 300 ms on WASM.
 */
import * as tf from '@tensorflow/tfjs';
import { mixtureScratchFloats } from './wasm-simd/mixture-kernel';
import { mixtureLikelihoodScratchBytes } from './wasm-simd/mixture-likelihood-kernel';
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

/**
 * Our kernel's name: inputs logWeights, means and logScales [R, K] float32 and values [R]
 * int32 (0..255); outputs log P(v) [R] and its derivatives by each input but the values,
 * [R, K] each. R >= 4.
 */
export const MIXTURE_LIKELIHOOD = 'GpMixtureLikelihood';
/** Our kernel's name: inputs dy [R] and the three derivatives of MIXTURE_LIKELIHOOD; outputs each times its row's dy. */
export const MIXTURE_LIKELIHOOD_GRADIENT = 'GpMixtureLikelihoodGradient';

/**
 * Can mixtureLikelihood take these: the current backend runs MIXTURE_LIKELIHOOD (WASM, with our
 * kernels on its heap), the values are int32 data, four or more, and the mixture's three
 * float32 tensors are each the values' shape and K (no broadcasting)?
 */
export function usesMixtureLikelihood(logWeights: tf.Tensor, means: tf.Tensor, logScales: tf.Tensor, values: tf.Tensor): boolean {
  if (!runsOnWasmHeap(MIXTURE_LIKELIHOOD) || values.dtype !== 'int32' || values.size < 4) return false;
  const shape = [...values.shape, logWeights.shape[logWeights.rank - 1]];
  return [logWeights, means, logScales].every((t) => t.dtype === 'float32' && tf.util.arraysEqual(t.shape, shape));
}

function mixtureLikelihoodOnHeap({ inputs, backend: anyBackend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo[] {
  const { logWeights, means, logScales, values } = inputs as Record<'logWeights' | 'means' | 'logScales' | 'values', tf.TensorInfo>;
  const { backend, kernels, at } = ourHeap(MIXTURE_LIKELIHOOD, 'usesMixtureLikelihood()', anyBackend);
  const [rows, components] = logWeights.shape;
  for (const input of [logWeights, means, logScales]) {
    if (input.dtype !== 'float32' || input.shape.length !== 2 || input.shape[0] !== rows || input.shape[1] !== components) throw new Error(`${MIXTURE_LIKELIHOOD}: ${input.dtype} [${input.shape}] does not match the weights' float32 [${logWeights.shape}]`);
  }
  if (values.dtype !== 'int32' || values.shape.length !== 1 || values.shape[0] !== rows) throw new Error(`${MIXTURE_LIKELIHOOD}: values must be int32 [${rows}], not ${values.dtype} [${values.shape}]`);
  if (rows < 4) throw new Error(`${MIXTURE_LIKELIHOOD}: takes 4 rows or more, not ${rows}`);
  // the outputs first, then scratch: either may grow the heap, and addresses are taken after both
  const outs = [backend.makeOutput([rows], 'float32'), ...[0, 1, 2].map(() => backend.makeOutput([rows, components], 'float32'))];
  const [scratch] = scratchOn(backend).regions([mixtureLikelihoodScratchBytes(components)]);
  kernels.mixtureLikelihood(at(logWeights), at(means), at(logScales), at(values), scratch, ...(outs.map(at) as [number, number, number, number]), rows, components);
  return outs;
}

function mixtureLikelihoodGradientOnHeap({ inputs, backend: anyBackend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo[] {
  const { dy, byWeights, byMeans, byLogScales } = inputs as Record<'dy' | 'byWeights' | 'byMeans' | 'byLogScales', tf.TensorInfo>;
  const { backend, kernels, at } = ourHeap(MIXTURE_LIKELIHOOD_GRADIENT, 'usesMixtureLikelihood()', anyBackend);
  const [rows, components] = byWeights.shape;
  if (dy.dtype !== 'float32' || tf.util.sizeFromShape(dy.shape) !== rows) throw new Error(`${MIXTURE_LIKELIHOOD_GRADIENT}: dy must be float32 of ${rows} numbers, not ${dy.dtype} [${dy.shape}]`);
  const outs = [0, 1, 2].map(() => backend.makeOutput([rows, components], 'float32'));
  kernels.mixtureLikelihoodGradient(at(dy), at(byWeights), at(byMeans), at(byLogScales), ...(outs.map(at) as [number, number, number]), rows, components);
  return outs;
}

/**
 * log P(v) of each value v ([...], int32, 4 numbers or more) under its mixture ([..., K] each
 * of log pi, mu and log s, float32, log s within [-80, 80]) -> [...], by our kernel (no
 * broadcasting: usesMixtureLikelihood says when it applies), differentiable in the mixture (not in the
 * values, which are data): logistic-mixture.ts's mixtureLogProbability in one call forwards
 * and one back. The forward call also writes the derivatives (per unit of dy), which the
 * backward call scales: they share all their exponentials.
 */
export function mixtureLikelihood(logWeights: tf.Tensor, means: tf.Tensor, logScales: tf.Tensor, values: tf.Tensor): tf.Tensor {
  const components = logWeights.shape[logWeights.rank - 1];
  const rows = values.size;
  return tf.tidy(() => {
    // [..., K] -> [R, K] and [...] -> [R]: a row per value
    const flatValues = values.reshape([rows]);
    const likelihood = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [w, m, s, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
      const [logP, ...derivatives] = tf.engine().runKernel(MIXTURE_LIKELIHOOD, { logWeights: w, means: m, logScales: s, values: flatValues }) as unknown as tf.Tensor[];
      save(derivatives);
      const gradFunc = (dy: tf.Tensor, [byWeights, byMeans, byLogScales]: tf.Tensor[]) => tf.engine().runKernel(MIXTURE_LIKELIHOOD_GRADIENT, { dy, byWeights, byMeans, byLogScales }) as unknown as tf.Tensor[];
      return { value: logP, gradFunc };
    }) as (w: tf.Tensor, m: tf.Tensor, s: tf.Tensor) => tf.Tensor;
    const flat = (t: tf.Tensor) => t.reshape([rows, components]);
    return likelihood(flat(logWeights), flat(means), flat(logScales)).reshape(values.shape);
  });
}

/** Call after the WASM backend is set; harmless to call twice. */
export function registerMixtureBins(): void {
  registerWasmKernel(MIXTURE_BINS, mixtureBinsOnHeap);
  registerWasmKernel(MIXTURE_LIKELIHOOD, mixtureLikelihoodOnHeap);
  registerWasmKernel(MIXTURE_LIKELIHOOD_GRADIENT, mixtureLikelihoodGradientOnHeap);
}
