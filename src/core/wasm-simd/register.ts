/**
 * Registers convolution.ts's and matmul.ts's passes as the WASM backend's convolution and
 * matrix-product kernels, each in front of the kernel registered before it, which still runs
 * the cases ours leave (see those files) and runs everything while
 * `useSimdKernels(false)` is in force (the benchmark's and tests' side-by-side
 * comparisons). Also registers product-softmax.ts's one-pass output layer and softmax as
 * kernels of our own, which the PixelCNNs' likelihood asks for (runsProductSoftmax), and an
 * input gradient with Swish's gradient fused, which the energy model's Langevin walk asks for
 * (runsSwishInputGradient).
 */
import * as tf from '@tensorflow/tfjs';
import { convolutionGeometry, SimdConvolutions, type ConvolutionGeometry } from './convolution';
import { registerWasmKernel } from '../wasm-heap-views';
import { heapKernelsFor, type WasmBackend } from './heap';
import { productShape, SimdMatMul } from './matmul';
import { byBorderClasses } from './strided';
import { fitsProductSoftmax, SimdProductSoftmax, type ProductSoftmaxShape } from './product-softmax';

let enabled = true;

/**
 * Our kernels' names, for a linear layer's logits and their softmax cross-entropy in one
 * pass (product-softmax.ts): PRODUCT_SOFTMAX takes x [N, F], w [F, G*K], b [G*K] and values
 * [N*G] (int32) to p [N*G, K], offsets and sums [N*G]; PRODUCT_SOFTMAX_GRADIENTS takes x, w,
 * p, values and dy [N*G] to dx, dw and db.
 */
export const PRODUCT_SOFTMAX = 'GpProductSoftmax';
export const PRODUCT_SOFTMAX_GRADIENTS = 'GpProductSoftmaxGradients';
/**
 * Our kernel's name: Conv2DBackpropInput's dy and filter (and its attributes), with Swish's s
 * and y on the layer's input (shaped like dx), to dx times Swish's slope s + y (1 - s) in one
 * pass (strided.ts): the energy model's Langevin walk, where Swish's gradient follows every
 * input gradient but the first layer's. Callers ask runsSwishInputGradient first.
 */
export const SWISH_INPUT_GRADIENT = 'GpSwishInputGradient';

/** Our passes on one backend's heap (none without a heap to work on). */
interface Ours {
  convolutions: SimdConvolutions;
  products: SimdMatMul;
  productSoftmax: SimdProductSoftmax;
}
const perBackend = new WeakMap<object, Ours | null>();

/** Turns our convolutions and matrix products on or off (they are on once registered); returns the previous setting. */
export function useSimdKernels(on: boolean): boolean {
  const before = enabled;
  enabled = on;
  return before;
}

function oursOn(backend: object): Ours | null {
  if (!perBackend.has(backend)) {
    const convolutions = heapKernelsFor(SimdConvolutions, backend as WasmBackend);
    const products = heapKernelsFor(SimdMatMul, backend as WasmBackend);
    const productSoftmax = heapKernelsFor(SimdProductSoftmax, backend as WasmBackend);
    perBackend.set(backend, convolutions && products && productSoftmax ? { convolutions, products, productSoftmax } : null);
  }
  return perBackend.get(backend) ?? null;
}

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  /** Ours: the filter's rows must not be combined (no Winograd rows; see winograd.ts). */
  exactRows?: boolean;
  /**
   * Ours: the filter's last row is the window's centre row, masked right of its centre (a
   * PixelCNN's): the rows above it may be combined among themselves, not with it (winograd.ts).
   */
  lastRowApart?: boolean;
  /** Ours: each output may read only its own window's rows, even in rounding (no F(4, r) along the rows; see winograd-quad-rows.ts). */
  windowRows?: boolean;
}

/** Does the current backend run PRODUCT_SOFTMAX on this shape (WASM with our kernels on, and on as many threads as TF.js runs XNNPACK on)? Else the caller composes TF.js's ops. */
export function runsProductSoftmax(shape: { features: number; categories: number }): boolean {
  if (!enabled || tf.getBackend() !== 'wasm' || !fitsProductSoftmax(shape) || !tf.getKernel(PRODUCT_SOFTMAX, 'wasm')) return false;
  // where TF.js has more threads than ours (kernel-threads.ts), XNNPACK's products run on more cores
  const products = oursOn(tf.backend())?.products;
  return products !== undefined && products.threads <= products.ourThreads;
}

/** Does the current backend run SWISH_INPUT_GRADIENT for this input gradient (WASM, our kernels on, a pass by border classes)? Else the caller composes the two. */
export function runsSwishInputGradient(dy: tf.TensorInfo, filter: tf.TensorInfo, s: tf.TensorInfo, y: tf.TensorInfo, attrs: ConvAttrs & { inputShape: number[] }): boolean {
  if (!enabled || tf.getBackend() !== 'wasm' || !tf.getKernel(SWISH_INPUT_GRADIENT, 'wasm') || !oursOn(tf.backend())) return false;
  return swishInputGradientShape(dy, filter, s, y, attrs) !== null;
}

