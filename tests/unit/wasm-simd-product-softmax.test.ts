import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { productSoftmaxCrossEntropy, softmaxCrossEntropy } from '../../src/core/models/autoregressive/pixel-likelihood';
import { runsProductSoftmax } from '../../src/core/wasm-simd/register';
import { expectRelativelyClose, seededValues, float32Bits } from './wasm-simd-helpers';

/**
 * A linear layer's logits and their softmax cross-entropy in one pass of chunks on WASM
 * (src/core/wasm-simd/product-softmax.ts), against the same ops composed: on our kernels bit
 * for bit (the pass runs the same kernels on the same numbers in the same order), and on
 * TF.js's CPU backend to float rounding.
 */

/** Bits of float32 values. */
const bits = (data: tf.TypedArray) => float32Bits(data as ArrayLike<number>);

interface Case {
  rows: number;
  features: number;
  groups: number;
  categories: number;
}

/** Seeded inputs of a case: x, w, b (logits of a few units), the values (the last out of range, if asked) and a weight per loss. */
function inputs({ rows, features, groups, categories }: Case, outOfRange: boolean) {
  const width = groups * categories;
  const scaled = (length: number, seed: number, by: number) => Float32Array.from(seededValues(length, seed), (value) => value * by);
  return {
    x: scaled(rows * features, 1 + rows, 2),
    w: scaled(features * width, 2 + features, 1),
    b: scaled(width, 3, 0.5),
    // a value out of range chooses no logit (TF.js's one-hot), where TF.js's CPU kernels accept it (its gather does not)
    values: Int32Array.from({ length: rows * groups }, (_, r) => (outOfRange && r === rows * groups - 1 ? categories + 3 : (r * 71 + 5) % categories)),
    weights: scaled(rows * groups, 4, 1),
  };
}

type Loss = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, values: tf.Tensor1D) => tf.Tensor1D;

/** The weighted losses' sum and its gradients by x, w and b, on the current backend. */
async function lossAndGradients(c: Case, loss: Loss, outOfRange = false): Promise<{ losses: Float32Array; gradients: Float32Array[] }> {
  const data = inputs(c, outOfRange);
  const width = c.groups * c.categories;
  const [x, w, b] = [tf.tensor2d(data.x, [c.rows, c.features]), tf.tensor2d(data.w, [c.features, width]), tf.tensor1d(data.b)];
  const [values, weights] = [tf.tensor1d(data.values, 'int32'), tf.tensor1d(data.weights)];
  const before = tf.memory().numTensors;
  const losses = loss(x, w, b, values);
  const grads = tf.grads((xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) => loss(xs as tf.Tensor2D, ws as tf.Tensor2D, bs as tf.Tensor1D, values).mul(weights).sum())([x, w, b]);
  const result = { losses: (await losses.data()) as Float32Array, gradients: await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array)) };
  tf.dispose([losses, ...grads]);
  expect(tf.memory().numTensors, 'tensors left').toBe(before);
  tf.dispose([x, w, b, values, weights]);
  return result;
}

/** The composed ops: the logits [N, G*K] as rows [N*G, K], then their softmax cross-entropy. */
const composed: Loss = (x, w, b, values) =>
  tf.tidy(() => softmaxCrossEntropy(tf.fused.matMul({ a: x, b: w, bias: b }).reshape([values.shape[0], -1]) as tf.Tensor2D, values));

describe('the product and softmax cross-entropy in one pass on WASM', () => {
  beforeAll(async () => {
    await useNodeBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('wasm');
  });

  // PixelCNN's grey head (chunks of 256 rows, the last one short and not a multiple of 4) and a colour head (three groups: chunks of 85 rows)
  const cases: Case[] = [
    { rows: 599, features: 32, groups: 1, categories: 256 },
    { rows: 130, features: 8, groups: 3, categories: 256 },
    { rows: 5, features: 4, groups: 1, categories: 16 },
  ];

  it('runs where its shapes fit: features in fours, logits in sixteens', () => {
    expect(cases.map(runsProductSoftmax)).toEqual([true, true, true]);
    expect(runsProductSoftmax({ features: 6, categories: 256 })).toBe(false);
    expect(runsProductSoftmax({ features: 32, categories: 1 })).toBe(false);
  });

  it('gives the losses and gradients of the composed ops on our kernels, bit for bit, a value out of range included', async () => {
    for (const c of cases) {
      const label = JSON.stringify(c);
      const fused = await lossAndGradients(c, productSoftmaxCrossEntropy, true);
      const reference = await lossAndGradients(c, composed, true);
      expect(bits(fused.losses), `${label}: losses`).toEqual(bits(reference.losses));
      expect(fused.gradients.length).toBe(3);
      fused.gradients.forEach((gradient, i) => expect(bits(gradient), `${label}: gradient ${'xwb'[i]}`).toEqual(bits(reference.gradients[i])));
    }
  });

  it('agrees with TF.js\'s CPU backend to float rounding, and falls back to the composed ops where it does not fit', async () => {
    for (const c of [...cases, { rows: 37, features: 6, groups: 1, categories: 256 }]) {
      const label = JSON.stringify(c);
      const wasm = await lossAndGradients(c, productSoftmaxCrossEntropy);
      await tf.setBackend('cpu');
      const cpu = await lossAndGradients(c, composed);
      await tf.setBackend('wasm');
      expectRelativelyClose(wasm.losses, cpu.losses, 1e-5, `${label}: losses`);
      wasm.gradients.forEach((gradient, i) => expectRelativelyClose(gradient, cpu.gradients[i], 1e-5, `${label}: gradient ${'xwb'[i]}`));
    }
  });
});
