import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { traceKernels } from '../../src/core/kernel-trace';
import { convolveWithBias } from '../../src/core/models/conv-with-bias';
import { lazyConv2d, lazyDense } from '../../src/core/models/lazy-layers';
import { onNodeBackend } from './helpers';
import { expectRelativelyClose } from './wasm-simd-helpers';

const ARGS = { filters: 4, kernelSize: 3, strides: 2, padding: 'same' as const, activation: 'swish' as const, inputShape: [8, 8, 3] };

/** The same layer both ways, from the same seeded initializer. */
function layers() {
  const make = (create: typeof tf.layers.conv2d) => {
    const model = tf.sequential();
    model.add(create({ ...ARGS, kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }), biasInitializer: tf.initializers.randomNormal({ seed: 6 }) }));
    return model;
  };
  return { fused: make(tf.layers.conv2d), lazy: make(lazyConv2d) };
}

describe('lazily differentiated convolution layer (src/core/models/lazy-layers.ts)', () => {
  onNodeBackend('wasm');

  it('has tf.layers.conv2d\'s weights (shapes, order, initial values) and computes the same output and gradients', async () => {
    const { fused, lazy } = layers();
    expect(lazy.getWeights().map((w) => w.shape)).toEqual(fused.getWeights().map((w) => w.shape));
    for (const [a, b] of fused.getWeights().map((w, i) => [w, lazy.getWeights()[i]])) expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const outputs = [fused, lazy].map((model) => model.predict(x) as tf.Tensor);
    const [yFused, yLazy] = await Promise.all(outputs.map((y) => y.data()));
    yLazy.forEach((value, i) => expect(Math.abs(value - yFused[i])).toBeLessThan(1e-5));
    const gradients = [fused, lazy].map((model) => tf.grad((input: tf.Tensor) => (model.apply(input) as tf.Tensor).square().sum())(x));
    const [gFused, gLazy] = await Promise.all(gradients.map((g) => g.data()));
    gLazy.forEach((value, i) => expect(Math.abs(value - gFused[i])).toBeLessThan(1e-4));
    tf.dispose([x, ...outputs, ...gradients]);
    fused.dispose();
    lazy.dispose();
  });

  it('a gradient with respect to the input alone computes no filter gradient (the fused layer computes one)', async () => {
    const { fused, lazy } = layers();
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 8);
    const filterGradients = async (model: tf.Sequential) => {
      const trace = await traceKernels(async () => {
        const gradient = tf.grad((input: tf.Tensor) => (model.apply(input) as tf.Tensor).sum())(x);
        await gradient.data();
        gradient.dispose();
      });
      return trace.kernels.find((kernel) => kernel.name === 'Conv2DBackpropFilter')?.calls ?? 0;
    };
    expect(await filterGradients(fused)).toBe(1);
    expect(await filterGradients(lazy)).toBe(0);
    // the weights' gradients are still there when asked for
    const { grads, value } = tf.variableGrads(() => (lazy.apply(x) as tf.Tensor).sum() as tf.Scalar, lazy.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val));
    expect(Object.values(grads).map((g) => g.shape)).toEqual([[3, 3, 3, 4], [4]]);
    tf.dispose([x, value, ...Object.values(grads)]);
    fused.dispose();
    lazy.dispose();
  });
});

describe.each(['wasm', 'cpu'] as const)('the lazy layer\'s weight gradients (%s)', (backend) => {
  onNodeBackend(backend);

  it('agree with tf.layers.conv2d\'s for the filter and the bias, through a stride-2 same-padded layer', async () => {
    const { fused, lazy } = layers();
    const x = tf.randomNormal([3, 8, 8, 3], 0, 1, 'float32', 9);
    const weightGradients = (model: tf.Sequential) => {
      const variables = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
      const { grads, value } = tf.variableGrads(() => (model.apply(x) as tf.Tensor).square().sum() as tf.Scalar, variables);
      value.dispose();
      return variables.map((variable) => grads[variable.name]);
    };
    const [expected, actual] = [weightGradients(fused), weightGradients(lazy)];
    expect(actual.map((g) => g.shape)).toEqual([[3, 3, 3, 4], [4]]);
    for (const [a, b] of expected.map((g, i) => [g, actual[i]])) expectRelativelyClose(await b.data(), await a.data(), 1e-5);
    tf.dispose([x, ...expected, ...actual]);
    fused.dispose();
    lazy.dispose();
  });
});

