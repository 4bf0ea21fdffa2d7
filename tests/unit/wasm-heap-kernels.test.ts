import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { collapseTranspose } from '../../src/core/wasm-heap-transpose';

/**
 * Our Slice, Transpose, leading-axes Sum, Identity, Cast, Tile, SplitV, Unpack, Concat, upsampling, PadV2 and GatherV2 on WASM (src/core/wasm-heap-kernels.ts) against
 * tfjs-backend-wasm's own kernels, run on the same inputs: all must agree bit for bit (a
 * sum too: a training run must not drift from what TF.js's kernels give).
 */
const KERNELS = ['Slice', 'Transpose', 'Sum', 'Identity', 'Cast', 'Tile', 'SplitV', 'Unpack', 'Concat', 'ResizeNearestNeighbor', 'Mean', 'PadV2', 'GatherV2'] as const;
let originals: Map<string, tf.KernelConfig>;
let ours: Map<string, tf.KernelConfig>;

const use = (kernels: Map<string, tf.KernelConfig>) => {
  for (const [name, config] of kernels) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
  }
};

/** The same computation with TF.js's kernels and with ours: [theirs, ours]. */
async function both<T extends tf.TypedArray>(compute: () => tf.Tensor): Promise<[T, T, number[]]> {
  use(originals);
  const reference = compute();
  use(ours);
  const before = tf.memory().numTensors;
  const result = compute();
  expect(tf.memory().numTensors).toBe(before + 1);
  expect(result.shape).toEqual(reference.shape);
  expect(result.dtype).toBe(reference.dtype);
  const values: [T, T, number[]] = [(await reference.data()) as T, (await result.data()) as T, result.shape];
  tf.dispose([reference, result]);
  return values;
}

/** Distinct values, so a value copied to the wrong place shows; int32 includes bit patterns of float NaNs. */
const numbered = (shape: number[], dtype: 'float32' | 'int32') =>
  dtype === 'float32' ? tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i * 0.5 - 7.25), shape) : tf.tensor(Int32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i % 2 ? -1 - i : i)), shape, 'int32');

