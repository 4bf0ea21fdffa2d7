import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { allowRelaxedSimd, useNodeBackend } from '../../src/cli/node-backend';
import { lstmCell, lstmCellByOps } from '../../src/core/models/autoregressive/lstm-gates';
import { hasLstmCell, LSTM_CELL, LSTM_CELL_GRADIENT } from '../../src/core/wasm-heap-lstm';
import { expectRelativelyClose, seededValues } from './wasm-simd-helpers';
import { hasRelaxedSimd, instantiateKernels } from '../../src/core/wasm-simd/kernels';

allowRelaxedSimd();

/**
 * PixelRNN's LSTM cell as one kernel each way on WASM (src/core/wasm-heap-lstm.ts) against
 * TF.js's ops on the CPU backend: h, c and the gradients by the gates and the previous cell
 * state, to float rounding (our sigmoid and tanh are within 2 units in the last place of the
 * true ones, not TF.js's bits).
 */

type Cell = typeof lstmCell;
type Result = { h: Float32Array; c: Float32Array; dGates: Float32Array; dPrevious?: Float32Array; kernels: string[] };

/**
 * h, c = cell(gates, previous), and the gradients of sum(h r) (+ sum(c q) when `useC`: the
 * last row's c is not used, so its gradient is absent) by the gates and the previous c.
 */
async function run(cell: Cell, rows: number, units: number, withPrevious: boolean, useC: boolean, seed: number): Promise<Result> {
  // gates spread over [-8, 8]: the sigmoids and tanh saturating at both ends, and through 0
  const gates = tf.tensor2d(Float32Array.from(seededValues(rows * 4 * units, seed), (value) => value * 8), [rows, 4 * units]);
  const previous = tf.tensor2d(Float32Array.from(seededValues(rows * units, seed + 1), (value) => value * 3), [rows, units]);
  const [r, q] = [seed + 2, seed + 3].map((s) => tf.tensor2d(seededValues(rows * units, s), [rows, units]));
  const loss = (g: tf.Tensor, p?: tf.Tensor) => {
    const { h, c } = cell(g as tf.Tensor2D, p as tf.Tensor2D | undefined, units);
    return useC ? h.mul(r).sum().add(c.mul(q).sum()) : h.mul(r).sum();
  };
  const before = tf.memory().numTensors;
  let out: { h: tf.Tensor; c: tf.Tensor } | undefined;
  const profile = await tf.profile(() => {
    out = cell(gates, withPrevious ? previous : undefined, units);
    return withPrevious ? tf.grads((g: tf.Tensor, p: tf.Tensor) => loss(g, p))([gates, previous]) : [tf.grad((g: tf.Tensor) => loss(g))(gates)];
  });
  const grads = profile.result as tf.Tensor[];
  const result: Result = {
    h: (await out!.h.data()) as Float32Array,
    c: (await out!.c.data()) as Float32Array,
    dGates: (await grads[0].data()) as Float32Array,
    dPrevious: grads[1] ? ((await grads[1].data()) as Float32Array) : undefined,
    kernels: profile.kernels.map((kernel) => kernel.name),
  };
  tf.dispose([out!.h, out!.c, ...grads]);
  expect(tf.memory().numTensors, 'tensors left').toBe(before);
  tf.dispose([gates, previous, r, q]);
  return result;
}

