/**
 * The weights' gradients written out without the tape (src/core/models/parameter-gradients.ts),
 * for the energy model's loss over two batches: the tape's outputs to the bit, its gradients
 * to float rounding (the loss's derivative is written as one expression where the tape
 * differentiates each op), in fewer kernel calls; no tensor left behind; none for networks
 * it is not written for.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { traceKernels } from '../../src/core/kernel-trace';
import { addGradients, writtenParameterGradients } from '../../src/core/models/parameter-gradients';
import { convEncoder, denseEncoder, trainableVariables } from '../../src/core/models/networks';
import { createRandom } from '../../src/core/random';
import { onNodeBackend } from './helpers';
import { expectRelativelyClose } from './wasm-simd-helpers';

const ALPHA = 0.1;

/** The energy model's loss: mean E(x+) - mean E(x-) + alpha (mean E(x+)^2 + mean E(x-)^2). */
const objective = (onData: tf.Tensor, onSamples: tf.Tensor) => onData.mean().sub(onSamples.mean()).add(onData.square().mean().add(onSamples.square().mean()).mul(ALPHA)) as tf.Scalar;

/** The tape's loss and gradients of every weight, by name. */
function tapeGradients(network: tf.Sequential, real: tf.Tensor, samples: tf.Tensor) {
  const energy = (x: tf.Tensor) => (network.apply(x) as tf.Tensor).reshape([-1]);
  return tf.variableGrads(() => objective(energy(real), energy(samples)), trainableVariables(network));
}

/** The written-out loss and gradients: each batch's pass, dL/dE = (+-1 + 2 alpha E) / B, summed. */
function writtenGradients(network: tf.Sequential, real: tf.Tensor, samples: tf.Tensor) {
  const written = writtenParameterGradients(network)!;
  const [onData, onSamples] = [written(real), written(samples)];
  const value = objective(onData.output.reshape([-1]), onSamples.output.reshape([-1]));
  const upstream = (energies: tf.Tensor2D, sign: number) => energies.mul(2 * ALPHA).add(sign).div(energies.shape[0]) as tf.Tensor2D;
  const grads = addGradients([onData.gradients(upstream(onData.output, 1)), onSamples.gradients(upstream(onSamples.output, -1))]);
  return { value, grads };
}

describe.each(['wasm', 'cpu'] as const)('weight gradients written out (%s)', (backend) => {
  onNodeBackend(backend);

  it.each([
    { name: 'the EBM\'s MNIST network, smaller', shape: [28, 28, 1] as const, channels: [4, 8, 16], batches: [3, 2] },
    { name: 'odd sizes ("same" stride 2 of 7 and 13), colour', shape: [13, 7, 3] as const, channels: [5, 8], batches: [2, 2] },
  ])('gives the tape\'s loss to the bit and its gradients to float rounding: $name', async ({ shape, channels, batches }) => {
    const network = convEncoder(shape, channels, 1, 'swish', createRandom(4));
    const real = tf.randomUniform([batches[0], ...shape], 0, 1, 'float32', 5);
    const samples = tf.randomUniform([batches[1], ...shape], 0, 1, 'float32', 6);
    const tape = tapeGradients(network, real, samples);
    const ours = tf.tidy(() => writtenGradients(network, real, samples));
    expect(Array.from(await ours.value.data())).toEqual(Array.from(await tape.value.data()));
    const names = trainableVariables(network).map((variable) => variable.name);
    expect(Object.keys(ours.grads).sort()).toEqual([...names].sort());
    for (const name of names) {
      expect(ours.grads[name].shape, name).toEqual(tape.grads[name].shape);
      expectRelativelyClose(await ours.grads[name].data(), await tape.grads[name].data(), 1e-5, name);
    }
    tf.dispose([real, samples, tape.value, ours.value, ...Object.values(tape.grads), ...Object.values(ours.grads)]);
    network.dispose();
  });

  it('runs fewer kernels than the tape and leaves no tensor behind', async () => {
    const network = convEncoder([8, 8, 1], [4, 8], 1, 'swish', createRandom(1));
    const [real, samples] = [tf.randomUniform([2, 8, 8, 1]), tf.randomUniform([2, 8, 8, 1])];
    const count = async (run: () => void) => (await traceKernels(run)).kernels.reduce((sum, kernel) => sum + kernel.calls, 0);
    const before = tf.memory().numTensors;
    const [ours, tape] = [await count(() => tf.tidy(() => void writtenGradients(network, real, samples))), await count(() => tf.tidy(() => void tapeGradients(network, real, samples)))];
    expect(tf.memory().numTensors).toBe(before);
    expect(ours).toBeLessThan(tape);
    tf.dispose([real, samples]);
    network.dispose();
  });
});

describe('which networks have them', () => {
  onNodeBackend('cpu');

  it('a dense network (the EBM on points) has none: its step takes the tape', () => {
    const network = denseEncoder([2], [8, 8], 1, 'swish', createRandom(2));
    expect(writtenParameterGradients(network)).toBeUndefined();
    network.dispose();
  });
});
