import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowRelaxedSimd, useNodeBackend } from '../../src/cli/node-backend';
import { hasOneHotDifference, hasSoftmaxRows, ONE_HOT_DIFFERENCE, SOFTMAX_ROWS } from '../../src/core/wasm-heap-rows';
import { softmaxCrossEntropy } from '../../src/core/models/autoregressive/pixel-likelihood';
import { createRandom } from '../../src/core/random';
import { encodeModule } from '../../src/core/wasm-simd/encoder';
import { hasRelaxedSimd, instantiateKernels } from '../../src/core/wasm-simd/kernels';
import { softmaxRows } from '../../src/core/wasm-simd/row-kernels';
import { float32Bits, relaxedOccurrences, seededValues } from './wasm-simd-helpers';

// before any kernel module is made: the fused variant then runs too, and TF.js's kernels take it
allowRelaxedSimd();

/**
 * Our row-wise kernels on WASM (src/core/wasm-heap-rows.ts) against tfjs-backend-wasm's own
 * kernels on the same inputs, bit for bit: Max over trailing axes, and the softmax
 * cross-entropy gradient against TF.js's composition of it.
 */
let original: tf.KernelConfig;
let ours: tf.KernelConfig;
const use = (config: tf.KernelConfig) => {
  tf.unregisterKernel('Max', 'wasm');
  tf.registerKernel(config);
};

/** Seeded values in [-1, 1) of a shape, with the given entries replaced. */
function values(shape: number[], seed: number, replace: Record<number, number> = {}): tf.Tensor {
  const data = seededValues(shape.reduce((a, b) => a * b, 1), seed);
  for (const [at, value] of Object.entries(replace)) data[Number(at)] = value;
  return tf.tensor(data, shape);
}

/** Bits of float32 values, every NaN as one (their payloads and signs are not numbers): the sign of zero counts. */
const bits = (data: tf.TypedArray) => float32Bits(data as ArrayLike<number>, true);

/** Softmax rows' test widths: one run of four vectors, three runs, PixelCNN's 256 values. */
const SOFTMAX_COLUMNS = [16, 48, 256];

/**
 * Nine rows of `columns` logits and their values: logits up to +-30, and rows of -infinities
 * with one finite logit, all equal, very large, very spread; values out of range in rows 6 and 7.
 */
function softmaxCase(columns: number): { data: Float32Array; values: Int32Array; rows: number } {
  const rows = 9;
  const data = Float32Array.from(seededValues(rows * columns, columns + 7), (value) => value * 30);
  for (let c = 0; c < columns; c++) {
    data[columns + c] = c === 5 ? 2 : -Infinity;
    data[2 * columns + c] = 0.5;
    data[3 * columns + c] = 80 + c / columns;
    data[4 * columns + c] = (c % 3) * 60 - 60;
  }
  const values = Int32Array.from({ length: rows }, (_, r) => (r === 6 ? columns : r === 7 ? -1 : (r * 37) % columns));
  values[1] = 5;
  return { data, values, rows };
}

/** softmaxRows' outputs against float64: p within 4 units in the last place of the softmax of l - m, the sums within 8, m - l_v exact (0 for a value out of range). */
function expectSoftmaxRows(data: Float32Array, values: Int32Array, columns: number, p: Float32Array, offsets: Float32Array, sums: Float32Array): void {
  const ulp = 2 ** -23;
  for (let r = 0; r < values.length; r++) {
    const row = Array.from(data.subarray(r * columns, (r + 1) * columns));
    const m = Math.max(...row);
    // l - m rounded to float32 first, as the kernel and TF.js's softmax take it
    const exponentials = row.map((l) => Math.exp(Math.fround(l - m)));
    const sum = exponentials.reduce((total, e) => total + e, 0);
    exponentials.forEach((e, c) => {
      const expected = e / sum;
      // exp(l - m) below float32's normal numbers is 0 (as TF.js's exp gives it there)
      expect(Math.abs(p[r * columns + c] - expected), `p[${r}, ${c}] of ${columns}`).toBeLessThanOrEqual(4 * ulp * expected + 1e-37 / sum);
    });
    expect(Math.abs(sums[r] - sum) / sum, `sum of row ${r}`).toBeLessThan(8 * ulp);
    expect(offsets[r], `offset of row ${r}`).toBe(values[r] >= 0 && values[r] < columns ? Math.fround(m - row[values[r]]) : 0);
  }
}

