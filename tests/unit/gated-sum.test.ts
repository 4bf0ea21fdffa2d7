import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { allowRelaxedSimd, useNodeBackend } from '../../src/cli/node-backend';
import { gatedSum, gatedSumByOps } from '../../src/core/models/autoregressive/gated-sum';
import { GATE, GATE_GRADIENT, hasGate } from '../../src/core/wasm-heap-gate';
import { expectRelativelyClose, seededValues } from './wasm-simd-helpers';
import { hasRelaxedSimd, instantiateKernels } from '../../src/core/wasm-simd/kernels';

allowRelaxedSimd();

/**
 * PixelCNN++'s gate h + a sigmoid(b) as one kernel each way on WASM
 * (src/core/models/autoregressive/gated-sum.ts) against TF.js's ops on the CPU backend: the
 * outputs and both gradients to float rounding (our sigmoid is within 2 units in the last
 * place of the true one, not XNNPACK's bits).
 */

type Result = { y: Float32Array; dh: Float32Array; dc2: Float32Array; kernels: string[] };

/** y = gate(h, c2), and the gradients of sum(y r) by h and c2, on the current backend. */
async function run(gate: typeof gatedSum, shape: [number, number, number, number], seed: number): Promise<Result> {
  const [batch, height, width, channels] = shape;
  // c2 spread over [-12, 12]: the sigmoid saturating at both ends, and a NaN-free range
  const h = tf.tensor4d(seededValues(batch * height * width * channels, seed), shape);
  const c2 = tf.tensor4d(Float32Array.from(seededValues(batch * height * width * 2 * channels, seed + 1), (value) => value * 12), [batch, height, width, 2 * channels]);
  const r = tf.tensor4d(seededValues(batch * height * width * channels, seed + 2), shape);
  const before = tf.memory().numTensors;
  let y: tf.Tensor | undefined;
  const profile = await tf.profile(() => {
    y = gate(h, c2);
    return tf.grads((a: tf.Tensor, b: tf.Tensor) => gate(a as tf.Tensor4D, b as tf.Tensor4D).mul(r).sum())([h, c2]);
  });
  const grads = profile.result as tf.Tensor[];
  const result = { y: (await y!.data()) as Float32Array, dh: (await grads[0].data()) as Float32Array, dc2: (await grads[1].data()) as Float32Array, kernels: profile.kernels.map((kernel) => kernel.name) };
  tf.dispose([y!, ...grads]);
  expect(tf.memory().numTensors, 'tensors left').toBe(before);
  tf.dispose([h, c2, r]);
  return result;
}

describe('PixelCNN++\'s gate in one kernel each way on WASM', () => {
  beforeAll(async () => {
    await useNodeBackend('wasm');
  });

  it.each([
    ['16 channels (PixelCNN++\'s default)', [2, 3, 5, 16]],
    ['4 channels, one row', [1, 1, 7, 4]],
    ['6 channels: TF.js\'s ops (not in fours)', [2, 2, 3, 6]],
  ] as [string, [number, number, number, number]][])('%s: agrees with TF.js\'s ops on the CPU backend, forwards and backwards', async (_, shape) => {
    const ours = await run(gatedSum, shape, 11);
    const fits = shape[3] % 4 === 0;
    expect(hasGate(shape[3])).toBe(fits);
    // one kernel forwards (twice: y, and the pass the gradient records), one backwards; no split, sigmoid or concatenation
    expect(ours.kernels.filter((name) => name === GATE || name === GATE_GRADIENT)).toEqual(fits ? [GATE, GATE, GATE_GRADIENT] : []);
    if (fits) expect(ours.kernels.filter((name) => ['SplitV', 'Sigmoid', 'Concat'].includes(name))).toEqual([]);
    await tf.setBackend('cpu');
    const reference = await run(gatedSumByOps, shape, 11);
    await tf.setBackend('wasm');
    expectRelativelyClose(ours.y, reference.y, 1e-6, 'y');
    expect(Array.from(ours.dh), 'dh is dy').toEqual(Array.from(reference.dh));
    expectRelativelyClose(ours.dc2, reference.dc2, 1e-6, 'dc2');
  });
});

describe.each([false, true].filter((fused) => !fused || hasRelaxedSimd()))('The gate\'s forward kernel, fused multiply-add %s', (fused) => {
  // the page runs our kernels with relaxed SIMD's multiply-add where the browser has it: the same bounds either way
  it('gives sigmoid(b) within 2 units in the last place of the true value, and h + a sigmoid(b) to float rounding, at 16 and 4 channels', () => {
    const memory = new WebAssembly.Memory({ initial: 64 });
    const kernels = instantiateKernels(memory, fused);
    for (const [pixels, channels] of [[2001, 16], [37, 4]]) {
      const n = pixels * channels;
      const heap = new Float32Array(memory.buffer);
      // each pixel's a then b, b over [-80, 80]: both tails and saturation (below -87.3 the sigmoid is 0, as TF.js's)
      const c2 = Float32Array.from(seededValues(2 * n, channels), (v, i) => (Math.floor(i / channels) % 2 ? v * 80 : v));
      const h = seededValues(n, channels + 1);
      heap.set(c2, 0);
      heap.set(h, 2 * n);
      kernels.gateForward(0, 8 * n, 12 * n, 16 * n, pixels, channels);
      const [out, s] = [heap.slice(3 * n, 4 * n), heap.slice(4 * n, 5 * n)];
      let worst = 0;
      for (let p = 0; p < pixels; p++) {
        for (let j = 0; j < channels; j++) {
          const [a, b, i] = [c2[2 * p * channels + j], c2[(2 * p + 1) * channels + j], p * channels + j];
          const exact = 1 / (1 + Math.exp(-b));
          const bits = new Int32Array(new Float32Array([s[i], Math.fround(exact)]).buffer);
          worst = Math.max(worst, Math.abs(bits[0] - bits[1]));
          expect(Math.abs(out[i] - (h[i] + a * exact)), `pixel ${p}, channel ${j}`).toBeLessThanOrEqual(4e-7 * (Math.abs(h[i]) + Math.abs(a)));
        }
      }
      expect(worst, `${channels} channels`).toBeLessThanOrEqual(2);
    }
  });
});
