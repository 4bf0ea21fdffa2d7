/**
 * From TF.js's tensors to PyTorch's: names and memory layouts.
 *
 * A checkpoint names a network's variables by position (`weights/3`), in the order the
 * layers create them (kernel, then bias, layer by layer), and Adam's state as `adam/0`
 * (its step count), then the first moments and the second moments, one per variable in
 * the same order. PyTorch names parameters by module path (`encoder.3.weight`) and lays
 * kernels out the other way round:
 *   dense            TF.js [in, out]            nn.Linear          [out, in]
 *   conv             TF.js [kh, kw, in, out]    nn.Conv2d          [out, in, kh, kw]
 *   transposed conv  TF.js [kh, kw, out, in]    nn.ConvTranspose2d [in, out, kh, kw]
 * Adam's moments are per-element, so they move exactly as their variable does.
 */
import type { NamedArray } from './npy';

export type Layout = 'dense' | 'conv' | 'conv-transpose' | 'as-is';

/** One parameter: its PyTorch name, and how its TF.js tensor is laid out. */
export interface ParamPlan {
  name: string;
  layout: Layout;
}

/** One optimizer's variables, in the checkpoint's order, under the checkpoint's prefix for it (`network/`, or '' when the model's state is the optimizer itself). */
export interface OptimizerPlan {
  /** Its name in the exported files and in train.py: `network`, or a GAN's `generator` and `discriminator`. */
  id: string;
  statePrefix: string;
  params: readonly ParamPlan[];
  /** The run's settings that hold its learning rate and beta1 (absent: `lr`, and Adam's usual 0.9). */
  keys?: { lr: string; beta1?: string };
}

/** A tensor the checkpoint keeps beside the optimizers (batch normalization's moving statistics): its checkpoint key and PyTorch name. */
export interface BufferPlan {
  key: string;
  name: string;
}

/** A number the checkpoint keeps among its numbers (`started/flag`), as a 0-d array of train.py's state: its checkpoint key and PyTorch name. */
export interface NumberPlan {
  key: string;
  name: string;
}

/** The axis order that takes a TF.js tensor to PyTorch's layout. */
const PERMUTATIONS: Record<Layout, readonly number[] | undefined> = {
  dense: [1, 0],
  conv: [3, 2, 0, 1],
  'conv-transpose': [3, 2, 0, 1],
  'as-is': undefined,
};

/** A row-major array with its axes reordered: result axis i is input axis order[i]. */
export function permute({ shape, values }: NamedArray, order: readonly number[]): NamedArray {
  if (order.length !== shape.length) throw new Error(`Cannot reorder ${shape.length} axes as [${order.join(', ')}]`);
  const outShape = order.map((axis) => shape[axis]);
  const inStrides = shape.map((_, axis) => shape.slice(axis + 1).reduce((product, size) => product * size, 1));
  const strides = order.map((axis) => inStrides[axis]);
  const out = new Float32Array(values.length);
  const index = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let source = 0;
    for (let axis = 0; axis < index.length; axis++) source += index[axis] * strides[axis];
    out[i] = values[source];
    // the next index, last axis fastest
    for (let axis = index.length - 1; axis >= 0; axis--) {
      if (++index[axis] < outShape[axis]) break;
      index[axis] = 0;
    }
  }
  return { shape: outShape, values: out };
}

/** A TF.js tensor in PyTorch's layout. */
export function toTorchLayout(array: NamedArray, layout: Layout): NamedArray {
  const order = PERMUTATIONS[layout];
  return order ? permute(array, order) : array;
}

/** What the exported files hold of one optimizer: weights by PyTorch name, Adam's moments, its step count. */
export interface TorchOptimizerState {
  weights: Record<string, NamedArray>;
  /** First and second moments by parameter name; empty before the first update. */
  m: Record<string, NamedArray>;
  v: Record<string, NamedArray>;
  /** Updates taken so far (Adam's t). */
  step: number;
}

/**
 * One optimizer's variables and Adam state, read from a checkpoint's arrays and laid out
 * for PyTorch. Throws, naming the parameter, when the checkpoint does not fit the plan.
 */
export function torchState(plan: OptimizerPlan, arrays: ReadonlyMap<string, NamedArray>): TorchOptimizerState {
  const read = (key: string) => {
    const array = arrays.get(`${plan.statePrefix}${key}`);
    if (!array) throw new Error(`The checkpoint has no ${plan.statePrefix}${key}: it does not match this model's layers`);
    return array;
  };
  const n = plan.params.length;
  if (arrays.has(`${plan.statePrefix}weights/${n}`)) throw new Error(`The checkpoint has more ${plan.statePrefix}weights than the ${n} this export expects`);
  const state: TorchOptimizerState = { weights: {}, m: {}, v: {}, step: 0 };
  const step = arrays.get(`${plan.statePrefix}adam/0`);
  state.step = step ? step.values[0] : 0;
  const hasMoments = arrays.has(`${plan.statePrefix}adam/1`);
  plan.params.forEach(({ name, layout }, i) => {
    state.weights[name] = toTorchLayout(read(`weights/${i}`), layout);
    if (!hasMoments) return;
    // Checkpoints keep the moments in the variables' order (core/training/optimizer.ts); older
    // ones kept Adam's, which differs where a network lists its variables in another order
    // than it made them (PixelCNN++): a moment of another shape than its weight shows it.
    if (read(`adam/${1 + i}`).shape.join() !== read(`weights/${i}`).shape.join()) {
      throw new Error(`The checkpoint's optimizer moments are in an older order that cannot be exported (${name}): open the run in the page, train a step, and export it again`);
    }
    state.m[name] = toTorchLayout(read(`adam/${1 + i}`), layout);
    state.v[name] = toTorchLayout(read(`adam/${1 + n + i}`), layout);
  });
  return state;
}
