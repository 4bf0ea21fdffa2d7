import { describe, expect, it } from 'vitest';
import { axisAlgorithm, minimalFiltering, paddedFiltering, type AxisAlgorithm } from '../../src/core/wasm-simd/phase-algorithms';
import { byPhases, phasesPay } from '../../src/core/wasm-simd/strided-winograd';
import { instantiateKernels } from '../../src/core/wasm-simd/kernels';
import type { Axis } from '../../src/core/wasm-simd/strided';
import { float32Bits, seededValues } from './wasm-simd-helpers';

/**
 * Winograd's minimal filtering over a strided convolution's phases (phase-algorithms.ts), the
 * weighted sums that apply its transforms (weightedSums, copy-kernels.ts), and which passes take
 * it (strided-winograd.ts). The passes themselves agree with TF.js's CPU kernels in
 * wasm-simd-convolution.test.ts.
 */

/** Direct sums along one axis, in float64: forwards y[o] = sum_t w[t] x[o s - p + t], for the input gradient dx[i] = the same products summed onto the inputs. */
function direct(a: Axis, pass: 'forward' | 'input gradient', w: number[], x: number[]): number[] {
  const out = new Array<number>(pass === 'forward' ? a.output : a.input).fill(0);
  for (let o = 0; o < a.output; o++) for (let t = 0; t < a.filter; t++) {
    const i = o * a.stride - a.pad + t;
    if (i < 0 || i >= a.input) continue;
    if (pass === 'forward') out[o] += w[t] * x[i];
    else out[i] += w[t] * x[o];
  }
  return out;
}

/** The algorithm's outputs, in float64: At [(G w) * (Bt x)]. */
function byAlgorithm(algorithm: AxisAlgorithm, w: number[], x: number[]): number[] {
  const products = algorithm.inputs.map((terms, l) => terms.reduce((sum, [i, c]) => sum + c * x[i], 0) * algorithm.taps[l].reduce((sum, [t, c]) => sum + c * w[t], 0));
  return algorithm.outputs.map((terms) => terms.reduce((sum, [l, c]) => sum + c * products[l], 0));
}

const AXES: Axis[] = [
  { input: 7, output: 4, filter: 3, stride: 2, pad: 1 }, // the energy model's last layer
  { input: 14, output: 7, filter: 3, stride: 2, pad: 0 }, // its middle layer, and the GAN discriminator's second
  { input: 28, output: 14, filter: 3, stride: 2, pad: 0 },
  { input: 9, output: 4, filter: 3, stride: 2, pad: 0 }, // 'valid'
  { input: 11, output: 6, filter: 3, stride: 2, pad: 1 },
  { input: 28, output: 14, filter: 4, stride: 2, pad: 1 },
  { input: 14, output: 7, filter: 5, stride: 2, pad: 2 },
  { input: 10, output: 4, filter: 3, stride: 3, pad: 1 },
  { input: 8, output: 3, filter: 2, stride: 3, pad: 0 }, // inputs no window reads
];