describe.each(['wasm', 'cpu'] as const)('a convolution with its bias added as it is stored (conv-with-bias.ts, %s)', (backend) => {
  onNodeBackend(backend);

  it('with padding given per side (a masked convolution\'s window cut at its centre row): tf.conv2d(x, W).add(b)\'s values and gradients, one kernel forwards', async () => {
    const x = tf.randomNormal([2, 6, 7, 5], 0, 1, 'float32', 11) as tf.Tensor4D;
    const filter = tf.randomNormal([2, 3, 5, 8], 0, 1, 'float32', 12) as tf.Tensor4D;
    const bias = tf.randomNormal([8], 0, 1, 'float32', 13) as tf.Tensor1D;
    const padding: tf.backend_util.ExplicitPadding = [[0, 0], [1, 0], [1, 1], [0, 0]];
    const weights = tf.randomNormal([2, 6, 7, 8], 0, 1, 'float32', 14);
    const fused = (a: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D) => convolveWithBias(a, w, b, [1, 1], padding).mul(weights).sum();
    const plain = (a: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D) => tf.conv2d(a, w, 1, padding).add(b).mul(weights).sum();
    const trace = await traceKernels(async () => {
      const y = convolveWithBias(x, filter, bias, [1, 1], padding);
      await y.data();
      y.dispose();
    });
    expect(trace.kernels.map((kernel) => kernel.name)).toEqual(['FusedConv2D']);
    const [ours, theirs] = [fused, plain].map((f) => tf.grads(f as (...args: tf.Tensor[]) => tf.Tensor)([x, filter, bias]));
    expect(Array.from(await fused(x, filter, bias).data())[0]).toBeCloseTo(Array.from(await plain(x, filter, bias).data())[0], 3);
    for (const [a, b] of theirs.map((g, i) => [g, ours[i]])) {
      expect(b.shape).toEqual(a.shape);
      expectRelativelyClose(await b.data(), await a.data(), 1e-5);
    }
    tf.dispose([x, filter, bias, weights, ...ours, ...theirs]);
  });
});

describe.each(['wasm', 'cpu'] as const)('lazily differentiated dense layer (%s)', (backend) => {
  onNodeBackend(backend);

  const denseLayers = () => {
    const make = (create: typeof tf.layers.dense) => {
      const model = tf.sequential();
      model.add(create({ units: 3, inputShape: [20], activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }), biasInitializer: tf.initializers.randomNormal({ seed: 6 }) }));
      return model;
    };
    return { fused: make(tf.layers.dense), lazy: make(lazyDense) };
  };

  it('has tf.layers.dense\'s weights and computes its output and every gradient', async () => {
    const { fused, lazy } = denseLayers();
    for (const [a, b] of fused.getWeights().map((w, i) => [w, lazy.getWeights()[i]])) expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    const x = tf.randomNormal([5, 20], 0, 1, 'float32', 7);
    const run = (model: tf.Sequential) => {
      const variables = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
      const { grads, value } = tf.variableGrads(() => (model.apply(x) as tf.Tensor).square().sum() as tf.Scalar, variables);
      const inputGradient = tf.grad((input: tf.Tensor) => (model.apply(input) as tf.Tensor).square().sum())(x);
      return [model.predict(x) as tf.Tensor, inputGradient, ...variables.map((variable) => grads[variable.name]), value];
    };
    const [expected, actual] = [run(fused), run(lazy)];
    for (const [a, b] of expected.map((t, i) => [t, actual[i]])) {
      expect(b.shape).toEqual(a.shape);
      expectRelativelyClose(await b.data(), await a.data(), 1e-6);
    }
    tf.dispose([x, ...expected, ...actual]);
    fused.dispose();
    lazy.dispose();
  });

  it('a gradient with respect to the input alone multiplies twice, forwards and back (the fused layer three times: the weights\' gradient too)', async () => {
    const { fused, lazy } = denseLayers();
    const x = tf.randomNormal([5, 20], 0, 1, 'float32', 8);
    const products = async (model: tf.Sequential) => {
      const trace = await traceKernels(async () => {
        const gradient = tf.grad((input: tf.Tensor) => (model.apply(input) as tf.Tensor).sum())(x);
        await gradient.data();
        gradient.dispose();
      });
      return trace.kernels.filter((kernel) => kernel.name === 'BatchMatMul' || kernel.name === '_FusedMatMul').reduce((sum, kernel) => sum + kernel.calls, 0);
    };
    expect(await products(fused)).toBe(3);
    expect(await products(lazy)).toBe(2);
    x.dispose();
    fused.dispose();
    lazy.dispose();
  });
});
