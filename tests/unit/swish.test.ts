/**
 * Swish with its gradient written out (src/core/models/swish.ts), and on WASM its forward pass
 * and its gradient each one kernel of ours (src/core/wasm-heap-activations.ts,
 * wasm-simd/exp-kernels.ts): the values of tfjs-layers' swish (to the bit on the CPU, within a
 * few units in the last place of the true ones on WASM), a gradient that is the calculus' one,
 * the same bits from our gradient kernel as from TF.js's ops.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { traceKernels } from '../../src/core/kernel-trace';
import { swish, swishGradient } from '../../src/core/models/swish';
import { hasSwishGradient, sigmoidAndSwish, SWISH, SWISH_GRADIENT } from '../../src/core/wasm-heap-activations';
import { relaxedOccurrences, seededValues, tensorBits, ulpsApart } from './wasm-simd-helpers';
import { allowRelaxedSimd } from '../../src/cli/node-backend';
import { encodeModule } from '../../src/core/wasm-simd/encoder';
import { swishForward } from '../../src/core/wasm-simd/exp-kernels';
import { hasRelaxedSimd, instantiateKernels } from '../../src/core/wasm-simd/kernels';

// Node 20 has relaxed SIMD behind a flag; with it on, the WASM backend's Swish in this file's backend
// tests runs our kernels' fused variant too, as a browser with relaxed SIMD does
allowRelaxedSimd();
import { onNodeBackend } from './helpers';

/** tfjs-layers' own swish activation. */
const layersSwish = (x: tf.Tensor) => (tf.layers.activation({ activation: 'swish' }).apply(x) as tf.Tensor);

/** d/dx x sigmoid(x) in float64: sigmoid(x) (1 + x (1 - sigmoid(x))). */
const exactGradient = (x: number) => {
  const s = 1 / (1 + Math.exp(-x));
  return s * (1 + x * (1 - s));
};

/** Inputs across swish's shape: its minimum near -1.28, both tails, exact zeros and large values. */
const inputs = (n: number, seed: number) => Float32Array.from(seededValues(n, seed), (v, i) => (i % 17 === 0 ? 0 : i % 13 === 0 ? v * 40 : v * 6));