describe('WASM data movement on the heap (Slice, Transpose, Sum over leading axes, Identity, Tile, SplitV, Concat, nearest upsampling)', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    originals = new Map(KERNELS.map((name) => [name, tf.getKernel(name, 'wasm')!]));
    await useNodeBackend('wasm');
    ours = new Map(KERNELS.map((name) => [name, tf.getKernel(name, 'wasm')!]));
    // our kernels really are registered (marked fixed), else this file compares TF.js with itself
    for (const name of KERNELS) expect((ours.get(name) as { fixed?: boolean }).fixed, name).toBe(true);
  });
  afterAll(() => use(ours));

  it('collapses neighbouring axes that stay neighbours and drops axes of size 1', () => {
    expect(collapseTranspose([64, 30, 30, 32], [3, 1, 2, 0])).toEqual({ shape: [64, 900, 32], perm: [2, 1, 0] });
    expect(collapseTranspose([64, 28, 28, 16], [1, 2, 0, 3])).toEqual({ shape: [64, 784, 16], perm: [1, 0, 2] });
    expect(collapseTranspose([2, 1, 3], [2, 1, 0])).toEqual({ shape: [2, 3], perm: [1, 0] });
    expect(collapseTranspose([4, 5, 6], [0, 1, 2])).toEqual({ shape: [120], perm: [0] });
    expect(collapseTranspose([2, 3, 4, 5, 6], [4, 0, 3, 1, 2])).toEqual({ shape: [2, 3 * 4, 5, 6], perm: [3, 0, 2, 1] });
  });

  it('Transpose: every permutation of 2, 3 and 4 axes (and 5, which goes to the original), float32 and int32, bit for bit', async () => {
    const permutations = (n: number): number[][] => (n === 1 ? [[0]] : permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)])));
    const shapes = [[7, 5], [3, 70, 2], [2, 3, 4, 5], [4, 1, 3, 67], [2, 3, 2, 3, 2]];
    let checked = 0;
    for (const shape of shapes) {
      for (const dtype of ['float32', 'int32'] as const) {
        const x = numbered(shape, dtype);
        for (const perm of permutations(shape.length)) {
          const [expected, actual] = await both(() => x.transpose(perm));
          expect(Array.from(actual), `${shape} by ${perm} (${dtype})`).toEqual(Array.from(expected));
          checked += 1;
        }
        x.dispose();
      }
    }
    expect(checked).toBe(2 * (2 + 6 + 24 + 24 + 120));
  });

  it('Transpose of the filter gradient\'s layout, larger than a tile: [64, 30, 30, 3] -> [3, 30, 30, 64]', async () => {
    const x = numbered([70, 9, 9, 3], 'float32');
    const [expected, actual] = await both(() => x.transpose([3, 1, 2, 0]));
    expect(Array.from(actual)).toEqual(Array.from(expected));
    x.dispose();
  });

  it('Tile: scalars, broadcasts of a bias gradient and of a bool mask, repeats of every axis, reps of 1, rank 1 to 4, float32, int32 and bool, bit for bit', async () => {
    const cases: [number[], number[]][] = [
      [[], []], [[1, 1, 1, 32], [64, 14, 14, 1]], [[1, 1, 1, 3136], [1, 1, 64, 1]], [[2, 3, 4], [3, 1, 2]], [[5], [4]], [[3, 1, 2, 5], [2, 4, 1, 3]], [[2, 3], [1, 1]], [[4, 2], [0, 3]],
    ];
    for (const [shape, reps] of cases) for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const x = dtype === 'bool' ? tf.tidy(() => numbered(shape, 'int32').greater(0)) : numbered(shape, dtype);
      const [theirs, ours, outShape] = await both(() => x.tile(reps));
      expect(outShape, `${shape} by ${reps}`).toEqual(shape.map((size, axis) => size * reps[axis]));
      if (shape.length === 0) expect(ours.length).toBe(1); // a scalar stays itself
      expect(ours, `${shape} by ${reps} ${dtype}`).toEqual(theirs);
      x.dispose();
    }
  });

  it('SplitV and Concat: every axis, equal and unequal pieces, empty pieces, float32 and int32, bit for bit', async () => {
    for (const dtype of ['float32', 'int32'] as const) {
      const x = numbered([3, 4, 5, 6], dtype);
      for (const axis of [0, 1, 2, 3, -1]) {
        const size = x.shape[axis < 0 ? 3 : axis];
        for (const splits of [[1, size - 1], [0, size], ...(size % 2 ? [] : [2])] as (number | number[])[]) {
          // both: one output each, so split then concatenate the pieces back (a concat of 2 or 3 inputs)
          const [theirs, ours] = await both(() => tf.tidy(() => {
            const pieces = tf.split(x, splits, axis);
            return tf.concat([...pieces, pieces[pieces.length - 1]], axis);
          }));
          expect(ours, `${dtype} axis ${axis} splits ${splits}`).toEqual(theirs);
        }
      }
      x.dispose();
    }
  });

  it('Unpack (tf.unstack, the gradient of tf.stack): every axis, rank 1 to 4, float32, int32 and bool, bit for bit', async () => {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      for (const shape of [[5], [4, 3], [3, 1, 4], [2, 3, 4, 5]]) {
        const x = dtype === 'bool' ? tf.tidy(() => numbered(shape, 'int32').greater(0)) : numbered(shape, dtype);
        for (let axis = -1; axis < shape.length; axis++) {
          // both: one output each, so the pieces are stacked back in reverse order (a misplaced piece shows)
          const [theirs, ours, outShape] = await both(() => tf.tidy(() => tf.stack(tf.unstack(x, axis).reverse(), axis)));
          expect(ours, `${dtype} ${shape} axis ${axis}`).toEqual(theirs);
          expect(outShape).toEqual(shape);
        }
        x.dispose();
      }
    }
    // the pieces' own shapes: the axis dropped
    const pieces = tf.unstack(numbered([2, 3, 4], 'float32'), 1);
    expect(pieces.map((p) => p.shape)).toEqual([[2, 4], [2, 4], [2, 4]]);
    expect(Array.from(await pieces[1].data())).toEqual([-5.25, -4.75, -4.25, -3.75, 0.75, 1.25, 1.75, 2.25]);
    tf.dispose(pieces);
  });

  it('ResizeNearestNeighbor by whole factors (upsampling layers) agrees bit for bit, channels in fours and not; int32 images (made float32, as TF.js\'s kernel makes them) and other resizes are TF.js\'s', async () => {
    for (const [channels, dtype] of [[4, 'float32'], [3, 'float32'], [6, 'int32']] as const) {
      const x = numbered([2, 3, 5, channels], dtype);
      for (const [size, alignCorners, halfPixelCenters] of [[[6, 10], false, false], [[9, 5], false, false], [[3, 15], false, false], [[6, 10], true, false], [[7, 11], false, false], [[6, 10], false, true]] as [[number, number], boolean, boolean][]) {
        const [theirs, ours, shape] = await both(() => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, size, alignCorners, halfPixelCenters));
        expect(shape).toEqual([2, ...size, channels]);
        expect(ours, `${size} ${alignCorners} ${halfPixelCenters}, ${channels} ${dtype} channels`).toEqual(theirs);
      }
      x.dispose();
    }
  });

  it('PadV2: rank 1 to 4, every axis padded or not, constants 0, -0 (written as 0, as TF.js does) and 1.5, float32 and int32, bit for bit, on reused memory', async () => {
    const cases: [number[], [number, number][]][] = [
      [[5], [[2, 3]]], [[3, 4], [[1, 0], [0, 2]]], [[2, 3, 4], [[0, 0], [1, 1], [0, 0]]], [[16, 6, 6, 3], [[0, 0], [2, 0], [1, 1], [0, 0]]], [[2, 3, 4, 5], [[1, 2], [0, 1], [2, 0], [1, 1]]], [[2, 2], [[0, 0], [0, 0]]],
    ];
    for (const [shape, paddings] of cases) for (const dtype of ['float32', 'int32'] as const) for (const constant of [0, -0, 1.5]) {
      const x = numbered(shape, dtype);
      const size = shape.reduce((total, extent, axis) => total * (extent + paddings[axis][0] + paddings[axis][1]), 1);
      // the output's memory freed just before by a tensor of sevens: a border left unfilled shows
      const [theirs, ours, outShape] = await both(() => {
        tf.fill([size], 7, dtype).dispose();
        return x.pad(paddings, constant);
      });
      expect(outShape).toEqual(shape.map((size, axis) => size + paddings[axis][0] + paddings[axis][1]));
      expect(ours, `${shape} ${JSON.stringify(paddings)} ${dtype} ${Object.is(constant, -0) ? '-0' : constant}`).toEqual(theirs);
      x.dispose();
    }
  });

  it('GatherV2: every axis, single values and long runs, repeated and matrix-shaped indices, float32 and int32, bit for bit; an index out of range is TF.js\'s error', async () => {
    const cases: Array<[number[], number, number[], number[]]> = [
      // shape, axis, indices, indices' shape
      [[7], 0, [6, 0, 3, 3], [4]],
      [[300, 5], 0, [299, 0, 17, 17, 150], [5]],
      [[40, 28, 28, 1], 0, [39, 2, 2, 11], [4]],
      [[3, 4, 5], 1, [3, 0, 1], [3]],
      [[3, 4, 5], 2, [4, 0, 2, 2, 1, 3], [2, 3]],
      [[2, 3, 100], 1, [], [0]],
    ];
    for (const [shape, axis, picked, pickedShape] of cases) for (const dtype of ['float32', 'int32'] as const) {
      const [x, indices] = [numbered(shape, dtype), tf.tensor(picked, pickedShape, 'int32')];
      const [theirs, ours, outShape] = await both(() => tf.gather(x, indices, axis));
      expect(outShape).toEqual([...shape.slice(0, axis), ...pickedShape, ...shape.slice(axis + 1)]);
      expect(ours, `${shape} axis ${axis} ${picked} ${dtype}`).toEqual(theirs);
      tf.dispose([x, indices]);
    }
    const [x, wrong] = [numbered([4, 2], 'float32'), tf.tensor1d([1, 4], 'int32')];
    use(ours);
    expect(() => tf.gather(x, wrong)).toThrow('GatherV2: the index value 4 is not in [0, 3]');
    tf.dispose([x, wrong]);
  });

  it('Slice: runs, inner cuts, whole trailing axes, rank 1 to 4, float32 and int32, bit for bit', async () => {
    const cases: Array<[number[], number[], number[]]> = [
      [[5], [1], [3]],
      [[6, 7], [2, 1], [3, 5]],
      [[6, 7], [2, 0], [3, 7]],
      [[4, 6, 8], [1, 2, 3], [2, 3, 4]],
      [[4, 6, 8], [1, 0, 0], [2, 6, 8]],
      [[3, 30, 30, 8], [0, 1, 1, 0], [3, 28, 28, 8]],
      [[3, 30, 30, 8], [1, 0, 0, 0], [2, 30, 30, 8]],
      [[3, 5, 70, 2], [0, 2, 1, 1], [-1, 2, 68, 1]],
      [[2, 3, 4, 5], [0, 0, 0, 0], [2, 3, 4, 5]],
      [[2, 3, 4, 5], [1, 1, 1, 1], [0, 2, 2, 2]],
      // axes of size 1, which the walk leaves out: inside, first, last, and all of them
      [[7, 1, 3, 5], [0, 0, 1, 0], [7, 1, 1, 5]],
      [[1, 6, 1, 4], [0, 2, 0, 1], [1, 3, 1, 2]],
      [[5, 4, 1], [1, 0, 0], [3, 4, 1]],
      [[1, 1, 1], [0, 0, 0], [1, 1, 1]],
    ];
    for (const [shape, begin, size] of cases) {
      for (const dtype of ['float32', 'int32'] as const) {
        const x = numbered(shape, dtype);
        const [expected, actual] = await both(() => x.slice(begin, size));
        expect(Array.from(actual), `${shape} from ${begin} size ${size} (${dtype})`).toEqual(Array.from(expected));
        x.dispose();
      }
    }
    const scalar = tf.tensor1d([3.5]);
    const [expected, actual] = await both(() => tf.slice(scalar, [0], [1]));
    expect(Array.from(actual)).toEqual(Array.from(expected));
    scalar.dispose();
  });

  it('Identity shares its input\'s buffer: the clone reads the same values, outlives its source and is freed with its last owner', async () => {
    use(ours);
    const x = numbered([3, 4, 5], 'float32');
    const bytesBefore = tf.memory().numBytes;
    const copy = x.clone();
    expect(Array.from(await copy.data())).toEqual(Array.from(await x.data()));
    x.dispose();
    expect(Array.from(await copy.data())).toEqual(Array.from({ length: 60 }, (_, i) => i * 0.5 - 7.25));
    copy.dispose();
    expect(tf.memory().numBytes).toBe(bytesBefore - 60 * 4);
    // a variable's assign replaces its buffer, never writes into it: the clone taken before keeps the old values
    const variable = tf.variable(tf.tensor1d([1, 2, 3]));
    const before = variable.clone();
    variable.assign(tf.tensor1d([7, 8, 9]));
    expect(Array.from(await before.data())).toEqual([1, 2, 3]);
    tf.dispose([variable, before]);
  });

  it('Cast to its own type shares the buffer (the gradient of a product casts both factors); to another type it converts as TF.js does', async () => {
    for (const dtype of ['float32', 'int32'] as const) {
      const x = numbered([4, 6], dtype);
      const [expected, actual] = await both(() => tf.cast(x, dtype));
      expect(Array.from(actual)).toEqual(Array.from(expected));
      // TF.js's kernel writes a copy, ours hands back x's own buffer
      const shares = (kernels: Map<string, tf.KernelConfig>) => {
        use(kernels);
        const cast = tf.cast(x, dtype);
        const shared = cast.dataId === x.dataId;
        cast.dispose();
        return shared;
      };
      expect([shares(originals), shares(ours)]).toEqual([false, true]);
      expect(Array.from(await x.data())).toEqual(Array.from(expected));
      x.dispose();
    }
    const fractions = tf.tensor1d([-2.5, -0.5, 0, 0.5, 1.75, 3e9]);
    for (const dtype of ['int32', 'bool'] as const) {
      const [expected, actual] = await both(() => tf.cast(fractions, dtype));
      expect(Array.from(actual), dtype).toEqual(Array.from(expected));
    }
    const flags = tf.tensor1d([1, 0, 1], 'bool');
    const [expected, actual] = await both(() => tf.cast(flags, 'float32'));
    expect(Array.from(actual)).toEqual(Array.from(expected));
    tf.dispose([fractions, flags]);
    // the gradient of x * y is (y, x), through two casts to float32
    const [x, y] = [tf.tensor1d([1, 2, 3]), tf.tensor1d([4, 5, 6])];
    const [dx, dy] = tf.grads((a: tf.Tensor, b: tf.Tensor) => a.mul(b))([x, y]);
    expect([Array.from(await dx.data()), Array.from(await dy.data())]).toEqual([[4, 5, 6], [1, 2, 3]]);
    tf.dispose([x, y, dx, dy]);
  });

  it('Sum and Mean over leading axes (bias gradients, batch-norm moments) agree bit for bit, keepDims too; other reductions are TF.js\'s', async () => {
    const x = tf.tensor(Float32Array.from({ length: 8 * 9 * 10 * 6 }, (_, i) => Math.sin(i * 0.37)), [8, 9, 10, 6]);
    for (const reduce of ['sum', 'mean'] as const) {
      for (const [axes, keepDims] of [[[0, 1, 2], false], [[0, 1, 2], true], [[0], false], [[0, 1], true], [[1, 2], false], [[3], false], [[0, 1, 2, 3], false]] as const) {
        const [expected, actual, shape] = await both(() => x[reduce]([...axes], keepDims));
        expect(shape, `axes ${axes}`).toEqual(tf.util.parseAxisParam([...axes], x.shape).length === 4 ? [] : shape);
        expect(Array.from(actual), `${reduce} over axes ${axes}`).toEqual(Array.from(expected));
      }
    }
    // many rows through every block our sums take: 4 vectors of totals (16 columns), then 1 (24), then single numbers (19, 35)
    for (const columns of [16, 19, 24, 35]) {
      const y = tf.tensor(Float32Array.from({ length: 700 * columns }, (_, i) => Math.cos(i * 0.11) * (1 + (i % 7))), [20, 35, columns]);
      const [expected, actual] = await both(() => y.sum([0, 1]));
      expect(Array.from(actual), `${columns} columns`).toEqual(Array.from(expected));
      y.dispose();
    }
    x.dispose();
  });
});
