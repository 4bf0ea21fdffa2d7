/**
 * PixelCNN++'s loss by our one kernel on WASM (src/core/wasm-heap-mixture.ts,
 * mixtureLikelihood): log P(v) under a discretized logistic mixture and its derivatives by
 * log pi, mu and log s, against the same formula in float64 (its derivatives by central
 * differences), and against TF.js's ops (mixtureLogProbabilityByOps) with autodiff, on
 * narrow, wide and far-off logistics, edge and interior values, 1 to 10 components, rows
 * that are not a multiple of 4, and a colour image's three channels a pixel. A bin's width
 * term, log(1 - exp(-d)), is checked from d = 8.6 down to 7e-6 (where 1 - exp(-d) by float32
 * would be 1% off, and the kernel takes its series); the series' last terms are below
 * float32's resolution, which no test can see.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { mixtureLogProbability, mixtureLogProbabilityByOps } from '../../src/core/models/autoregressive/logistic-mixture';
import { usesMixtureLikelihood } from '../../src/core/wasm-heap-mixture';
import { onWasmBackend } from './autoregressive-test-helpers';

onWasmBackend();

/** log P(v) in float64, by the log-domain formula of logistic-mixture.ts (where a bin's mass underflows even float64). */
function exact(logW: number[], mu: number[], logS: number[], v: number): number {
  const softplus = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
  const x = (2 * v) / 255 - 1;
  const terms = logW.map((w, k) => {
    const inverse = Math.exp(-logS[k]);
    const [a, b] = [(x + 1 / 255 - mu[k]) * inverse, (x - 1 / 255 - mu[k]) * inverse];
    if (v === 0) return w - softplus(-a);
    if (v === 255) return w - softplus(b);
    return w + a - softplus(a) - softplus(b) + Math.log(-Math.expm1(b - a));
  });
  const top = Math.max(...terms);
  return top + Math.log(terms.reduce((sum, t) => sum + Math.exp(t - top), 0));
}

interface Case {
  rows: number;
  channels: number;
  components: number;
  seed: number;
}

const LOG_SCALES = [-7, -5, -4.2, -3.9, -3.86, -3.84, -3.8, -3.5, -2, 0, 3, 7];

/** Mixtures [rows, C, K] over log s from -7 to 7 and means from -3 to 3, values [rows, C] with many 0s and 255s, and a dy [rows, C]. */
function inputs({ rows, channels, components, seed }: Case) {
  const shape = [rows, channels, components];
  const logW = tf.tidy(() => tf.logSoftmax(tf.randomNormal(shape, 0, 2, 'float32', seed)));
  const mu = tf.randomUniform(shape, -3, 3, 'float32', seed + 1);
  // log s: the floor and the ceiling (d = 2/(255 s) from 8.6 down to 7e-6), and around -3.85, where d crosses 1/2, the series' end;
  // row r's component k takes LOG_SCALES[(r / 3 + 5 k + seed) mod 12]: with one component, every third row (an interior value) takes each in turn
  const logS = tf.tensor(Array.from({ length: rows * channels * components }, (_, i) => {
    const [row, k] = [Math.floor(i / components), i % components];
    return LOG_SCALES[(Math.floor(row / 3) + 5 * k + seed) % LOG_SCALES.length];
  }), shape);
  // values: 0, 255 and an interior value by turns
  const values = tf.tensor(Array.from({ length: rows * channels }, (_, i) => [0, 255, (37 * i + seed) % 256][i % 3]), [rows, channels], 'int32');
  const dy = tf.randomNormal([rows, channels], 0, 1, 'float32', seed + 2);
  return { logW, mu, logS, values, dy };
}

/** log P(v) and d(sum of dy log P)/d(log pi, mu, log s) by `fn`, as arrays. */
function valueAndGradients(fn: typeof mixtureLogProbability, { logW, mu, logS, values, dy }: ReturnType<typeof inputs>): Float32Array[] {
  const loss = (w: tf.Tensor, m: tf.Tensor, s: tf.Tensor) => fn({ logWeights: w, means: m, logScales: s }, values).mul(dy).sum() as tf.Scalar;
  const value = tf.tidy(() => fn({ logWeights: logW, means: mu, logScales: logS }, values));
  const gradients = tf.grads(loss)([logW, mu, logS]);
  const arrays = [value, ...gradients].map((t) => t.dataSync() as Float32Array);
  tf.dispose([value, ...gradients]);
  return arrays;
}

const CASES: Case[] = [
  { rows: 7, channels: 1, components: 1, seed: 10 },
  { rows: 37, channels: 1, components: 1, seed: 0 },
  { rows: 13, channels: 1, components: 5, seed: 20 },
  { rows: 6, channels: 3, components: 3, seed: 30 },
  { rows: 4, channels: 1, components: 10, seed: 40 },
];