async function maxBothWays(x: tf.Tensor, axes: number | number[], keepDims = false): Promise<[number[], number[], number[]]> {
  use(original);
  const reference = x.max(axes, keepDims);
  use(ours);
  const before = tf.memory().numTensors;
  const result = x.max(axes, keepDims);
  expect(tf.memory().numTensors).toBe(before + 1);
  expect(result.shape).toEqual(reference.shape);
  const out: [number[], number[], number[]] = [bits(await reference.data()), bits(await result.data()), result.shape];
  tf.dispose([reference, result]);
  return out;
}

describe('WASM row-wise kernels on the heap', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    original = tf.getKernel('Max', 'wasm')!;
    await useNodeBackend('wasm');
    ours = tf.getKernel('Max', 'wasm')!;
    // ours really is registered (marked fixed), else this file compares TF.js with itself
    expect((ours as { fixed?: boolean }).fixed).toBe(true);
  });
  afterAll(() => use(ours));

  it('Max over the last axis: rows of 1 to 259 numbers (one, four and sixteen at a time), as TF.js gives them', async () => {
    for (const [rows, columns] of [[7, 1], [5, 2], [5, 3], [6, 4], [4, 5], [3, 7], [9, 8], [3, 16], [5, 17], [4, 35], [2, 64], [33, 256], [4, 259]]) {
      const x = values([rows, columns], rows * 1000 + columns);
      const [theirs, mine] = await maxBothWays(x, 1);
      expect(mine, `[${rows}, ${columns}]`).toEqual(theirs);
      // and the maxima are really the rows' largest numbers
      const data = await x.data();
      const largest = Array.from({ length: rows }, (_, r) => Math.max(...data.slice(r * columns, (r + 1) * columns)));
      expect(Array.from(new Float32Array(new Uint32Array(mine).buffer))).toEqual(largest);
      x.dispose();
    }
  });

  it('Max over several trailing axes, negative axes and keepDims; other reductions and int32 to TF.js', async () => {
    const x = values([2, 3, 4, 5], 9);
    const cases: [number | number[], boolean][] = [[[2, 3], false], [[3, 2], true], [-1, true], [[1, 2, 3], false], [[0, 1, 2, 3], false], [0, false], [[1, 3], false]];
    for (const [axes, keepDims] of cases) {
      const [theirs, mine, shape] = await maxBothWays(x, axes, keepDims);
      expect(mine, JSON.stringify(axes)).toEqual(theirs);
      expect(shape.length, JSON.stringify(axes)).toBe(keepDims ? 4 : 4 - (Array.isArray(axes) ? axes.length : 1));
    }
    const integers = tf.tensor([[3, -7, 12], [0, 5, -1]], [2, 3], 'int32');
    use(ours);
    expect(await integers.max(1).data()).toEqual(Int32Array.from([12, 5]));
    tf.dispose([x, integers]);
  });

  it('Max with NaN, infinities and zeros of both signs: a NaN anywhere in a row is its maximum, as in TF.js', async () => {
    // rows of 9: NaN first; NaN second (a lane's first); NaN in the tail; all -Infinity; +Infinity late; negatives; -0 then +0; +0 then -0
    const negatives = (row: number) => Object.fromEntries(Array.from({ length: 9 }, (_, i) => [row * 9 + i, -1 - i]));
    const x = values([8, 9], 4, {
      0: NaN, 10: NaN, 26: NaN,
      ...Object.fromEntries(Array.from({ length: 9 }, (_, i) => [27 + i, -Infinity])), 43: Infinity,
      ...negatives(5), ...negatives(6), 56: -0, 61: 0, ...negatives(7), 64: 0, 69: -0,
    });
    const [theirs, mine] = await maxBothWays(x, 1);
    expect(mine).toEqual(theirs);
    const maxima = new Float32Array(new Uint32Array(mine).buffer);
    expect([0, 1, 2].every((row) => Number.isNaN(maxima[row]))).toBe(true);
    expect([maxima[3], maxima[4], maxima[5]]).toEqual([-Infinity, Infinity, -1]);
    // the sign of a zero maximum is TF.js's (compared bit for bit above)
    expect([Math.abs(maxima[6]), Math.abs(maxima[7])]).toEqual([0, 0]);
    x.dispose();
    // rows of 37, sixteen at a time: a NaN in each of the four running maxima, in the four-wide part and in the tail; zeros again
    const long = values([7, 37], 5, { 1: NaN, [37 + 22]: NaN, [74 + 35]: NaN, [111 + 6]: NaN, ...Object.fromEntries(Array.from({ length: 74 }, (_, i) => [148 + i, -1 - i])), [148 + 19]: 0, [148 + 30]: -0, [185 + 3]: -0, [185 + 36]: 0 });
    const [theirsLong, mineLong] = await maxBothWays(long, 1);
    expect(mineLong).toEqual(theirsLong);
    expect(Array.from(new Float32Array(new Uint32Array(mineLong).buffer)).slice(0, 4).every(Number.isNaN)).toBe(true);
    long.dispose();
  });

  it('the softmax cross-entropy gradient (p - onehot(v)) * g: TF.js\'s composition, bit for bit, out-of-range values included', async () => {
    expect(hasOneHotDifference()).toBe(true);
    for (const columns of [256, 259, 5, 3, 2]) {
      const rows = 37;
      const p = tf.softmax(values([rows, columns], columns));
      const random = createRandom(columns);
      // every value, and two outside [0, columns): a one-hot of those is all zeros
      const v = tf.tensor1d(Array.from({ length: rows }, (_, r) => (r === 3 ? -1 : r === 4 ? columns : Math.floor(random.next() * columns))), 'int32');
      const g = values([rows], columns + 1);
      use(original);
      const composed = p.sub(tf.oneHot(v, columns).toFloat()).mul(g.reshape([rows, 1]));
      use(ours);
      const before = tf.memory().numTensors;
      const fused = tf.engine().runKernel(ONE_HOT_DIFFERENCE, { p, values: v, gradients: g }) as tf.Tensor;
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(fused.shape).toEqual([rows, columns]);
      expect(bits(await fused.data()), `${columns} columns`).toEqual(bits(await composed.data()));
      tf.dispose([p, v, g, composed, fused]);
    }
  });

  it('the softmax and its cross-entropy in one pass, as TF.js\'s kernel SOFTMAX_ROWS: p within 4 units in the last place of float64\'s softmax of l - m, m - l_v exact, and the sums', async () => {
    for (const columns of SOFTMAX_COLUMNS) {
      const { data, values: v, rows } = softmaxCase(columns);
      const logits = tf.tensor2d(data, [rows, columns]);
      const before = tf.memory().numTensors;
      const [p, offsets, sums] = tf.engine().runKernel(SOFTMAX_ROWS, { logits, values: tf.tensor1d(v, 'int32') }) as tf.Tensor[];
      expect(tf.memory().numTensors).toBe(before + 4); // the three outputs and the values
      const [pData, offsetData, sumData] = await Promise.all([p.data(), offsets.data(), sums.data()]);
      expectSoftmaxRows(data, v, columns, pData as Float32Array, offsetData as Float32Array, sumData as Float32Array);
      tf.dispose([logits, p, offsets, sums]);
    }
  });

  it('the cross-entropy of PixelCNN\'s rows by that pass where it can (256 values), by TF.js\'s ops where not (259): the same losses and gradients to float rounding', async () => {
    expect([hasSoftmaxRows(256), hasSoftmaxRows(259)]).toEqual([true, false]);
    for (const columns of [256, 259]) {
      const rows = 50;
      const logits = tf.tensor2d(Float32Array.from(seededValues(rows * columns, columns), (value) => value * 8), [rows, columns]);
      const v = tf.tensor1d(Int32Array.from({ length: rows }, (_, r) => (r * 71) % columns), 'int32');
      const weights = tf.tensor1d(seededValues(rows, 3));
      const lossAndGradient = () => tf.valueAndGrad((l: tf.Tensor) => softmaxCrossEntropy(l as tf.Tensor2D, v).mul(weights).sum() as tf.Scalar)(logits);
      const wasm = lossAndGradient();
      const [wasmLoss, wasmGradient] = [await wasm.value.data(), await wasm.grad.data()];
      await tf.setBackend('cpu');
      const [cpuLogits, cpuV, cpuWeights] = [tf.tensor2d(await logits.data(), logits.shape as [number, number]), tf.tensor1d(await v.data(), 'int32'), tf.tensor1d(await weights.data())];
      const cpu = tf.valueAndGrad((l: tf.Tensor) => softmaxCrossEntropy(l as tf.Tensor2D, cpuV).mul(cpuWeights).sum() as tf.Scalar)(cpuLogits);
      const [cpuLoss, cpuGradient] = [await cpu.value.data(), await cpu.grad.data()];
      tf.dispose([cpuLogits, cpuV, cpuWeights, cpu.value, cpu.grad]);
      await tf.setBackend('wasm');
      expect(Math.abs(wasmLoss[0] - cpuLoss[0]), `${columns} columns`).toBeLessThan(1e-5 * Math.abs(cpuLoss[0]));
      wasmGradient.forEach((value, i) => expect(Math.abs(value - cpuGradient[i])).toBeLessThan(1e-6));
      tf.dispose([logits, v, weights, wasm.value, wasm.grad]);
    }
  });
});

