/**
 * The input gradient written out without the tape (src/core/models/input-gradient.ts): on the
 * networks it is written for, the tape's gradient to the bit, in far fewer kernel calls; on any
 * other, none (the tape then).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { traceKernels } from '../../src/core/kernel-trace';
import { writtenInputGradient } from '../../src/core/models/input-gradient';
import { convEncoder, denseEncoder } from '../../src/core/models/networks';
import { createRandom } from '../../src/core/random';
import { onNodeBackend } from './helpers';
import { SWISH_GRADIENT } from '../../src/core/wasm-heap-activations';
import { SWISH_INPUT_GRADIENT } from '../../src/core/wasm-simd/register';
import { tensorBits } from './wasm-simd-helpers';

/** d(sum of the outputs)/dx by TF.js's tape. */
const tapeGradient = (network: tf.Sequential, x: tf.Tensor) => tf.tidy(() => tf.grad((input: tf.Tensor) => (network.apply(input) as tf.Tensor).sum())(x));


describe.each(['wasm', 'cpu'] as const)('an input gradient written out (%s)', (backend) => {
  onNodeBackend(backend);

  it.each([
    { name: 'the EBM\'s MNIST network, smaller', shape: [28, 28, 1] as const, channels: [4, 8, 16], units: 1, batch: 3 },
    { name: 'odd sizes ("same" stride 2 of 7 and 13), colour, two outputs', shape: [13, 7, 3] as const, channels: [5, 6], units: 2, batch: 2 },
  ])('gives the tape\'s gradient to the bit: $name', async ({ shape, channels, units, batch }) => {
    const network = convEncoder(shape, channels, units, 'swish', createRandom(4));
    const gradient = writtenInputGradient(network);
    expect(gradient).toBeDefined();
    const x = tf.randomUniform([batch, ...shape], 0, 1, 'float32', 5);
    const [ours, tape] = [gradient!(x), tapeGradient(network, x)];
    expect(ours.shape).toEqual(x.shape);
    expect(await tensorBits(ours)).toEqual(await tensorBits(tape));
    // and it is a gradient: a small step along it raises the sum as the gradient predicts
    const sum = (input: tf.Tensor) => (network.apply(input) as tf.Tensor).sum().dataSync()[0];
    const h = 1e-2;
    const direction = tf.tidy(() => ours.div(ours.norm()));
    const predicted = (await ours.mul(direction).sum().data())[0];
    const measured = (sum(tf.tidy(() => x.add(direction.mul(h)))) - sum(tf.tidy(() => x.sub(direction.mul(h))))) / (2 * h);
    expect(Math.abs(measured - predicted)).toBeLessThan(0.05 * Math.abs(predicted));
    tf.dispose([x, ours, tape, direction]);
    network.dispose();
  });

  it('leaves no tensor behind', () => {
    // two layers: the second's input gradient takes the first's Swish gradient along (on WASM, one kernel)
    const network = convEncoder([8, 8, 1], [4, 8], 1, 'swish', createRandom(1));
    const x = tf.randomUniform([2, 8, 8, 1]);
    const before = tf.memory().numTensors;
    writtenInputGradient(network)!(x).dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    network.dispose();
  });
});

describe('which networks have one', () => {
  onNodeBackend('wasm');

  it('the convolutional stacks with Swish have one; ReLU stacks, dense stacks and feature-map codes do not', () => {
    const random = createRandom(2);
    const networks = [convEncoder([8, 8, 1], [4], 1, 'swish', random), convEncoder([8, 8, 1], [4], 1, 'relu', random), denseEncoder([2], [8], 1, 'swish', random), convEncoder([8, 8, 1], [4], 0, 'swish', random)];
    expect(networks.map((network) => writtenInputGradient(network) !== undefined)).toEqual([true, false, false, false]);
    networks.forEach((network) => network.dispose());
  });

  it('runs fewer than half of the tape\'s kernels (the EBM\'s network, each Langevin step)', async () => {
    const network = convEncoder([28, 28, 1], [4, 8, 16], 1, 'swish', createRandom(3));
    const x = tf.randomUniform([2, 28, 28, 1]);
    const calls = async (run: () => tf.Tensor) => {
      const trace = await traceKernels(async () => {
        const g = run();
        await g.data();
        g.dispose();
      });
      const named = (name: string) => trace.kernels.filter((kernel) => kernel.name === name).reduce((total, kernel) => total + kernel.calls, 0);
      return { total: trace.kernels.reduce((total, kernel) => total + kernel.calls, 0), fused: named(SWISH_INPUT_GRADIENT), swish: named(SWISH_GRADIENT) };
    };
    const [written, tape] = [await calls(() => writtenInputGradient(network)!(x)), await calls(() => tapeGradient(network, x))];
    expect(written.total).toBeLessThan(tape.total / 2);
    // the two lower Swishes' gradients taken in the input gradients above them (4 and 8 channels: by border classes), the top one's alone
    expect([written.fused, written.swish]).toEqual([2, 1]);
    x.dispose();
    network.dispose();
  });
});
