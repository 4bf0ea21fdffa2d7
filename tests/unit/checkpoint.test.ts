/**
 * Checkpoints: a run resumed from one takes exactly the steps the original would have
 * taken (same losses, bit for bit on the CPU backend), for every family that keeps its
 * state; a checkpoint of another configuration or a damaged one is refused and changes
 * nothing; nothing leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import type { RunConfig } from '../../src/core/config';
import type { TrainingSession } from '../../src/core/training/session';
import { sessionFor, train } from './helpers';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

const CONFIGS: RunConfig[] = [
  { model: 'ae', dataset: 'mnist', backend: 'cpu', values: { hidden: [32], latent: 4, batch: 8, seed: 3 } },
  { model: 'vae', dataset: 'ring', backend: 'cpu', values: { hidden: [16], latent: 2, batch: 16, seed: 4 } },
  { model: 'vae', dataset: 'mnist', backend: 'cpu', values: { arch: 'dense', hidden: [32], latent: 2, batch: 8, seed: 5, binarize: 'sampled' } },
  { model: 'dae', dataset: 'mnist', backend: 'cpu', values: { hidden: [32], batch: 8, seed: 6 } },
  { model: 'conv-ae', dataset: 'mnist', backend: 'cpu', values: { channels: [4, 4], batch: 4, seed: 7 } },
  { model: 'gan', dataset: 'ring', backend: 'cpu', values: { hidden: [16], batch: 16, seed: 8, d_steps: 2, mbstd: 'on' } },
  // batch normalization's moving statistics are part of the state
  { model: 'gan', dataset: 'mnist', backend: 'cpu', values: { channels: [4, 4], batch: 4, seed: 9, noise: 8 } },
];

const losses = (points: Record<string, number>[]) => points.map((values) => values.loss ?? values.g_loss ?? Object.values(values)[0]);

async function weightsOf(session: TrainingSession): Promise<number[]> {
  const checkpoint = await session.checkpoint();
  return Array.from(new Float32Array(checkpoint!.data));
}

describe('a run resumed from a checkpoint', () => {
  for (const config of CONFIGS) {
    it(`takes the same steps as the original: ${config.model} on ${config.dataset}`, async () => {
      const before = tf.memory().numTensors;
      const original = await sessionFor(config);
      await train(original, 3);
      const checkpoint = await original.checkpoint();
      expect(checkpoint?.step).toBe(3);
      const expected = losses(await train(original, 3));
      original.dispose();

      const resumed = await sessionFor(config);
      await resumed.restore(checkpoint!);
      expect(resumed.step).toBe(3);
      const actual = losses(await train(resumed, 3));
      expect(actual).toEqual(expected);
      expect(resumed.step).toBe(6);
      resumed.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('differs from a fresh run (the restore did something)', async () => {
    const config = CONFIGS[0];
    const original = await sessionFor(config);
    await train(original, 5);
    const checkpoint = await original.checkpoint();
    const next = losses(await train(original, 1));
    original.dispose();
    const fresh = await sessionFor(config);
    const freshLoss = losses(await train(fresh, 1));
    fresh.dispose();
    expect(freshLoss[0]).not.toBeCloseTo(next[0], 3);
    expect(checkpoint!.step).toBe(5);
  });

  it('refuses a checkpoint of another configuration and keeps its own weights', async () => {
    const small = await sessionFor(CONFIGS[0]);
    await train(small, 1);
    const foreign = await small.checkpoint();
    small.dispose();
    const other = await sessionFor({ ...CONFIGS[0], values: { ...CONFIGS[0].values, hidden: [24] } });
    const weights = await weightsOf(other);
    const before = tf.memory().numTensors;
    await expect(other.restore(foreign!)).rejects.toThrow(/another configuration/);
    expect(tf.memory().numTensors).toBe(before);
    expect(await weightsOf(other)).toEqual(weights);
    expect(other.step).toBe(0);
    other.dispose();
  });

  it('refuses damaged weights', async () => {
    const session = await sessionFor(CONFIGS[0]);
    const checkpoint = (await session.checkpoint())!;
    await expect(session.restore({ ...checkpoint, data: checkpoint.data.slice(0, 100) })).rejects.toThrow(/damaged/);
    session.dispose();
  });
});
