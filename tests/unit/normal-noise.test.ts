/**
 * The ziggurat's numbers (src/core/normal-noise.ts) against the standard normal itself: its
 * distribution function (Kolmogorov-Smirnov), its tails (where the ziggurat's rare paths
 * run), its moments, and independence of neighbours; and the same numbers for the same seed.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { fillStandardNormal, NORMAL_NOISE, normalNoise } from '../../src/core/normal-noise';
import { onNodeBackend } from './helpers';

/** Phi(x) = (1 + erf(x / sqrt 2)) / 2, erf by Abramowitz and Stegun 7.1.26 (error under 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** The probability that |Z| > a: 2 (1 - Phi(a)). */
const twoSidedTail = (a: number) => 2 * (1 - normalCdf(a));

describe('Gaussian noise by the ziggurat', () => {
  const n = 1_000_000;
  let draws: Float64Array;
  beforeAll(async () => {
    await useNodeBackend('cpu');
    draws = new Float64Array(n);
    fillStandardNormal(draws, 12345);
  });

  it('follows the standard normal distribution function (Kolmogorov-Smirnov, 200,000 numbers)', () => {
    const sorted = Float64Array.from(draws.subarray(0, 200_000)).sort();
    let distance = 0;
    sorted.forEach((x, i) => (distance = Math.max(distance, Math.abs(normalCdf(x) - i / sorted.length), Math.abs(normalCdf(x) - (i + 1) / sorted.length))));
    // the 1% critical value is 1.63 / sqrt(n) = 0.0036; a wrong strip table misses by far more
    expect(distance).toBeLessThan(1.63 / Math.sqrt(sorted.length));
  });

  it('has the tails of the normal: beyond the base strip (R = 3.44), beyond 4, and in the wedges near 2', () => {
    for (const [a, sigmas] of [[2, 5], [3.442619855899, 5], [4, 5]] as const) {
      const expected = n * twoSidedTail(a);
      const seen = draws.filter((x) => Math.abs(x) > a).length;
      // a count of rare events: standard deviation sqrt(expected)
      expect(Math.abs(seen - expected), `|x| > ${a}: ${seen} against ${expected.toFixed(0)}`).toBeLessThan(sigmas * Math.sqrt(expected));
    }
    expect(draws.reduce((most, x) => Math.max(most, Math.abs(x)), 0)).toBeGreaterThan(4.5);
  });

  it('has mean 0, variance 1 and kurtosis 3, and neighbours are uncorrelated', () => {
    let [sum, squares, fourths, lagged] = [0, 0, 0, 0];
    draws.forEach((x, i) => {
      sum += x;
      squares += x * x;
      fourths += x ** 4;
      if (i > 0) lagged += x * draws[i - 1];
    });
    // five standard errors: sqrt(1/n), sqrt(2/n), sqrt(96/n), sqrt(1/n)
    expect(Math.abs(sum / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(squares / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(fourths / n - 3)).toBeLessThan(5 * Math.sqrt(96 / n));
    expect(Math.abs(lagged / n)).toBeLessThan(5 / Math.sqrt(n));
  });

  it('gives the same numbers for the same seed, other numbers for another, whatever the array type', () => {
    const [a, b, c] = [new Float32Array(1000), new Float32Array(1000), new Float32Array(1000)];
    fillStandardNormal(a, 7);
    fillStandardNormal(b, 7);
    fillStandardNormal(c, 8);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(a.filter((x, i) => x === c[i]).length).toBeLessThan(5);
    const wide = new Float64Array(1000);
    fillStandardNormal(wide, 7);
    expect(Array.from(a)).toEqual(Array.from(wide.map(Math.fround)));
  });

  it('normalNoise is float32 noise of the shape asked for, scaled by its standard deviation', async () => {
    const noise = normalNoise([4, 5, 6], 0.25, 99);
    expect([noise.shape, noise.dtype]).toEqual([[4, 5, 6], 'float32']);
    const unit = new Float32Array(120);
    fillStandardNormal(unit, 99);
    expect(Array.from(await noise.data())).toEqual(Array.from(unit.map((x) => Math.fround(x * 0.25))));
    noise.dispose();
    expect(tf.memory().numTensors).toBe(0);
  });
});

describe('Gaussian noise drawn on the WASM heap', () => {
  onNodeBackend('wasm');

  it('gives the numbers of the JavaScript alone, bit for bit, at any size, seed and scale', async () => {
    expect(tf.getKernel(NORMAL_NOISE, 'wasm')).toBeDefined();
    for (const [shape, std, seed] of [[[1], 1, 0], [[7], 0.5, 1], [[64, 28, 28, 1], 0.005, 123456], [[3, 1000], 2, -5], [[250_000], 1, 2 ** 31 - 1]] as const) {
      const count = (shape as readonly number[]).reduce((a, b) => a * b, 1);
      const expected = new Float32Array(count);
      fillStandardNormal(expected, seed);
      for (let i = 0; i < count; i++) expected[i] *= std;
      const noise = normalNoise(shape, std, seed);
      expect(noise.shape).toEqual(shape);
      const drawn = (await noise.data()) as Float32Array;
      // compared as bit patterns; the largest size reaches the tail (|x| > 3.44) many times
      expect(Array.from(new Uint32Array(drawn.buffer, drawn.byteOffset, count)), `${shape}`).toEqual(Array.from(new Uint32Array(expected.buffer)));
      noise.dispose();
    }
  });
});
