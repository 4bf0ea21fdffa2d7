/**
 * Tensors of tfjs-backend-wasm as typed arrays over its heap, for the kernels that work there
 * in place (wasm-heap-kernels.ts, wasm-heap-transpose.ts), and how they take a kernel's place.
 */
import * as tf from '@tensorflow/tfjs';
import { kernelsOn } from './wasm-simd/heap';
import type { HeapMemory, WasmKernels } from './wasm-simd/kernels';

/** The parts of tfjs-backend-wasm's BackendWasm and its Emscripten module that our kernels use (here and in wasm-simd/). */
export interface WasmBackend {
  wasm: {
    _malloc(bytes: number): number;
    _free(address: number): void;
    _get_threads_count?(): number;
    asm?: { memory?: HeapMemory };
    wasmMemory?: HeapMemory;
  };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * A tensor's 4-byte values on the heap as an Int32Array, whatever their dtype: copying bit
 * patterns as integers is exact (a float NaN's payload survives), and one array type keeps
 * the copy loops monomorphic, which V8 runs several times faster.
 */
export function wordsOf(backend: WasmBackend, info: tf.TensorInfo): Int32Array {
  const view = backend.typedArrayFromHeap(info);
  return new Int32Array(view.buffer, view.byteOffset, view.length);
}

/**
 * A tensor's values on the heap set to `value`: zeros by our memory.fill where our kernels
 * run (on the shared heap of a cross-origin-isolated page, TypedArray.fill took 5-10 times
 * as long), anything else by TypedArray.fill. -0 is written as 0, as TF.js's own PadV2 on
 * WASM writes it.
 */
export function fillOnHeap(backend: WasmBackend, info: tf.TensorInfo, value: number): void {
  const values = backend.typedArrayFromHeap(info);
  const kernels = values.BYTES_PER_ELEMENT === 4 && value === 0 ? kernelsOn(backend) : null;
  if (kernels) kernels.zeroBytes(values.byteOffset, values.byteLength);
  else values.fill(value === 0 ? 0 : value);
}

/** One float32 and its bits, shared: two typed arrays made at every call cost microseconds. */
const bitsFloat = new Float32Array(1);
const bitsWord = new Int32Array(bitsFloat.buffer);

/** A number's float32 bits, as an integer: how our kernels take their float constants. */
export function float32Bits(value: number): number {
  bitsFloat[0] = value;
  return bitsWord[0];
}

/** float32 and int32 values are 4 bytes: the dtypes these kernels copy. */
export const isWordSized = (dtype: tf.DataType) => dtype === 'float32' || dtype === 'int32';

/**
 * Replaces the kernel `name` of the WASM backend by `replacement(original)`, once: a second
 * call finds the replacement (marked `fixed`) and does nothing.
 */
export function replaceWasmKernel(name: string, replacement: (original: tf.KernelConfig) => tf.KernelFunc): void {
  const original = tf.getKernel(name, 'wasm');
  if (!original || (original as { fixed?: boolean }).fixed) return;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ kernelName: name, backendName: 'wasm', fixed: true, kernelFunc: replacement(original) } as tf.KernelConfig);
}

/** Registers a kernel of ours (a name TF.js does not have) on the WASM backend, once. */
export function registerWasmKernel(name: string, kernelFunc: (args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: unknown }) => tf.TensorInfo | tf.TensorInfo[]): void {
  if (!tf.getKernel(name, 'wasm')) tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}

/** Does the current backend run our kernel `name` (WASM, with our WebAssembly on its heap)? Else its caller composes TF.js's ops. */
export function runsOnWasmHeap(name: string): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(name, 'wasm') !== undefined && kernelsOn(tf.backend() as unknown as WasmBackend) !== null;
}

/**
 * What a kernel function of ours works with: the call's backend, our WebAssembly on its heap,
 * and a tensor's address there (take it after making the outputs: that may grow the heap).
 * Throws without our WebAssembly, naming `ask`, what the caller should have asked first.
 */
export function ourHeap(name: string, ask: string, anyBackend: unknown): { backend: WasmBackend; kernels: WasmKernels; at: (info: tf.TensorInfo) => number } {
  const backend = anyBackend as WasmBackend;
  const kernels = kernelsOn(backend);
  if (!kernels) throw new Error(`${name} needs our WebAssembly kernels: ask ${ask} first`);
  return { backend, kernels, at: (info) => backend.typedArrayFromHeap(info).byteOffset };
}

/** What an element-wise kernel of ours runs: the heap addresses of its inputs, then of its outputs, their length and the kernel's attributes. */
type HeapRun = (kernels: WasmKernels, addresses: number[], count: number, attrs: tf.NamedAttrMap) => void;
type HeapKernelArgs = { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: unknown };

/**
 * The kernel function of an element-wise kernel of ours with `outputs` float32 outputs, each
 * shaped like the first input: `run` gets the heap addresses of its inputs (in `order`) and
 * of the outputs, their length, and the kernel's attributes.
 */
export function heapElementwiseOutputs(name: string, order: string[], outputs: number, run: HeapRun) {
  return ({ inputs, attrs, backend: anyBackend }: HeapKernelArgs): tf.TensorInfo[] => {
    const { backend, kernels, at } = ourHeap(name, `runsOnWasmHeap('${name}')`, anyBackend);
    const first = inputs[order[0]] as tf.TensorInfo;
    // allocations first: growing the heap leaves earlier views empty
    const outs = Array.from({ length: outputs }, () => backend.makeOutput(first.shape, 'float32'));
    run(kernels, [...order.map((input) => at(inputs[input] as tf.TensorInfo)), ...outs.map(at)], tf.util.sizeFromShape(first.shape), attrs);
    return outs;
  };
}

/** heapElementwiseOutputs with one output. */
export function heapElementwise(name: string, order: string[], run: HeapRun) {
  const kernel = heapElementwiseOutputs(name, order, 1, run);
  return (args: HeapKernelArgs): tf.TensorInfo => kernel(args)[0];
}

/**
 * TF.js's kernel `name` on float32 inputs of one shape (`order`, the first shaping the output)
 * by our element-wise kernel `run`; anything else (other types, broadcasting) by TF.js's own.
 */
export function onHeapForFloats(name: string, order: string[], run: HeapRun): (original: tf.KernelConfig) => tf.KernelFunc {
  return (original) => {
    const ours = heapElementwise(name, order, run);
    return (args) => {
      const inputs = order.map((input) => args.inputs[input] as tf.TensorInfo);
      const fits = inputs.every((info) => info.dtype === 'float32' && tf.util.arraysEqual(info.shape, inputs[0].shape)) && kernelsOn(args.backend as WasmBackend);
      return fits ? ours(args as unknown as HeapKernelArgs) : (original.kernelFunc(args) as tf.TensorInfo);
    };
  };
}
