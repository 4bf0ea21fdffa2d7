/**
 * ELU's forward pass on WASM by our kernel (wasm-simd/exp-kernels.ts, eluForward, in place of
 * tfjs-backend-wasm's Elu): x where x >= 0, else exp(x) - 1 taken as 2^n q + (2^n - 1), so
 * that small x keep their digits. Against float64's expm1, in both variants of the module
 * (with relaxed SIMD's fused multiply-add and without) and through TF.js's Elu, whose gradient
 * (EluGrad) then takes our values.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { allowRelaxedSimd } from '../../src/cli/node-backend';
import { traceKernels } from '../../src/core/kernel-trace';
import { useEluKernel } from '../../src/core/wasm-heap-activations';
import { encodeModule } from '../../src/core/wasm-simd/encoder';
import { eluForward } from '../../src/core/wasm-simd/exp-kernels';
import { hasRelaxedSimd, instantiateKernels } from '../../src/core/wasm-simd/kernels';
import { onNodeBackend } from './helpers';
import { relaxedOccurrences, seededValues, tensorBits, ulpsApart } from './wasm-simd-helpers';

allowRelaxedSimd();

/** ELU in float64, rounded to float32: the true value. */
const exactElu = (x: number) => Math.fround(x >= 0 ? x : Math.expm1(x));

describe.each([false, true].filter((fused) => !fused || hasRelaxedSimd()))('ELU\'s forward kernel, fused multiply-add %s', (fused) => {
  const memory = new WebAssembly.Memory({ initial: 64 });
  const kernels = instantiateKernels(memory, fused);

  /** elu of `xs` by the module's eluForward. */
  const run = (xs: Float32Array) => {
    const heap = new Float32Array(memory.buffer);
    heap.set(xs, 0);
    kernels.eluForward(0, 4 * xs.length, xs.length);
    return heap.slice(xs.length, 2 * xs.length);
  };

  it('is within 1 unit in the last place of the true value from -100 to 10, tiny negatives too', () => {
    const n = 400_003;
    const xs = Float32Array.from({ length: n }, (_, i) => -100 + (110 * i) / (n - 1));
    // where exp(x) - 1 computed plainly keeps only a few digits: -1e-3 to -1e-38
    const tiny = Float32Array.from({ length: 701 }, (_, i) => -(10 ** (-3 - (35 * i) / 700)));
    for (const values of [xs, tiny]) {
      const out = run(values);
      let worst = 0;
      values.forEach((x, i) => (worst = Math.max(worst, ulpsApart(out[i], exactElu(x)))));
      expect(worst).toBeLessThanOrEqual(1);
    }
  });

  it('keeps -0, NaN, infinities and the far tail as TF.js does, at every length (four vectors a turn, then one number)', () => {
    const specials = [0, -0, NaN, Infinity, -Infinity, -87.4, -88, -1e30, 1e30, 1e-30, -1e-30];
    expect(Array.from(run(Float32Array.from(specials)))).toEqual([0, -0, NaN, Infinity, -1, -1, -1, -1, Math.fround(1e30), Math.fround(1e-30), Math.fround(-1e-30)]);
    for (const length of [1, 3, 15, 16, 17, 33]) {
      const xs = Float32Array.from(seededValues(length, length), (v) => v * 8);
      const out = run(xs);
      xs.forEach((x, i) => expect(ulpsApart(out[i], exactElu(x)), `length ${length}, number ${i}`).toBeLessThanOrEqual(1));
    }
  });
});

describe('ELU\'s forward kernel\'s two variants', () => {
  it('has relaxed SIMD\'s multiply-adds in the fused variant only: seven a b + c and two c - a b an ELU, in four lanes of the loop and its tail', () => {
    const [plain, fused] = [false, true].map((variant) => encodeModule([eluForward(4, variant)], false));
    expect([relaxedOccurrences(plain, 0x85), relaxedOccurrences(plain, 0x86)]).toEqual([0, 0]);
    // n, the polynomial's four, q = r^2 P + r and 2^n q + (2^n - 1): 7; r's two parts of n ln 2: 2
    expect([relaxedOccurrences(fused, 0x85), relaxedOccurrences(fused, 0x86)]).toEqual([7 * 5, 2 * 5]);
  });
});