describe.each(['wasm', 'cpu'] as const)('Swish with its gradient written out (%s)', (backend) => {
  onNodeBackend(backend);

  it('computes the values of tfjs-layers\' swish (to the bit on the CPU), and the gradient of x sigmoid(x)', async () => {
    const x = tf.tensor(inputs(1000, 3), [10, 100]);
    const dy = tf.tensor(seededValues(1000, 4), [10, 100]);
    const [ours, theirs] = [swish(x), layersSwish(x)];
    if (backend === 'cpu') expect(Array.from(await ours.data())).toEqual(Array.from(await theirs.data()));
    // on WASM our own sigmoid (tested below): within 4 units in the last place of XNNPACK's, 2 or 3 from the truth each
    else (await ours.data()).forEach((value, i) => expect(ulpsApart(value, (theirs.dataSync() as Float32Array)[i]), `x = ${x.dataSync()[i]}`).toBeLessThanOrEqual(4));
    // dL/dx for L = sum(dy * swish(x)): dy times the derivative
    const gradient = tf.grad((input: tf.Tensor) => swish(input).mul(dy).sum())(x);
    const [g, xs, ds] = [await gradient.data(), await x.data(), await dy.data()];
    g.forEach((value, i) => expect(Math.abs(value - ds[i] * exactGradient(xs[i])), `x = ${xs[i]}`).toBeLessThan(1e-6 * (1 + Math.abs(xs[i]))));
    // and TF.js's gradient of tfjs-layers' composition, to float32 rounding
    const layersGradient = await tf.grad((input: tf.Tensor) => layersSwish(input).mul(dy).sum())(x).data();
    g.forEach((value, i) => expect(Math.abs(value - layersGradient[i])).toBeLessThan(1e-6 * (1 + Math.abs(xs[i]))));
    tf.dispose([x, dy, ours, theirs, gradient]);
  });

  it('leaves no tensor behind, forwards and backwards', () => {
    const x = tf.tensor(inputs(64, 5), [8, 8]);
    const before = tf.memory().numTensors;
    tf.tidy(() => void tf.grad((input: tf.Tensor) => swish(input).sum())(x));
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe('Swish\'s forward pass as one WASM kernel', () => {
  onNodeBackend('wasm');

  it('gives sigmoid within 2 units in the last place of the true value, and x sigmoid(x) within 3, from -87 to 87', async () => {
    const n = 200_003; // not a multiple of the kernel's 16 a turn: the tail too
    const xs = Float32Array.from({ length: n }, (_, i) => -87 + (174 * i) / (n - 1));
    const x = tf.tensor1d(xs);
    const [s, y] = sigmoidAndSwish(x);
    const [sv, yv] = [await s.data(), await y.data()];
    let [worstS, worstY] = [0, 0];
    xs.forEach((v, i) => {
      const exact = 1 / (1 + Math.exp(-v));
      worstS = Math.max(worstS, ulpsApart(sv[i], Math.fround(exact)));
      worstY = Math.max(worstY, ulpsApart(yv[i], Math.fround(v * exact)));
    });
    expect(worstS).toBeLessThanOrEqual(2);
    expect(worstY).toBeLessThanOrEqual(3);
    tf.dispose([x, s, y]);
  });

  it('handles every length (turns of 16, vectors of 4 and single tails), zeros, infinities, NaN and underflow as TF.js does', async () => {
    for (let n = 1; n <= 40; n++) {
      const xs = inputs(n, n + 100);
      const x = tf.tensor1d(xs);
      const [s, y] = sigmoidAndSwish(x);
      const [sv, yv] = [await s.data(), await y.data()];
      xs.forEach((v, i) => expect(ulpsApart(sv[i], Math.fround(1 / (1 + Math.exp(-v)))), `length ${n}, x = ${v}`).toBeLessThanOrEqual(2));
      expect(Array.from(yv, (value, i) => Math.abs(value - xs[i] * sv[i]) <= 1e-6 * Math.abs(xs[i] * sv[i]))).not.toContain(false);
      tf.dispose([x, s, y]);
    }
    const special = [0, -0, Infinity, -Infinity, NaN, 90, -90, -87.4, 1e-30];
    const x = tf.tensor1d(special);
    const [s, y] = sigmoidAndSwish(x);
    const [theirS, theirY] = [tf.sigmoid(x), tf.mul(tf.sigmoid(x), x)];
    expect(Array.from(await s.data())).toEqual(Array.from(await theirS.data()));
    expect(Array.from(await y.data())).toEqual(Array.from(await theirY.data()));
    tf.dispose([x, s, y, theirS, theirY]);
  });

  it('is what the energy network runs forwards: one kernel, no sigmoid or product of TF.js\'s', async () => {
    const x = tf.tensor(inputs(2 * 8 * 8, 9), [2, 8, 8, 1]);
    const trace = await traceKernels(async () => {
      const y = swish(x);
      await y.data();
      y.dispose();
    });
    const calls = (name: string) => trace.kernels.find((kernel) => kernel.name === name)?.calls ?? 0;
    expect([calls(SWISH), calls('Sigmoid'), calls('Multiply')]).toEqual([1, 0, 0]);
    x.dispose();
  });
});

describe.each([false, true].filter((fused) => !fused || hasRelaxedSimd()))('Swish\'s forward kernel, fused multiply-add %s', (fused) => {
  // the page runs our kernels with relaxed SIMD's multiply-add where the browser has it (its exponential's
  // polynomial then rounds once a step): the same bounds hold either way, on the module itself
  const memory = new WebAssembly.Memory({ initial: 64 });
  const kernels = instantiateKernels(memory, fused);

  /** [s, y] of `xs` by the module's swishForward. */
  const run = (xs: Float32Array) => {
    const heap = new Float32Array(memory.buffer);
    const n = xs.length;
    heap.set(xs, 0);
    kernels.swishForward(0, 4 * n, 8 * n, n);
    return [heap.slice(n, 2 * n), heap.slice(2 * n, 3 * n)];
  };

  it('gives sigmoid within 2 units in the last place of the true value, and x sigmoid(x) within 3, from -87 to 87', () => {
    const n = 200_003;
    const xs = Float32Array.from({ length: n }, (_, i) => -87 + (174 * i) / (n - 1));
    const [sv, yv] = run(xs);
    let [worstS, worstY] = [0, 0];
    xs.forEach((v, i) => {
      const exact = 1 / (1 + Math.exp(-v));
      worstS = Math.max(worstS, ulpsApart(sv[i], Math.fround(exact)));
      worstY = Math.max(worstY, ulpsApart(yv[i], Math.fround(v * exact)));
    });
    expect(worstS).toBeLessThanOrEqual(2);
    expect(worstY).toBeLessThanOrEqual(3);
  });

  it('gives 0, 1/2, 1 and NaN where TF.js does: zeros, infinities, NaN, underflow', () => {
    const [sv] = run(Float32Array.from([0, -0, Infinity, -Infinity, NaN, 90, -90, -87.4, 1e-30]));
    expect(Array.from(sv)).toEqual([0.5, 0.5, 1, 0, NaN, 1, 0, 0, 0.5]);
  });
});

describe('Swish\'s forward kernel\'s two variants', () => {
  it('has relaxed SIMD\'s multiply-adds in the fused variant only: each sigmoid\'s eight, in four lanes of the loop and its tail', () => {
    const [plain, fused] = [false, true].map((variant) => encodeModule([swishForward(4, variant)], false));
    expect([relaxedOccurrences(plain, 0x85), relaxedOccurrences(plain, 0x86)]).toEqual([0, 0]);
    // per sigmoid: six a b + c (n, the polynomial's five) and two c - a b (r's two parts of n ln 2); 4 unrolled + 1 tail
    expect([relaxedOccurrences(fused, 0x85), relaxedOccurrences(fused, 0x86)]).toEqual([6 * 5, 2 * 5]);
  });

  it.runIf(hasRelaxedSimd())('rounds differently where the engine fuses: some last bits differ between the two', () => {
    const n = 4096;
    const xs = Float32Array.from({ length: n }, (_, i) => -20 + (40 * i) / (n - 1));
    const [plain, fused] = [false, true].map((variant) => {
      const memory = new WebAssembly.Memory({ initial: 1 });
      const heap = new Float32Array(memory.buffer);
      heap.set(xs, 0);
      instantiateKernels(memory, variant).swishForward(0, 4 * n, 8 * n, n);
      return heap.slice(n, 2 * n);
    });
    const differing = plain.filter((value, i) => value !== fused[i]).length;
    expect(differing).toBeGreaterThan(0);
    // and never by more than the bounds above allow between two values each within 2 of the truth
    plain.forEach((value, i) => expect(ulpsApart(value, fused[i])).toBeLessThanOrEqual(4));
  });
});

describe('Swish\'s gradient as one WASM kernel', () => {
  onNodeBackend('wasm');

  it('gives the bits of TF.js\'s ops, at every length (vectors of 4 and the tail), with infinities and NaN', async () => {
    expect(hasSwishGradient()).toBe(true);
    for (const n of [1, 2, 3, 4, 5, 7, 8, 13, 64, 1001]) {
      const xs = inputs(n, n);
      if (n > 8) xs.set([Infinity, -Infinity, NaN, 1e30], 3);
      const x = tf.tensor1d(xs);
      const [s, y, dy] = [tf.sigmoid(x), swish(x), tf.tensor1d(seededValues(n, n + 1))];
      const [ours, theirs] = [swishGradient(dy, s, y), tf.mul(dy, tf.add(s, tf.mul(y, tf.sub(1, s))))];
      // compared as bit patterns (NaN == NaN)
      expect(await tensorBits(ours), `length ${n}`).toEqual(await tensorBits(theirs));
      tf.dispose([x, s, y, dy, ours, theirs]);
    }
  });

  it('is what the energy network\'s input gradient runs: one kernel per layer, no casts', async () => {
    const x = tf.tensor(inputs(2 * 8 * 8, 9), [2, 8, 8, 1]);
    const trace = await traceKernels(async () => {
      const gradient = tf.grad((input: tf.Tensor) => swish(input).sum())(x);
      await gradient.data();
      gradient.dispose();
    });
    const calls = (name: string) => trace.kernels.find((kernel) => kernel.name === name)?.calls ?? 0;
    expect([calls(SWISH_GRADIENT), calls('Cast'), calls('Sub')]).toEqual([1, 0, 0]);
    x.dispose();
  });
});