/** The geometry of SWISH_INPUT_GRADIENT's pass: float32 inputs, dy shaped as the convolution's output and s and y as its input, by border classes; else null. */
function swishInputGradientShape(dy: tf.TensorInfo, filter: tf.TensorInfo, s: tf.TensorInfo, y: tf.TensorInfo, attrs: ConvAttrs & { inputShape: number[] }): ConvolutionGeometry | null {
  const g = shapeOf(attrs.inputShape, filter.shape, attrs, [dy, filter, s, y]);
  const shaped = g !== null && tf.util.arraysEqual(dy.shape, [g.batch, g.outH, g.outW, g.outChannels])
    && [s, y].every((tensor) => tf.util.arraysEqual(tensor.shape, attrs.inputShape));
  return shaped && byBorderClasses(g, 'input gradient') ? g : null;
}

/** The shape of a product and softmax from x [N, F], w [F, G*K] and the values [N*G]. */
function productSoftmaxShape(x: tf.TensorInfo, w: tf.TensorInfo, values: tf.TensorInfo): ProductSoftmaxShape {
  const [rows, features] = x.shape;
  const groups = values.shape[0] / rows;
  return { rows, features, groups, categories: w.shape[1] / groups };
}

/** Our kernel `name`, which has no TF.js kernel behind it: callers ask runsProductSoftmax or runsSwishInputGradient first. */
function registerOurs(name: string, run: (inputs: tf.NamedTensorInfoMap, ours: Ours, attrs: tf.NamedAttrMap) => tf.TensorInfo[]): void {
  registerWasmKernel(name, ({ inputs, backend, attrs }) => {
    const found = enabled ? oursOn(backend as object) : null;
    if (!found) throw new Error(`${name} needs our WebAssembly kernels: ask first whether the backend runs it`);
    return run(inputs, found, attrs ?? {});
  });
}

/** A bias per channel ([C], [1, C], ...): other shapes broadcast along other axes. */
const perChannel = (shape: number[], channels: number) => shape.length > 0 && shape[shape.length - 1] === channels && shape.slice(0, -1).every((size) => size === 1);

/** A number, a name, or an array's numbers (explicit padding's nested too), commas between. */
const listed = (value: unknown): string => (Array.isArray(value) ? value.join(',') : String(value));

/** shapeOf's readings by shapes and attributes: TF.js's computeConv2DInfo, a few microseconds, ran twice for each of a Langevin step's ~10 convolution calls. */
const readings = new Map<string, ConvolutionGeometry | null>();
const READINGS_KEPT = 256;

/** Our reading of a convolution of `inShape` by `filterShape`, or null where ours does not apply (the same object for the same shapes and attributes: not to be changed). */
function shapeOf(inShape: number[], filterShape: number[], attrs: ConvAttrs, tensors: tf.TensorInfo[]): ConvolutionGeometry | null {
  if (tensors.some((t) => t.dtype !== 'float32')) return null;
  // concatenated: a template printing arrays took 1.3 microseconds, as long as what it saves
  const key = listed(inShape) + '|' + listed(filterShape) + '|' + listed(attrs.strides) + '|' + listed(attrs.pad) + '|' + listed(attrs.dilations ?? 1)
    + '|' + attrs.dataFormat + '|' + attrs.dimRoundingMode + '|' + (attrs.exactRows === true) + '|' + (attrs.lastRowApart === true) + '|' + (attrs.windowRows === true);
  const known = readings.get(key);
  if (known !== undefined) return known;
  const info = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number], filterShape as [number, number, number, number], attrs.strides, attrs.dilations ?? 1,
    attrs.pad, attrs.dimRoundingMode, false, tf.backend_util.convertConv2DDataFormat(attrs.dataFormat ?? 'NHWC'),
  );
  const g = convolutionGeometry(info);
  // loneRow present, if undefined, in every reading: the passes' geometries spread from it then only replace properties (in Node 20 each new one after a spread took about a microsecond)
  const reading = g && Object.freeze({ ...g, exactRows: attrs.exactRows === true, windowRows: attrs.windowRows === true, loneRow: attrs.lastRowApart === true ? g.filterH - 1 : undefined });
  if (readings.size >= READINGS_KEPT) readings.clear();
  readings.set(key, reading);
  return reading;
}