describe('PixelCNN++\'s loss by our kernel on WASM', () => {
  it('gives the float64 log-probabilities and their derivatives, for 1 to 10 components and any count of rows from 4', () => {
    for (const testCase of CASES) {
      const data = inputs(testCase);
      expect(usesMixtureLikelihood(data.logW, data.mu, data.logS, data.values), JSON.stringify(testCase)).toBe(true);
      const before = tf.memory().numTensors;
      const [logP, byWeights, byMeans, byLogScales] = valueAndGradients(mixtureLogProbability, data);
      expect(tf.memory().numTensors, 'tensors left').toBe(before);
      const [w, m, s, dy] = [data.logW, data.mu, data.logS, data.dy].map((t) => Array.from(t.dataSync()));
      const v = Array.from(data.values.dataSync());
      const K = testCase.components;
      for (let row = 0; row < v.length; row++) {
        const at = (array: number[]) => array.slice(row * K, (row + 1) * K);
        const [rw, rm, rs] = [at(w), at(m), at(s)];
        const name = `${JSON.stringify(testCase)}, row ${row}, value ${v[row]}`;
        const reference = exact(rw, rm, rs, v[row]);
        // measured: within 4.6e-7 (1 + |log P|); the derivatives within 1.2e-5 (1 + |d|), float32's own bound where
        // sigma(b) - sigma(-a) cancels on a narrow logistic's own bin: TF.js's ops are as far off (1.1e-5)
        expect(Math.abs(logP[row] - reference), `${name}: ${logP[row]} against ${reference}`).toBeLessThan(1e-6 * (1 + Math.abs(reference)));
        // each derivative by central differences in float64, times dy
        for (let k = 0; k < K; k++) {
          [[rw, byWeights], [rm, byMeans], [rs, byLogScales]].forEach(([parameters, got], which) => {
            const step = 1e-6;
            const moved = (by: number) => {
              const changed = [...(parameters as number[])];
              changed[k] += by;
              const all = [rw, rm, rs].map((p, i) => (i === which ? changed : p));
              return exact(all[0], all[1], all[2], v[row]);
            };
            const derivative = (dy[row] * (moved(step) - moved(-step))) / (2 * step);
            const ours = (got as Float32Array)[row * K + k];
            expect(Math.abs(ours - derivative), `${name}, parameter ${which}, component ${k}: ${ours} against ${derivative}`).toBeLessThan(3e-5 * (1 + Math.abs(derivative)));
          });
        }
      }
      tf.dispose(Object.values(data));
    }
  });

  it('agrees with TF.js\'s ops and their gradients, and leaves them to fewer than four values', () => {
    for (const testCase of CASES) {
      const data = inputs(testCase);
      const ours = valueAndGradients(mixtureLogProbability, data);
      const ops = valueAndGradients(mixtureLogProbabilityByOps, data);
      // measured: within 5.3e-7 (1 + |theirs|)
      ours.forEach((array, which) => array.forEach((number, i) => {
        expect(Math.abs(number - ops[which][i]), `${JSON.stringify(testCase)}, output ${which}, number ${i}`).toBeLessThan(2e-6 * (1 + Math.abs(ops[which][i])));
      }));
      tf.dispose(Object.values(data));
    }
    // three values: TF.js's ops themselves (the kernel takes four rows at a time)
    const data = inputs({ rows: 3, channels: 1, components: 2, seed: 50 });
    expect(usesMixtureLikelihood(data.logW, data.mu, data.logS, data.values)).toBe(false);
    expect(valueAndGradients(mixtureLogProbability, data)).toEqual(valueAndGradients(mixtureLogProbabilityByOps, data));
    // a mixture broadcast over a pixel's channels: TF.js's ops too
    const broadcast = inputs({ rows: 6, channels: 1, components: 2, seed: 60 });
    const colourValues = tf.tile(broadcast.values, [1, 3]);
    expect(usesMixtureLikelihood(broadcast.logW, broadcast.mu, broadcast.logS, colourValues)).toBe(false);
    const [ours, theirs] = [mixtureLogProbability, mixtureLogProbabilityByOps].map((fn) => tf.tidy(() => fn({ logWeights: broadcast.logW, means: broadcast.mu, logScales: broadcast.logS }, colourValues)));
    expect(ours.shape).toEqual([6, 3]);
    expect(ours.dataSync()).toEqual(theirs.dataSync());
    tf.dispose([ours, theirs, colourValues, ...Object.values(broadcast)]);
  });
});