describe.each([false, true].filter((fused) => !fused || hasRelaxedSimd()))('softmaxRows in the module, fused multiply-add %s', (fused) => {
  it('gives p, the offsets and the sums within the same bounds as TF.js\'s kernel (whose variant depends on the engine)', () => {
    const memory = new WebAssembly.Memory({ initial: 4 });
    const kernels = instantiateKernels(memory, fused);
    for (const columns of SOFTMAX_COLUMNS) {
      const { data, values, rows } = softmaxCase(columns);
      const n = rows * columns;
      // logits, values, p, offsets, sums one after the other
      const [logits, valuesAt, p, offsets, sums] = [0, 4 * n, 4 * n + 4 * rows, 8 * n + 4 * rows, 8 * n + 8 * rows];
      new Float32Array(memory.buffer, logits, n).set(data);
      new Int32Array(memory.buffer, valuesAt, rows).set(values);
      kernels.softmaxRows(logits, valuesAt, p, offsets, sums, rows, columns);
      const read = (at: number, length: number) => new Float32Array(memory.buffer, at, length).slice();
      expectSoftmaxRows(data, values, columns, read(p, n), read(offsets, rows), read(sums, rows));
    }
  });

  it('takes relaxed SIMD\'s multiply-add in its exponential only in the fused variant', () => {
    const bytes = encodeModule([softmaxRows(fused)], false);
    // each of the four exponentials a turn: six multiply-adds (n, P by Estrin's scheme, r^2 P + r + 1) and two negated (r = z - n ln 2 in two parts)
    expect([relaxedOccurrences(bytes, 0x85), relaxedOccurrences(bytes, 0x86)]).toEqual(fused ? [6 * 4, 2 * 4] : [0, 0]);
  });
});