/** Puts `run` in front of the kernel `name` registered now (once: a second call finds ours there). */
function inFront(name: string, run: (args: Parameters<tf.KernelFunc>[0], ours: Ours) => tf.TensorInfo | null): void {
  const before = tf.getKernel(name, 'wasm');
  if ((before as { simd?: boolean } | undefined)?.simd) return;
  if (before) tf.unregisterKernel(name, 'wasm');
  const kernelFunc: tf.KernelFunc = (args) => {
    const ours = enabled ? oursOn(args.backend) : null;
    const result = ours ? run(args, ours) : null;
    if (result) return result;
    if (!before) throw new Error(`${name} on WASM: no kernel for this case`);
    return before.kernelFunc(args);
  };
  // `fixed` too: kernel-fixes.ts's replacements leave a kernel so marked in place
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc, simd: true, fixed: true } as tf.KernelConfig);
}

/** Call after the other WASM kernel fixes (ours fall back to them); harmless to call twice. */
export function registerSimdConvolutions(): void {
  inFront('Conv2D', ({ inputs, attrs }, { convolutions: ours }) => {
    if (ours.threads > ours.ourThreads) return null;
    const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const g = shapeOf(x.shape, filter.shape, attrs as unknown as ConvAttrs, [x, filter]);
    return g && ours.forward(x, filter, g);
  });

  inFront('FusedConv2D', ({ inputs, attrs }, { convolutions: ours }) => {
    if (ours.threads > ours.ourThreads) return null;
    const { x, filter, bias } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo; bias?: tf.TensorInfo };
    const { activation } = attrs as { activation?: string };
    const channels = filter.shape[3];
    // bias and relu are added in place; other activations stay with XNNPACK's fused kernel
    if (activation && activation !== 'linear' && activation !== 'relu') return null;
    if (bias ? !perChannel(bias.shape, channels) : activation === 'relu') return null;
    const g = shapeOf(x.shape, filter.shape, attrs as unknown as ConvAttrs, bias ? [x, filter, bias] : [x, filter]);
    if (!g) return null;
    return ours.forward(x, filter, g, { bias, relu: activation === 'relu' });
  });

  inFront('Conv2DBackpropInput', ({ inputs, attrs }, { convolutions: ours }) => {
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const { inputShape } = attrs as unknown as { inputShape: number[] };
    const g = shapeOf(inputShape, filter.shape, attrs as unknown as ConvAttrs, [dy, filter]);
    if (!g || g.outH !== dy.shape[1] || g.outW !== dy.shape[2]) return null;
    return ours.inputGradient(dy, filter, g);
  });

  inFront('Conv2DBackpropFilter', ({ inputs, attrs }, { convolutions: ours }) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const { filterShape } = attrs as unknown as { filterShape: number[] };
    const g = shapeOf(x.shape, filterShape, attrs as unknown as ConvAttrs, [x, dy]);
    if (!g || g.outH !== dy.shape[1] || g.outW !== dy.shape[2]) return null;
    return ours.filterGradient(x, dy, g);
  });

  inFront('BatchMatMul', ({ inputs, attrs }, { products }) => {
    if (products.threads > products.ourThreads) return null;
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const shape = productShape(a, b, transposeA, transposeB);
    return shape && products.product(a, b, shape);
  });

  inFront('_FusedMatMul', ({ inputs, attrs }, { products }) => {
    if (products.threads > products.ourThreads) return null;
    const { a, b, bias } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo };
    const { transposeA, transposeB, activation } = attrs as unknown as { transposeA: boolean; transposeB: boolean; activation?: string };
    if (activation && activation !== 'linear' && activation !== 'relu') return null;
    const shape = productShape(a, b, transposeA, transposeB);
    if (!shape || (bias ? bias.dtype !== 'float32' || !perChannel(bias.shape, shape.n) : activation === 'relu')) return null;
    return products.product(a, b, shape, { bias, relu: activation === 'relu' });
  });

  registerOurs(PRODUCT_SOFTMAX, (inputs, { productSoftmax }) => {
    const { x, w, b, values } = inputs as Record<string, tf.TensorInfo>;
    return productSoftmax.forward(x, w, b, values, productSoftmaxShape(x, w, values));
  });

  registerOurs(SWISH_INPUT_GRADIENT, (inputs, { convolutions }, attrs) => {
    const { dy, filter, s, y } = inputs as Record<string, tf.TensorInfo>;
    const g = swishInputGradientShape(dy, filter, s, y, attrs as unknown as ConvAttrs & { inputShape: number[] });
    if (!g) throw new Error(`${SWISH_INPUT_GRADIENT}: not a pass by border classes of these shapes; ask runsSwishInputGradient first`);
    return [convolutions.inputGradient(dy, filter, g, [s, y])];
  });

  registerOurs(PRODUCT_SOFTMAX_GRADIENTS, (inputs, { productSoftmax }) => {
    const { x, w, p, values, dy } = inputs as Record<string, tf.TensorInfo>;
    return productSoftmax.gradients(x, w, p, values, dy, productSoftmaxShape(x, w, values));
  });
}
