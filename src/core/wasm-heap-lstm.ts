/**
 * The LSTM cell of PixelRNN's layers as one kernel of ours each way on the WASM backend's heap
 * (wasm-simd/lstm-kernels.ts), for models/autoregressive/lstm-gates.ts: TF.js's ops take ten
 * kernels forwards and about twenty back, for every row (or diagonal) of every layer, on
 * small maps, where each call's bookkeeping costs as much as its arithmetic.
 */
import * as tf from '@tensorflow/tfjs';
import { ourHeap, registerWasmKernel, runsOnWasmHeap } from './wasm-heap-views';

/** Gates per hidden unit: o, f, i, g. */
const GATES = 4;

/**
 * Our kernel's name: inputs gates [N, 4U] (o, f, i, g) and previous c' [N, U] (float32);
 * outputs [h, c, activations [N, 4U], tanh(c)]: the last two kept for LSTM_CELL_GRADIENT only
 * (run it through lstmCellOnHeap, which has its gradient).
 */
export const LSTM_CELL = 'GpLstmCell';
/** Our kernel's name: inputs dh, dc, activations, tanhC and previous (float32); outputs [dGates [N, 4U], dPrevious [N, U]]. */
export const LSTM_CELL_GRADIENT = 'GpLstmCellGradient';

/** Does the current backend run LSTM_CELL on U units (WASM, our kernels on its heap, U in fours)? */
export const hasLstmCell = (units: number): boolean => units > 0 && units % 4 === 0 && runsOnWasmHeap(LSTM_CELL);

type Args = { inputs: tf.NamedTensorInfoMap; backend: unknown };

/** The backend, our kernels and addresses of an LSTM kernel's call; rows and units from `narrow` ([N, U]). */
function onHeap(name: string, { backend }: Args, narrow: tf.TensorInfo) {
  const [rows, units] = narrow.shape;
  return { ...ourHeap(name, 'hasLstmCell', backend), rows, units };
}

function lstmCell(args: Args): tf.TensorInfo[] {
  const { gates, previous } = args.inputs as { gates: tf.TensorInfo; previous: tf.TensorInfo };
  const { backend, kernels, rows, units, at } = onHeap(LSTM_CELL, args, previous);
  // the outputs first: making them may grow the heap
  const [h, c, act, tanhC] = [previous.shape, previous.shape, gates.shape, previous.shape].map((shape) => backend.makeOutput(shape, 'float32'));
  kernels.lstmForward(at(gates), at(previous), at(h), at(c), at(act), at(tanhC), rows, units);
  return [h, c, act, tanhC];
}

function lstmCellGradient(args: Args): tf.TensorInfo[] {
  const { dh, dc, act, tanhC, previous } = args.inputs as Record<'dh' | 'dc' | 'act' | 'tanhC' | 'previous', tf.TensorInfo>;
  const { backend, kernels, rows, units, at } = onHeap(LSTM_CELL_GRADIENT, args, previous);
  const [dGates, dPrevious] = [backend.makeOutput(act.shape, 'float32'), backend.makeOutput(previous.shape, 'float32')];
  kernels.lstmGradient(at(dh), at(dc), at(act), at(tanhC), at(previous), at(dGates), at(dPrevious), rows, units);
  return [dGates, dPrevious];
}

/**
 * h, c = the cell of gates [N, 4U] and the previous c' [N, U], one kernel each way. The
 * kernel's activations and tanh(c) are saved for the gradient, not outputs of the op: TF.js's
 * tape makes a tensor of zeros for every output that gets no gradient (a copy into the heap,
 * slow on the browser's shared memory: 220 ms of a PixelRNN step when these were outputs).
 */
export function lstmCellOnHeap(gates: tf.Tensor2D, previous: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
  // tf.customGrad's own path, which TF.js's types keep private: customGrad allows one output, the cell has two.
  // What it relies on, as tfjs-core 4.22 does it: forwardFunc runs in a tidy with the tape paused (the kernel's
  // extra outputs are freed, the saved ones kept as clones), save() does nothing when no gradient is recorded,
  // and an output that gets no gradient gets zeros (the last row's c).
  const engine = tf.engine() as unknown as { runKernelFunc?(invocation: unknown): tf.Tensor[] };
  if (!engine.runKernelFunc) throw new Error('This TF.js has no engine.runKernelFunc: the LSTM cell needs tfjs-core 4.x');
  if (gates.shape[0] !== previous.shape[0] || gates.shape[1] !== GATES * previous.shape[1]) throw new Error(`LSTM cell: gates ${gates.shape} do not fit the state ${previous.shape}`);
  return engine.runKernelFunc({
    forwardFunc: (_: unknown, save: tf.GradSaveFunc) => {
      const [h, c, act, tanhC] = tf.engine().runKernel(LSTM_CELL, { gates, previous }) as unknown as tf.Tensor2D[];
      save([act, tanhC, previous]);
      return [h, c];
    },
    backwardsFunc: (dys: tf.Tensor[], saved: tf.Tensor[]) => {
      const [dh, dc] = dys;
      const [act, tanhC, savedPrevious] = saved;
      // both at once, here: each input's function runs in a tidy of its own, which would dispose the other's
      const [dGates, dPrevious] = tf.engine().runKernel(LSTM_CELL_GRADIENT, { dh, dc, act, tanhC, previous: savedPrevious }) as unknown as tf.Tensor[];
      return { gates: () => dGates, previous: () => dPrevious };
    },
    inputs: { gates, previous },
  }) as [tf.Tensor2D, tf.Tensor2D];
}

/** Call after the WASM backend is set; harmless to call twice. */
export function registerLstmCell(): void {
  registerWasmKernel(LSTM_CELL, lstmCell);
  registerWasmKernel(LSTM_CELL_GRADIENT, lstmCellGradient);
}