describe('one axis of a strided convolution by minimal filtering over its phases', () => {
  it.each(AXES)('gives the direct sums, forwards and for the input gradient, in float64 (%o)', (a) => {
    for (const pass of ['forward', 'input gradient'] as const) {
      for (let trial = 0; trial < 5; trial++) {
        const w = Array.from(seededValues(a.filter, 10 + trial));
        const x = Array.from(seededValues(pass === 'forward' ? a.input : a.output, 20 + trial));
        const expected = direct(a, pass, w, x);
        const ours = byAlgorithm(axisAlgorithm(a, pass), w, x);
        const scale = Math.max(1, ...expected.map(Math.abs));
        ours.forEach((v, i) => expect(Math.abs(v - expected[i]) / scale, `${pass}, output ${i}`).toBeLessThan(1e-12));
      }
    }
  });

  it('takes m + 1 products for m outputs of a two-tap phase, one for each output of a one-tap phase, and the linear convolution where a window is padded at both ends', () => {
    const count = (a: Axis, pass: 'forward' | 'input gradient') => axisAlgorithm(a, pass).length;
    // 14 -> 7: the even pixels' two taps over tiles of 4 and 3 outputs (5 + 4), the odd pixels' one tap (7); 20 direct taps
    expect(count(AXES[1], 'forward')).toBe(16);
    expect(count(AXES[1], 'input gradient')).toBe(16);
    // 7 -> 4: the even taps' window runs from the padding before to the padding after: 3 inputs, 4 outputs, 4 products (F(4, 2)
    // would take 5), and the odd tap's 4; backwards 4 + 4 too. Against 10 direct taps: 64 products of 100 in two dimensions
    expect(count(AXES[0], 'forward')).toBe(8);
    expect(count(AXES[0], 'input gradient')).toBe(8);
    // elements whose inputs all lie in the padding are left out: a window of padding alone has no element
    expect(axisAlgorithm({ input: 2, output: 2, filter: 1, stride: 2, pad: 1 }, 'forward').length).toBe(1);
  });

  it('builds F(m, r) and the padded windows\' linear convolution from transforms that hold for any numbers', () => {
    for (const r of [2, 3]) for (let m = 1; m <= 4; m++) {
      const g = Array.from(seededValues(r, 30 + m));
      // F(m, r): y[j] = sum_q g[q] d[j + q]
      const d = Array.from(seededValues(m + r - 1, 40 + m));
      const { bt, g: gt, at } = minimalFiltering(m, r);
      const products = bt.map((row, l) => row.reduce((s, c, k) => s + c * d[k], 0) * gt[l].reduce((s, c, q) => s + c * g[q], 0));
      at.forEach((row, j) => expect(row.reduce((s, c, l) => s + c * products[l], 0)).toBeCloseTo(g.reduce((s, gq, q) => s + gq * d[j + q], 0), 12));
      expect(bt.length, `F(${m}, ${r})'s products`).toBe(m + r - 1);
      if (m < r) continue;
      // the same with the window's first and last r - 1 inputs zero, from the m - r + 1 between
      const inner = Array.from(seededValues(m - r + 1, 50 + m));
      const window = [...new Array(r - 1).fill(0), ...inner, ...new Array(r - 1).fill(0)];
      const padded = paddedFiltering(m, r);
      const paddedProducts = padded.bt.map((row, l) => row.reduce((s, c, k) => s + c * inner[k], 0) * padded.g[l].reduce((s, c, q) => s + c * g[q], 0));
      padded.at.forEach((row, j) => expect(row.reduce((s, c, l) => s + c * paddedProducts[l], 0)).toBeCloseTo(g.reduce((s, gq, q) => s + gq * window[j + q], 0), 12));
      expect(padded.bt.length, `padded F(${m}, ${r})'s products`).toBe(m);
    }
  });

  it('rounds in float32 within 1e-5 of float64 on sums of 32 channels, 5-7 times a direct sum\'s error, as F(4, 3) does', () => {
    const f = Math.fround;
    const { bt, g, at } = minimalFiltering(4, 2);
    const [values, taps] = [seededValues(2000 * 32 * 5, 60), seededValues(2000 * 32 * 2, 61)];
    let [worst, worstDirect] = [0, 0];
    for (let trial = 0; trial < 2000; trial++) {
      const d = (c: number, k: number) => values[(trial * 32 + c) * 5 + k];
      const w = (c: number, q: number) => taps[(trial * 32 + c) * 2 + q];
      const channels = Array.from({ length: 32 }, (_, c) => c);
      const truth = [0, 1, 2, 3].map((j) => channels.reduce((s, c) => s + w(c, 0) * d(c, j) + w(c, 1) * d(c, j + 1), 0));
      const plain = [0, 1, 2, 3].map((j) => channels.reduce((s, c) => f(f(s + f(w(c, 0) * d(c, j))) + f(w(c, 1) * d(c, j + 1))), 0));
      // V = Bt d and U = G w in float32, M = sum over channels of V U, y = At M
      const m = bt.map((row, l) => channels.reduce((s, c) => {
        const v = row.reduce((sum, coefficient, k) => f(sum + f(f(coefficient) * d(c, k))), 0);
        const u = f(g[l][0] * w(c, 0) + g[l][1] * w(c, 1));
        return f(s + f(v * u));
      }, 0));
      const y = at.map((row) => row.reduce((s, coefficient, l) => f(s + f(f(coefficient) * m[l])), 0));
      const scale = Math.max(...truth.map(Math.abs));
      worst = Math.max(worst, ...y.map((v, j) => Math.abs(v - truth[j]) / scale));
      worstDirect = Math.max(worstDirect, ...plain.map((v, j) => Math.abs(v - truth[j]) / scale));
    }
    expect(worst).toBeLessThan(1e-5);
    expect(worstDirect).toBeLessThan(2e-6);
    expect(worst / worstDirect).toBeLessThan(8);
  });
});