describe('PixelRNN\'s LSTM cell in one kernel each way on WASM', () => {
  beforeAll(async () => {
    await useNodeBackend('wasm');
  });

  it.each([
    ['32 units (PixelRNN\'s default), a previous state, h and c used', 37, 32, true, true],
    ['the first row: no previous state', 9, 8, false, true],
    ['the last row: c unused, so no gradient reaches it', 5, 12, true, false],
    ['4 units, one row', 1, 4, true, true],
    ['6 units: TF.js\'s ops (not in fours)', 3, 6, true, true],
  ] as [string, number, number, boolean, boolean][])('%s: agrees with TF.js\'s ops on the CPU backend, forwards and backwards', async (_, rows, units, withPrevious, useC) => {
    const ours = await run(lstmCell, rows, units, withPrevious, useC, 7);
    const fits = units % 4 === 0;
    expect(hasLstmCell(units)).toBe(fits);
    // one kernel forwards (twice: the outputs, and the pass the gradient records), one backwards; no sigmoid, tanh or split
    expect(ours.kernels.filter((name) => name === LSTM_CELL || name === LSTM_CELL_GRADIENT)).toEqual(fits ? [LSTM_CELL, LSTM_CELL, LSTM_CELL_GRADIENT] : []);
    if (fits) expect(ours.kernels.filter((name) => ['Sigmoid', 'Tanh', 'SplitV'].includes(name))).toEqual([]);
    await tf.setBackend('cpu');
    const reference = await run(lstmCellByOps, rows, units, withPrevious, useC, 7);
    await tf.setBackend('wasm');
    expectRelativelyClose(ours.h, reference.h, 1e-6, 'h');
    expectRelativelyClose(ours.c, reference.c, 1e-6, 'c');
    expectRelativelyClose(ours.dGates, reference.dGates, 2e-6, 'dGates');
    if (withPrevious) expectRelativelyClose(ours.dPrevious!, reference.dPrevious!, 2e-6, 'dPrevious');
  });
});

describe.each([false, true].filter((fused) => !fused || hasRelaxedSimd()))('The LSTM cell\'s forward kernel, fused multiply-add %s', (fused) => {
  // the page runs our kernels with relaxed SIMD's multiply-add where the browser has it; two vectors of units a turn, then one
  it.each([[7, 12], [3, 32], [2, 4]])('%i rows of %i units: activations, c, tanh(c) and h to float rounding of the true values', (rows, units) => {
    const memory = new WebAssembly.Memory({ initial: 4 });
    const heap = new Float32Array(memory.buffer);
    const gates = Float32Array.from(seededValues(rows * 4 * units, units), (v) => v * 8);
    const previous = Float32Array.from(seededValues(rows * units, units + 1), (v) => v * 3);
    const at = { gates: 0, previous: 4 * units * rows, h: 5 * units * rows, c: 6 * units * rows, act: 7 * units * rows, tanhC: 11 * units * rows };
    heap.set(gates, at.gates);
    heap.set(previous, at.previous);
    instantiateKernels(memory, fused).lstmForward(4 * at.gates, 4 * at.previous, 4 * at.h, 4 * at.c, 4 * at.act, 4 * at.tanhC, rows, units);
    const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
    const expected = { act: [] as number[], c: [] as number[], tanhC: [] as number[], h: [] as number[] };
    for (let r = 0; r < rows; r++) {
      const gate = (n: number, j: number) => gates[(r * 4 + n) * units + j];
      const act = [0, 1, 2, 3].map((n) => Array.from({ length: units }, (_, j) => (n < 3 ? sigmoid(gate(n, j)) : Math.tanh(gate(n, j)))));
      expected.act.push(...act.flat());
      for (let j = 0; j < units; j++) {
        // c = f c' + i g, h = o tanh(c), from the activations as the kernel rounds them
        const [o, f, i, g] = act.map((values) => Math.fround(values[j]));
        const c = f * previous[r * units + j] + i * g;
        expected.c.push(c);
        expected.tanhC.push(Math.tanh(c));
        expected.h.push(o * Math.tanh(c));
      }
    }
    const read = (name: keyof typeof at, count: number) => heap.slice(at[name], at[name] + count);
    expectRelativelyClose(read('act', 4 * rows * units), expected.act, 3e-7, 'activations');
    expectRelativelyClose(read('c', rows * units), expected.c, 5e-7, 'c');
    expectRelativelyClose(read('tanhC', rows * units), expected.tanhC, 5e-7, 'tanh(c)');
    expectRelativelyClose(read('h', rows * units), expected.h, 1e-6, 'h');
  });
});