describe('TF.js\'s Elu on WASM', () => {
  onNodeBackend('wasm');

  it('runs our kernel, within 1 unit in the last place of the true values; its gradient is TF.js\'s EluGrad on them', async () => {
    const xs = Float32Array.from(seededValues(22 * 7 * 7 * 16 + 3, 5), (v, i) => (i % 11 === 0 ? v * 1e-6 : v * 6));
    const x = tf.tensor1d(xs);
    const dy = tf.tensor1d(seededValues(xs.length, 6));
    const trace = await traceKernels(async () => {
      const y = tf.elu(x);
      await y.data();
      y.dispose();
    });
    expect(trace.kernels.map((kernel) => kernel.name)).toEqual(['Elu']);
    const y = tf.elu(x);
    const ours = (await y.data()) as Float32Array;
    // tfjs-backend-wasm's own kernel, our switch off: other bits (XNNPACK's), so ours ran above
    useEluKernel(false);
    const theirs = tf.elu(x);
    useEluKernel(true);
    expect(await tensorBits(theirs)).not.toEqual(await tensorBits(y));
    const gradient = await tf.grad((input: tf.Tensor) => tf.elu(input))(x, dy).data();
    // against the true values: TF.js's CPU backend takes exp(x) - 1 in float64, which near 0 keeps
    // only some of a float32's digits (6 units in the last place off at x = -6e-11)
    let worst = 0;
    xs.forEach((value, i) => (worst = Math.max(worst, ulpsApart(ours[i], exactElu(value)))));
    expect(worst).toBeLessThanOrEqual(1);
    // EluGrad: dy where y > 0, else dy (y + 1) in float64, rounded once
    const dys = await dy.data();
    gradient.forEach((g, i) => expect(g, `gradient ${i}`).toBe(ours[i] > 0 ? dys[i] : Math.fround(dys[i] * (ours[i] + 1))));
    tf.dispose([x, dy, y, theirs]);
  });
});

describe.each([false, true].filter((fused) => !fused || hasRelaxedSimd()))('ELU\'s gradient kernel, fused multiply-add %s', (fused) => {
  it('gives the bits of dy (y + 1) taken in float64 and rounded (TF.js\'s EluGrad): y = ELU(x) and any y, y = -1, zeros, infinities and NaN', () => {
    const n = 4099;
    const ys = Float32Array.from(seededValues(n, 3), (v, i) => (i % 3 === 0 ? Math.fround(Math.expm1(v * 5)) : i % 7 === 0 ? 0 : v * 4));
    const dys = Float32Array.from(seededValues(n, 4), (v, i) => (i % 13 === 0 ? -0 : v * 1e3));
    ys.set([-Infinity, NaN, -1, -0, 1e-40, -1e-40, -1, -0.5, -1, -1, -1], 10);
    dys.set([Infinity, Infinity, Infinity, -Infinity, 3, 0, NaN, -Infinity, -2.5, 7, -1e-30], 10);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const heap = new Float32Array(memory.buffer);
    heap.set(dys, 0);
    heap.set(ys, n);
    instantiateKernels(memory, fused).eluGradient(0, 4 * n, 8 * n, n);
    const out = heap.slice(2 * n, 3 * n);
    const expected = Float32Array.from(ys, (y, i) => (y > 0 ? dys[i] : dys[i] * (y + 1)));
    // as bit patterns, but any NaN for NaN (its sign and payload are the engine's), and within a unit
    // in the last place where float64 cannot hold dy (y + 1) and rounds twice (0 < |y| < 2^-6, next test)
    const pattern = (values: Float32Array) => Array.from(new Uint32Array(Float32Array.from(values, (v) => (Number.isNaN(v) ? NaN : v)).buffer));
    const [got, want] = [pattern(out), pattern(expected)];
    ys.forEach((y, i) => {
      if (y !== 0 && Math.abs(y) < 2 ** -6) expect(ulpsApart(out[i], expected[i]), `number ${i}`).toBeLessThanOrEqual(1);
      // at y = -1 the fused sum dy (-1) + dy is +0 where dy 0 may be -0: a zero of either sign
      else if (fused && y === -1 && Number.isFinite(dys[i])) expect(out[i] === 0 && expected[i] === 0, `number ${i}: y -1, dy ${dys[i]}`).toBe(true);
      else expect(got[i], `number ${i}: y ${y}, dy ${dys[i]}`).toBe(want[i]);
    });
  });

  it('rounds dy (y + 1) once where float64 cannot hold it (|y| < 2^-6): within a unit in the last place of TF.js\'s twice-rounded value', () => {
    // y = -A 2^-33 and dy = D 2^-23 with 24-bit A and D: dy (y + 1) takes 57 bits; D A mod 2^33 near 2^32 puts it near a float32 tie
    const pairs: Array<[number, number]> = [];
    for (let a = 2 ** 23 + 1; pairs.length < 400; a += 2) pairs.push([(2 ** 23 + ((a * 2654435761) % 2 ** 23)) * 2 ** -23, -a * 2 ** -33]);
    const n = pairs.length;
    const memory = new WebAssembly.Memory({ initial: 1 });
    const heap = new Float32Array(memory.buffer);
    pairs.forEach(([dy, y], i) => {
      heap[i] = dy;
      heap[n + i] = y;
    });
    instantiateKernels(memory, fused).eluGradient(0, 4 * n, 8 * n, n);
    pairs.forEach(([dy, y], i) => expect(ulpsApart(heap[2 * n + i], Math.fround(dy * (y + 1))), `pair ${i}`).toBeLessThanOrEqual(1));
  });
});