describe('weightedSums, the transforms\' kernel', () => {
  it.each([false, true])('writes each group\'s weighted sum of runs in float32, in the pairs\' order, for every image (Swish\'s slope: %s)', (withSlope) => {
    const memory = new WebAssembly.Memory({ initial: 4 });
    const kernels = instantiateKernels(memory, false);
    const [heap, words] = [new Float32Array(memory.buffer), new Int32Array(memory.buffer)];
    // runs of 4 to 72 floats: blocks of 8 vectors (two for 72), then 4, 2 and 1
    for (const floats of [4, 8, 28, 32, 60, 72]) {
      const images = 3;
      const [sourceImage, targetImage] = [(floats * 6 + 4) * 4, (floats * 3 + 8) * 4];
      const [source, target, table, slopeS, slopeY] = [1024, 16384, 32768, 40960, 49152].map((word) => word * 4);
      heap.set(seededValues(images * sourceImage / 4, floats), source / 4);
      heap.fill(NaN, target / 4, target / 4 + images * targetImage / 4);
      heap.set(seededValues(images * targetImage / 4, floats + 1), slopeS / 4);
      heap.set(seededValues(images * targetImage / 4, floats + 2), slopeY / 4);
      // three groups: two terms, none (zeros), four terms, at targets out of order
      const groups: Array<{ target: number; pairs: Array<[number, number]> }> = [
        { target: floats * 2, pairs: [[0, 0.5], [floats * 3, -1.25]] },
        { target: 0, pairs: [] },
        { target: floats, pairs: [[floats * 5, 2], [floats, -0.75], [floats * 2 + 4, 1 / 3], [floats * 4, 1]] },
      ];
      let entry = table / 4;
      for (const g of groups) {
        words[entry++] = g.target * 4;
        words[entry++] = g.pairs.length;
        for (const [offset, weight] of g.pairs) {
          words[entry++] = offset * 4;
          heap[entry++] = weight;
        }
      }
      kernels.weightedSums(table, groups.length, floats * 4, source, sourceImage, target, targetImage, images, withSlope ? slopeS : 0, withSlope ? slopeY : 0);
      const f = Math.fround;
      for (let image = 0; image < images; image++) for (const g of groups) {
        const expected = Array.from({ length: floats }, (_, i) => {
          const sum = g.pairs.reduce((s, [offset, weight]) => f(s + f(f(weight) * heap[(source + image * sourceImage) / 4 + offset + i])), 0);
          if (!withSlope) return sum;
          const at = (image * targetImage) / 4 + g.target + i;
          const [s, y] = [heap[slopeS / 4 + at], heap[slopeY / 4 + at]];
          return f(sum * f(s + f(y * f(1 - s))));
        });
        const written = heap.subarray((target + image * targetImage) / 4 + g.target, (target + image * targetImage) / 4 + g.target + floats);
        expect(float32Bits(written), `${floats} floats, image ${image}, group at ${g.target}`).toEqual(float32Bits(expected));
      }
    }
  });
});

describe('which strided passes go by their phases', () => {
  const layer = (height: number, inChannels: number, outChannels: number, pad: number) => {
    const outH = Math.ceil(height / 2);
    return { batch: 64, height, width: height, inChannels, outH, outW: outH, outChannels, filterH: 3, filterW: 3, strideH: 2, strideW: 2, padTop: pad, padLeft: pad };
  };

  it('takes them where the products saved outweigh the transforms: 32 channels to 64, not 16 to 32', () => {
    // the energy model's last layer and the GAN discriminator's second: estimated at 0.86 and 0.90 of border classes' time (measured 0.80-0.92)
    for (const g of [layer(7, 32, 64, 1), layer(14, 32, 64, 0)]) {
      expect([phasesPay(g, 'forward'), phasesPay(g, 'input gradient')]).toEqual([true, true]);
      expect([byPhases(g, 'forward'), byPhases(g, 'input gradient')]).toEqual([true, true]);
    }
    // the energy model's middle layer: estimated at 1.16 (measured 1.14-1.21)
    expect([phasesPay(layer(14, 16, 32, 0), 'forward'), phasesPay(layer(14, 16, 32, 0), 'input gradient')]).toEqual([false, false]);
  });

  it('never takes a fused relu, rows kept apart, another stride or filter, channels not in fours, or a transformed filter over 4 MB', () => {
    const g = layer(7, 32, 64, 1);
    expect(byPhases(g, 'forward', true)).toBe(false);
    // each output reading only its own window's rows (a causal model's), no rows combined at all, a masked centre row
    expect(byPhases({ ...g, windowRows: true }, 'forward')).toBe(false);
    expect(byPhases({ ...g, exactRows: true }, 'input gradient')).toBe(false);
    expect(byPhases({ ...g, loneRow: 2 }, 'forward')).toBe(false);
    // 28 x 28, 64 -> 128: 1,024 elements of [64, 128], 32 MB
    expect(phasesPay(layer(28, 64, 128, 0), 'forward')).toBe(false);
    expect(byPhases({ ...g, strideH: 1, strideW: 1 }, 'forward')).toBe(false);
    expect(byPhases({ ...g, filterH: 5, filterW: 5 }, 'forward')).toBe(false);
    expect(byPhases({ ...g, inChannels: 30 }, 'forward')).toBe(false);
    expect(byPhases({ ...g, inChannels: 1 }, 'input gradient')).toBe(false);
  });
});
